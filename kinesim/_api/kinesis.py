"""``sim.client("kinesis")``: Kinesis Data Streams operations translated to ``sim.kinesis``."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

from kinesim._api import _kinesis_responses as responses
from kinesim._api._base import Client, epoch_seconds, operation, read_blob, snake_case
from kinesim._errors import InvalidArgumentException, KinesimError, ValidationException
from kinesim._kinesis.fanout.subscription import Subscription
from kinesim._kinesis.queues import Queue
from kinesim._kinesis.stream import Stream

__all__ = ["NOT_SIMULATED", "EventStream", "KinesisClient", "NotSimulatedError"]


class NotSimulatedError(KinesimError, NotImplementedError):
    """An operation of AWS's Kinesis API that kinesim does not simulate (yet)."""


#: Operations of botocore's Kinesis model that kinesim does not simulate yet: channels (delivery
#: to S3 / S3 Tables). The client has them, and each refuses with an error that says so, rather
#: than pretending to succeed.
NOT_SIMULATED: dict[str, str] = dict.fromkeys(
    ["CreateChannel", "DescribeChannel", "ListChannels", "UpdateChannel", "DeleteChannel"],
    "Kinesis channels (delivery to Amazon S3 and S3 Tables)",
)


def _not_simulated(name: str, what: str) -> Any:
    def call(self: KinesisClient, **kwargs: Any) -> dict[str, Any]:
        raise NotSimulatedError(
            f"kinesim does not simulate {what}: {name} is not available. See the Kinesis "
            "fidelity page for what kinesim covers."
        )

    call.__name__ = call.__qualname__ = snake_case(name)
    call.__doc__ = f"AWS {name}: not simulated (raises NotImplementedError)."
    return call


def _check_wait(wait_s: int | None) -> None:
    if wait_s is not None and not 1 <= wait_s <= 20:
        raise ValidationException(
            f"1 validation error detected: Value '{wait_s}' at 'waitTimeSeconds' failed to "
            "satisfy constraint: Member must have value between 1 and 20"
        )


def _token(offset: int) -> str:
    """ListQueues' NextToken: opaque to the caller, the offset of the next page here."""
    return base64.urlsafe_b64encode(f"queues:{offset}".encode()).decode()


def _offset(token: str) -> int:
    try:
        kind, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "queues" and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidArgumentException("Invalid NextToken.")


def _maybe(**members: Any) -> dict[str, Any]:
    """Only the members that were given: kinesim's keyword defaults are the domain's."""
    return {k: v for k, v in members.items() if v is not None}


class EventStream:
    """SubscribeToShard's ``EventStream``: iterate it for ``{"SubscribeToShardEvent": {...}}``
    events, as boto3's event stream. Iterating waits in **virtual** time: when no event is
    pending it runs the simulator to its next scheduled call, until an event arrives or the
    subscription ends (at the latest after its 5 minutes). ``close()`` cancels it;
    ``subscription`` is kinesim's :class:`kinesim.Subscription`."""

    def __init__(self, subscription: Subscription) -> None:
        self.subscription = subscription
        self._next = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        sim = self.subscription._sim
        while True:
            events = self.subscription.events
            if self._next < len(events):
                event = events[self._next]
                self._next += 1
                yield {"SubscribeToShardEvent": responses.subscribe_to_shard_event(event)}
            elif not self.subscription.active or not sim.step():
                return

    def close(self) -> None:
        self.subscription.cancel()


