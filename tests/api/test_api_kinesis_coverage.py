"""sim.client("kinesis") serves every operation of botocore's Kinesis model: the stream API
round-trips in botocore's output shapes; queues and channels refuse, saying they are not
simulated."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from api_helpers import check_shape, service_model

import kinesim
from kinesim._api._base import snake_case
from kinesim._api.kinesis import NOT_SIMULATED


def shape(op, response):
    return check_shape("kinesis", op, response)


def test_every_operation_of_the_model_is_served(kinesis):
    model_ops = service_model("kinesis").operation_names
    missing = [
        op
        for op in model_ops
        if snake_case(op) not in kinesis.operations and op not in NOT_SIMULATED
    ]
    assert missing == [], f"operations botocore's Kinesis model has and kinesim lacks: {missing}"
    assert set(NOT_SIMULATED) <= set(model_ops)
    assert all(callable(getattr(kinesis, snake_case(op))) for op in model_ops)


@pytest.mark.parametrize("op", sorted(NOT_SIMULATED))
def test_operations_not_simulated_say_so(kinesis, op):
    with pytest.raises(NotImplementedError, match=f"kinesim does not simulate .*{op}"):
        getattr(kinesis, snake_case(op))(QueueARN="arn")
    with pytest.raises(kinesim.KinesimError):
        getattr(kinesis, snake_case(op))()


@pytest.fixture
def arn(sim, kinesis):
    kinesis.create_stream(StreamName="orders", ShardCount=2)
    sim.advance(60)
    return sim.kinesis.stream("orders").arn


def test_describe_limits(sim, kinesis, arn):
    kinesis.create_stream(StreamName="od", StreamModeDetails={"StreamMode": "ON_DEMAND"})
    limits = shape("DescribeLimits", kinesis.describe_limits())
    del limits["ResponseMetadata"]
    assert limits == {
        "ShardLimit": 20000,
        "OpenShardCount": 6,
        "OnDemandStreamCount": 1,
        "OnDemandStreamCountLimit": 50,
    }


def test_enhanced_monitoring(sim, kinesis, arn):
    on = shape(
        "EnableEnhancedMonitoring",
        kinesis.enable_enhanced_monitoring(
            StreamName="orders", ShardLevelMetrics=["IncomingRecords", "IncomingBytes"]
        ),
    )
    assert on["CurrentShardLevelMetrics"] == []
    assert on["DesiredShardLevelMetrics"] == ["IncomingBytes", "IncomingRecords"]
    assert (on["StreamName"], on["StreamARN"]) == ("orders", arn)
    off = shape(
        "DisableEnhancedMonitoring",
        kinesis.disable_enhanced_monitoring(StreamARN=arn, ShardLevelMetrics=["IncomingBytes"]),
    )
    assert off["DesiredShardLevelMetrics"] == ["IncomingRecords"]
    summary = kinesis.describe_stream_summary(StreamName="orders")["StreamDescriptionSummary"]
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingRecords"]}]
    kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k", ExplicitHashKey="0")
    series = sim.metrics.series(
        "AWS/Kinesis", "IncomingRecords", StreamName="orders", ShardId="shardId-000000000000"
    )
    assert series.sum() == 1


def test_stream_encryption(sim, kinesis, arn):
    shape(
        "StartStreamEncryption",
        kinesis.start_stream_encryption(
            StreamName="orders", EncryptionType="KMS", KeyId="alias/aws/kinesis"
        ),
    )
    put = kinesis.put_record(StreamName="orders", Data=b"x", PartitionKey="k")
    assert put["EncryptionType"] == "KMS"
    described = kinesis.describe_stream(StreamName="orders")["StreamDescription"]
    assert (described["EncryptionType"], described["KeyId"]) == ("KMS", "alias/aws/kinesis")
    shape(
        "StopStreamEncryption",
        kinesis.stop_stream_encryption(
            StreamARN=arn, EncryptionType="KMS", KeyId="alias/aws/kinesis"
        ),
    )
    assert kinesis.put_record(StreamARN=arn, Data=b"y", PartitionKey="k")["EncryptionType"] == (
        "NONE"
    )


def test_stream_mode_max_record_size_and_on_demand_settings(sim, kinesis, arn):
    shape(
        "UpdateStreamMode",
        kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"}),
    )
    assert sim.kinesis.stream("orders").mode == "ON_DEMAND"
    shape(
        "UpdateMaxRecordSize",
        kinesis.update_max_record_size(StreamARN=arn, MaxRecordSizeInKiB=2048),
    )
    shape(
        "UpdateStreamRecordDistributionStrategy",
        kinesis.update_stream_record_distribution_strategy(
            StreamARN=arn, RecordDistributionStrategy="USER_PARTITION_KEY"
        ),
    )
    with pytest.raises(kinesim.ValidationException, match="MinimumThroughputBillingCommitment"):
        kinesis.update_stream_warm_throughput(StreamARN=arn, WarmThroughputMiBps=100)
    kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    warm = shape(
        "UpdateStreamWarmThroughput",
        kinesis.update_stream_warm_throughput(StreamName="orders", WarmThroughputMiBps=100),
    )
    assert warm["WarmThroughput"] == {"TargetMiBps": 100, "CurrentMiBps": 100}
    summary = shape("DescribeStreamSummary", kinesis.describe_stream_summary(StreamARN=arn))[
        "StreamDescriptionSummary"
    ]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["MaxRecordSizeInKiB"] == 2048
    assert summary["RecordDistributionStrategy"] == "USER_PARTITION_KEY"
    assert summary["WarmThroughput"] == {"TargetMiBps": 100, "CurrentMiBps": 100}


def test_on_demand_settings_refused_on_provisioned_streams(kinesis, arn):
    with pytest.raises(kinesim.ValidationException, match="on-demand capacity mode"):
        kinesis.update_stream_record_distribution_strategy(
            StreamARN=arn, RecordDistributionStrategy="AUTO"
        )
    with pytest.raises(kinesim.ValidationException, match="ON_DEMAND capacity mode"):
        kinesis.create_stream(StreamName="p", ShardCount=1, WarmThroughputMiBps=10)


def test_tags_by_resource_arn(sim, kinesis, arn):
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]
    for resource in (arn, consumer["ConsumerARN"]):
        shape("TagResource", kinesis.tag_resource(ResourceARN=resource, Tags={"b": "2", "a": "1"}))
        listed = shape("ListTagsForResource", kinesis.list_tags_for_resource(ResourceARN=resource))
        assert listed["Tags"] == [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
        shape("UntagResource", kinesis.untag_resource(ResourceARN=resource, TagKeys=["a"]))
        assert kinesis.list_tags_for_resource(ResourceARN=resource)["Tags"] == [
            {"Key": "b", "Value": "2"}
        ]
    # The stream's tags are the same whichever operation reads them.
    assert kinesis.list_tags_for_stream(StreamName="orders")["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(kinesim.LimitExceededException, match="more than 50 tags"):
        kinesis.tag_resource(ResourceARN=arn, Tags={f"k{i}": "v" for i in range(50)})
    assert sim.kinesis.stream("orders").tags == {"b": "2"}
    gone = arn.replace("orders", "gone")
    with pytest.raises(kinesim.ResourceNotFoundException):
        kinesis.list_tags_for_resource(ResourceARN=gone)


def test_resource_policies_are_stored_and_returned(kinesis, arn):
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"]
    for resource in (arn, consumer["ConsumerARN"]):
        assert (
            shape("GetResourcePolicy", kinesis.get_resource_policy(ResourceARN=resource))["Policy"]
            == "{}"
        )
        shape("PutResourcePolicy", kinesis.put_resource_policy(ResourceARN=resource, Policy=policy))
        assert kinesis.get_resource_policy(ResourceARN=resource)["Policy"] == policy
        shape("DeleteResourcePolicy", kinesis.delete_resource_policy(ResourceARN=resource))
        assert kinesis.get_resource_policy(ResourceARN=resource)["Policy"] == "{}"
    with pytest.raises(kinesim.ValidationException, match="resourceARN"):
        kinesis.get_resource_policy(ResourceARN="arn:aws:sqs:us-east-1:123456789012:q")


def test_billing_commitment_lasts_at_least_24_hours(sim, kinesis):
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    settings = shape("DescribeAccountSettings", kinesis.describe_account_settings())
    assert settings["MinimumThroughputBillingCommitment"] == {"Status": "DISABLED"}
    enabled = shape(
        "UpdateAccountSettings",
        kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"}),
    )["MinimumThroughputBillingCommitment"]
    assert enabled == {
        "Status": "ENABLED",
        "StartedAt": start,
        "EarliestAllowedEndAt": start + dt.timedelta(hours=24),
    }
    sim.advance(3600)
    pending = kinesis.update_account_settings(
        MinimumThroughputBillingCommitment={"Status": "DISABLED"}
    )["MinimumThroughputBillingCommitment"]
    assert pending["Status"] == "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
    # Enabling again before the end cancels the pending disable.
    kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    sim.advance(86_400)
    status = kinesis.describe_account_settings()["MinimumThroughputBillingCommitment"]
    assert status["Status"] == "ENABLED"
    kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})
    pending_again = kinesis.update_account_settings(
        MinimumThroughputBillingCommitment={"Status": "ENABLED"}
    )
    assert pending_again["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED"
    # A disable before the 24 hours is scheduled; it takes effect at the earliest end.
    sim2 = kinesim.Simulator()
    client = sim2.client("kinesis")
    client.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    client.update_account_settings(MinimumThroughputBillingCommitment={"Status": "DISABLED"})
    sim2.advance(86_399.999)
    assert client.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == (
        "ENABLED_UNTIL_EARLIEST_ALLOWED_END"
    )
    sim2.advance(0.001)
    ended = client.describe_account_settings()["MinimumThroughputBillingCommitment"]
    assert ended["Status"] == "DISABLED"
    assert ended["EndedAt"] == start + dt.timedelta(hours=24)
