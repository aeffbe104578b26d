"""sim.client("kinesis"): every covered operation round-trips against the domain, in boto3's
shapes (checked against botocore's output shapes)."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import check_shape, service_model

import kinesim


def shape(op, response):
    return check_shape("kinesis", op, response)


@pytest.fixture
def arn(sim, kinesis):
    kinesis.create_stream(StreamName="orders", ShardCount=2)
    sim.advance(60)
    return sim.kinesis.stream("orders").arn


def test_create_describe_list_delete(sim, kinesis):
    shape("CreateStream", kinesis.create_stream(StreamName="orders", ShardCount=2))
    assert sim.kinesis.stream("orders").name == "orders"
    sim.advance(60)
    described = shape("DescribeStream", kinesis.describe_stream(StreamName="orders"))
    assert described["StreamDescription"]["StreamName"] == "orders"
    assert len(described["StreamDescription"]["Shards"]) == 2
    summary = shape("DescribeStreamSummary", kinesis.describe_stream_summary(StreamName="orders"))
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 2
    listed = shape("ListStreams", kinesis.list_streams())
    assert listed["StreamNames"] == ["orders"]
    shards = shape("ListShards", kinesis.list_shards(StreamName="orders", MaxResults=1))
    assert [s["ShardId"] for s in shards["Shards"]] == ["shardId-000000000000"]
    rest = kinesis.list_shards(NextToken=shards["NextToken"])
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000001"]
    shape("DeleteStream", kinesis.delete_stream(StreamName="orders"))
    sim.advance(60)
    assert sim.kinesis.streams == []


def test_describe_stream_wire_shape(sim, kinesis):
    kinesis.create_stream(StreamName="s", ShardCount=2)
    kinesis.split_shard(
        StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**126)
    )
    d = shape("DescribeStream", kinesis.describe_stream(StreamName="s"))["StreamDescription"]
    assert d["StreamARN"] == "arn:aws:kinesis:us-east-1:123456789012:stream/s"
    assert (d["StreamStatus"], d["StreamModeDetails"]) == ("ACTIVE", {"StreamMode": "PROVISIONED"})
    assert (d["RetentionPeriodHours"], d["HasMoreShards"], d["EncryptionType"]) == (
        24,
        False,
        "NONE",
    )
    assert d["StreamCreationTimestamp"] == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert d["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert "KeyId" not in d
    shards = d["Shards"]
    assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(4)]
    closed = shards[0]
    assert set(closed["SequenceNumberRange"]) == {"StartingSequenceNumber", "EndingSequenceNumber"}
    assert set(shards[1]["SequenceNumberRange"]) == {"StartingSequenceNumber"}
    assert shards[2]["ParentShardId"] == "shardId-000000000000"
    assert "AdjacentParentShardId" not in shards[2]
    assert shards[2]["HashKeyRange"] == {"StartingHashKey": "0", "EndingHashKey": str(2**126 - 1)}
    listed = shape("ListStreams", kinesis.list_streams())
    assert listed["StreamNames"] == ["s"]
    assert listed["StreamSummaries"][0]["StreamARN"] == d["StreamARN"]
    iterator = kinesis.get_shard_iterator(
        StreamName="s", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    end = shape("GetRecords", kinesis.get_records(ShardIterator=iterator))
    assert "NextShardIterator" not in end
    assert end["ChildShards"] == [
        {
            "ShardId": "shardId-000000000002",
            "ParentShards": ["shardId-000000000000"],
            "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(2**126 - 1)},
        },
        {
            "ShardId": "shardId-000000000003",
            "ParentShards": ["shardId-000000000000"],
            "HashKeyRange": {"StartingHashKey": str(2**126), "EndingHashKey": str(2**127 - 1)},
        },
    ]


def test_on_demand_mode_and_tags_at_create(sim, kinesis):
    kinesis.create_stream(
        StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"}, Tags={"team": "a"}
    )
    stream = sim.kinesis.stream("od")
    assert stream.mode == "ON_DEMAND"
    assert stream.tags == {"team": "a"}


def test_put_and_read_back(sim, kinesis, arn):
    put = shape("PutRecord", kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k"))
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    by_arn = kinesis.put_record(StreamARN=arn, Data="text", PartitionKey="k")
    assert by_arn["ShardId"] == put["ShardId"]
    many = shape(
        "PutRecords",
        kinesis.put_records(
            StreamName="orders",
            Records=[{"Data": b"a", "PartitionKey": "k"}, {"Data": b"b", "PartitionKey": "k"}],
        ),
    )
    assert many["FailedRecordCount"] == 0
    assert all(r["ShardId"] == put["ShardId"] for r in many["Records"])
    iterator = shape(
        "GetShardIterator",
        kinesis.get_shard_iterator(
            StreamName="orders", ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
        ),
    )["ShardIterator"]
    got = shape("GetRecords", kinesis.get_records(ShardIterator=iterator, Limit=10))
    assert [r["Data"] for r in got["Records"]] == [b"x", b"text", b"a", b"b"]
    assert got["Records"][0]["SequenceNumber"] == put["SequenceNumber"]
    assert got["Records"][0]["ApproximateArrivalTimestamp"] == sim.datetime
    assert "NextShardIterator" in got
    after = kinesis.get_shard_iterator(
        StreamName="orders",
        ShardId=put["ShardId"],
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]
    sim.advance(1)
    assert len(kinesis.get_records(ShardIterator=after)["Records"]) == 3
    at = kinesis.get_shard_iterator(
        StreamName="orders",
        ShardId=put["ShardId"],
        ShardIteratorType="AT_TIMESTAMP",
        Timestamp=sim.datetime,
    )["ShardIterator"]
    sim.advance(1)
    assert kinesis.get_records(ShardIterator=at)["Records"] == []


def test_put_records_reports_throttled_entries(sim, kinesis, arn):
    sim.kinesis.stream("orders").put_records([(b"x" * 1000, "k")] * 500)
    sim.kinesis.stream("orders").put_records([(b"x" * 1000, "k")] * 500)
    out = shape(
        "PutRecords",
        kinesis.put_records(StreamName="orders", Records=[{"Data": b"y", "PartitionKey": "k"}]),
    )
    assert out["FailedRecordCount"] == 1
    assert out["Records"][0]["ErrorCode"] == "ProvisionedThroughputExceededException"


def test_reshard_and_retention(sim, kinesis, arn):
    shape(
        "SplitShard",
        kinesis.split_shard(
            StreamName="orders",
            ShardToSplit="shardId-000000000000",
            NewStartingHashKey=str(2**126),
        ),
    )
    sim.advance(60)
    assert len(sim.kinesis.stream("orders").open_shards()) == 3
    shape(
        "MergeShards",
        kinesis.merge_shards(
            StreamName="orders",
            ShardToMerge="shardId-000000000002",
            AdjacentShardToMerge="shardId-000000000003",
        ),
    )
    sim.advance(60)
    assert len(sim.kinesis.stream("orders").open_shards()) == 2
    updated = shape(
        "UpdateShardCount",
        kinesis.update_shard_count(
            StreamName="orders", TargetShardCount=4, ScalingType="UNIFORM_SCALING"
        ),
    )
    assert (updated["CurrentShardCount"], updated["TargetShardCount"]) == (2, 4)
    sim.advance(60)
    shape(
        "IncreaseStreamRetentionPeriod",
        kinesis.increase_stream_retention_period(StreamName="orders", RetentionPeriodHours=48),
    )
    sim.advance(60)
    assert sim.kinesis.stream("orders").retention_hours == 48
    shape(
        "DecreaseStreamRetentionPeriod",
        kinesis.decrease_stream_retention_period(StreamARN=arn, RetentionPeriodHours=24),
    )
    sim.advance(60)
    assert sim.kinesis.stream("orders").retention_hours == 24


def test_tags(kinesis, arn):
    shape("AddTagsToStream", kinesis.add_tags_to_stream(StreamName="orders", Tags={"b": "2"}))
    kinesis.add_tags_to_stream(StreamARN=arn, Tags={"a": "1", "c": "3"})
    page = shape("ListTagsForStream", kinesis.list_tags_for_stream(StreamName="orders", Limit=2))
    assert page["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    assert page["HasMoreTags"] is True
    rest = kinesis.list_tags_for_stream(StreamName="orders", ExclusiveStartTagKey="b")
    assert rest["Tags"] == [{"Key": "c", "Value": "3"}]
    assert rest["HasMoreTags"] is False
    shape(
        "RemoveTagsFromStream",
        kinesis.remove_tags_from_stream(StreamName="orders", TagKeys=["a", "c"]),
    )
    assert kinesis.list_tags_for_stream(StreamName="orders")["Tags"] == [{"Key": "b", "Value": "2"}]


def test_consumers_and_subscribe(sim, kinesis, arn):
    consumer = shape(
        "RegisterStreamConsumer",
        kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="analytics"),
    )["Consumer"]
    assert consumer["ConsumerStatus"] == sim.kinesis.stream("orders").consumer("analytics").status
    sim.advance(10)
    described = shape(
        "DescribeStreamConsumer",
        kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"]),
    )["ConsumerDescription"]
    assert described["ConsumerStatus"] == "ACTIVE"
    listed = shape("ListStreamConsumers", kinesis.list_stream_consumers(StreamARN=arn))
    assert [c["ConsumerName"] for c in listed["Consumers"]] == ["analytics"]

    kinesis.put_record(StreamName="orders", Data=b"r1", PartitionKey="k")
    shard_id = kinesis.put_record(StreamName="orders", Data=b"r2", PartitionKey="k")["ShardId"]
    response = shape(
        "SubscribeToShard",
        kinesis.subscribe_to_shard(
            ConsumerARN=consumer["ConsumerARN"],
            ShardId=shard_id,
            StartingPosition={"Type": "TRIM_HORIZON"},
        ),
    )
    stream = response["EventStream"]
    events = iter(stream)
    first = next(events)["SubscribeToShardEvent"]
    assert [r["Data"] for r in first["Records"]] == [b"r1", b"r2"]
    kinesis.put_record(StreamName="orders", Data=b"r3", PartitionKey="k")
    # Iterating waits in virtual time for the next push.
    before = sim.now_ms
    second = next(events)["SubscribeToShardEvent"]
    assert [r["Data"] for r in second["Records"]] == [b"r3"]
    assert sim.now_ms > before
    output = service_model("kinesis").shape_for("SubscribeToShardEvent")
    for event in (first, second):
        assert set(event) <= set(output.members)
        assert set(output.required_members) <= set(event)
    stream.close()
    assert list(events) == []
    assert not stream.subscription.active

    shape(
        "DeregisterStreamConsumer",
        kinesis.deregister_stream_consumer(StreamARN=arn, ConsumerName="analytics"),
    )
    sim.advance(10)
    assert kinesis.list_stream_consumers(StreamARN=arn)["Consumers"] == []


def test_subscription_iteration_ends_when_it_expires(sim, kinesis, arn):
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]
    sim.advance(10)
    stream = kinesis.subscribe_to_shard(
        ConsumerARN=consumer["ConsumerARN"],
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "LATEST"},
    )["EventStream"]
    start = sim.now_ms
    events = list(stream)
    assert events  # the initial, empty event at least
    assert sim.now_ms - start == 300_000  # the 5-minute subscription lifetime
    assert all(e["SubscribeToShardEvent"]["Records"] == [] for e in events)


def test_domain_errors_propagate_with_their_codes(sim, kinesis, arn):
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException) as caught:
        kinesis.describe_stream(StreamName="nope")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.create_stream(StreamName="orders", ShardCount=1)
    with pytest.raises(kinesis.exceptions.InvalidArgumentException):
        kinesis.get_records(ShardIterator="garbage")
    with pytest.raises(kinesis.exceptions.ClientError):
        kinesis.get_shard_iterator(
            StreamName="orders", ShardId="shardId-000000000009", ShardIteratorType="LATEST"
        )
    assert kinesis.exceptions.ClientError is kinesim.AWSError
