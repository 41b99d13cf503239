"""The closed vocabularies the API's parameters take, as enums: the OpenAPI document describes
each once, as a shared component (``Namespace``, ``Profile``), so generated clients get one type
each. Members are ``str``: they compare and hash as the plain strings the core works with."""

from __future__ import annotations

from enum import StrEnum


class Namespace(StrEnum):
    """Which codes: the platform's, or Thermos's."""

    platform = "platform"
    thermos = "thermos"


class Profile(StrEnum):
    """How strictly the envelope validator reads an envelope (docs/envelope-validation.md)."""

    lenient = "lenient"
    strict = "strict"
