"""kinesim.mock_aws: ordinary boto3 code, unchanged, against a Simulator. botocore serialises
the requests, retries, waits and parses the responses; kinesim answers in each service's wire
protocol. Every response is checked against botocore's output shape and, where sim.client
gives the same answer, against sim.client's."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import os

import pytest

boto3 = pytest.importorskip("boto3")
from api_helpers import check_shape  # noqa: E402
from botocore.config import Config  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402

import kinesim  # noqa: E402

# -- ordinary boto3 code, as an application would have it -----------------------------------------


def produce(kinesis, stream, payloads, *, sleep):
    """put_records in batches of 500; records AWS refused (throttled) are sent again after a
    backoff, as the AWS docs advise. Returns how many records needed a retry."""
    retried = 0
    pending = [{"Data": p, "PartitionKey": str(i)} for i, p in enumerate(payloads)]
    backoff = 0.1
    while pending:
        batch, pending = pending[:500], pending[500:]
        response = kinesis.put_records(StreamName=stream, Records=batch)
        failed = [
            record
            for record, result in zip(batch, response["Records"], strict=True)
            if result.get("ErrorCode") == "ProvisionedThroughputExceededException"
        ]
        if failed:
            retried += len(failed)
            pending = failed + pending
            sleep(backoff)
            backoff = min(backoff * 2, 2.0)
        else:
            backoff = 0.1
    return retried


def put_with_retry(kinesis, stream, data, key, *, sleep):
    """put_record, retrying when boto3 raises ProvisionedThroughputExceededException."""
    for attempt in range(20):
        try:
            return kinesis.put_record(StreamName=stream, Data=data, PartitionKey=key), attempt
        except ClientError as error:
            if error.response["Error"]["Code"] != "ProvisionedThroughputExceededException":
                raise
            sleep(1.0)
    raise AssertionError("never accepted")


def read_shard(kinesis, stream, shard_id, *, sleep):
    """A get_records loop from TRIM_HORIZON until the shard is caught up, pausing between
    calls as AWS advises (a shard serves 5 GetRecords calls a second)."""
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records = []
    while True:
        response = check_shape(
            "kinesis", "GetRecords", kinesis.get_records(ShardIterator=iterator, Limit=100)
        )
        records += response["Records"]
        iterator = response["NextShardIterator"]
        if not response["Records"] and response["MillisBehindLatest"] == 0:
            return records
        sleep(0.25)


def stream_arn(kinesis, name):
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


# -- producers, retries, get_records --------------------------------------------------------------


def test_a_producer_retries_throttled_records_until_all_are_read_back_in_order():
    with kinesim.mock_aws(kinesim.Simulator(seed=3)) as sim:
        kinesis = boto3.client("kinesis")
        kinesis.create_stream(StreamName="orders", ShardCount=2)
        payloads = [b"%05d" % i + b"x" * 995 for i in range(3000)]  # 3 MB: over 2 shards' 2 MB/s
        retried = produce(kinesis, "orders", payloads, sleep=sim.advance)
        assert retried > 0  # the shards' 1 MB/s limits throttled some of them
        assert sim.elapsed > 0  # and the backoff passed in virtual time
        shards = [s["ShardId"] for s in kinesis.list_shards(StreamName="orders")["Shards"]]
        per_shard = [read_shard(kinesis, "orders", shard, sleep=sim.advance) for shard in shards]
    read = [r for records in per_shard for r in records]
    assert sorted(r["Data"] for r in read) == sorted(payloads)  # none lost, none doubled
    assert sorted(r["PartitionKey"] for r in read) == sorted(str(i) for i in range(3000))
    for records in per_shard:
        assert records  # both shards got some
        sequence = [int(r["SequenceNumber"]) for r in records]
        assert sequence == sorted(sequence)
        assert len(set(sequence)) == len(sequence)


def test_put_record_raises_client_error_after_botocores_retries_in_virtual_time():
    sim = kinesim.Simulator(seed=1)
    with kinesim.mock_aws(sim):
        kinesis = boto3.client("kinesis", config=Config(retries={"total_max_attempts": 2}))
        kinesis.create_stream(StreamName="s", ShardCount=1)
        big = b"x" * 600_000
        kinesis.put_record(StreamName="s", Data=big, PartitionKey="a")
        before = sim.now_ms
        with pytest.raises(ClientError) as caught:
            kinesis.put_record(StreamName="s", Data=big, PartitionKey="a")
        error = caught.value
        assert isinstance(error, kinesis.exceptions.ProvisionedThroughputExceededException)
        assert error.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
        assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        # botocore's standard mode: one retry after a jittered wait of under 1 s, slept virtually.
        assert error.response["ResponseMetadata"]["RetryAttempts"] == 1
        assert 0 < sim.now_ms - before < 1000
        response, attempts = put_with_retry(kinesis, "s", big, "a", sleep=sim.advance)
        assert response["ShardId"] == "shardId-000000000000"
        assert attempts <= 1


def test_retries_are_deterministic_and_legacy_mode_works_too():
    def run(mode):
        sim = kinesim.Simulator(seed=11)
        with kinesim.mock_aws(sim):
            kinesis = boto3.client(
                "kinesis", config=Config(retries={"mode": mode, "total_max_attempts": 4})
            )
            kinesis.create_stream(StreamName="s", ShardCount=1)
            kinesis.put_record(StreamName="s", Data=b"x" * 800_000, PartitionKey="a")
            try:
                response = kinesis.put_record(StreamName="s", Data=b"x" * 800_000, PartitionKey="a")
            except ClientError as error:
                response = error.response
            return sim.now_ms - sim.start_ms, response["ResponseMetadata"]["RetryAttempts"]

    standard = run("standard")
    assert standard == run("standard")
    assert standard[1] >= 1  # throttled, and retried
    assert standard[0] > 0  # after a virtual wait
    legacy = run("legacy")
    assert legacy == run("legacy")
    assert legacy[1] >= 1
    assert legacy[0] > 0


def test_adaptive_retry_mode_is_refused_when_the_client_is_made():
    with kinesim.mock_aws(), pytest.raises(kinesim.KinesimValueError, match="'adaptive'"):
        boto3.client("kinesis", config=Config(retries={"mode": "adaptive"}))


# -- waiters and paginators -----------------------------------------------------------------------


def test_stream_exists_waiter_waits_in_virtual_time():
    sim = kinesim.Simulator(timings=kinesim.Timings(stream_create_s=25))
    with kinesim.mock_aws(sim):
        kinesis = boto3.client("kinesis")
        kinesis.create_stream(StreamName="s", ShardCount=1)
        assert (
            kinesis.describe_stream(StreamName="s")["StreamDescription"]["StreamStatus"]
            == "CREATING"
        )
        kinesis.get_waiter("stream_exists").wait(StreamName="s")
        # Polls at 0, 10, 20 and 30 s (Kinesis's waiter delay); ACTIVE from 25 s.
        assert sim.elapsed == 30.0
        kinesis.delete_stream(StreamName="s")
        kinesis.get_waiter("stream_not_exists").wait(StreamName="s", WaiterConfig={"Delay": 3})
        assert sim.elapsed == 30.0  # stream_delete_s is 0: gone at the first poll
        kinesis.create_stream(StreamName="t", ShardCount=1)
        with pytest.raises(Exception, match="Max attempts exceeded"):
            kinesis.get_waiter("stream_exists").wait(
                StreamName="t", WaiterConfig={"Delay": 5, "MaxAttempts": 3}
            )
        assert sim.elapsed == 40.0


def test_every_kinesis_paginator_kinesim_serves_returns_everything():
    with kinesim.mock_aws() as sim:
        kinesis = boto3.client("kinesis")
        for i in range(7):
            kinesis.create_stream(StreamName=f"s{i}", ShardCount=5 if i == 0 else 1)
        arn = stream_arn(kinesis, "s0")
        for i in range(5):
            kinesis.register_stream_consumer(StreamARN=arn, ConsumerName=f"c{i}")
        page = {"PageSize": 2}
        streams = kinesis.get_paginator("list_streams").paginate(PaginationConfig=page)
        assert [n for p in streams for n in p["StreamNames"]] == [f"s{i}" for i in range(7)]
        described = kinesis.get_paginator("describe_stream").paginate(
            StreamName="s0", PaginationConfig=page
        )
        shard_ids = [s["ShardId"] for p in described for s in p["StreamDescription"]["Shards"]]
        assert shard_ids == [f"shardId-00000000000{i}" for i in range(5)]
        consumers = kinesis.get_paginator("list_stream_consumers").paginate(
            StreamARN=arn, PaginationConfig=page
        )
        pages = list(consumers)
        assert len(pages) == 3
        assert [c["ConsumerName"] for p in pages for c in p["Consumers"]] == [
            f"c{i}" for i in range(5)
        ]
        shards = kinesis.get_paginator("list_shards").paginate(StreamName="s0")
        assert [s["ShardId"] for p in shards for s in p["Shards"]] == shard_ids
        # As on AWS (botocore issue #2009): the ListShards paginator sends StreamName with the
        # NextToken of page 2, which Kinesis refuses.
        with pytest.raises(kinesis.exceptions.InvalidArgumentException, match="NextToken"):
            list(
                kinesis.get_paginator("list_shards").paginate(
                    StreamName="s0", PaginationConfig=page
                )
            )
        served = set(kinesim.Simulator().client("kinesis").operations)
        model_paginators = {
            "describe_stream",
            "list_streams",
            "list_shards",
            "list_stream_consumers",
        }
        assert model_paginators <= served
        assert sim.elapsed == 0


def test_list_event_source_mappings_paginator():
    with kinesim.mock_aws() as sim:
        kinesis, lambda_ = boto3.client("kinesis"), boto3.client("lambda")
        sim.lambda_.create_function("f", lambda event, context: None)
        uuids = []
        for i in range(5):
            kinesis.create_stream(StreamName=f"s{i}", ShardCount=1)
            mapping = lambda_.create_event_source_mapping(
                FunctionName="f",
                EventSourceArn=stream_arn(kinesis, f"s{i}"),
                StartingPosition="LATEST",
            )
            uuids.append(check_shape("lambda", "CreateEventSourceMapping", mapping)["UUID"])
        pages = list(
            lambda_.get_paginator("list_event_source_mappings").paginate(
                FunctionName="f", PaginationConfig={"PageSize": 2}
            )
        )
        assert [len(p["EventSourceMappings"]) for p in pages] == [2, 2, 1]
        assert sorted(m["UUID"] for p in pages for m in p["EventSourceMappings"]) == sorted(uuids)


# -- enhanced fan-out -----------------------------------------------------------------------------


def test_subscribe_to_shard_event_stream_through_boto3():
    with kinesim.mock_aws() as sim:
        kinesis = boto3.client("kinesis")
        kinesis.create_stream(StreamName="s", ShardCount=1)
        consumer = kinesis.register_stream_consumer(
            StreamARN=stream_arn(kinesis, "s"), ConsumerName="c"
        )
        consumer_arn = consumer["Consumer"]["ConsumerARN"]
        kinesis.get_waiter("stream_exists").wait(StreamName="s")
        for i in range(3):
            kinesis.put_record(StreamName="s", Data=b"r%d" % i, PartitionKey="k")
        response = kinesis.subscribe_to_shard(
            ConsumerARN=consumer_arn,
            ShardId="shardId-000000000000",
            StartingPosition={"Type": "TRIM_HORIZON"},
        )
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
        events = []
        for event in response["EventStream"]:
            body = event["SubscribeToShardEvent"]
            check_shape(
                "kinesis",
                "GetRecords",
                {
                    "Records": body["Records"],
                    "MillisBehindLatest": 0,
                    "ResponseMetadata": {"HTTPStatusCode": 200},
                },
            )
            events.append(body)
            if sum(len(e["Records"]) for e in events) == 3:
                break
        response["EventStream"].close()
        data = [r["Data"] for e in events for r in e["Records"]]
        assert data == [b"r0", b"r1", b"r2"]
        assert all(
            isinstance(r["ApproximateArrivalTimestamp"], dt.datetime)
            for e in events
            for r in e["Records"]
        )
        assert events[-1]["ContinuationSequenceNumber"]
        assert sim.elapsed > 0  # the events were pushed in virtual time


# -- CloudWatch -----------------------------------------------------------------------------------


def test_cloudwatch_queries_read_the_simulators_metrics():
    with kinesim.mock_aws() as sim:
        kinesis, cloudwatch = boto3.client("kinesis"), boto3.client("cloudwatch")
        kinesis.create_stream(StreamName="s", ShardCount=1)
        for minute in range(3):
            kinesis.put_records(
                StreamName="s",
                Records=[{"Data": b"x", "PartitionKey": str(i)} for i in range(10 * (minute + 1))],
            )
            sim.advance(60)
        dims = [{"Name": "StreamName", "Value": "s"}]
        start = sim.datetime - dt.timedelta(minutes=3)
        stats = check_shape(
            "cloudwatch",
            "GetMetricStatistics",
            cloudwatch.get_metric_statistics(
                Namespace="AWS/Kinesis",
                MetricName="IncomingRecords",
                Dimensions=dims,
                StartTime=start,
                EndTime=sim.datetime,
                Period=60,
                Statistics=["Sum", "SampleCount"],
            ),
        )
        assert [(p["Sum"], p["SampleCount"]) for p in stats["Datapoints"]] == [
            (10.0, 1.0),
            (20.0, 1.0),
            (30.0, 1.0),
        ]
        assert [p["Timestamp"] for p in stats["Datapoints"]] == [
            start + dt.timedelta(minutes=m) for m in range(3)
        ]
        data = check_shape(
            "cloudwatch",
            "GetMetricData",
            cloudwatch.get_metric_data(
                MetricDataQueries=[
                    {
                        "Id": "total",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/Kinesis",
                                "MetricName": "IncomingRecords",
                                "Dimensions": dims,
                            },
                            "Period": 120,
                            "Stat": "Sum",
                        },
                    },
                    {
                        "Id": "hidden",
                        "ReturnData": False,
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/Kinesis",
                                "MetricName": "IncomingRecords",
                                "Dimensions": dims,
                            },
                            "Period": 60,
                            "Stat": "p50",
                        },
                    },
                ],
                StartTime=start,
                EndTime=sim.datetime,
            ),
        )
        (result,) = data["MetricDataResults"]
        assert (result["Id"], result["Values"], result["StatusCode"]) == (
            "total",
            [30.0, 30.0],
            "Complete",
        )
        assert result["Timestamps"] == [start + dt.timedelta(minutes=2), start]  # newest first
        listed = check_shape(
            "cloudwatch",
            "ListMetrics",
            cloudwatch.list_metrics(Namespace="AWS/Kinesis", MetricName="IncomingRecords"),
        )
        assert listed["Metrics"] == [
            {"Namespace": "AWS/Kinesis", "MetricName": "IncomingRecords", "Dimensions": dims}
        ]
        with pytest.raises(
            cloudwatch.exceptions.InvalidParameterValueException, match="unknown statistics"
        ):
            cloudwatch.get_metric_statistics(
                Namespace="AWS/Kinesis",
                MetricName="IncomingRecords",
                StartTime=start,
                EndTime=sim.datetime,
                Period=60,
                Statistics=["Median"],
            )
        with pytest.raises(kinesim.KinesimValueError, match="PutMetricData"):
            cloudwatch.put_metric_data(
                Namespace="x", MetricData=[{"MetricName": "m", "Value": 1.0}]
            )


# -- errors and refusals --------------------------------------------------------------------------


def test_errors_are_botocores_client_errors_with_aws_codes_and_statuses():
    with kinesim.mock_aws() as sim:
        kinesis, lambda_, sqs, sns, s3 = (
            boto3.client(n) for n in ("kinesis", "lambda", "sqs", "sns", "s3")
        )
        own = sim.client("kinesis")
        with pytest.raises(kinesis.exceptions.ResourceNotFoundException) as caught:
            kinesis.describe_stream(StreamName="missing")
        with pytest.raises(kinesim.ResourceNotFoundException) as same:
            own.describe_stream(StreamName="missing")
        assert (
            caught.value.response["Error"]
            == same.value.response["Error"]
            == {
                "Code": "ResourceNotFoundException",
                "Message": "Stream missing under account 123456789012 not found.",
            }
        )
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        with pytest.raises(lambda_.exceptions.ResourceNotFoundException) as caught:
            lambda_.get_function(FunctionName="nope")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        with pytest.raises(sqs.exceptions.QueueDoesNotExist):
            sqs.get_queue_url(QueueName="nope")
        with pytest.raises(sns.exceptions.NotFoundException) as caught:
            sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:nope", Message="m")
        assert caught.value.response["Error"]["Code"] == "NotFound"
        s3.create_bucket(Bucket="bucket-1")
        with pytest.raises(s3.exceptions.NoSuchKey) as caught:
            s3.get_object(Bucket="bucket-1", Key="nope")
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_unsimulated_services_operations_and_regions_are_refused_before_sending():
    sent = []
    with kinesim.mock_aws():
        dynamodb = boto3.client("dynamodb")
        dynamodb.meta.events.register("before-send", lambda request, **_: sent.append(request))
        with pytest.raises(
            kinesim.KinesimValueError,
            match=r"does not simulate DynamoDB \(dynamodb.list_tables\).*not sent",
        ):
            dynamodb.list_tables()
        with pytest.raises(kinesim.KinesimValueError, match="SQS PurgeQueue"):
            boto3.client("sqs").purge_queue(
                QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/q"
            )
        with pytest.raises(kinesim.KinesimValueError, match=r"Region 'eu-west-1'.*us-east-1"):
            boto3.client("kinesis", region_name="eu-west-1").list_streams()
        late = boto3.client("kinesis")
    assert sent == []
    with pytest.raises(kinesim.KinesimValueError, match="block that has ended"):
        late.list_streams()


def test_one_simulator_per_region():
    home, away = kinesim.Simulator(), kinesim.Simulator(region="eu-west-1")
    with kinesim.mock_aws(home, regions={"eu-west-1": away}):
        boto3.client("kinesis", region_name="eu-west-1").create_stream(StreamName="s", ShardCount=1)
        assert boto3.client("kinesis").list_streams()["StreamNames"] == []
    assert away.client("kinesis").list_streams()["StreamNames"] == ["s"]
    assert home.client("kinesis").list_streams()["StreamNames"] == []
    with pytest.raises(kinesim.KinesimValueError, match="Simulator\\(region='ap-south-1'\\)"):
        kinesim.mock_aws(home, regions={"ap-south-1": away})


def test_fake_credentials_and_region_inside_the_block_only(monkeypatch):
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    with kinesim.mock_aws():
        assert os.environ["AWS_ACCESS_KEY_ID"] == "testing"
        assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_ACCESS_KEY_ID" not in os.environ
    assert "AWS_DEFAULT_REGION" not in os.environ
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "mine")
    with kinesim.mock_aws():
        assert os.environ["AWS_ACCESS_KEY_ID"] == "mine"


# -- the same answers on both roads ---------------------------------------------------------------


def _plain(value):
    """Timestamps compared as instants (botocore parses epoch seconds into local-zone datetimes)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.timestamp()
    return value


