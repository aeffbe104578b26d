"""Handlers that misbehave stay function errors, and handlers may invoke other functions."""

from __future__ import annotations

import json
from typing import Any

import pytest

import kinesim
import kinesim.invariants
from kinesim import Simulator


def deep_value(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


def test_a_response_nested_too_deep_is_a_marshal_error_and_the_mapping_moves_on() -> None:
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", lambda e, c: deep_value(100_000))
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", max_retry_attempts=0
    )
    stream.put_record(b"a", "k")
    sim.drain(60)
    first = fn.invocations[0]
    assert first.function_error == "Unhandled"
    assert first.error_type == "Runtime.MarshalError"
    assert first.response["errorType"] == "Runtime.MarshalError"
    message = first.response["errorMessage"]
    assert message.startswith("Unable to marshal response: maximum recursion")
    fn.handler = None
    stream.put_record(b"b", "k")
    sim.drain(600)
    assert esm.ledger.fates() == {"succeeded": 1, "RetryAttemptsExhausted": 1}
    assert sim.lambda_.in_flight == 0


def test_a_handler_raising_recursion_error_is_a_function_error() -> None:
    def recurse(event: Any, context: Any) -> Any:
        return recurse(event, context)

    sim = Simulator()
    fn = sim.lambda_.create_function("f", recurse)
    invocation = fn.invoke({})
    assert invocation.error_type == "RecursionError"
    assert invocation.response["errorMessage"].startswith("maximum recursion depth exceeded")
    response = sim.client("lambda").invoke(FunctionName="f", Payload=b"{}")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "RecursionError"
    sim.advance(10)
    assert fn.in_flight == 0


def test_sync_invoke_of_a_deep_response_is_a_marshal_error_payload() -> None:
    sim = Simulator()
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", handler=lambda e, c: deep_value(5_000))
    response = lam.invoke(FunctionName="f")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Runtime.MarshalError"


# -- a handler invoking another function synchronously -------------------------------------


def test_a_handler_invoking_another_function_is_charged_its_duration_in_virtual_time() -> None:
    sim = Simulator()
    lam = sim.client("lambda")
    lam.create_function(FunctionName="g", handler=lambda e, c: {"ok": e["n"]}, duration=1)
    seen: list[tuple[Any, int]] = []

    def caller(event: Any, context: Any) -> None:
        response = lam.invoke(FunctionName="g", Payload=b'{"n": 7}')
        remaining = context.get_remaining_time_in_millis()
        seen.append((json.loads(response["Payload"].read()), remaining))

    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", caller, duration=0.05, timeout=3)
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="TRIM_HORIZON")
    stream.put_record(b"a", "k")
    sim.drain(60)
    g = sim.lambda_.function("g")
    assert seen == [({"ok": 7}, 2000)]  # the callee's 1 s came off the caller's 3 s
    (outer,) = fn.invocations
    (inner,) = g.invocations
    assert outer.ok
    assert inner.ok
    assert inner.start_ms == outer.start_ms
    assert inner.end_ms - inner.start_ms == 1000
    assert outer.end_ms - outer.start_ms == 1050  # the callee's duration plus its own
    assert (fn.in_flight, g.in_flight, sim.lambda_.in_flight) == (0, 0, 0)


def test_the_callee_holds_a_concurrency_slot_until_its_end() -> None:
    sim = Simulator()
    lam = sim.client("lambda")
    lam.create_function(FunctionName="g", handler=None, duration=2)
    slots: list[int] = []

    def caller(event: Any, context: Any) -> None:
        lam.invoke(FunctionName="g")
        slots.append(sim.lambda_.in_flight)

    lam.create_function(FunctionName="f", handler=caller, Timeout=10)
    lam.invoke(FunctionName="f")
    assert slots == [2]  # both running while the caller waits
    assert sim.lambda_.in_flight == 0
    assert sim.elapsed == 2.0


def test_a_caller_times_out_waiting_for_a_slow_callee() -> None:
    sim = Simulator()
    lam = sim.client("lambda")
    lam.create_function(FunctionName="slow", handler=None, duration=5)
    lam.create_function(
        FunctionName="f", handler=lambda e, c: lam.invoke(FunctionName="slow") and None, Timeout=3
    )
    response = lam.invoke(FunctionName="f")
    assert response["FunctionError"] == "Unhandled"
    assert json.loads(response["Payload"].read())["errorType"] == "Sandbox.Timedout"
    sim.advance(10)
    assert sim.lambda_.in_flight == 0


