"""Kinesis queues through sim.client("kinesis"): delivery with visibility timeouts,
acknowledgements, the built-in dead-letter queue, and the queue's control plane."""

from __future__ import annotations

import datetime as dt

import pytest
from api_helpers import check_shape
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim


def shape(op, response):
    return check_shape("kinesis", op, response)


@pytest.fixture
def stream_arn(sim, kinesis):
    kinesis.create_stream(StreamName="orders", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    return sim.kinesis.stream("orders").arn


def make_queue(kinesis, stream_arn, **attributes):
    created = kinesis.create_queue(
        QueueName="work",
        StreamConfigurationList=[
            {"StreamARN": stream_arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}
        ],
        **({"QueueAttributes": attributes} if attributes else {}),
    )
    return shape("CreateQueue", created)["QueueDescription"]["QueueARN"]


def put(kinesis, *datas):
    return [
        kinesis.put_record(StreamName="orders", Data=d, PartitionKey="k")["SequenceNumber"]
        for d in datas
    ]


def receive(kinesis, arn, **kwargs):
    return shape("ReceiveQueueRecords", kinesis.receive_queue_records(QueueARN=arn, **kwargs))[
        "QueueRecords"
    ]


def test_records_are_delivered_until_acknowledged(sim, kinesis, stream_arn):
    arn = make_queue(kinesis, stream_arn)
    numbers = put(kinesis, b"a", b"b", b"c")
    first = receive(kinesis, arn, Limit=2)
    assert [r["Data"] for r in first] == [b"a", b"b"]
    assert [r["RecordId"] for r in first] == numbers[:2]
    assert [r["ReceiveCount"] for r in first] == [1, 1]
    assert first[0]["FirstReceiveTimestamp"] == dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    assert [r["Data"] for r in receive(kinesis, arn)] == [b"c"]
    assert receive(kinesis, arn) == []  # all in flight
    acked = shape(
        "AcknowledgeQueueRecords",
        kinesis.acknowledge_queue_records(
            QueueARN=arn,
            Entries=[{"ReceiptHandle": first[0]["ReceiptHandle"]}, {"ReceiptHandle": "nope"}],
        ),
    )
    assert acked["Successful"] == [{"ReceiptHandle": first[0]["ReceiptHandle"]}]
    assert [f["ErrorCode"] for f in acked["Failed"]] == ["ReceiptHandleIsInvalid"]
    sim.advance(29.999)
    assert receive(kinesis, arn) == []
    sim.advance(0.001)  # the default visibility timeout is 30 s
    again = receive(kinesis, arn)
    assert [(r["Data"], r["ReceiveCount"]) for r in again] == [(b"b", 2), (b"c", 2)]
    assert again[0]["FirstReceiveTimestamp"] == first[1]["FirstReceiveTimestamp"]
    # The earlier receipt handle of "b" is no longer valid; the new one is.
    stale = kinesis.acknowledge_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": first[1]["ReceiptHandle"]}]
    )
    assert len(stale["Failed"]) == 1
    kinesis.acknowledge_queue_records(
        QueueARN=arn, Entries=[{"ReceiptHandle": r["ReceiptHandle"]} for r in again]
    )
    sim.advance(3600)
    assert receive(kinesis, arn) == []


def test_visibility_can_be_changed_per_record(sim, kinesis, stream_arn):
    arn = make_queue(kinesis, stream_arn, VisibilityTimeoutSeconds=5)
    put(kinesis, b"a", b"b")
    a, b = receive(kinesis, arn)
    changed = shape(
        "UpdateQueueRecordsVisibility",
        kinesis.update_queue_records_visibility(
            QueueARN=arn,
            Entries=[
                {"ReceiptHandle": a["ReceiptHandle"], "VisibilityTimeoutSeconds": 0},
                {"ReceiptHandle": b["ReceiptHandle"], "VisibilityTimeoutSeconds": 60},
            ],
        ),
    )
    assert len(changed["Successful"]) == 2
    assert [r["Data"] for r in receive(kinesis, arn, VisibilityTimeoutSeconds=100)] == [b"a"]
    sim.advance(60)
    assert [r["Data"] for r in receive(kinesis, arn)] == [b"b"]


