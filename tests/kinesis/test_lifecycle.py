from __future__ import annotations

from datetime import datetime, timezone

import pytest

import kinesim
from kinesim._kinesis.descriptions import AccountLimits


def test_statuses_follow_the_timings() -> None:
    sim = kinesim.Simulator(timings=kinesim.Timings.realistic())
    stream = sim.kinesis.create_stream("s", shard_count=1)
    assert stream.status == "CREATING"
    with pytest.raises(kinesim.ResourceInUseException) as info:
        stream.put_record(b"x", "k")
    assert info.value.message == (
        "Stream s under account 123456789012 not ACTIVE or UPDATING, instead in state CREATING"
    )
    sim.advance(29.999)
    assert stream.status == "CREATING"
    sim.advance(0.001)
    assert stream.status == "ACTIVE"
    stream.put_record(b"x", "k")
    sim.kinesis.delete_stream("s")
    assert stream.status == "DELETING"
    assert sim.kinesis.describe_stream_summary("s").status == "DELETING"
    stream.put_record(b"y", "k")  # AWS may still accept data while DELETING
    with pytest.raises(kinesim.ResourceInUseException):
        sim.kinesis.create_stream("s", shard_count=1)
    sim.advance(30)
    with pytest.raises(kinesim.ResourceNotFoundException) as nf:
        sim.kinesis.describe_stream("s")
    assert nf.value.message == "Stream s under account 123456789012 not found."
    with pytest.raises(kinesim.ResourceNotFoundException):
        stream.put_record(b"z", "k")
    assert stream.shards == []


