"""Shard iterators and pagination tokens: opaque, authenticated, expiring strings.

A token is ``base64(mac || payload)`` where the payload names the stream (and its incarnation),
the shard, the position and the issue time, and ``mac`` is a truncated HMAC-SHA256 under a key
derived deterministically from the simulator's seed (``sim.random("kinesis.iterators")``). A
token edited by hand, or from a simulator with another seed, fails authentication and is refused
like AWS refuses a forged iterator. At most 512 characters, as AWS's ``ShardIterator`` shape
allows.

Simulators with the same seed are one world replayed: the key is the same, so they issue the same
tokens (a deterministic run must show the same ``ShardIterator`` strings every time), and a token
from one is accepted by the other, where it names the stream of that name, its shard and position.
Keying tokens to one simulator object would make them differ from run to run.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import NamedTuple

__all__ = ["ITERATOR_TTL_MS", "IteratorCodec", "IteratorState"]

#: "A shard iterator expires 5 minutes after it is returned to the requester." [BC-K]
ITERATOR_TTL_MS = 300_000
_MAC_BYTES = 12


class IteratorState(NamedTuple):
    kind: str  # "it" (shard iterator) or "ls" (ListShards token) ...
    stream_name: str
    stream_tag: int
    shard_index: int
    position: int
    issued_ms: int
    extra: str = ""


class IteratorCodec:
    """Encodes and authenticates tokens under one simulator's key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def encode(self, state: IteratorState) -> str:
        payload = "|".join(
            [
                state.kind,
                str(state.stream_tag),
                str(state.shard_index),
                str(state.position),
                str(state.issued_ms),
                state.extra,
                state.stream_name,
            ]
        ).encode()
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.b64encode(mac + payload).decode("ascii")

    def decode(self, token: str, kind: str) -> IteratorState | None:
        """The state in a token of ``kind`` this codec issued, or None."""
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            return None
        mac, payload = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]
        if len(mac) != _MAC_BYTES or not hmac.compare_digest(mac, expected):
            return None
        fields = payload.decode().split("|", 6)
        if len(fields) != 7 or fields[0] != kind:
            return None
        _, tag, index, position, issued, extra, name = fields
        return IteratorState(kind, name, int(tag), int(index), int(position), int(issued), extra)
