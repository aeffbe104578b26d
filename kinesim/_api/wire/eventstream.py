"""AWS's binary event-stream framing (``application/vnd.amazon.eventstream``), as
SubscribeToShard's HTTP/2 response carries it: each message is a prelude (total length,
headers length, CRC32 of the two), headers, a payload and a CRC32 of the whole message."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Mapping

__all__ = ["message"]

_STRING = 7  # the header value type of a UTF-8 string


def _headers(headers: Mapping[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name, raw_value = name.encode(), value.encode()
        out += struct.pack("!B", len(raw_name)) + raw_name
        out += struct.pack("!BH", _STRING, len(raw_value)) + raw_value
    return bytes(out)


def message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """One event-stream message with string ``headers`` and ``payload``."""
    raw_headers = _headers(headers)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack("!II", total, len(raw_headers))
    prelude += struct.pack("!I", zlib.crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack("!I", zlib.crc32(body))
