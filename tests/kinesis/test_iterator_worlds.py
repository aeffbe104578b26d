"""Simulators with the same seed are one world replayed (docs/fidelity/kinesis.md): their
iterators are the same strings and each accepts the other's; another seed's are refused."""

import pytest

import kinesim

SHARD = "shardId-000000000000"


def world(seed: int, data: bytes) -> kinesim.Simulator:
    sim = kinesim.Simulator(seed=seed)
    sim.kinesis.create_stream("s", shard_count=1).put_record(data, "k")
    return sim


def iterator(sim: kinesim.Simulator) -> str:
    response = sim.client("kinesis").get_shard_iterator(
        StreamName="s", ShardId=SHARD, ShardIteratorType="TRIM_HORIZON"
    )
    return str(response["ShardIterator"])


def test_a_same_seed_simulator_reads_its_own_stream_with_the_others_iterator() -> None:
    a, b = world(0, b"A's data"), world(0, b"B's data")
    it = iterator(a)
    assert it == iterator(b)  # one world replayed: the same token
    (record,) = b.client("kinesis").get_records(ShardIterator=it)["Records"]
    assert record["Data"] == b"B's data"  # the stream of that name in the simulator given it


def test_another_seeds_iterator_is_refused_and_nothing_is_read() -> None:
    a, b = world(0, b"A"), world(1, b"B")
    with pytest.raises(kinesim.InvalidArgumentException, match="Invalid ShardIterator"):
        b.client("kinesis").get_records(ShardIterator=iterator(a))
    assert b.kinesis.stream("s").shard(SHARD).end_index == 1


def test_same_seed_runs_give_the_same_trace_with_client_reads() -> None:
    digests = []
    for _ in range(2):
        sim = world(3, b"x")
        client = sim.client("kinesis")
        it = iterator(sim)
        for _ in range(3):
            it = client.get_records(ShardIterator=it)["NextShardIterator"]
            sim.advance(1)
        digests.append((sim.trace.digest(), it))
    assert digests[0] == digests[1]
