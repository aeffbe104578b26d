"""sim.client("lambda"): functions, Invoke, reserved concurrency and event source mappings."""

from __future__ import annotations

import base64
import json

import pytest
from api_helpers import check_shape

import kinesim
from kinesim._api._lambda_responses import event_source_mapping as aws_mapping


def shape(op, response):
    return check_shape("lambda", op, response)


def echo(event, context):
    print("got", event)
    return {"echo": event}


def boom(event, context):
    raise ValueError("bad input")


@pytest.fixture
def stream_arn(sim):
    return sim.kinesis.create_stream("orders", shard_count=1).arn


def test_create_and_get_function(sim, lambda_):
    created = shape(
        "CreateFunction",
        lambda_.create_function(FunctionName="echo", handler=echo, Timeout=10, MemorySize=256),
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    fn = sim.lambda_.function("echo")
    assert created["FunctionArn"] == fn.arn
    assert (created["Timeout"], created["MemorySize"], created["Role"]) == (10, 256, fn.role)
    got = shape("GetFunction", lambda_.get_function(FunctionName=fn.arn))
    assert got["Configuration"]["FunctionName"] == "echo"
    assert "Concurrency" not in got
    shape("DeleteFunction", lambda_.delete_function(FunctionName="echo"))
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.get_function(FunctionName="echo")


def test_create_function_takes_kinesim_durations_and_a_role(sim, lambda_):
    role = "arn:aws:iam::123456789012:role/custom"
    out = lambda_.create_function(
        FunctionName="slow", handler=echo, duration=2.5, Role=role, Runtime="python3.11"
    )
    assert (out["Role"], out["Runtime"]) == (role, "python3.11")
    before = sim.now
    lambda_.invoke(FunctionName="slow", Payload=b"{}")
    assert sim.now - before == 2.5


def test_code_and_a_callable_are_refused_together(lambda_):
    with pytest.raises(kinesim.KinesimValueError, match="handler="):
        lambda_.create_function(FunctionName="f", Code={"ZipFile": b"zip"}, handler=echo)


def test_invoke_runs_to_completion_in_virtual_time(sim, lambda_):
    lambda_.create_function(FunctionName="echo", handler=echo, duration=0.25)
    out = shape(
        "Invoke",
        lambda_.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}), LogType="Tail"),
    )
    assert out["StatusCode"] == 200
    assert "FunctionError" not in out
    assert out["ExecutedVersion"] == "$LATEST"
    assert json.loads(out["Payload"].read()) == {"echo": {"a": 1}}
    assert sim.now_ms - sim.start_ms == 250
    logs = base64.b64decode(out["LogResult"]).decode()
    assert "got {'a': 1}" in logs
    assert "REPORT RequestId" in logs


def test_invoke_function_error(lambda_):
    lambda_.create_function(FunctionName="boom", handler=boom)
    out = shape("Invoke", lambda_.invoke(FunctionName="boom", Payload=b'{"x": 1}'))
    assert out["StatusCode"] == 200
    assert out["FunctionError"] == "Unhandled"
    error = json.loads(out["Payload"].read())
    assert (error["errorType"], error["errorMessage"]) == ("ValueError", "bad input")


