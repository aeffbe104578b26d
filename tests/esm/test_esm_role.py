"""The execution role (issue 7 §6): the policy model, the permissions CreateEventSourceMapping
checks, and destination sends that the role does not allow."""

from __future__ import annotations

from typing import Any

import pytest
from esm_helpers import Recorder

import kinesim
from kinesim._esm.permissions import CONSUMER_ACTIONS, STREAM_ACTIONS
from kinesim._iam import KINESIS_EXECUTION_POLICY

ACCOUNT = "123456789012"


def allow(*actions: str, resource: str | list[str] = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": resource}],
    }


def world(*policies: Any) -> tuple[kinesim.Simulator, Any, Any]:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    role = sim.iam.create_role("reader", policies=policies)
    fn = sim.lambda_.create_function("f", Recorder(fail_on={"bad"}), role=role.arn)
    sim.advance(0)
    return sim, stream, fn


# -- the policy model --------------------------------------------------------------------------


def test_evaluation_wildcards_deny_wins_default_deny() -> None:
    sim = kinesim.Simulator()
    stream_arn = f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/orders"
    role = sim.iam.create_role(
        "r",
        policies=[
            allow("kinesis:*", resource=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/ord*"),
            allow("sqs:Send?essage"),
            {
                "Statement": {
                    "Effect": "Deny",
                    "Action": "kinesis:ListShards",
                    "Resource": stream_arn,
                }
            },
        ],
    )
    assert role.arn == f"arn:aws:iam::{ACCOUNT}:role/r"
    assert role.allows("kinesis:GetRecords", stream_arn)
    assert role.allows("KINESIS:getrecords", stream_arn)  # actions ignore case
    assert not role.allows("kinesis:GetRecords", stream_arn.replace("orders", "payments"))
    assert not role.allows("kinesis:ListShards", stream_arn)  # an explicit Deny wins
    assert role.allows("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q")
    assert not role.allows("sns:Publish", "arn:aws:sns:us-east-1:1:t")  # nothing allows it


def test_not_action_and_not_resource() -> None:
    sim = kinesim.Simulator()
    role = sim.iam.create_role(
        "r",
        policies=[
            {"Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]},
            {
                "Statement": [
                    {"Effect": "Deny", "Action": "sqs:*", "NotResource": "arn:aws:sqs:*:*:ok"}
                ]
            },
        ],
    )
    assert role.allows("kinesis:GetRecords", "x")
    assert not role.allows("s3:PutObject", "arn:aws:s3:::b/k")
    assert role.allows("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:ok")
    assert not role.allows("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:other")


def test_policy_misuse_is_a_clear_kinesim_error() -> None:
    sim = kinesim.Simulator()
    with pytest.raises(kinesim.KinesimValueError, match="not modelled"):
        sim.iam.create_role(
            "r",
            policies=[
                {
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "*",
                            "Resource": "*",
                            "Condition": {"Bool": {"aws:SecureTransport": "true"}},
                        }
                    ]
                }
            ],
        )
    with pytest.raises(kinesim.KinesimValueError, match="managed policy kinesim knows"):
        sim.iam.create_role("r", policies=["arn:aws:iam::aws:policy/AdministratorAccess"])
    with pytest.raises(kinesim.KinesimValueError, match='"Allow" or "Deny"'):
        sim.iam.create_role("r", policies=[{"Statement": [{"Effect": "Maybe", "Action": "*"}]}])


def test_the_managed_policy_is_awss_document() -> None:
    (statement,) = KINESIS_EXECUTION_POLICY.statements
    assert statement.actions == (
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
        "kinesis:ListStreams",
        "kinesis:SubscribeToShard",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    )
    assert statement.resources == ("*",)


# -- CreateEventSourceMapping checks the role --------------------------------------------------


@pytest.mark.parametrize("missing", STREAM_ACTIONS)
def test_a_role_missing_a_read_permission_is_refused_naming_it(missing: str) -> None:
    granted = [f"kinesis:{a}" for a in STREAM_ACTIONS if a != missing]
    sim, stream, fn = world(allow(*granted))
    with pytest.raises(kinesim.InvalidParameterValueException) as err:
        sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    assert err.value.message == (
        f"The provided execution role does not have permissions to call {missing} on Kinesis"
    )
    assert err.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert sim.lambda_.list_event_source_mappings() == []


def test_permissions_on_another_stream_do_not_count() -> None:
    sim, stream, fn = world(
        allow("kinesis:*", resource=f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/other")
    )
    with pytest.raises(kinesim.InvalidParameterValueException, match="call GetRecords on"):
        sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")


def test_the_managed_policy_is_enough_for_a_stream_not_for_a_consumer() -> None:
    sim, stream, fn = world("arn:aws:iam::aws:policy/service-role/AWSLambdaKinesisExecutionRole")
    sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
    consumer = stream.register_consumer("c")
    with pytest.raises(kinesim.InvalidParameterValueException) as err:
        sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="LATEST")
    assert err.value.message.endswith("to call DescribeStreamConsumer on Kinesis")


