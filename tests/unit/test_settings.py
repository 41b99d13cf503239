from __future__ import annotations

import dataclasses

import pytest

from app.settings import VARIABLES, Settings, SettingsError, async_database_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://user@host:5432/db", "postgresql+asyncpg://user@host:5432/db"),
        ("postgres://u:p@h/db", "postgresql+asyncpg://u:p@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("sqlite:///path/errcat.db", "sqlite+aiosqlite:///path/errcat.db"),
        ("sqlite:////abs/errcat.db", "sqlite+aiosqlite:////abs/errcat.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
    ],
)
def test_database_url_forms(given, expected):
    assert async_database_url(given) == expected


@pytest.mark.parametrize("bad", ["mysql://u@h/db", "errcat.db", ""])
def test_unsupported_database_urls_are_refused(bad):
    with pytest.raises(SettingsError):
        async_database_url(bad)


def test_defaults_and_environment():
    default = Settings.from_env({})
    assert (default.database_url, default.host, default.port) == (
        "sqlite+aiosqlite:///errcat.db",
        "127.0.0.1",
        8000,
    )
    s = Settings.from_env(
        {"PORT": "9001", "HOST": "0.0.0.0", "CORS_ORIGINS": "https://a, https://b"}
    )
    assert (s.port, s.host, s.cors_origins) == (9001, "0.0.0.0", ("https://a", "https://b"))


@pytest.mark.parametrize("env", [{"PORT": "http"}, {"PORT": "0"}, {"RELOAD_INTERVAL": "-1"}])
def test_bad_settings_are_refused(env):
    with pytest.raises(SettingsError):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("env", "value"),
    [
        ({"METRICS": "disable"}, "disable"),  # was read as "on"
        ({"ACCESS_LOG": "enabled"}, "enabled"),  # was read as "off"
        ({"ERRCAT_MIGRATE": "maybe"}, "maybe"),
        ({"ERRCAT_SEED": "2"}, "2"),
        ({"LOG_LEVEL": "verbose"}, "verbose"),  # crashed start-up
        ({"WEB_CONCURRENCY": "many"}, "many"),  # crashed `errcat serve` with a traceback
        ({"WEB_CONCURRENCY": "0"}, "0"),
        ({"MAX_BODY_BYTES": "10"}, "10"),
        ({"RELOAD_INTERVAL": "nan"}, "nan"),
        ({"RATE_LIMIT": "600/fortnight"}, "600/fortnight"),
        ({"RATE_LIMIT": "0/minute"}, "0/minute"),
    ],
)
def test_an_invalid_value_names_the_variable_the_value_and_what_is_accepted(env, value):
    (name,) = env
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    message = str(caught.value)
    assert message.startswith(f"{name}={value!r} is not accepted: expected ")
    assert "\n" not in message
    accepted = next(v.accepts for v in VARIABLES if v.name == name)
    assert message.endswith(accepted)


@pytest.mark.parametrize(
    ("spelling", "value"),
    [
        *((s, True) for s in ("1", "true", "TRUE", "True", "yes", "YES", "on", "On")),
        *((s, False) for s in ("0", "false", "FALSE", "no", "No", "off", "OFF")),
    ],
)
def test_booleans_accept_the_documented_spellings_in_any_case(spelling, value):
    s = Settings.from_env(
        {name: spelling for name in ("METRICS", "ACCESS_LOG", "ERRCAT_MIGRATE", "ERRCAT_SEED")}
    )
    assert (s.metrics, s.access_log, s.migrate_on_start, s.seed_on_start) == (value,) * 4


@pytest.mark.parametrize("level", ["debug", "Info", "WARNING", "error", "critical"])
def test_log_levels_in_any_case(level):
    assert Settings.from_env({"LOG_LEVEL": level}).log_level == level.upper()


