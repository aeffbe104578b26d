"""A reader that follows lineage (parents before children) sees every record exactly once,
or counts it as lost to retention, and sees each partition key's records in order."""

from __future__ import annotations

from hypothesis import event, given, settings
from hypothesis import strategies as st

import kinesim

ops = st.lists(
    st.one_of(
        st.tuples(st.just("put"), st.integers(1, 40)),
        st.tuples(st.just("advance"), st.sampled_from([0.001, 1, 60, 3600, 20 * 3600, 30 * 3600])),
        st.tuples(st.just("split"), st.integers(0, 100)),
        st.tuples(st.just("merge"), st.integers(0, 100)),
        st.tuples(st.just("scale"), st.integers(0, 100)),
        st.tuples(st.just("poll"), st.integers(1, 300)),
    ),
    max_size=40,
)


@settings(max_examples=150)
@given(ops=ops, seed=st.integers(0, 1000))
def test_lineage_reader_sees_everything_once_in_key_order(
    ops: list[tuple[str, float]], seed: int
) -> None:
    sim = kinesim.Simulator(seed=seed, limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=2)
    rng = sim.random("test")
    counter = 0
    positions = {s.shard_id: 0 for s in stream.shards}  # shards being read
    shards = {s.shard_id: s for s in stream.shards}
    done: set[str] = set()
    seen: list[tuple[str, int]] = []
    lost = 0

    def poll(limit: int) -> None:
        nonlocal lost
        for shard_id in sorted(positions):
            shard = shards[shard_id]
            read = shard.read(positions[shard_id], limit=limit)
            lost += read.start - positions[shard_id]
            seen.extend((r.partition_key, int(r.data)) for r in shard.records(read.start, read.end))
            positions[shard_id] = read.end
            if read.at_shard_end:
                del positions[shard_id]
                done.add(shard_id)
                for child in stream.children_of(shard_id):
                    parents = [
                        p for p in (child.parent_shard_id, child.adjacent_parent_shard_id) if p
                    ]
                    if all(p in done for p in parents) and child.shard_id not in done:
                        shards[child.shard_id] = child
                        positions.setdefault(child.shard_id, 0)

    for op, arg in ops:
        opened = stream.open_shards()
        pick = opened[int(arg) % len(opened)]
        try:
            if op == "put":
                entries = []
                for _ in range(int(arg)):
                    counter += 1
                    entries.append((str(counter).encode(), f"key-{rng.randrange(6)}"))
                stream.put_records(entries)
            elif op == "advance":
                sim.advance(arg)
            elif op == "split":
                middle = (pick.hash_key_start + pick.hash_key_end) // 2
                stream.split_shard(pick.shard_id, str(middle))
            elif op == "merge" and len(opened) > 1:
                i = int(arg) % (len(opened) - 1)
                stream.merge_shards(opened[i].shard_id, opened[i + 1].shard_id)
            elif op == "scale":
                n = len(opened)
                stream.update_shard_count(max(1, min(2 * n, n + int(arg) % 3 - 1)))
            elif op == "poll":
                poll(int(arg))
        except kinesim.AWSError:
            pass
        stream._check()
    for _ in range(200):  # drain
        before = (len(seen), lost, dict(positions))
        poll(10_000)
        if (len(seen), lost, dict(positions)) == before:
            break
    event(f"records lost to retention: {lost > 0}")
    event(f"followed lineage into children: {len(shards) > 2}")
    numbers = [n for _, n in seen]
    assert len(set(numbers)) == len(numbers), "a record was read twice"
    assert len(seen) + lost == counter, "a record was neither read nor counted as lost"
    last: dict[str, int] = {}
    for key, n in seen:
        assert n > last.get(key, 0), f"{key} out of order"
        last[key] = n
