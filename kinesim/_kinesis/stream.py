"""A Kinesis data stream: its shards, routing, writes, retention, resharding and state.

The stream owns its shards (creation order), keeps the open ones sorted by hash key for routing,
trims records on a timer at the oldest record's expiry, and runs control-plane changes through
:attr:`Simulator.timings` (instant by default).
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from hashlib import md5
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import seconds_to_ms
from kinesim._errors import (
    InvalidArgumentException,
    KinesimTypeError,
    LimitExceededException,
    ProvisionedThroughputExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from kinesim._kinesis import sequence
from kinesim._kinesis.bulk import append_many
from kinesim._kinesis.fanout.consumers import StreamConsumersMixin
from kinesim._kinesis.hashing import HASH_KEY_PATTERN, MAX_HASH_KEY, even_ranges, hash_key_of
from kinesim._kinesis.shard import MIB, Shard, ShardRead
from kinesim._kinesis.validate import (
    as_bytes,
    check_enum,
    check_int,
    check_list,
    check_str,
    fail,
)

if TYPE_CHECKING:
    from kinesim._kinesis.service import KinesisService
    from kinesim._observe.metrics import Series
    from kinesim._simulator import Simulator

__all__ = [
    "PutRecordResult",
    "PutRecordsResult",
    "PutRecordsResultEntry",
    "Stream",
]

NS = "AWS/Kinesis"
#: kinesim's own metrics (AWS has no metric for records lost to retention).
KINESIM_NS = "kinesim/Kinesis"
HOUR_MS = 3_600_000
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
MAX_PUT_RECORDS = 500
MAX_PUT_RECORDS_BYTES = 10 * MIB
MAX_SHARDS_PER_STREAM = 10_000
SHARD_LEVEL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
)
_SCALINGS_PER_DAY = 10
_DAY_MS = 86_400_000


@dataclass(frozen=True, slots=True)
class PutRecordResult:
    shard_id: str
    sequence_number: str
    encryption_type: str = "NONE"


@dataclass(frozen=True, slots=True)
class PutRecordsResultEntry:
    """One entry of a PutRecords result: a sequence number, or an error code and message."""

    shard_id: str | None = None
    sequence_number: str | None = None
    error_code: str | None = None
    error_message: str | None = None

    @property
    def ok(self) -> bool:
        return self.error_code is None


@dataclass(frozen=True, slots=True)
class PutRecordsResult:
    failed_record_count: int
    records: list[PutRecordsResultEntry]
    encryption_type: str = "NONE"


def _epoch_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, timezone.utc).replace(microsecond=(ms % 1000) * 1000)


class Stream(StreamConsumersMixin):
    """A Kinesis data stream. Create one with ``sim.kinesis.create_stream``."""

    def __init__(
        self,
        service: KinesisService,
        name: str,
        *,
        shard_count: int,
        mode: str,
        retention_hours: int,
        max_record_size_kib: int,
        tags: Mapping[str, str],
    ) -> None:
        sim = service.sim
        self.sim: Simulator = sim
        self.service = service
        self.name = name
        self.account_id = sim.account_id
        self.arn = f"arn:aws:kinesis:{sim.region}:{sim.account_id}:stream/{name}"
        self.created_ms = sim.now_ms
        self.tag = sequence.stream_tag(self.arn, self.created_ms)
        self.status = "CREATING"
        self.mode = mode
        self.retention_ms = retention_hours * HOUR_MS
        self.max_record_size_kib = max_record_size_kib
        self.tags: dict[str, str] = dict(tags)
        self.encryption_type = "NONE"
        self.key_id: str | None = None
        self.shard_level_metrics: set[str] = set()
        #: Enhanced fan-out consumers by name (the fan-out module registers them here).
        self._consumers: dict[str, Any] = {}
        self._next_index = 0
        self._shards: dict[str, Shard] = {}  # live (non-expired) shards, creation order
        self._open: list[Shard] = []
        self._open_starts: list[int] = []
        self._children: dict[str, list[Shard]] = {}
        self._lineage: dict[str, tuple[str | None, str | None]] = {}
        self._scalings_ms: list[int] = []
        self._mode_switches_ms: list[int] = []
        # The largest sequence clock any shard has used: numbers above it were never issued.
        self._max_seq_ms = self.created_ms
        self._deleted = False
        for start, end in even_ranges(shard_count):
            self._new_shard(start, end)
        self._reroute()
        self._series: dict[tuple[str, str], Series] = {}

    def __repr__(self) -> str:
        return f"<Stream {self.name} {self.status} {len(self._open)} open shards>"

    # -- shards -------------------------------------------------------------------------------

    @property
    def shards(self) -> list[Shard]:
        """Every non-expired shard, open and closed, in creation order."""
        return list(self._shards.values())

    def open_shards(self) -> list[Shard]:
        """The open shards, ordered by hash key."""
        return list(self._open)

    def shard(self, shard_id: str) -> Shard:
        """The shard ``shard_id``; ``ResourceNotFoundException`` if it does not exist (any more)."""
        shard = self._shards.get(shard_id) if isinstance(shard_id, str) else None
        if shard is None:
            raise ResourceNotFoundException(
                f"Shard {shard_id} in stream {self.name} under account {self.account_id} "
                "does not exist"
            )
        return shard

    def children_of(self, shard_id: str) -> list[Shard]:
        """The shards created from ``shard_id`` by a split or merge (empty while it is open).

        Expired children are included: a reader that reaches the end of a parent late can walk
        through them (they read as closed and empty) to the shards that followed.
        """
        return list(self._children.get(_shard_id(shard_id), []))

    def child_shards(self, shard_id: str) -> list[dict[str, Any]]:
        """AWS's ``ChildShards`` for a closed shard: each child, its parents, its hash key range
        (what GetRecords and SubscribeToShard return at the end of a shard)."""
        children = []
        for child in self.children_of(shard_id):
            parents = [p for p in (child.parent_shard_id, child.adjacent_parent_shard_id) if p]
            children.append(
                {
                    "ShardId": child.shard_id,
                    "ParentShards": parents,
                    "HashKeyRange": {
                        "StartingHashKey": str(child.hash_key_start),
                        "EndingHashKey": str(child.hash_key_end),
                    },
                }
            )
        return children

    def parents_of(self, shard_id: str) -> tuple[str | None, str | None]:
        """``(parent_shard_id, adjacent_parent_shard_id)`` of any shard ever in the stream."""
        return self._lineage.get(_shard_id(shard_id), (None, None))

    def shard_for_key(self, partition_key: str, explicit_hash_key: str | None = None) -> Shard:
        """The open shard a record with this key would go to now (validated like a put)."""
        self._require_writable()
        hash_key = self._validate_entry(b"", partition_key, explicit_hash_key, None)[3]
        return self._route(hash_key)

    def _route(self, hash_key: int) -> Shard:
        return self._open[bisect_right(self._open_starts, hash_key) - 1]

    def _new_shard(
        self,
        start: int,
        end: int,
        parent: str | None = None,
        adjacent: str | None = None,
        seq_floor_ms: int = 0,
    ) -> Shard:
        shard = Shard(
            self,
            self._next_index,
            start,
            end,
            parent_shard_id=parent,
            adjacent_parent_shard_id=adjacent,
            created_ms=self.sim.now_ms,
            seq_floor_ms=seq_floor_ms,
        )
        self._next_index += 1
        self._shards[shard.shard_id] = shard
        self._lineage[shard.shard_id] = (parent, adjacent)
        for p in (parent, adjacent):
            if p is not None:
                self._children.setdefault(p, []).append(shard)
        return shard

    def _reroute(self) -> None:
        self._open = sorted((s for s in self._shards.values() if not s.closed), key=_start_of)
        self._open_starts = [s.hash_key_start for s in self._open]

    def _close(self, shard: Shard) -> None:
        shard.closed = True
        shard.closed_ms = self.sim.now_ms
        # Readers parked at the end of an open shard must learn that it closed.
        shard._wake()
        self._schedule_expiry(shard)

    # -- status -------------------------------------------------------------------------------

    def _require_writable(self) -> None:
        if self._deleted:
            raise ResourceNotFoundException(
                f"Stream {self.name} under account {self.account_id} not found."
            )
        if self.status == "CREATING":
            raise ResourceInUseException(
                f"Stream {self.name} under account {self.account_id} not ACTIVE or UPDATING, "
                f"instead in state {self.status}"
            )

    def _require_active(self) -> None:
        self._require_writable()
        if self.status != "ACTIVE":
            raise ResourceInUseException(
                f"Stream {self.name} under account {self.account_id} not ACTIVE, "
                f"instead in state {self.status}"
            )

    def _require_provisioned(self, operation: str) -> None:
        if self.mode != "PROVISIONED":
            raise ValidationException(
                f"{operation} is not supported for stream {self.name} under account "
                f"{self.account_id} in ON_DEMAND capacity mode. This API is only supported for "
                "data streams with the provisioned capacity mode."
            )

    def _control(self, apply: Callable[[], None], kind: str, **fields: Any) -> None:
        """Run a control-plane change: at once, or after ``timings.stream_update_s`` in UPDATING."""
        delay_ms = seconds_to_ms(self.sim.timings.stream_update_s, "stream_update_s")
        if delay_ms == 0:
            apply()
            self.sim.trace.emit(kind, stream=self.name, **fields)
            return
        self.status = "UPDATING"

        def finish() -> None:
            if self._deleted or self.status == "DELETING":
                return
            apply()
            self.status = "ACTIVE"
            self.sim.trace.emit(kind, stream=self.name, **fields)

        self.sim.call_later_ms(delay_ms, finish)

    # -- metrics ------------------------------------------------------------------------------

    def _metric(self, name: str, unit: str) -> Series:
        key = (name, "")
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self.sim.metrics.handle(
                NS, name, {"StreamName": self.name}, unit
            )
        return series

    def _shard_metric(self, shard: Shard, name: str, unit: str) -> Series | None:
        if name not in self.shard_level_metrics and "ALL" not in self.shard_level_metrics:
            return None
        key = (name, shard.shard_id)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self.sim.metrics.handle(
                NS, name, {"StreamName": self.name, "ShardId": shard.shard_id}, unit
            )
        return series

    def _count_incoming(self, shard: Shard, records: int, size: int) -> None:
        now_ms = self.sim.now_ms
        self._metric("IncomingRecords", "Count").add(now_ms, records)
        self._metric("IncomingBytes", "Bytes").add(now_ms, size)
        if self.shard_level_metrics:
            for name, value, unit in (
                ("IncomingRecords", records, "Count"),
                ("IncomingBytes", size, "Bytes"),
            ):
                series = self._shard_metric(shard, name, unit)
                if series is not None:
                    series.add(now_ms, value)

    def _count_write_throttles(self, per_shard: Mapping[Shard, int]) -> None:
        now_ms = self.sim.now_ms
        total = sum(per_shard.values())
        self._metric("WriteProvisionedThroughputExceeded", "Count").add(now_ms, total)
        for shard, n in per_shard.items():
            series = self._shard_metric(shard, "WriteProvisionedThroughputExceeded", "Count")
            if series is not None:
                series.add(now_ms, n)
            self.sim.trace.emit(
                "kinesis.throttle", stream=self.name, shard=shard.shard_id, op="write", records=n
            )

    def _on_read_throttled(self, shard: Shard) -> None:
        now_ms = self.sim.now_ms
        self._metric("ReadProvisionedThroughputExceeded", "Count").add(now_ms, 1)
        self._metric("GetRecords.Success", "Count").add(now_ms, 0)
        series = self._shard_metric(shard, "ReadProvisionedThroughputExceeded", "Count")
        if series is not None:
            series.add(now_ms, 1)
        self.sim.trace.emit("kinesis.throttle", stream=self.name, shard=shard.shard_id, op="read")

    def _on_read(self, shard: Shard, result: ShardRead) -> None:
        now_ms = self.sim.now_ms
        n = result.end - result.start
        age = now_ms - shard.arrival_ms(result.end - 1) if n else 0
        self._metric("GetRecords.Success", "Count").add(now_ms, 1)
        self._metric("GetRecords.Records", "Count").add(now_ms, n)
        self._metric("GetRecords.Bytes", "Bytes").add(now_ms, result.bytes)
        self._metric("GetRecords.IteratorAgeMilliseconds", "Milliseconds").add(now_ms, age)
        if self.shard_level_metrics:
            for name, value, unit in (
                ("OutgoingRecords", n, "Count"),
                ("OutgoingBytes", result.bytes, "Bytes"),
                ("IteratorAgeMilliseconds", age, "Milliseconds"),
            ):
                series = self._shard_metric(shard, name, unit)
                if series is not None:
                    series.add(now_ms, value)
        if self.sim.trace.wants("kinesis.get"):
            self.sim.trace.emit(
                "kinesis.get",
                stream=self.name,
                shard=shard.shard_id,
                start=result.start,
                end=result.end,
                bytes=result.bytes,
                behind_ms=result.millis_behind_latest,
            )

    # -- writing ------------------------------------------------------------------------------

    def _max_record_bytes(self) -> int:
        return self.max_record_size_kib * 1024

    def _validate_entry(
        self, data: Any, partition_key: Any, explicit_hash_key: Any, index: int | None
    ) -> tuple[bytes, str, int, int]:
        """``(data, key, size, hash_key)`` of a valid record, or the AWS error."""
        where = "" if index is None else f"records.{index + 1}.member."
        raw = as_bytes(data, f"{where}data")
        key = check_str(partition_key, f"{where}partitionKey", min_len=1, max_len=256)
        if len(raw) > 10 * MIB:
            raise fail(
                f"{where}data",
                f"java.nio.HeapByteBuffer[pos=0 lim={len(raw)} cap={len(raw)}]",
                f"Member must have length less than or equal to {10 * MIB}",
            )
        size = len(raw) + len(key.encode("utf-8"))
        if size > self._max_record_bytes():
            raise InvalidArgumentException(
                f"Record size of {size} bytes (data blob plus partition key) exceeds the maximum "
                f"record size of {self._max_record_bytes()} bytes for stream {self.name} under "
                f"account {self.account_id}."
            )
        if explicit_hash_key is None:
            return raw, key, size, hash_key_of(key)
        ehk = check_str(
            explicit_hash_key, f"{where}explicitHashKey", max_len=39, pattern=HASH_KEY_PATTERN
        )
        value = int(ehk)
        if value > MAX_HASH_KEY:
            raise InvalidArgumentException(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                f"Specified value was {ehk}"
            )
        return raw, key, size, value

    def _validate_entries(self, entries: list[Any]) -> list[tuple[bytes, str, int, int]]:
        """:meth:`_validate_entry` of each PutRecords entry.

        NOTE: the put path of bench_esm: an entry that is a ``(bytes, str)`` pair with a key of
        1-256 characters and a size within the stream's maximum is checked and hashed inline
        (one UTF-8 encoding for both its size and its hash key); anything else goes through
        :meth:`_validate_entry` and gets its errors.
        """
        max_bytes = self._max_record_bytes()
        out: list[tuple[bytes, str, int, int]] = []
        append = out.append
        for i, entry in enumerate(entries):
            if type(entry) is tuple and len(entry) == 2:
                raw, key = entry
                if type(raw) is bytes and type(key) is str and 0 < len(key) <= 256:
                    try:
                        encoded = key.encode("utf-8")
                    except UnicodeEncodeError:
                        encoded = b""
                    size = len(raw) + len(encoded)
                    if encoded and size <= max_bytes:
                        append((raw, key, size, int.from_bytes(md5(encoded).digest(), "big")))
                        continue
            append(self._validate_entry(*_unpack(entry, i), i))
        return out

    def _rate_exceeded(self, shard: Shard) -> str:
        return (
            f"Rate exceeded for shard {shard.shard_id} in stream {self.name} "
            f"under account {self.account_id}."
        )

    def put_record(
        self,
        data: bytes | str,
        partition_key: str,
        *,
        explicit_hash_key: str | None = None,
        sequence_number_for_ordering: str | None = None,
    ) -> PutRecordResult:
        """PutRecord: route, charge the shard's write limit, append. Raises
        ``ProvisionedThroughputExceededException`` when the shard is over 1,000 records/s or
        1 MiB/s."""
        self._require_writable()
        raw, key, size, hash_key = self._validate_entry(
            data, partition_key, explicit_hash_key, None
        )
        floor_ms = 0
        if sequence_number_for_ordering is not None:
            snfo = check_str(
                sequence_number_for_ordering,
                "sequenceNumberForOrdering",
                max_len=129,
                pattern=sequence.SEQUENCE_NUMBER_PATTERN,
            )
            parts = sequence.decode(snfo)
            if (
                parts is not None
                and parts.stream_tag == self.tag
                and parts.time_ms <= self._max_seq_ms
            ):
                # A number from this stream: the new record's must be larger. T leads the
                # number, so a sequence clock above the given one's T is enough.
                floor_ms = parts.time_ms + 1
        sim = self.sim
        now_ms = sim.now_ms
        shard = self._route(hash_key)
        metric = self._metric
        if sim.limits.kinesis_throughput:
            limiter = shard._write_limiter
            if not limiter.write_fits(now_ms, 1, size):
                metric("PutRecord.Success", "Count").add(now_ms, 0)
                self._count_write_throttles({shard: 1})
                raise ProvisionedThroughputExceededException(self._rate_exceeded(shard))
            limiter.charge(1, size)
        position = shard._append(raw, key, size, now_ms, floor_ms)
        if shard._last_seq_ms > self._max_seq_ms:
            self._max_seq_ms = shard._last_seq_ms
        seq = sequence.encode(shard._last_seq_ms, shard.index, position + 1, self.tag)
        self._count_incoming(shard, 1, size)
        metric("PutRecord.Success", "Count").add(now_ms, 1)
        metric("PutRecord.Bytes", "Bytes").add(now_ms, size)
        if sim.trace.wants("kinesis.put"):
            sim.trace.emit(
                "kinesis.put",
                stream=self.name,
                shard=shard.shard_id,
                records=1,
                bytes=size,
                first=position,
            )
        return PutRecordResult(shard.shard_id, seq, self.encryption_type)

    def put_records(self, records: Sequence[Any]) -> PutRecordsResult:
        """PutRecords: 1-500 entries, ``(data, partition_key)`` or ``(data, partition_key,
        explicit_hash_key)`` tuples or ``{"Data", "PartitionKey", "ExplicitHashKey"}`` dicts.

        Entries over a shard's write limit fail with ``ProvisionedThroughputExceededException``
        in their result entry; the others succeed. Results are in request order.
        """
        self._require_writable()
        if isinstance(records, (str, bytes, Mapping)) or not isinstance(records, Iterable):
            raise KinesimTypeError(
                "put_records takes a list of (data, partition_key) tuples or "
                f"{{'Data': ..., 'PartitionKey': ...}} dicts, got {type(records).__name__}"
            )
        entries = list(records)
        if not entries:
            raise fail("records", "[]", "Member must have length greater than or equal to 1")
        if len(entries) > MAX_PUT_RECORDS:
            raise fail(
                "records",
                f"[{len(entries)} entries]",
                f"Member must have length less than or equal to {MAX_PUT_RECORDS}",
            )
        parsed = self._validate_entries(entries)
        total = sum(p[2] for p in parsed)
        if total > MAX_PUT_RECORDS_BYTES:
            raise InvalidArgumentException(
                f"Records size exceeds {MAX_PUT_RECORDS_BYTES // MIB} MB limit"
            )
        sim = self.sim
        now_ms = sim.now_ms
        limits_on = sim.limits.kinesis_throughput
        # NOTE: the put path of bench_esm: entries are routed and charged one by one, then
        # appended once per shard (bulk.append_many) and their sequence numbers formatted
        # inline; same positions, numbers and order as one append per entry.
        results: list[Any] = []
        throttled: dict[Shard, int] = {}
        incoming: dict[Shard, tuple[list[bytes], list[str], list[int], list[int]]] = {}
        ok_bytes = 0
        opens, starts = self._open, self._open_starts
        for raw, key, size, hash_key in parsed:
            shard = opens[bisect_right(starts, hash_key) - 1]  # self._route, inlined
            if limits_on:
                limiter = shard._write_limiter
                if not limiter.write_fits(now_ms, 1, size):
                    throttled[shard] = throttled.get(shard, 0) + 1
                    results.append(
                        PutRecordsResultEntry(
                            error_code="ProvisionedThroughputExceededException",
                            error_message=self._rate_exceeded(shard),
                        )
                    )
                    continue
                limiter.charge(1, size)
            columns = incoming.get(shard)
            if columns is None:
                columns = incoming[shard] = ([], [], [], [])
            columns[0].append(raw)
            columns[1].append(key)
            columns[2].append(size)
            columns[3].append(len(results))
            results.append(shard)
            ok_bytes += size
        tag = self.tag
        for shard, (shard_data, shard_keys, shard_sizes, slots) in incoming.items():
            first = append_many(shard, shard_data, shard_keys, shard_sizes) + 1
            if shard._last_seq_ms > self._max_seq_ms:
                self._max_seq_ms = shard._last_seq_ms
            shard_id = shard.shard_id
            head = f"49{shard._last_seq_ms:015d}{shard.index:012d}"
            for k, slot in enumerate(slots):
                results[slot] = PutRecordsResultEntry(shard_id, f"{head}{first + k:020d}{tag:07d}")
        failed = sum(throttled.values())
        ok = len(results) - failed
        metric = self._metric
        metric("PutRecords.Success", "Count").add(now_ms, 1)
        metric("PutRecords.TotalRecords", "Count").add(now_ms, len(results))
        metric("PutRecords.SuccessfulRecords", "Count").add(now_ms, ok)
        metric("PutRecords.ThrottledRecords", "Count").add(now_ms, failed)
        metric("PutRecords.FailedRecords", "Count").add(now_ms, 0)
        metric("PutRecords.Bytes", "Bytes").add(now_ms, ok_bytes)
        for shard, columns in incoming.items():
            self._count_incoming(shard, len(columns[2]), sum(columns[2]))
        if throttled:
            self._count_write_throttles(throttled)
        if sim.trace.wants("kinesis.put"):
            sim.trace.emit(
                "kinesis.put",
                stream=self.name,
                records=ok,
                failed=failed,
                bytes=ok_bytes,
                shards=sorted(s.shard_id for s in incoming),
            )
        return PutRecordsResult(failed, results, self.encryption_type)

    # -- retention ----------------------------------------------------------------------------

    def _schedule_expiry(self, shard: Shard) -> None:
        if shard._expiry_timer is not None:
            shard._expiry_timer.cancel()
            shard._expiry_timer = None
        if self._deleted or shard.shard_id not in self._shards:
            return
        if shard.trim_index < shard.end_index:
            when_ms = shard._arrival[shard.trim_index - shard._base] + self.retention_ms
        elif shard.closed_ms is not None:
            when_ms = shard.closed_ms + self.retention_ms
        else:
            return
        shard._expiry_timer = self.sim.call_at_ms(
            max(when_ms, self.sim.now_ms), self._expiry_due, shard
        )

    def _expiry_due(self, shard: Shard) -> None:
        shard._expiry_timer = None
        self._expire(shard)
        self._schedule_expiry(shard)

    def _expire(self, shard: Shard) -> bool:
        """Trim what has outlived retention in ``shard``; expire a closed shard. True if any."""
        now_ms = self.sim.now_ms
        cutoff_ms = now_ms - self.retention_ms
        changed = False
        if shard.trim_index < shard.end_index and (
            shard._arrival[shard.trim_index - shard._base] <= cutoff_ms
        ):
            k = bisect_right(shard._arrival, cutoff_ms, shard.trim_index - shard._base)
            records, size = shard._trim_before(shard._base + k)
            changed = True
            self.sim.metrics.handle(
                KINESIM_NS, "TrimmedRecords", {"StreamName": self.name}, "Count"
            ).add(now_ms, records)
            self.sim.metrics.handle(
                KINESIM_NS, "TrimmedBytes", {"StreamName": self.name}, "Bytes"
            ).add(now_ms, size)
            self.sim.trace.emit(
                "kinesis.trim",
                stream=self.name,
                shard=shard.shard_id,
                records=records,
                bytes=size,
                trim_index=shard.trim_index,
            )
        if (
            shard.closed_ms is not None
            and shard.trim_index == shard.end_index
            and shard.closed_ms <= cutoff_ms
            and shard.shard_id in self._shards
        ):
            del self._shards[shard.shard_id]
            shard._release()
            changed = True
            self.sim.trace.emit(
                "kinesis.trim",
                stream=self.name,
                shard=shard.shard_id,
                records=0,
                bytes=0,
                trim_index=shard.trim_index,
                shard_expired=True,
            )
        return changed

    def _expire_due(self, shard: Shard) -> None:
        """Trim ``shard`` now if a timer at this very millisecond has not run yet."""
        if (
            shard.trim_index < shard.end_index
            and (
                shard._arrival[shard.trim_index - shard._base] + self.retention_ms
                <= self.sim.now_ms
            )
            and self._expire(shard)
        ):
            self._schedule_expiry(shard)

    @property
    def retention_hours(self) -> int:
        return self.retention_ms // HOUR_MS

    def _check_retention(self, value: Any) -> int:
        hours = check_int(value, "retentionPeriodHours")
        if hours < MIN_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too short."
            )
        if hours > MAX_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too long."
            )
        return hours

    def increase_retention_period(self, retention_hours: int) -> None:
        """IncreaseStreamRetentionPeriod. Records already trimmed stay gone."""
        hours = self._check_retention(retention_hours)
        self._require_active()
        if hours < self.retention_hours:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {self.name} can not be "
                f"shorter than existing retention period ({self.retention_hours} hours). "
                "Use DecreaseRetentionPeriod API."
            )
        self._control(lambda: self._set_retention(hours), "kinesis.retention", hours=hours)

    def decrease_retention_period(self, retention_hours: int) -> None:
        """DecreaseStreamRetentionPeriod. Records older than the new period are trimmed."""
        hours = self._check_retention(retention_hours)
        self._require_active()
        if hours > self.retention_hours:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {self.name} can not be "
                f"longer than existing retention period ({self.retention_hours} hours). "
                "Use IncreaseRetentionPeriod API."
            )
        self._control(lambda: self._set_retention(hours), "kinesis.retention", hours=hours)

    def _set_retention(self, hours: int) -> None:
        self.retention_ms = hours * HOUR_MS
        for shard in list(self._shards.values()):
            self._expire(shard)
            self._schedule_expiry(shard)

    # -- resharding ---------------------------------------------------------------------------

    def _open_shard(self, shard_id: Any, field: str) -> Shard:
        check_str(shard_id, field, max_len=128, pattern=r"[a-zA-Z0-9_.-]+")
        shard = self.shard(shard_id)
        if shard.closed:
            raise ResourceInUseException(
                f"Shard {shard_id} in stream {self.name} under account {self.account_id} has "
                "already been merged or split, and thus is not eligible for merging or splitting."
            )
        return shard

    def _check_shard_quota(self, more: int) -> None:
        if len(self._open) + more > MAX_SHARDS_PER_STREAM:
            raise LimitExceededException(
                f"This request would exceed the shard limit for stream {self.name} under "
                f"account {self.account_id}: at most {MAX_SHARDS_PER_STREAM} open shards."
            )

    def split_shard(self, shard_to_split: str, new_starting_hash_key: str) -> None:
        """SplitShard: the parent closes; children take ``[start, key-1]`` and ``[key, end]``."""
        key_text = check_str(
            new_starting_hash_key, "newStartingHashKey", max_len=39, pattern=HASH_KEY_PATTERN
        )
        self._require_provisioned("SplitShard")
        self._require_active()
        shard = self._open_shard(shard_to_split, "shardToSplit")
        key = int(key_text)
        if not shard.hash_key_start + 1 < key < shard.hash_key_end:
            raise InvalidArgumentException(
                f"NewStartingHashKey {key_text} used in SplitShard() on shard {shard.shard_id} in "
                f"stream {self.name} under account {self.account_id} is not both greater than one "
                f"plus the shard's StartingHashKey {shard.hash_key_start} and less than the "
                f"shard's EndingHashKey {shard.hash_key_end}."
            )
        self._check_shard_quota(1)

        def apply() -> None:
            if shard.closed:
                return
            self._split(shard, key)
            self._reroute()

        self._control(apply, "kinesis.reshard", op="split", shard=shard.shard_id, key=key_text)

    def _split(self, shard: Shard, key: int) -> tuple[Shard, Shard]:
        self._close(shard)
        floor = shard._last_seq_ms
        low = self._new_shard(shard.hash_key_start, key - 1, shard.shard_id, None, floor)
        high = self._new_shard(key, shard.hash_key_end, shard.shard_id, None, floor)
        return low, high

    def merge_shards(self, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
        """MergeShards: two adjacent open shards close; one child covers both ranges."""
        self._require_provisioned("MergeShards")
        self._require_active()
        a = self._open_shard(shard_to_merge, "shardToMerge")
        b = self._open_shard(adjacent_shard_to_merge, "adjacentShardToMerge")
        if a.hash_key_end + 1 != b.hash_key_start and b.hash_key_end + 1 != a.hash_key_start:
            raise InvalidArgumentException(
                f"Shards {a.shard_id} and {b.shard_id} in stream {self.name} under account "
                f"{self.account_id} are not an adjacent pair of shards eligible for merging"
            )

        def apply() -> None:
            if a.closed or b.closed:
                return
            self._merge(a, b)
            self._reroute()

        self._control(apply, "kinesis.reshard", op="merge", shard=a.shard_id, adjacent=b.shard_id)

    def _merge(self, a: Shard, b: Shard) -> Shard:
        self._close(a)
        self._close(b)
        floor = max(a._last_seq_ms, b._last_seq_ms)
        start = min(a.hash_key_start, b.hash_key_start)
        end = max(a.hash_key_end, b.hash_key_end)
        return self._new_shard(start, end, a.shard_id, b.shard_id, floor)

    def update_shard_count(
        self, target_shard_count: int, scaling_type: str = "UNIFORM_SCALING"
    ) -> dict[str, Any]:
        """UpdateShardCount with uniform scaling: at most double, at least half the open
        shards, at most 10 times per rolling 24 hours. Returns current and target counts."""
        target = check_int(target_shard_count, "targetShardCount", minimum=1)
        check_enum(scaling_type, "scalingType", ["UNIFORM_SCALING"])
        self._require_provisioned("UpdateShardCount")
        self._require_active()
        current = len(self._open)
        if target > 2 * current:
            raise InvalidArgumentException(
                "UpdateShardCount cannot scale up over double your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        if target < math.ceil(current / 2):
            raise InvalidArgumentException(
                "UpdateShardCount cannot scale down below half your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        self._check_shard_quota(target - current)
        now_ms = self.sim.now_ms
        recent = [t for t in self._scalings_ms if t > now_ms - _DAY_MS]
        if len(recent) >= _SCALINGS_PER_DAY:
            raise LimitExceededException(
                f"Rate exceeded for stream {self.name} under account {self.account_id}: "
                f"UpdateShardCount may scale a stream at most {_SCALINGS_PER_DAY} times in a "
                "rolling 24-hour period."
            )
        self._scalings_ms = [*recent, now_ms]

        def apply() -> None:
            self._scale_uniform(target)
            self._reroute()

        self._control(apply, "kinesis.reshard", op="update_shard_count", target=target)
        return {
            "StreamName": self.name,
            "StreamARN": self.arn,
            "CurrentShardCount": current,
            "TargetShardCount": target,
        }

    def _scale_uniform(self, target: int) -> None:
        """Reach ``target`` equal open shards by splits at the new boundaries, then merges of the
        pieces inside each new range (AWS documents the same mechanism, with short-lived
        intermediate shards)."""
        ranges = even_ranges(target)
        boundaries = [start for start, _ in ranges[1:]]
        pieces: list[Shard] = []
        for shard in sorted(self._open, key=_start_of):
            current = shard
            for b in boundaries:
                if current.hash_key_start < b <= current.hash_key_end:
                    _, current = self._split(current, b)
                    pieces.append(_)
            pieces.append(current)
        pieces.sort(key=_start_of)
        for start, end in ranges:
            group = [p for p in pieces if start <= p.hash_key_start and p.hash_key_end <= end]
            merged = group[0]
            for nxt in group[1:]:
                merged = self._merge(merged, nxt)

    def update_stream_mode(self, mode: str) -> None:
        """UpdateStreamMode: switch between PROVISIONED and ON_DEMAND (at most twice per
        rolling 24 hours). The open shards stay as they are."""
        check_enum(mode, "streamModeDetails.streamMode", ["PROVISIONED", "ON_DEMAND"])
        self._require_active()
        now_ms = self.sim.now_ms
        recent = [t for t in self._mode_switches_ms if t > now_ms - _DAY_MS]
        if len(recent) >= 2:
            raise LimitExceededException(
                f"Stream {self.name} under account {self.account_id} has already switched "
                "capacity mode twice in the last 24 hours."
            )
        if mode == self.mode:
            raise InvalidArgumentException(
                f"Stream {self.name} under account {self.account_id} is already in {mode} mode."
            )
        self._mode_switches_ms = [*recent, now_ms]

        def apply() -> None:
            self.mode = mode

        self._control(apply, "kinesis.mode", mode=mode)

    def update_max_record_size(self, max_record_size_kib: int) -> None:
        """UpdateMaxRecordSize: 1,024-10,240 KiB (data plus partition key)."""
        kib = check_int(max_record_size_kib, "maxRecordSizeInKiB", minimum=1024, maximum=10240)
        self._require_active()

        def apply() -> None:
            self.max_record_size_kib = kib

        self._control(apply, "kinesis.max_record_size", kib=kib)

    # -- tags, encryption, monitoring ---------------------------------------------------------

    def add_tags(self, tags: Mapping[str, str]) -> None:
        """AddTagsToStream: at most 50 tags per stream."""
        self._require_writable()
        checked = _check_tags(tags)
        merged = {**self.tags, **checked}
        if len(merged) > 50:
            raise LimitExceededException(
                f"Failed to add tags to stream {self.name} under account {self.account_id} "
                "because a given stream cannot have more than 50 tags associated with it."
            )
        self.tags = merged

    def remove_tags(self, tag_keys: Iterable[str]) -> None:
        """RemoveTagsFromStream (unknown keys are ignored)."""
        self._require_writable()
        keys = [
            check_str(k, "tagKeys.member", max_len=128)
            for k in check_list(tag_keys, "tag_keys", "tag keys")
        ]
        if not 1 <= len(keys) <= 50:
            raise fail("tagKeys", keys, "Member must have length between 1 and 50")
        for key in keys:
            self.tags.pop(key, None)

    def start_encryption(self, key_id: str, encryption_type: str = "KMS") -> None:
        """StartStreamEncryption: records written once it takes effect report ``KMS``."""
        check_enum(encryption_type, "encryptionType", ["KMS"])
        check_str(key_id, "keyId", max_len=2048)
        self._require_active()
        self._control(lambda: self._set_encryption("KMS", key_id), "kinesis.encryption", type="KMS")

    def stop_encryption(self, key_id: str, encryption_type: str = "KMS") -> None:
        """StopStreamEncryption."""
        check_enum(encryption_type, "encryptionType", ["KMS"])
        check_str(key_id, "keyId", max_len=2048)
        self._require_active()
        self._control(lambda: self._set_encryption("NONE", None), "kinesis.encryption", type="NONE")

    def _set_encryption(self, kind: str, key_id: str | None) -> None:
        self.encryption_type = kind
        self.key_id = key_id
        for shard in self._shards.values():
            shard._encryption.append((shard.end_index, kind))

    def enable_enhanced_monitoring(self, shard_level_metrics: Iterable[str]) -> dict[str, Any]:
        """EnableEnhancedMonitoring: emit these shard-level metrics (dimension ShardId)."""
        return self._monitoring(shard_level_metrics, enable=True)

    def disable_enhanced_monitoring(self, shard_level_metrics: Iterable[str]) -> dict[str, Any]:
        """DisableEnhancedMonitoring."""
        return self._monitoring(shard_level_metrics, enable=False)

    def _monitoring(self, metrics: Iterable[str], *, enable: bool) -> dict[str, Any]:
        names = [
            check_enum(m, "shardLevelMetrics.member", SHARD_LEVEL_METRICS)
            for m in check_list(metrics, "shard_level_metrics", "metric names such as 'ALL'")
        ]
        if not 1 <= len(names) <= 7:
            raise fail("shardLevelMetrics", names, "Member must have length between 1 and 7")
        self._require_active()
        before = self._monitored()
        wanted = set(SHARD_LEVEL_METRICS[:-1]) if "ALL" in names else set(names)
        if enable:
            self.shard_level_metrics |= wanted
        else:
            self.shard_level_metrics -= wanted
        self.shard_level_metrics.discard("ALL")
        return {
            "StreamName": self.name,
            "StreamARN": self.arn,
            "CurrentShardLevelMetrics": before,
            "DesiredShardLevelMetrics": self._monitored(),
        }

    def _monitored(self) -> list[str]:
        return [m for m in SHARD_LEVEL_METRICS[:-1] if m in self.shard_level_metrics]

    # -- description --------------------------------------------------------------------------

    @property
    def creation_timestamp(self) -> datetime:
        return _epoch_datetime(self.created_ms)

    def shard_description(self, shard: Shard) -> dict[str, Any]:
        """The shard as DescribeStream / ListShards show it."""
        out: dict[str, Any] = {"ShardId": shard.shard_id}
        if shard.parent_shard_id is not None:
            out["ParentShardId"] = shard.parent_shard_id
        if shard.adjacent_parent_shard_id is not None:
            out["AdjacentParentShardId"] = shard.adjacent_parent_shard_id
        out["HashKeyRange"] = {
            "StartingHashKey": str(shard.hash_key_start),
            "EndingHashKey": str(shard.hash_key_end),
        }
        seq_range = {"StartingSequenceNumber": shard.starting_sequence_number}
        ending = shard.ending_sequence_number
        if ending is not None:
            seq_range["EndingSequenceNumber"] = ending
        out["SequenceNumberRange"] = seq_range
        return out

    def _mode_details(self) -> dict[str, str]:
        return {"StreamMode": self.mode}

    def summary(self) -> dict[str, Any]:
        """DescribeStreamSummary's ``StreamDescriptionSummary``."""
        out: dict[str, Any] = {
            "StreamName": self.name,
            "StreamARN": self.arn,
            "StreamStatus": self.status,
            "StreamModeDetails": self._mode_details(),
            "RetentionPeriodHours": self.retention_hours,
            "StreamCreationTimestamp": self.creation_timestamp,
            "EnhancedMonitoring": [{"ShardLevelMetrics": self._monitored()}],
            "EncryptionType": self.encryption_type,
            "OpenShardCount": len(self._open),
            "ConsumerCount": len(self._consumers),
            "MaxRecordSizeInKiB": self.max_record_size_kib,
        }
        if self.key_id is not None:
            out["KeyId"] = self.key_id
        return out

    # -- invariants ---------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert the stream's invariants: open shards partition the key space exactly, every
        shard's own invariants hold, lineage is consistent."""
        opened = sorted((s for s in self._shards.values() if not s.closed), key=_start_of)
        assert opened == self._open, "routing table out of date"
        assert self._open_starts == [s.hash_key_start for s in opened]
        if not self._deleted:
            assert opened, "a stream without open shards"
            assert opened[0].hash_key_start == 0
            assert opened[-1].hash_key_end == MAX_HASH_KEY
            for left, right in itertools.pairwise(opened):
                assert left.hash_key_end + 1 == right.hash_key_start, "gap or overlap"
        indices = [s.index for s in self._shards.values()]
        assert indices == sorted(indices)
        assert len(set(indices)) == len(indices)
        assert all(i < self._next_index for i in indices)
        for shard in self._shards.values():
            shard._check()
            for parent in (shard.parent_shard_id, shard.adjacent_parent_shard_id):
                if parent is not None and parent in self._shards:
                    assert self._shards[parent].closed
            assert self.children_of(shard.shard_id) == [] or shard.closed


