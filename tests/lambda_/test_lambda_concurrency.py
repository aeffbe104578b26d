"""Concurrency: the account pool, reserved concurrency, throttles (never queued), scaling rate."""

from __future__ import annotations

import contextlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim import Limits, Simulator

NS = "AWS/Lambda"


def test_account_cap_throttles_with_reason_and_metrics() -> None:
    sim = Simulator(limits=Limits(account_concurrency=3))
    fn = sim.lambda_.create_function("f", None, duration=1.0)
    invocations = [fn.invoke() for _ in range(3)]
    with pytest.raises(kinesim.TooManyRequestsException) as info:
        fn.invoke()
    error = info.value
    assert error.code == "TooManyRequestsException"
    assert error.message == "Rate Exceeded."
    assert error.http_status == 429
    assert error.response["Reason"] == "ConcurrentInvocationLimitExceeded"
    assert error.response["Type"] == "User"
    assert len(fn.invocations) == 3  # the throttled one never ran, nor was queued
    assert sim.metrics.series(NS, "Throttles", FunctionName="f").sum() == 1
    assert sim.metrics.series(NS, "Throttles").sum() == 1  # the account aggregate
    assert sim.metrics.series(NS, "ConcurrentExecutions", FunctionName="f").max() == 3
    assert sim.metrics.series(NS, "UnreservedConcurrentExecutions").max() == 3

    sim.advance(1)  # slots free at t + 1 s: the same call now succeeds
    assert all(not inv.cold for inv in [fn.invoke()])
    assert sim.metrics.series(NS, "Invocations", FunctionName="f").sum() == 3
    assert sim.metrics.series(NS, "Errors", FunctionName="f").sum() == 0
    assert sim.metrics.series(NS, "Duration", FunctionName="f").values() == [1000] * 3
    kinds = [e.kind for e in sim.trace]
    assert kinds.count("lambda.throttle") == 1
    assert kinds.count("lambda.invoke") == 4
    assert kinds.count("lambda.result") == 3
    throttle = next(e for e in sim.trace if e.kind == "lambda.throttle")
    assert throttle.fields == {"function": "f", "reason": "ConcurrentInvocationLimitExceeded"}
    assert invocations[0].request_id != invocations[1].request_id


def test_reserved_zero_throttles_everything() -> None:
    sim = Simulator()
    ran: list[Any] = []
    fn = sim.lambda_.create_function("off", lambda e, c: ran.append(e), reserved_concurrency=0)
    for _ in range(5):
        with pytest.raises(kinesim.TooManyRequestsException) as info:
            fn.invoke({"x": 1})
        assert info.value.response["Reason"] == (
            "ReservedFunctionConcurrentInvocationLimitExceeded"
        )
    assert ran == []
    assert sim.metrics.series(NS, "Throttles", FunctionName="off").sum() == 5
    assert sim.metrics.series(NS, "Invocations", FunctionName="off").sum() == 0


def test_reserved_concurrency_caps_the_function_and_carves_the_pool() -> None:
    sim = Simulator(limits=Limits(account_concurrency=10, lambda_unreserved_minimum=5))
    reserved = sim.lambda_.create_function("r", None, duration=1.0, reserved_concurrency=2)
    shared = sim.lambda_.create_function("s", None, duration=1.0)
    assert sim.lambda_.unreserved_concurrency == 8
    reserved.invoke()
    reserved.invoke()
    with pytest.raises(kinesim.TooManyRequestsException) as info:
        reserved.invoke()
    assert info.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
    for _ in range(8):
        shared.invoke()
    with pytest.raises(kinesim.TooManyRequestsException) as info:
        shared.invoke()
    assert info.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
    assert sim.lambda_.in_flight == 10
    assert sim.metrics.series(NS, "ConcurrentExecutions").max() == 10
    assert sim.metrics.series(NS, "UnreservedConcurrentExecutions").max() == 8


def test_reservations_must_leave_100_unreserved() -> None:
    sim = Simulator()  # account quota 1,000
    a = sim.lambda_.create_function("a", None)
    assert sim.lambda_.put_function_concurrency(a, 900) == 900
    b = sim.lambda_.create_function("b", None)
    with pytest.raises(kinesim.InvalidParameterValueException) as info:
        sim.lambda_.put_function_concurrency(b, 1)
    assert info.value.message == (
        "Specified ReservedConcurrentExecutions for function decreases account's "
        "UnreservedConcurrentExecution below its minimum value of [100]."
    )
    assert sim.lambda_.get_function_concurrency(b) is None  # failed call changed nothing
    with pytest.raises(kinesim.InvalidParameterValueException):
        sim.lambda_.create_function("c", None, reserved_concurrency=1)
    assert [f.name for f in sim.lambda_.list_functions()] == ["a", "b"]
    sim.lambda_.put_function_concurrency(a, 899)
    sim.lambda_.put_function_concurrency(b, 1)
    sim.lambda_.delete_function_concurrency(a)
    assert sim.lambda_.get_function_concurrency(a) is None
    assert sim.lambda_.unreserved_concurrency == 999


def test_small_accounts_must_leave_their_whole_quota_unreserved() -> None:
    # AWS reports "minimum value of [10]" on accounts whose quota is 10.
    sim = Simulator(limits=Limits(account_concurrency=10))
    fn = sim.lambda_.create_function("f", None)
    with pytest.raises(kinesim.InvalidParameterValueException, match=r"minimum value of \[10\]"):
        sim.lambda_.put_function_concurrency(fn, 1)
    sim.lambda_.put_function_concurrency(fn, 0)  # zero never decreases the pool


