"""sim.client as a boto3 call site uses it: boto3's client arguments, errors that are also
botocore ClientErrors, a type per service, and where waiters and paginators are."""

from __future__ import annotations

import subprocess
import sys

import pytest

import kinesim
from kinesim._api import CLIENTS
from kinesim._api import types as client_types

botocore_exceptions = pytest.importorskip("botocore.exceptions")
botocore_config = pytest.importorskip("botocore.config")
ClientError = botocore_exceptions.ClientError


def test_boto3_client_arguments_are_accepted_and_the_region_checked(sim):
    kinesis = sim.client(
        "kinesis",
        region_name="us-east-1",
        endpoint_url="http://localhost:4566",
        config=botocore_config.Config(retries={"max_attempts": 2}),
        aws_access_key_id="a",
        aws_secret_access_key="b",
        aws_session_token="c",
        use_ssl=False,
        verify=False,
        api_version="2013-12-02",
    )
    kinesis.create_stream(StreamName="s", ShardCount=1)
    assert kinesis.list_streams()["StreamNames"] == ["s"]
    with pytest.raises(kinesim.KinesimValueError, match=r"region_name='eu-west-1'.*'us-east-1'"):
        sim.client("kinesis", region_name="eu-west-1")
    with pytest.raises(TypeError, match=r"unexpected keyword argument.*regoin_name"):
        sim.client("kinesis", regoin_name="us-east-1")


def test_errors_from_sim_client_are_also_client_errors(sim):
    kinesis, sns = sim.client("kinesis"), sim.client("sns")
    with pytest.raises(ClientError) as caught:
        kinesis.describe_stream(StreamName="missing")
    error = caught.value
    assert isinstance(error, kinesim.ResourceNotFoundException)
    assert isinstance(error, kinesis.exceptions.ResourceNotFoundException)
    assert isinstance(error, kinesim.AWSError)
    assert error.response == {
        "Error": {
            "Code": "ResourceNotFoundException",
            "Message": "Stream missing under account 123456789012 not found.",
        },
        "ResponseMetadata": {"HTTPStatusCode": 400},
    }
    assert error.operation_name == "DescribeStream"
    assert type(error).__name__ == "ResourceNotFoundException"
    # A code that differs from the class name keeps the AWS code.
    with pytest.raises(ClientError) as caught:
        sns.publish(TopicArn="arn:aws:sns:us-east-1:123456789012:nope", Message="m")
    assert caught.value.response["Error"]["Code"] == "NotFound"
    assert isinstance(caught.value, kinesim.NotFoundException)


def test_an_except_client_error_retry_loop_works_on_sim_client(sim):
    kinesis = sim.client("kinesis")
    kinesis.create_stream(StreamName="s", ShardCount=1)
    codes = []
    for _ in range(3):
        while True:
            try:
                kinesis.put_record(StreamName="s", Data=b"x" * 700_000, PartitionKey="k")
                break
            except ClientError as error:
                codes.append(error.response["Error"]["Code"])
                sim.advance(0.5)
    assert codes
    assert set(codes) == {"ProvisionedThroughputExceededException"}
    assert sim.elapsed >= 2.0


def test_paginators_and_waiters_point_to_mock_aws(sim):
    kinesis = sim.client("kinesis")
    refused = kinesim.KinesimValueError
    with pytest.raises(refused, match=r"get_paginator\('list_shards'\).*mock_aws"):
        kinesis.get_paginator("list_shards")
    with pytest.raises(refused, match=r"get_waiter\('stream_exists'\).*mock_aws"):
        kinesis.get_waiter("stream_exists")
    assert kinesis.can_paginate("list_shards") is False


@pytest.mark.parametrize("service", sorted(CLIENTS))
def test_each_service_type_lists_exactly_its_operations(service, sim):
    protocol = {
        "kinesis": client_types.KinesisClientType,
        "lambda": client_types.LambdaClientType,
        "sqs": client_types.SQSClientType,
        "sns": client_types.SNSClientType,
        "s3": client_types.S3ClientType,
        "cloudwatch": client_types.CloudWatchClientType,
    }[service]
    declared = set(protocol.__annotations__)
    operations = set(sim.client(service).operations)
    missing = "".join(f"\n    {name}: Operation" for name in sorted(operations - declared))
    assert declared == operations, (
        f"update {protocol.__name__} in kinesim/_api/types.py: add{missing or ' nothing'}; "
        f"remove {sorted(declared - operations)}"
    )


def test_mock_aws_is_reachable_without_loading_botocore():
    code = (
        "import sys, kinesim; m = kinesim.mock_aws; assert m.__name__ == 'mock_aws';"
        "print(sorted(x for x in sys.modules if x.split('.')[0] in ('botocore', 'boto3')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"
