"""Smaller corners of the clients: bodies, timestamps, nested validation, and the members
translated on the side."""

from __future__ import annotations

import datetime as dt
import io

import pytest

import kinesim
from kinesim._api._base import StreamingBody, epoch_seconds, read_blob


def test_streaming_body_reads_like_botocores():
    body = StreamingBody(b"one\ntwo\n")
    assert list(body.iter_lines()) == [b"one", b"two"]
    body = StreamingBody(b"abcde")
    assert list(body.iter_chunks(2)) == [b"ab", b"cd", b"e"]
    body = StreamingBody(b"abc")
    assert body.read(1) == b"a"
    assert body.read() == b"bc"


def test_timestamps_and_blobs():
    moment = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert epoch_seconds(moment) == moment.timestamp()
    assert epoch_seconds(moment.replace(tzinfo=None)) == moment.timestamp()
    assert epoch_seconds("2026-01-01T00:00:00Z") == moment.timestamp()
    assert epoch_seconds("1767225600") == moment.timestamp()
    assert epoch_seconds(1767225600) == moment.timestamp()
    assert read_blob(io.BytesIO(b"file")) == b"file"
    assert read_blob(bytearray(b"ba")) == b"ba"
    assert read_blob("é") == "é".encode()


def test_nested_validation_of_maps_and_structures(sim):
    kinesis = sim.client("kinesis")
    with pytest.raises(kinesim.ParamValidationError, match=r"parameter Tags\.team, value: 1"):
        kinesis.add_tags_to_stream(StreamName="s", Tags={"team": 1})
    with pytest.raises(
        kinesim.ParamValidationError, match='Unknown parameter in ShardFilter: "Kind"'
    ):
        kinesis.list_shards(StreamName="s", ShardFilter={"Type": "AT_LATEST", "Kind": 1})
    assert repr(kinesis) == "<kinesim kinesis client>"
    with pytest.raises(AttributeError):
        kinesis.__deepcopy_hook__  # noqa: B018


def test_file_like_data_is_read(sim):
    kinesis = sim.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    put = kinesis.put_record(StreamName="s", Data=io.BytesIO(b"from a file"), PartitionKey="k")
    assert sim.kinesis.stream("s").shard(put["ShardId"]).records(0, 1)[0].data == b"from a file"


def test_get_records_with_a_stream_arn_and_at_a_closed_shards_end(sim):
    kinesis = sim.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = sim.kinesis.stream("s").arn
    iterator = kinesis.get_shard_iterator(
        StreamARN=arn, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    kinesis.split_shard(
        StreamName="s", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(2**127)
    )
    sim.advance(1)
    out = kinesis.get_records(ShardIterator=iterator, StreamARN=arn)
    assert "NextShardIterator" not in out
    assert sorted(c["ShardId"] for c in out["ChildShards"]) == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.get_records(ShardIterator=iterator, StreamARN=arn + "x")


def test_subscribe_at_timestamp(sim):
    kinesis = sim.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    arn = sim.kinesis.stream("s").arn
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]
    kinesis.put_record(StreamName="s", Data=b"old", PartitionKey="k")
    sim.advance(5)
    since = sim.datetime.isoformat()
    kinesis.put_record(StreamName="s", Data=b"new", PartitionKey="k")
    events = kinesis.subscribe_to_shard(
        ConsumerARN=consumer["ConsumerARN"],
        ShardId="shardId-000000000000",
        StartingPosition={"Type": "AT_TIMESTAMP", "Timestamp": since},
    )["EventStream"]
    first = next(iter(events))["SubscribeToShardEvent"]
    assert [r["Data"] for r in first["Records"]] == [b"new"]
    events.close()


def test_lambda_side_members(sim):
    lambda_ = sim.client("lambda")
    out = lambda_.create_function(
        FunctionName="f", handler=None, Handler="app.handler", Description="d"
    )
    assert (out["Handler"], out["Description"]) == ("app.handler", "d")
    with pytest.raises(kinesim.KinesimValueError, match="InvocationType takes"):
        lambda_.invoke(FunctionName="f", InvocationType="Later")
    lambda_.create_function(FunctionName="g", handler=None)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    uuid = lambda_.create_event_source_mapping(
        FunctionName="f", EventSourceArn=stream.arn, StartingPosition="LATEST"
    )["UUID"]
    sim.advance(1)
    moved = lambda_.update_event_source_mapping(UUID=uuid, FunctionName="g")
    assert moved["FunctionArn"] == sim.lambda_.function("g").arn


def test_sns_refusals(sim):
    sns = sim.client("sns")
    topic = sns.create_topic(Name="t")["TopicArn"]
    with pytest.raises(sns.exceptions.InvalidParameterException, match="Endpoint"):
        sns.subscribe(TopicArn=topic, Protocol="sqs")
    queue = sim.sqs.create_queue("q")
    with pytest.raises(sns.exceptions.InvalidParameterException, match="FilterPolicy"):
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue.arn, Attributes={"FilterPolicy": "{}"}
        )
    with pytest.raises(sns.exceptions.InvalidParameterException, match="TopicArn"):
        sns.publish(Message="m")
