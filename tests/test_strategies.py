"""kinesim.strategies: every strategy draws values AWS accepts, and the helpers do what they say."""

import base64
import itertools
import json
import math
import random
from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from kinesim import Simulator
from kinesim import strategies as ks
from kinesim._api._lambda_responses import event_source_mapping as aws_mapping

FAST = settings(max_examples=40)


def test_not_imported_by_kinesim():
    import subprocess
    import sys

    code = (
        "import sys, kinesim; "
        "print('hypothesis' in sys.modules, 'kinesim.strategies' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"]


# -- keys -----------------------------------------------------------------------------------------


@FAST
@given(ks.partition_keys())
def test_partition_keys_are_valid(key):
    assert 1 <= len(key) <= 256
    key.encode("utf-8")  # no lone surrogates


@FAST
@given(ks.partition_keys(min_size=3, max_size=5, alphabet="ab"))
def test_partition_key_bounds_and_alphabet(key):
    assert 3 <= len(key) <= 5
    assert set(key) <= {"a", "b"}


@FAST
@given(
    st.sampled_from(["uniform", "skewed", "hot"]).flatmap(
        lambda d: ks.key_sequences(distribution=d, min_size=2, max_size=30, max_keys=5)
    )
)
def test_key_sequences(keys):
    assert 2 <= len(keys) <= 30
    assert len(set(keys)) <= 5
    assert all(1 <= len(key) <= 16 for key in keys)


def test_skewed_index_is_geometric_over_uniform_draws():
    # Hypothesis steers its own draws, so the shapes are checked on the mapping from a uniform
    # draw to a key: key i takes half as many draws as key i - 1 (the last key takes the rest).
    last = 5
    counts = Counter(ks._skewed_index(u, last) for u in range(2**last))
    assert [counts[i] for i in range(last + 1)] == [16, 8, 4, 2, 1, 1]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"min_size": 0}, "min_size=0 is below the smallest allowed, 1"),
        ({"max_size": 257}, "max_size=257 exceeds the largest allowed, 256"),
        ({"min_size": 5, "max_size": 4}, "max_size=4 is less than min_size=5"),
        ({"min_size": 1.5}, "min_size must be an int, got 1.5"),
    ],
)
def test_partition_key_bounds_are_checked(kwargs, message):
    with pytest.raises(InvalidArgument, match=f"^{message}$"):
        ks.partition_keys(**kwargs)


def test_key_sequence_arguments_are_checked():
    with pytest.raises(InvalidArgument, match=r"^distribution='zipf' is not one of"):
        ks.key_sequences(distribution="zipf")
    with pytest.raises(InvalidArgument, match=r"^hot_share must be between 0 and 1"):
        ks.key_sequences(distribution="hot", hot_share=1.0)
    with pytest.raises(InvalidArgument, match=r"^max_keys must be an int >= 1, got 0$"):
        ks.key_sequences(max_keys=0)


# -- payloads -------------------------------------------------------------------------------------


@FAST
@given(ks.payloads(min_size=3, max_size=9))
def test_byte_payload_bounds(data):
    assert isinstance(data, bytes)
    assert 3 <= len(data) <= 9


@settings(max_examples=60)
@given(st.data())
def test_json_payloads_fit_their_bounds(data):
    low = data.draw(st.one_of(st.just(0), st.integers(11, 300)), label="min_size")
    high = data.draw(st.integers(max(2, low + 10), 400), label="max_size")
    blob = data.draw(ks.payloads(format="json", min_size=low, max_size=high))
    assert low <= len(blob) <= high
    assert isinstance(json.loads(blob), dict)


def test_payload_arguments_are_checked():
    with pytest.raises(InvalidArgument, match=r"^max_size=1048577 exceeds the largest allowed"):
        ks.payloads(max_size=1024 * 1024 + 1)
    with pytest.raises(InvalidArgument, match=r"^format='xml' is not 'bytes' or 'json'$"):
        ks.payloads(format="xml")
    with pytest.raises(InvalidArgument, match=r"^format='json' needs max_size >= 2"):
        ks.payloads(format="json", max_size=1)
    with pytest.raises(InvalidArgument, match=r"^format='json' cannot hit min_size=5"):
        ks.payloads(format="json", min_size=5, max_size=100)


