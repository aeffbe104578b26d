"""SQS queue, SNS topic, S3 bucket: round trips, limits, ARNs, resolve()."""

from __future__ import annotations

import json
from typing import Any

import pytest

import kinesim
from kinesim import Simulator
from kinesim._destinations import resolve


def test_sqs_round_trip_with_visibility_timeout_in_virtual_time() -> None:
    sim = Simulator()
    queue = sim.sqs.create_queue("dlq", visibility_timeout=30)
    assert queue.arn == "arn:aws:sqs:us-east-1:123456789012:dlq"
    assert queue.url == "https://sqs.us-east-1.amazonaws.com/123456789012/dlq"
    first = queue.send_message('{"n": 1}')
    queue.send_message('{"n": 2}')
    assert queue.bodies() == ['{"n": 1}', '{"n": 2}']
    assert queue.json_bodies() == [{"n": 1}, {"n": 2}]
    assert queue.approximate_number_of_messages == 2

    (message,) = queue.receive_messages()
    assert (message.message_id, message.json(), message.receive_count) == (first, {"n": 1}, 1)
    assert queue.approximate_number_of_messages == 1
    assert queue.approximate_number_not_visible == 1
    sim.advance(29.999)
    assert [m.json() for m in queue.receive_messages(10)] == [{"n": 2}]
    sim.advance(0.001)  # the first message's 30 s are up: visible again
    (again,) = queue.receive_messages(10)
    assert (again.message_id, again.receive_count) == (first, 2)
    with pytest.raises(kinesim.ReceiptHandleIsInvalid):
        queue.delete_message(message.receipt_handle)  # superseded by the second receive
    queue.delete_message(again)
    assert queue.json_bodies() == [{"n": 2}]
    assert len(queue) == 1
    assert queue.attributes()["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_sqs_message_size_limit_is_sqs_error() -> None:
    sim = Simulator()
    queue = sim.sqs.create_queue("q")
    queue.send_message("x" * 1_048_576)
    with pytest.raises(kinesim.InvalidParameterValue) as info:
        queue.send_message("x" * 1_048_577)
    assert info.value.code == "InvalidParameterValue"
    assert info.value.message == (
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes."
    )
    old_style = sim.sqs.create_queue("small", maximum_message_size=262_144)
    with pytest.raises(kinesim.InvalidParameterValue, match="shorter than 262144 bytes"):
        old_style.send_message("é" * 131_073)  # 262,146 UTF-8 bytes
    assert old_style.bodies() == []
    with pytest.raises(kinesim.MissingParameter):
        queue.send_message("")


def test_sqs_lookup_by_name_url_arn() -> None:
    sim = Simulator()
    queue = sim.sqs.create_queue("q")
    assert sim.sqs.queue("q") is queue
    assert sim.sqs.queue(queue.url) is queue
    assert sim.sqs.queue(queue.arn) is queue
    assert sim.sqs.create_queue("q") is queue
    with pytest.raises(kinesim.QueueDoesNotExist):
        sim.sqs.queue("nope")


def test_sns_delivers_envelope_to_queue_and_dict_to_callable() -> None:
    sim = Simulator()
    topic = sim.sns.create_topic("failures")
    assert topic.arn == "arn:aws:sns:us-east-1:123456789012:failures"
    queue = sim.sqs.create_queue("q")
    raw = sim.sqs.create_queue("raw")
    got: list[dict[str, Any]] = []
    topic.subscribe(queue)
    topic.subscribe(raw.arn, raw_message_delivery=True)
    topic.subscribe(got.append)
    sim.advance(1.5)
    message_id = topic.publish('{"condition": "RetryAttemptsExhausted"}')

    (envelope,) = queue.json_bodies()
    assert list(envelope)[:5] == ["Type", "MessageId", "TopicArn", "Message", "Timestamp"]
    assert envelope["Type"] == "Notification"
    assert envelope["MessageId"] == message_id
    assert envelope["TopicArn"] == topic.arn
    assert json.loads(envelope["Message"]) == {"condition": "RetryAttemptsExhausted"}
    assert envelope["Timestamp"] == "2026-01-01T00:00:01.500Z"
    assert envelope["SignatureVersion"] == "1"
    assert envelope["UnsubscribeURL"].endswith(topic.subscriptions[0].arn)
    assert raw.bodies() == ['{"condition": "RetryAttemptsExhausted"}']
    (delivered,) = got  # the same envelope, but with its own subscription's UnsubscribeURL
    assert delivered.pop("UnsubscribeURL").endswith(topic.subscriptions[2].arn)
    envelope.pop("UnsubscribeURL")
    assert delivered == envelope
    assert topic.json_messages() == [{"condition": "RetryAttemptsExhausted"}]


def test_sns_message_limit_is_256_kb() -> None:
    sim = Simulator()
    topic = sim.sns.create_topic("t")
    topic.publish("x" * 262_144)
    with pytest.raises(kinesim.InvalidParameterException) as info:
        topic.publish("x" * 262_145)
    assert info.value.code == "InvalidParameter"
    assert info.value.message == "Invalid parameter: Message too long"
    assert len(topic.messages()) == 1


def test_s3_round_trip_and_list_by_prefix() -> None:
    sim = Simulator()
    bucket = sim.s3.create_bucket("failed-batches")
    assert bucket.arn == "arn:aws:s3:::failed-batches"
    etag = bucket.put_object("aws/lambda/u/shardId-000000000001/a", '{"n": 1}')
    bucket.put_object("aws/lambda/u/shardId-000000000000/b", b"{}")
    bucket.put_object("other/c", b"x")
    assert etag == '"96d730b7a405ed0e9cb1068b43e06fe4"'  # quoted MD5 of the body
    assert bucket.keys("aws/lambda/") == [
        "aws/lambda/u/shardId-000000000000/b",
        "aws/lambda/u/shardId-000000000001/a",
    ]
    assert bucket.get("aws/lambda/u/shardId-000000000001/a") == b'{"n": 1}'
    assert bucket.get_object("aws/lambda/u/shardId-000000000001/a").json() == {"n": 1}
    assert bucket.json_objects("aws/") == [{}, {"n": 1}]
    with pytest.raises(kinesim.NoSuchKey) as info:
        bucket.get("missing")
    assert info.value.http_status == 404
    with pytest.raises(kinesim.InvalidBucketName):
        sim.s3.create_bucket("Bad_Name")
    with pytest.raises(kinesim.BucketAlreadyOwnedByYou):
        sim.s3.create_bucket("failed-batches")


def test_resolve_objects_and_arns() -> None:
    sim = Simulator()
    queue = sim.sqs.create_queue("q")
    topic = sim.sns.create_topic("t")
    bucket = sim.s3.create_bucket("b-1")
    for dest in (queue, topic, bucket):
        assert resolve(sim, dest) is dest
        assert resolve(sim, dest.arn) is dest
    for bad in (
        "arn:aws:sqs:us-east-1:123456789012:nope",
        "arn:aws:sns:us-east-1:123456789012:nope",
        "arn:aws:s3:::nope",
        "arn:aws:kinesis:us-east-1:123456789012:stream/s",
        42,
    ):
        with pytest.raises(kinesim.InvalidParameterValueException):
            resolve(sim, bad)
    with pytest.raises(kinesim.InvalidParameterValueException):
        resolve(Simulator(), queue)  # another simulator's queue
