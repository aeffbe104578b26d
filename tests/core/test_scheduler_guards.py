"""The clock's guards: no re-entrant advance, no livelock at one instant, no corrupting argument."""

import math
from datetime import datetime, timezone

import pytest

import kinesim
from kinesim import Simulator
from kinesim._core.scheduler import MAX_EVENTS_PER_INSTANT, MAX_MS, MIN_MS

# -- re-entrancy ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reenter",
    [
        lambda sim: sim.advance(10),
        lambda sim: sim.advance_ms(10),
        lambda sim: sim.run_until(sim.now + 10),
        lambda sim: sim.step(),
        lambda sim: sim.drain(10),
    ],
    ids=["advance", "advance_ms", "run_until", "step", "drain"],
)
def test_advancing_from_inside_a_callback_is_refused_and_the_clock_never_goes_back(reenter):
    sim = Simulator()
    seen = []
    later = []
    sim.call_later(3, later.append, "later")

    def callback():
        seen.append(sim.advancing)
        with pytest.raises(kinesim.KinesimReentryError, match=r"already advancing.*call_later"):
            reenter(sim)
        seen.append(sim.now_ms)

    sim.call_later(0.5, callback)
    sim.advance(2)
    # Nothing ran inside the refused call: the event at 3 s is still due, the clock is at 2 s.
    assert seen == [True, sim.start_ms + 500]
    assert later == []
    assert sim.now_ms == sim.start_ms + 2000
    assert sim.advancing is False
    sim.advance(1)
    assert later == ["later"]


def test_a_reentry_error_escaping_a_callback_leaves_the_simulator_usable():
    sim = Simulator()
    sim.call_later(1, lambda: sim.advance(5))
    with pytest.raises(kinesim.KinesimReentryError):
        sim.advance(2)
    assert sim.now_ms == sim.start_ms + 1000  # stays at the failing event, as any error does
    assert sim.advancing is False
    sim.advance(1)
    assert sim.now_ms == sim.start_ms + 2000


def test_reentry_error_is_a_runtime_error_of_kinesim():
    assert issubclass(kinesim.KinesimReentryError, kinesim.KinesimError)
    assert issubclass(kinesim.KinesimReentryError, RuntimeError)


# -- livelock ---------------------------------------------------------------------------------


def test_a_zero_delay_self_rescheduling_callback_stops_with_a_livelock_error_naming_it():
    sim = Simulator(max_events_per_instant=50)
    ran = []

    def again():
        ran.append(sim.now_ms)
        sim.call_later(0, again)

    sim.call_later(0.25, again)
    with pytest.raises(kinesim.LivelockError, match=r"50 events at one virtual instant") as info:
        sim.advance(1)
    assert "again (1 due)" in str(info.value)
    assert "2026-01-01T00:00:00.250Z" in str(info.value)
    assert info.value.kinds == [
        "test_a_zero_delay_self_rescheduling_callback_stops_with_a_livelock_error_naming_it."
        "<locals>.again"
    ]
    assert len(ran) == 50
    assert set(ran) == {sim.start_ms + 250}
    # The event that would have run next is still queued; the clock stayed at the instant.
    assert sim.now_ms == sim.start_ms + 250
    assert sim.peek_ms() == sim.start_ms + 250
    assert sim.advancing is False


def test_the_limit_counts_per_instant_so_busy_runs_over_time_are_fine():
    sim = Simulator(max_events_per_instant=10)
    ran = []
    for ms in range(100):
        for _ in range(10):
            sim.call_later_ms(ms, ran.append, ms)
    sim.advance(1)
    assert len(ran) == 1000


def test_exactly_the_limit_at_one_instant_runs():
    sim = Simulator(max_events_per_instant=10)
    ran = []
    for _ in range(10):
        sim.call_later(0, ran.append, 1)
    sim.advance(0)
    assert ran == [1] * 10


def test_zero_backoff_and_zero_duration_failing_handler_is_caught_by_the_guard():
    def boom(event, context):
        raise ValueError("x")

    sim = Simulator(max_events_per_instant=2_000)
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", boom, duration=0)
    sim.lambda_.create_event_source_mapping(
        fn,
        stream,
        starting_position="TRIM_HORIZON",
        retry_backoff=kinesim.ExponentialBackoff(initial_s=0, max_s=0),
    )
    stream.put_record(b"a", "k")
    with pytest.raises(kinesim.LivelockError, match="Events due at that instant") as info:
        sim.drain(10)
    assert info.value.kinds  # the repeating kinds are named
    with pytest.raises(kinesim.LivelockError):
        sim.advance(10)


def test_max_events_per_instant_is_validated_and_defaults_to_the_documented_limit():
    assert Simulator().max_events_per_instant == MAX_EVENTS_PER_INSTANT == 100_000
    for bad in (0, -1, 1.5, True, "10"):
        with pytest.raises(kinesim.KinesimValueError, match="max_events_per_instant"):
            Simulator(max_events_per_instant=bad)


