"""Duration models: seeded, the right distributions, and clear errors at create time."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim import Simulator


def durations(sim: Simulator, model: Any, n: int, name: str = "f") -> list[int]:
    fn = sim.lambda_.create_function(name, None, duration=model, timeout=900)
    out = []
    for _ in range(n):
        out.append(fn.invoke().duration_ms)
        sim.advance(900)
    return out


def test_lognormal_hits_its_median_and_p99() -> None:
    sim = Simulator(seed=1)
    model = kinesim.LogNormal(median=0.08, p99=0.4)
    assert math.isclose(model.sigma, math.log(5) / 2.3263478740408408)
    values = sorted(durations(sim, model, 2000))
    median = values[len(values) // 2]
    p99 = values[int(len(values) * 0.99)]
    assert 72 <= median <= 88
    assert 330 <= p99 <= 480


def test_uniform_and_empirical_stay_in_range() -> None:
    sim = Simulator(seed=2)
    uniform = durations(sim, kinesim.Uniform(0.05, 0.1), 200, "u")
    assert min(uniform) >= 50
    assert max(uniform) <= 100
    assert len(set(uniform)) > 20
    empirical = durations(sim, kinesim.Empirical([0.01, 0.02, 0.5]), 200, "e")
    assert set(empirical) == {10, 20, 500}


def test_callable_duration_sees_event_and_context() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function(
        "f", None, duration=lambda event, context: 0.01 * len(event["Records"]), timeout=10
    )
    assert fn.invoke({"Records": [1] * 30}).duration_ms == 300


def test_cold_start_model_is_seeded_separately() -> None:
    sim = Simulator(seed=5)
    fn = sim.lambda_.create_function("f", None, duration=0.1, cold_start=kinesim.Uniform(0.2, 0.9))
    first = fn.invoke()
    assert 200 <= first.init_ms <= 900
    assert first.end_ms - first.start_ms == first.init_ms + 100


def test_same_seed_same_durations_and_trace() -> None:
    def run(seed: int) -> tuple[list[int], str]:
        sim = Simulator(seed=seed)
        values = durations(sim, kinesim.LogNormal(median=0.05, p99=0.3), 20)
        return values, sim.trace.digest()

    assert run(11) == run(11)
    assert run(11)[0] != run(12)[0]


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        ("fast", kinesim.KinesimTypeError, "pass seconds \\(e.g. 0.05\\)"),
        (-1, kinesim.KinesimValueError, "finite and >= 0"),
        (float("nan"), kinesim.KinesimValueError, "finite and >= 0"),
        (True, kinesim.KinesimTypeError, "is not a duration"),
    ],
)
def test_bad_models_fail_at_create_time_saying_what_to_pass(
    value: Any, error: type[Exception], message: str
) -> None:
    sim = Simulator()
    with pytest.raises(error, match=message):
        sim.lambda_.create_function("f", duration=value)
    with pytest.raises(error, match=message):
        sim.lambda_.create_function("f", cold_start=value)
    assert sim.lambda_.list_functions() == []


def test_bad_distribution_parameters() -> None:
    with pytest.raises(kinesim.KinesimValueError, match="needs 0 < median <= p99"):
        kinesim.LogNormal(median=0.5, p99=0.1)
    with pytest.raises(kinesim.KinesimValueError, match="low must be <= high"):
        kinesim.Uniform(2, 1)
    with pytest.raises(kinesim.KinesimValueError, match="at least one sample"):
        kinesim.Empirical([])
    with pytest.raises(kinesim.KinesimTypeError, match="sequence of seconds"):
        kinesim.Empirical(0.5)  # type: ignore[arg-type]


def test_a_callable_returning_nonsense_is_reported() -> None:
    sim = Simulator()
    fn = sim.lambda_.create_function("f", None, duration=lambda e, c: "slow")
    with pytest.raises(kinesim.KinesimTypeError, match="returned must be a number of seconds"):
        fn.invoke()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32), n=st.integers(1, 8))
def test_request_ids_and_durations_are_a_function_of_the_seed(seed: int, n: int) -> None:
    def run() -> list[tuple[str, int, int]]:
        sim = Simulator(seed=seed)
        fn = sim.lambda_.create_function(
            "f", None, duration=kinesim.LogNormal(median=0.02, p99=0.2), cold_start=0.05
        )
        out = []
        for _ in range(n):
            inv = fn.invoke()
            out.append((inv.request_id, inv.duration_ms, inv.init_ms))
            sim.advance(0.3)
        return out

    assert run() == run()


def test_a_failing_model_gives_the_slot_back() -> None:
    sim = Simulator(limits=kinesim.Limits(account_concurrency=1))
    fn = sim.lambda_.create_function("f", None, duration=lambda e, c: e["s"])
    with pytest.raises(kinesim.KinesimTypeError):
        fn.invoke({"s": "soon"})
    assert (sim.lambda_.in_flight, fn.environments, fn.invocations) == (0, 0, [])
    sim.lambda_._check()
    assert fn.invoke({"s": 0.5}).ok  # the slot is free again
