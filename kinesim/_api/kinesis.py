"""``sim.client("kinesis")``: Kinesis Data Streams operations translated to ``sim.kinesis``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kinesim._api._base import Client, epoch_seconds, operation, read_blob
from kinesim._kinesis.fanout.subscription import Subscription
from kinesim._kinesis.shard import Record
from kinesim._kinesis.stream import Stream

__all__ = ["EventStream", "KinesisClient"]


def _record(record: Record) -> dict[str, Any]:
    out: dict[str, Any] = {
        "SequenceNumber": record.sequence_number,
        "ApproximateArrivalTimestamp": record.approximate_arrival_timestamp,
        "Data": record.data,
        "PartitionKey": record.partition_key,
    }
    if record.encryption_type != "NONE":
        out["EncryptionType"] = record.encryption_type
    return out


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
                yield {"SubscribeToShardEvent": event.to_dict()}
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
    ) -> dict[str, Any]:
        """The stream is ``CREATING`` for ``sim.timings.stream_create_s`` virtual seconds."""
        mode = None if StreamModeDetails is None else StreamModeDetails.get("StreamMode")
        self._sim.kinesis.create_stream(
            StreamName,
            ShardCount,
            mode=mode,
            tags=Tags,
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
        return {"StreamDescription": description}

    @operation("DescribeStreamSummary")
    def _describe_stream_summary(
        self, *, StreamName: str | None = None, StreamARN: str | None = None
    ) -> dict[str, Any]:
        summary = self._sim.kinesis.describe_stream_summary(StreamName, stream_arn=StreamARN)
        return {"StreamDescriptionSummary": summary}

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
        if page["HasMoreStreams"]:
            page["NextToken"] = page["StreamNames"][-1]
        return page

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
        return self._sim.kinesis.list_shards(
            StreamName,
            next_token=NextToken,
            exclusive_start_shard_id=ExclusiveStartShardId,
            max_results=MaxResults,
            shard_filter=None if ShardFilter is None else dict(ShardFilter),
            stream_arn=StreamARN,
        )

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
            "Records": [_record(r) for r in result.records],
            "MillisBehindLatest": result.millis_behind_latest,
        }
        if result.next_shard_iterator is not None:
            out["NextShardIterator"] = result.next_shard_iterator
        if result.child_shards:
            out["ChildShards"] = result.child_shards
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
        stream = self._stream(StreamName, StreamARN)
        return stream.update_shard_count(TargetShardCount, ScalingType)

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

    # -- enhanced fan-out -----------------------------------------------------------------------

    @operation("RegisterStreamConsumer")
    def _register_stream_consumer(self, *, StreamARN: str, ConsumerName: str) -> dict[str, Any]:
        consumer = self._sim.kinesis.register_stream_consumer(StreamARN, ConsumerName)
        return {"Consumer": consumer.summary()}

    @operation("DescribeStreamConsumer")
    def _describe_stream_consumer(
        self,
        *,
        StreamARN: str | None = None,
        ConsumerName: str | None = None,
        ConsumerARN: str | None = None,
    ) -> dict[str, Any]:
        return self._sim.kinesis.describe_stream_consumer(
            stream_arn=StreamARN, consumer_name=ConsumerName, consumer_arn=ConsumerARN
        )

    @operation("ListStreamConsumers")
    def _list_stream_consumers(
        self, *, StreamARN: str, NextToken: str | None = None, MaxResults: int | None = None
    ) -> dict[str, Any]:
        return self._sim.kinesis.list_stream_consumers(
            StreamARN, max_results=MaxResults, next_token=NextToken
        )

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
