"""The 128-bit hash key space: partition-key hashing, explicit hash keys and even ranges.

Kinesis maps a partition key to ``int.from_bytes(md5(key.encode("utf-8")).digest(), "big")`` (the
KCL's ``effectiveHashKey``) and routes the record to the open shard whose inclusive range holds it.
"""

from __future__ import annotations

import hashlib
import re

__all__ = [
    "LANE_KEY_MODULUS",
    "MAX_HASH_KEY",
    "even_ranges",
    "hash_key_of",
    "is_hash_key",
    "lane_key_of",
    "lane_key_of_hash",
]

#: The largest hash key, 2**128 - 1.
MAX_HASH_KEY = (1 << 128) - 1

HASH_KEY_PATTERN = r"0|([1-9]\d{0,38})"
_HASH_KEY = re.compile(HASH_KEY_PATTERN)


def hash_key_of(partition_key: str) -> int:
    """The hash key of ``partition_key``: MD5 of its UTF-8 bytes as an unsigned big-endian int."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8")).digest(), "big")


#: What a shard keeps of each record's partition-key hash for the event source mapping's lanes:
#: the hash's top 64 bits mod 2,520, the least common multiple of 1-10, so ``lane_key % N`` is
#: ``(top 64 bits) % N`` for every ParallelizationFactor N (1-10).
LANE_KEY_MODULUS = 2520


def lane_key_of_hash(hash_key: int) -> int:
    """The lane key of a partition key whose MD5 hash key is ``hash_key`` (not an explicit one)."""
    return (hash_key >> 64) % LANE_KEY_MODULUS


def lane_key_of(partition_key: str) -> int:
    """The lane key of ``partition_key`` (:data:`LANE_KEY_MODULUS`)."""
    return lane_key_of_hash(hash_key_of(partition_key))


def is_hash_key(text: str) -> bool:
    """Whether ``text`` matches AWS's ``HashKey`` pattern (decimal, <= 39 digits)."""
    return _HASH_KEY.fullmatch(text) is not None


def even_ranges(count: int, start: int = 0, end: int = MAX_HASH_KEY) -> list[tuple[int, int]]:
    """Split the inclusive range ``[start, end]`` into ``count`` contiguous inclusive ranges.

    Range ``i`` starts at ``start + i * (size // count)`` and the last one ends at ``end``: for the
    whole key space this is how AWS lays out a new stream's shards (3 shards: the second starts at
    113427455640312821154458202477256070485).
    """
    step = (end - start + 1) // count
    starts = [start + i * step for i in range(count)]
    ends = [*(s - 1 for s in starts[1:]), end]
    return list(zip(starts, ends, strict=True))
