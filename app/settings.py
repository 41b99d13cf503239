"""Settings: a small frozen dataclass read from the environment, and nothing else."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

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
    return f"{driver}://{rest}"


def _int(env: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not an integer") from None
    if not low <= value <= high:
        raise SettingsError(f"{name}={value} is outside {low}..{high}")
    return value


def _float(env: dict[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a number") from None
    if value < 0:
        raise SettingsError(f"{name}={value} must not be negative")
    return value


def _flush_seconds(env: dict[str, str]) -> float:
    value = _float(env, "OBSERVATIONS_FLUSH_SECONDS", 2.0)
    if not 0.01 <= value <= 86_400:
        raise SettingsError(f"OBSERVATIONS_FLUSH_SECONDS={value} is outside 0.01..86400")
    return value


_RATE_UNITS = ("second", "minute", "hour", "day")


def _rate_limit(raw: str) -> tuple[str, int] | None:
    """``RATE_LIMIT=600/minute`` -> ("minute", 600); empty or ``off`` -> None."""
    text = raw.strip().lower()
    if text in {"", "0", "off", "none"}:
        return None
    count, _, unit = text.partition("/")
    if not count.isdigit() or int(count) < 1 or unit not in _RATE_UNITS:
        raise SettingsError(
            f"RATE_LIMIT={raw!r}: expected e.g. 600/minute (units: {', '.join(_RATE_UNITS)})"
        )
    return unit, int(count)


@dataclass(frozen=True)
class Settings:
    database_url: str = async_database_url(DEFAULT_DATABASE_URL)
    host: str = "127.0.0.1"
    port: int = 8000
    # How often a running service asks the database whether a new revision was seeded (0: never).
    reload_interval: float = 5.0
    cors_origins: tuple[str, ...] = field(default_factory=tuple)
    max_body_bytes: int = 1_048_576
    log_level: str = "INFO"
    access_log: bool = False
    metrics: bool = True
    # Per client address and process, e.g. ("minute", 600); None: no limit (the default, since
    # replicas behind a load balancer usually limit at the edge).
    rate_limit: tuple[str, int] | None = None
    # POST /observations is off unless set; clients send it as "Authorization: Bearer <token>".
    ingest_token: str | None = field(default=None, repr=False)
    # How often buffered observations are written to the database (and once more at shutdown).
    observations_flush_seconds: float = 2.0
    # Distinct (code, slug, status, match) keys the observations table holds at most.
    observations_max_keys: int = 10_000

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        origins = tuple(o.strip() for o in env.get("CORS_ORIGINS", "").split(",") if o.strip())
        return cls(
            database_url=async_database_url(env.get("DATABASE_URL") or DEFAULT_DATABASE_URL),
            host=env.get("HOST") or "127.0.0.1",
            port=_int(env, "PORT", 8000, 1, 65535),
            reload_interval=_float(env, "RELOAD_INTERVAL", 5.0),
            cors_origins=origins,
            max_body_bytes=_int(env, "MAX_BODY_BYTES", 1_048_576, 1024, 64 * 1_048_576),
            log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
            access_log=env.get("ACCESS_LOG", "").lower() in {"1", "true", "yes", "on"},
            rate_limit=_rate_limit(env.get("RATE_LIMIT", "")),
            metrics=env.get("METRICS", "1").lower() not in {"0", "false", "no", "off"},
            ingest_token=env.get("INGEST_TOKEN", "").strip() or None,
            observations_flush_seconds=_flush_seconds(env),
            observations_max_keys=_int(env, "OBSERVATIONS_MAX_KEYS", 10_000, 1, 1_000_000),
        )
