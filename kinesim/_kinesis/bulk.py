"""A bulk PutRecords for kinesim's own producers (the capacity what-if's): same semantics, less
work per record.

:func:`put_bulk` is ``stream.put_records(list(zip(data, keys)))`` minus the per-record result
objects: it validates, routes, charges the write limits and appends records in the same order,
emits the same metrics and trace event, and returns which entries were throttled and where the
others went (positions, not sequence-number strings: a caller that wants a record's sequence
number asks ``shard.sequence_number(position)``).

NOTE: where the time goes, and why this is faster (measured in ``benchmarks/bench_whatif.py``):
each partition key's MD5 hash key and UTF-8 length are cached (keys repeat: a workload has a few
thousand); each shard's columns grow once per call (``list.extend``, ``array.extend``, cumulative
bytes by ``itertools.accumulate``) instead of once per record; and no 56-digit sequence number is
formatted per record. A test pins it to ``put_records``: same shards, columns, metrics and trace.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING

from kinesim._errors import InvalidArgumentException, KinesimValueError
from kinesim._kinesis.hashing import hash_key_of, lane_key_of_hash

if TYPE_CHECKING:
    from kinesim._kinesis.shard import Shard
    from kinesim._kinesis.stream import Stream

__all__ = ["BulkPutResult", "ShardColumns", "append_many", "group_by_shard", "put_bulk"]

#: Per shard, its entries of one PutRecords in request order: data, keys, sizes, request
#: indices and lane keys.
ShardColumns = tuple[list[bytes], list[str], list[int], list[int], list[int]]

_MAX_ENTRIES = 500
_MAX_REQUEST_BYTES = 10 * 1024 * 1024
# key -> (hash key, UTF-8 length, lane key). Keys are validated before they are cached.
_KEYS: dict[str, tuple[int, int, int]] = {}
_KEYS_MAX = 1_000_000


class BulkPutResult:
    """Which entries were throttled (indices into the request) and, per shard that took
    records, ``(shard, first position, count)`` in the order the shards first took one."""

    __slots__ = ("appended", "failed")

    def __init__(self, failed: list[int], appended: list[tuple[Shard, int, int]]) -> None:
        self.failed = failed
        self.appended = appended


def _key_info(stream: Stream, data: bytes, key: str, index: int) -> tuple[int, int, int]:
    info = _KEYS.get(key)
    if info is None:
        # Validates the entry exactly as put_records does (same AWS error text on failure).
        stream._validate_entry(data, key, None, index)
        if len(_KEYS) >= _KEYS_MAX:
            _KEYS.clear()
        hash_key = hash_key_of(key)
        info = _KEYS[key] = (hash_key, len(key.encode("utf-8")), lane_key_of_hash(hash_key))
    return info


def append_many(
    shard: Shard, data: list[bytes], keys: list[str], sizes: list[int], lane_keys: list[int]
) -> int:
    """``shard._append`` for many records at one instant; returns the first position."""
    now_ms = shard.stream.sim.now_ms
    seq_ms = now_ms if now_ms > shard._last_seq_ms else shard._last_seq_ms
    shard._last_seq_ms = seq_ms
    n = len(data)
    first = shard.end_index
    shard._data.extend(data)
    shard._keys.extend(keys)
    shard._arrival.extend([now_ms] * n)
    shard._seq_ms.extend([seq_ms] * n)
    shard._lane_keys.extend(lane_keys)
    base = shard._cum[-1] if shard._cum else shard._cum_base
    shard._cum.extend(accumulate(sizes, initial=base))
    del shard._cum[-n - 1]  # accumulate's initial value
    shard.end_index = first + n
    if shard._expiry_timer is None:
        shard.stream._schedule_expiry(shard)
    if shard._waiters:
        shard._wake()
    return first


def group_by_shard(
    opens: Sequence[Shard],
    starts: Sequence[int],
    parsed: Sequence[tuple[bytes, str, int, int, int]],
) -> dict[Shard, ShardColumns]:
    """Validated PutRecords entries ``(data, key, size, hash key, lane key)`` routed to the open
    shards (``starts``: their first hash keys) when there is no write limit to charge; the
    shards in the order they first took an entry.

    NOTE: the put path of bench_esm without throughput limits: one bisect per entry, then a
    stable C-level sort of the request indices by shard and one C-level gather per column,
    instead of five list appends per entry. Same grouping and order as routing one by one.
    """
    routes = [bisect_right(starts, entry[3]) for entry in parsed]
    order = sorted(range(len(routes)), key=routes.__getitem__)
    sorted_routes = list(map(routes.__getitem__, order))
    data, keys, sizes, _, lane_keys = zip(*parsed, strict=True)
    grouped: dict[Shard, ShardColumns] = {}
    for route in dict.fromkeys(routes):
        slots = order[bisect_left(sorted_routes, route) : bisect_right(sorted_routes, route)]
        grouped[opens[route - 1]] = (
            list(map(data.__getitem__, slots)),
            list(map(keys.__getitem__, slots)),
            list(map(sizes.__getitem__, slots)),
            slots,
            list(map(lane_keys.__getitem__, slots)),
        )
    return grouped


def put_bulk(stream: Stream, data: Sequence[bytes], keys: Sequence[str]) -> BulkPutResult:
    """PutRecords of ``zip(data, keys)`` (1-500 entries), as :meth:`Stream.put_records`."""
    stream._require_writable()
    n = len(keys)
    if not 1 <= n <= _MAX_ENTRIES or len(data) != n:
        raise KinesimValueError(
            f"put_bulk takes 1-{_MAX_ENTRIES} entries with as many keys as data, "
            f"got {len(data)} data and {n} keys"
        )
    max_record = stream._max_record_bytes()
    infos = [_key_info(stream, data[i], key, i) for i, key in enumerate(keys)]
    sizes = [len(d) + info[1] for d, info in zip(data, infos, strict=True)]
    for index, size in enumerate(sizes):
        if size > max_record:
            stream._validate_entry(data[index], keys[index], None, index)  # raises AWS's error
    if sum(sizes) > _MAX_REQUEST_BYTES:
        raise InvalidArgumentException(
            f"Records size exceeds {_MAX_REQUEST_BYTES // (1024 * 1024)} MB limit"
        )
    sim = stream.sim
    now_ms = sim.now_ms
    limits_on = sim.limits.kinesis_throughput
    window_ms = now_ms - now_ms % 1000  # the write limiter's one-second window
    opens, starts = stream._open, stream._open_starts
    failed: list[int] = []
    throttled: dict[Shard, int] = {}
    per_shard: dict[Shard, tuple[list[bytes], list[str], list[int], list[int]]] = {}
    for index in range(n):
        shard = opens[bisect_right(starts, infos[index][0]) - 1]
        size = sizes[index]
        if limits_on:
            limiter = shard._write_limiter
            # NOTE: WindowLimiter.write_fits(now_ms, 1, size), inlined (one call per record).
            if limiter.window_ms != window_ms:
                limiter._roll(now_ms)
            used = limiter.used_bytes
            if limiter.count >= limiter.count_limit or (
                used + size > limiter.bytes_limit and not (size > limiter.bytes_limit and not used)
            ):
                throttled[shard] = throttled.get(shard, 0) + 1
                failed.append(index)
                continue
            limiter.count += 1
            limiter.used_bytes += size
        columns = per_shard.get(shard)
        if columns is None:
            columns = per_shard[shard] = ([], [], [], [])
        columns[0].append(data[index])
        columns[1].append(keys[index])
        columns[2].append(size)
        columns[3].append(infos[index][2])
    appended: list[tuple[Shard, int, int]] = []
    ok_bytes = 0
    for shard, (shard_data, shard_keys, shard_sizes, lane_keys) in per_shard.items():
        first = append_many(shard, shard_data, shard_keys, shard_sizes, lane_keys)
        if shard._last_seq_ms > stream._max_seq_ms:
            stream._max_seq_ms = shard._last_seq_ms
        appended.append((shard, first, len(shard_data)))
        ok_bytes += sum(shard_sizes)
    ok = n - len(failed)
    metric = stream._metric
    metric("PutRecords.Success", "Count").add(now_ms, 1)
    metric("PutRecords.TotalRecords", "Count").add(now_ms, n)
    metric("PutRecords.SuccessfulRecords", "Count").add(now_ms, ok)
    metric("PutRecords.ThrottledRecords", "Count").add(now_ms, len(failed))
    metric("PutRecords.FailedRecords", "Count").add(now_ms, 0)
    metric("PutRecords.Bytes", "Bytes").add(now_ms, ok_bytes)
    for shard, _, count in appended:
        stream._count_incoming(shard, count, sum(per_shard[shard][2]))
    if throttled:
        stream._count_write_throttles(throttled)
    if sim.trace.wants("kinesis.put"):
        sim.trace.emit(
            "kinesis.put",
            stream=stream.name,
            records=ok,
            failed=len(failed),
            bytes=ok_bytes,
            shards=sorted(s.shard_id for s in per_shard),
        )
    return BulkPutResult(failed, appended)