def test_unacknowledged_records_become_dead_letters(sim, kinesis, stream_arn):
    arn = make_queue(
        kinesis,
        stream_arn,
        VisibilityTimeoutSeconds=10,
        DeadLetterConfiguration={"TargetType": "BUILT_IN", "MaxReceiveCount": 2},
    )
    put(kinesis, b"poison")
    for _ in range(2):
        assert [r["Data"] for r in receive(kinesis, arn)] == [b"poison"]
        sim.advance(10)
    assert receive(kinesis, arn) == []  # received twice: a dead letter now
    dead = shape(
        "ReceiveDeadLetterQueueRecords", kinesis.receive_dead_letter_queue_records(QueueARN=arn)
    )["QueueRecords"]
    assert [(r["Data"], r["ReceiveCount"]) for r in dead] == [(b"poison", 2)]
    assert sim.kinesis.queues.queue(arn).dead_letters == 1
    restored = shape(
        "RestoreDeadLetterQueueRecords",
        kinesis.restore_dead_letter_queue_records(
            QueueARN=arn, Entries=[{"ReceiptHandle": dead[0]["ReceiptHandle"]}]
        ),
    )
    assert len(restored["Successful"]) == 1
    back = receive(kinesis, arn)
    assert [(r["Data"], r["ReceiveCount"]) for r in back] == [(b"poison", 1)]
    sim.advance(10)
    receive(kinesis, arn)
    sim.advance(10)
    [dead_again] = kinesis.receive_dead_letter_queue_records(QueueARN=arn)["QueueRecords"]
    shape(
        "UpdateDeadLetterQueueRecordsVisibility",
        kinesis.update_dead_letter_queue_records_visibility(
            QueueARN=arn,
            Entries=[{"ReceiptHandle": dead_again["ReceiptHandle"], "VisibilityTimeoutSeconds": 0}],
        ),
    )
    [visible] = kinesis.receive_dead_letter_queue_records(QueueARN=arn)["QueueRecords"]
    gone = shape(
        "AcknowledgeDeadLetterQueueRecords",
        kinesis.acknowledge_dead_letter_queue_records(
            QueueARN=arn, Entries=[{"ReceiptHandle": visible["ReceiptHandle"]}]
        ),
    )
    assert len(gone["Successful"]) == 1
    sim.advance(3600)
    assert receive(kinesis, arn) == []
    assert kinesis.receive_dead_letter_queue_records(QueueARN=arn)["QueueRecords"] == []


def test_without_dead_letters_records_come_back_until_retention_ends(sim, kinesis, stream_arn):
    arn = make_queue(
        kinesis,
        stream_arn,
        VisibilityTimeoutSeconds=3600,
        DeadLetterConfiguration={"TargetType": "NONE"},
    )
    put(kinesis, b"x")
    for count in range(1, 10):
        assert [r["ReceiveCount"] for r in receive(kinesis, arn)] == [count]
        sim.advance(3600)
    sim.advance(24 * 3600)  # past the stream's 24-hour retention
    assert receive(kinesis, arn) == []


