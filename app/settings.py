"""Settings: one frozen object holding every environment variable errcat reads, and nothing else.

``VARIABLES`` is the list of those variables: the field each one sets and, in words, what it
accepts. ``Settings.from_env`` takes them from the environment and msgspec parses them into the
field types below (``strict=False`` converts text to numbers and booleans; ``Meta`` bounds and
``Literal`` choices refuse the rest). A value that does not parse raises ``SettingsError``, whose
one-line message names the variable, the value and what is accepted; empty counts as unset.

Booleans accept exactly 1/0, true/false, yes/no and on/off, in any case: anything else
(``METRICS=disable``) is refused rather than read as one or the other.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from typing import Annotated, Literal, get_type_hints

import msgspec
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite:///errcat.db"

_ASYNC_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+psycopg2": "postgresql+asyncpg",
    "postgresql+psycopg": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


class SettingsError(ValueError):
    pass


def async_database_url(url: str) -> str:
    """Accept the URL forms people paste and name the async driver the service uses.

    ``postgresql://u@h/db``, ``postgres://...`` (Heroku style), ``postgresql+psycopg2://...`` all
    become ``postgresql+asyncpg://...``; ``sqlite:///file.db`` becomes ``sqlite+aiosqlite:///...``.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise SettingsError(
            f"DATABASE_URL {url!r} is not a URL (expected e.g. sqlite:///errcat.db)"
        )
    driver = _ASYNC_DRIVERS.get(scheme.lower())
    if driver is None:
        known = "postgresql://user@host:5432/db or sqlite:///path/errcat.db"
        raise SettingsError(f"DATABASE_URL scheme {scheme!r} is not supported (use {known})")
    converted = f"{driver}://{rest}"
    try:
        url = make_url(converted)
        port = url.port
    except (ArgumentError, ValueError) as exc:
        raise SettingsError(f"DATABASE_URL is not a valid database URL: {exc}") from None
    if port is not None and not 1 <= port <= 65535:
        raise SettingsError(f"DATABASE_URL port {port} is not a TCP port (1-65535)")
    if driver == "postgresql+asyncpg" and "sslmode" in url.query:
        # libpq's sslmode (the form Heroku, RDS and psql use) is asyncpg's ssl, with the same
        # values; asyncpg refuses an sslmode argument.
        mode = url.query["sslmode"]
        if mode not in _SSL_MODES:
            raise SettingsError(
                f"DATABASE_URL sslmode={mode!r} is not one of {', '.join(_SSL_MODES)}"
            )
        url = url.difference_update_query(["sslmode"]).update_query_dict({"ssl": mode})
        converted = url.render_as_string(hide_password=False)
    return converted


_SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]
RateUnit = Literal["second", "minute", "hour", "day"]

BOOLEAN_SPELLINGS = "1/0, true/false, yes/no or on/off, any case"
# msgspec itself reads true/false/1/0 (any case) as booleans; these are the other spellings.
_BOOLEAN_ALIASES = {"yes": "true", "on": "true", "no": "false", "off": "false"}
_RATE_LIMIT_OFF = {"0", "off", "none"}


