"""Checks of what a request carries on the wire, shared by the clients: text must be UTF-8,
timestamps must parse to a time ``datetime`` can hold, and Invoke's payload must be JSON.

Each is a small function the call sites use in one line, so the clients stay translations.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
from typing import Any

from kinesim._core.scheduler import MAX_MS, MIN_MS
from kinesim._core.text import not_utf8_reason, shown
from kinesim._errors import InvalidRequestContentException

__all__ = ["parse_invoke_payload", "text_errors", "timestamp_errors", "timestamp_seconds"]

_PARSE_FAILED = "Could not parse request body into json: Could not parse payload into json: "


def text_errors(value: str, path: str) -> list[str]:
    """The ParamValidationError line for text that UTF-8 cannot carry (empty if it can).

    botocore cannot send such text either: encoding the request fails for the query and
    rest protocols (SQS's old one, SNS, S3) with a raw ``UnicodeEncodeError``."""
    reason = not_utf8_reason(value)
    if reason is None:
        return []
    return [
        f"Invalid value for parameter {path}, value: {shown(value)}, type: <class 'str'>: {reason}"
    ]


def timestamp_seconds(value: Any) -> float | None:
    """A request timestamp (datetime, epoch seconds, ISO 8601 text or a number as text) as
    epoch seconds, or None if it does not parse to a time ``datetime`` can represent."""
    try:
        if isinstance(value, _dt.datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=_dt.timezone.utc)
            return float(value.timestamp())
        if isinstance(value, str):
            try:
                seconds = float(value)
            except ValueError:
                return timestamp_seconds(_dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        elif isinstance(value, (int, float)):
            seconds = float(value)
        else:
            return None
    except (ValueError, OverflowError):
        return None
    if not math.isfinite(seconds) or not MIN_MS / 1000 <= seconds <= MAX_MS / 1000:
        return None
    return seconds


def timestamp_errors(value: Any, path: str) -> list[str]:
    """botocore's ParamValidationError line for a timestamp it cannot parse (empty if fine).

    botocore reports a value ``parse_to_aware_datetime`` refuses as an invalid type; kinesim
    does the same for values outside what ``datetime`` holds (botocore would crash on some of
    them with a raw OverflowError)."""
    if timestamp_seconds(value) is not None:
        return []
    text = str(value)
    if not_utf8_reason(text) is not None:
        text = ascii(text)  # the message itself must stay printable
    return [
        f"Invalid type for parameter {path}, value: {text}, type: {type(value)}, "
        "valid types: <class 'datetime.datetime'>, timestamp-string"
    ]


def _non_standard(token: str) -> Any:
    raise ValueError(f"Non-standard token '{token}': JSON has no NaN or Infinity")


def parse_invoke_payload(raw: bytes) -> Any:
    """Invoke's payload as the event (an empty payload is ``{}``), or Lambda's
    ``InvalidRequestContentException`` for bytes that are not UTF-8 JSON (or nest too deep)."""
    if not raw:
        return {}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequestContentException(
            f"{_PARSE_FAILED}Invalid UTF-8 byte 0x{raw[exc.start]:02x} at offset {exc.start}",
            Type="User",
        ) from None
    try:
        return json.loads(text, parse_constant=_non_standard)
    except RecursionError:
        raise InvalidRequestContentException(
            f"{_PARSE_FAILED}the document is nested too deep", Type="User"
        ) from None
    except ValueError as exc:
        raise InvalidRequestContentException(f"{_PARSE_FAILED}{exc}", Type="User") from None
