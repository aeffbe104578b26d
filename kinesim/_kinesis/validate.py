"""AWS-style request validation shared by the Kinesis operations.

Shape violations (length, pattern, range, enum) raise ``ValidationException`` with the
"1 validation error detected: ..." text AWS's request validation produces; a value of the wrong
Python type is misuse of kinesim's API and raises :class:`~kinesim.KinesimTypeError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from kinesim._core.text import utf8
from kinesim._errors import KinesimTypeError, ValidationException

__all__ = ["as_bytes", "check_enum", "check_int", "check_str"]

NAME_PATTERN = r"[a-zA-Z0-9_.-]+"
_NAME = re.compile(NAME_PATTERN)


def _shown(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 64 else text[:61] + "..."


def fail(field: str, value: Any, constraint: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{_shown(value)}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def check_str(
    value: Any,
    field: str,
    *,
    min_len: int = 1,
    max_len: int,
    pattern: str | None = None,
) -> str:
    """``value`` if it is a str of the allowed length (and matches ``pattern``)."""
    if not isinstance(value, str):
        raise KinesimTypeError(
            f"{field} must be a str, got {value!r} of type {type(value).__name__}"
        )
    if len(value) < min_len:
        raise fail(field, value, f"Member must have length greater than or equal to {min_len}")
    if len(value) > max_len:
        raise fail(field, value, f"Member must have length less than or equal to {max_len}")
    if pattern is not None and re.fullmatch(pattern, value) is None:
        raise fail(field, value, f"Member must satisfy regular expression pattern: {pattern}")
    return value


def check_name(value: Any, field: str) -> str:
    return check_str(value, field, max_len=128, pattern=NAME_PATTERN)


def check_int(
    value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None
) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise KinesimTypeError(
            f"{field} must be an int, got {value!r} of type {type(value).__name__}"
        )
    if minimum is not None and value < minimum:
        raise fail(field, value, f"Member must have value greater than or equal to {minimum}")
    if maximum is not None and value > maximum:
        raise fail(field, value, f"Member must have value less than or equal to {maximum}")
    return value


def check_enum(value: Any, field: str, allowed: Iterable[str]) -> str:
    options = list(allowed)
    if not isinstance(value, str):
        raise KinesimTypeError(f"{field} must be one of {options}, got {value!r}")
    if value not in options:
        raise fail(field, value, f"Member must satisfy enum value set: [{', '.join(options)}]")
    return value


def check_list(value: Any, field: str, what: str) -> list[Any]:
    """``value`` as a list, if it is a list or tuple (not a str, bytes or mapping)."""
    if not isinstance(value, (list, tuple)):
        raise KinesimTypeError(f"{field} takes a list of {what}, got {value!r}")
    return list(value)


def as_bytes(value: Any, field: str = "data") -> bytes:
    """Record data as bytes: bytes-like values as they are, str encoded as UTF-8 (like boto3)."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return utf8(value, field)
    raise KinesimTypeError(
        f"{field} must be bytes (or str, sent as UTF-8), got {type(value).__name__}"
    )