def test_every_setting_is_read_from_its_variable():
    assert {v.field for v in VARIABLES} == {f.name for f in dataclasses.fields(Settings)}
    env = {
        "DATABASE_URL": "postgres://u@db:5432/cat",
        "HOST": "0.0.0.0",
        "PORT": "9001",
        "WEB_CONCURRENCY": "4",
        "RELOAD_INTERVAL": "0.5",
        "CORS_ORIGINS": "https://a, https://b",
        "MAX_BODY_BYTES": "2048",
        "RATE_LIMIT": "600/Minute",
        "LOG_LEVEL": "debug",
        "ACCESS_LOG": "yes",
        "METRICS": "off",
        "ERRCAT_MIGRATE": "0",
        "ERRCAT_SEED": "false",
        "RESPONSE_CACHE": "off",
        "MAX_HEADER_BYTES": "8192",
        "MAX_HEADERS": "50",
        "HEADER_TIMEOUT": "3",
        "BODY_TIMEOUT": "4",
        "KEEPALIVE_TIMEOUT": "6",
        "MAX_CONNECTIONS": "10",
        "GRACEFUL_SHUTDOWN_SECONDS": "7",
        "DB_TIMEOUT": "1.5",
        "METRICS_TOKEN": "s3cret",
        "REDIS_URL": "redis://cache:6379/1",
        "REDIS_PREFIX": "errcat-a:",
        "FORWARDED_ALLOW_IPS": "10.0.0.1, 10.0.0.2",
        "STARTUP_TIMEOUT": "30",
        "INGEST_TOKEN": "ingest-s3cret",
        "OBSERVATIONS_FLUSH_SECONDS": "0.5",
        "OBSERVATIONS_COMMIT_TIMEOUT": "9",
        "OBSERVATIONS_MAX_KEYS": "500",
    }
    assert set(env) == {v.name for v in VARIABLES}
    s = Settings.from_env(env)
    expected = Settings(
        database_url="postgresql+asyncpg://u@db:5432/cat",
        host="0.0.0.0",
        port=9001,
        workers=4,
        reload_interval=0.5,
        cors_origins=("https://a", "https://b"),
        max_body_bytes=2048,
        rate_limit=("minute", 600),
        log_level="DEBUG",
        access_log=True,
        metrics=False,
        migrate_on_start=False,
        seed_on_start=False,
        response_cache=False,
        max_header_bytes=8192,
        max_headers=50,
        header_timeout=3.0,
        body_timeout=4.0,
        keepalive_timeout=6.0,
        max_connections=10,
        graceful_shutdown=7.0,
        db_timeout=1.5,
        metrics_token="s3cret",
        redis_url="redis://cache:6379/1",
        redis_prefix="errcat-a:",
        forwarded_allow_ips=("10.0.0.1", "10.0.0.2"),
        startup_timeout=30.0,
        ingest_token="ingest-s3cret",
        observations_flush_seconds=0.5,
        observations_commit_timeout=9.0,
        observations_max_keys=500,
    )
    assert s == expected
    default = Settings()
    assert all(getattr(s, f.name) != getattr(default, f.name) for f in dataclasses.fields(s))


def test_empty_values_mean_the_default():
    assert Settings.from_env(dict.fromkeys((v.name for v in VARIABLES), " ")) == Settings()


@pytest.mark.parametrize("off", ["0", "off", "None"])
def test_rate_limit_off(off):
    assert Settings.from_env({"RATE_LIMIT": off}).rate_limit is None


def test_a_database_url_that_cannot_be_parsed_is_refused():
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        Settings.from_env({"DATABASE_URL": "postgresql://u@h:notaport/db"})


# --- found by review: URLs that used to end in a traceback -----------------------------------


def test_libpq_sslmode_becomes_asyncpgs_ssl():
    assert async_database_url("postgresql://u@db:5432/cat?sslmode=require") == (
        "postgresql+asyncpg://u@db:5432/cat?ssl=require"
    )


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"DATABASE_URL": "postgresql://u@db:99999/cat"}, "port 99999 is not a TCP port"),
        ({"DATABASE_URL": "postgresql://u@db/cat?sslmode=bogus"}, "sslmode='bogus' is not one"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL='localhost:6379' is not accepted"),
    ],
)
def test_unusable_urls_are_refused_in_one_line(env, says):
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)
    assert says in str(refused.value)


def test_each_default_and_bound_is_declared_once_on_settings():
    """The help text of a number is derived: its words hold no number (no bound or default
    written twice), and the default it shows is what Settings declares."""
    defaults = Settings()
    for var in VARIABLES:
        default = getattr(defaults, var.field)
        if isinstance(default, int | float) and not isinstance(default, bool):
            assert not any(ch.isdigit() for ch in var.kind + var.note.replace("0:", "")), var.name
            shown = str(int(default)) if float(default).is_integer() else f"{default:g}"
            assert var.accepts.endswith(f"(default {shown})"), var.name