class KinesisClient(Client):
    service_name = "kinesis"

    # -- streams --------------------------------------------------------------------------------

    @operation("CreateStream")
    def _create_stream(
        self,
        *,
        StreamName: str,
        ShardCount: int | None = None,
        StreamModeDetails: dict[str, str] | None = None,
        Tags: dict[str, str] | None = None,
        MaxRecordSizeInKiB: int | None = None,
        WarmThroughputMiBps: int | None = None,
        RecordDistributionStrategy: str | None = None,
    ) -> dict[str, Any]:
        """The stream is ``CREATING`` for ``sim.timings.stream_create_s`` virtual seconds."""
        mode = None if StreamModeDetails is None else StreamModeDetails.get("StreamMode")
        self._sim.kinesis.create_stream(
            StreamName,
            ShardCount,
            mode=mode,
            tags=Tags,
            warm_throughput_mibps=WarmThroughputMiBps,
            record_distribution_strategy=RecordDistributionStrategy,
            **_maybe(max_record_size_kib=MaxRecordSizeInKiB),
        )
        return {}

    @operation("DeleteStream")
    def _delete_stream(
        self,
        *,
        StreamName: str | None = None,
        EnforceConsumerDeletion: bool = False,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        self._sim.kinesis.delete_stream(
            StreamName, enforce_consumer_deletion=EnforceConsumerDeletion, stream_arn=StreamARN
        )
        return {}

    @operation("DescribeStream")
    def _describe_stream(
        self,
        *,
        StreamName: str | None = None,
        Limit: int = 100,
        ExclusiveStartShardId: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        description = self._sim.kinesis.describe_stream(
            StreamName,
            limit=Limit,
            exclusive_start_shard_id=ExclusiveStartShardId,
            stream_arn=StreamARN,
        )
        return {"StreamDescription": responses.stream_description(description)}

    @operation("DescribeStreamSummary")
    def _describe_stream_summary(
        self, *, StreamName: str | None = None, StreamARN: str | None = None
    ) -> dict[str, Any]:
        summary = self._sim.kinesis.describe_stream_summary(StreamName, stream_arn=StreamARN)
        return {"StreamDescriptionSummary": responses.stream_summary(summary)}

    @operation("ListStreams")
    def _list_streams(
        self,
        *,
        Limit: int = 100,
        ExclusiveStartStreamName: str | None = None,
        NextToken: str | None = None,
    ) -> dict[str, Any]:
        """``NextToken`` (what boto3's paginator sends) continues after the previous page's
        last stream, as ``ExclusiveStartStreamName`` does; when both are given, ``NextToken``
        wins (AWS does not document the pair)."""
        page = self._sim.kinesis.list_streams(
            limit=Limit,
            exclusive_start_stream_name=NextToken
            if NextToken is not None
            else ExclusiveStartStreamName,
        )
        out: dict[str, Any] = {
            "StreamNames": page.names,
            "HasMoreStreams": page.has_more_streams,
            "StreamSummaries": [responses.list_stream_summary(s) for s in page.streams],
        }
        if page.has_more_streams:
            out["NextToken"] = page.names[-1]
        return out

    @operation("ListShards")
    def _list_shards(
        self,
        *,
        StreamName: str | None = None,
        NextToken: str | None = None,
        ExclusiveStartShardId: str | None = None,
        MaxResults: int | None = None,
        ShardFilter: dict[str, Any] | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        page = self._sim.kinesis.list_shards(
            StreamName,
            next_token=NextToken,
            exclusive_start_shard_id=ExclusiveStartShardId,
            max_results=MaxResults,
            shard_filter=None if ShardFilter is None else dict(ShardFilter),
            stream_arn=StreamARN,
        )
        out: dict[str, Any] = {"Shards": [responses.shard(s) for s in page.shards]}
        if page.next_token is not None:
            out["NextToken"] = page.next_token
        return out

    # -- records --------------------------------------------------------------------------------

    def _stream(self, name: str | None, arn: str | None) -> Stream:
        return self._sim.kinesis._resolve(name, arn)

    @operation("PutRecord")
    def _put_record(
        self,
        *,
        Data: Any,
        PartitionKey: Any = None,
        StreamName: str | None = None,
        ExplicitHashKey: str | None = None,
        SequenceNumberForOrdering: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        result = self._stream(StreamName, StreamARN).put_record(
            read_blob(Data),
            PartitionKey,
            explicit_hash_key=ExplicitHashKey,
            sequence_number_for_ordering=SequenceNumberForOrdering,
        )
        return {
            "ShardId": result.shard_id,
            "SequenceNumber": result.sequence_number,
            "EncryptionType": result.encryption_type,
        }

    @operation("PutRecords")
    def _put_records(
        self,
        *,
        Records: list[dict[str, Any]],
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        entries = [{**r, "Data": read_blob(r["Data"])} for r in Records]
        result = self._stream(StreamName, StreamARN).put_records(entries)
        out_records: list[dict[str, Any]] = []
        for entry in result.records:
            if entry.ok:
                out_records.append(
                    {"SequenceNumber": entry.sequence_number, "ShardId": entry.shard_id}
                )
            else:
                out_records.append(
                    {"ErrorCode": entry.error_code, "ErrorMessage": entry.error_message}
                )
        return {
            "FailedRecordCount": result.failed_record_count,
            "Records": out_records,
            "EncryptionType": result.encryption_type,
        }

    @operation("GetShardIterator")
    def _get_shard_iterator(
        self,
        *,
        ShardId: str,
        ShardIteratorType: str,
        StreamName: str | None = None,
        StartingSequenceNumber: str | None = None,
        Timestamp: Any = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        iterator = self._sim.kinesis.get_shard_iterator(
            StreamName,
            ShardId,
            ShardIteratorType,
            starting_sequence_number=StartingSequenceNumber,
            timestamp=None if Timestamp is None else epoch_seconds(Timestamp),
            stream_arn=StreamARN,
        )
        return {"ShardIterator": iterator}

    @operation("GetRecords")
    def _get_records(
        self, *, ShardIterator: str, Limit: int | None = None, StreamARN: str | None = None
    ) -> dict[str, Any]:
        """The iterator names the shard; a ``StreamARN`` given too must name a live stream."""
        if StreamARN is not None:
            self._sim.kinesis.stream_by_arn(StreamARN)
        result = self._sim.kinesis.get_records(ShardIterator, limit=Limit)
        out: dict[str, Any] = {
            "Records": [responses.record(r) for r in result.records],
            "MillisBehindLatest": result.millis_behind_latest,
        }
        if result.next_shard_iterator is not None:
            out["NextShardIterator"] = result.next_shard_iterator
        if result.child_shards:
            out["ChildShards"] = [responses.child_shard(c) for c in result.child_shards]
        return out

    # -- resharding and retention ---------------------------------------------------------------

    @operation("SplitShard")
    def _split_shard(
        self,
        *,
        ShardToSplit: str,
        NewStartingHashKey: str,
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).split_shard(ShardToSplit, NewStartingHashKey)
        return {}

    @operation("MergeShards")
    def _merge_shards(
        self,
        *,
        ShardToMerge: str,
        AdjacentShardToMerge: str,
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).merge_shards(ShardToMerge, AdjacentShardToMerge)
        return {}

    @operation("UpdateShardCount")
    def _update_shard_count(
        self,
        *,
        TargetShardCount: int,
        ScalingType: str,
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        update = self._stream(StreamName, StreamARN).update_shard_count(
            TargetShardCount, ScalingType
        )
        return {
            "StreamName": update.stream_name,
            "StreamARN": update.stream_arn,
            "CurrentShardCount": update.current_shard_count,
            "TargetShardCount": update.target_shard_count,
        }

    @operation("IncreaseStreamRetentionPeriod")
    def _increase_stream_retention_period(
        self,
        *,
        RetentionPeriodHours: int,
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).increase_retention_period(RetentionPeriodHours)
        return {}

    @operation("DecreaseStreamRetentionPeriod")
    def _decrease_stream_retention_period(
        self,
        *,
        RetentionPeriodHours: int,
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).decrease_retention_period(RetentionPeriodHours)
        return {}

    @operation("UpdateStreamMode")
    def _update_stream_mode(
        self,
        *,
        StreamARN: str,
        StreamModeDetails: dict[str, str],
        WarmThroughputMiBps: int | None = None,
    ) -> dict[str, Any]:
        """With ``WarmThroughputMiBps``, the stream's warm throughput is set once it is
        on-demand."""
        stream = self._sim.kinesis.stream_by_arn(StreamARN)
        stream.update_stream_mode(StreamModeDetails.get("StreamMode"))  # type: ignore[arg-type]
        if WarmThroughputMiBps is not None:
            stream.warm_throughput_mibps = WarmThroughputMiBps
        return {}

    @operation("UpdateMaxRecordSize")
    def _update_max_record_size(
        self, *, MaxRecordSizeInKiB: int, StreamARN: str | None = None
    ) -> dict[str, Any]:
        self._stream(None, StreamARN).update_max_record_size(MaxRecordSizeInKiB)
        return {}

    @operation("UpdateStreamWarmThroughput")
    def _update_stream_warm_throughput(
        self,
        *,
        WarmThroughputMiBps: int,
        StreamARN: str | None = None,
        StreamName: str | None = None,
    ) -> dict[str, Any]:
        """The new warm throughput is reported at once as both target and current."""
        stream = self._stream(StreamName, StreamARN)
        stream.update_warm_throughput(WarmThroughputMiBps)
        return {
            "StreamARN": stream.arn,
            "StreamName": stream.name,
            "WarmThroughput": {
                "TargetMiBps": WarmThroughputMiBps,
                "CurrentMiBps": stream.warm_throughput_mibps or 0,
            },
        }

    @operation("UpdateStreamRecordDistributionStrategy")
    def _update_stream_record_distribution_strategy(
        self, *, StreamARN: str, RecordDistributionStrategy: str
    ) -> dict[str, Any]:
        stream = self._sim.kinesis.stream_by_arn(StreamARN)
        stream.update_record_distribution_strategy(RecordDistributionStrategy)
        return {}

    @operation("DescribeLimits")
    def _describe_limits(self) -> dict[str, Any]:
        return responses.limits(self._sim.kinesis.describe_limits())

    # -- encryption and monitoring --------------------------------------------------------------

    @operation("StartStreamEncryption")
    def _start_stream_encryption(
        self,
        *,
        EncryptionType: str,
        KeyId: str,
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).start_encryption(KeyId, EncryptionType)
        return {}

    @operation("StopStreamEncryption")
    def _stop_stream_encryption(
        self,
        *,
        EncryptionType: str,
        KeyId: str,
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).stop_encryption(KeyId, EncryptionType)
        return {}

    @operation("EnableEnhancedMonitoring")
    def _enable_enhanced_monitoring(
        self,
        *,
        ShardLevelMetrics: list[str],
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        stream = self._stream(StreamName, StreamARN)
        return responses.monitoring(stream.enable_enhanced_monitoring(list(ShardLevelMetrics)))

    @operation("DisableEnhancedMonitoring")
    def _disable_enhanced_monitoring(
        self,
        *,
        ShardLevelMetrics: list[str],
        StreamName: str | None = None,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        stream = self._stream(StreamName, StreamARN)
        return responses.monitoring(stream.disable_enhanced_monitoring(list(ShardLevelMetrics)))

    # -- tags -----------------------------------------------------------------------------------

    @operation("AddTagsToStream")
    def _add_tags_to_stream(
        self, *, Tags: dict[str, str], StreamName: str | None = None, StreamARN: str | None = None
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).add_tags(Tags)
        return {}

    @operation("ListTagsForStream")
    def _list_tags_for_stream(
        self,
        *,
        StreamName: str | None = None,
        ExclusiveStartTagKey: str | None = None,
        Limit: int = 10,
        StreamARN: str | None = None,
    ) -> dict[str, Any]:
        """Tags in key order, ``Limit`` (default 10) at a time after ``ExclusiveStartTagKey``."""
        tags = sorted(self._stream(StreamName, StreamARN).tags.items())
        if ExclusiveStartTagKey is not None:
            tags = [(k, v) for k, v in tags if k > ExclusiveStartTagKey]
        page = tags[:Limit]
        return {
            "Tags": [{"Key": k, "Value": v} for k, v in page],
            "HasMoreTags": len(tags) > len(page),
        }

    @operation("RemoveTagsFromStream")
    def _remove_tags_from_stream(
        self, *, TagKeys: list[str], StreamName: str | None = None, StreamARN: str | None = None
    ) -> dict[str, Any]:
        self._stream(StreamName, StreamARN).remove_tags(list(TagKeys))
        return {}

    @operation("TagResource")
    def _tag_resource(self, *, Tags: dict[str, str], ResourceARN: str) -> dict[str, Any]:
        """A stream's or an enhanced fan-out consumer's ARN."""
        self._sim.kinesis.tag_resource(ResourceARN, Tags)
        return {}

    @operation("UntagResource")
    def _untag_resource(self, *, TagKeys: list[str], ResourceARN: str) -> dict[str, Any]:
        self._sim.kinesis.untag_resource(ResourceARN, list(TagKeys))
        return {}

    @operation("ListTagsForResource")
    def _list_tags_for_resource(self, *, ResourceARN: str) -> dict[str, Any]:
        tags = self._sim.kinesis.list_tags_for_resource(ResourceARN)
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    # -- resource policies and account settings -------------------------------------------------

    @operation("PutResourcePolicy")
    def _put_resource_policy(self, *, ResourceARN: str, Policy: str) -> dict[str, Any]:
        """Stored and returned by GetResourcePolicy; kinesim does not enforce it."""
        self._sim.kinesis.put_resource_policy(ResourceARN, Policy)
        return {}

    @operation("GetResourcePolicy")
    def _get_resource_policy(self, *, ResourceARN: str) -> dict[str, Any]:
        return {"Policy": self._sim.kinesis.get_resource_policy(ResourceARN)}

    @operation("DeleteResourcePolicy")
    def _delete_resource_policy(self, *, ResourceARN: str) -> dict[str, Any]:
        self._sim.kinesis.delete_resource_policy(ResourceARN)
        return {}

    @operation("DescribeAccountSettings")
    def _describe_account_settings(self) -> dict[str, Any]:
        return {"MinimumThroughputBillingCommitment": self._commitment()}

    @operation("UpdateAccountSettings")
    def _update_account_settings(
        self, *, MinimumThroughputBillingCommitment: dict[str, str]
    ) -> dict[str, Any]:
        status = MinimumThroughputBillingCommitment.get("Status")
        self._sim.kinesis.update_billing_commitment(status)  # type: ignore[arg-type]
        return {"MinimumThroughputBillingCommitment": self._commitment()}

    def _commitment(self) -> dict[str, Any]:
        commitment = self._sim.kinesis.billing_commitment
        out: dict[str, Any] = {"Status": commitment.status}
        for member, ms in (
            ("StartedAt", commitment.started_ms),
            ("EndedAt", commitment.ended_ms),
            ("EarliestAllowedEndAt", commitment.earliest_allowed_end_ms),
        ):
            if ms is not None:
                out[member] = responses.epoch_datetime(ms)
        return out

    # -- queues ---------------------------------------------------------------------------------

    @operation("CreateQueue")
    def _create_queue(
        self,
        *,
        QueueName: str,
        StreamConfigurationList: list[dict[str, Any]],
        QueueAttributes: dict[str, Any] | None = None,
        Tags: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """The queue is ``CREATING`` for ``sim.timings.consumer_register_s``."""
        attributes = QueueAttributes or {}
        configurations = []
        for config in StreamConfigurationList:
            position = dict(config.get("StartingPosition") or {"Type": "LATEST"})
            if "Timestamp" in position:
                position["Timestamp"] = epoch_seconds(position["Timestamp"])
            configurations.append({**config, "StartingPosition": position})
        queue = self._sim.kinesis.queues.create_queue(
            QueueName,
            configurations,
            visibility_timeout_s=attributes.get("VisibilityTimeoutSeconds"),
            dead_letter=attributes.get("DeadLetterConfiguration"),
            tags=Tags,
        )
        return {"QueueDescription": responses.queue_description(queue)}

    @operation("DescribeQueue")
    def _describe_queue(self, *, QueueARN: str) -> dict[str, Any]:
        return {"QueueDescription": responses.queue_description(self._queue(QueueARN))}

    @operation("ListQueues")
    def _list_queues(
        self,
        *,
        MaxResults: int | None = None,
        NextToken: str | None = None,
        StreamFilter: list[dict[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """Queues in creation order; ``NextToken`` continues after ``MaxResults`` (does not
        expire)."""
        arns = None if StreamFilter is None else [f["StreamARN"] for f in StreamFilter]
        queues = self._sim.kinesis.queues.list_queues(stream_arns=arns)
        start = 0
        if NextToken is not None:
            start = _offset(NextToken)
        size = len(queues) if MaxResults is None else MaxResults
        page = queues[start : start + size]
        out: dict[str, Any] = {"QueueSummaries": [responses.queue_summary(q) for q in page]}
        if start + len(page) < len(queues):
            out["NextToken"] = _token(start + len(page))
        return out

    @operation("UpdateQueue")
    def _update_queue(self, *, QueueARN: str, QueueAttributes: dict[str, Any]) -> dict[str, Any]:
        queue = self._sim.kinesis.queues.update_queue(
            QueueARN,
            visibility_timeout_s=QueueAttributes.get("VisibilityTimeoutSeconds"),
            dead_letter=QueueAttributes.get("DeadLetterConfiguration"),
        )
        return {"QueueDescription": responses.queue_description(queue)}

    @operation("DeleteQueue")
    def _delete_queue(self, *, QueueARN: str) -> dict[str, Any]:
        self._sim.kinesis.queues.delete_queue(QueueARN)
        return {}

    def _queue(self, arn: str) -> Queue:
        return self._sim.kinesis.queues.queue(arn)

    @operation("ReceiveQueueRecords")
    def _receive_queue_records(
        self,
        *,
        QueueARN: str,
        Limit: int = 10,
        WaitTimeSeconds: int | None = None,
        VisibilityTimeoutSeconds: int | None = None,
    ) -> dict[str, Any]:
        """Returns at once: ``WaitTimeSeconds`` (1-20) is checked, not waited (advance the
        simulator to let visibility timeouts pass)."""
        return self._receive(QueueARN, Limit, WaitTimeSeconds, VisibilityTimeoutSeconds, False)

    @operation("ReceiveDeadLetterQueueRecords")
    def _receive_dead_letter_queue_records(
        self,
        *,
        QueueARN: str,
        Limit: int = 10,
        WaitTimeSeconds: int | None = None,
        VisibilityTimeoutSeconds: int | None = None,
    ) -> dict[str, Any]:
        """Returns at once, as ReceiveQueueRecords."""
        return self._receive(QueueARN, Limit, WaitTimeSeconds, VisibilityTimeoutSeconds, True)

    def _receive(
        self, arn: str, limit: int, wait_s: int | None, visibility_s: int | None, dead: bool
    ) -> dict[str, Any]:
        _check_wait(wait_s)
        queue = self._queue(arn)
        receive = queue.receive_dead_letters if dead else queue.receive
        records = receive(limit=limit, visibility_timeout_s=visibility_s)
        return {"QueueRecords": [responses.queue_record(r) for r in records]}

    @operation("AcknowledgeQueueRecords")
    def _acknowledge_queue_records(
        self, *, QueueARN: str, Entries: list[dict[str, str]]
    ) -> dict[str, Any]:
        handles = [e["ReceiptHandle"] for e in Entries]
        return responses.entry_results(self._queue(QueueARN).acknowledge(handles))

    @operation("AcknowledgeDeadLetterQueueRecords")
    def _acknowledge_dead_letter_queue_records(
        self, *, QueueARN: str, Entries: list[dict[str, str]]
    ) -> dict[str, Any]:
        handles = [e["ReceiptHandle"] for e in Entries]
        return responses.entry_results(self._queue(QueueARN).acknowledge(handles, dead=True))

    @operation("UpdateQueueRecordsVisibility")
    def _update_queue_records_visibility(
        self, *, QueueARN: str, Entries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        pairs = [(e["ReceiptHandle"], e["VisibilityTimeoutSeconds"]) for e in Entries]
        return responses.entry_results(self._queue(QueueARN).change_visibility(pairs))

    @operation("UpdateDeadLetterQueueRecordsVisibility")
    def _update_dead_letter_queue_records_visibility(
        self, *, QueueARN: str, Entries: list[dict[str, Any]]
    ) -> dict[str, Any]:
        pairs = [(e["ReceiptHandle"], e["VisibilityTimeoutSeconds"]) for e in Entries]
        return responses.entry_results(self._queue(QueueARN).change_visibility(pairs, dead=True))

    @operation("RestoreDeadLetterQueueRecords")
    def _restore_dead_letter_queue_records(
        self, *, QueueARN: str, Entries: list[dict[str, str]]
    ) -> dict[str, Any]:
        handles = [e["ReceiptHandle"] for e in Entries]
        return responses.entry_results(self._queue(QueueARN).restore(handles))

    # -- enhanced fan-out -----------------------------------------------------------------------

    @operation("RegisterStreamConsumer")
    def _register_stream_consumer(self, *, StreamARN: str, ConsumerName: str) -> dict[str, Any]:
        consumer = self._sim.kinesis.register_stream_consumer(StreamARN, ConsumerName)
        return {"Consumer": responses.consumer(consumer.description())}

    @operation("DescribeStreamConsumer")
    def _describe_stream_consumer(
        self,
        *,
        StreamARN: str | None = None,
        ConsumerName: str | None = None,
        ConsumerARN: str | None = None,
    ) -> dict[str, Any]:
        description = self._sim.kinesis.describe_stream_consumer(
            stream_arn=StreamARN, consumer_name=ConsumerName, consumer_arn=ConsumerARN
        )
        return {"ConsumerDescription": responses.consumer_description(description)}

    @operation("ListStreamConsumers")
    def _list_stream_consumers(
        self, *, StreamARN: str, NextToken: str | None = None, MaxResults: int | None = None
    ) -> dict[str, Any]:
        page = self._sim.kinesis.list_stream_consumers(
            StreamARN, max_results=MaxResults, next_token=NextToken
        )
        out: dict[str, Any] = {"Consumers": [responses.consumer(c) for c in page.consumers]}
        if page.next_token is not None:
            out["NextToken"] = page.next_token
        return out

    @operation("DeregisterStreamConsumer")
    def _deregister_stream_consumer(
        self,
        *,
        StreamARN: str | None = None,
        ConsumerName: str | None = None,
        ConsumerARN: str | None = None,
    ) -> dict[str, Any]:
        self._sim.kinesis.deregister_stream_consumer(
            stream_arn=StreamARN, consumer_name=ConsumerName, consumer_arn=ConsumerARN
        )
        return {}

    @operation("SubscribeToShard")
    def _subscribe_to_shard(
        self, *, ConsumerARN: str, ShardId: str, StartingPosition: dict[str, Any]
    ) -> dict[str, Any]:
        """``EventStream`` is an :class:`EventStream` (iterating it waits in virtual time)."""
        position = dict(StartingPosition)
        if "Timestamp" in position:
            position["Timestamp"] = epoch_seconds(position["Timestamp"])
        subscription = self._sim.kinesis.subscribe_to_shard(ConsumerARN, ShardId, position)
        return {"EventStream": EventStream(subscription)}


for _name, _what in NOT_SIMULATED.items():
    setattr(KinesisClient, snake_case(_name), _not_simulated(_name, _what))
