"""kinesim: Amazon Kinesis Data Streams and AWS Lambda's Kinesis event source mapping, simulated
deterministically on a virtual clock.

The public API is what this module exports (``__all__``); everything in modules whose names start
with ``_`` is private and may change.
"""

from typing import TYPE_CHECKING, Any

from kinesim._config import Limits, Timings
from kinesim._core.scheduler import DEFAULT_START, Handle
from kinesim._destinations import Bucket, Message, Queue, S3Object, Topic
from kinesim._errors import (
    AccessDeniedException,
    AWSError,
    BucketAlreadyOwnedByYou,
    ExpiredIteratorException,
    ExpiredNextTokenException,
    InvalidArgumentException,
    InvalidBucketName,
    InvalidParameterException,
    InvalidParameterValue,
    InvalidParameterValueException,
    KinesimError,
    KinesimTypeError,
    KinesimValueError,
    LimitExceededException,
    MissingParameter,
    NoSuchBucket,
    NoSuchKey,
    NotDrained,
    NotFoundException,
    ParamValidationError,
    ProvisionedThroughputExceededException,
    QueueDoesNotExist,
    ReceiptHandleIsInvalid,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
    ServiceException,
    TooManyRequestsException,
    TraceFormatError,
    ValidationException,
)
from kinesim._esm import EventSourceMapping, ExponentialBackoff
from kinesim._iam import Policy, Role, Statement
from kinesim._kinesis import (
    GetRecordsResult,
    PutRecordResult,
    PutRecordsResult,
    PutRecordsResultEntry,
    Record,
    Shard,
    ShardRead,
    Stream,
)
from kinesim._kinesis.fanout import Consumer, FanoutEvent, Subscription
from kinesim._lambda import (
    Constant,
    DurationModel,
    Empirical,
    Function,
    Invocation,
    LambdaContext,
    LogNormal,
    NotInInvocationError,
    Uniform,
    spend,
)
from kinesim._observe.ledger import Ledger
from kinesim._observe.metrics import Metrics, Series
from kinesim._observe.trace import Trace, TraceEvent
from kinesim._simulator import Simulator
from kinesim._version import __version__

if TYPE_CHECKING:
    from kinesim._api.mock import mock_aws

__all__ = [
    "DEFAULT_START",
    "AWSError",
    "AccessDeniedException",
    "Bucket",
    "BucketAlreadyOwnedByYou",
    "Constant",
    "Consumer",
    "DurationModel",
    "Empirical",
    "EventSourceMapping",
    "ExpiredIteratorException",
    "ExpiredNextTokenException",
    "ExponentialBackoff",
    "FanoutEvent",
    "Function",
    "GetRecordsResult",
    "Handle",
    "InvalidArgumentException",
    "InvalidBucketName",
    "InvalidParameterException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "Invocation",
    "KinesimError",
    "KinesimTypeError",
    "KinesimValueError",
    "LambdaContext",
    "Ledger",
    "LimitExceededException",
    "Limits",
    "LogNormal",
    "Message",
    "Metrics",
    "MissingParameter",
    "NoSuchBucket",
    "NoSuchKey",
    "NotDrained",
    "NotFoundException",
    "NotInInvocationError",
    "ParamValidationError",
    "Policy",
    "ProvisionedThroughputExceededException",
    "PutRecordResult",
    "PutRecordsResult",
    "PutRecordsResultEntry",
    "Queue",
    "QueueDoesNotExist",
    "ReceiptHandleIsInvalid",
    "Record",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "Role",
    "S3Object",
    "Series",
    "ServiceException",
    "Shard",
    "ShardRead",
    "Simulator",
    "Statement",
    "Stream",
    "Subscription",
    "Timings",
    "TooManyRequestsException",
    "Topic",
    "Trace",
    "TraceEvent",
    "TraceFormatError",
    "Uniform",
    "ValidationException",
    "__version__",
    "mock_aws",
    "spend",
]


def __getattr__(name: str) -> Any:
    # mock_aws lives in the API layer, which `import kinesim` does not load (it is the layer
    # above the domain, and mock_aws brings botocore in): it is loaded on first use.
    if name == "mock_aws":
        from kinesim._api.mock import mock_aws

        return mock_aws
    raise AttributeError(f"module 'kinesim' has no attribute {name!r}")
