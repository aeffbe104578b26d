"""Kinesis channels through sim.client("kinesis"): lifecycle, delivery into sim.s3 in virtual
time, errors, pagination, the stream-deletion rule and determinism; every response in
botocore's output shape."""

from __future__ import annotations

import datetime as dt
import gzip

import pytest
from api_helpers import check_shape
from hypothesis import given, settings
from hypothesis import strategies as st

import kinesim

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/delivery"


def shape(op, response):
    return check_shape("kinesis", op, response)


def s3_destination(bucket="lake", **storage):
    return {
        "StorageConfiguration": {
            "BucketARN": f"arn:aws:s3:::{bucket}",
            "ExpectedBucketOwner": ACCOUNT,
            "CompressionType": "NONE",
            **storage,
        }
    }


def tables_destination():
    return {
        "DeadLetterQueueS3Configuration": {
            "BucketARN": "arn:aws:s3:::dlq",
            "ExpectedBucketOwner": ACCOUNT,
        },
        "S3TablesConfigurationList": [
            {
                "TableBucketARN": f"arn:aws:s3tables:us-east-1:{ACCOUNT}:bucket/tables",
                "Namespace": "sales",
                "TableName": "orders",
                "CompressionType": "ZSTD",
                "PartitionSpec": {
                    "PartitionFields": [{"Transform": "TIME_HOUR", "SourceName": "ts"}]
                },
            }
        ],
    }


def create(kinesis, stream_arn, name="to-lake", fmt="JSON", **destination):
    if not destination:
        destination = {"S3DestinationConfiguration": s3_destination()}
    return kinesis.create_channel(
        ChannelName=name,
        ServiceExecutionRoleARN=ROLE,
        StreamConfigurationList=[
            {
                "StreamARN": stream_arn,
                "RecordConfiguration": fmt if isinstance(fmt, dict) else {"RecordFormatType": fmt},
            }
        ],
        **destination,
    )["ChannelDescription"]


