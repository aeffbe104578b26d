"""Event source mapping parameters: validation with AWS's error texts, and the settings value.

Validation follows the order AWS applies it: the service model's constraints first
(``ValidationException`` in AWS's "1 validation error detected" form), then Lambda's own checks
(``InvalidParameterValueException``). Python type misuse (a string for ``batch_size``) is a
:class:`kinesim.KinesimTypeError`: botocore would reject it client-side before AWS saw it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

from kinesim._errors import (
    InvalidParameterValueException,
    KinesimTypeError,
    KinesimValueError,
    ValidationException,
)
from kinesim._esm.filters import MAX_FILTERS, MAX_PATTERN_CHARS, parse_pattern, pattern_text

__all__ = [
    "STARTING_POSITIONS",
    "MappingSettings",
    "validate_settings",
    "validation_error",
]

STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")
# The enum as AWS lists it in its error text (ground truth §2.4), not the model's order.
_ENUM_TEXT = "[LATEST, AT_TIMESTAMP, TRIM_HORIZON]"

#: (kinesim keyword, AWS wire name in error texts, minimum, maximum) [botocore lambda model].
_RANGES = {
    "batch_size": ("batchSize", 1, 10_000),
    "batching_window": ("maximumBatchingWindowInSeconds", 0, 300),
    "parallelization_factor": ("parallelizationFactor", 1, 10),
    "max_retry_attempts": ("maximumRetryAttempts", -1, 10_000),
    "max_record_age": ("maximumRecordAgeInSeconds", -1, 604_800),
    "tumbling_window": ("tumblingWindowInSeconds", 0, 900),
}


def validation_error(value: object, member: str, constraint: str) -> ValidationException:
    """AWS's server-side model validation error (the Coral "1 validation error detected" form)."""
    shown = "null" if value is None else f"'{value}'"
    return ValidationException(
        f"1 validation error detected: Value {shown} at '{member}' failed to satisfy "
        f"constraint: {constraint}"
    )


