"""A fan-out reader that follows child shards and resubscribes on expiry reads every record
exactly once, in order per shard and parents before children, whatever the puts and reshards."""

from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim import Simulator


class LineageReader:
    """Reads a whole stream through one consumer, as a KCL-style fan-out reader would."""

    def __init__(self, sim, stream, consumer):
        self.sim = sim
        self.stream = stream
        self.consumer = consumer
        self.done = set()
        self.started = set()
        self.got = {}  # shard id -> sequence numbers, in delivery order
        self.first_ms = {}
        self.last_ms = {}
        for shard in stream.open_shards():
            self.start(shard.shard_id, "TRIM_HORIZON")

    def start(self, shard_id, kind, number=None):
        self.started.add(shard_id)
        self.consumer.subscribe(
            shard_id,
            kind,
            sequence_number=number,
            on_event=self.on_event,
            on_end=self.on_end,
        )

    def on_event(self, event):
        numbers = event.sequence_numbers()
        if numbers:
            self.got.setdefault(event.shard_id, []).extend(numbers)
            self.first_ms.setdefault(event.shard_id, event.time_ms)
            self.last_ms[event.shard_id] = event.time_ms
        for child in event.child_shards or ():
            parents = child.parent_shard_ids
            if child.shard_id not in self.started and all(
                p in self.done or p == event.shard_id for p in parents
            ):
                # Parents first: a child starts once every parent was read to its end.
                self.sim.call_later_ms(0, self.start, child.shard_id, "TRIM_HORIZON")

    def on_end(self, subscription):
        if subscription.end_reason == "SHARD_END":
            self.done.add(subscription.shard_id)
        elif subscription.end_reason == "EXPIRED":
            self.start(
                subscription.shard_id,
                "AFTER_SEQUENCE_NUMBER",
                subscription.continuation_sequence_number,
            )


operations = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(0, 2**128 - 1), st.integers(0, 40_000)),
        st.tuples(st.just("wait"), st.integers(1, 400_000)),
        st.tuples(st.just("scale"), st.integers(1, 4)),
    ),
    max_size=50,
)


@settings(max_examples=100, deadline=None)
@given(ops=operations)
def test_a_lineage_following_reader_reads_everything_once(ops):
    sim = Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=2)
    reader = LineageReader(sim, stream, stream.register_consumer("reader"))
    written = {}
    for op in ops:
        if op[0] == "put":
            try:
                result = stream.put_record(
                    b"x" * op[2], partition_key="k", explicit_hash_key=str(op[1])
                )
            except kinesim.ProvisionedThroughputExceededException:
                continue
            written.setdefault(result.shard_id, []).append(result.sequence_number)
        elif op[0] == "wait":
            sim.advance_ms(op[1])
        else:
            try:
                stream.update_shard_count(op[1])
            except kinesim.AWSError:
                continue
    sim.advance(900.0)

    assert reader.got == {k: v for k, v in written.items() if v}
    for shard in stream.shards:
        if shard.shard_id not in reader.first_ms:
            continue
        for parent in (shard.parent_shard_id, shard.adjacent_parent_shard_id):
            if parent in reader.last_ms:
                assert reader.last_ms[parent] <= reader.first_ms[shard.shard_id]
    stream.consumers._check()
