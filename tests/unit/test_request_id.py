"""The incoming X-Request-ID is kept only when it is 1 to 128 of A-Za-z0-9._:- (checked without
any pattern engine: one bytes.translate pass)."""

import pytest

from app.requestid import MAX_REQUEST_ID, is_safe_request_id, request_id


@pytest.mark.parametrize(
    "value", [b"a", b"req_0f3a", b"trace-1.2:3", b"A" * MAX_REQUEST_ID, b"0123456789._:-"]
)
def test_safe_ids_are_kept(value: bytes) -> None:
    assert is_safe_request_id(value)
    assert request_id({"headers": [(b"x-request-id", value)]}) == value.decode()


@pytest.mark.parametrize(
    "value",
    [b"", b"A" * (MAX_REQUEST_ID + 1), b"a b", b"a/b", b"caf\xc3\xa9", b"a\x00", b"a\n", b"<x>"],
)
def test_unsafe_ids_are_replaced(value: bytes) -> None:
    assert not is_safe_request_id(value)
    made = request_id({"headers": [(b"x-request-id", value)]})
    assert made.startswith("req_") and len(made) == 28


def test_a_long_hostile_header_is_refused_in_one_pass() -> None:
    assert not is_safe_request_id(b"a" * 65536 + b"!")
