"""Each AWS-recorded scenario of ground truth §2.6 that part 1 covers, reproduced exactly."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from esm_helpers import Recorder, datas, put, setup

import kinesim
from kinesim._api._lambda_responses import event_source_mapping as aws_mapping

ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_create_then_ten_records_one_invocation_in_order() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    created = aws_mapping(esm.describe())
    assert created["State"] == "Creating"
    assert created["LastProcessingResult"] == "No records processed"
    sim.advance(1)
    assert aws_mapping(esm.describe())["State"] == "Enabled"
    result = stream.put_records([(f"r{i}".encode(), "k") for i in range(10)])
    sim.advance(5)
    assert handler.batches == [[f"r{i}" for i in range(10)]]
    seqs = [r["kinesis"]["sequenceNumber"] for r in handler.events[0]["Records"]]
    assert seqs == [r.sequence_number for r in result.records]
    after = aws_mapping(esm.describe())
    assert (after["State"], after["LastProcessingResult"]) == ("Enabled", "OK")
    assert after["StateTransitionReason"] == "User action"


def test_one_batch_in_flight_per_shard_strict_order() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler, duration=5.0, timeout=30)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST", batch_size=10)
    sim.advance(1)
    stream.put_records([(f"r{i}".encode(), "k") for i in range(1, 11)])
    sim.advance(0.5)
    stream.put_records([(f"r{i}".encode(), "k") for i in range(11, 21)])
    sim.advance(30)
    assert handler.batches == [[f"r{i}" for i in range(1, 11)], [f"r{i}" for i in range(11, 21)]]
    first, second = fn.invocations
    assert second.start_ms - first.start_ms >= 5000


def test_trim_horizon_reads_existing_records_then_new_ones() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    put(stream, [f"r{i}" for i in range(1, 21)])
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=10
    )
    sim.advance(3)
    put(stream, [f"r{i}" for i in range(21, 31)])
    sim.advance(3)
    assert handler.batches == [[f"r{i}" for i in range(k, k + 10)] for k in (1, 11, 21)]


def test_disable_stops_delivery_and_enable_resumes_from_the_checkpoint() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", batch_size=10
    )
    sim.advance(1)
    put(stream, [f"a{i}" for i in range(10)])
    sim.advance(2)
    assert len(handler.events) == 1
    response = aws_mapping(
        sim.lambda_.update_event_source_mapping(esm.uuid, enabled=False).describe()
    )
    assert (response["State"], response["StateTransitionReason"]) == ("Disabling", "User action")
    assert response["LastProcessingResult"] == "OK"
    sim.advance(1)
    assert aws_mapping(esm.describe())["State"] == "Disabled"
    put(stream, [f"b{i}" for i in range(3)])
    sim.advance(60)
    assert len(handler.events) == 1
    assert sim.lambda_.update_event_source_mapping(esm, enabled=True).state == "Enabling"
    sim.advance(2)
    assert esm.state == "Enabled"
    assert handler.batches[1:] == [["b0", "b1", "b2"]]


def test_two_mappings_on_one_stream_are_independent_readers() -> None:
    one, two = Recorder(), Recorder()
    sim, stream, fn = setup(one)
    fn2 = sim.lambda_.create_function("g", two)
    for f in (fn, fn2):
        sim.lambda_.create_event_source_mapping(f, stream, starting_position="LATEST")
    sim.advance(1)
    put(stream, ["x"])
    sim.advance(2)
    assert one.batches == two.batches == [["x"]]


def _dlq_setup(kind: str) -> tuple[kinesim.Simulator, Any, Any, Any, Recorder]:
    handler = Recorder(fail_on={"boom"})
    sim, stream, fn = setup(handler)
    target: Any = {
        "sqs": lambda: sim.sqs.create_queue("dlq"),
        "sns": lambda: sim.sns.create_topic("dlq"),
        "s3": lambda: sim.s3.create_bucket("dlq"),
    }[kind]()
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=1,
        max_retry_attempts=1,
        on_failure=target,
    )
    return sim, stream, esm, target, handler


def _check_exhausted(body: dict[str, Any], esm: Any, stream: Any, seq: str) -> None:
    keys = ["requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"]
    assert [k for k in body if k != "payload"] == keys
    ctx = body["requestContext"]
    assert list(ctx) == ["requestId", "functionArn", "condition", "approximateInvokeCount"]
    assert re.fullmatch(UUID, ctx["requestId"])
    assert ctx["functionArn"] == esm.function.arn
    assert (ctx["condition"], ctx["approximateInvokeCount"]) == ("RetryAttemptsExhausted", 2)
    assert body["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert body["version"] == "1.0"
    assert ISO_MS.match(body["timestamp"])
    info = body["KinesisBatchInfo"]
    assert list(info) == [
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    ]
    assert info["shardId"] == "shardId-000000000000"
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == seq
    assert ISO_MS.match(info["approximateArrivalOfFirstRecord"])
    assert info["approximateArrivalOfFirstRecord"] == info["approximateArrivalOfLastRecord"]
    assert (info["batchSize"], info["streamArn"]) == (1, stream.arn)


def test_on_failure_sqs_after_one_plus_max_retry_attempts() -> None:
    sim, stream, esm, queue, handler = _dlq_setup("sqs")
    (seq,) = put(stream, ["boom"])
    put(stream, ["fine"])
    sim.advance(30)
    assert handler.batches == [["boom"], ["boom"], ["fine"]]
    (body,) = queue.json_bodies()
    _check_exhausted(body, esm, stream, seq)
    assert body["requestContext"]["requestId"] == esm.function.invocations[1].request_id
    assert esm.ledger.fates() == {"succeeded": 1, "RetryAttemptsExhausted": 1}
    assert aws_mapping(esm.describe())["DestinationConfig"] == {
        "OnFailure": {"Destination": queue.arn}
    }


def test_on_failure_sns_message_is_the_same_json() -> None:
    sim, stream, esm, topic, _ = _dlq_setup("sns")
    (seq,) = put(stream, ["boom"])
    sim.advance(30)
    (body,) = topic.json_messages()
    _check_exhausted(body, esm, stream, seq)


def test_on_failure_s3_adds_the_records_under_awss_key() -> None:
    sim, stream, esm, bucket, handler = _dlq_setup("s3")
    (seq,) = put(stream, ["boom"])
    sim.advance(30)
    (key,) = bucket.keys()
    body = bucket.get_object(key).json()
    _check_exhausted(body, esm, stream, seq)
    assert body["payload"] == {"Records": handler.events[0]["Records"]}
    stamp = body["timestamp"]
    day, clock = stamp[:10], stamp[11:19].replace(":", ".")
    assert re.fullmatch(
        rf"aws/lambda/{esm.uuid}/shardId-000000000000/{day.replace('-', '/')}/"
        rf"{day}T{clock}-{UUID}",
        key,
    )


INVALID_REPORTS = {
    "item_identifier_not_present_failure": {"batchItemFailures": [{"itemIdentifier": 123}]},
    "empty_string_item_identifier_failure": {"batchItemFailures": [{"itemIdentifier": ""}]},
    "null_item_identifier_failure": {"batchItemFailures": [{"itemIdentifier": None}]},
    "invalid_key_foo_failure": {"batchItemFailures": [{"foo": 123}]},
    "invalid_key_foo_null_value_failure": {"batchItemFailures": [{"foo": None}]},
}


@pytest.mark.parametrize("scenario", [*INVALID_REPORTS, "unhandled_exception_in_function"])
def test_report_batch_item_failure_scenarios(scenario: str) -> None:
    if scenario == "unhandled_exception_in_function":
        handler = Recorder(fail_on={"x"})
    else:
        handler = Recorder(respond=lambda event: INVALID_REPORTS[scenario])
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=1,
        max_retry_attempts=2,
        report_batch_item_failures=True,
        on_failure=queue,
    )
    put(stream, ["x"])
    sim.advance(60)
    assert len(handler.events) == 3
    (body,) = queue.json_bodies()
    assert body["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert body["requestContext"]["approximateInvokeCount"] == 3
    assert body["responseContext"]["statusCode"] == 200
    expected = "Unhandled" if scenario == "unhandled_exception_in_function" else None
    assert body["responseContext"]["functionError"] == expected


@pytest.mark.parametrize(
    "response", ["", [], None, {}, {"batchItemFailures": []}, {"batchItemFailures": None}]
)
def test_report_batch_item_success_scenarios(response: Any) -> None:
    handler = Recorder(respond=lambda event: response)
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=1,
        max_retry_attempts=2,
        report_batch_item_failures=True,
    )
    put(stream, ["x"])
    sim.advance(60)
    assert len(handler.events) == 1
    assert aws_mapping(esm.describe())["LastProcessingResult"] == "OK"
    assert aws_mapping(esm.describe())["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_report_batch_item_failures_fresh_count_after_partial_success() -> None:
    def respond(event: dict[str, Any]) -> Any:
        failed = [
            {"itemIdentifier": r["kinesis"]["sequenceNumber"]}
            for r, value in zip(event["Records"], datas(event), strict=True)
            if value == "r5"
        ]
        return {"batchItemFailures": failed}

    handler = Recorder(respond=respond)
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=3,
        batching_window=1,
        max_retry_attempts=3,
        report_batch_item_failures=True,
        on_failure=queue,
    )
    seqs = put(stream, [f"r{i}" for i in range(6)])
    sim.advance(120)
    delivered = handler.delivered()
    assert [delivered.count(f"r{i}") for i in range(6)] == [1, 1, 1, 1, 1, 5]
    assert handler.batches[:2] == [["r0", "r1", "r2"], ["r3", "r4", "r5"]]
    (body,) = queue.json_bodies()
    assert body["requestContext"]["approximateInvokeCount"] == 4
    assert body["responseContext"]["functionError"] is None
    info = body["KinesisBatchInfo"]
    assert (info["batchSize"], info["startSequenceNumber"], info["endSequenceNumber"]) == (
        1,
        seqs[5],
        seqs[5],
    )
    reasons = [d.reason for d in esm.ledger.deliveries(seqs[5])]
    assert reasons == ["first", "partial-failure", "retry", "retry", "retry"]
    assert esm.ledger.fates() == {"succeeded": 5, "RetryAttemptsExhausted": 1}


def test_max_record_age_exceeded_while_retrying() -> None:
    handler = Recorder(fail_on={"x"})
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", max_record_age=60, on_failure=queue
    )
    (seq,) = put(stream, ["x"])
    sim.advance(300)
    (body,) = queue.json_bodies()
    assert list(body) == ["requestContext", "version", "timestamp", "KinesisBatchInfo"]
    ctx = body["requestContext"]
    assert ctx["condition"] == "RecordAgeExceeded"
    # One more than the invocations made: the attempt that found the record too old.
    assert ctx["approximateInvokeCount"] == len(handler.events) + 1
    assert body["KinesisBatchInfo"]["startSequenceNumber"] == seq
    assert body["KinesisBatchInfo"]["batchSize"] == 1


def test_max_record_age_exceeded_before_ingestion() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    put(stream, ["old"])
    sim.advance(61)
    sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        max_record_age=60,
        max_retry_attempts=0,
        on_failure=queue,
    )
    sim.advance(10)
    assert handler.events == []
    (body,) = queue.json_bodies()
    assert body["requestContext"]["approximateInvokeCount"] == 1
    assert "responseContext" not in body


def test_max_record_age_discards_the_stale_front_and_delivers_the_rest() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    queue = sim.sqs.create_queue("dlq")
    put(stream, ["stream-data-0"])
    sim.advance(61)
    put(stream, [f"stream-data-{i}" for i in range(1, 6)])
    esm = sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        batch_size=10,
        max_retry_attempts=0,
        max_record_age=60,
        on_failure=queue,
    )
    sim.advance(10)
    (body,) = queue.json_bodies()
    assert body["requestContext"]["condition"] == "RecordAgeExceeded"
    assert body["KinesisBatchInfo"]["batchSize"] == 1
    assert handler.batches == [[f"stream-data-{i}" for i in range(1, 6)]]
    assert esm.ledger.fates() == {"succeeded": 5, "RecordAgeExceeded": 1}


def test_handler_returning_empty_is_one_invocation_and_ok() -> None:
    handler = Recorder(respond=lambda event: "")
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    put(stream, ["x"])
    sim.advance(10)
    assert len(fn.invocations) == 1
    got = aws_mapping(sim.lambda_.get_event_source_mapping(esm.uuid).describe())
    assert (got["State"], got["LastProcessingResult"]) == ("Enabled", "OK")


def test_record_shape_reaches_the_handler() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    result = stream.put_record(b"hello", "test")
    sim.advance(2)
    (record,) = handler.events[0]["Records"]
    assert json.loads(json.dumps(record)) == {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": "test",
            "sequenceNumber": result.sequence_number,
            "data": "aGVsbG8=",
            "approximateArrivalTimestamp": record["kinesis"]["approximateArrivalTimestamp"],
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{result.shard_id}:{result.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": fn.role,
        "awsRegion": "us-east-1",
        "eventSourceARN": stream.arn,
    }
    assert int(record["kinesis"]["approximateArrivalTimestamp"]) == 1767225600
