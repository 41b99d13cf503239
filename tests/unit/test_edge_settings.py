"""The edge limits: read from the environment, refused when out of range, handed to uvicorn."""

from __future__ import annotations

import pytest

from app.catalogue.errors import InvalidFilter
from app.catalogue.query import parse_status_filter
from app.server import EdgeLimits, EdgeProtocol, uvicorn_config
from app.settings import Settings, SettingsError


def test_edge_defaults():
    s = Settings.from_env({})
    assert (s.max_header_bytes, s.max_headers, s.max_connections) == (16_384, 100, 1000)
    assert (s.header_timeout, s.body_timeout, s.keepalive_timeout) == (10.0, 30.0, 5.0)
    assert s.graceful_shutdown == 5.0


def test_edge_settings_from_the_environment_reach_uvicorn():
    s = Settings.from_env(
        {
            "MAX_HEADER_BYTES": "8192",
            "MAX_HEADERS": "50",
            "HEADER_TIMEOUT": "2.5",
            "BODY_TIMEOUT": "7",
            "KEEPALIVE_TIMEOUT": "3",
            "MAX_CONNECTIONS": "64",
            "GRACEFUL_SHUTDOWN_SECONDS": "4",
        }
    )
    config = uvicorn_config(s)
    assert config.edge_limits == EdgeLimits(8192, 50, 2.5, 7.0, 64)
    assert config.http is EdgeProtocol and config.ws == "none"
    assert (config.server_header, config.timeout_keep_alive) == (False, 3.0)
    assert config.timeout_graceful_shutdown == 4.0


@pytest.mark.parametrize(
    "env",
    [
        {"MAX_HEADER_BYTES": "100"},
        {"MAX_HEADER_BYTES": "16k"},
        {"MAX_HEADERS": "0"},
        {"HEADER_TIMEOUT": "-1"},
        {"MAX_CONNECTIONS": "0"},
        {"GRACEFUL_SHUTDOWN_SECONDS": "soon"},
    ],
)
def test_bad_edge_settings_are_refused(env):
    with pytest.raises(SettingsError):
        Settings.from_env(env)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("404", (404, 404)), ("4xx", (400, 499)), (" 5XX\t", (500, 599)), ("100", (100, 100))],
)
def test_status_filter_forms(raw, expected):
    assert parse_status_filter(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "\u0664\u0660\u0664",
        "\uff14\uff10\uff14",
        "\x1c404",
        "404\x1f",
        "\u2003404",
        "600",
        "099",
        "6xx",
        "4x",
        "",
    ],
)
def test_status_filter_refuses_non_ascii_and_control_characters(raw):
    with pytest.raises(InvalidFilter):
        parse_status_filter(raw)
