"""PutRecords without throughput limits groups its entries per shard in one pass
(bulk.group_by_shard): the same results, shard contents and metrics as with limits on (when
nothing is throttled)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim

_ENTRY = st.tuples(
    st.binary(min_size=0, max_size=8),
    st.text(min_size=1, max_size=6),
    st.none() | st.integers(0, 2**128 - 1).map(str),
)


def _put(limits_on: bool, batches: list[list[tuple[bytes, str, str | None]]]) -> Any:
    sim = kinesim.Simulator(seed=2, limits=kinesim.Limits(kinesis_throughput=limits_on))
    stream = sim.kinesis.create_stream("s", shard_count=3)
    results = []
    for batch in batches:
        entries = [(d, k) if h is None else (d, k, h) for d, k, h in batch]
        result = stream.put_records(entries)
        results.append(
            (result.failed_record_count, [(e.shard_id, e.sequence_number) for e in result.records])
        )
        sim.advance(0.001)
    contents = {
        shard.shard_id: [
            (r.data, r.partition_key, r.sequence_number)
            for r in shard.records(shard.trim_index, shard.end_index)
        ]
        for shard in stream.shards
    }
    for shard in stream.shards:
        shard._check()
    return results, contents


@settings(max_examples=25, deadline=None)
@given(batches=st.lists(st.lists(_ENTRY, min_size=1, max_size=20), min_size=1, max_size=4))
def test_unlimited_put_records_matches_the_one_by_one_path(
    batches: list[list[tuple[bytes, str, str | None]]],
) -> None:
    assert _put(False, batches) == _put(True, batches)