def _number(name: str, value: object, *, integral: bool) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise KinesimTypeError(
            f"{name} takes {'an int' if integral else 'a number of seconds'}, "
            f"got {value!r} of type {type(value).__name__}"
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise KinesimValueError(f"{name} must be finite, got {value!r}")
    if integral and not isinstance(value, int):
        if not value.is_integer():
            raise KinesimValueError(f"{name} takes a whole number, got {value!r}")
        return int(value)
    return value


def _ranged(name: str, value: object, *, integral: bool = True) -> int | float:
    number = _number(name, value, integral=integral)
    member, low, high = _RANGES[name]
    if number < low:
        raise validation_error(
            _show(number), member, f"Member must have value greater than or equal to {low}"
        )
    if number > high:
        raise validation_error(
            _show(number), member, f"Member must have value less than or equal to {high}"
        )
    return number


def _show(number: int | float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise KinesimTypeError(f"{name} takes True or False, got {value!r}")
    return value


def _filters(value: object) -> tuple[str, ...]:
    """Filter patterns as JSON strings (dicts are serialised), each compiled once to check it.

    Takes a list of patterns (dicts, JSON strings or ``{"Pattern": ...}`` entries) or AWS's
    ``FilterCriteria`` shape ``{"Filters": [{"Pattern": "..."}]}``.
    """
    if value is None:
        return ()
    if isinstance(value, dict) and set(value) == {"Filters"}:
        value = value["Filters"]
    if isinstance(value, (str, dict)):
        value = [value]
    if not isinstance(value, (list, tuple)):
        raise KinesimTypeError(
            f"filters takes a list of patterns (dicts or JSON strings), got {value!r}"
        )
    if len(value) > MAX_FILTERS:
        # ASSUMED text: AWS documents the quota of five filters, not the message.
        raise InvalidParameterValueException(
            f"The number of filters ({len(value)}) exceeds the limit of {MAX_FILTERS} filters "
            "per event source mapping.",
            Type="User",
        )
    patterns: list[str] = []
    for n, pattern in enumerate(value, start=1):
        if isinstance(pattern, dict) and set(pattern) == {"Pattern"}:
            pattern = pattern["Pattern"]
        if isinstance(pattern, dict):
            pattern = pattern_text(pattern)
        if not isinstance(pattern, str):
            raise KinesimTypeError(f"a filter pattern is a dict or a JSON string, got {pattern!r}")
        if len(pattern) > MAX_PATTERN_CHARS:
            raise validation_error(
                pattern,
                f"filterCriteria.filters.{n}.member.pattern",
                f"Member must have length less than or equal to {MAX_PATTERN_CHARS}",
            )
        parse_pattern(pattern)
        patterns.append(pattern)
    return tuple(patterns)


@dataclass(frozen=True, slots=True, kw_only=True)
class MappingSettings:
    """The validated, mutable-by-update settings of a mapping (seconds as AWS takes them)."""

    batch_size: int = 100
    batching_window: int | float = 0
    parallelization_factor: int = 1
    bisect_on_error: bool = False
    max_retry_attempts: int = -1
    max_record_age: int = -1
    on_failure: str | None = None
    report_batch_item_failures: bool = False
    tumbling_window: int = 0
    filters: tuple[str, ...] = ()

    @property
    def batching_window_ms(self) -> int:
        return round(self.batching_window * 1000)

    @property
    def max_record_age_ms(self) -> int:
        """-1 for no limit."""
        return -1 if self.max_record_age == -1 else self.max_record_age * 1000


def validate_starting_position(
    starting_position: object, timestamp: object
) -> tuple[str, float | None]:
    """``(position, timestamp_s)``; raise AWS's errors for a missing or unknown position."""
    if starting_position is None:
        raise InvalidParameterValueException(
            "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
            "constraint: Member must not be null.",
            Type="User",
        )
    if starting_position not in STARTING_POSITIONS:
        raise validation_error(
            starting_position,
            "startingPosition",
            f"Member must satisfy enum value set: {_ENUM_TEXT}",
        )
    position = str(starting_position)
    if position == "AT_TIMESTAMP":
        if timestamp is None:
            # ASSUMED text: AWS documents the rule, not the message.
            raise InvalidParameterValueException(
                "StartingPositionTimestamp must be provided with AT_TIMESTAMP starting position.",
                Type="User",
            )
        return position, float(_number("starting_position_timestamp", timestamp, integral=False))
    if timestamp is not None:
        raise InvalidParameterValueException(
            "StartingPositionTimestamp is only valid with AT_TIMESTAMP starting position.",
            Type="User",
        )
    return position, None


def validate_settings(base: MappingSettings, **changes: Any) -> MappingSettings:
    """``base`` with ``changes`` applied, every changed value validated. Unchanged = ``None``."""
    values: dict[str, Any] = {}
    for name, value in changes.items():
        if value is None:
            continue
        if name in ("bisect_on_error", "report_batch_item_failures"):
            values[name] = _bool(name, value)
        elif name == "batching_window":
            values[name] = _ranged(name, value, integral=False)
        elif name == "filters":
            values[name] = _filters(value)
        elif name == "on_failure":
            values[name] = value  # resolved to an ARN by the caller
        elif name in _RANGES:
            values[name] = int(_ranged(name, value))
        else:  # pragma: no cover - a kinesim bug, the callers pass known names
            raise KinesimTypeError(f"unknown mapping setting {name!r}")
    age = values.get("max_record_age")
    if age is not None and 0 <= age < 60:
        # AWS: "values less than 60 and greater than -1 fall within the parameter's absolute
        # range, they are not allowed" [botocore]; the text is AWS's answer.
        raise InvalidParameterValueException(
            "MaximumRecordAgeInSeconds must be either -1 (forever) or between 60 and 604800 "
            "(inclusive)",
            Type="User",
        )
    return replace(base, **values)