# -- records and batches --------------------------------------------------------------------------


@FAST
@given(ks.records())
def test_records(record):
    data, key = record
    assert isinstance(data, bytes)
    assert len(data) <= 256
    assert 1 <= len(key) <= 256


@FAST
@given(ks.record_batches(min_size=1, max_size=500, distribution="hot"))
def test_record_batches_fit_one_put_records_call(batch):
    assert 1 <= len(batch) <= 500
    assert all(isinstance(data, bytes) and 1 <= len(key) <= 16 for data, key in batch)


def test_record_batch_bounds_are_checked():
    with pytest.raises(InvalidArgument, match=r"^max_size=501 exceeds the largest allowed, 500$"):
        ks.record_batches(max_size=501)


# -- put schedules --------------------------------------------------------------------------------


@FAST
@given(ks.put_schedules(pattern="steady", min_puts=2, max_puts=6, max_records_per_put=4))
def test_steady_schedules_are_evenly_spaced(schedule):
    times = [put.at_ms for put in schedule.puts]
    step = times[1] - times[0]
    assert 100 <= step <= 2000
    assert times == [i * step for i in range(len(times))]
    assert len({len(put.records) for put in schedule.puts}) == 1
    assert 2 <= len(schedule.puts) <= 6
    assert schedule.duration_ms == times[-1]


@FAST
@given(ks.put_schedules(pattern="bursty", min_puts=1, max_puts=12, max_records_per_put=3))
def test_bursty_schedules(schedule):
    times = [put.at_ms for put in schedule.puts]
    assert times == sorted(times)
    assert len(set(times)) == len(times)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap == 1 or gap >= 500 for gap in gaps)
    assert all(1 <= len(put.records) <= 3 for put in schedule.puts)
    assert schedule.record_count == len(schedule.records())


class FakeStream:
    def __init__(self, sim):
        self.sim = sim
        self.calls = []

    def put_records(self, entries):
        self.calls.append((self.sim.now_ms - self.sim.start_ms, list(entries)))
        return len(self.calls)


@FAST
@given(ks.put_schedules(max_puts=8), st.integers(0, 5))
def test_schedule_apply_puts_at_the_right_times(schedule, poison_at):
    sim = Simulator()
    sim.advance(10)
    stream = FakeStream(sim)
    plan = ks.FaultPlan(poison=(poison_at,))
    results = schedule.apply(sim, stream, plan=plan)
    assert stream.calls == []
    sim.advance(schedule.duration_ms / 1000)
    assert [t for t, _ in stream.calls] == [10_000 + put.at_ms for put in schedule.puts]
    assert results == list(range(1, len(schedule.puts) + 1))
    put = [record for _, entries in stream.calls for record in entries]
    expected = [
        (ks.poisoned(data) if i == poison_at else data, key)
        for i, (data, key) in enumerate(schedule.records())
    ]
    assert put == expected


def test_schedule_arguments_are_checked():
    with pytest.raises(InvalidArgument, match=r"^pattern='wavy' is not"):
        ks.put_schedules(pattern="wavy")
    with pytest.raises(InvalidArgument, match=r"^interval_ms must be \(low, high\) ints"):
        ks.put_schedules(interval_ms=(0, 5))


# -- mapping configurations -----------------------------------------------------------------------


@settings(max_examples=60)
@given(ks.mapping_configs())
def test_mapping_configs_are_in_aws_ranges(config):
    assert config["starting_position"] == "TRIM_HORIZON"
    assert 1 <= config["batch_size"] <= 10_000
    assert 0 <= config["batching_window"] <= 300
    assert 1 <= config["parallelization_factor"] <= 10
    assert -1 <= config["max_retry_attempts"] <= 10_000
    age = config["max_record_age"]
    assert age == -1 or 60 <= age <= 604_800
    assert isinstance(config["bisect_on_error"], bool)
    assert isinstance(config["report_batch_item_failures"], bool)


