"""The random-operations machine of ``test_esm_stateful`` against a mapping that filters records,
reading through an enhanced fan-out consumer (with ParallelizationFactor 1 and 3) or polling: the
same invariants after every step, and at the end every record settled (succeeded, filtered, given
up or expired)."""

from __future__ import annotations

from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine
from test_esm_stateful import MappingMachine

import kinesim


class FanoutFilterMachine(MappingMachine):
    parallelization_factor = 1
    through_consumer = True

    def __init__(self) -> None:
        RuleBasedStateMachine.__init__(self)
        self.sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=1))
        self.stream = self.sim.kinesis.create_stream("s", shard_count=2)
        consumer = self.stream.register_consumer("efo")
        self.failing: set[str] = set()
        self.seen: list[list[str]] = []
        self.fn = self.sim.lambda_.create_function("f", self._handler, duration=0.3, timeout=5)
        self.sim.advance(0)
        self.esm = self.sim.lambda_.create_event_source_mapping(
            self.fn,
            consumer if self.through_consumer else self.stream,
            starting_position="TRIM_HORIZON",
            batch_size=3,
            max_retry_attempts=2,
            bisect_on_error=True,
            on_failure=self.sim.sqs.create_queue("dlq"),
            filters=[{"partitionKey": [{"anything-but": ["k3", "k7"]}]}],
            parallelization_factor=self.parallelization_factor,
        )
        self.put = 0
        self.reshards = 0

    def teardown(self) -> None:
        super().teardown()
        delivered = {value for batch in self.seen for value in batch}
        assert self.esm.ledger.fates().get("succeeded", 0) <= len(delivered)


FanoutFilterMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestFanoutFilterMapping = FanoutFilterMachine.TestCase


class FanoutFilterLanesMachine(FanoutFilterMachine):
    parallelization_factor = 3


FanoutFilterLanesMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestFanoutFilterLanesMapping = FanoutFilterLanesMachine.TestCase


class PollingFilterMachine(FanoutFilterMachine):
    through_consumer = False


PollingFilterMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestPollingFilterMapping = PollingFilterMachine.TestCase
