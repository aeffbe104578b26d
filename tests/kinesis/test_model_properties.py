"""Random operation sequences with random (often invalid) arguments.

Only documented exceptions may come out, ``_check()`` must hold after every call, and a call that
raises must change nothing.
"""

from __future__ import annotations

from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st

import kinesim

MAX = 2**128 - 1
DOCUMENTED = (kinesim.AWSError, kinesim.KinesimValueError, kinesim.KinesimTypeError)

# Valid values are drawn most of the time, so that sequences get somewhere.
names = st.sampled_from(["a"] * 8 + ["b"] * 3 + ["a-b.c_d", "", "bad name", "x" * 129, 7])
shard_ids = st.one_of(
    st.integers(0, 8).map(lambda i: f"shardId-{i:012d}"),
    st.integers(0, 8).map(lambda i: f"shardId-{i:012d}"),
    st.sampled_from(["", "shard?", "shardId-9", None]),
)
hours = st.sampled_from([24, 25, 48, 168, 8760, -1, 0, 23, 8761, "24"])
hash_keys = st.one_of(
    st.integers(0, MAX).map(str),
    st.integers(0, MAX).map(str),
    st.sampled_from([None, "-1", "01", str(MAX + 1), "abc", "", 5]),
)
datas = st.one_of(
    st.binary(max_size=20),
    st.binary(max_size=5),
    st.sampled_from(["text", 5, None, b"x" * 1_048_576]),
)
keys = st.one_of(
    st.text(min_size=1, max_size=8),
    st.text(min_size=1, max_size=3),
    st.sampled_from(["", "k" * 257, "k" * 256, None, 3]),
)
iterator_types = st.sampled_from(
    ["TRIM_HORIZON", "LATEST", "AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "AT_TIMESTAMP", "X"]
)


def snapshot(sim: kinesim.Simulator) -> Any:
    streams = []
    for stream in sim.kinesis.streams:
        streams.append(
            (
                stream.name,
                stream.status,
                stream.mode,
                stream.retention_ms,
                dict(stream.tags),
                stream.encryption_type,
                sorted(stream.shard_level_metrics),
                stream.max_record_size_kib,
                [
                    (
                        s.shard_id,
                        s.closed,
                        s.trim_index,
                        s.end_index,
                        s.hash_key_start,
                        s.hash_key_end,
                    )
                    for s in stream.shards
                ],
            )
        )
    return streams


def pick_stream(sim: kinesim.Simulator, name: Any) -> kinesim.Stream:
    return sim.kinesis.stream(name)


@settings(max_examples=150)
@given(data=st.data(), limits=st.booleans())
def test_random_operations_only_raise_documented_errors(data: st.DataObject, limits: bool) -> None:
    sim = kinesim.Simulator(limits=kinesim.Limits(kinesis_throughput=limits))
    k = sim.kinesis
    k.create_stream("a", shard_count=2)
    iterators: list[str] = ["garbage", "A" * 600]
    numbers: list[str] = ["1", "abc"]
    for _ in range(data.draw(st.integers(1, 40), label="steps")):
        op = data.draw(
            st.sampled_from(
                [
                    "create",
                    "create",
                    "delete",
                    "put",
                    "put",
                    "puts",
                    "split",
                    "merge",
                    "scale",
                    "retention",
                    "iterator",
                    "get",
                    "advance",
                    "list_shards",
                    "tags",
                    "read",
                    "mode",
                    "encrypt",
                    "describe",
                    "good_iterator",
                    "good_iterator",
                    "get",
                    "get",
                    "put",
                    "split",
                    "merge",
                ]
            ),
            label="op",
        )
        before = snapshot(sim)
        try:
            if op == "create":
                k.create_stream(
                    data.draw(names),
                    data.draw(st.sampled_from([None, 1, 2, 3, 0, -1, "2"])),
                    retention_hours=data.draw(hours),
                    mode=data.draw(
                        st.sampled_from([None, None, "PROVISIONED", "ON_DEMAND", "BAD"])
                    ),
                )
            elif op == "delete":
                k.delete_stream(
                    data.draw(names),
                    enforce_consumer_deletion=data.draw(st.sampled_from([False, False, True, 1])),
                )
            elif op == "put":
                r = pick_stream(sim, data.draw(names)).put_record(
                    data.draw(datas),
                    data.draw(keys),
                    explicit_hash_key=data.draw(st.one_of(st.none(), st.none(), hash_keys)),
                    sequence_number_for_ordering=data.draw(
                        st.one_of(st.none(), st.sampled_from(numbers))
                    ),
                )
                numbers.append(r.sequence_number)
            elif op == "puts":
                entries = data.draw(
                    st.one_of(
                        st.lists(st.tuples(datas, keys), max_size=4),
                        st.lists(st.tuples(st.binary(max_size=3), st.text(min_size=1)), min_size=1),
                        st.just([(b"x", "k")] * 501),
                        st.just("not a list"),
                        st.lists(
                            st.sampled_from(
                                [{"Data": b"x"}, {"Data": b"y", "PartitionKey": "k"}, 5]
                            ),
                            max_size=3,
                        ),
                    )
                )
                result = pick_stream(sim, data.draw(names)).put_records(entries)
                numbers += [e.sequence_number for e in result.records if e.sequence_number]
            elif op == "split":
                stream = pick_stream(sim, data.draw(names))
                shard_id = data.draw(shard_ids)
                if data.draw(st.booleans()) and shard_id in {s.shard_id for s in stream.shards}:
                    shard = stream.shard(shard_id)
                    middle = (shard.hash_key_start + shard.hash_key_end) // 2
                    stream.split_shard(shard_id, str(middle))
                else:
                    stream.split_shard(shard_id, data.draw(hash_keys))
            elif op == "merge":
                stream = pick_stream(sim, data.draw(names))
                opened = stream.open_shards()
                if data.draw(st.booleans()) and len(opened) > 1:
                    i = data.draw(st.integers(0, len(opened) - 2))
                    stream.merge_shards(opened[i + 1].shard_id, opened[i].shard_id)
                else:
                    stream.merge_shards(data.draw(shard_ids), data.draw(shard_ids))
            elif op == "scale":
                stream = pick_stream(sim, data.draw(names))
                stream.update_shard_count(
                    data.draw(st.sampled_from([-1, 0, 1, 2, 3, 4, 5, 8, "2"])),
                    data.draw(st.sampled_from(["UNIFORM_SCALING"] * 3 + ["OTHER"])),
                )
            elif op == "retention":
                stream = pick_stream(sim, data.draw(names))
                if data.draw(st.booleans()):
                    stream.increase_retention_period(data.draw(hours))
                else:
                    stream.decrease_retention_period(data.draw(hours))
            elif op == "iterator":
                iterators.append(
                    k.get_shard_iterator(
                        data.draw(names),
                        data.draw(shard_ids),
                        data.draw(iterator_types),
                        starting_sequence_number=data.draw(
                            st.one_of(st.none(), st.sampled_from(numbers))
                        ),
                        timestamp=data.draw(
                            st.one_of(st.none(), st.sampled_from([0, sim.now, sim.now + 5, -1.0]))
                        ),
                    )
                )
            elif op == "good_iterator":
                live = [st_ for st_ in k.streams if st_.status != "CREATING"]
                if live:
                    stream = data.draw(st.sampled_from(live))
                    shard = data.draw(st.sampled_from(stream.shards))
                    kind = data.draw(st.sampled_from(["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"]))
                    held = [
                        shard.sequence_number(i) for i in range(shard.trim_index, shard.end_index)
                    ]
                    if held and data.draw(st.booleans()):
                        iterators.append(
                            k.get_shard_iterator(
                                stream.name,
                                shard.shard_id,
                                data.draw(
                                    st.sampled_from(["AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"])
                                ),
                                starting_sequence_number=data.draw(st.sampled_from(held)),
                            )
                        )
                    else:
                        iterators.append(
                            k.get_shard_iterator(
                                stream.name,
                                shard.shard_id,
                                kind,
                                timestamp=sim.now - 1 if kind == "AT_TIMESTAMP" else None,
                            )
                        )
            elif op == "get":
                out = k.get_records(
                    data.draw(st.sampled_from(iterators[-3:] + iterators)),
                    limit=data.draw(st.sampled_from([None, 0, 1, 3, 10_000, 10_001])),
                )
                if out.next_shard_iterator is not None:
                    iterators.append(out.next_shard_iterator)
            elif op == "advance":
                sim.advance(data.draw(st.sampled_from([0, 0.001, 0.5, 1, 299, 301, 3600, 86_400])))
            elif op == "list_shards":
                k.list_shards(
                    data.draw(names),
                    shard_filter=data.draw(
                        st.sampled_from(
                            [
                                None,
                                {"Type": "AT_LATEST"},
                                {"Type": "AT_TRIM_HORIZON"},
                                {"Type": "AFTER_SHARD_ID"},
                                {"Type": "AT_TIMESTAMP", "Timestamp": sim.now},
                                {"Type": "NOPE"},
                                "AT_LATEST",
                            ]
                        )
                    ),
                    max_results=data.draw(st.sampled_from([None, 0, 1, 2])),
                )
            elif op == "tags":
                stream = pick_stream(sim, data.draw(names))
                stream.add_tags(data.draw(st.sampled_from([{"a": "1"}, {}, {"": "x"}, {"k": 1}])))
            elif op == "read":
                stream = pick_stream(sim, data.draw(names))
                shard = stream.shard(data.draw(shard_ids))
                shard.read(data.draw(st.integers(0, 50)), limit=data.draw(st.integers(1, 10)))
                shard.peek(data.draw(st.integers(0, 50)), limit=5, max_bytes=100)
            elif op == "mode":
                pick_stream(sim, data.draw(names)).update_stream_mode(
                    data.draw(st.sampled_from(["PROVISIONED", "ON_DEMAND", "X"]))
                )
            elif op == "encrypt":
                pick_stream(sim, data.draw(names)).start_encryption(
                    data.draw(st.sampled_from(["alias/aws/kinesis", "", 3]))
                )
            else:
                k.describe_stream(data.draw(names), limit=data.draw(st.sampled_from([1, 100, 0])))
        except DOCUMENTED as error:
            assert snapshot(sim) == before, f"failed {op} changed state"
            event(f"{op}: {type(error).__name__}")
        else:
            event(f"{op}: ok")
        k._check()
        for stream in k.streams:
            assert sim.kinesis.stream(stream.name) is stream