def test_default_timings_are_instant(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    assert stream.status == "ACTIVE"
    sim.kinesis.delete_stream("s")
    assert sim.kinesis.streams == []


def test_duplicate_name(sim: kinesim.Simulator) -> None:
    sim.kinesis.create_stream("s", shard_count=1)
    with pytest.raises(kinesim.ResourceInUseException) as info:
        sim.kinesis.create_stream("s", shard_count=2)
    assert info.value.message == "Stream s under account 123456789012 already exists."


def test_describe_stream(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2, tags={"team": "data"})
    stream.split_shard("shardId-000000000000", str(2**126))
    d = sim.kinesis.describe_stream("s")
    summary = d.summary
    assert (summary.name, summary.arn) == ("s", "arn:aws:kinesis:us-east-1:123456789012:stream/s")
    assert (summary.status, summary.mode, summary.retention_hours) == ("ACTIVE", "PROVISIONED", 24)
    assert (summary.encryption_type, summary.key_id) == ("NONE", None)
    assert summary.creation_timestamp == datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert summary.shard_level_metrics == ()
    assert d.has_more_shards is False
    assert [s.shard_id for s in d.shards] == [f"shardId-{i:012d}" for i in range(4)]
    closed, open_, low = d.shards[0], d.shards[1], d.shards[2]
    assert closed.ending_sequence_number == stream.shard(closed.shard_id).ending_sequence_number
    assert closed.ending_sequence_number is not None
    assert open_.ending_sequence_number is None
    assert (low.parent_shard_id, low.adjacent_parent_shard_id) == ("shardId-000000000000", None)
    assert (low.hash_key_start, low.hash_key_end) == (0, 2**126 - 1)
    page = sim.kinesis.describe_stream("s", limit=2)
    assert [s.shard_id for s in page.shards] == ["shardId-000000000000", "shardId-000000000001"]
    assert page.has_more_shards is True
    rest = sim.kinesis.describe_stream("s", exclusive_start_shard_id="shardId-000000000001")
    assert len(rest.shards) == 2
    assert sim.kinesis.describe_stream(stream_arn=stream.arn).summary.name == "s"
    summary = sim.kinesis.describe_stream_summary("s")
    assert (summary.open_shard_count, summary.consumer_count) == (3, 0)


def test_list_streams(sim: kinesim.Simulator) -> None:
    for name in ("b", "a", "c"):
        sim.kinesis.create_stream(name, shard_count=1)
    out = sim.kinesis.list_streams(limit=2)
    assert out.names == ["a", "b"]
    assert out.has_more_streams is True
    assert out.streams[0].arn.endswith(":stream/a")
    assert sim.kinesis.list_streams(exclusive_start_stream_name="b").names == ["c"]


def test_list_shards_filters(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=2)
    t_created = sim.now
    sim.advance(3600)
    stream.split_shard("shardId-000000000000", str(2**126))  # 0 -> 2, 3 at t = 1 h
    t_split = sim.now
    sim.advance(3600)
    stream.merge_shards("shardId-000000000003", "shardId-000000000001")  # -> 4 at t = 2 h

    def ids(**kwargs: object) -> list[str]:
        shards = sim.kinesis.list_shards("s", **kwargs).shards  # type: ignore[arg-type]
        return [s.shard_id[-1] for s in shards]

    assert ids() == ["0", "1", "2", "3", "4"]
    assert ids(shard_filter={"Type": "AT_LATEST"}) == ["2", "4"]
    assert ids(shard_filter={"Type": "AT_TRIM_HORIZON"}) == ["0", "1"]
    assert ids(shard_filter={"Type": "FROM_TRIM_HORIZON"}) == ["0", "1", "2", "3", "4"]
    assert ids(shard_filter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000002"}) == [
        "3",
        "4",
    ]
    assert ids(shard_filter={"Type": "AT_TIMESTAMP", "Timestamp": t_split + 1}) == ["1", "2", "3"]
    assert ids(shard_filter={"Type": "FROM_TIMESTAMP", "Timestamp": t_split + 1}) == [
        "1",
        "2",
        "3",
        "4",
    ]
    assert ids(shard_filter={"Type": "AT_TIMESTAMP", "Timestamp": t_created}) == ["0", "1"]
    with pytest.raises(kinesim.InvalidArgumentException, match="ShardId must be specified"):
        ids(shard_filter={"Type": "AFTER_SHARD_ID"})
    with pytest.raises(kinesim.InvalidArgumentException, match="Timestamp must be specified"):
        ids(shard_filter={"Type": "AT_TIMESTAMP"})
    with pytest.raises(kinesim.ValidationException, match="enum value set"):
        ids(shard_filter={"Type": "EVERYTHING"})


def test_list_shards_pagination_and_token_expiry(sim: kinesim.Simulator) -> None:
    sim.kinesis.create_stream("s", shard_count=5)
    first = sim.kinesis.list_shards("s", max_results=2, shard_filter={"Type": "AT_LATEST"})
    assert [s.shard_id[-1] for s in first.shards] == ["0", "1"]
    token = first.next_token
    second = sim.kinesis.list_shards(next_token=token, max_results=2)
    assert [s.shard_id[-1] for s in second.shards] == ["2", "3"]
    third = sim.kinesis.list_shards(next_token=second.next_token)
    assert [s.shard_id[-1] for s in third.shards] == ["4"]
    assert third.next_token is None
    with pytest.raises(kinesim.InvalidArgumentException):
        sim.kinesis.list_shards("s", next_token=token)
    sim.advance(301)
    with pytest.raises(kinesim.ExpiredNextTokenException):
        sim.kinesis.list_shards(next_token=token)


def test_delete_refused_while_consumers_are_registered(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    stream._consumers["analytics"] = object()
    with pytest.raises(kinesim.ResourceInUseException, match="EnforceConsumerDeletion"):
        sim.kinesis.delete_stream("s")
    assert stream.status == "ACTIVE"
    sim.kinesis.delete_stream("s", enforce_consumer_deletion=True)
    assert sim.kinesis.streams == []


def test_tags(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1, tags={"a": "1"})
    stream.add_tags({"b": "2"})
    stream.remove_tags(["a", "missing"])
    assert stream.tags == {"b": "2"}
    with pytest.raises(kinesim.LimitExceededException, match="more than 50 tags"):
        stream.add_tags({f"k{i}": "v" for i in range(50)})
    assert stream.tags == {"b": "2"}


def test_encryption_is_reported_per_record(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    assert stream.put_record(b"plain", "k").encryption_type == "NONE"
    stream.start_encryption("alias/aws/kinesis")
    assert stream.put_record(b"secret", "k").encryption_type == "KMS"
    stream.stop_encryption("alias/aws/kinesis")
    stream.put_record(b"plain again", "k")
    out = sim.kinesis.get_records(
        sim.kinesis.get_shard_iterator("s", "shardId-000000000000", "TRIM_HORIZON")
    )
    assert [r.encryption_type for r in out.records] == ["NONE", "KMS", "NONE"]
    assert sim.kinesis.describe_stream_summary("s").encryption_type == "NONE"


def test_on_demand_defaults_and_mode_switch(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("od")
    assert (stream.mode, len(stream.shards)) == ("ON_DEMAND", 4)
    stream.update_stream_mode("PROVISIONED")
    assert stream.mode == "PROVISIONED"
    stream.update_shard_count(8)
    stream.update_stream_mode("ON_DEMAND")
    with pytest.raises(kinesim.LimitExceededException):
        stream.update_stream_mode("PROVISIONED")
    assert sim.kinesis.describe_limits() == AccountLimits(
        shard_limit=20000,
        open_shard_count=8,
        on_demand_stream_count=1,
        on_demand_stream_count_limit=50,
    )


def test_metrics_under_aws_names(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    stream.enable_enhanced_monitoring(["ALL"])
    stream.put_record(b"abc", "k")
    stream.put_records([(b"de", "k"), (b"f", "k")])
    it = sim.kinesis.get_shard_iterator("s", "shardId-000000000000", "TRIM_HORIZON")
    sim.advance(2)
    sim.kinesis.get_records(it)

    def total(name: str, **dims: str) -> float:
        return sim.metrics.series("AWS/Kinesis", name, StreamName="s", **dims).sum()

    assert total("IncomingRecords") == 3
    assert total("IncomingBytes") == 4 + 3 + 2
    assert total("PutRecord.Success") == 1
    assert total("PutRecords.SuccessfulRecords") == 2
    assert total("GetRecords.Records") == 3
    assert total("GetRecords.Bytes") == 9
    assert total("GetRecords.IteratorAgeMilliseconds") == 2000
    shard = {"ShardId": "shardId-000000000000"}
    assert total("IncomingRecords", **shard) == 3
    assert total("OutgoingRecords", **shard) == 3
    assert total("IteratorAgeMilliseconds", **shard) == 2000
    kinds = [e.kind for e in sim.trace]
    assert kinds.count("kinesis.put") == 2
    assert kinds.count("kinesis.get") == 1
    out = stream.disable_enhanced_monitoring(["IncomingBytes"])
    assert "IncomingBytes" not in out.desired_shard_level_metrics
    assert "IncomingBytes" in out.current_shard_level_metrics


def test_stream_lookup_by_arn(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    assert sim.kinesis.stream_by_arn(stream.arn) is stream
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.kinesis.stream_by_arn("arn:aws:kinesis:us-east-1:123456789012:stream/other")
    with pytest.raises(kinesim.ResourceNotFoundException):
        sim.kinesis.stream("other")


def test_large_records_need_a_raised_maximum(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    with pytest.raises(kinesim.InvalidArgumentException, match="exceeds the maximum record size"):
        stream.put_record(b"x" * (1024 * 1024), "k")  # 1 MiB of data + 1 byte of key
    stream.update_max_record_size(4096)
    stream.put_record(b"x" * (3 * 1024 * 1024), "k")  # a 3 MiB record: the burst allowance
    with pytest.raises(kinesim.ProvisionedThroughputExceededException):
        stream.put_record(b"x", "k")
    sim.advance(2)
    with pytest.raises(kinesim.ProvisionedThroughputExceededException):
        stream.put_record(b"x", "k")  # 3 MiB written at t=0 is paid off only at t=3 s
    sim.advance(1)
    stream.put_record(b"x", "k")


def test_stream_by_arn_refuses_consumer_and_foreign_arns(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    for arn in (
        f"{stream.arn}/consumer/c:1767225600",
        "arn:aws:kinesis:eu-west-1:123456789012:stream/s",
        "arn:aws:kinesis:us-east-1:210987654321:stream/s",
    ):
        with pytest.raises(kinesim.ResourceNotFoundException, match="Stream s under account"):
            sim.kinesis.stream_by_arn(arn)


def test_list_shards_timestamp_filters_are_inclusive(sim: kinesim.Simulator) -> None:
    stream = sim.kinesis.create_stream("s", shard_count=1)
    sim.advance(10)
    stream.split_shard("shardId-000000000000", str(2**127))
    at = sim.now
    for kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
        shards = sim.kinesis.list_shards("s", shard_filter={"Type": kind, "Timestamp": at})
        assert [s.shard_id[-1] for s in shards.shards] == ["0", "1", "2"]
