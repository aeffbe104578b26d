"""The random-operations machine of ``test_esm_stateful`` against a polling mapping with
ParallelizationFactor 4 (each failure policy), with merges and factor updates added: after every
step the mapping's invariants (at most N batches in flight per shard, checkpoints monotonic, the
ledger adds up) and per-key order of first deliveries; at the end every record settled."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from test_esm_stateful import MappingMachine

import kinesim


class LanesMachine(MappingMachine):
    policy = "shard"

    def __init__(self) -> None:
        RuleBasedStateMachine.__init__(self)
        self.sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=1))
        self.stream = self.sim.kinesis.create_stream("s", shard_count=2)
        self.failing: set[str] = set()
        self.seen: list[list[str]] = []
        self.first_seen: set[str] = set()
        self.key_of: dict[str, str] = {}
        self.last_first: dict[str, int] = {}
        self.fn = self.sim.lambda_.create_function("f", self._handler, duration=0.3, timeout=5)
        self.sim.advance(0)
        self.esm = self.sim.lambda_.create_event_source_mapping(
            self.fn,
            self.stream,
            starting_position="TRIM_HORIZON",
            batch_size=3,
            max_retry_attempts=2,
            bisect_on_error=True,
            on_failure=self.sim.sqs.create_queue("dlq"),
            parallelization_factor=4,
            parallel_failure_policy=self.policy,
        )
        self.put = 0
        self.reshards = 0

    def _handler(self, event: dict[str, Any], context: Any) -> None:
        for r in event["Records"]:
            value = base64.b64decode(r["kinesis"]["data"]).decode()
            if value in self.first_seen:
                continue
            self.first_seen.add(value)
            key, n = r["kinesis"]["partitionKey"], int(value[1:])
            assert n > self.last_first.get(key, -1), f"{key}: r{n} first delivered out of order"
            self.last_first[key] = n
        super()._handler(event, context)

    @precondition(lambda self: self.reshards < 3 and len(self.stream.open_shards()) > 1)
    @rule()
    def merge(self) -> None:
        a, b = self.stream.open_shards()[:2]
        self.stream.merge_shards(a.shard_id, b.shard_id)
        self.sim.advance(0)
        self.reshards += 1

    @precondition(lambda self: self.esm.state in ("Enabled", "Disabled"))
    @rule(factor=st.sampled_from([1, 2, 4, 10]))
    def update_factor(self, factor: int) -> None:
        self.sim.lambda_.update_event_source_mapping(self.esm, parallelization_factor=factor)

    @invariant()
    def lanes_bounded(self) -> None:
        for poller in self.esm.pollers.values():
            assert poller.in_flight_count <= len(poller.lanes)


LanesMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestLanesShardPolicy = LanesMachine.TestCase


class LanesLanePolicyMachine(LanesMachine):
    policy = "lane"


LanesLanePolicyMachine.TestCase.settings = settings(
    max_examples=40, stateful_step_count=30, deadline=None
)
TestLanesLanePolicy = LanesLanePolicyMachine.TestCase
