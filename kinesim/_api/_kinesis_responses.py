"""Kinesis values as AWS response members: the one place kinesim's Kinesis domain values become
boto3's PascalCase response members (``sim.client("kinesis")`` and ``mock_aws`` share it)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kinesim._kinesis.descriptions import (
        AccountLimits,
        ChildShard,
        ConsumerDescription,
        MonitoringUpdate,
        ShardDescription,
        StreamDescription,
        StreamSummary,
    )
    from kinesim._kinesis.fanout.subscription import FanoutEvent
    from kinesim._kinesis.queues import EntryResult, Queue, QueueRecord
    from kinesim._kinesis.shard import Record

__all__ = [
    "child_shard",
    "consumer",
    "consumer_description",
    "entry_results",
    "epoch_datetime",
    "limits",
    "list_stream_summary",
    "monitoring",
    "queue_description",
    "queue_record",
    "queue_summary",
    "record",
    "shard",
    "stream_description",
    "stream_summary",
    "subscribe_to_shard_event",
]


def epoch_datetime(ms: int) -> datetime:
    """Epoch milliseconds as the UTC ``datetime`` boto3 parses a timestamp member into."""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).replace(microsecond=(ms % 1000) * 1000)


def record(value: Record) -> dict[str, Any]:
    """A ``Record`` of GetRecords and SubscribeToShard."""
    out: dict[str, Any] = {
        "SequenceNumber": value.sequence_number,
        "ApproximateArrivalTimestamp": value.approximate_arrival_timestamp,
        "Data": value.data,
        "PartitionKey": value.partition_key,
    }
    if value.encryption_type != "NONE":
        out["EncryptionType"] = value.encryption_type
    return out


def _hash_key_range(start: int, end: int) -> dict[str, str]:
    return {"StartingHashKey": str(start), "EndingHashKey": str(end)}


def child_shard(value: ChildShard) -> dict[str, Any]:
    """A ``ChildShard`` of GetRecords and SubscribeToShard."""
    return {
        "ShardId": value.shard_id,
        "ParentShards": list(value.parent_shard_ids),
        "HashKeyRange": _hash_key_range(value.hash_key_start, value.hash_key_end),
    }


def shard(value: ShardDescription) -> dict[str, Any]:
    """A ``Shard`` of DescribeStream and ListShards."""
    out: dict[str, Any] = {"ShardId": value.shard_id}
    if value.parent_shard_id is not None:
        out["ParentShardId"] = value.parent_shard_id
    if value.adjacent_parent_shard_id is not None:
        out["AdjacentParentShardId"] = value.adjacent_parent_shard_id
    out["HashKeyRange"] = _hash_key_range(value.hash_key_start, value.hash_key_end)
    sequence_range = {"StartingSequenceNumber": value.starting_sequence_number}
    if value.ending_sequence_number is not None:
        sequence_range["EndingSequenceNumber"] = value.ending_sequence_number
    out["SequenceNumberRange"] = sequence_range
    return out


def _key_id(summary: StreamSummary) -> dict[str, str]:
    return {} if summary.key_id is None else {"KeyId": summary.key_id}


def stream_description(value: StreamDescription) -> dict[str, Any]:
    """DescribeStream's ``StreamDescription``."""
    summary = value.summary
    return {
        "StreamName": summary.name,
        "StreamARN": summary.arn,
        "StreamStatus": summary.status,
        "StreamModeDetails": {"StreamMode": summary.mode},
        "Shards": [shard(s) for s in value.shards],
        "HasMoreShards": value.has_more_shards,
        "RetentionPeriodHours": summary.retention_hours,
        "StreamCreationTimestamp": summary.creation_timestamp,
        "EnhancedMonitoring": [{"ShardLevelMetrics": list(summary.shard_level_metrics)}],
        "EncryptionType": summary.encryption_type,
        **_key_id(summary),
    }


def stream_summary(value: StreamSummary) -> dict[str, Any]:
    """DescribeStreamSummary's ``StreamDescriptionSummary``."""
    out: dict[str, Any] = {
        "StreamName": value.name,
        "StreamARN": value.arn,
        "StreamStatus": value.status,
        "StreamModeDetails": {"StreamMode": value.mode},
        "RetentionPeriodHours": value.retention_hours,
        "StreamCreationTimestamp": value.creation_timestamp,
        "EnhancedMonitoring": [{"ShardLevelMetrics": list(value.shard_level_metrics)}],
        "EncryptionType": value.encryption_type,
        "OpenShardCount": value.open_shard_count,
        "ConsumerCount": value.consumer_count,
        "MaxRecordSizeInKiB": value.max_record_size_kib,
        **_key_id(value),
    }
    if value.queue_count:
        out["QueueCount"] = value.queue_count
    if value.warm_throughput_mibps is not None:
        out["WarmThroughput"] = {
            "TargetMiBps": value.warm_throughput_mibps,
            "CurrentMiBps": value.warm_throughput_mibps,
        }
    if value.record_distribution_strategy is not None:
        out["RecordDistributionStrategy"] = value.record_distribution_strategy
    return out


