"""A shard: an append-only, columnar log of records addressed by absolute position.

Position ``i`` is the ``i``-th record ever written to the shard (0-based, never reused).
``trim_index`` is the first retained position, ``end_index`` one past the last record.

Storage is columnar: parallel lists of data and partition keys, and ``array('q')`` columns of
arrival ms, sequence-clock ms and cumulative bytes, and an ``array('H')`` column of lane keys (the
partition key's MD5, as :func:`~kinesim._kinesis.hashing.lane_key_of`: what an event source
mapping's ParallelizationFactor needs to pick a record's lane without hashing the key again; 2
bytes a record). Sequence numbers are built from the position
on demand (see :mod:`kinesim._kinesis.sequence`), never stored as strings.

Trimmed records are released at once (their list slots are set to None, freeing the payloads);
the dead prefix of each column is deleted when it is at least half the column, so trimming costs
amortised O(1) per record.
"""

from __future__ import annotations

import itertools
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    InvalidArgumentException,
    KinesimTypeError,
    KinesimValueError,
)
from kinesim._kinesis import sequence
from kinesim._kinesis.hashing import lane_key_of
from kinesim._kinesis.throughput import WindowLimiter

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._kinesis.stream import Stream

__all__ = ["MIB", "Record", "Shard", "ShardRead"]

MIB = 1024 * 1024
#: GetRecords returns at most this many bytes per call.
MAX_READ_BYTES = 10 * MIB
#: GetRecords returns at most this many records per call.
MAX_READ_RECORDS = 10_000
WRITE_RECORDS_PER_S = 1000
WRITE_BYTES_PER_S = MIB
READ_CALLS_PER_S = 5
READ_BYTES_PER_S = 2 * MIB
# Compact the columns once the dead prefix is this long and at least half of them.
_COMPACT_MIN = 1024


@dataclass(frozen=True, slots=True)
class Record:
    """One record as a reader sees it (built on demand from the shard's columns)."""

    sequence_number: str
    arrival_ms: int
    data: bytes
    partition_key: str
    shard_id: str
    position: int
    encryption_type: str = "NONE"

    @property
    def approximate_arrival_timestamp(self) -> datetime:
        """The arrival time as an aware UTC datetime (millisecond precision)."""
        return datetime.fromtimestamp(self.arrival_ms // 1000, timezone.utc).replace(
            microsecond=(self.arrival_ms % 1000) * 1000
        )

    @property
    def size(self) -> int:
        """Data plus partition-key bytes, the size every Kinesis limit counts."""
        return len(self.data) + len(self.partition_key.encode("utf-8"))


@dataclass(frozen=True, slots=True)
class ShardRead:
    """The outcome of :meth:`Shard.read`: the slice ``[start, end)`` of absolute positions."""

    start: int
    end: int
    throttled: bool
    millis_behind_latest: int
    at_shard_end: bool
    bytes: int = 0

    @property
    def count(self) -> int:
        return self.end - self.start


class _ArrivalWaiter:
    """The handle :meth:`Shard.notify_on_arrival` returns."""

    __slots__ = ("_callback", "_shard", "cancelled", "scheduled")

    def __init__(self, shard: Shard, callback: Callable[[Shard], object]) -> None:
        self._shard = shard
        self._callback = callback
        self.cancelled = False
        self.scheduled = False

    def cancel(self) -> None:
        """Forget the callback (before or after it was scheduled, as long as it has not run)."""
        self.cancelled = True

    def _fire(self) -> None:
        if not self.cancelled:
            self.cancelled = True
            self._callback(self._shard)


