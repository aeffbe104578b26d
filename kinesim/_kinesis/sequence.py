"""Sequence numbers: 56-digit decimal strings that encode time, shard, position and stream.

Layout (decimal digits, left to right)::

    49 | T (15) | S (12) | P (20) | G (7)

- ``49``: a constant prefix, as real sequence numbers have.
- ``T``: the shard's *sequence clock* in epoch ms: the arrival time, raised when needed so that it
  never decreases within the shard and so that ``sequence_number_for_ordering`` is honoured.
  Leading, so a later write gets a larger number, whatever the shard.
- ``S``: the shard's index (``shardId-000000000007`` -> 7), so a number used on another shard is
  recognised ("It encodes shardId-...").
- ``P``: the record's absolute position in the shard plus one. ``P = 0`` is the shard's starting
  sequence number; a closed shard's ending sequence number has ``P = end_index + 1``.
- ``G``: a tag of the stream (from its ARN and creation time), so numbers from another stream, or
  from an earlier stream of the same name, are refused as "did not come from this stream".

Within a shard ``(T, P)`` strictly increases, and ``S`` makes numbers unique in the stream. The
shard stores only ``T`` per record (an ``array('q')``); the string is built on demand.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

__all__ = ["SEQUENCE_NUMBER_PATTERN", "SequenceParts", "decode", "encode", "is_sequence_number"]

SEQUENCE_NUMBER_PATTERN = r"0|([1-9]\d{0,128})"
_SEQUENCE = re.compile(SEQUENCE_NUMBER_PATTERN)
_LENGTH = 56
_PREFIX = "49"


class SequenceParts(NamedTuple):
    time_ms: int
    shard_index: int
    p: int
    stream_tag: int


def stream_tag(stream_arn: str, created_ms: int) -> int:
    """The 7-digit tag that ties a sequence number to one incarnation of a stream."""
    digest = hashlib.sha256(f"{stream_arn}:{created_ms}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % 10_000_000


def encode(time_ms: int, shard_index: int, p: int, tag: int) -> str:
    """The sequence number with these parts (see the module docstring)."""
    return f"{_PREFIX}{time_ms:015d}{shard_index:012d}{p:020d}{tag:07d}"


def decode(number: str) -> SequenceParts | None:
    """The parts of a number kinesim issued, or None if it does not have kinesim's layout."""
    if len(number) != _LENGTH or not number.startswith(_PREFIX) or not number.isdigit():
        return None
    return SequenceParts(
        int(number[2:17]), int(number[17:29]), int(number[29:49]), int(number[49:])
    )


def is_sequence_number(text: str) -> bool:
    """Whether ``text`` matches AWS's ``SequenceNumber`` pattern."""
    return _SEQUENCE.fullmatch(text) is not None
