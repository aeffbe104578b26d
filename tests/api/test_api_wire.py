"""What the wire cannot carry: text UTF-8 cannot encode, unparseable timestamps, non-JSON Invoke
payloads. Each gets the error AWS or botocore would give, never a raw Python exception."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

import kinesim
from kinesim import Simulator

SHARD = "shardId-000000000000"
SURROGATES = ["\ud800", "ok\udfffok", "\udc00" * 3]


@pytest.fixture
def sim() -> Simulator:
    return Simulator()


def kinesis(sim: Simulator) -> object:
    client = sim.client("kinesis")
    client.create_stream(StreamName="s", ShardCount=1)
    return client


# -- text -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", SURROGATES)
def test_client_text_with_a_lone_surrogate_is_a_param_validation_error(sim, text):
    k = kinesis(sim)
    sqs = sim.client("sqs")
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    sns = sim.client("sns")
    arn = sns.create_topic(Name="t")["TopicArn"]
    s3 = sim.client("s3")
    s3.create_bucket(Bucket="bkt")
    calls = {
        "PartitionKey": lambda: k.put_record(StreamName="s", Data=b"x", PartitionKey=text),
        "Data": lambda: k.put_record(StreamName="s", Data=text, PartitionKey="k"),
        "Records[0].PartitionKey": lambda: k.put_records(
            StreamName="s", Records=[{"Data": b"x", "PartitionKey": text}]
        ),
        "MessageBody": lambda: sqs.send_message(QueueUrl=url, MessageBody=text),
        "Message": lambda: sns.publish(TopicArn=arn, Message=text),
        "Key": lambda: s3.put_object(Bucket="bkt", Key=text, Body=b"x"),
    }
    for member, call in calls.items():
        with pytest.raises(kinesim.ParamValidationError) as info:
            call()
        message = str(info.value)
        assert message.startswith("Parameter validation failed:\nInvalid value for parameter ")
        assert f"parameter {member}, " in message
        assert "lone surrogate" in message
        message.encode("utf-8")  # the error itself is printable
    # Nothing was stored anywhere.
    assert sim.kinesis.stream("s").shard(SHARD).end_index == 0
    assert sim.sqs.queue("q").sent_count == 0
    assert sim.s3.bucket("bkt").keys() == []


def test_domain_text_with_a_lone_surrogate_is_a_kinesim_value_error(sim):
    stream = sim.kinesis.create_stream("s", shard_count=1)
    with pytest.raises(kinesim.KinesimValueError, match=r"data='\\udfff' cannot be sent"):
        stream.put_record("\udfff", "k")
    with pytest.raises(kinesim.KinesimValueError, match=r"partitionKey.*lone surrogate"):
        stream.put_record(b"x", "\ud800")
    with pytest.raises(kinesim.KinesimValueError, match="partitionKey"):
        stream.put_records([(b"x", "ok"), (b"y", "\ud800")])
    assert stream.shard(SHARD).end_index == 0
    topic = sim.sns.create_topic("t")
    with pytest.raises(kinesim.KinesimValueError, match="message="):
        topic.publish("\ud800")
    bucket = sim.s3.create_bucket("bkt")
    assert topic.messages() == []
    with pytest.raises(kinesim.KinesimValueError, match="key="):
        bucket.put_object("\ud800", b"x")
    with pytest.raises(kinesim.KinesimValueError, match="body="):
        bucket.put_object("k", "\ud800")


@pytest.mark.parametrize(
    ("body", "code_point"), [("\ud800", "D800"), ("a\x00b", "0"), ("\ufffe", "FFFE")]
)
def test_sqs_refuses_characters_outside_its_set(sim, body, code_point):
    queue = sim.sqs.create_queue("q")
    with pytest.raises(kinesim.InvalidMessageContents) as info:
        queue.send_message(body)
    assert info.value.message == (
        f"Invalid binary character '#x{code_point}' was found in the message body, the set of "
        "allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | "
        "#x10000 to #x10FFFF"
    )
    assert queue.sent_count == 0
    queue.send_message("tab\tnew line\n\r é 😀 \ud7ff \ue000")
    assert queue.sent_count == 1


def test_valid_unicode_still_flows(sim):
    k = kinesis(sim)
    k.put_record(StreamName="s", Data="é😀".encode(), PartitionKey="ключ-😀")
    it = k.get_shard_iterator(StreamName="s", ShardId=SHARD, ShardIteratorType="TRIM_HORIZON")
    (record,) = k.get_records(ShardIterator=it["ShardIterator"])["Records"]
    assert (record["Data"], record["PartitionKey"]) == ("é😀".encode(), "ключ-😀")


# -- timestamps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["not a date", "2026-13-45", 10**400, 1e300, -1e300, float("nan"), float("inf"), "1e999"],
)
def test_unparseable_or_out_of_range_timestamps_get_botocores_error(sim, value):
    k = kinesis(sim)
    expected = (
        "Parameter validation failed:\nInvalid type for parameter Timestamp, value: "
        f"{value}, type: {type(value)}, "
        "valid types: <class 'datetime.datetime'>, timestamp-string"
    )
    with pytest.raises(kinesim.ParamValidationError) as info:
        k.get_shard_iterator(
            StreamName="s", ShardId=SHARD, ShardIteratorType="AT_TIMESTAMP", Timestamp=value
        )
    assert str(info.value) == expected
    with pytest.raises(kinesim.ParamValidationError, match=r"ShardFilter\.Timestamp"):
        k.list_shards(StreamName="s", ShardFilter={"Type": "AT_TIMESTAMP", "Timestamp": value})
    sim.client("lambda").create_function(FunctionName="f", handler=None)
    arn = k.describe_stream_summary(StreamName="s")["StreamDescriptionSummary"]["StreamARN"]
    with pytest.raises(kinesim.ParamValidationError, match="StartingPositionTimestamp"):
        sim.client("lambda").create_event_source_mapping(
            FunctionName="f",
            EventSourceArn=arn,
            StartingPosition="AT_TIMESTAMP",
            StartingPositionTimestamp=value,
        )
    assert sim.lambda_.list_event_source_mappings() == []


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 1, 1, tzinfo=timezone.utc),
        datetime(2026, 1, 1),
        "2026-01-01T00:00:00Z",
        "2026-01-01",
        1_767_225_600,
        1_767_225_599.5,
        "1767225600",
    ],
)
def test_good_timestamps_still_parse(sim, value):
    k = kinesis(sim)
    it = k.get_shard_iterator(
        StreamName="s", ShardId=SHARD, ShardIteratorType="AT_TIMESTAMP", Timestamp=value
    )
    assert it["ShardIterator"]


# -- Invoke payloads --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "detail"),
    [
        (b"{not json", "Expecting property name"),
        (b"\xff\xfe{}", "Invalid UTF-8 byte 0xff at offset 0"),
        (b'{"a": "\xc3"}', "Invalid UTF-8 byte 0xc3"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deep"),
        (b"NaN", "Non-standard token 'NaN'"),
        (b'{"a": Infinity}', "Non-standard token 'Infinity'"),
        ("{oops", "Expecting property name"),
    ],
)
def test_invoke_with_a_payload_that_is_not_json_is_invalid_request_content(sim, payload, detail):
    lam = sim.client("lambda")
    calls = []
    lam.create_function(FunctionName="f", handler=lambda e, c: calls.append(e))
    for invocation_type in ("RequestResponse", "Event", "DryRun"):
        with pytest.raises(kinesim.InvalidRequestContentException) as info:
            lam.invoke(FunctionName="f", Payload=payload, InvocationType=invocation_type)
        assert info.value.message.startswith(
            "Could not parse request body into json: Could not parse payload into json: "
        )
        assert detail in info.value.message
        assert info.value.http_status == 400
        assert info.value.response["Error"]["Code"] == "InvalidRequestContentException"
        assert info.value.response["Type"] == "User"
    assert calls == []
    assert sim.lambda_.function("f").invocations == []
    assert sim.lambda_.in_flight == 0


def test_invoke_with_good_payloads_still_works(sim):
    lam = sim.client("lambda")
    seen = []
    lam.create_function(FunctionName="f", handler=lambda e, c: seen.append(e))
    for payload in (b"", b"{}", b'{"k": [1, 2.5, null, "\xc3\xa9"]}', '"text"', b"[[[[1]]]]"):
        assert lam.invoke(FunctionName="f", Payload=payload)["StatusCode"] == 200
    assert seen == [{}, {}, {"k": [1, 2.5, None, "é"]}, "text", [[[[1]]]]]
    assert json.loads(lam.invoke(FunctionName="f", Payload=b"1")["Payload"].read()) is None