class Shard:
    """One shard of a :class:`~kinesim._kinesis.stream.Stream`.

    Positional accessors (:meth:`data`, :meth:`sequence_number`, ...) take absolute positions in
    ``[trim_index, end_index)``; anything else raises :class:`~kinesim.KinesimValueError`.
    """

    __slots__ = (
        "_arrival",
        "_base",
        "_cum",
        "_cum_base",
        "_data",
        "_encryption",
        "_expiry_timer",
        "_keys",
        "_lane_keys",
        "_last_seq_ms",
        "_read_limiter",
        "_seq_ms",
        "_waiters",
        "_write_limiter",
        "adjacent_parent_shard_id",
        "closed",
        "closed_ms",
        "created_ms",
        "end_index",
        "hash_key_end",
        "hash_key_start",
        "index",
        "parent_shard_id",
        "shard_id",
        "stream",
        "trim_index",
    )

    def __init__(
        self,
        stream: Stream,
        index: int,
        hash_key_start: int,
        hash_key_end: int,
        *,
        parent_shard_id: str | None = None,
        adjacent_parent_shard_id: str | None = None,
        created_ms: int,
        seq_floor_ms: int = 0,
    ) -> None:
        self.stream = stream
        self.index = index
        self.shard_id = f"shardId-{index:012d}"
        self.hash_key_start = hash_key_start
        self.hash_key_end = hash_key_end
        self.parent_shard_id = parent_shard_id
        self.adjacent_parent_shard_id = adjacent_parent_shard_id
        self.created_ms = created_ms
        self.closed = False
        self.closed_ms: int | None = None
        self.trim_index = 0
        self.end_index = 0
        self._base = 0
        self._data: list[bytes | None] = []
        self._keys: list[str | None] = []
        self._arrival = array("q")
        self._seq_ms = array("q")
        self._lane_keys = array("H")
        # _cum[k] = bytes of every record up to and including column slot k, since the shard began.
        self._cum = array("q")
        self._cum_base = 0
        self._last_seq_ms = max(created_ms, seq_floor_ms)
        # (first position, encryption type) change points, ascending.
        self._encryption: list[tuple[int, str]] = [(0, stream.encryption_type)]
        self._write_limiter = WindowLimiter(WRITE_RECORDS_PER_S, WRITE_BYTES_PER_S)
        self._read_limiter = WindowLimiter(READ_CALLS_PER_S, READ_BYTES_PER_S)
        self._waiters: list[_ArrivalWaiter] = []
        self._expiry_timer: Handle | None = None

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return (
            f"<Shard {self.shard_id} of {self.stream.name} {state} "
            f"[{self.trim_index}, {self.end_index})>"
        )

    # -- positions ----------------------------------------------------------------------------

    @property
    def retained(self) -> int:
        """How many records the shard holds."""
        return self.end_index - self.trim_index

    @property
    def starting_sequence_number(self) -> str:
        return sequence.encode(self.created_ms, self.index, 0, self.stream.tag)

    @property
    def ending_sequence_number(self) -> str | None:
        """None while the shard is open; once closed, a number above every record's."""
        if not self.closed:
            return None
        return sequence.encode(self._last_seq_ms, self.index, self.end_index + 1, self.stream.tag)

    def _slot(self, i: int) -> int:
        if not self.trim_index <= i < self.end_index:
            raise KinesimValueError(
                f"position {i} is not held by {self.shard_id}: it holds "
                f"[{self.trim_index}, {self.end_index}) (earlier records were trimmed)"
            )
        return i - self._base

    def sequence_number(self, i: int) -> str:
        return sequence.encode(self._seq_ms[self._slot(i)], self.index, i + 1, self.stream.tag)

    def arrival_ms(self, i: int) -> int:
        return self._arrival[self._slot(i)]

    def data(self, i: int) -> bytes:
        value = self._data[self._slot(i)]
        assert value is not None
        return value

    def partition_key(self, i: int) -> str:
        value = self._keys[self._slot(i)]
        assert value is not None
        return value

    def record_size(self, i: int) -> int:
        k = self._slot(i)
        return self._cum[k] - (self._cum[k - 1] if k else self._cum_base)

    def bytes_between(self, start: int, end: int) -> int:
        """Data + key bytes of the held records at positions ``[start, end)``."""
        if end <= start:
            return 0
        a, b = self._slot(start), self._slot(end - 1)
        return self._cum[b] - (self._cum[a - 1] if a else self._cum_base)

    def encryption_type(self, i: int) -> str:
        """``"NONE"`` or ``"KMS"``: whether the record at ``i`` was written encrypted."""
        k = bisect_right(self._encryption, (i, "\uffff")) - 1
        return self._encryption[k][1]

    def record(self, i: int) -> Record:
        k = self._slot(i)
        data, key = self._data[k], self._keys[k]
        assert data is not None
        assert key is not None
        return Record(
            sequence.encode(self._seq_ms[k], self.index, i + 1, self.stream.tag),
            self._arrival[k],
            data,
            key,
            self.shard_id,
            i,
            self.encryption_type(i),
        )

    def records(self, start: int, end: int) -> list[Record]:
        """The held records at positions ``[start, end)``, oldest first."""
        if end <= start:
            return []
        self._slot(start)
        self._slot(end - 1)
        return [self.record(i) for i in range(start, end)]

    def columns(self, positions: Sequence[int]) -> tuple[list[bytes], list[str], Any, Any]:
        """``(data, partition keys, arrivals_ms, sequence clocks)`` of the held records at
        ``positions`` (ascending; a ``range`` when contiguous), as copies.

        NOTE: a reader's batch costs one bounds check and one C-level slice per column when the
        positions are contiguous (bench_esm), a gather otherwise.
        """
        if not positions:
            return [], [], array("q"), array("q")
        self._slot(positions[0])
        self._slot(positions[-1])
        base = self._base
        if len(positions) == 1 or (isinstance(positions, range) and positions.step == 1):
            a, b = positions[0] - base, positions[-1] + 1 - base
            data, keys = self._data[a:b], self._keys[a:b]
            return data, keys, self._arrival[a:b], self._seq_ms[a:b]  # type: ignore[return-value]
        # NOTE: a lane's batch (ParallelizationFactor > 1) is a gather: one C-level itemgetter
        # per column rather than a Python loop per record and column.
        gather = itemgetter(*[p - base for p in positions] if base else positions)
        return (
            list(gather(self._data)),
            list(gather(self._keys)),
            array("q", gather(self._arrival)),
            array("q", gather(self._seq_ms)),
        )

    def lane_keys(self, start: int, end: int) -> Any:
        """The lane keys (``array('H')``, see :func:`~kinesim._kinesis.hashing.lane_key_of`) of
        the held records at positions ``[start, end)``."""
        if end <= start:
            return array("H")
        self._slot(start)
        self._slot(end - 1)
        base = self._base
        return self._lane_keys[start - base : end - base]

    def position_of(self, sequence_number: str, *, operation: str = "GetShardIterator") -> int:
        """The position a sequence number of this shard designates (``AT_SEQUENCE_NUMBER``).

        The shard's starting sequence number gives 0; a closed shard's ending sequence number
        gives ``end_index``. A number from another shard or stream raises AWS's
        ``InvalidArgumentException``.
        """
        return self._locate(sequence_number, operation)[0]

    def _locate(self, number: str, operation: str) -> tuple[int, bool]:
        """``(position, is_record)`` for a sequence number of this shard."""
        parts = sequence.decode(number) if isinstance(number, str) else None
        if parts is not None and parts.stream_tag == self.stream.tag:
            if parts.shard_index != self.index:
                raise InvalidArgumentException(
                    f"Invalid StartingSequenceNumber. It encodes shardId-{parts.shard_index:012d}, "
                    f"while it was used in a call to a shard with {self.shard_id}"
                )
            p = parts.p
            if p == 0 and parts.time_ms == self.created_ms:
                return 0, False
            if 1 <= p <= self.end_index:
                i = p - 1
                if i < self.trim_index or self._seq_ms[i - self._base] == parts.time_ms:
                    return i, True
            elif self.closed and p == self.end_index + 1 and parts.time_ms == self._last_seq_ms:
                return self.end_index, False
        raise InvalidArgumentException(
            f"StartingSequenceNumber {number} used in {operation} on shard {self.shard_id} "
            f"in stream {self.stream.name} under account {self.stream.account_id} "
            "is invalid because it did not come from this stream."
        )

    def position_at_timestamp(self, timestamp_ms: int) -> int:
        """The first held position whose arrival is at or after ``timestamp_ms``."""
        k = bisect_left(self._arrival, timestamp_ms, self.trim_index - self._base)
        return self._base + k

    # -- writing ------------------------------------------------------------------------------

    def _append(
        self, data: bytes, key: str, size: int, lane_key: int, now_ms: int, floor_ms: int
    ) -> int:
        """Append a record (limits already charged); returns its position."""
        seq_ms = now_ms if now_ms > self._last_seq_ms else self._last_seq_ms
        if floor_ms > seq_ms:
            seq_ms = floor_ms
        self._last_seq_ms = seq_ms
        position = self.end_index
        self._data.append(data)
        self._keys.append(key)
        self._arrival.append(now_ms)
        self._seq_ms.append(seq_ms)
        self._lane_keys.append(lane_key)
        self._cum.append((self._cum[-1] if self._cum else self._cum_base) + size)
        self.end_index = position + 1
        if self._expiry_timer is None:
            self.stream._schedule_expiry(self)
        if self._waiters:
            self._wake()
        return position

    def _wake(self) -> None:
        waiters, self._waiters = self._waiters, []
        sim = self.stream.sim
        for waiter in waiters:
            if not waiter.cancelled and not waiter.scheduled:
                waiter.scheduled = True
                sim.call_at_ms(sim.now_ms, waiter._fire)

    def notify_on_arrival(self, callback: Callable[[Shard], Any]) -> _ArrivalWaiter:
        """Schedule ``callback(shard)`` once, at the time of the next put to this shard (or
        when the shard closes; at once if it is already closed).

        The callback never runs inside the put: it is queued at the put's virtual time. A second
        put before it runs does not queue it again. Returns a handle whose ``cancel()`` forgets
        it.
        """
        if not callable(callback):
            raise KinesimTypeError(f"notify_on_arrival takes a callable, got {callback!r}")
        waiter = _ArrivalWaiter(self, callback)
        if self.closed:
            # Nothing will arrive any more: tell the reader now (it will see the shard's end).
            waiter.scheduled = True
            sim = self.stream.sim
            sim.call_at_ms(sim.now_ms, waiter._fire)
            return waiter
        self._waiters = [w for w in self._waiters if not w.cancelled]
        self._waiters.append(waiter)
        return waiter

    # -- reading ------------------------------------------------------------------------------

    def _slice(self, start: int, limit: int, max_bytes: int) -> tuple[int, int, int]:
        """``(start, end, bytes)``: up to ``limit`` records from ``start`` within ``max_bytes``
        (at least one record if any is there, as a record is never over the read cap)."""
        start = max(start, self.trim_index)
        stop = min(self.end_index, start + limit)
        if start >= stop:
            return start, start, 0
        a = start - self._base
        before = self._cum[a - 1] if a else self._cum_base
        # NOTE: bisect on the cumulative-bytes column: O(log n) per read instead of a loop.
        k = bisect_right(self._cum, before + max_bytes, a, stop - self._base)
        if k == a:
            k = a + 1
        return start, self._base + k, self._cum[k - 1] - before

    def peek(
        self, start: int, *, limit: int = MAX_READ_RECORDS, max_bytes: int = MAX_READ_BYTES
    ) -> tuple[int, int]:
        """The slice :meth:`read` would return, without charging any limit."""
        self.stream._expire_due(self)
        first, end, _ = self._slice(start, limit, max_bytes)
        return first, end

    def read(
        self, start: int, *, limit: int = MAX_READ_RECORDS, max_bytes: int = MAX_READ_BYTES
    ) -> ShardRead:
        """A GetRecords-equivalent from position ``start``: charges the shard's shared read
        limits (5 calls/s, 2 MiB/s, debt carried; see :mod:`~kinesim._kinesis.throughput`)."""
        stream = self.stream
        stream._expire_due(self)
        sim = stream.sim
        now_ms = sim.now_ms
        if sim.limits.kinesis_throughput and not self._read_limiter.read_fits(now_ms):
            first = max(start, self.trim_index)
            stream._on_read_throttled(self)
            return ShardRead(first, first, True, self._behind(first, now_ms), False)
        first, end, size = self._slice(start, limit, max_bytes)
        if sim.limits.kinesis_throughput:
            self._read_limiter.charge(1, size)
        at_end = self.closed and end == self.end_index
        result = ShardRead(first, end, False, self._behind(end, now_ms), at_end, size)
        stream._on_read(self, result)
        return result

    def _behind(self, position: int, now_ms: int) -> int:
        if position >= self.end_index:
            return 0
        return max(0, now_ms - self._arrival[position - self._base])

    # -- retention ----------------------------------------------------------------------------

    def _trim_before(self, position: int) -> tuple[int, int]:
        """Drop held records before ``position``; returns (records, bytes) dropped."""
        if position <= self.trim_index:
            return 0, 0
        dropped_bytes = self.bytes_between(self.trim_index, position)
        count = position - self.trim_index
        data, keys = self._data, self._keys
        for k in range(self.trim_index - self._base, position - self._base):
            data[k] = None
            keys[k] = None
        self.trim_index = position
        dead = position - self._base
        if dead >= _COMPACT_MIN and dead * 2 >= len(data):
            self._cum_base = self._cum[dead - 1]
            del data[:dead], keys[:dead], self._arrival[:dead], self._seq_ms[:dead]
            del self._lane_keys[:dead]
            del self._cum[:dead]
            self._base = position
        return count, dropped_bytes

    def _release(self) -> None:
        """Drop every column once nothing is held any more (an expired or deleted shard)."""
        self._trim_before(self.end_index)
        if self._cum:
            self._cum_base = self._cum[-1]
        self._data, self._keys = [], []
        self._arrival, self._seq_ms, self._cum = array("q"), array("q"), array("q")
        self._lane_keys = array("H")
        self._base = self.end_index

    # -- invariants ---------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert the shard's invariants (for tests and the state machine)."""
        n = self.end_index - self._base
        assert len(self._data) == len(self._keys) == len(self._arrival) == n
        assert len(self._seq_ms) == len(self._cum) == len(self._lane_keys) == n
        assert 0 <= self._base <= self.trim_index <= self.end_index
        assert self.hash_key_start <= self.hash_key_end
        now_ms = self.stream.sim.now_ms
        retention_ms = self.stream.retention_ms
        prev_arrival, prev_seq, prev_cum = -1, -1, self._cum_base
        for k in range(self.trim_index - self._base, n):
            data, key = self._data[k], self._keys[k]
            assert isinstance(data, bytes)
            assert isinstance(key, str)
            assert self._lane_keys[k] == lane_key_of(key), "a lane key not the key's MD5"
            assert self._arrival[k] >= prev_arrival, "arrival times decrease"
            assert self._seq_ms[k] >= prev_seq
            assert self._seq_ms[k] >= self._arrival[k]
            assert self._arrival[k] + retention_ms > now_ms, "a record outlived retention"
            if k:
                prev_cum = self._cum[k - 1]
            assert self._cum[k] - prev_cum == len(data) + len(key.encode("utf-8"))
            prev_arrival, prev_seq = self._arrival[k], self._seq_ms[k]
        for k in range(self.trim_index - self._base):
            assert self._data[k] is None
            assert self._keys[k] is None
        numbers = [self.sequence_number(i) for i in range(self.trim_index, self.end_index)]
        assert all(int(a) < int(b) for a, b in itertools.pairwise(numbers))
        if self.closed:
            assert self.closed_ms is not None
            assert not self._waiters