def test_changing_reservation_while_running_keeps_the_counts_right() -> None:
    sim = Simulator(limits=Limits(account_concurrency=5, lambda_unreserved_minimum=0))
    fn = sim.lambda_.create_function("f", None, duration=1.0)
    other = sim.lambda_.create_function("o", None, duration=1.0)
    fn.invoke()
    fn.invoke()
    sim.lambda_.put_function_concurrency(fn, 2)
    for _ in range(3):
        other.invoke()
    with pytest.raises(kinesim.TooManyRequestsException):
        other.invoke()
    sim.advance(1)
    sim.lambda_._check()
    assert sim.lambda_.in_flight == 0
    assert sim.metrics.series(NS, "UnreservedConcurrentExecutions").max() == 3


def test_scaling_rate_limits_new_environments_not_warm_reuse() -> None:
    limits = Limits(lambda_scaling_rate=4, lambda_scaling_window_s=10)
    sim = Simulator(limits=limits)
    fn = sim.lambda_.create_function("f", None, duration=0.5)
    for _ in range(4):
        fn.invoke()
    with pytest.raises(kinesim.TooManyRequestsException) as info:
        fn.invoke()
    assert info.value.response["Reason"] == "ConcurrentInvocationLimitExceeded"
    sim.advance(0.5)  # four warm environments now: reuse needs no scaling budget
    for _ in range(4):
        assert not fn.invoke().cold
    sim.advance(0.5)
    sim.advance(2.0)  # 2.5 s refills one environment (4 per 10 s)
    for _ in range(4):
        fn.invoke()  # the warm ones
    assert fn.invoke().cold
    with pytest.raises(kinesim.TooManyRequestsException):
        fn.invoke()


def test_function_errors_count_in_errors_not_throttles() -> None:
    sim = Simulator()

    def handler(event: Any, context: Any) -> None:
        if event["fail"]:
            raise RuntimeError("no")

    fn = sim.lambda_.create_function("f", handler, duration=0.01)
    for fail in [False, True, True, False]:
        fn.invoke({"fail": fail})
    sim.advance(1)
    assert sim.metrics.series(NS, "Invocations", FunctionName="f").sum() == 4
    assert sim.metrics.series(NS, "Errors", FunctionName="f").sum() == 2
    assert sim.metrics.series(NS, "Errors").sum() == 2
    assert sim.metrics.series(NS, "Throttles", FunctionName="f").sum() == 0
    assert [inv.outcome for inv in fn.invocations] == ["success", "error", "error", "success"]
    results = [e.fields["outcome"] for e in sim.trace if e.kind == "lambda.result"]
    assert results == ["success", "error", "error", "success"]


@settings(max_examples=40, deadline=None)
@given(
    account=st.integers(1, 6),
    reserved=st.one_of(st.none(), st.integers(0, 3)),
    ops=st.lists(
        st.tuples(st.sampled_from(["f", "g", "advance", "update"]), st.integers(0, 1500)),
        max_size=40,
    ),
)
def test_concurrency_never_exceeds_the_limits(
    account: int, reserved: int | None, ops: list[tuple[str, int]]
) -> None:
    sim = Simulator(
        limits=Limits(account_concurrency=account, lambda_unreserved_minimum=0),
        timings=kinesim.Timings(lambda_keep_alive_s=1),
    )
    if reserved is not None and reserved > account:
        reserved = account

    def took(event: Any, context: Any) -> float:
        return float(event["ms"]) / 1000

    f = sim.lambda_.create_function("f", None, duration=took, reserved_concurrency=reserved)
    g = sim.lambda_.create_function("g", None, duration=took)
    functions = {"f": f, "g": g}
    attempts = 0
    for op, ms in ops:
        if op == "advance":
            sim.advance_ms(ms)
        elif op == "update":
            sim.lambda_.update_function(g, memory_mb=128 + ms)
        else:
            attempts += 1
            with contextlib.suppress(kinesim.TooManyRequestsException):
                functions[op].invoke({"ms": ms})
        sim.lambda_._check()
        assert sim.lambda_.in_flight <= account
        if reserved is not None:
            assert f.in_flight <= reserved
            assert g.in_flight <= account - reserved
    sim.advance(10)
    assert sim.lambda_.in_flight == 0
    assert f.environments == g.environments == 0  # all reclaimed after the keep-alive
    assert sim.metrics.series(NS, "ConcurrentExecutions").max(default=0) <= account
    invoked = sim.metrics.series(NS, "Invocations").sum()
    throttled = sim.metrics.series(NS, "Throttles").sum()
    assert invoked + throttled == attempts


def test_concurrent_executions_keep_the_per_minute_maximum() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", None, duration=lambda e, c: e["s"])
    for seconds in [5.0, 5.0, 5.0]:  # three at once in minute 0
        fn.invoke({"s": seconds})
    sim.advance(30)
    fn.invoke({"s": 1.0})  # one in minute 0 again: below the peak, no new datapoint
    sim.advance(40)
    fn.invoke({"s": 1.0})  # minute 1: one
    fn.invoke({"s": 1.0})  # then two
    sim.advance(120)
    stats = sim.metrics.get_metric_statistics(
        "AWS/Lambda",
        "ConcurrentExecutions",
        dimensions={"FunctionName": "f"},
        start=sim.start_ms / 1000,
        end=sim.now,
        period=60,
        statistics=["Maximum"],
    )
    assert [p["Maximum"] for p in stats["Datapoints"]] == [3, 2]
    assert sim.metrics.series(NS, "ConcurrentExecutions", FunctionName="f").values() == [
        1,
        2,
        3,
        1,
        2,
    ]
