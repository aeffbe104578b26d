"""Invocations: timing, cold/warm, timeouts, runtime-shaped errors, logs, request ids."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

import pytest

import kinesim
from kinesim import Simulator

UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def ok(event: Any, context: Any) -> Any:
    return {"n": event["n"]}


def test_cold_then_warm_then_cold_after_keep_alive() -> None:
    sim = Simulator(timings=kinesim.Timings(lambda_keep_alive_s=60))
    fn = sim.lambda_.create_function("f", ok, duration=0.1, cold_start=0.4)
    t0 = sim.now_ms
    done: list[kinesim.Invocation] = []

    first = fn.start_invocation({"n": 1}, done.append)
    assert (first.cold, first.init_ms, first.start_ms, first.end_ms) == (True, 400, t0, t0 + 500)
    assert first.duration_ms == 100
    assert first.billed_duration_ms == 500  # init is billed too (AWS, since Aug 2025)
    sim.advance(0.499)
    assert done == []
    sim.advance(0.001)
    assert done == [first]
    assert fn.warm_environments == 1

    sim.advance(10)
    second = fn.start_invocation({"n": 2}, done.append)
    assert (second.cold, second.init_ms, second.end_ms - second.start_ms) == (False, 0, 100)
    assert second.log_stream_name == first.log_stream_name  # same environment reused
    sim.advance(0.1)

    sim.advance(60)  # idle for the keep-alive: the environment is reclaimed
    assert fn.warm_environments == 0
    third = fn.invoke({"n": 3})
    assert third.cold
    assert third.log_stream_name != first.log_stream_name
    assert [i.cold for i in fn.invocations] == [True, False, True]


def test_two_overlapping_invocations_need_two_environments() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", ok, duration=1.0)
    a = fn.invoke({"n": 1})
    b = fn.invoke({"n": 2})
    assert (a.cold, b.cold) == (True, True)
    assert fn.in_flight == 2
    assert fn.environments == 2
    sim.advance(1)
    assert fn.in_flight == 0
    assert fn.warm_environments == 2
    c = fn.invoke({"n": 3})
    assert not c.cold
    assert c.log_stream_name == b.log_stream_name  # most recently used first


def test_handler_runs_synchronously_at_t_and_result_is_observed_at_t_plus_duration() -> None:
    sim = Simulator()
    seen: list[int] = []

    def handler(event: Any, context: Any) -> str:
        seen.append(sim.now_ms)
        return "done"

    fn = sim.lambda_.create_function("f", handler, duration=kinesim.Constant(0.25))
    completions: list[tuple[int, Any]] = []
    inv = fn.start_invocation({}, lambda i: completions.append((sim.now_ms, i.response)))
    assert seen == [sim.now_ms]  # ran already
    assert inv.response == "done"
    sim.advance(1)
    assert completions == [(inv.start_ms + 250, "done")]


def test_slow_handler_times_out_at_exactly_the_timeout() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("slow", ok, timeout=2, duration=5.0)
    done: list[tuple[int, kinesim.Invocation]] = []
    t0 = sim.now_ms
    inv = fn.start_invocation({"n": 1}, lambda i: done.append((sim.now_ms, i)))
    assert inv.end_ms == t0 + 2000
    assert inv.function_error == "Unhandled"
    assert inv.error_type == "Sandbox.Timedout"
    assert inv.outcome == "timeout"
    assert inv.status_code == 200
    assert inv.response == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {inv.request_id} Error: Task timed out after 2.00 seconds",
    }
    assert inv.billed_duration_ms == 2000
    sim.advance(1.999)
    assert done == []
    sim.advance(0.001)
    assert done == [(t0 + 2000, inv)]
    lines = inv.cloudwatch_lines()
    assert lines[-3] == (
        f"2026-01-01T00:00:02.000Z {inv.request_id} Task timed out after 2.00 seconds"
    )
    assert lines[-1].endswith("Status: timeout")


def test_duration_equal_to_timeout_is_a_timeout_and_just_under_is_not() -> None:
    sim = Simulator()
    at = sim.lambda_.create_function("at", None, timeout=1, duration=1.0)
    under = sim.lambda_.create_function("under", None, timeout=1, duration=0.999)
    assert at.invoke().outcome == "timeout"
    assert under.invoke().outcome == "success"


def test_cold_start_init_is_not_counted_against_the_timeout() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", None, timeout=1, duration=5.0, cold_start=0.3)
    inv = fn.invoke()
    assert inv.end_ms - inv.start_ms == 1300
    assert inv.duration_ms == 1000


def test_remaining_time_follows_the_virtual_clock_and_spend() -> None:
    sim = Simulator()
    readings: list[int] = []

    def handler(event: Any, context: Any) -> None:
        readings.append(context.get_remaining_time_in_millis())
        kinesim.spend(1.25)
        readings.append(context.get_remaining_time_in_millis())
        kinesim.spend(0.5)
        readings.append(context.get_remaining_time_in_millis())

    fn = sim.lambda_.create_function("f", handler, timeout=3, duration=0.1)
    inv = fn.invoke()
    assert readings == [3000, 1750, 1250]
    assert inv.duration_ms == 1850  # spent time plus the model's 0.1 s


def test_spend_past_the_timeout_stops_the_handler_there() -> None:
    sim = Simulator()
    after: list[str] = []

    def handler(event: Any, context: Any) -> None:
        try:
            kinesim.spend(5)
        except Exception:  # Lambda's kill is not an Exception the handler can swallow
            after.append("caught")
        after.append("continued")

    fn = sim.lambda_.create_function("f", handler, timeout=3)
    inv = fn.invoke()
    assert after == []
    assert inv.outcome == "timeout"
    assert inv.end_ms - inv.start_ms == 3000


def test_spend_outside_a_handler_says_what_to_do() -> None:
    with pytest.raises(kinesim.NotInInvocationError, match="outside a simulated Lambda handler"):
        kinesim.spend(1)
    # Inside a handler, a bad spend() is the handler's own error, like any other exception.
    inv = Simulator().lambda_.create_function("f", lambda e, c: kinesim.spend(-1)).invoke()
    assert inv.error_type == "KinesimValueError"
    assert "time can't go back" in inv.response["errorMessage"]


def test_handler_exception_is_shaped_like_the_python_runtime() -> None:
    sim = Simulator()

    def handler(event: Any, context: Any) -> None:
        raise ValueError("bad record 7")

    fn = sim.lambda_.create_function("f", handler, duration=0.05)
    inv = fn.invoke({"x": 1})
    assert inv.function_error == "Unhandled"
    assert inv.error_type == "ValueError"
    assert inv.outcome == "error"
    assert list(inv.response) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert inv.response["errorMessage"] == "bad record 7"
    assert inv.response["errorType"] == "ValueError"
    assert inv.response["requestId"] == inv.request_id
    (frame,) = inv.response["stackTrace"]
    assert frame.startswith('  File "')
    assert frame.endswith(', in handler\n    raise ValueError("bad record 7")\n')
    assert inv.end_ms - inv.start_ms == 50  # errors take their duration too
    error_event = inv.logs[-1]
    assert error_event.startswith("[ERROR] ValueError: bad record 7\nTraceback (most recent")
    assert "\u00a0\u00a0File" in error_event  # the runtime indents with no-break spaces


def test_non_json_response_is_a_marshal_error() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", lambda e, c: {"s": {1, 2}})
    inv = fn.invoke()
    assert inv.function_error == "Unhandled"
    assert inv.response == {
        "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
        "errorType": "Runtime.MarshalError",
        "requestId": inv.request_id,
        "stackTrace": [],
    }


def test_response_over_6_mb_is_function_response_size_too_large() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", lambda e, c: "x" * 6_291_556)
    inv = fn.invoke()
    assert inv.function_error == "Unhandled"
    assert inv.response == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge",
    }
    fits = sim.lambda_.create_function("g", lambda e, c: "x" * 6_291_554)  # + 2 quotes
    assert fits.invoke().ok


def test_request_over_6_mb_raises_and_runs_nothing() -> None:
    sim = Simulator()
    calls: list[Any] = []
    fn = sim.lambda_.create_function("f", lambda e, c: calls.append(e))
    with pytest.raises(kinesim.RequestTooLargeException) as info:
        fn.invoke("x" * 6_291_455)  # 6,291,457 bytes with the quotes
    assert info.value.message == (
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    )
    assert info.value.http_status == 413
    with pytest.raises(kinesim.RequestTooLargeException):
        fn.start_invocation({}, None, payload_size=6_291_457)
    assert calls == []
    assert fn.invocations == []
    assert fn.in_flight == 0
    fn.start_invocation({}, None, payload_size=6_291_456)
    assert len(calls) == 1


def test_output_is_captured_per_invocation_and_streams_are_restored() -> None:
    sim = Simulator()
    saved = sys.stdout, sys.stderr
    root_handlers = list(logging.getLogger().handlers)

    def handler(event: Any, context: Any) -> None:
        print("processing", event["n"])
        print("partial", end="")
        logging.getLogger("app").warning("slow shard %s", "s-1")
        sys.stderr.write("to stderr\n")
        kinesim.spend(0.2)
        logging.getLogger().error("after spend")
        context.log("via context.log\n")

    fn = sim.lambda_.create_function("f", handler, cold_start=0.1)
    inv = fn.invoke({"n": 7})
    rid = inv.request_id
    assert inv.logs == (
        "processing 7",
        "partial",
        f"[WARNING]\t2026-01-01T00:00:00.100Z\t{rid}\tslow shard s-1",
        "to stderr",
        f"[ERROR]\t2026-01-01T00:00:00.300Z\t{rid}\tafter spend",
        "via context.log",
    )
    assert (sys.stdout, sys.stderr) == saved
    assert logging.getLogger().handlers == root_handlers
    lines = inv.cloudwatch_lines()
    assert lines[0] == f"START RequestId: {rid} Version: $LATEST"
    assert lines[-2] == f"END RequestId: {rid}"
    assert lines[-1] == (
        f"REPORT RequestId: {rid}\tDuration: 200.00 ms\tBilled Duration: 300 ms\t"
        "Memory Size: 128 MB\tInit Duration: 100.00 ms"
    )


def test_streams_are_restored_when_the_handler_fails() -> None:
    sim = Simulator()
    saved = sys.stdout

    def handler(event: Any, context: Any) -> None:
        print("before")
        raise KeyError("k")

    inv = sim.lambda_.create_function("f", handler).invoke()
    assert sys.stdout is saved
    assert inv.logs[0] == "before"
    assert inv.response["errorMessage"] == "'k'"


def test_request_ids_are_uuids_stable_per_seed_and_differ_across_seeds() -> None:
    def run(seed: int) -> list[str]:
        sim = Simulator(seed=seed)
        fn = sim.lambda_.create_function("f", None)
        other = sim.lambda_.create_function("g", None)
        ids = [fn.invoke().request_id for _ in range(3)]
        ids.append(other.invoke().request_id)
        return ids

    first = run(7)
    assert first == run(7)
    assert first != run(8)
    assert all(UUID4.match(rid) for rid in first)
    assert len(set(first)) == 4


def test_adding_a_function_does_not_shift_another_functions_request_ids() -> None:
    a = Simulator(seed=3)
    b = Simulator(seed=3)
    b.lambda_.create_function("other", None).invoke()
    ids_a = [a.lambda_.create_function("f", None).invoke().request_id]
    ids_b = [b.lambda_.create_function("f", None).invoke().request_id]
    assert ids_a == ids_b


def test_handler_none_returns_none_and_takes_the_modelled_time() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("whatif", None, duration=kinesim.Uniform(0.1, 0.2))
    inv = fn.invoke({"anything": True})
    assert inv.response is None
    assert inv.ok
    assert 100 <= inv.duration_ms <= 200


def test_handler_import_string() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", "handlers_for_tests:echo")
    inv = fn.invoke({"a": 1})
    assert inv.response == {"echo": {"a": 1}, "request_id": inv.request_id}
    dotted = sim.lambda_.create_function("g", "handlers_for_tests.echo")
    assert dotted.invoke(1).response["echo"] == 1


@pytest.mark.parametrize(
    ("handler", "message"),
    [
        ("no_such_module_xyz:handler", "unable to import module 'no_such_module_xyz'"),
        ("handlers_for_tests:missing", "has no callable 'missing'"),
        ("justaname", "is not an import string"),
    ],
)
def test_bad_handler_strings_fail_at_create_time(handler: str, message: str) -> None:
    sim = Simulator()
    with pytest.raises(kinesim.KinesimValueError, match=message):
        sim.lambda_.create_function("f", handler)
    with pytest.raises(kinesim.KinesimTypeError, match="pass a callable"):
        sim.lambda_.create_function("g", 42)  # type: ignore[arg-type]


def test_context_has_every_documented_attribute() -> None:
    sim = Simulator(account_id="111122223333", region="eu-west-1")
    captured: list[Any] = []
    fn = sim.lambda_.create_function(
        "ctx", lambda e, c: captured.append(c), memory_mb=512, timeout=30
    )
    inv = fn.invoke({}, client_context={"custom": {"k": "v"}, "client": {"app_title": "t"}})
    (context,) = captured
    assert context.function_name == "ctx"
    assert context.function_version == "$LATEST"
    assert context.invoked_function_arn == "arn:aws:lambda:eu-west-1:111122223333:function:ctx"
    assert context.memory_limit_in_mb == "512"
    assert context.aws_request_id == inv.request_id
    assert context.log_group_name == "/aws/lambda/ctx"
    assert re.match(r"^2026/01/01/\[\$LATEST\][0-9a-f]{32}$", context.log_stream_name)
    assert context.log_stream_name == inv.log_stream_name
    assert context.identity.cognito_identity_id is None
    assert context.identity.cognito_identity_pool_id is None
    assert context.client_context.custom == {"k": "v"}
    assert context.client_context.client.app_title == "t"
    assert context.client_context.client.installation_id is None
    assert context.get_remaining_time_in_millis() == 30_000
    plain: list[Any] = []
    sim.lambda_.create_function("plain", lambda e, c: plain.append(c)).invoke()
    assert plain[0].client_context is None


def test_nested_invocations_each_see_their_own_context() -> None:
    sim = Simulator()
    inner = sim.lambda_.create_function("inner", lambda e, c: kinesim.spend(0.5), timeout=10)
    readings: list[int] = []

    def outer_handler(event: Any, context: Any) -> None:
        kinesim.spend(1)
        inner.invoke()
        readings.append(context.get_remaining_time_in_millis())

    sim.lambda_.create_function("outer", outer_handler, timeout=5).invoke()
    assert readings == [4000]


def test_invoke_response_shape() -> None:
    sim = Simulator()
    ok_inv = sim.lambda_.create_function("ok", lambda e, c: {"a": 1}).invoke()
    assert ok_inv.invoke_response() == {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "Payload": b'{"a": 1}',
    }
    slow = sim.lambda_.create_function("slow", None, timeout=1, duration=2).invoke()
    response = slow.invoke_response()
    assert (response["StatusCode"], response["FunctionError"]) == (200, "Unhandled")
    assert json.loads(response["Payload"])["errorType"] == "Sandbox.Timedout"