@dataclass(frozen=True, kw_only=True)
class Settings:
    database_url: str = async_database_url(DEFAULT_DATABASE_URL)
    host: str = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535)] = 8000
    # uvicorn worker processes for `errcat serve` (WEB_CONCURRENCY, as uvicorn and gunicorn call it)
    workers: Annotated[int, msgspec.Meta(ge=1, le=64)] = 1
    # How often a running service asks the database whether a new revision was seeded (0: never).
    reload_interval: Annotated[float, msgspec.Meta(ge=0, le=86400)] = 5.0
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1024, le=64 * 1_048_576)] = 1_048_576
    log_level: LogLevel = "INFO"
    access_log: bool = False
    metrics: bool = True
    # Per client address and process, e.g. ("minute", 600); None: no limit (the default, since
    # replicas behind a load balancer usually limit at the edge).
    rate_limit: tuple[RateUnit, Annotated[int, msgspec.Meta(ge=1)]] | None = None
    # `errcat serve` migrates and seeds before serving unless these are off.
    migrate_on_start: bool = True
    seed_on_start: bool = True
    # Answer before routing what the handlers would answer: replayed catalogue answers
    # (app.api.response_cache) and the common case of the two checks (app.api.hot_posts).
    response_cache: bool = True
    # The HTTP server's edge (app.server): request head size and header count (431 beyond),
    # seconds to send a request head / a body (408 or a closed connection after), idle keep-alive
    # seconds, concurrent connections per process (503 beyond), seconds SIGTERM waits for
    # requests in progress.
    max_header_bytes: Annotated[int, msgspec.Meta(ge=1024, le=1_048_576)] = 16_384
    max_headers: Annotated[int, msgspec.Meta(ge=8, le=10_000)] = 100
    header_timeout: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 10.0
    body_timeout: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 30.0
    keepalive_timeout: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 5.0
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 1000
    graceful_shutdown: Annotated[float, msgspec.Meta(ge=0, le=3600)] = 5.0
    # Upper bound, in seconds, on any one database call made for a request or the reload loop
    # (connect, statement, the whole call); past it a request answers 503.
    db_timeout: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 2.0
    # When set, GET /metrics asks for ``Authorization: Bearer <token>`` (kept out of repr).
    metrics_token: str | None = field(default=None, repr=False)
    # Observations (POST /observations): on only with a token. A request is answered once its
    # batch is committed: a batch waits at most the flush interval for others to join it, a
    # request at most the commit timeout for its batch (503 past it); at most this many distinct
    # keys are stored.
    ingest_token: str | None = field(default=None, repr=False)
    observations_flush_seconds: Annotated[float, msgspec.Meta(ge=0.01, le=86_400)] = 0.02
    observations_commit_timeout: Annotated[float, msgspec.Meta(ge=0.1, le=86_400)] = 3.0
    observations_max_keys: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 10_000
    # Rate-limit counters in Redis (shared by replicas) instead of each process's memory.
    redis_url: str | None = None
    # Prefix of errcat's keys in that Redis (replicas sharing a limit share the prefix).
    redis_prefix: str = "errcat:"
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (none by default).
    forwarded_allow_ips: tuple[str, ...] = field(default_factory=tuple)
    # Start-up: give up on the database after this many seconds of retrying (0: never).
    startup_timeout: Annotated[float, msgspec.Meta(ge=0)] = 0.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        raw: dict[str, object] = {}
        for var in VARIABLES:
            text = env.get(var.name, "").strip()
            if text:
                raw[var.field] = _prepare(var.field, text)
        try:
            settings = msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            raise _refusal(exc, env) from None
        if settings.redis_url is not None and not settings.redis_url.startswith(_REDIS_SCHEMES):
            raise SettingsError(
                f"REDIS_URL={settings.redis_url!r} is not accepted: expected "
                f"{' or '.join(s + '...' for s in _REDIS_SCHEMES)}"
            )
        if settings.observations_flush_seconds >= settings.observations_commit_timeout:
            raise SettingsError(
                f"OBSERVATIONS_FLUSH_SECONDS={settings.observations_flush_seconds:g} is not "
                "accepted: a batch would wait longer than its requests do; expected less than "
                f"OBSERVATIONS_COMMIT_TIMEOUT ({settings.observations_commit_timeout:g})"
            )
        database_url = raw.get("database_url")
        if isinstance(database_url, str):
            # The URL forms are a small grammar of their own; async_database_url names them.
            settings = replace(settings, database_url=async_database_url(database_url))
        return settings


@dataclass(frozen=True)
class Variable:
    """One environment variable: the Settings field it sets and what its value is, in words.

    What it accepts is derived from the field itself (``accepts``): the bounds of its
    ``msgspec.Meta`` and its default are declared once, on ``Settings``, and read from there."""

    name: str
    field: str
    kind: str  # what the value is: "an integer", "seconds", "a bearer token for /metrics"
    note: str = ""  # what the bounds and default do not say ("0: never")
    shown_default: str | None = None  # the default as a user writes it, where that differs

    @property
    def accepts(self) -> str:
        low, low_open, high = _bounds(self.field)
        words = self.kind
        if low is not None and high is not None and not low_open:
            words += f" from {_number(low)} to {_number(high)}"
        elif low is not None and high is not None:
            words += f", more than {_number(low)}, at most {_number(high)}"
        elif low is not None:
            words += f", {'more than' if low_open else 'at least'} {_number(low)}"
        if self.note:
            words += f"; {self.note}"
        return f"{words} (default {self.shown_default or _shown(_DEFAULTS[self.field])})"


def _bounds(name: str) -> tuple[float | None, bool, float | None]:
    """(lower bound, whether it is exclusive, upper bound) of a field's ``msgspec.Meta``."""
    for meta in getattr(_HINTS[name], "__metadata__", ()):
        if isinstance(meta, msgspec.Meta):
            low = meta.gt if meta.gt is not None else meta.ge
            return low, meta.gt is not None, meta.le
    return None, False, None


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _shown(default: object) -> str:
    if isinstance(default, bool):
        return "on" if default else "off"
    if default is None or default == ():
        return "none"
    if isinstance(default, int | float):
        return _number(default)
    return str(default)


_HINTS = get_type_hints(Settings, include_extras=True)
_DEFAULTS = {
    f.name: f.default_factory() if callable(f.default_factory) else f.default
    for f in fields(Settings)
}
_INTEGER = "an integer"