def on_demand(sim, kinesis, name="orders"):
    kinesis.create_stream(StreamName=name, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    return sim.kinesis.stream(name).arn


@pytest.fixture
def arn(sim, kinesis):
    sim.s3.create_bucket("lake")
    return on_demand(sim, kinesis)


def test_lifecycle_in_virtual_time():
    sim = kinesim.Simulator(
        timings=kinesim.Timings(consumer_register_s=10, stream_update_s=5, consumer_deregister_s=3)
    )
    kinesis = sim.client("kinesis")
    stream_arn = on_demand(sim, kinesis)
    created = shape(
        "CreateChannel",
        kinesis.create_channel(
            ChannelName="to-lake",
            ServiceExecutionRoleARN=ROLE,
            StreamConfigurationList=[
                {"StreamARN": stream_arn, "RecordConfiguration": {"RecordFormatType": "JSON"}}
            ],
            S3DestinationConfiguration=s3_destination(StorageClass="GLACIER_IR"),
            EncryptionConfiguration={"EncryptionType": "KMS", "KeyId": "alias/lake"},
            LoggingConfiguration={"CloudWatchLogs": {"Enabled": True}},
            Tags={"team": "data"},
        ),
    )["ChannelDescription"]
    channel_arn = created["ChannelARN"]
    assert channel_arn == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:channel/to-lake"
    assert created["ChannelStatus"] == "CREATING"
    assert created["LoggingConfiguration"] == {
        "CloudWatchLogs": {
            "Enabled": True,
            "LogGroupName": f"/aws/kinesis/to-lake/{created['ChannelId']}",
            "LogStreamName": "DestinationDelivery",
        }
    }
    assert created["S3DestinationConfiguration"] == {
        "DataFreshnessInSeconds": 300,
        "DeadLetterQueueS3Configuration": {
            "BucketARN": "arn:aws:s3:::lake",
            "ExpectedBucketOwner": ACCOUNT,
            "ErrorOutputPrefix": "errors/",
        },
        "StorageConfiguration": {
            "BucketARN": "arn:aws:s3:::lake",
            "ExpectedBucketOwner": ACCOUNT,
            "CompressionType": "NONE",
            "StorageClass": "GLACIER_IR",
        },
    }
    assert created["EncryptionConfiguration"] == {"EncryptionType": "KMS", "KeyId": "alias/lake"}
    assert sim.kinesis.channels.channel(channel_arn).tags == {"team": "data"}
    sim.advance(9.999)
    with pytest.raises(kinesim.ResourceInUseException, match="not ACTIVE, instead in state"):
        kinesis.update_channel(
            ChannelARN=channel_arn, S3DestinationConfiguration={"DataFreshnessInSeconds": 600}
        )
    sim.advance(0.001)
    described = shape("DescribeChannel", kinesis.describe_channel(ChannelARN=channel_arn))
    assert described["ChannelDescription"]["ChannelStatus"] == "ACTIVE"
    updated = shape(
        "UpdateChannel",
        kinesis.update_channel(
            ChannelARN=channel_arn,
            S3DestinationConfiguration={"DataFreshnessInSeconds": 600},
            LoggingConfiguration={"CloudWatchLogs": {"Enabled": False}},
        ),
    )["ChannelDescription"]
    assert (
        updated["ChannelStatus"],
        updated["S3DestinationConfiguration"]["DataFreshnessInSeconds"],
    ) == ("UPDATING", 300)
    sim.advance(5)
    now = kinesis.describe_channel(ChannelARN=channel_arn)["ChannelDescription"]
    assert now["ChannelStatus"] == "ACTIVE"
    assert now["S3DestinationConfiguration"]["DataFreshnessInSeconds"] == 600
    assert now["LoggingConfiguration"] == {"CloudWatchLogs": {"Enabled": False}}
    shape("DeleteChannel", kinesis.delete_channel(ChannelARN=channel_arn))
    assert (
        kinesis.describe_channel(ChannelARN=channel_arn)["ChannelDescription"]["ChannelStatus"]
        == "DELETING"
    )
    sim.advance(3)
    with pytest.raises(kinesim.ResourceNotFoundException, match="Channel to-lake under account"):
        kinesis.describe_channel(ChannelARN=channel_arn)


def test_delivery_contents_and_timing(sim, kinesis, arn):
    kinesis.put_record(StreamName="orders", Data=b'{"before": true}', PartitionKey="a")
    channel_arn = create(kinesis, arn)["ChannelARN"]
    channel = sim.kinesis.channels.channel(channel_arn)
    bucket = sim.s3.bucket("lake")
    sim.advance(10)
    first = kinesis.put_record(StreamName="orders", Data=b'{"n": 1}', PartitionKey="a")
    sim.advance(90)
    kinesis.put_record(StreamName="orders", Data=b'{"n": 2}', PartitionKey="a")
    sim.advance(209.999)  # the oldest record is 299.999 s old
    assert bucket.keys() == []
    sim.advance(0.001)
    [obj] = bucket.list_objects()
    assert obj.last_modified_ms == sim.now_ms
    # No backfill: the record written before the channel existed is not delivered.
    assert obj.body == b'{"n": 1}\n{"n": 2}\n'
    channel_id = channel.channel_id
    assert obj.key == (
        f"kinesis-channel/to-lake/{channel_id}/2026/01/01/00/"
        f"to-lake-{channel_id}-2026-01-01-00-00-{first['SequenceNumber']}"
    )
    [delivery] = channel.deliveries
    assert (delivery.record_count, delivery.key, delivery.first_sequence_number) == (
        2,
        obj.key,
        first["SequenceNumber"],
    )
    assert delivery.data_bytes == len(b'{"n": 1}a{"n": 2}a')  # data + partition keys
    assert delivery.at_ms - sim.kinesis.stream("orders").created_ms == 310_000  # 10 s + 300 s
    assert channel.delivered_records == 2
    # Idle: nothing more is written; the next record starts a new 300 s wait.
    sim.advance(1000)
    assert len(bucket) == 1
    kinesis.put_record(StreamName="orders", Data=b"3", PartitionKey="b")
    sim.advance(300)
    assert len(bucket) == 2
    assert channel.delivered_records == 3


def test_gzip_and_custom_key_template(sim, kinesis, arn):
    destination = s3_destination(
        CompressionType="GZIP", OutputKeyTemplate="raw/!{stream-name}/!{yy}!{MM}!{dd}!{extension}"
    )
    destination["DataFreshnessInSeconds"] = 900
    create(kinesis, arn, fmt="BYTE_ARRAY", S3DestinationConfiguration=destination)
    records = [(bytes([i]) * 3, f"k{i}") for i in range(11, 31)]  # no b"\n" inside
    kinesis.put_records(
        StreamName="orders", Records=[{"Data": d, "PartitionKey": k} for d, k in records]
    )
    sim.advance(900)
    [obj] = sim.s3.bucket("lake").list_objects()
    assert obj.key.startswith("raw/orders/260101.gz-")
    lines = gzip.decompress(obj.body).split(b"\n")
    assert lines[-1] == b""
    # Every record once; shard by shard, so compare as a multiset.
    assert sorted(lines[:-1]) == sorted(d for d, _ in records)


def test_missing_bucket_fails_the_channel_into_the_dead_letter_bucket(sim, kinesis):
    stream_arn = on_demand(sim, kinesis)
    sim.s3.create_bucket("dlq")
    destination = s3_destination(bucket="gone")
    destination["DeadLetterQueueS3Configuration"] = {
        "BucketARN": "arn:aws:s3:::dlq",
        "ExpectedBucketOwner": ACCOUNT,
        "ErrorOutputPrefix": "failed/",
    }
    channel_arn = create(kinesis, stream_arn, S3DestinationConfiguration=destination)["ChannelARN"]
    kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    sim.advance(300)
    [key] = sim.s3.bucket("dlq").keys()
    assert key.startswith("failed/kinesis-channel/to-lake/")
    described = kinesis.describe_channel(ChannelARN=channel_arn)["ChannelDescription"]
    assert described["ChannelStatus"] == "FAILED"
    assert "arn:aws:s3:::gone does not exist" in described["ChannelStatusReason"]
    summary = kinesis.list_channels()["ChannelSummaries"][0]
    assert summary["ChannelStatusReason"] == described["ChannelStatusReason"]
    channel = sim.kinesis.channels.channel(channel_arn)
    assert (channel.dead_lettered_records, channel.delivered_records) == (1, 0)
    # A FAILED channel reads no more.
    kinesis.put_record(StreamName="orders", Data=b"y", PartitionKey="k")
    sim.advance(1000)
    assert len(channel.deliveries) == 1


def test_undeliverable_records_are_counted(sim, kinesis):
    stream_arn = on_demand(sim, kinesis)
    channel_arn = create(kinesis, stream_arn)["ChannelARN"]  # no bucket "lake"
    kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    kinesis.put_record(StreamName="orders", Data=b"y", PartitionKey="k")
    sim.advance(300)
    channel = sim.kinesis.channels.channel(channel_arn)
    assert (channel.status, channel.undelivered_records, channel.deliveries) == ("FAILED", 2, [])


def test_s3_tables_channel_is_stored_and_counts_its_batches(sim, kinesis, arn):
    created = create(
        kinesis,
        arn,
        name="to-table",
        fmt=schema_format(),
        S3TablesDestinationConfiguration=tables_destination(),
    )
    assert created["StreamConfigurationList"][0]["RecordConfiguration"] == schema_format()
    described = shape("DescribeChannel", kinesis.describe_channel(ChannelARN=created["ChannelARN"]))
    tables = described["ChannelDescription"]["S3TablesDestinationConfiguration"]
    assert tables["S3TablesConfigurationList"] == tables_destination()["S3TablesConfigurationList"]
    assert tables["DataFreshnessInSeconds"] == 300
    kinesis.put_record(StreamName="orders", Data=b'{"ts": 1}', PartitionKey="k")
    sim.advance(300)
    channel = sim.kinesis.channels.channel(created["ChannelARN"])
    assert [(d.key, d.record_count) for d in channel.deliveries] == [(None, 1)]
    assert len(sim.s3.bucket("lake")) == 0
    summary = kinesis.list_channels()["ChannelSummaries"][0]
    assert summary["ChannelDestinationType"] == "S3_TABLES"


def schema_format():
    return {
        "RecordFormatType": "GSR_JSON",
        "GSRSchemaARN": f"arn:aws:glue:us-east-1:{ACCOUNT}:schema/registry/orders",
    }


def test_errors(sim, kinesis, arn):
    kinesis.create_stream(StreamName="prov", ShardCount=1)
    prov = sim.kinesis.stream("prov").arn
    with pytest.raises(kinesim.ValidationException, match="on-demand capacity mode"):
        create(kinesis, prov)
    with pytest.raises(kinesim.InvalidArgumentException, match="Exactly one of"):
        create(
            kinesis,
            arn,
            S3DestinationConfiguration=s3_destination(),
            S3TablesDestinationConfiguration=tables_destination(),
        )
    with pytest.raises(kinesim.InvalidArgumentException, match="Exactly one of"):
        kinesis.create_channel(
            ChannelName="c",
            ServiceExecutionRoleARN=ROLE,
            StreamConfigurationList=[
                {"StreamARN": arn, "RecordConfiguration": {"RecordFormatType": "JSON"}}
            ],
        )
    with pytest.raises(kinesim.InvalidArgumentException, match="GSR_JSON is not supported for S3"):
        create(kinesis, arn, fmt="GSR_JSON")
    with pytest.raises(kinesim.InvalidArgumentException, match="STRING is not supported"):
        create(kinesis, arn, fmt="STRING", S3TablesDestinationConfiguration=tables_destination())
    with pytest.raises(kinesim.InvalidArgumentException, match="GSRSchemaARN is required"):
        create(kinesis, arn, S3TablesDestinationConfiguration=tables_destination())
    slow = {**s3_destination(), "DataFreshnessInSeconds": 901}
    with pytest.raises(kinesim.InvalidArgumentException, match="between 300 and 900"):
        create(kinesis, arn, S3DestinationConfiguration=slow)
    bad_template = s3_destination(OutputKeyTemplate="x/!{partition-id}")
    with pytest.raises(kinesim.InvalidArgumentException, match="unknown variables"):
        create(kinesis, arn, S3DestinationConfiguration=bad_template)
    with pytest.raises(kinesim.ValidationException, match="serviceExecutionRoleARN"):
        kinesis.create_channel(
            ChannelName="c",
            ServiceExecutionRoleARN="role",
            StreamConfigurationList=[
                {"StreamARN": arn, "RecordConfiguration": {"RecordFormatType": "JSON"}}
            ],
            S3DestinationConfiguration=s3_destination(),
        )
    with pytest.raises(kinesim.ResourceNotFoundException, match="Stream nope"):
        create(kinesis, arn.replace("orders", "nope"))
    assert sim.kinesis.channels.channels == []  # nothing was created by a refused call
    channel_arn = create(kinesis, arn)["ChannelARN"]
    with pytest.raises(kinesim.ResourceInUseException, match="already exists"):
        create(kinesis, on_demand(sim, kinesis, "other"))
    with pytest.raises(kinesim.LimitExceededException, match="already has a S3 channel"):
        create(kinesis, arn, name="second")
    with pytest.raises(kinesim.InvalidArgumentException, match="cannot be updated"):
        kinesis.update_channel(
            ChannelARN=channel_arn,
            S3TablesDestinationConfiguration={"DataFreshnessInSeconds": 600},
        )
    with pytest.raises(kinesim.ResourceNotFoundException, match="Channel gone under account"):
        kinesis.delete_channel(ChannelARN=channel_arn.replace("to-lake", "gone"))
    with pytest.raises(kinesim.ValidationException, match="channelARN"):
        kinesis.describe_channel(ChannelARN="arn:aws:kinesis:us-east-1:1:queue/x")
    with pytest.raises(kinesim.KinesimTypeError, match="True or False"):
        sim.kinesis.channels.create_channel(
            "bad-logging",
            role_arn=ROLE,
            streams=[{"StreamARN": arn, "RecordConfiguration": schema_format()}],
            s3_tables=tables_destination(),
            logging={"CloudWatchLogs": {"Enabled": "yes"}},
        )
    # The refusals changed nothing.
    assert [c.name for c in sim.kinesis.channels.channels] == ["to-lake"]
    assert sim.kinesis.channels.channel(channel_arn).freshness_s == 300


def test_pagination_and_stream_filter(sim, kinesis):
    arns = [on_demand(sim, kinesis, f"s{i}") for i in range(4)]
    for i, stream_arn in enumerate(arns):
        create(kinesis, stream_arn, name=f"lake-{i}")
        sim.advance(1)
        create(
            kinesis,
            stream_arn,
            name=f"table-{i}",
            fmt=schema_format(),
            S3TablesDestinationConfiguration=tables_destination(),
        )
    names, token, pages = [], None, 0
    while True:
        kwargs = {"MaxResults": 3} if token is None else {"MaxResults": 3, "NextToken": token}
        page = shape("ListChannels", kinesis.list_channels(**kwargs))
        names += [c["ChannelName"] for c in page["ChannelSummaries"]]
        pages += 1
        token = page.get("NextToken")
        if token is None:
            break
    assert pages == 3
    assert names == [f"{kind}-{i}" for i in range(4) for kind in ("lake", "table")]
    filtered = kinesis.list_channels(StreamFilter=[{"StreamARN": arns[2]}])["ChannelSummaries"]
    assert [c["ChannelName"] for c in filtered] == ["lake-2", "table-2"]
    created_at = sim.kinesis.stream("s1").created_ms
    by_time = kinesis.list_channels(
        StreamFilter=[
            {
                "StreamARN": arns[1],
                "StreamCreationTimestamp": dt.datetime.fromtimestamp(
                    created_at / 1000, dt.timezone.utc
                ),
            },
            {"StreamARN": arns[3], "StreamCreationTimestamp": dt.datetime(2020, 1, 1)},
        ]
    )["ChannelSummaries"]
    assert [c["ChannelName"] for c in by_time] == ["lake-1", "table-1"]
    paginator_free = kinesis.list_channels(MaxResults=10000)["ChannelSummaries"]
    assert len(paginator_free) == 8
    with pytest.raises(kinesim.InvalidArgumentException, match="Invalid NextToken"):
        kinesis.list_channels(NextToken="bm90LWEtdG9rZW4=")


def test_a_stream_with_active_channels_cannot_be_deleted(sim, kinesis, arn):
    channel_arn = create(kinesis, arn)["ChannelARN"]
    summary = shape("DescribeStreamSummary", kinesis.describe_stream_summary(StreamARN=arn))
    assert summary["StreamDescriptionSummary"]["ChannelCount"] == 1
    limits = shape("DescribeLimits", kinesis.describe_limits())
    assert (limits["ChannelCount"], limits["ChannelCountLimit"]) == (1, 100)
    with pytest.raises(kinesim.ResourceInUseException, match="has active channels"):
        kinesis.delete_stream(StreamName="orders")
    assert sim.kinesis.stream("orders").status == "ACTIVE"
    kinesis.delete_channel(ChannelARN=channel_arn)
    kinesis.delete_stream(StreamName="orders")
    with pytest.raises(kinesim.ResourceNotFoundException):
        kinesis.describe_stream(StreamName="orders")


def test_channel_reads_do_not_use_the_shards_read_limits(sim, kinesis, arn):
    create(kinesis, arn)
    put = kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    sim.advance(300)  # the channel read and delivered at this instant
    iterator = kinesis.get_shard_iterator(
        StreamName="orders", ShardId=put["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    for _ in range(5):  # all five reads of this second are still free
        out = kinesis.get_records(ShardIterator=iterator)
        iterator = out["NextShardIterator"]


def run_scenario(seed, puts):
    sim = kinesim.Simulator(seed=seed)
    kinesis = sim.client("kinesis")
    sim.s3.create_bucket("lake")
    stream_arn = on_demand(sim, kinesis)
    create(kinesis, stream_arn)
    for gap_ms, key, data in puts:
        sim.advance(gap_ms / 1000)
        kinesis.put_record(StreamName="orders", Data=data, PartitionKey=key)
    sim.advance(900)
    sim.kinesis._check()
    channel = sim.kinesis.channels.channels[0]
    objects = [(o.key, o.body, o.last_modified_ms) for o in sim.s3.bucket("lake").list_objects()]
    return channel, objects, sim.trace.digest()


puts_strategy = st.lists(
    st.tuples(st.integers(0, 400_000), st.sampled_from(["a", "b", "c", "d", "e"])),
    max_size=30,
).map(lambda puts: [(gap, key, f"{key}{i}".encode()) for i, (gap, key) in enumerate(puts)])


@settings(max_examples=25, deadline=None)
@given(puts=puts_strategy)
def test_every_record_is_delivered_once_in_shard_order(puts):
    channel, objects, _ = run_scenario(0, puts)
    assert channel.delivered_records == len(puts)
    assert len(objects) == len(channel.deliveries)
    delivered = [line for _, body, _ in objects for line in body.split(b"\n")[:-1]]
    assert sorted(delivered) == sorted(data for _, _, data in puts)
    # One partition key is one shard: its records arrive in the order they were written.
    for key in "abcde":
        written = [data for _, k, data in puts if k == key]
        assert [line for line in delivered if line.startswith(key.encode())] == written
    # Each batch is delivered exactly 300 s after its oldest record arrived.
    expected, start, count, now = [], None, 0, 0
    for gap_ms, _, _ in puts:
        now += gap_ms
        if start is not None and now >= start + 300_000:
            expected.append((start + 300_000, count))
            start = None
        if start is None:
            start, count = now, 0
        count += 1
    if start is not None:
        expected.append((start + 300_000, count))
    start_ms = 1_767_225_600_000
    assert [(d.at_ms - start_ms, d.record_count) for d in channel.deliveries] == expected


def test_deterministic():
    puts = [(1234, f"k{i % 7}", f"r{i}".encode()) for i in range(200)]
    first = run_scenario(5, puts)
    second = run_scenario(5, puts)
    assert first[1] == second[1]
    assert first[2] == second[2]
    assert len(first[1]) >= 1


def test_channels_through_boto3_under_mock_aws():
    boto3 = pytest.importorskip("boto3")
    with kinesim.mock_aws() as sim:
        kinesis = boto3.client("kinesis", region_name="us-east-1")
        s3 = boto3.client("s3", region_name="us-east-1")
        s3.create_bucket(Bucket="lake")
        arns = [on_demand(sim, kinesis, f"s{i}") for i in range(5)]
        for i, stream_arn in enumerate(arns):
            create(kinesis, stream_arn, name=f"c{i}")
        pages = list(
            kinesis.get_paginator("list_channels").paginate(PaginationConfig={"PageSize": 2})
        )
        assert len(pages) == 3
        assert [c["ChannelName"] for p in pages for c in p["ChannelSummaries"]] == [
            f"c{i}" for i in range(5)
        ]
        kinesis.put_record(StreamName="s3", Data=b'{"via": "boto3"}', PartitionKey="k")
        sim.advance(300)
        [listed] = s3.list_objects_v2(Bucket="lake")["Contents"]
        assert listed["Key"].startswith("kinesis-channel/c3/")
        body = s3.get_object(Bucket="lake", Key=listed["Key"])["Body"].read()
        assert body == b'{"via": "boto3"}\n'
        with pytest.raises(kinesis.exceptions.ResourceInUseException, match="active channels"):
            kinesis.delete_stream(StreamName="s3")
