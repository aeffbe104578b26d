from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim
from kinesim._kinesis.descriptions import ChildShard

MAX = 2**128 - 1


def test_split_closes_the_parent_and_children_continue_the_series(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2)
    parent = stream.shards[0]
    stream.put_record(b"before", "k", explicit_hash_key="5")
    key = parent.hash_key_end // 2
    stream.split_shard(parent.shard_id, str(key))
    assert parent.closed
    assert parent.ending_sequence_number is not None
    low, high = stream.children_of(parent.shard_id)
    assert (low.shard_id, high.shard_id) == ("shardId-000000000002", "shardId-000000000003")
    assert (low.hash_key_start, low.hash_key_end) == (0, key - 1)
    assert (high.hash_key_start, high.hash_key_end) == (key, parent.hash_key_end)
    assert low.parent_shard_id == high.parent_shard_id == parent.shard_id
    assert low.adjacent_parent_shard_id is None
    after = stream.put_record(b"after", "k", explicit_hash_key="5")
    assert after.shard_id == low.shard_id
    assert int(after.sequence_number) > int(parent.ending_sequence_number)
    # Reading the parent to its end gives null NextShardIterator and the children.
    it = sim.kinesis.get_shard_iterator("s", parent.shard_id, "TRIM_HORIZON")
    out = sim.kinesis.get_records(it)
    assert [r.data for r in out.records] == [b"before"]
    assert out.next_shard_iterator is None
    assert out.child_shards == [
        ChildShard(low.shard_id, (parent.shard_id,), 0, key - 1),
        ChildShard(high.shard_id, (parent.shard_id,), key, parent.hash_key_end),
    ]
    assert sim.trace.of_kind("kinesis.reshard")[0].fields["op"] == "split"
    stream._check()


def test_merge_adjacent_only(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=3)
    a, b, c = stream.shards
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        stream.merge_shards(a.shard_id, c.shard_id)
    assert info.value.message == (
        "Shards shardId-000000000000 and shardId-000000000002 in stream s under account "
        "123456789012 are not an adjacent pair of shards eligible for merging"
    )
    stream.merge_shards(b.shard_id, a.shard_id)
    (child,) = stream.children_of(a.shard_id)
    assert child.shard_id == "shardId-000000000003"
    assert (child.parent_shard_id, child.adjacent_parent_shard_id) == (b.shard_id, a.shard_id)
    assert (child.hash_key_start, child.hash_key_end) == (0, b.hash_key_end)
    assert stream.children_of(b.shard_id) == [child]
    with pytest.raises(kinesim.ResourceInUseException, match="has already been merged or split"):
        stream.merge_shards(a.shard_id, child.shard_id)
    stream._check()


def test_split_key_must_be_inside_the_range(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2)
    shard = stream.shards[1]
    for key in (shard.hash_key_start, shard.hash_key_start + 1, shard.hash_key_end, 5):
        with pytest.raises(
            kinesim.InvalidArgumentException, match="is not both greater than one plus"
        ):
            stream.split_shard(shard.shard_id, str(key))
    assert len(stream.shards) == 2


def test_update_shard_count_limits(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=4)
    with pytest.raises(kinesim.InvalidArgumentException) as info:
        stream.update_shard_count(9)
    assert info.value.message == (
        "UpdateShardCount cannot scale up over double your current open shard count. "
        "Current open shard count: 4 Target shard count: 9"
    )
    with pytest.raises(kinesim.InvalidArgumentException, match="below half"):
        stream.update_shard_count(1)
    with pytest.raises(kinesim.ValidationException):
        stream.update_shard_count(4, "SPLIT")
    targets = [8, 5, 3, 6, 4, 2, 3, 5, 7, 10]
    for target in targets:
        result = stream.update_shard_count(target)
        assert result.target_shard_count == target
        assert len(stream.open_shards()) == target
        stream._check()
    with pytest.raises(kinesim.LimitExceededException, match="rolling 24-hour period"):
        stream.update_shard_count(12)
    sim.advance(86_400)
    stream.update_shard_count(12)
    assert len(stream.open_shards()) == 12


def test_update_shard_count_lineage_is_readable(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2)
    stream.update_shard_count(3)
    ids = [s.shard_id for s in stream.shards]
    assert ids == [f"shardId-{i:012d}" for i in range(len(ids))]
    for shard in stream.open_shards():
        # Every open shard descends from the original two.
        roots = set()
        todo = [shard.shard_id]
        while todo:
            current = todo.pop()
            parents = [p for p in stream.parents_of(current) if p]
            if not parents:
                roots.add(current)
            todo += parents
        assert roots <= {"shardId-000000000000", "shardId-000000000001"}