def test_invoke_event_and_dry_run(sim, lambda_):
    lambda_.create_function(FunctionName="echo", handler=echo, duration=1)
    event = lambda_.invoke(FunctionName="echo", InvocationType="Event", Payload=b"{}")
    assert event["StatusCode"] == event["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert sim.now_ms == sim.start_ms
    dry = lambda_.invoke(FunctionName="echo", InvocationType="DryRun")
    assert dry["StatusCode"] == dry["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert len(sim.lambda_.function("echo").invocations) == 1


def test_invoke_throttled_raises_too_many_requests(lambda_):
    lambda_.create_function(FunctionName="echo", handler=echo)
    lambda_.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=0)
    with pytest.raises(lambda_.exceptions.TooManyRequestsException) as caught:
        lambda_.invoke(FunctionName="echo", Payload=b"{}")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_reserved_concurrency(sim, lambda_):
    lambda_.create_function(FunctionName="echo", handler=echo)
    none = shape("GetFunctionConcurrency", lambda_.get_function_concurrency(FunctionName="echo"))
    assert "ReservedConcurrentExecutions" not in none
    put = shape(
        "PutFunctionConcurrency",
        lambda_.put_function_concurrency(FunctionName="echo", ReservedConcurrentExecutions=5),
    )
    assert put["ReservedConcurrentExecutions"] == 5
    assert sim.lambda_.function("echo").reserved_concurrency == 5
    got = lambda_.get_function_concurrency(FunctionName="echo")
    assert got["ReservedConcurrentExecutions"] == 5
    assert lambda_.get_function(FunctionName="echo")["Concurrency"] == {
        "ReservedConcurrentExecutions": 5
    }
    shape("DeleteFunctionConcurrency", lambda_.delete_function_concurrency(FunctionName="echo"))
    assert sim.lambda_.function("echo").reserved_concurrency is None


def test_event_source_mapping_lifecycle(sim, lambda_, stream_arn):
    lambda_.create_function(FunctionName="proc", handler=echo)
    queue = sim.sqs.create_queue("dlq")
    created = shape(
        "CreateEventSourceMapping",
        lambda_.create_event_source_mapping(
            FunctionName="proc",
            EventSourceArn=stream_arn,
            StartingPosition="TRIM_HORIZON",
            BatchSize=50,
            MaximumBatchingWindowInSeconds=2,
            ParallelizationFactor=2,
            BisectBatchOnFunctionError=True,
            MaximumRetryAttempts=3,
            MaximumRecordAgeInSeconds=3600,
            TumblingWindowInSeconds=0,
            FunctionResponseTypes=["ReportBatchItemFailures"],
            FilterCriteria={"Filters": [{"Pattern": json.dumps({"partitionKey": ["a"]})}]},
            DestinationConfig={"OnFailure": {"Destination": queue.arn}},
        ),
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    uuid = created["UUID"]
    mapping = sim.lambda_.get_event_source_mapping(uuid)
    assert {k: v for k, v in created.items() if k != "ResponseMetadata"} == aws_mapping(
        mapping.describe()
    )
    assert created["State"] == "Creating"
    assert created["DestinationConfig"] == {"OnFailure": {"Destination": queue.arn}}
    assert created["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert (created["BatchSize"], created["ParallelizationFactor"]) == (50, 2)
    assert created["FilterCriteria"] == {
        "Filters": [{"Pattern": json.dumps({"partitionKey": ["a"]})}]
    }
    sim.advance(60)
    got = shape("GetEventSourceMapping", lambda_.get_event_source_mapping(UUID=uuid))
    assert got["State"] == "Enabled"
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    listed = shape(
        "ListEventSourceMappings", lambda_.list_event_source_mappings(FunctionName="proc")
    )
    assert [m["UUID"] for m in listed["EventSourceMappings"]] == [uuid]
    assert lambda_.list_event_source_mappings(EventSourceArn=stream_arn)["EventSourceMappings"]

    updated = shape(
        "UpdateEventSourceMapping",
        lambda_.update_event_source_mapping(
            UUID=uuid,
            Enabled=False,
            BatchSize=10,
            FunctionResponseTypes=[],
            FilterCriteria={"Filters": []},
            DestinationConfig={"OnFailure": {}},
        ),
    )
    assert updated["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert updated["State"] == "Disabling"
    sim.advance(60)
    after = lambda_.get_event_source_mapping(UUID=uuid)
    assert after["State"] == "Disabled"
    assert after["BatchSize"] == 10
    assert after["FunctionResponseTypes"] == []
    assert "FilterCriteria" not in after
    assert after["DestinationConfig"] == {"OnFailure": {}}

    deleted = shape("DeleteEventSourceMapping", lambda_.delete_event_source_mapping(UUID=uuid))
    assert (deleted["State"], deleted["ResponseMetadata"]["HTTPStatusCode"]) == ("Deleting", 202)
    sim.advance(60)
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException) as caught:
        lambda_.get_event_source_mapping(UUID=uuid)
    assert caught.value.http_status == 404


def test_mapping_errors_are_aws_errors(sim, lambda_, stream_arn):
    lambda_.create_function(FunctionName="proc", handler=echo)
    with pytest.raises(lambda_.exceptions.InvalidParameterValueException, match="startingPosition"):
        lambda_.create_event_source_mapping(FunctionName="proc", EventSourceArn=stream_arn)
    with pytest.raises(lambda_.exceptions.ValidationException):
        lambda_.create_event_source_mapping(
            FunctionName="proc", EventSourceArn=stream_arn, StartingPosition="invalid"
        )
    lambda_.create_event_source_mapping(
        FunctionName="proc", EventSourceArn=stream_arn, StartingPosition="LATEST"
    )
    with pytest.raises(lambda_.exceptions.ResourceConflictException) as caught:
        lambda_.create_event_source_mapping(
            FunctionName="proc", EventSourceArn=stream_arn, StartingPosition="LATEST"
        )
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    with pytest.raises(kinesim.KinesimValueError, match="OnFailure only"):
        lambda_.update_event_source_mapping(
            UUID="x", DestinationConfig={"OnSuccess": {"Destination": "arn"}}
        )
    with pytest.raises(kinesim.KinesimValueError, match="ReportBatchItemFailures"):
        lambda_.update_event_source_mapping(UUID="x", FunctionResponseTypes=["Other"])


def test_mapping_at_timestamp_takes_a_datetime(sim, lambda_, stream_arn):
    lambda_.create_function(FunctionName="proc", handler=echo)
    sim.advance(10)
    out = lambda_.create_event_source_mapping(
        FunctionName="proc",
        EventSourceArn=stream_arn,
        StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=sim.datetime,
    )
    assert out["StartingPositionTimestamp"] == sim.datetime
