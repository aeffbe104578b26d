"""A Kinesis data stream: its shards, routing, writes and state.

The stream owns its shards (creation order), keeps the open ones sorted by hash key for routing,
and runs control-plane changes through :attr:`Simulator.timings` (instant by default). Retention,
resharding and the other control-plane operations are in :mod:`kinesim._kinesis.control`.
"""

from __future__ import annotations

import itertools
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from hashlib import md5
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import seconds_to_ms
from kinesim._core.text import utf8
from kinesim._errors import (
    InvalidArgumentException,
    KinesimTypeError,
    ProvisionedThroughputExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from kinesim._kinesis import sequence
from kinesim._kinesis.bulk import ShardColumns, append_many, group_by_shard
from kinesim._kinesis.control import (
    HOUR_MS,
    StreamControlMixin,
    canonical_shard_id,
    start_of,
)
from kinesim._kinesis.descriptions import (
    ChildShard,
    ShardDescription,
    StreamSummary,
)
from kinesim._kinesis.fanout.consumers import StreamConsumersMixin
from kinesim._kinesis.hashing import (
    HASH_KEY_PATTERN,
    LANE_KEY_MODULUS,
    MAX_HASH_KEY,
    even_ranges,
    hash_key_of,
    lane_key_of,
    lane_key_of_hash,
)
from kinesim._kinesis.shard import MIB, Shard, ShardRead
from kinesim._kinesis.validate import (
    as_bytes,
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
    "canonical_shard_id",
]

NS = "AWS/Kinesis"
MAX_PUT_RECORDS = 500
MAX_PUT_RECORDS_BYTES = 10 * MIB


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


class Stream(StreamControlMixin, StreamConsumersMixin):
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
        warm_throughput_mibps: int | None = None,
        record_distribution_strategy: str | None = None,
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
        #: PutResourcePolicy's JSON text (stored and returned, not enforced).
        self.resource_policy: str | None = None
        #: On-demand warm throughput in MiB/s (None: not configured); stored, not simulated.
        self.warm_throughput_mibps: int | None = warm_throughput_mibps
        #: On-demand record distribution: "AUTO" or "USER_PARTITION_KEY" (routing is always by
        #: partition key in kinesim).
        self.record_distribution_strategy: str | None = record_distribution_strategy
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
        """The shard ``shard_id``; ``ResourceNotFoundException`` if it does not exist (any more).

        Ids are read as AWS reads them: ``"shardId-5"``, ``"shard-5"`` and ``"5"`` all name
        ``shardId-000000000005``.
        """
        shard = self._shards.get(shard_id) if isinstance(shard_id, str) else None
        if shard is not None:
            return shard
        canonical = canonical_shard_id(shard_id)
        if canonical is None:
            raise self._shard_not_found(shard_id)
        shard = self._shards.get(canonical)
        if shard is None:
            raise ResourceNotFoundException(
                f"Shard {canonical} in stream {self.name} under account {self.account_id} "
                "does not exist"
            )
        return shard

    def _shard_not_found(self, shard_id: object) -> ResourceNotFoundException:
        return ResourceNotFoundException(
            f"Could not find shard {shard_id} in stream {self.name} under account "
            f"{self.account_id}."
        )

    def children_of(self, shard_id: str) -> list[Shard]:
        """The shards created from ``shard_id`` by a split or merge (empty while it is open).

        Expired children are included: a reader that reaches the end of a parent late can walk
        through them (they read as closed and empty) to the shards that followed.
        """
        return list(self._children.get(_shard_id(shard_id), []))

    def child_shards(self, shard_id: str) -> list[ChildShard]:
        """The children of a closed shard, with their parents and hash key ranges (what
        GetRecords and SubscribeToShard report at the end of a shard)."""
        return [
            ChildShard(
                child.shard_id,
                tuple(p for p in (child.parent_shard_id, child.adjacent_parent_shard_id) if p),
                child.hash_key_start,
                child.hash_key_end,
            )
            for child in self.children_of(shard_id)
        ]

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
        self._open = sorted((s for s in self._shards.values() if not s.closed), key=start_of)
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

    @property
    def queue_count(self) -> int:
        """How many Kinesis queues deliver this stream's records."""
        return len(self.service.queues.on_stream(self))

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
        size = len(raw) + len(utf8(key, f"{where}partitionKey"))
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

    def _validate_entries(self, entries: list[Any]) -> list[tuple[bytes, str, int, int, int]]:
        """:meth:`_validate_entry` of each PutRecords entry, with its partition key's lane key
        (:func:`~kinesim._kinesis.hashing.lane_key_of`).

        NOTE: the put path of bench_esm: an entry that is a ``(bytes, str)`` pair with a key of
        1-256 characters and a size within the stream's maximum is checked and hashed inline
        (one UTF-8 encoding for both its size and its hash key, and the lane key taken from that
        hash); anything else goes through :meth:`_validate_entry` and gets its errors.
        """
        max_bytes = self._max_record_bytes()
        out: list[tuple[bytes, str, int, int, int]] = []
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
                        hash_key = int.from_bytes(md5(encoded).digest(), "big")
                        append((raw, key, size, hash_key, (hash_key >> 64) % LANE_KEY_MODULUS))
                        continue
            valid = self._validate_entry(*_unpack(entry, i), i)
            # The lane key is the partition key's, even when an explicit hash key routes it.
            append((*valid, lane_key_of(valid[1])))
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
        lane_key = lane_key_of_hash(hash_key) if explicit_hash_key is None else lane_key_of(key)
        position = shard._append(raw, key, size, lane_key, now_ms, floor_ms)
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
        # NOTE: the put path of bench_esm: entries are routed (and charged) one by one, or all
        # at once when there are no limits (bulk.group_by_shard), then appended once per shard
        # (bulk.append_many) and their sequence numbers formatted inline; same positions,
        # numbers and order as one append per entry.
        results: list[Any] = []
        throttled: dict[Shard, int] = {}
        incoming: dict[Shard, ShardColumns] = {}
        ok_bytes = 0
        opens, starts = self._open, self._open_starts
        if not limits_on:
            incoming = group_by_shard(opens, starts, parsed)
            results = [None] * len(parsed)
            ok_bytes = total
            parsed = []
        for raw, key, size, hash_key, lane_key in parsed:
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
                columns = incoming[shard] = ([], [], [], [], [])
            columns[0].append(raw)
            columns[1].append(key)
            columns[2].append(size)
            columns[3].append(len(results))
            columns[4].append(lane_key)
            results.append(shard)
            ok_bytes += size
        tail = f"{self.tag:07d}"
        for shard, (shard_data, shard_keys, shard_sizes, slots, lane_keys) in incoming.items():
            first = append_many(shard, shard_data, shard_keys, shard_sizes, lane_keys) + 1
            if shard._last_seq_ms > self._max_seq_ms:
                self._max_seq_ms = shard._last_seq_ms
            shard_id = shard.shard_id
            head = f"49{shard._last_seq_ms:015d}{shard.index:012d}"
            for k, slot in enumerate(slots):
                results[slot] = PutRecordsResultEntry(shard_id, f"{head}{first + k:020d}{tail}")
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

    # -- description --------------------------------------------------------------------------

    @property
    def creation_timestamp(self) -> datetime:
        return _epoch_datetime(self.created_ms)

    def shard_description(self, shard: Shard) -> ShardDescription:
        """The shard as DescribeStream / ListShards show it."""
        return ShardDescription(
            shard.shard_id,
            shard.parent_shard_id,
            shard.adjacent_parent_shard_id,
            shard.hash_key_start,
            shard.hash_key_end,
            shard.starting_sequence_number,
            shard.ending_sequence_number,
        )

    def summary(self) -> StreamSummary:
        """DescribeStreamSummary: the stream's state now."""
        return StreamSummary(
            name=self.name,
            arn=self.arn,
            status=self.status,
            mode=self.mode,
            created_ms=self.created_ms,
            retention_hours=self.retention_hours,
            shard_level_metrics=self._monitored(),
            encryption_type=self.encryption_type,
            key_id=self.key_id,
            open_shard_count=len(self._open),
            consumer_count=len(self._consumers),
            max_record_size_kib=self.max_record_size_kib,
            warm_throughput_mibps=self.warm_throughput_mibps,
            record_distribution_strategy=self.record_distribution_strategy,
            queue_count=self.queue_count,
            channel_count=len(self.service.channels.on_stream(self)),
        )

    # -- invariants ---------------------------------------------------------------------------

    def _check(self) -> None:
        """Assert the stream's invariants: open shards partition the key space exactly, every
        shard's own invariants hold, lineage is consistent."""
        opened = sorted((s for s in self._shards.values() if not s.closed), key=start_of)
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
