"""Random operations against a mapping (puts, time, failures, throttles, disable/enable, updates,
reshards), with the mapping's invariants checked after every step and no record lost at the end
unless it was given up or expired."""

from __future__ import annotations

import base64
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import kinesim


class MappingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.sim = kinesim.Simulator(timings=kinesim.Timings(mapping_transition_s=1))
        self.stream = self.sim.kinesis.create_stream("s", shard_count=2)
        self.failing: set[str] = set()
        self.seen: list[list[str]] = []
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
        )
        self.put = 0
        self.reshards = 0

    def _handler(self, event: dict[str, Any], context: Any) -> None:
        values = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
        self.seen.append(values)
        if self.failing & set(values):
            raise RuntimeError("failing record")

    @rule(n=st.integers(min_value=1, max_value=6), key=st.integers(min_value=0, max_value=9))
    def put_records(self, n: int, key: int) -> None:
        for _ in range(n):
            self.stream.put_record(f"r{self.put}".encode(), f"k{key}")
            self.put += 1

    @rule(seconds=st.sampled_from([0.1, 0.5, 1.0, 3.0, 30.0]))
    def advance(self, seconds: float) -> None:
        self.sim.advance(seconds)

    @rule()
    def poison_the_last_record(self) -> None:
        if self.put:
            self.failing.add(f"r{self.put - 1}")

    @rule()
    def heal(self) -> None:
        self.failing.clear()

    @rule(reserved=st.sampled_from([0, 1, None]))
    def concurrency(self, reserved: int | None) -> None:
        if reserved is None:
            self.sim.lambda_.delete_function_concurrency(self.fn)
        else:
            self.sim.lambda_.put_function_concurrency(self.fn, reserved)

    @precondition(lambda self: self.esm.state in ("Enabled", "Disabled"))
    @rule(enabled=st.booleans(), batch_size=st.sampled_from([None, 1, 3, 10]))
    def update(self, enabled: bool, batch_size: int | None) -> None:
        self.sim.lambda_.update_event_source_mapping(
            self.esm, enabled=enabled, batch_size=batch_size
        )

    @precondition(lambda self: self.reshards < 2)
    @rule()
    def split(self) -> None:
        parent = self.stream.open_shards()[0]
        middle = (parent.hash_key_start + parent.hash_key_end) // 2 + 1
        self.stream.split_shard(parent.shard_id, str(middle))
        self.sim.advance(0)
        self.reshards += 1

    @invariant()
    def mapping_invariants_hold(self) -> None:
        self.esm._check()

    def teardown(self) -> None:
        self.failing.clear()
        self.sim.lambda_.delete_function_concurrency(self.fn)
        self.sim.advance(2)  # let a transition in progress finish
        if self.esm.state == "Disabled":
            self.sim.lambda_.update_event_source_mapping(self.esm, enabled=True)
        self.sim.advance(2)
        self.sim.drain(timeout=3600)
        self.esm._check()
        assert sum(self.esm.ledger.fates().values()) == self.put
        assert self.esm.ledger.unresolved() == []
        delivered = {value for batch in self.seen for value in batch}
        succeeded = self.esm.ledger.fates().get("succeeded", 0)
        assert len(delivered) >= succeeded  # at least once


MappingMachine.TestCase.settings = settings(max_examples=40, stateful_step_count=30, deadline=None)
TestMapping = MappingMachine.TestCase