# -- arguments of the clock -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda s: s.advance_ms(1.5), kinesim.KinesimTypeError, "whole number of milliseconds"),
        (lambda s: s.advance_ms("5"), kinesim.KinesimTypeError, "whole number of milliseconds"),
        (lambda s: s.advance_ms(True), kinesim.KinesimTypeError, "whole number of milliseconds"),
        (lambda s: s.advance_ms(-1), kinesim.KinesimValueError, "negative"),
        (lambda s: s.advance_ms(10**20), kinesim.KinesimValueError, "9999-12-31"),
        (lambda s: s.advance(1e300), kinesim.KinesimValueError, "outside the times"),
        (lambda s: s.advance(math.nan), kinesim.KinesimValueError, "finite"),
        (lambda s: s.advance(math.inf), kinesim.KinesimValueError, "finite"),
        (lambda s: s.advance("1"), kinesim.KinesimTypeError, "number of seconds"),
        (lambda s: s.drain(math.nan), kinesim.KinesimValueError, "finite"),
        (lambda s: s.drain(math.inf), kinesim.KinesimValueError, "finite"),
        (lambda s: s.drain(-1), kinesim.KinesimValueError, "negative"),
        (lambda s: s.drain("1"), kinesim.KinesimTypeError, "timeout"),
        (lambda s: s.drain(1e300), kinesim.KinesimValueError, "outside the times"),
        (lambda s: s.run_until(1e300), kinesim.KinesimValueError, "outside the times"),
        (lambda s: s.run_until(math.nan), kinesim.KinesimValueError, "finite"),
        (lambda s: s.run_until(10**400), kinesim.KinesimValueError, "outside the times"),
        (lambda s: s.call_later(math.nan, print), kinesim.KinesimValueError, "finite"),
        (lambda s: s.call_later(1e300, print), kinesim.KinesimValueError, "outside the times"),
        (lambda s: s.call_later_ms(1.5, print), kinesim.KinesimTypeError, "whole number"),
        (lambda s: s.call_later_ms(10**20, print), kinesim.KinesimValueError, "9999"),
        (lambda s: s.call_at_ms(10**20, print), kinesim.KinesimValueError, "outside the times"),
        (lambda s: s.call_at_ms(0.5, print), kinesim.KinesimTypeError, "whole number"),
        (lambda s: s.call_at(1e300, print), kinesim.KinesimValueError, "outside the times"),
        (lambda s: s.random(["x"]), kinesim.KinesimTypeError, "str name"),
        (lambda s: s.random(5), kinesim.KinesimTypeError, "str name"),
    ],
)
def test_bad_time_arguments_are_refused_and_leave_the_clock_alone(call, error, match):
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    before = (sim.now_ms, sim.pending)
    with pytest.raises(error, match=match):
        call(sim)
    assert (sim.now_ms, sim.pending) == before
    # The clock is still a valid integer time: the domain keeps working.
    stream.put_record(b"x", "k")
    sim.advance(1)
    assert isinstance(sim.now_ms, int)
    assert sim.datetime.year == 2026


@pytest.mark.parametrize(
    ("start", "error"),
    [
        (1e20, kinesim.KinesimValueError),
        (-1e20, kinesim.KinesimValueError),
        (10**400, kinesim.KinesimValueError),
        (math.nan, kinesim.KinesimValueError),
        (math.inf, kinesim.KinesimValueError),
        ("2026-01-01", kinesim.KinesimTypeError),
    ],
)
def test_a_start_datetime_cannot_show_is_refused(start, error):
    with pytest.raises(error):
        Simulator(start=start)


def test_the_extreme_representable_starts_work():
    last = Simulator(start=MAX_MS / 1000)
    assert last.datetime == datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=timezone.utc)
    assert "9999-12-31" in repr(last)
    with pytest.raises(kinesim.KinesimValueError, match="9999-12-31"):
        last.advance_ms(1)
    first = Simulator(start=MIN_MS / 1000)
    assert first.datetime == datetime(1, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("trace", [5, b"x", [1], None, 2.0])
def test_trace_must_be_a_bool_or_a_collection_of_kind_names(trace):
    with pytest.raises(kinesim.KinesimTypeError, match="trace"):
        Simulator(trace=trace)


def test_a_single_kind_name_is_not_the_all_spelling():
    # "all" is the one string trace takes; one kind goes in a collection.
    with pytest.raises(kinesim.KinesimValueError, match="'all' or a collection"):
        Simulator(trace="lambda.invoke")


def test_trace_kinds_from_any_iterable_of_str():
    sim = Simulator(trace=(kind for kind in ["lambda.invoke"]))
    assert sim.trace.kinds == frozenset({"lambda.invoke"})