def test_sync_invoke_from_a_scheduled_callback_returns_at_once_and_keeps_the_slot() -> None:
    sim = Simulator()
    lam = sim.client("lambda")
    lam.create_function(FunctionName="g", handler=lambda e, c: "done", duration=2)
    out: list[tuple[bytes, float, int]] = []

    def callback() -> None:
        response = lam.invoke(FunctionName="g")
        out.append((response["Payload"].read(), sim.elapsed, sim.lambda_.in_flight))

    sim.call_later(1, callback)
    sim.advance(1.5)
    assert out == [(b'"done"', 1.0, 1)]
    sim.advance(2)
    assert sim.lambda_.in_flight == 0


def test_a_handler_that_advances_the_clock_fails_with_the_reentry_error() -> None:
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)

    def handler(event: Any, context: Any) -> None:
        sim.advance(10)

    fn = sim.lambda_.create_function("f", handler)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", max_retry_attempts=0
    )
    stream.put_record(b"a", "k")
    sim.drain(60)
    assert fn.invocations[0].error_type == "KinesimReentryError"
    assert esm.ledger.fates() == {"RetryAttemptsExhausted": 1}
    assert sim.lambda_.in_flight == 0


def test_concurrency_is_released_after_nested_invokes_in_a_state_of_many_records() -> None:
    sim = Simulator()
    lam = sim.client("lambda")
    lam.create_function(FunctionName="g", handler=None, duration=0.2)
    stream = sim.kinesis.create_stream("s", shard_count=4)
    fn = sim.lambda_.create_function(
        "f", lambda e, c: [lam.invoke(FunctionName="g") and None for _ in e["Records"]] and None
    )
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="TRIM_HORIZON", batch_size=3
    )
    for i in range(40):
        stream.put_record(b"x", f"k{i}")
    sim.drain(600)
    assert esm.ledger.fates() == {"succeeded": 40}
    assert sim.lambda_.in_flight == 0
    assert len(sim.lambda_.function("g").invocations) == 40
    kinesim.invariants.check_no_silent_loss(esm)


@pytest.mark.parametrize("depth", [10, 500])
def test_moderately_nested_responses_still_marshal(depth: int) -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", lambda e, c: deep_value(depth))
    assert fn.invoke({}).ok


def test_an_end_beyond_the_representable_time_is_refused_without_leaking_the_slot() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("g", cold_start=3e11)  # ~9,500 years of cold start
    with pytest.raises(kinesim.KinesimValueError, match="outside the times kinesim can represent"):
        fn.invoke({})
    assert (fn.in_flight, sim.lambda_.in_flight, fn.environments) == (0, 0, 0)
    assert fn.invocations == []
    sim.lambda_.update_function(fn, cold_start=0.1)
    assert fn.invoke({}).ok


def test_a_handler_returning_the_invoke_response_is_a_marshal_error_as_on_aws() -> None:
    # boto3's Invoke response holds a StreamingBody, which the runtime cannot marshal either.
    sim = Simulator()
    lam = sim.client("lambda")
    lam.create_function(FunctionName="g", handler=None, duration=1)
    fn = sim.lambda_.create_function("f", lambda e, c: lam.invoke(FunctionName="g"))
    invocation = fn.invoke({})
    assert invocation.error_type == "Runtime.MarshalError"
    assert "StreamingBody is not JSON serializable" in invocation.response["errorMessage"]
    sim.advance(5)
    assert sim.lambda_.in_flight == 0


@pytest.mark.parametrize(
    "move", [lambda sim: sim.advance(10), lambda sim: sim.drain(10), lambda sim: sim.step()]
)
def test_a_handler_invoked_at_top_level_cannot_move_the_clock_either(move: Any) -> None:
    sim = Simulator()
    sim.call_later(5, lambda: None)
    lam = sim.client("lambda")
    lam.create_function(FunctionName="f", handler=lambda e, c: move(sim), duration=0.5)
    response = lam.invoke(FunctionName="f")
    error = json.loads(response["Payload"].read())
    assert error["errorType"] == "KinesimReentryError"
    assert sim.elapsed == 0.5  # only the invocation's own duration passed
    assert sim.advancing is False
    assert sim.lambda_.in_flight == 0
    assert sim.pending == 1  # the event at 5 s did not run
