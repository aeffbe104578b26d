"""kinesim.stateful: the machine finds a non-idempotent handler's bug and shrinks it; a correct
handler passes; misuse fails at class definition with what to do."""

import json
import re
import unittest
from collections import Counter
from typing import ClassVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant, rule, run_state_machine_as_test

import kinesim
from kinesim.invariants import InvariantViolation
from kinesim.stateful import FAULTS, KinesimMachine
from kinesim.strategies import is_poison

RUN = settings(
    max_examples=60,
    stateful_step_count=25,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class CountingBase(KinesimMachine, abstract=True):
    """Counts records per partition key; the user's invariant: each record counted once."""

    def __init__(self):
        super().__init__()
        self.counts = Counter()

    @invariant()
    def each_record_counted_once(self):
        self.check_idempotent(
            self.counts, lambda records: Counter(r.partition_key for r in records)
        )


class NonIdempotent(CountingBase):
    def handler(self, event, context):
        for record in event["Records"]:
            self.counts[record["kinesis"]["partitionKey"]] += 1


class Idempotent(CountingBase):
    def __init__(self):
        super().__init__()
        self.done = set()

    def handler(self, event, context):
        for record in event["Records"]:
            sequence_number = record["kinesis"]["sequenceNumber"]
            if sequence_number not in self.done:
                self.done.add(sequence_number)
                self.counts[record["kinesis"]["partitionKey"]] += 1


def steps(error):
    """The shrunk example's rule calls (not the invariant checks hypothesis lists after each)."""
    checks = {"each_record_counted_once", "kinesim_invariants", "teardown"}
    return [
        line
        for line in getattr(error, "__notes__", [])
        if line.startswith("state.") and line[6:].split("(")[0] not in checks
    ]


def test_finds_a_non_idempotent_handler_and_shrinks_it():
    with pytest.raises(InvariantViolation) as info:
        run_state_machine_as_test(NonIdempotent, settings=RUN)
    message = str(info.value)
    assert message.startswith(
        "the handler's side effect is not what processing each of the 1 delivered record(s) "
        "once gives:\n  actual:   Counter({'a': 2})\n  expected: Counter({'a': 1})\n"
        "  extra in actual:     'a': 2 (expected 1)\n"
        "records delivered more than once (each delivery repeats a side effect):\n"
    )
    assert re.search(
        r"delivered 2 times: request \S+ \(first\) at .*; request \S+ \(retry\)", message
    )
    shrunk = steps(info.value)
    # A record, a failure or timeout after the handler counted it, and time for the retry.
    assert len(shrunk) <= 5, shrunk
    assert "state.put_records(keys=['a'])" in shrunk
    assert any(
        step.startswith(("state.fail_next_invocations(", "state.time_out_next_invocations("))
        for step in shrunk
    )


def test_a_correct_handler_passes():
    run_state_machine_as_test(Idempotent, settings=RUN)


class Tracked(Idempotent):
    """Records what the runs did, to show the machine exercises the pipeline."""

    runs: ClassVar[list] = []

    def teardown(self):
        super().teardown()
        type(self).runs.append(self.mapping.ledger.summary())


def test_the_machine_exercises_retries_bisection_and_discards():
    Tracked.runs.clear()
    run_state_machine_as_test(Tracked, settings=RUN)
    fates, deliveries = Counter(), Counter()
    for summary in Tracked.runs:
        fates.update(summary["fates"])
        deliveries.update(summary["deliveries"])
    assert fates["succeeded"] > 50
    assert fates["RetryAttemptsExhausted"] > 5  # poison records, sent to the destination
    assert deliveries["retry"] > 0
    assert deliveries["bisect"] > 0


class UserRules(Idempotent):
    faults = ("failure",)
    keys = ("only",)
    mapping_config: ClassVar = {"batch_size": 2}

    @rule()
    def put_many(self):
        self.put([(self.next_data(), "only") for _ in range(7)])


def test_users_add_rules_and_choose_faults():
    rules = {r.function.__name__ for r in UserRules.setup_state().rules}
    assert rules == {
        "put_records",
        "put_many",
        "advance",
        "drain",
        "fail_next_invocations",
    }
    assert issubclass(UserRules.TestCase, unittest.TestCase)
    machine = UserRules()
    machine.put_many()
    machine.quiesce()
    assert machine.counts == Counter({"only": 7})
    assert [len(d.records) for d in machine.seen] == [2, 2, 2, 1]
    assert machine.mapping.settings.batch_size == 2
    assert [r.data for r in machine.records] == [b"%d" % n for n in range(7)]


class Resharding(Idempotent):
    faults = ("reshard",)
    shards = 2


def test_the_reshard_rule_goes_from_half_to_double():
    assert "reshard" in {r.function.__name__ for r in Idempotent.setup_state().rules}  # default
    machine = Resharding()
    machine.reshard(shard_count=1)
    machine.sim.advance(1)
    assert len(machine.stream.open_shards()) == 1
    machine.reshard(shard_count=4)
    machine.sim.advance(1)
    assert len(machine.stream.open_shards()) == 2  # at most double, and at most max_shards


def test_fault_rules_change_the_pipeline():
    machine = Idempotent()
    machine.throttle(seconds=10.0)
    assert machine.sim.lambda_.get_function_concurrency(machine.function) == 0
    machine.set_reserved_concurrency(reserved=2)  # remembered, applied when the throttle ends
    assert machine.sim.lambda_.get_function_concurrency(machine.function) == 0
    machine.advance(seconds=30.0)
    assert machine.sim.lambda_.get_function_concurrency(machine.function) == 2
    machine.disable()
    machine.advance(seconds=0.5)
    assert machine.mapping.state == "Disabled"
    machine.put_records(keys=["a", "b"])
    machine.put_poison(key="a")
    machine.time_out_next_invocations(count=1)
    machine.drain()
    assert machine.mapping.state == "Enabled"
    assert machine.counts == Counter({"a": 1, "b": 1})
    assert len(machine.dlq.bodies()) == 1
    failed = [i for i in machine.function.invocations if i.error_type]
    assert [i.error_type for i in failed][:1] == ["Sandbox.Timedout"]
    assert "PoisonRecordError" in {i.error_type for i in failed}


# -- misuse fails at class definition ---------------------------------------------------------


def test_a_machine_without_a_handler():
    with pytest.raises(kinesim.KinesimTypeError) as info:

        class NoHandler(KinesimMachine):
            pass

    assert str(info.value) == (
        "NoHandler has no handler: define `def handler(self, event, context): ...` in the "
        "class (or `handler = staticmethod(your_handler)`), or declare a base class with "
        "`class NoHandler(KinesimMachine, abstract=True)`"
    )


def test_a_handler_with_the_wrong_signature():
    with pytest.raises(kinesim.KinesimTypeError, match=r"^Bad.handler\(self, event\) cannot be"):

        class Bad(KinesimMachine):
            def handler(self, event):
                pass

    def module_handler(event, context):
        return None

    class Static(KinesimMachine):
        handler = staticmethod(module_handler)

    Static().quiesce()


@pytest.mark.parametrize(
    ("attributes", "message"),
    [
        ({"faults": ("poison", "flood")}, r"^Bad.faults: unknown fault\(s\) \['flood'\]; choose"),
        ({"keys": ()}, r"^Bad.keys: \(\) is not a non-empty sequence of partition keys; give"),
        ({"keys": ("x" * 257,)}, r"^Bad.keys: .* is not a non-empty sequence"),
        (
            {"mapping_config": {"batch_size": 0}},
            r"^Bad.mapping_config: ValidationException: 1 validation error detected: Value '0' "
            r"at 'batchSize' failed to satisfy constraint: Member must have value greater than "
            r"or equal to 1; fix that setting$",
        ),
        (
            {"mapping_config": {"batchsize": 5}},
            r"^Bad.mapping_config: unknown setting\(s\) \['batchsize'\]; it takes",
        ),
        (
            {"mapping_config": {"max_retry_attempts": -1}},
            r"^Bad.mapping_config: with max_retry_attempts=-1 and max_record_age=-1 a poison "
            r"record blocks its shard until retention expires it; set max_retry_attempts",
        ),
        ({"function_config": {"timeout": 0}}, r"^Bad.function_config: .*timeout"),
        ({"shards": 0}, r"^Bad.shards: .*; use an int from 1$"),
    ],
)
def test_bad_configuration_fails_at_class_definition(attributes, message):
    def handler(self, event, context):
        return None

    with pytest.raises(kinesim.KinesimError, match=message):
        type("Bad", (KinesimMachine,), {"handler": handler, **attributes})


def test_mapping_config_takes_every_mapping_setting_including_iterator_age_at():
    def handler(self, event, context):
        return None

    machine = type(
        "Sampled",
        (KinesimMachine,),
        {"handler": handler, "mapping_config": {"iterator_age_at": "invoke"}},
    )
    assert machine.mapping_config == {"iterator_age_at": "invoke"}
    with pytest.raises(kinesim.KinesimError, match=r"^Bad.mapping_config: .*iterator_age_at"):
        type(
            "Bad",
            (KinesimMachine,),
            {"handler": handler, "mapping_config": {"iterator_age_at": "sometimes"}},
        )


def test_infinite_retries_are_fine_without_poison():
    class Patient(Idempotent):
        faults = tuple(f for f in FAULTS if f not in ("poison", "reshard"))
        mapping_config: ClassVar = {"max_retry_attempts": -1}

    assert "put_poison" not in {r.function.__name__ for r in Patient.setup_state().rules}


class Slow(Idempotent):
    function_config: ClassVar = {"duration": 2.0, "timeout": 5}
    drain_timeout_s = 1.0


def test_a_mapping_that_never_catches_up_is_a_violation():
    machine = Slow()
    machine.put_records(keys=["a"])
    with pytest.raises(InvariantViolation, match=r"^the mapping never caught up: event source"):
        machine.quiesce()


def test_reshard_rule_skips_a_no_op_and_the_rate_limit():
    machine = Resharding()
    machine.reshard(shard_count=2)  # already 2: nothing to do
    assert len(machine.stream.open_shards()) == 2
    for count in [1, 2] * 6:  # UpdateShardCount allows 10 calls a day: the rest are skipped
        machine.reshard(shard_count=count)
        machine.sim.advance(1)
    assert len(machine.stream.open_shards()) == 2


def test_a_handler_that_is_not_callable():
    with pytest.raises(kinesim.KinesimTypeError, match=r"^NotCallable.handler must be callable"):
        type("NotCallable", (KinesimMachine,), {"handler": 5})


def test_configuration_that_is_not_a_dict():
    def handler(self, event, context):
        return None

    with pytest.raises(kinesim.KinesimValueError, match=r"^Bad.mapping_config: \[\] is not a"):
        type("Bad", (KinesimMachine,), {"handler": handler, "mapping_config": []})


def _keyed(data, key):
    return json.dumps({"key": key, "n": data.decode()}).encode()


class LaneFilterMachine(KinesimMachine):
    """mapping_config takes the mapping's part-2 settings too: failure policy and filters."""

    keys = ("a", "b", "c", "d")
    mapping_config: ClassVar = {
        "parallelization_factor": 3,
        "parallel_failure_policy": "lane",
        "filters": [{"data": {"key": [{"anything-but": ["d"]}]}}],
    }

    def put(self, entries):
        # Kinesis mappings filter on data only: each record's data is JSON naming its key. A
        # poison record keeps its marker in front, so it is not JSON: the filter drops it.
        super().put([(d if is_poison(d) else _keyed(d, k), k) for d, k in entries])

    def handler(self, event, context):
        assert all(r["kinesis"]["partitionKey"] != "d" for r in event["Records"])


class WindowMachine(KinesimMachine):
    mapping_config: ClassVar = {"tumbling_window": 30}

    def handler(self, event, context):
        state = event["state"]
        return {"state": {"count": state.get("count", 0) + len(event["Records"])}}


@pytest.mark.parametrize("machine", [LaneFilterMachine, WindowMachine])
def test_mapping_config_takes_failure_policy_filters_and_tumbling_window(machine):
    run_state_machine_as_test(machine, settings=RUN)
