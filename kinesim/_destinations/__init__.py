"""Where failed batches go: in-memory SQS queues, SNS topics and S3 buckets.

:func:`resolve` turns what a mapping was given as its on-failure destination (one of these objects
or its ARN) into the object, so the mapping can write to it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinesim._destinations.s3 import Bucket, S3Object, S3Service
from kinesim._destinations.sns import Published, SNSService, Subscription, Topic
from kinesim._destinations.sqs import Message, Queue, SQSService
from kinesim._errors import InvalidParameterValueException

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = [
    "Bucket",
    "Destination",
    "Message",
    "Published",
    "Queue",
    "S3Object",
    "S3Service",
    "SNSService",
    "SQSService",
    "Subscription",
    "Topic",
    "resolve",
]

Destination = Queue | Topic | Bucket


def resolve(sim: Simulator, target: object) -> Destination:
    """The queue, topic or bucket ``target`` is (or whose ARN it is) in this simulator.

    Raises ``InvalidParameterValueException`` for anything else: an ARN of another service, or
    of a queue/topic/bucket that does not exist here.
    """
    if isinstance(target, (Queue, Topic, Bucket)):
        if target._sim is not sim:
            raise InvalidParameterValueException(
                f"The destination {target.arn} belongs to another simulator.", Type="User"
            )
        return target
    found: Destination | None = None
    if isinstance(target, str):
        if target.startswith("arn:aws:sqs:"):
            found = sim.sqs.queue_by_arn(target)
        elif target.startswith("arn:aws:sns:"):
            found = sim.sns.topic_by_arn(target)
        elif target.startswith("arn:aws:s3:::"):
            found = sim.s3.bucket_by_arn(target)
    if found is None:
        raise InvalidParameterValueException(
            f"The provided destination {target!r} is not a valid destination: pass an SQS queue, "
            "SNS topic or S3 bucket of this simulator, or its ARN.",
            Type="User",
        )
    return found