def test_queue_control_plane(sim, kinesis, stream_arn):
    arn = make_queue(kinesis, stream_arn)
    described = shape("DescribeQueue", kinesis.describe_queue(QueueARN=arn))["QueueDescription"]
    assert arn == "arn:aws:kinesis:us-east-1:123456789012:queue/work"
    assert described["QueueStatus"] == "ACTIVE"
    assert described["QueueAttributes"] == {
        "VisibilityTimeoutSeconds": 30,
        "DeadLetterConfiguration": {"TargetType": "BUILT_IN", "MaxReceiveCount": 6},
    }
    assert described["StreamConfigurationList"] == [
        {"StreamARN": stream_arn, "StartingPosition": {"Type": "TRIM_HORIZON"}}
    ]
    summary = kinesis.describe_stream_summary(StreamARN=stream_arn)["StreamDescriptionSummary"]
    assert summary["QueueCount"] == 1
    updated = shape(
        "UpdateQueue",
        kinesis.update_queue(QueueARN=arn, QueueAttributes={"VisibilityTimeoutSeconds": 90}),
    )
    assert updated["QueueDescription"]["QueueAttributes"]["VisibilityTimeoutSeconds"] == 90
    kinesis.create_queue(QueueName="second", StreamConfigurationList=[{"StreamARN": stream_arn}])
    page = shape("ListQueues", kinesis.list_queues(MaxResults=1))
    assert [q["QueueName"] for q in page["QueueSummaries"]] == ["work"]
    rest = kinesis.list_queues(NextToken=page["NextToken"])
    assert [q["QueueName"] for q in rest["QueueSummaries"]] == ["second"]
    assert "NextToken" not in rest
    kinesis.tag_resource(ResourceARN=arn, Tags={"team": "a"})
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "team", "Value": "a"}
    ]
    with pytest.raises(kinesim.ResourceInUseException, match="has queues"):
        kinesis.delete_stream(StreamName="orders")
    with pytest.raises(kinesim.ResourceInUseException, match="has queues"):
        kinesis.update_stream_mode(
            StreamARN=stream_arn, StreamModeDetails={"StreamMode": "PROVISIONED"}
        )
    shape("DeleteQueue", kinesis.delete_queue(QueueARN=arn))
    with pytest.raises(kinesim.ResourceNotFoundException, match="Queue work"):
        kinesis.describe_queue(QueueARN=arn)
    kinesis.delete_queue(QueueARN=arn.replace("work", "second"))
    kinesis.delete_stream(StreamName="orders")


def test_queues_need_on_demand_streams(sim, kinesis):
    kinesis.create_stream(StreamName="p", ShardCount=1)
    arn = sim.kinesis.stream("p").arn
    with pytest.raises(kinesim.ValidationException, match="on-demand capacity mode"):
        kinesis.create_queue(QueueName="q", StreamConfigurationList=[{"StreamARN": arn}])
    assert kinesis.list_queues()["QueueSummaries"] == []


def test_latest_is_the_default_starting_position(sim, kinesis, stream_arn):
    put(kinesis, b"before")
    arn = kinesis.create_queue(
        QueueName="late", StreamConfigurationList=[{"StreamARN": stream_arn}]
    )["QueueDescription"]["QueueARN"]
    put(kinesis, b"after")
    assert [r["Data"] for r in receive(kinesis, arn)] == [b"after"]


ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(1, 3)),
        st.tuples(st.just("receive"), st.integers(1, 10)),
        st.tuples(st.just("ack"), st.integers(0, 10)),
        st.tuples(st.just("advance"), st.integers(1, 40)),
    ),
    max_size=30,
)


@settings(max_examples=40, deadline=None)
@given(ops)
def test_every_record_is_delivered_and_acknowledged_once(steps):
    """Whatever the interleaving, no record is lost: after acknowledging everything held and
    letting visibility pass, every record put was acknowledged exactly once."""
    sim = kinesim.Simulator()
    kinesis = sim.client("kinesis")
    kinesis.create_stream(StreamName="s", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    arn = kinesis.create_queue(
        QueueName="q",
        StreamConfigurationList=[{"StreamARN": sim.kinesis.stream("s").arn}],
        QueueAttributes={"DeadLetterConfiguration": {"TargetType": "NONE"}},
    )["QueueDescription"]["QueueARN"]
    put_ids, acked, held = [], [], []
    for op, n in steps:
        if op == "put":
            for i in range(n):
                out = kinesis.put_record(StreamName="s", Data=b"x", PartitionKey=f"p{i}")
                put_ids.append(out["SequenceNumber"])
        elif op == "receive":
            held += kinesis.receive_queue_records(QueueARN=arn, Limit=n)["QueueRecords"]
        elif op == "ack" and held:
            record = held.pop(n % len(held))
            result = kinesis.acknowledge_queue_records(
                QueueARN=arn, Entries=[{"ReceiptHandle": record["ReceiptHandle"]}]
            )
            if result["Successful"]:
                acked.append(record["RecordId"])
        else:
            sim.advance(n)
    for _ in range(len(put_ids) + 2):
        sim.advance(31)
        for record in kinesis.receive_queue_records(QueueARN=arn)["QueueRecords"]:
            kinesis.acknowledge_queue_records(
                QueueARN=arn, Entries=[{"ReceiptHandle": record["ReceiptHandle"]}]
            )
            acked.append(record["RecordId"])
    assert sorted(acked) == sorted(put_ids)
