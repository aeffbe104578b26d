"""The AWS API layer: boto3-shaped clients over the simulated services (``sim.client(...)``).

Pure translation: each client renames boto3's PascalCase request members to the domain's
keywords, validates requests as botocore does on the client side, and reshapes results into
boto3's response dicts. It imports only from the layers below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kinesim._api._base import Client, ParamValidationError, StreamingBody
from kinesim._api.cloudwatch import CloudWatchClient
from kinesim._api.kinesis import EventStream, KinesisClient
from kinesim._api.lambda_ import LambdaClient
from kinesim._api.s3 import S3Client
from kinesim._api.sns import SNSClient
from kinesim._api.sqs import SQSClient
from kinesim._errors import KinesimTypeError, KinesimValueError

if TYPE_CHECKING:
    from kinesim._simulator import Simulator

__all__ = [
    "BOTO3_ARGUMENTS",
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
    "cloudwatch": CloudWatchClient,
}


#: boto3's ``client()`` / ``Session.client()`` arguments: accepted, so boto3 call sites work
#: unchanged, and ignored (kinesim has no endpoint, credentials or transport), except the Region.
BOTO3_ARGUMENTS = frozenset(
    {
        "region_name",
        "api_version",
        "use_ssl",
        "verify",
        "endpoint_url",
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_account_id",
        "config",
    }
)


def make_client(sim: Simulator, service_name: str, **boto3_kwargs: Any) -> Client:
    """The client of ``service_name`` for ``sim``; ``boto3_kwargs`` as boto3's ``client()``
    takes them (a ``region_name`` must be the simulator's)."""
    cls = CLIENTS.get(service_name) if isinstance(service_name, str) else None
    if cls is None:
        raise KinesimValueError(
            f"kinesim simulates no service {service_name!r}; sim.client() takes "
            f"{', '.join(repr(n) for n in CLIENTS)}"
        )
    unknown = sorted(set(boto3_kwargs) - BOTO3_ARGUMENTS)
    if unknown:
        raise KinesimTypeError(
            f"sim.client() got unexpected keyword argument(s) {', '.join(unknown)}; it takes "
            f"boto3's client arguments: {', '.join(sorted(BOTO3_ARGUMENTS))}"
        )
    region = boto3_kwargs.get("region_name")
    if region is not None and region != sim.region:
        raise KinesimValueError(
            f"sim.client({service_name!r}, region_name={region!r}): this simulator is Region "
            f"{sim.region!r}; use region_name={sim.region!r}, or a Simulator(region={region!r})"
        )
    return cls(sim)
