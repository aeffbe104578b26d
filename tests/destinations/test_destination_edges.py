"""Less travelled paths of the destinations: delays, visibility changes, lookups, refusals."""

from __future__ import annotations

import json
from typing import Any

import pytest

import kinesim
from kinesim import Simulator


def test_sqs_delay_visibility_change_purge_and_delete() -> None:
    sim = Simulator()
    queue = sim.sqs.create_queue("q")
    queue.send_message("later", delay_seconds=10)
    assert (queue.approximate_number_delayed, queue.receive_messages()) == (1, [])
    sim.advance(10)
    (message,) = queue.receive_messages(visibility_timeout=0)
    (again,) = queue.receive_messages(visibility_timeout=100)  # visible at once with 0
    queue.change_message_visibility(again, 5)
    sim.advance(5)
    assert [m.body for m in queue.receive_messages()] == ["later"]
    with pytest.raises(kinesim.ReceiptHandleIsInvalid):
        queue.change_message_visibility(message.receipt_handle, 1)
    queue.purge()
    assert len(queue) == 0
    sim.sqs.delete_queue("q")
    with pytest.raises(kinesim.QueueDoesNotExist) as info:
        queue.send_message("x")
    assert info.value.message == "The specified queue does not exist."
    assert sim.sqs.list_queues() == []


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda q: q.receive_messages(11), "MaxNumberOfMessages is invalid"),
        (lambda q: q.receive_messages(1, visibility_timeout=43201), "VisibilityTimeout"),
        (lambda q: q.send_message("x", delay_seconds=901), "DelaySeconds is invalid"),
    ],
)
def test_sqs_parameter_ranges(call: Any, message: str) -> None:
    queue = Simulator().sqs.create_queue("q")
    with pytest.raises(kinesim.InvalidParameterValue, match=message):
        call(queue)


def test_sqs_bad_queue_settings() -> None:
    sim = Simulator()
    with pytest.raises(kinesim.InvalidParameterValue, match="alphanumeric"):
        sim.sqs.create_queue("bad name")
    with pytest.raises(kinesim.InvalidParameterValue, match="MaximumMessageSize"):
        sim.sqs.create_queue("q", maximum_message_size=1_048_577)
    with pytest.raises(kinesim.InvalidParameterValue, match="VisibilityTimeout"):
        sim.sqs.create_queue("q", visibility_timeout=-1)
    with pytest.raises(kinesim.KinesimTypeError, match="body is a str"):
        sim.sqs.create_queue("q").send_message(b"bytes")  # type: ignore[arg-type]


def test_sns_subject_lookup_refusals_and_failed_deliveries() -> None:
    sim = Simulator()
    topic = sim.sns.create_topic("t")
    assert sim.sns.create_topic("t") is topic
    assert sim.sns.topic(topic.arn) is topic
    tiny = sim.sqs.create_queue("tiny", maximum_message_size=1024)
    topic.subscribe(tiny)
    topic.publish("x" * 1000, subject="hello")  # fits SNS, not the queue once wrapped
    assert tiny.bodies() == []
    assert topic.failed_deliveries == 1
    topic.publish("small", subject="hello")
    (envelope,) = tiny.json_bodies()
    assert list(envelope)[:5] == ["Type", "MessageId", "TopicArn", "Subject", "Message"]
    assert envelope["Subject"] == "hello"
    assert [p.subject for p in topic.published()] == ["hello", "hello"]
    with pytest.raises(kinesim.InvalidParameterException, match="Empty message"):
        topic.publish("")
    with pytest.raises(kinesim.InvalidParameterException, match="Endpoint"):
        topic.subscribe("arn:aws:sqs:us-east-1:123456789012:nope")
    with pytest.raises(kinesim.KinesimTypeError):
        topic.subscribe(42)  # type: ignore[arg-type]
    with pytest.raises(kinesim.InvalidParameterException, match="Topic Name"):
        sim.sns.create_topic("bad name")
    sim.sns.delete_topic(topic)
    with pytest.raises(kinesim.NotFoundException) as info:
        sim.sns.topic("t")
    assert (info.value.code, info.value.http_status) == ("NotFound", 404)


def test_sns_skips_deleted_queues() -> None:
    sim = Simulator()
    topic = sim.sns.create_topic("t")
    queue = sim.sqs.create_queue("q")
    topic.subscribe(queue)
    sim.sqs.delete_queue(queue)
    topic.publish(json.dumps({"a": 1}))
    assert topic.json_messages() == [{"a": 1}]


def test_s3_objects_lookup_and_delete() -> None:
    sim = Simulator()
    bucket = sim.s3.create_bucket("b-1")
    bucket.put_object("k", "héllo")
    obj = bucket.get_object("k")
    assert (obj.text(), obj.size, obj.last_modified_ms) == ("héllo", 6, sim.now_ms)
    bucket.delete_object("k")
    assert len(bucket) == 0
    assert sim.s3.bucket("b-1") is sim.s3.bucket("arn:aws:s3:::b-1") is bucket
    assert sim.s3.list_buckets() == [bucket]
    with pytest.raises(kinesim.NoSuchBucket):
        sim.s3.bucket("nope")
    with pytest.raises(kinesim.KinesimTypeError):
        bucket.put_object("", b"x")
    with pytest.raises(kinesim.KinesimTypeError):
        bucket.put_object("k", 42)  # type: ignore[arg-type]
