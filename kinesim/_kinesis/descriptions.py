"""What describing and listing Kinesis resources returns: frozen snapshots, in kinesim's terms.

The domain answers DescribeStream, ListShards, DescribeStreamConsumer ... with these values (names
in snake_case, hash keys as ints, times as epoch ms); ``kinesim/_api/`` turns them into AWS's
PascalCase response members, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

__all__ = [
    "AccountLimits",
    "ChildShard",
    "ConsumerDescription",
    "ConsumerPage",
    "MonitoringUpdate",
    "ShardCountUpdate",
    "ShardDescription",
    "ShardPage",
    "StreamDescription",
    "StreamPage",
    "StreamSummary",
]


def _datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms // 1000, timezone.utc).replace(microsecond=(ms % 1000) * 1000)


@dataclass(frozen=True, slots=True)
class ShardDescription:
    """A shard as DescribeStream and ListShards show it. ``ending_sequence_number`` is None
    while the shard is open."""

    shard_id: str
    parent_shard_id: str | None
    adjacent_parent_shard_id: str | None
    hash_key_start: int
    hash_key_end: int
    starting_sequence_number: str
    ending_sequence_number: str | None


@dataclass(frozen=True, slots=True)
class ChildShard:
    """A child of a closed shard, as GetRecords and SubscribeToShard report it at the shard's
    end: its id, its parents (one after a split, two after a merge) and its hash key range."""

    shard_id: str
    parent_shard_ids: tuple[str, ...]
    hash_key_start: int
    hash_key_end: int


@dataclass(frozen=True, slots=True)
class StreamSummary:
    """A stream's state (DescribeStreamSummary; ListStreams shows the first five fields)."""

    name: str
    arn: str
    status: str
    mode: str
    created_ms: int
    retention_hours: int
    shard_level_metrics: tuple[str, ...]
    encryption_type: str
    key_id: str | None
    open_shard_count: int
    consumer_count: int
    max_record_size_kib: int
    warm_throughput_mibps: int | None = None
    record_distribution_strategy: str | None = None
    queue_count: int = 0

    @property
    def creation_timestamp(self) -> datetime:
        return _datetime(self.created_ms)


@dataclass(frozen=True, slots=True)
class StreamDescription:
    """DescribeStream: the stream's state and one page of its shards (at most 100)."""

    summary: StreamSummary
    shards: tuple[ShardDescription, ...]
    has_more_shards: bool


@dataclass(frozen=True, slots=True)
class StreamPage:
    """ListStreams: one page of streams in name order."""

    streams: tuple[StreamSummary, ...]
    has_more_streams: bool

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.streams]


@dataclass(frozen=True, slots=True)
class ShardPage:
    """ListShards: one page of shards; ``next_token`` continues it (valid for 300 s)."""

    shards: tuple[ShardDescription, ...]
    next_token: str | None


@dataclass(frozen=True, slots=True)
class AccountLimits:
    """DescribeLimits for the simulated account."""

    shard_limit: int
    open_shard_count: int
    on_demand_stream_count: int
    on_demand_stream_count_limit: int


@dataclass(frozen=True, slots=True)
class ShardCountUpdate:
    """UpdateShardCount's answer: the open shard count before and the target."""

    stream_name: str
    stream_arn: str
    current_shard_count: int
    target_shard_count: int


@dataclass(frozen=True, slots=True)
class MonitoringUpdate:
    """Enable/DisableEnhancedMonitoring's answer: the shard-level metrics before and after."""

    stream_name: str
    stream_arn: str
    current_shard_level_metrics: tuple[str, ...]
    desired_shard_level_metrics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ConsumerDescription:
    """An enhanced fan-out consumer (RegisterStreamConsumer, DescribeStreamConsumer,
    ListStreamConsumers). ``creation_epoch_s`` is whole seconds, as in its ARN."""

    name: str
    arn: str
    status: str
    creation_epoch_s: int
    stream_arn: str

    @property
    def creation_timestamp(self) -> datetime:
        return _datetime(self.creation_epoch_s * 1000)


@dataclass(frozen=True, slots=True)
class ConsumerPage:
    """ListStreamConsumers: one page of consumers in registration order."""

    consumers: tuple[ConsumerDescription, ...]
    next_token: str | None
