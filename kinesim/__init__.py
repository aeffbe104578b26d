"""kinesim: Amazon Kinesis Data Streams and AWS Lambda's Kinesis event source mapping, simulated
deterministically on a virtual clock.

The public API is what this module exports (``__all__``); everything in modules whose names start
with ``_`` is private and may change.
"""

from kinesim._config import Limits, Timings
from kinesim._core.scheduler import DEFAULT_START, Handle
from kinesim._errors import (
    AccessDeniedException,
    AWSError,
    ExpiredIteratorException,
    ExpiredNextTokenException,
    InvalidArgumentException,
    InvalidParameterValueException,
    KinesimError,
    KinesimTypeError,
    KinesimValueError,
    LimitExceededException,
    ProvisionedThroughputExceededException,
    RequestTooLargeException,
    ResourceConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
    ServiceException,
    TooManyRequestsException,
    TraceFormatError,
    ValidationException,
)
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
from kinesim._observe.metrics import Metrics, Series
from kinesim._observe.trace import Trace, TraceEvent
from kinesim._simulator import Simulator
from kinesim._version import __version__

__all__ = [
    "DEFAULT_START",
    "AWSError",
    "AccessDeniedException",
    "ExpiredIteratorException",
    "ExpiredNextTokenException",
    "GetRecordsResult",
    "Handle",
    "InvalidArgumentException",
    "InvalidParameterValueException",
    "KinesimError",
    "KinesimTypeError",
    "KinesimValueError",
    "LimitExceededException",
    "Limits",
    "Metrics",
    "ProvisionedThroughputExceededException",
    "PutRecordResult",
    "PutRecordsResult",
    "PutRecordsResultEntry",
    "Record",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "Series",
    "ServiceException",
    "Shard",
    "ShardRead",
    "Simulator",
    "Stream",
    "Timings",
    "TooManyRequestsException",
    "Trace",
    "TraceEvent",
    "TraceFormatError",
    "ValidationException",
    "__version__",
]