def _shard_id(value: Any) -> str:
    if not isinstance(value, str):
        raise KinesimTypeError(f"a shard id is a str such as 'shardId-000000000000', got {value!r}")
    return value


def _start_of(shard: Shard) -> int:
    return shard.hash_key_start


def _unpack(entry: Any, index: int) -> tuple[Any, Any, Any]:
    if isinstance(entry, Mapping):
        if "Data" not in entry or "PartitionKey" not in entry:
            raise fail(
                f"records.{index + 1}.member",
                dict(entry),
                "Member must have both Data and PartitionKey",
            )
        return entry["Data"], entry["PartitionKey"], entry.get("ExplicitHashKey")
    if isinstance(entry, tuple) and len(entry) in (2, 3):
        return entry[0], entry[1], entry[2] if len(entry) == 3 else None
    raise KinesimTypeError(
        f"put_records entry {index} must be a (data, partition_key[, explicit_hash_key]) tuple "
        f"or a dict with Data and PartitionKey, got {entry!r}"
    )


def _check_tags(tags: Any) -> dict[str, str]:
    if not isinstance(tags, Mapping):
        raise KinesimTypeError(f"tags must be a dict of str to str, got {tags!r}")
    out: dict[str, str] = {}
    for key, value in tags.items():
        out[check_str(key, "tags.key", max_len=128)] = check_str(
            value, "tags.value", min_len=0, max_len=256
        )
    if not 1 <= len(out) <= 50:
        raise fail("tags", out, "Member must have between 1 and 50 entries")
    return out
