from __future__ import annotations

import pytest

from app.settings import Settings, SettingsError, async_database_url


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