def handler(event, context):
    return {"records": len(event.get("Records", [])), "echo": event.get("echo")}


def test_boto3_and_sim_client_give_the_same_responses():
    with kinesim.mock_aws(kinesim.Simulator(seed=5)) as sim:
        kinesis, lambda_ = boto3.client("kinesis"), boto3.client("lambda")
        own, own_lambda = sim.client("kinesis"), sim.client("lambda")
        kinesis.create_stream(StreamName="s", ShardCount=2, Tags={"team": "a"})
        put = check_shape(
            "kinesis",
            "PutRecords",
            kinesis.put_records(
                StreamName="s", Records=[{"Data": b"\x00\xff", "PartitionKey": "k"}]
            ),
        )
        assert put["FailedRecordCount"] == 0
        for operation, kwargs in [
            ("describe_stream", {"StreamName": "s"}),
            ("describe_stream_summary", {"StreamName": "s"}),
            ("list_shards", {"StreamName": "s"}),
            ("list_tags_for_stream", {"StreamName": "s"}),
            ("list_streams", {}),
        ]:
            ours = getattr(own, operation)(**kwargs)
            theirs = getattr(kinesis, operation)(**kwargs)
            aws_name = "".join(part.title() for part in operation.split("_"))
            check_shape("kinesis", aws_name, theirs)
            assert _plain(theirs) == _plain(ours), operation
        shard = put["Records"][0]["ShardId"]
        iterator = kinesis.get_shard_iterator(
            StreamName="s", ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        (record,) = kinesis.get_records(ShardIterator=iterator)["Records"]
        assert record["Data"] == b"\x00\xff"
        own_lambda.create_function(FunctionName="f", handler=handler)
        created = own_lambda.get_function(FunctionName="f")
        assert _plain(
            check_shape("lambda", "GetFunction", lambda_.get_function(FunctionName="f"))
        ) == _plain(created)
        invoked = check_shape(
            "lambda",
            "Invoke",
            lambda_.invoke(FunctionName="f", Payload=json.dumps({"echo": "hi"}), LogType="Tail"),
        )
        assert json.loads(invoked["Payload"].read()) == {"records": 0, "echo": "hi"}
        assert invoked["StatusCode"] == 200
        assert invoked["ExecutedVersion"] == "$LATEST"
        assert base64.b64decode(invoked["LogResult"]).startswith(b"START RequestId")
        event = lambda_.invoke(FunctionName="f", InvocationType="Event", Payload=b"{}")
        assert event["StatusCode"] == 202


def test_destinations_through_boto3():
    with kinesim.mock_aws():
        sqs, sns, s3 = boto3.client("sqs"), boto3.client("sns"), boto3.client("s3")
        url = check_shape(
            "sqs",
            "CreateQueue",
            sqs.create_queue(QueueName="q", Attributes={"VisibilityTimeout": "5"}),
        )["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        topic = check_shape("sns", "CreateTopic", sns.create_topic(Name="t"))["TopicArn"]
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
        )
        check_shape("sns", "Publish", sns.publish(TopicArn=topic, Message="héllo <&>"))
        (message,) = check_shape(
            "sqs", "ReceiveMessage", sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        )["Messages"]
        assert message["Body"] == "héllo <&>"
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert "Messages" not in sqs.receive_message(QueueUrl=url)
        s3.create_bucket(Bucket="bucket-1")
        for key in ("b/2", "a b/1", "a%/3"):
            s3.put_object(Bucket="bucket-1", Key=key, Body=key.encode() * 3)
        listed = check_shape("s3", "ListObjectsV2", s3.list_objects_v2(Bucket="bucket-1"))
        assert [o["Key"] for o in listed["Contents"]] == ["a b/1", "a%/3", "b/2"]
        obj = s3.get_object(Bucket="bucket-1", Key="a b/1")
        assert (obj["Body"].read(), obj["ContentLength"]) == (b"a b/1" * 3, 15)


# -- decorator, nesting, the fixture --------------------------------------------------------------


@kinesim.mock_aws
def test_bare_decorator_gives_each_call_a_fresh_simulator():
    kinesis = boto3.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    assert kinesis.list_streams()["StreamNames"] == ["s"]


def test_decorating_coroutines_and_classes():
    sim = kinesim.Simulator()

    @kinesim.mock_aws(sim)
    async def create():
        boto3.client("kinesis").create_stream(StreamName="from-async", ShardCount=1)

    asyncio.run(create())
    assert sim.client("kinesis").list_streams()["StreamNames"] == ["from-async"]

    @kinesim.mock_aws(sim)
    class Suite:
        def test_one(self):
            return boto3.client("kinesis").list_streams()["StreamNames"]

        def helper(self):
            return "untouched"

    assert Suite().test_one() == ["from-async"]
    assert Suite().helper() == "untouched"


def test_blocks_nest_and_restore_botocore():
    import botocore.session

    original = botocore.session.Session.create_client
    outer, inner = kinesim.Simulator(), kinesim.Simulator()
    with kinesim.mock_aws(outer):
        with kinesim.mock_aws(inner):
            boto3.client("kinesis").create_stream(StreamName="inner", ShardCount=1)
        boto3.client("kinesis").create_stream(StreamName="outer", ShardCount=1)
    assert botocore.session.Session.create_client is original
    assert inner.client("kinesis").list_streams()["StreamNames"] == ["inner"]
    assert outer.client("kinesis").list_streams()["StreamNames"] == ["outer"]


def test_kinesim_aws_fixture(kinesim_aws):
    boto3.client("kinesis").create_stream(StreamName="s", ShardCount=1)
    assert kinesim_aws.client("kinesis").list_streams()["StreamNames"] == ["s"]


def test_a_handler_can_use_boto3_too(kinesim_aws):
    """A simulated Lambda handler that calls boto3 (here SQS) inside the block."""

    def forward(event, context):
        sqs = boto3.client("sqs")
        url = sqs.get_queue_url(QueueName="out")["QueueUrl"]
        for record in event["Records"]:
            sqs.send_message(
                QueueUrl=url, MessageBody=base64.b64decode(record["kinesis"]["data"]).decode()
            )

    kinesis, sqs, lambda_ = (boto3.client(n) for n in ("kinesis", "sqs", "lambda"))
    kinesis.create_stream(StreamName="s", ShardCount=1)
    url = sqs.create_queue(QueueName="out")["QueueUrl"]
    kinesim_aws.lambda_.create_function("forward", forward)
    lambda_.create_event_source_mapping(
        FunctionName="forward",
        EventSourceArn=stream_arn(kinesis, "s"),
        StartingPosition="TRIM_HORIZON",
    )
    for i in range(3):
        kinesis.put_record(StreamName="s", Data=f"m{i}".encode(), PartitionKey="k")
    kinesim_aws.drain()
    bodies = [
        m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert bodies == ["m0", "m1", "m2"]


def test_misuse_says_what_to_do():
    with pytest.raises(kinesim.KinesimTypeError, match=r"takes a kinesim\.Simulator"):
        kinesim.mock_aws("us-east-1")
    with pytest.raises(kinesim.KinesimTypeError, match="mapping of Region name to Simulator"):
        kinesim.mock_aws(regions=["eu-west-1"])
    home = kinesim.Simulator()
    clash = kinesim.mock_aws(home, regions={"us-east-1": kinesim.Simulator()})
    with pytest.raises(kinesim.KinesimValueError, match="sim's own Region"):
        clash.__enter__()
    block = kinesim.mock_aws(home)
    with block, pytest.raises(kinesim.KinesimValueError, match="already active"):
        block.__enter__()
    with pytest.raises(kinesim.KinesimTypeError, match="decorates a function"):
        kinesim.mock_aws(home)(42)


def test_a_decorated_class_routes_the_clients_its_set_up_makes():
    import unittest

    seen = []

    @kinesim.mock_aws
    class UnitTests(unittest.TestCase):
        def setUp(self):
            self.kinesis = boto3.client("kinesis")
            self.kinesis.create_stream(StreamName="made-in-setup", ShardCount=1)

        def test_stream(self):
            seen.append(self.kinesis.list_streams()["StreamNames"])

    result = unittest.TestResult()
    unittest.defaultTestLoader.loadTestsFromTestCase(UnitTests).run(result)
    assert result.wasSuccessful(), result.errors
    assert seen == [["made-in-setup"]]

    @kinesim.mock_aws
    class PytestStyle:
        def setup_method(self, method):
            self.sqs = boto3.client("sqs")
            self.url = self.sqs.create_queue(QueueName="q")["QueueUrl"]

        def teardown_method(self, method):
            seen.append("torn down")

        def test_send(self):
            self.sqs.send_message(QueueUrl=self.url, MessageBody="hi")
            seen.append(self.sqs.receive_message(QueueUrl=self.url)["Messages"][0]["Body"])

    suite = PytestStyle()
    suite.setup_method(None)
    suite.test_send()
    suite.teardown_method(None)
    assert seen[1:] == ["hi", "torn down"]
    with pytest.raises(kinesim.KinesimValueError, match="has ended"):
        suite.sqs.get_queue_url(QueueName="q")