VARIABLES: tuple[Variable, ...] = (
    Variable(
        "DATABASE_URL",
        "database_url",
        "postgresql://user@host:5432/db or sqlite:///path.db",
        shown_default=DEFAULT_DATABASE_URL,
    ),
    Variable("HOST", "host", "an address to listen on"),
    Variable("PORT", "port", _INTEGER),
    Variable("WEB_CONCURRENCY", "workers", _INTEGER),
    Variable("RELOAD_INTERVAL", "reload_interval", "seconds", "0: never"),
    Variable("CORS_ORIGINS", "cors_origins", "comma-separated origins"),
    Variable("MAX_BODY_BYTES", "max_body_bytes", _INTEGER),
    Variable(
        "RATE_LIMIT",
        "rate_limit",
        "COUNT/UNIT, UNIT one of second, minute, hour, day (600/minute); 0/off/none: no limit",
    ),
    Variable("LOG_LEVEL", "log_level", "DEBUG, INFO, WARNING, ERROR or CRITICAL, any case"),
    Variable("ACCESS_LOG", "access_log", BOOLEAN_SPELLINGS),
    Variable("METRICS", "metrics", BOOLEAN_SPELLINGS),
    Variable("ERRCAT_MIGRATE", "migrate_on_start", BOOLEAN_SPELLINGS),
    Variable("ERRCAT_SEED", "seed_on_start", BOOLEAN_SPELLINGS),
    Variable("RESPONSE_CACHE", "response_cache", BOOLEAN_SPELLINGS),
    Variable("MAX_HEADER_BYTES", "max_header_bytes", _INTEGER),
    Variable("MAX_HEADERS", "max_headers", _INTEGER),
    Variable("HEADER_TIMEOUT", "header_timeout", "seconds", "0: none"),
    Variable("BODY_TIMEOUT", "body_timeout", "seconds", "0: none"),
    Variable("KEEPALIVE_TIMEOUT", "keepalive_timeout", "seconds"),
    Variable("MAX_CONNECTIONS", "max_connections", _INTEGER),
    Variable("GRACEFUL_SHUTDOWN_SECONDS", "graceful_shutdown", "seconds"),
    Variable("DB_TIMEOUT", "db_timeout", "seconds"),
    Variable("METRICS_TOKEN", "metrics_token", "a bearer token for /metrics", "none: open"),
    Variable("REDIS_URL", "redis_url", "redis://host:6379/0 for shared rate limits"),
    Variable("REDIS_PREFIX", "redis_prefix", "a key prefix in that Redis"),
    Variable(
        "FORWARDED_ALLOW_IPS",
        "forwarded_allow_ips",
        "comma-separated proxy addresses whose X-Forwarded-For is believed",
    ),
    Variable("STARTUP_TIMEOUT", "startup_timeout", "seconds", "0: for ever"),
    Variable(
        "INGEST_TOKEN",
        "ingest_token",
        "a bearer token that turns POST /observations on",
        shown_default="off",
    ),
    Variable(
        "OBSERVATIONS_FLUSH_SECONDS",
        "observations_flush_seconds",
        "seconds",
        "how long a batch of observations waits for more before its commit; less than "
        "OBSERVATIONS_COMMIT_TIMEOUT",
    ),
    Variable(
        "OBSERVATIONS_COMMIT_TIMEOUT",
        "observations_commit_timeout",
        "seconds",
        "how long a POST /observations waits for its commit",
    ),
    Variable("OBSERVATIONS_MAX_KEYS", "observations_max_keys", _INTEGER, "distinct observed keys"),
)
_BY_FIELD = {var.field: var for var in VARIABLES}
_BOOLEAN_FIELDS = {name for name, kind in get_type_hints(Settings).items() if kind is bool}


def _prepare(name: str, text: str) -> object:
    """Shape a variable's text for msgspec: split lists, fold case. Never decides validity."""
    if name in _BOOLEAN_FIELDS:
        return _BOOLEAN_ALIASES.get(text.lower(), text)
    if name == "log_level":
        return text.upper()
    if name in ("cors_origins", "forwarded_allow_ips"):
        return [part.strip() for part in text.split(",") if part.strip()]
    if name == "rate_limit":
        if text.lower() in _RATE_LIMIT_OFF:
            return None
        count, slash, unit = text.partition("/")
        # "600/minute" -> ["minute", "600"]; anything without one slash stays text and is refused.
        return [unit.strip().lower(), count.strip()] if slash else text
    return text


def _refusal(exc: msgspec.ValidationError, env: dict[str, str]) -> SettingsError:
    match = re.search(r"`\$\.(\w+)", str(exc))
    var = _BY_FIELD.get(match.group(1)) if match else None
    if var is None:  # pragma: no cover - every field is in VARIABLES
        return SettingsError(f"invalid settings: {exc}")
    value = env.get(var.name, "").strip()
    return SettingsError(f"{var.name}={value!r} is not accepted: expected {var.accepts}")
