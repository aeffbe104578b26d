"""create / get / list / update / delete, AWS's errors, describe() and the states machine."""

from __future__ import annotations

from datetime import datetime

import pytest
from esm_helpers import Recorder, put, setup

import kinesim
from kinesim._api._lambda_responses import event_source_mapping as aws_mapping


def test_describe_has_awss_defaults_and_shape() -> None:
    sim, stream, fn = setup()
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    out = aws_mapping(esm.describe())
    assert list(out) == [
        "BatchSize",
        "BisectBatchOnFunctionError",
        "DestinationConfig",
        "EventSourceArn",
        "EventSourceMappingArn",
        "FunctionArn",
        "FunctionResponseTypes",
        "LastModified",
        "LastProcessingResult",
        "MaximumBatchingWindowInSeconds",
        "MaximumRecordAgeInSeconds",
        "MaximumRetryAttempts",
        "ParallelizationFactor",
        "StartingPosition",
        "State",
        "StateTransitionReason",
        "TumblingWindowInSeconds",
        "UUID",
    ]
    assert isinstance(out.pop("LastModified"), datetime)
    uuid = out.pop("UUID")
    assert out == {
        "BatchSize": 100,
        "BisectBatchOnFunctionError": False,
        "DestinationConfig": {"OnFailure": {}},
        "EventSourceArn": stream.arn,
        "EventSourceMappingArn": (
            f"arn:aws:lambda:us-east-1:123456789012:event-source-mapping:{uuid}"
        ),
        "FunctionArn": fn.arn,
        "FunctionResponseTypes": [],
        "LastProcessingResult": "No records processed",
        "MaximumBatchingWindowInSeconds": 0,
        "MaximumRecordAgeInSeconds": -1,
        "MaximumRetryAttempts": -1,
        "ParallelizationFactor": 1,
        "StartingPosition": "LATEST",
        "State": "Creating",
        "StateTransitionReason": "User action",
        "TumblingWindowInSeconds": 0,
    }


def test_function_and_stream_by_name_and_arn() -> None:
    sim, stream, fn = setup()
    esm = sim.lambda_.create_event_source_mapping("f", stream.arn, starting_position="LATEST")
    assert (esm.function, esm.stream) == (fn, stream)
    assert sim.lambda_.list_event_source_mappings() == [esm]
    assert sim.lambda_.list_event_source_mappings(function=fn.arn) == [esm]
    assert sim.lambda_.list_event_source_mappings(source=stream) == [esm]


def test_unknown_stream() -> None:
    sim, _, fn = setup()
    arn = "arn:aws:kinesis:us-east-1:123456789012:stream/test-foobar-81ded7e8"
    with pytest.raises(kinesim.InvalidParameterValueException) as info:
        sim.lambda_.create_event_source_mapping(fn, arn, starting_position="LATEST")
    assert info.value.message == f"Stream not found: {arn}"
    assert (info.value.http_status, info.value.response["Type"]) == (400, "User")


def test_unknown_function_and_unrecognized_source() -> None:
    sim, stream, _ = setup()
    with pytest.raises(kinesim.InvalidParameterValueException, match=r"Function does not exist$"):
        sim.lambda_.create_event_source_mapping("nope", stream, starting_position="LATEST")
    with pytest.raises(kinesim.InvalidParameterValueException) as info:
        sim.lambda_.create_event_source_mapping(
            "f", "arn:aws:sqs:us-east-1:123456789012:q", starting_position="LATEST"
        )
    assert info.value.message == "Unrecognized event source."


def test_duplicate_mapping_conflict_text() -> None:
    sim, stream, fn = setup()
    first = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    with pytest.raises(kinesim.ResourceConflictException) as info:
        sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    assert info.value.message == (
        f'The event source arn (" {stream.arn} ") and function (" f ") provided mapping '
        "already exists. Please update or delete the existing mapping with UUID "
        f"{first.uuid}"
    )
    assert (info.value.http_status, info.value.response["Type"]) == (409, "User")
    assert len(sim.lambda_.list_event_source_mappings()) == 1


def test_validation_errors_come_first_and_change_nothing() -> None:
    sim, stream, fn = setup()
    with pytest.raises(kinesim.InvalidParameterValueException, match="Value null"):
        sim.lambda_.create_event_source_mapping(fn, stream)
    with pytest.raises(kinesim.ValidationException, match="enum value set"):
        sim.lambda_.create_event_source_mapping(fn, stream, starting_position="invalid")
    with pytest.raises(kinesim.ValidationException, match="batchSize"):
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", batch_size=10_001
        )
    assert sim.lambda_.list_event_source_mappings() == []


def test_unknown_uuid_is_a_404() -> None:
    sim, _, _ = setup()
    for call in (
        sim.lambda_.get_event_source_mapping,
        sim.lambda_.delete_event_source_mapping,
        lambda u: sim.lambda_.update_event_source_mapping(u, batch_size=5),
    ):
        with pytest.raises(kinesim.ResourceNotFoundException) as info:
            call("00000000-0000-4000-8000-000000000000")
        assert info.value.message == "The resource you requested does not exist."
        assert info.value.http_status == 404
        assert info.value.response["Message"] == info.value.message
        assert info.value.response["Type"] == "User"


