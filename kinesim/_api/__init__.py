"""The AWS API layer: boto3-shaped clients over the simulated services (``sim.client(...)``).

Pure translation: each client renames boto3's PascalCase request members to the domain's
keywords, validates requests as botocore does on the client side, and reshapes results into
boto3's response dicts. It imports only from the layers below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kinesim._api._base import Client, ParamValidationError, StreamingBody
from kinesim._api.kinesis import EventStream, KinesisClient
from kinesim._api.lambda_ import LambdaClient
from kinesim._api.s3 import S3Client
from kinesim._api.sns import SNSClient
from kinesim._api.sqs import SQSClient
from kinesim._errors import KinesimValueError

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = [
    "CLIENTS",
    "Client",
    "EventStream",
    "ParamValidationError",
    "StreamingBody",
    "make_client",
]

CLIENTS: dict[str, type[Client]] = {
    "kinesis": KinesisClient,
    "lambda": LambdaClient,
    "sqs": SQSClient,
    "sns": SNSClient,
    "s3": S3Client,
}


def make_client(sim: Simulator, service_name: str) -> Client:
    """The client of ``service_name`` for ``sim``."""
    cls = CLIENTS.get(service_name) if isinstance(service_name, str) else None
    if cls is None:
        raise KinesimValueError(
            f"kinesim simulates no service {service_name!r}; sim.client() takes "
            f"{', '.join(repr(n) for n in CLIENTS)}"
        )
    return cls(sim)
