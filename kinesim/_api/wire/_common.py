"""What every protocol shares: the response value, blobs, timestamps in AWS's three formats."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any

__all__ = ["WireResponse", "blob_bytes", "blob_text", "timestamp"]


@dataclass(frozen=True, slots=True)
class WireResponse:
    """An HTTP response: status, headers, and a body given whole or as a stream of chunks
    (``close`` then stops the stream's source)."""

    status: int
    headers: dict[str, str]
    body: bytes = b""
    chunks: Iterator[bytes] | None = None
    close: Callable[[], None] | None = None


def blob_bytes(value: Any) -> bytes:
    """A blob member (bytes, str, or a readable body) as bytes."""
    if type(value) is bytes:  # NOTE: the common case first (bench_boto3: 20,000 a run)
        return value
    if callable(getattr(value, "read", None)):
        value = value.read()
    if isinstance(value, str):
        return value.encode()
    return bytes(value)


def blob_text(value: Any) -> str:
    """A blob as the base64 text JSON and XML bodies carry."""
    return base64.b64encode(blob_bytes(value)).decode()


def _datetime(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    return datetime.fromtimestamp(float(value), timezone.utc)


def timestamp(value: Any, fmt: str) -> Any:
    """``value`` (a datetime or epoch seconds) in ``fmt``: ``unixTimestamp`` (a number),
    ``iso8601`` or ``rfc822`` (text)."""
    if isinstance(value, str):
        return value  # already as the service writes it
    if fmt == "unixTimestamp" and type(value) is datetime and value.tzinfo is not None:
        return round(value.timestamp(), 3)  # NOTE: the common case, without the detour
    when = _datetime(value)
    if fmt == "unixTimestamp":
        return round(when.timestamp(), 3)
    if fmt == "rfc822":
        return format_datetime(when, usegmt=True)
    text = when.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{when.microsecond // 1000:03d}Z"