def test_states_with_transition_time() -> None:
    sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=5))
    sim, stream, fn = setup(sim=sim)
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    seen = [esm.state]
    with pytest.raises(kinesim.ResourceInUseException):
        sim.lambda_.update_event_source_mapping(esm, batch_size=5)
    sim.advance(5)
    seen.append(esm.state)
    sim.lambda_.update_event_source_mapping(esm, batch_size=5)
    seen.append(esm.state)
    assert aws_mapping(esm.describe())["BatchSize"] == 100  # applied when the update completes
    sim.advance(5)
    seen.append(esm.state)
    assert aws_mapping(esm.describe())["BatchSize"] == 5
    sim.lambda_.update_event_source_mapping(esm, enabled=False)
    seen.append(esm.state)
    sim.advance(5)
    seen.append(esm.state)
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    seen.append(esm.state)
    sim.advance(5)
    seen.append(esm.state)
    assert (
        aws_mapping(sim.lambda_.delete_event_source_mapping(esm).describe())["State"] == "Deleting"
    )
    seen.append(esm.state)
    sim.advance(5)
    assert seen == [
        "Creating",
        "Enabled",
        "Updating",
        "Enabled",
        "Disabling",
        "Disabled",
        "Enabling",
        "Enabled",
        "Deleting",
    ]
    assert sim.lambda_.list_event_source_mappings() == []
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.lambda_.get_event_source_mapping(esm.uuid)


def test_created_disabled_does_not_poll() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", enabled=False
    )
    put(stream, ["x"])
    sim.advance(10)
    assert esm.state == "Disabled"
    assert handler.events == []
    assert sim.drain() == 0.0  # disabled mappings are not waited for


def test_at_timestamp_starts_at_the_first_record_at_or_after_it() -> None:
    handler = Recorder()
    sim, stream, fn = setup(handler)
    put(stream, ["early"])
    sim.advance(10)
    put(stream, ["late"])
    sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="AT_TIMESTAMP",
        starting_position_timestamp=sim.now - 1,
    )
    sim.drain()
    assert handler.delivered() == ["late"]
    with pytest.raises(kinesim.InvalidParameterValueException):
        sim.lambda_.create_event_source_mapping(
            sim.lambda_.create_function("g"), stream, starting_position="AT_TIMESTAMP"
        )


def test_update_settings_and_destination() -> None:
    sim, stream, fn = setup()
    esm = sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    sim.advance(0)
    queue = sim.sqs.create_queue("dlq")
    sim.lambda_.update_event_source_mapping(
        esm, on_failure=queue.arn, bisect_on_error=True, max_retry_attempts=3
    )
    sim.advance(0)
    out = aws_mapping(esm.describe())
    assert out["DestinationConfig"] == {"OnFailure": {"Destination": queue.arn}}
    assert (out["BisectBatchOnFunctionError"], out["MaximumRetryAttempts"]) == (True, 3)
    with pytest.raises(kinesim.InvalidParameterValueException):
        sim.lambda_.update_event_source_mapping(esm, on_failure="arn:aws:sqs:us-east-1:1:nope")
    with pytest.raises(kinesim.KinesimTypeError, match="unknown settings"):
        sim.lambda_.update_event_source_mapping(esm, batchsize=3)


def test_part_two_features_are_refused_clearly() -> None:
    sim, stream, fn = setup()
    with pytest.raises(kinesim.KinesimValueError, match="use parallelization_factor=1"):
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", tumbling_window=60, parallelization_factor=2
        )
    with pytest.raises(kinesim.KinesimValueError, match="'shard' or 'lane'"):
        sim.lambda_.create_event_source_mapping(
            fn, stream, starting_position="LATEST", parallel_failure_policy="key"
        )


def test_update_can_remove_the_destination() -> None:
    sim, stream, fn = setup()
    queue = sim.sqs.create_queue("dlq")
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", on_failure=queue
    )
    sim.advance(0)
    sim.lambda_.update_event_source_mapping(esm, on_failure=None)
    sim.advance(0)
    assert aws_mapping(esm.describe())["DestinationConfig"] == {"OnFailure": {}}
    assert esm.settings.on_failure is None


def test_delete_while_enabling_never_starts_the_pollers() -> None:
    handler = Recorder()
    sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=5))
    sim, stream, fn = setup(handler, sim=sim)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", enabled=False
    )
    put(stream, ["x"])
    sim.advance(5)
    sim.lambda_.update_event_source_mapping(esm, enabled=True)
    sim.lambda_.delete_event_source_mapping(esm)
    sim.advance(10)
    states = [e.fields["state"] for e in sim.trace.of_kind("esm.state")]
    assert states == ["Disabled", "Enabling", "Deleting"]
    assert handler.events == []
    assert sim.lambda_.list_event_source_mappings() == []


def test_an_update_keeps_the_pollers_running_and_applies_at_the_end() -> None:
    handler = Recorder()
    sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=5))
    sim, stream, fn = setup(handler, sim=sim)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=2
    )
    sim.advance(5)
    sim.lambda_.update_event_source_mapping(esm, batch_size=3)
    put(stream, [f"r{i}" for i in range(4)])
    sim.advance(3)  # Updating: still polling with the old batch size
    assert handler.batches == [["r0", "r1"], ["r2", "r3"]]
    sim.advance(3)
    assert esm.state == "Enabled"
    put(stream, [f"s{i}" for i in range(3)])
    sim.drain()
    assert handler.batches[2:] == [["s0", "s1", "s2"]]
    polls = [e.fields["start"] for e in sim.trace.of_kind("esm.poll")]
    assert polls == sorted(polls)  # the end of the update did not restart (re-read) anything