@pytest.mark.parametrize("missing", CONSUMER_ACTIONS)
def test_a_consumer_source_needs_subscribe_and_describe_consumer(missing: str) -> None:
    granted = [f"kinesis:{a}" for a in (*STREAM_ACTIONS, *CONSUMER_ACTIONS) if a != missing]
    sim, stream, fn = world(allow(*granted))
    consumer = stream.register_consumer("c")
    with pytest.raises(kinesim.InvalidParameterValueException) as err:
        sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="LATEST")
    assert err.value.message.endswith(f"to call {missing} on Kinesis")


def test_default_and_unknown_roles_need_no_setup() -> None:
    sim = kinesim.Simulator()
    stream = sim.kinesis.create_stream("s", shard_count=1)
    consumer = stream.register_consumer("c")
    default = sim.lambda_.create_function("a")
    handwritten = sim.lambda_.create_function("b", role=f"arn:aws:iam::{ACCOUNT}:role/mine")
    for fn in (default, handwritten):
        sim.lambda_.create_event_source_mapping(fn, stream, starting_position="LATEST")
        sim.lambda_.create_event_source_mapping(fn, consumer, starting_position="LATEST")
    assert not sim.iam.role_of(default.role).modelled


def test_update_to_a_function_whose_role_lacks_permissions_is_refused() -> None:
    sim, stream, weak = world(allow("logs:*"))
    strong = sim.lambda_.create_function("g")
    esm = sim.lambda_.create_event_source_mapping(strong, stream, starting_position="LATEST")
    sim.advance(0)
    with pytest.raises(kinesim.InvalidParameterValueException, match="GetRecords on Kinesis"):
        sim.lambda_.update_event_source_mapping(esm, function=weak)
    assert esm.function is strong


# -- sending to the on-failure destination -----------------------------------------------------


READ = allow(*(f"kinesis:{a}" for a in STREAM_ACTIONS))


@pytest.mark.parametrize("kind", ["sqs", "sns", "s3"])
def test_a_missing_send_permission_is_a_counted_traced_delivery_failure(kind: str) -> None:
    sim, stream, fn = world(READ)
    target = {
        "sqs": lambda: sim.sqs.create_queue("dlq"),
        "sns": lambda: sim.sns.create_topic("dlq"),
        "s3": lambda: sim.s3.create_bucket("dlq"),
    }[kind]()
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", max_retry_attempts=0, on_failure=target
    )
    sim.advance(1)
    stream.put_record(b"bad", "k")
    stream.put_record(b"good", "k")
    sim.drain()
    # The record was given up all the same; nothing reached the destination.
    assert esm.ledger.fates() == {"RetryAttemptsExhausted": 2}
    assert esm.destination_delivery_failures == 1
    failures = sim.metrics.series("AWS/Lambda", "DestinationDeliveryFailures", FunctionName="f")
    assert failures.sum() == 1
    action = {"sqs": "SendMessage on SQS", "sns": "Publish on SNS", "s3": "PutObject on S3"}[kind]
    (discard,) = sim.trace.of_kind("esm.discard")
    assert discard.fields["delivered"] is False
    assert discard.fields["error"] == (
        f"The provided execution role does not have permissions to call {action}"
    )
    if kind == "sqs":
        assert target.bodies() == []


def test_the_send_permission_scoped_to_the_queue_delivers() -> None:
    sim = kinesim.Simulator()
    queue = sim.sqs.create_queue("dlq")
    role = sim.iam.create_role("r", policies=[READ, allow("sqs:SendMessage", resource=queue.arn)])
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", Recorder(fail_on={"bad"}), role=role.arn)
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", max_retry_attempts=0, on_failure=queue
    )
    sim.advance(1)
    stream.put_record(b"bad", "k")
    sim.drain()
    assert len(queue.bodies()) == 1
    assert esm.destination_delivery_failures == 0


def test_changing_the_functions_role_later_makes_sends_fail() -> None:
    sim = kinesim.Simulator()
    queue = sim.sqs.create_queue("dlq")
    stream = sim.kinesis.create_stream("s", shard_count=1)
    fn = sim.lambda_.create_function("f", Recorder(fail_on={"bad"}))
    esm = sim.lambda_.create_event_source_mapping(
        fn, stream, starting_position="LATEST", max_retry_attempts=0, on_failure=queue
    )
    sim.advance(1)
    stream.put_record(b"bad", "k")
    sim.drain()
    role = sim.iam.create_role("narrow", policies=[READ])
    sim.lambda_.update_function(fn, role=role.arn)
    stream.put_record(b"bad", "k")
    sim.drain()
    assert len(queue.bodies()) == 1
    assert esm.destination_delivery_failures == 1