@settings(max_examples=60)
@given(ks.mapping_configs())
def test_mapping_configs_are_accepted_by_the_mapping(config):
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    function = sim.lambda_.create_function("f", None)
    mapping = sim.lambda_.create_event_source_mapping(function, stream, **config)
    described = aws_mapping(mapping.describe())
    assert described["BatchSize"] == config["batch_size"]
    assert described["MaximumRetryAttempts"] == config["max_retry_attempts"]
    assert described["MaximumRecordAgeInSeconds"] == config["max_record_age"]
    assert described["ParallelizationFactor"] == config["parallelization_factor"]


@FAST
@given(ks.mapping_configs(batch_size=7, max_retry_attempts=st.integers(0, 2)))
def test_mapping_config_overrides(config):
    assert config["batch_size"] == 7
    assert 0 <= config["max_retry_attempts"] <= 2


# -- fault plans ----------------------------------------------------------------------------------


@settings(max_examples=80)
@given(ks.fault_plans(records=20, shards=2, max_shards=6, horizon_s=120, max_events=6))
def test_fault_plans_are_valid(plan):
    assert all(0 <= i < 20 for i in plan.poison)
    assert list(plan.poison) == sorted(set(plan.poison))
    assert plan.failure_probability in (0.0, 0.1, 0.25, 0.5)
    assert plan.timeout_probability in (0.0, 0.1, 0.25, 0.5)
    times = [event.at_ms for event in plan.events]
    assert times == sorted(times)
    assert all(0 <= t <= 120_000 for t in times)
    count = 2
    for event in plan.events:
        if event.kind == "reshard":
            assert math.ceil(count / 2) <= event.value <= min(2 * count, 6)
            assert event.value != count
            count = event.value
        elif event.kind in ("throttle", "disable"):
            assert 1 <= event.duration_ms <= 30_000
        else:
            assert event.kind == "concurrency"
            assert 1 <= event.value <= 10


@FAST
@given(ks.fault_plans(records=0, kinds=["reshard", "poison"], probabilities=False))
def test_fault_plan_kinds_are_respected(plan):
    assert plan.poison == ()
    assert plan.failure_probability == plan.timeout_probability == 0
    assert {event.kind for event in plan.events} <= {"reshard"}


def test_fault_plans_shrink_to_the_empty_plan():
    from hypothesis import find

    assert find(ks.fault_plans(records=5), lambda plan: True).empty
    assert not ks.FaultPlan(poison=(1,)).empty


def test_fault_plan_arguments_are_checked():
    with pytest.raises(InvalidArgument, match=r"^unknown fault kinds \['flood'\]"):
        ks.fault_plans(kinds=["flood"])
    with pytest.raises(InvalidArgument, match=r"^records must be an int >= 0, got -1$"):
        ks.fault_plans(records=-1)
    with pytest.raises(InvalidArgument, match=r"^horizon_s must be finite seconds >= 0"):
        ks.fault_plans(horizon_s=math.inf)
    with pytest.raises(InvalidArgument, match=r"^failure_probability must be between 0 and 1"):
        ks.FaultPlan(failure_probability=2)
    with pytest.raises(InvalidArgument, match=r"^FaultPlan.events must be in time order$"):
        ks.FaultPlan(events=(ks.FaultEvent(5, "reshard", 2), ks.FaultEvent(1, "reshard", 4)))


def kinesis_event(*datas):
    return {
        "Records": [
            {
                "kinesis": {
                    "data": base64.b64encode(data).decode(),
                    "partitionKey": f"k{i}",
                    "sequenceNumber": str(100 + i),
                }
            }
            for i, data in enumerate(datas)
        ]
    }


