"""``sim.kinesis``: the Kinesis Data Streams service of one simulated account and Region.

Stream-scoped operations live on :class:`~kinesim._kinesis.stream.Stream` (``stream.put_record``,
``stream.split_shard``, ...); this service creates, finds, describes and deletes streams, and
serves the iterator-based reads (``get_shard_iterator``, ``get_records``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import seconds_to_ms, to_epoch_ms
from kinesim._errors import (
    ExpiredIteratorException,
    ExpiredNextTokenException,
    InvalidArgumentException,
    KinesimTypeError,
    LimitExceededException,
    ProvisionedThroughputExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from kinesim._kinesis import sequence
from kinesim._kinesis.control import (
    MAX_RETENTION_HOURS,
    MAX_SHARDS_PER_STREAM,
    MIN_RETENTION_HOURS,
    RECORD_DISTRIBUTION_STRATEGIES,
)
from kinesim._kinesis.descriptions import (
    AccountLimits,
    ChildShard,
    ShardPage,
    StreamDescription,
    StreamPage,
    StreamSummary,
)
from kinesim._kinesis.fanout.consumers import KinesisFanoutMixin
from kinesim._kinesis.iterators import ITERATOR_TTL_MS, IteratorCodec, IteratorState
from kinesim._kinesis.queues import QueueService
from kinesim._kinesis.resources import BillingCommitment, KinesisResourcesMixin, check_tags
from kinesim._kinesis.shard import MAX_READ_RECORDS, Record, Shard
from kinesim._kinesis.stream import PutRecordResult, PutRecordsResult, Stream
from kinesim._kinesis.validate import check_enum, check_int, check_name, check_str

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from kinesim._simulator import Simulator

__all__ = ["GetRecordsResult", "KinesisService"]

ITERATOR_TYPES = [
    "AT_SEQUENCE_NUMBER",
    "AFTER_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
    "LATEST",
    "AT_TIMESTAMP",
]
SHARD_FILTER_TYPES = [
    "AFTER_SHARD_ID",
    "AT_TRIM_HORIZON",
    "FROM_TRIM_HORIZON",
    "AT_LATEST",
    "AT_TIMESTAMP",
    "FROM_TIMESTAMP",
]
#: New on-demand streams start with 4 shards (AWS snapshot test_create_stream_without_shard_count).
ON_DEMAND_INITIAL_SHARDS = 4
#: Per-account shard quota in us-east-1, us-west-2 and eu-west-1 (AWS quotas page).
ACCOUNT_SHARD_LIMIT = 20_000
ON_DEMAND_STREAM_LIMIT = 50
_ARN = re.compile(r"arn:aws.*:kinesis:.*:\d{12}:stream/\S+")
_STREAM_ARN = re.compile(r"arn:aws[^:]*:kinesis:[^:]*:\d{12}:stream/([^/]+)")
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _java_date(ms: int) -> str:
    """``Sun Oct 10 05:17:11 UTC 2021``: how AWS's iterator-expiry message prints times."""
    d = datetime.fromtimestamp(ms // 1000, timezone.utc)
    return (
        f"{_DAYS[d.weekday()]} {_MONTHS[d.month - 1]} {d.day:02d} "
        f"{d.hour:02d}:{d.minute:02d}:{d.second:02d} UTC {d.year}"
    )


@dataclass(frozen=True, slots=True)
class GetRecordsResult:
    """GetRecords' answer: ``next_shard_iterator`` is None at the end of a closed shard, and
    ``child_shards`` is filled only there."""

    records: list[Record]
    next_shard_iterator: str | None
    millis_behind_latest: int
    child_shards: list[ChildShard] = field(default_factory=list)


class KinesisService(KinesisFanoutMixin, KinesisResourcesMixin):
    """Kinesis Data Streams for one simulator (``sim.kinesis``)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._streams: dict[str, Stream] = {}
        key = sim.random("kinesis.iterators").getrandbits(256).to_bytes(32, "big")
        self._codec = IteratorCodec(key)
        self._serial = 0
        #: Kinesis queues (CreateQueue, ReceiveQueueRecords, ...).
        self.queues = QueueService(sim)
        self._commitment = BillingCommitment("DISABLED")
        self._commitment_end = None

    def __repr__(self) -> str:
        return f"<KinesisService {len(self._streams)} streams>"

    # -- finding streams ----------------------------------------------------------------------

    def _not_found(self, name: str) -> ResourceNotFoundException:
        return ResourceNotFoundException(
            f"Stream {name} under account {self.sim.account_id} not found."
        )

    def stream(self, name: str) -> Stream:
        """The stream called ``name``; ``ResourceNotFoundException`` if there is none."""
        check_name(name, "streamName")
        stream = self._streams.get(name)
        if stream is None:
            raise self._not_found(name)
        return stream

    def stream_by_arn(self, arn: str) -> Stream:
        """The stream with this ARN; ``ResourceNotFoundException`` if there is none (also for
        an ARN of another Region or account, or of a consumer)."""
        check_str(arn, "streamARN", max_len=2048, pattern=_ARN.pattern)
        match = _STREAM_ARN.fullmatch(arn)
        name = match.group(1) if match else arn.partition(":stream/")[2].split("/")[0]
        stream = self._streams.get(name)
        if stream is None or stream.arn != arn:
            raise self._not_found(name)
        return stream

    def _resolve(self, stream_name: str | None, stream_arn: str | None) -> Stream:
        if stream_arn is not None:
            stream = self.stream_by_arn(stream_arn)
            if stream_name is not None and stream_name != stream.name:
                raise InvalidArgumentException(
                    f"StreamARN {stream_arn} and StreamName {stream_name} do not refer to the "
                    "same stream."
                )
            return stream
        if stream_name is None:
            raise InvalidArgumentException("Either StreamName or StreamARN should be provided.")
        return self.stream(stream_name)

    @property
    def streams(self) -> list[Stream]:
        """Every stream, in creation order."""
        return list(self._streams.values())

    # -- lifecycle ----------------------------------------------------------------------------

    def create_stream(
        self,
        name: str,
        shard_count: int | None = None,
        *,
        retention_hours: int = 24,
        mode: str | None = None,
        tags: Mapping[str, str] | None = None,
        max_record_size_kib: int = 1024,
        warm_throughput_mibps: int | None = None,
        record_distribution_strategy: str | None = None,
    ) -> Stream:
        """CreateStream. ``mode`` is ``"PROVISIONED"`` (needs ``shard_count``) or
        ``"ON_DEMAND"`` (starts with 4 shards); without a mode, a ``shard_count`` means
        provisioned and none means on-demand, as AWS decides. ``warm_throughput_mibps`` and
        ``record_distribution_strategy`` (on-demand only) are stored and reported."""
        check_name(name, "streamName")
        if shard_count is not None:
            check_int(shard_count, "shardCount", minimum=1)
        if mode is None:
            mode = "ON_DEMAND" if shard_count is None else "PROVISIONED"
        check_enum(mode, "streamModeDetails.streamMode", ["PROVISIONED", "ON_DEMAND"])
        check_int(retention_hours, "retentionPeriodHours")
        if not MIN_RETENTION_HOURS <= retention_hours <= MAX_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Retention period must be between {MIN_RETENTION_HOURS} and "
                f"{MAX_RETENTION_HOURS} hours, got {retention_hours} hours."
            )
        check_int(max_record_size_kib, "maxRecordSizeInKiB", minimum=1024, maximum=10240)
        if mode == "PROVISIONED" and shard_count is None:
            raise ValidationException(
                "ShardCount is required for streams in PROVISIONED capacity mode."
            )
        if mode == "ON_DEMAND" and shard_count is not None:
            raise ValidationException(
                "ShardCount must not be specified for streams in ON_DEMAND capacity mode."
            )
        if warm_throughput_mibps is not None:
            check_int(warm_throughput_mibps, "warmThroughputMiBps", minimum=0)
        if record_distribution_strategy is not None:
            check_enum(
                record_distribution_strategy,
                "recordDistributionStrategy",
                RECORD_DISTRIBUTION_STRATEGIES,
            )
        if mode == "PROVISIONED" and (
            warm_throughput_mibps is not None or record_distribution_strategy is not None
        ):
            raise ValidationException(
                "WarmThroughputMiBps and RecordDistributionStrategy are only supported for "
                "streams in ON_DEMAND capacity mode."
            )
        checked_tags: dict[str, str] = {}
        if tags:
            checked_tags = check_tags(tags)
        if name in self._streams:
            raise ResourceInUseException(
                f"Stream {name} under account {self.sim.account_id} already exists."
            )
        count = ON_DEMAND_INITIAL_SHARDS if shard_count is None else shard_count
        open_now = sum(len(s._open) for s in self._streams.values())
        if count > MAX_SHARDS_PER_STREAM or open_now + count > ACCOUNT_SHARD_LIMIT:
            raise LimitExceededException(
                f"This request would exceed the shard limit for the account {self.sim.account_id} "
                f"in {self.sim.region}. Current limit of shards is {ACCOUNT_SHARD_LIMIT}."
            )
        if mode == "ON_DEMAND":
            on_demand = sum(1 for s in self._streams.values() if s.mode == "ON_DEMAND")
            if on_demand >= ON_DEMAND_STREAM_LIMIT:
                raise LimitExceededException(
                    f"This request would exceed the on-demand stream limit of "
                    f"{ON_DEMAND_STREAM_LIMIT} for the account {self.sim.account_id}."
                )
        stream = Stream(
            self,
            name,
            shard_count=count,
            mode=mode,
            retention_hours=retention_hours,
            max_record_size_kib=max_record_size_kib,
            tags=checked_tags,
            warm_throughput_mibps=warm_throughput_mibps,
            record_distribution_strategy=record_distribution_strategy,
        )
        self._streams[name] = stream
        delay_ms = seconds_to_ms(self.sim.timings.stream_create_s, "stream_create_s")
        self.sim.trace.emit(
            "kinesis.create", stream=name, shards=count, mode=mode, retention_hours=retention_hours
        )
        if delay_ms == 0:
            stream.status = "ACTIVE"
        else:
            self.sim.call_later_ms(delay_ms, self._activate, stream)
        return stream

    def _activate(self, stream: Stream) -> None:
        if stream.status == "CREATING":
            stream.status = "ACTIVE"
            self.sim.trace.emit("kinesis.active", stream=stream.name)

    def delete_stream(
        self,
        stream_name: str | None = None,
        *,
        enforce_consumer_deletion: bool = False,
        stream_arn: str | None = None,
    ) -> None:
        """DeleteStream: refused with ``ResourceInUseException`` while enhanced fan-out
        consumers are registered, unless ``enforce_consumer_deletion``."""
        if not isinstance(enforce_consumer_deletion, bool):
            raise KinesimTypeError("enforce_consumer_deletion takes True or False")
        stream = self._resolve(stream_name, stream_arn)
        if stream.status == "DELETING":
            raise ResourceInUseException(
                f"Stream {stream.name} under account {self.sim.account_id} is already being "
                "deleted."
            )
        if stream.queue_count:
            raise ResourceInUseException(
                f"Stream {stream.name} under account {self.sim.account_id} has queues. Delete "
                "them with DeleteQueue before you delete the stream."
            )
        if stream._consumers and not enforce_consumer_deletion:
            raise ResourceInUseException(
                f"Stream {stream.name} under account {self.sim.account_id} has registered "
                "consumers. Set EnforceConsumerDeletion to true to delete the stream along "
                "with its consumers."
            )
        stream.status = "DELETING"
        self.sim.trace.emit("kinesis.delete", stream=stream.name)
        delay_ms = seconds_to_ms(self.sim.timings.stream_delete_s, "stream_delete_s")
        if delay_ms == 0:
            self._remove(stream)
        else:
            self.sim.call_later_ms(delay_ms, self._remove, stream)

    def _remove(self, stream: Stream) -> None:
        if self._streams.get(stream.name) is stream:
            del self._streams[stream.name]
        stream._deleted = True
        for consumer in list(stream._consumers.values()):
            hook = getattr(consumer, "_on_stream_deleted", None)
            if hook is not None:
                hook()
        stream._consumers.clear()
        for shard in stream._shards.values():
            if shard._expiry_timer is not None:
                shard._expiry_timer.cancel()
                shard._expiry_timer = None
            shard._release()
            shard._waiters.clear()
        stream._shards.clear()
        stream._open = []
        stream._open_starts = []

    # -- describing ---------------------------------------------------------------------------

    def describe_stream(
        self,
        stream_name: str | None = None,
        *,
        limit: int = 100,
        exclusive_start_shard_id: str | None = None,
        stream_arn: str | None = None,
    ) -> StreamDescription:
        """DescribeStream: the stream's state and at most 100 shards after
        ``exclusive_start_shard_id`` (``has_more_shards`` says whether more follow)."""
        check_int(limit, "limit", minimum=1, maximum=10000)
        stream = self._resolve(stream_name, stream_arn)
        shards = stream.shards
        if exclusive_start_shard_id is not None:
            check_str(exclusive_start_shard_id, "exclusiveStartShardId", max_len=128)
            shards = [s for s in shards if s.shard_id > exclusive_start_shard_id]
        page = shards[: min(limit, 100)]
        return StreamDescription(
            stream.summary(),
            tuple(stream.shard_description(s) for s in page),
            len(shards) > len(page),
        )

    def describe_stream_summary(
        self, stream_name: str | None = None, *, stream_arn: str | None = None
    ) -> StreamSummary:
        """DescribeStreamSummary."""
        return self._resolve(stream_name, stream_arn).summary()

    def list_streams(
        self, *, limit: int = 100, exclusive_start_stream_name: str | None = None
    ) -> StreamPage:
        """ListStreams: streams in name order, at most ``min(limit, 100)`` after
        ``exclusive_start_stream_name``."""
        check_int(limit, "limit", minimum=1, maximum=10000)
        streams = sorted(self._streams.values(), key=lambda s: s.name)
        if exclusive_start_stream_name is not None:
            check_name(exclusive_start_stream_name, "exclusiveStartStreamName")
            streams = [s for s in streams if s.name > exclusive_start_stream_name]
        page = streams[: min(limit, 100)]
        return StreamPage(tuple(s.summary() for s in page), len(streams) > len(page))

    def describe_limits(self) -> AccountLimits:
        """DescribeLimits for this account."""
        return AccountLimits(
            shard_limit=ACCOUNT_SHARD_LIMIT,
            open_shard_count=sum(len(s._open) for s in self._streams.values()),
            on_demand_stream_count=sum(1 for s in self._streams.values() if s.mode == "ON_DEMAND"),
            on_demand_stream_count_limit=ON_DEMAND_STREAM_LIMIT,
        )

    def list_shards(
        self,
        stream_name: str | None = None,
        *,
        next_token: str | None = None,
        exclusive_start_shard_id: str | None = None,
        max_results: int | None = None,
        shard_filter: Mapping[str, Any] | None = None,
        stream_arn: str | None = None,
    ) -> ShardPage:
        """ListShards with AWS's shard filters and pagination (tokens expire after 300 s)."""
        if max_results is not None:
            check_int(max_results, "maxResults", minimum=1, maximum=10000)
        page_size = min(max_results or 1000, 1000)
        if next_token is not None:
            check_str(next_token, "nextToken", max_len=1048576)
            if stream_name is not None or stream_arn is not None or shard_filter is not None:
                raise InvalidArgumentException(
                    "NextToken and StreamName/StreamARN/ShardFilter cannot be provided together."
                )
            if exclusive_start_shard_id is not None:
                raise InvalidArgumentException(
                    "NextToken and ExclusiveStartShardId cannot be provided together."
                )
            state = self._codec.decode(next_token, "ls")
            if state is None:
                raise InvalidArgumentException("Invalid NextToken.")
            if self.sim.now_ms - state.issued_ms > ITERATOR_TTL_MS:
                raise ExpiredNextTokenException(
                    "The pagination token passed to the operation is expired."
                )
            stream = self._streams.get(state.stream_name)
            if stream is None or stream.tag != state.stream_tag:
                raise self._not_found(state.stream_name)
            kind, _, at = state.extra.partition(":")
            spec = (kind, int(at))
            shards = [s for s in _apply_filter(stream, *spec) if s.index > state.shard_index]
        else:
            stream = self._resolve(stream_name, stream_arn)
            spec = self._filter_spec(stream, shard_filter)
            shards = _apply_filter(stream, *spec)
            if exclusive_start_shard_id is not None:
                check_str(exclusive_start_shard_id, "exclusiveStartShardId", max_len=128)
                shards = [s for s in shards if s.shard_id > exclusive_start_shard_id]
        page = shards[:page_size]
        token = None
        if len(shards) > len(page):
            token = self._codec.encode(
                IteratorState(
                    "ls",
                    stream.name,
                    stream.tag,
                    page[-1].index,
                    0,
                    self.sim.now_ms,
                    f"{spec[0]}:{spec[1]}",
                )
            )
        return ShardPage(tuple(stream.shard_description(s) for s in page), token)

    def _filter_spec(
        self, stream: Stream, shard_filter: Mapping[str, Any] | None
    ) -> tuple[str, int]:
        """``(filter type or "", the instant it refers to)``, validated like AWS."""
        if shard_filter is None:
            return "", 0
        if not isinstance(shard_filter, dict):
            raise KinesimTypeError(
                "shard_filter takes a dict such as {'Type': 'AT_LATEST'} or "
                "{'Type': 'AFTER_SHARD_ID', 'ShardId': 'shardId-000000000001'}"
            )
        kind = check_enum(shard_filter.get("Type"), "shardFilter.type", SHARD_FILTER_TYPES)
        shard_id = shard_filter.get("ShardId")
        timestamp = shard_filter.get("Timestamp")
        if kind == "AFTER_SHARD_ID":
            if shard_id is None:
                raise InvalidArgumentException(
                    "ShardId must be specified when ShardFilter type is AFTER_SHARD_ID."
                )
            check_str(shard_id, "shardFilter.shardId", max_len=128, pattern=r"[a-zA-Z0-9_.-]+")
            return kind + "=" + shard_id, 0
        if shard_id is not None:
            raise InvalidArgumentException(
                f"ShardId must not be specified when ShardFilter type is {kind}."
            )
        if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            if timestamp is None:
                raise InvalidArgumentException(
                    f"Timestamp must be specified when ShardFilter type is {kind}."
                )
            return kind, to_epoch_ms(timestamp, "ShardFilter Timestamp")
        if timestamp is not None:
            raise InvalidArgumentException(
                f"Timestamp must not be specified when ShardFilter type is {kind}."
            )
        return kind, self.sim.now_ms - stream.retention_ms

    # -- iterators and reads ------------------------------------------------------------------

    def get_shard_iterator(
        self,
        stream_name: str | None,
        shard_id: str,
        shard_iterator_type: str,
        *,
        starting_sequence_number: str | None = None,
        timestamp: datetime | float | None = None,
        stream_arn: str | None = None,
    ) -> str:
        """GetShardIterator: an opaque iterator, valid for 300,000 ms."""
        check_str(shard_id, "shardId", max_len=128, pattern=r"[a-zA-Z0-9_.-]+")
        kind = check_enum(shard_iterator_type, "shardIteratorType", ITERATOR_TYPES)
        if starting_sequence_number is not None:
            check_str(
                starting_sequence_number,
                "startingSequenceNumber",
                max_len=129,
                pattern=sequence.SEQUENCE_NUMBER_PATTERN,
            )
        timestamp_ms = None if timestamp is None else to_epoch_ms(timestamp, "timestamp")
        by_number = kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
        if by_number and starting_sequence_number is None:
            raise InvalidArgumentException(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                f"StartingSequenceNumber. Request specified {kind} and no StartingSequenceNumber."
            )
        if not by_number and starting_sequence_number is not None:
            raise InvalidArgumentException(
                "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and "
                "StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no "
                f"StartingSequenceNumber. Request specified {kind} and also a "
                "StartingSequenceNumber."
            )
        if kind == "AT_TIMESTAMP" and timestamp_ms is None:
            raise InvalidArgumentException(
                "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. "
                "Current request has no timestamp parameter."
            )
        if kind != "AT_TIMESTAMP" and timestamp_ms is not None:
            raise InvalidArgumentException(
                f"Must specify timestampInMillis parameter only for iterator of type "
                f"AT_TIMESTAMP. Current request has iterator type {kind}."
            )
        stream = self._resolve(stream_name, stream_arn)
        stream._require_writable()
        shard = stream.shard(shard_id)
        stream._expire_due(shard)
        now_ms = self.sim.now_ms
        if kind == "TRIM_HORIZON":
            position = shard.trim_index
        elif kind == "LATEST":
            position = shard.end_index
        elif kind == "AT_TIMESTAMP":
            assert timestamp_ms is not None
            if timestamp_ms > now_ms:
                raise InvalidArgumentException(
                    "The timestampInMillis parameter cannot be greater than the "
                    f"currentTimestampInMillis. timestampInMillis: {timestamp_ms}, "
                    f"currentTimestampInMillis: {now_ms}"
                )
            position = shard.position_at_timestamp(timestamp_ms)
        else:
            assert starting_sequence_number is not None
            position, is_record = shard._locate(starting_sequence_number, "GetShardIterator")
            if kind == "AFTER_SEQUENCE_NUMBER" and is_record:
                position += 1
        self.sim.trace.emit(
            "kinesis.iterator",
            stream=stream.name,
            shard=shard.shard_id,
            type=kind,
            position=position,
        )
        return self._issue(stream, shard, position)

    def _issue(self, stream: Stream, shard: Shard, position: int) -> str:
        # The serial number makes every iterator distinct, as AWS's are (a GetRecords that
        # returns nothing still hands back a new NextShardIterator).
        self._serial += 1
        return self._codec.encode(
            IteratorState(
                "it",
                stream.name,
                stream.tag,
                shard.index,
                position,
                self.sim.now_ms,
                str(self._serial),
            )
        )

    def shard_iterator_for(self, shard: Shard, position: int) -> str:
        """An iterator at an absolute ``position`` of ``shard`` (for kinesim's own readers)."""
        return self._issue(shard.stream, shard, position)

    def get_records(self, shard_iterator: str, *, limit: int | None = None) -> GetRecordsResult:
        """GetRecords: up to ``limit`` (1-10,000, default 10,000) records and 10 MiB, charging
        the shard's shared read limits (5 calls/s, 2 MiB/s)."""
        if not isinstance(shard_iterator, str):
            raise KinesimTypeError(
                f"shard_iterator must be the str get_shard_iterator returned, got "
                f"{type(shard_iterator).__name__}"
            )
        token = shard_iterator
        if len(token) >= 2 and token[0] == token[-1] == '"':
            # AWS accepts an iterator wrapped in double quotes (AWS snapshot).
            token = token[1:-1]
        check_str(token, "shardIterator", max_len=512)
        if limit is not None:
            check_int(limit, "limit", minimum=1)
            if limit > MAX_READ_RECORDS:
                raise InvalidArgumentException(
                    f"1 validation error detected: Value '{limit}' at 'limit' failed to satisfy "
                    f"constraint: Member must have value less than or equal to {MAX_READ_RECORDS}"
                )
        state = self._codec.decode(token, "it")
        if state is None:
            raise InvalidArgumentException("Invalid ShardIterator.")
        now_ms = self.sim.now_ms
        if now_ms - state.issued_ms > ITERATOR_TTL_MS:
            raise ExpiredIteratorException(
                f"Iterator expired. The iterator was created at time {_java_date(state.issued_ms)}"
                f" while right now it is {_java_date(now_ms)} which is further in the future than"
                f" the tolerated delay of {ITERATOR_TTL_MS} milliseconds."
            )
        stream = self._streams.get(state.stream_name)
        if stream is None or stream.tag != state.stream_tag:
            raise self._not_found(state.stream_name)
        shard = stream.shard(f"shardId-{state.shard_index:012d}")
        read = shard.read(state.position, limit=limit or MAX_READ_RECORDS)
        if read.throttled:
            raise ProvisionedThroughputExceededException(stream._rate_exceeded(shard))
        records = shard.records(read.start, read.end)
        children: list[ChildShard] = []
        next_iterator: str | None
        if read.at_shard_end:
            next_iterator = None
            children = stream.child_shards(shard.shard_id)
        else:
            next_iterator = self._issue(stream, shard, read.end)
        return GetRecordsResult(records, next_iterator, read.millis_behind_latest, children)

    # -- stream-scoped operations by name (thin delegates) ------------------------------------

    def put_record(
        self,
        stream_name: str,
        data: bytes | str,
        partition_key: str,
        *,
        explicit_hash_key: str | None = None,
        sequence_number_for_ordering: str | None = None,
    ) -> PutRecordResult:
        return self.stream(stream_name).put_record(
            data,
            partition_key,
            explicit_hash_key=explicit_hash_key,
            sequence_number_for_ordering=sequence_number_for_ordering,
        )

    def put_records(self, stream_name: str, records: Sequence[Any]) -> PutRecordsResult:
        return self.stream(stream_name).put_records(records)

    def _check(self) -> None:
        """Assert every stream's invariants."""
        for name, stream in self._streams.items():
            assert stream.name == name
            assert not stream._deleted
            stream._check()


def _apply_filter(stream: Stream, kind: str, at_ms: int) -> list[Shard]:
    """The stream's shards that a ListShards filter selects (creation order)."""
    shards = stream.shards
    if kind == "" or kind == "FROM_TRIM_HORIZON":
        return shards
    if kind.startswith("AFTER_SHARD_ID="):
        after = kind.partition("=")[2]
        return [s for s in shards if s.shard_id > after]
    if kind == "AT_LATEST":
        return [s for s in shards if not s.closed]
    if kind in ("AT_TRIM_HORIZON", "AT_TIMESTAMP"):
        # [BC-K]: start <= t and (end >= t or still open); an instant before the stream existed
        # means its first shards.
        at_ms = max(at_ms, stream.created_ms)
        return [
            s
            for s in shards
            if s.created_ms <= at_ms and (s.closed_ms is None or s.closed_ms >= at_ms)
        ]
    # FROM_TIMESTAMP [BC-K]: closed shards whose end >= t, and every open shard.
    return [s for s in shards if s.closed_ms is None or s.closed_ms >= at_ms]
