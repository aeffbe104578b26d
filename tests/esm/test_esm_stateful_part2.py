"""The random-operations machine of ``test_esm_stateful`` against a mapping that filters records,
reading through an enhanced fan-out consumer (with ParallelizationFactor 1 and 3) or polling: the
same invariants after every step, and at the end every record settled (succeeded, filtered, given
up or expired)."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule
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
        self.keys_seen: set[str] = set()
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
            filters=[{"data": {"key": [{"anything-but": ["k3", "k7"]}]}}],
            parallelization_factor=self.parallelization_factor,
        )
        self.put = 0
        self.reshards = 0

    # Kinesis mappings filter on data only: each record's data is JSON naming its key.
    @rule(n=st.integers(min_value=1, max_value=6), key=st.integers(min_value=0, max_value=9))
    def put_records(self, n: int, key: int) -> None:
        for _ in range(n):
            data = json.dumps({"key": f"k{key}", "value": f"r{self.put}"}).encode()
            self.stream.put_record(data, f"k{key}")
            self.put += 1

    def _handler(self, event: dict[str, Any], context: Any) -> None:
        records = [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]]
        self.keys_seen.update(record["key"] for record in records)
        values = [record["value"] for record in records]
        self.seen.append(values)
        if self.failing & set(values):
            raise RuntimeError("failing record")

    def teardown(self) -> None:
        super().teardown()
        assert not self.keys_seen & {"k3", "k7"}  # the filter held back every k3 and k7 record
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