def test_wrapped_handler_stops_at_a_poison_record():
    seen = []

    def handler(event, context):
        """Counts records."""
        seen.append([r["kinesis"]["sequenceNumber"] for r in event["Records"]])
        return "ok"

    wrapped = ks.FaultPlan().wrap(handler, random.Random(0))
    assert wrapped.__doc__ == "Counts records."
    event = kinesis_event(b"a", b"b", ks.poisoned(b"c"), b"d")
    with pytest.raises(ks.PoisonRecordError, match=r"^poison record 102 \(partition key 'k2'\)$"):
        wrapped(event, None)
    assert seen == [["100", "101"]]
    with pytest.raises(ks.PoisonRecordError):
        wrapped(kinesis_event(ks.poisoned(b"x")), None)
    assert seen == [["100", "101"]]  # a poison record first: the handler never ran
    assert wrapped(kinesis_event(b"a"), None) == "ok"
    other = ks.FaultPlan().wrap(lambda event, context: "ok", random.Random(0))
    assert other({"not": "kinesis"}, None) == "ok"


def test_wrapped_handler_fails_after_processing():
    calls = []
    wrapped = ks.FaultPlan(failure_probability=1.0).wrap(
        lambda event, context: calls.append(1), random.Random(0)
    )
    with pytest.raises(ks.InjectedFailure, match=r"^injected failure after processing 2 records$"):
        wrapped(kinesis_event(b"a", b"b"), None)
    assert calls == [1]
    rng = random.Random(3)
    half = ks.FaultPlan(failure_probability=0.5).wrap(lambda e, c: None, rng)
    outcomes = []
    for _ in range(200):
        try:
            half(kinesis_event(b"a"), None)
            outcomes.append(True)
        except ks.InjectedFailure:
            outcomes.append(False)
    assert 60 < outcomes.count(False) < 140


def test_plan_duration_times_out_with_its_odds():
    never = ks.FaultPlan().duration(0.05, 3, random.Random(0))
    assert {never(None, None) for _ in range(20)} == {0.05}
    always = ks.FaultPlan(timeout_probability=1.0).duration(0.05, 3, random.Random(0))
    assert always(None, None) == 4.0


def test_plan_apply_schedules_control_plane_faults():
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    function = sim.lambda_.create_function("f", None)
    mapping = sim.lambda_.create_event_source_mapping(
        function, stream, starting_position="TRIM_HORIZON"
    )
    plan = ks.FaultPlan(
        events=(
            ks.FaultEvent(1000, "throttle", duration_ms=500),
            ks.FaultEvent(2000, "reshard", 2),
            ks.FaultEvent(3000, "disable", duration_ms=250),
            ks.FaultEvent(4000, "concurrency", 2),
        )
    )
    plan.apply(sim, function=function, stream=stream, mapping=mapping)
    observed = []
    for _ in range(9):
        sim.advance(0.5)
        observed.append(
            (
                sim.elapsed,
                sim.lambda_.get_function_concurrency(function),
                len(stream.open_shards()),
                mapping.state,
            )
        )
    assert observed == [
        (0.5, None, 1, "Enabled"),
        (1.0, 0, 1, "Enabled"),
        (1.5, None, 1, "Enabled"),
        (2.0, None, 2, "Enabled"),
        (2.5, None, 2, "Enabled"),
        (3.0, None, 2, "Disabled"),
        (3.5, None, 2, "Enabled"),
        (4.0, 2, 2, "Enabled"),
        (4.5, 2, 2, "Enabled"),
    ]
    with pytest.raises(InvalidArgument, match=r"^this plan has a reshard fault: pass stream="):
        plan.apply(sim, function=function, mapping=mapping)


def test_plan_apply_reenables_after_a_slow_transition():
    from kinesim import Timings

    sim = Simulator(timings=Timings(mapping_transition_s=2.0))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    function = sim.lambda_.create_function("f", None)
    mapping = sim.lambda_.create_event_source_mapping(
        function, stream, starting_position="TRIM_HORIZON"
    )
    sim.advance(2)
    ks.FaultPlan(events=(ks.FaultEvent(0, "disable", duration_ms=500),)).apply(sim, mapping=mapping)
    sim.advance(1)
    assert mapping.state == "Disabling"
    sim.advance(2)
    assert mapping.state == "Enabling"
    sim.advance(2)
    assert mapping.state == "Enabled"


