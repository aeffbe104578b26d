"""What the function's execution role must allow for a mapping to read and to send.

CreateEventSourceMapping checks the role for the Kinesis calls Lambda makes on the function's
behalf (the actions of the managed AWSLambdaKinesisExecutionRole [seed]), refusing a role that
lacks one with ``InvalidParameterValueException`` naming it. Sending an on-failure record is
checked when it is sent: a missing send permission is a delivery failure, counted in
``DestinationDeliveryFailures`` and traced, never silent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinesim._errors import InvalidParameterValueException

if TYPE_CHECKING:
    from kinesim._destinations import Destination
    from kinesim._kinesis.fanout import Consumer
    from kinesim._kinesis.stream import Stream
    from kinesim._lambda.function import Function
    from kinesim._simulator import Simulator

__all__ = ["CONSUMER_ACTIONS", "STREAM_ACTIONS", "check_execution_role", "send_denied"]

#: Checked on the stream ARN, in this order (the first missing one is named).
STREAM_ACTIONS = (
    "GetRecords",
    "GetShardIterator",
    "DescribeStream",
    "DescribeStreamSummary",
    "ListShards",
)
#: Also checked, on the consumer ARN, for a mapping that reads through a consumer.
CONSUMER_ACTIONS = ("SubscribeToShard", "DescribeStreamConsumer")


def _missing(action: str, service: str) -> InvalidParameterValueException:
    # AWS's wording for a role missing a permission Lambda checks, as observed for other
    # services ("... to call SendMessage on SQS", "... CreateNetworkInterface on EC2").
    return InvalidParameterValueException(
        f"The provided execution role does not have permissions to call {action} on {service}",
        Type="User",
    )


def check_execution_role(
    sim: Simulator, function: Function, stream: Stream, consumer: Consumer | None
) -> None:
    """Raise AWS's error if ``function``'s role cannot make the calls the mapping needs."""
    role = sim.iam.role_of(function.role)
    for action in STREAM_ACTIONS:
        if not role.allows(f"kinesis:{action}", stream.arn):
            raise _missing(action, "Kinesis")
    if consumer is not None:
        for action in CONSUMER_ACTIONS:
            if not role.allows(f"kinesis:{action}", consumer.arn):
                raise _missing(action, "Kinesis")


def send_denied(
    sim: Simulator, function: Function, destination: Destination, s3_key: str | None
) -> str | None:
    """Why the role may not send to ``destination`` (the AWS-style message), or None."""
    arn = destination.arn
    if arn.startswith("arn:aws:s3:::"):
        action, service, resource = "s3:PutObject", "S3", f"{arn}/{s3_key}"
    elif arn.startswith("arn:aws:sns:"):
        action, service, resource = "sns:Publish", "SNS", arn
    else:
        action, service, resource = "sqs:SendMessage", "SQS", arn
    if sim.iam.role_of(function.role).allows(action, resource):
        return None
    return _missing(action.split(":", 1)[1], service).message