def test_on_demand_streams_refuse_resharding(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("od")
    with pytest.raises(kinesim.ValidationException, match="provisioned capacity mode"):
        stream.split_shard("shardId-000000000000", "100")
    with pytest.raises(kinesim.ValidationException):
        stream.update_shard_count(8)


def test_resharding_with_delay_goes_through_updating() -> None:
    sim = kinesim.Simulator(timings=kinesim.Timings(stream_update_s=30))
    stream = sim.kinesis.create_stream("s", shard_count=1)
    stream.split_shard("shardId-000000000000", str(2**127))
    assert stream.status == "UPDATING"
    assert not stream.shards[0].closed
    stream.put_record(b"x", "k")  # writes continue while UPDATING
    with pytest.raises(kinesim.ResourceInUseException) as info:
        stream.update_shard_count(2)
    assert info.value.message == (
        "Stream s under account 123456789012 not ACTIVE, instead in state UPDATING"
    )
    sim.advance(30)
    assert stream.status == "ACTIVE"
    assert len(stream.open_shards()) == 2


reshard_ops = st.lists(
    st.tuples(
        st.sampled_from(["split", "merge", "scale"]), st.integers(0, 10**6), st.floats(0.01, 0.99)
    ),
    max_size=12,
)


@settings(max_examples=60)
@given(ops=reshard_ops, probes=st.lists(st.integers(0, MAX), min_size=1, max_size=20))
def test_every_hash_key_routes_to_exactly_one_open_shard(
    ops: list[tuple[str, int, float]], probes: list[int]
) -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=False))
    stream = sim.kinesis.create_stream("s", shard_count=2)
    for op, pick, fraction in ops:
        opened = stream.open_shards()
        shard = opened[pick % len(opened)]
        try:
            if op == "split":
                width = shard.hash_key_end - shard.hash_key_start
                stream.split_shard(
                    shard.shard_id, str(shard.hash_key_start + 2 + int(width * fraction))
                )
            elif op == "merge" and len(opened) > 1:
                other = opened[(pick + 1) % len(opened)]
                stream.merge_shards(shard.shard_id, other.shard_id)
            else:
                n = len(opened)
                stream.update_shard_count(max(1, min(2 * n, round(n * (0.5 + 1.5 * fraction)))))
        except kinesim.AWSError:
            pass
        stream._check()
    for h in [*probes, 0, MAX]:
        owners = [s for s in stream.open_shards() if s.hash_key_start <= h <= s.hash_key_end]
        assert len(owners) == 1
        assert stream.put_record(b"x", "k", explicit_hash_key=str(h)).shard_id == owners[0].shard_id


@pytest.mark.parametrize(("before", "after", "total"), [(10, 13, 37), (5, 3, 7)])
def test_update_shard_count_leaves_the_shard_totals_aws_leaves(
    sim: kinesim.Simulator, before: int, after: int, total: int
) -> None:
    # moto's tests record these totals as verified against AWS.
    sim.kinesis.create_stream("s", shard_count=before)
    client = sim.client("kinesis")
    client.update_shard_count(StreamName="s", TargetShardCount=after, ScalingType="UNIFORM_SCALING")
    shards = client.describe_stream(StreamName="s")["StreamDescription"]["Shards"]
    assert len(shards) == total
    assert sum("EndingSequenceNumber" not in s["SequenceNumberRange"] for s in shards) == after


@settings(max_examples=60)
@given(st.integers(1, 60), st.floats(0.0, 1.0))
def test_update_shard_count_totals_and_routing(n: int, fraction: float) -> None:
    """Scaling n -> t creates 4n - t shards going up (n splits into 2n, 2n - t merges) and
    n - t going down (merges only); the open shards still cover every hash key once."""
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=n)
    low, high = -(-n // 2), 2 * n
    target = low + round(fraction * (high - low))
    stream.update_shard_count(target)
    created = 0 if target == n else (4 * n - target if target > n else n - target)
    assert len(stream.shards) == n + created
    assert len(stream.open_shards()) == target
    stream._check()
    for shard in stream.shards:
        assert shard.closed == (len(stream.children_of(shard.shard_id)) > 0)


@pytest.mark.parametrize("alias", ["shardId-1", "shard-1", "1", "shardId-000000000001"])
def test_shard_ids_are_read_as_aws_reads_them(sim: kinesim.Simulator, alias: str) -> None:
    # kinesalite's tests (run against AWS): the digits after the first "-" name the shard.
    stream = sim.kinesis.create_stream("s", shard_count=2)
    assert stream.shard(alias).shard_id == "shardId-000000000001"
    iterator = sim.kinesis.get_shard_iterator("s", alias, "TRIM_HORIZON")
    assert sim.kinesis.get_records(iterator).records == []
    stream.split_shard(alias, str(2**127 + 2**125))
    assert stream.shard("shardId-000000000001").closed
    assert [s.shard_id for s in stream.children_of("shardId-000000000001")] == [
        "shardId-000000000002",
        "shardId-000000000003",
    ]


def test_unknown_shard_ids_in_reads(sim: kinesim.Simulator) -> None:
    sim.kinesis.create_stream("s", shard_count=1)
    with pytest.raises(kinesim.ResourceNotFoundException) as info:
        sim.kinesis.get_shard_iterator("s", "shard-9", "LATEST")
    assert info.value.message == (
        "Shard shardId-000000000009 in stream s under account 123456789012 does not exist"
    )
    with pytest.raises(kinesim.ResourceNotFoundException) as info:
        sim.kinesis.get_shard_iterator("s", "first", "LATEST")
    assert (
        info.value.message == "Could not find shard first in stream s under account 123456789012."
    )