def test_throttle_restores_a_previous_reservation():
    sim = Simulator()
    function = sim.lambda_.create_function("f", None, reserved_concurrency=3)
    ks.FaultPlan(events=(ks.FaultEvent(0, "throttle", duration_ms=100),)).apply(
        sim, function=function
    )
    sim.advance(0.05)
    assert sim.lambda_.get_function_concurrency(function) == 0
    sim.advance(0.1)
    assert sim.lambda_.get_function_concurrency(function) == 3


def test_a_wrapped_handler_ignores_records_it_cannot_decode():
    wrapped = ks.FaultPlan().wrap(lambda event, context: "ok", random.Random(0))
    assert wrapped({"Records": [{"kinesis": {"data": "%%%"}}, {}]}, None) == "ok"


@FAST
@given(ks.fault_plans(shards=1, max_shards=1, kinds=["reshard"], probabilities=False))
def test_no_reshard_when_the_count_cannot_change(plan):
    assert plan.events == ()


# -- the strategies together, against a real pipeline ---------------------------------------------


@settings(max_examples=25)
@given(st.data())
def test_schedules_and_fault_plans_keep_the_guarantees(data):
    from kinesim import invariants

    schedule = data.draw(ks.put_schedules(max_puts=6, max_records_per_put=4), label="schedule")
    plan = data.draw(
        ks.fault_plans(
            records=schedule.record_count,
            horizon_s=schedule.duration_ms / 1000 + 10,
            kinds=["poison", "failure", "timeout", "throttle", "concurrency", "disable"],
        ),
        label="plan",
    )
    config = data.draw(
        ks.mapping_configs(
            batch_size=st.integers(1, 10),
            batching_window=st.sampled_from([0, 1]),
            max_retry_attempts=st.integers(0, 2),
            max_record_age=-1,
        ),
        label="config",
    )
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=2)
    got = []

    def handler(event, context):
        got.append(invariants.Delivery.from_event(event, time_ms=sim.now_ms))

    function = sim.lambda_.create_function(
        "f",
        plan.wrap(handler, sim.random("faults")),
        timeout=3,
        duration=plan.duration(0.05, 3, sim.random("durations")),
    )
    dlq = sim.sqs.create_queue("dlq")
    mapping = sim.lambda_.create_event_source_mapping(function, stream, on_failure=dlq, **config)
    results = schedule.apply(sim, stream, plan=plan)
    plan.apply(sim, function=function, mapping=mapping)
    sim.advance(schedule.duration_ms / 1000 + 60)
    sim.drain(timeout=86_400)
    assert len(results) == len(schedule.puts)
    invariants.check_order_per_key(got)
    invariants.check_order_per_key(invariants.deliveries(mapping))
    invariants.check_no_silent_loss(mapping)
    accepted = sum(len(r.records) - r.failed_record_count for r in results)
    assert sum(mapping.ledger.fates().values()) == accepted


def test_overlapping_windows_end_with_the_last_one():
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    function = sim.lambda_.create_function("f", None, reserved_concurrency=3)
    mapping = sim.lambda_.create_event_source_mapping(
        function, stream, starting_position="TRIM_HORIZON"
    )
    plan = ks.FaultPlan(
        events=(
            ks.FaultEvent(0, "throttle", duration_ms=1000),
            ks.FaultEvent(0, "disable", duration_ms=1000),
            ks.FaultEvent(0, "throttle", duration_ms=3000),
            ks.FaultEvent(0, "disable", duration_ms=3000),
            ks.FaultEvent(2000, "concurrency", 5),  # during the throttle: applies after it
        )
    )
    plan.apply(sim, function=function, mapping=mapping)
    observed = []
    for _ in range(4):
        sim.advance(1)
        observed.append((sim.lambda_.get_function_concurrency(function), mapping.state))
    assert observed == [(0, "Disabled"), (0, "Disabled"), (5, "Enabled"), (5, "Enabled")]