def list_stream_summary(value: StreamSummary) -> dict[str, Any]:
    """A ``StreamSummary`` of ListStreams."""
    return {
        "StreamName": value.name,
        "StreamARN": value.arn,
        "StreamStatus": value.status,
        "StreamModeDetails": {"StreamMode": value.mode},
        "StreamCreationTimestamp": value.creation_timestamp,
    }


def limits(value: AccountLimits) -> dict[str, Any]:
    """DescribeLimits' members."""
    return {
        "ShardLimit": value.shard_limit,
        "OpenShardCount": value.open_shard_count,
        "OnDemandStreamCount": value.on_demand_stream_count,
        "OnDemandStreamCountLimit": value.on_demand_stream_count_limit,
    }


def monitoring(value: MonitoringUpdate) -> dict[str, Any]:
    """Enable/DisableEnhancedMonitoring's members."""
    return {
        "StreamName": value.stream_name,
        "StreamARN": value.stream_arn,
        "CurrentShardLevelMetrics": list(value.current_shard_level_metrics),
        "DesiredShardLevelMetrics": list(value.desired_shard_level_metrics),
    }


def consumer(value: ConsumerDescription) -> dict[str, Any]:
    """A ``Consumer`` of RegisterStreamConsumer and ListStreamConsumers."""
    return {
        "ConsumerName": value.name,
        "ConsumerARN": value.arn,
        "ConsumerStatus": value.status,
        "ConsumerCreationTimestamp": value.creation_timestamp,
    }


def consumer_description(value: ConsumerDescription) -> dict[str, Any]:
    """DescribeStreamConsumer's ``ConsumerDescription``."""
    return {**consumer(value), "StreamARN": value.stream_arn}


def subscribe_to_shard_event(value: FanoutEvent) -> dict[str, Any]:
    """A ``SubscribeToShardEvent``: its records in GetRecords' shape, and ``ChildShards`` in
    the last event of a closed shard."""
    event: dict[str, Any] = {
        "Records": [record(r) for r in value.records()],
        "ContinuationSequenceNumber": value.continuation_sequence_number,
        "MillisBehindLatest": value.millis_behind_latest,
    }
    if value.child_shards is not None:
        event["ChildShards"] = [child_shard(c) for c in value.child_shards]
    return event


def queue_description(value: Queue) -> dict[str, Any]:
    """DescribeQueue's (CreateQueue's, UpdateQueue's) ``QueueDescription``."""
    configurations = []
    for stream_arn, kind, at_ms in value.starting_positions:
        position: dict[str, Any] = {"Type": kind}
        if at_ms is not None:
            position["Timestamp"] = epoch_datetime(at_ms)
        configurations.append({"StreamARN": stream_arn, "StartingPosition": position})
    attributes = value.attributes
    dead_letter: dict[str, Any] = {"TargetType": "BUILT_IN" if attributes.dead_letter else "NONE"}
    if attributes.max_receive_count is not None:
        dead_letter["MaxReceiveCount"] = attributes.max_receive_count
    return {
        "QueueName": value.name,
        "QueueARN": value.arn,
        "QueueStatus": value.status,
        "QueueCreationTimestamp": epoch_datetime(value.created_ms),
        "StreamConfigurationList": configurations,
        "QueueAttributes": {
            "VisibilityTimeoutSeconds": attributes.visibility_timeout_s,
            "DeadLetterConfiguration": dead_letter,
        },
    }


def queue_summary(value: Queue) -> dict[str, Any]:
    """A ``QueueSummary`` of ListQueues."""
    return {
        "QueueName": value.name,
        "QueueARN": value.arn,
        "QueueStatus": value.status,
        "QueueCreationTimestamp": epoch_datetime(value.created_ms),
        "Streams": [
            {"StreamARN": s.arn, "StreamCreationTimestamp": epoch_datetime(s.created_ms)}
            for s in value.streams
        ],
    }


def queue_record(value: QueueRecord) -> dict[str, Any]:
    """A ``QueueRecord`` of ReceiveQueueRecords and ReceiveDeadLetterQueueRecords."""
    return {
        "ReceiptHandle": value.receipt_handle,
        "RecordId": value.record_id,
        "PartitionKey": value.partition_key,
        "Data": value.data,
        "ApproximateArrivalTimestamp": epoch_datetime(value.arrival_ms),
        "FirstReceiveTimestamp": epoch_datetime(value.first_receive_ms),
        "ReceiveCount": value.receive_count,
    }


def entry_results(values: list[EntryResult]) -> dict[str, Any]:
    """``Successful`` and ``Failed`` of the acknowledge / visibility / restore operations."""
    return {
        "Successful": [{"ReceiptHandle": r.receipt_handle} for r in values if r.error_code is None],
        "Failed": [
            {
                "ReceiptHandle": r.receipt_handle,
                "ErrorCode": r.error_code,
                "ErrorMessage": r.error_message,
            }
            for r in values
            if r.error_code is not None
        ],
    }
