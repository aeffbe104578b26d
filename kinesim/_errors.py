"""kinesim's exceptions.

Two families, both under :class:`KinesimError`:

- :class:`AWSError` and its subclasses, named by their AWS error code, raised by AWS-shaped
  operations. Each carries the code, AWS's message text, the HTTP status and a
  botocore-``ClientError``-shaped :attr:`AWSError.response`, so code written against boto3 can read
  them the same way.
- Misuse of kinesim's own API: :class:`KinesimValueError` and :class:`KinesimTypeError`, which also
  subclass the built-in a caller would catch, and say the bad value and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

__all__ = [
    "AWSError",
    "AccessDeniedException",
    "BucketAlreadyOwnedByYou",
    "ExpiredIteratorException",
    "ExpiredNextTokenException",
    "InvalidArgumentException",
    "InvalidBucketName",
    "InvalidParameterException",
    "InvalidParameterValue",
    "InvalidParameterValueException",
    "KinesimError",
    "KinesimTypeError",
    "KinesimValueError",
    "LimitExceededException",
    "MissingParameter",
    "NoSuchBucket",
    "NoSuchKey",
    "NotDrained",
    "NotFoundException",
    "ParamValidationError",
    "ProvisionedThroughputExceededException",
    "QueueDoesNotExist",
    "ReceiptHandleIsInvalid",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "ServiceException",
    "TooManyRequestsException",
    "TraceFormatError",
    "ValidationException",
]


class KinesimError(Exception):
    """Base class of every exception kinesim raises on purpose."""


class KinesimValueError(KinesimError, ValueError):
    """A kinesim API was given a value it cannot use; the message says which and how to fix it."""


class KinesimTypeError(KinesimError, TypeError):
    """A kinesim API was given a value of the wrong type; the message says what it takes."""


class NotDrained(KinesimError):
    """``sim.drain()`` ran out of time: the message names the stuck shards, their records, since
    when and why; ``stuck`` holds the mappings that were not caught up."""

    def __init__(self, message: str, *, stuck: Sequence[object] = ()) -> None:
        super().__init__(message)
        self.stuck = list(stuck)


class ParamValidationError(KinesimValueError):
    """A ``sim.client(...)`` request botocore would refuse before sending it: a required member
    missing, an unknown member, or a value of the wrong type. The message is botocore's
    ``ParamValidationError`` text (``Parameter validation failed:`` then one line per problem)."""


class TraceFormatError(KinesimError, ValueError):
    """A file or byte string is not a valid kinesim trace."""


class AWSError(KinesimError):
    """An error AWS would return, named by its AWS error code.

    ``http_status`` defaults to the class's usual status; a service that uses another status for
    the same code (Lambda's ``ResourceNotFoundException`` is 404, Kinesis's is 400) passes it.
    ``extra`` adds top-level response fields such as Lambda's ``Type`` or ``Reason``.
    """

    code: ClassVar[str] = "AWSError"
    default_status: ClassVar[int] = 400

    def __init__(self, message: str, *, http_status: int | None = None, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.http_status = self.default_status if http_status is None else http_status
        self.extra = extra

    def __init_subclass__(cls, code: str | None = None, **kwargs: Any) -> None:
        # Most AWS codes are the class name; a few services' codes differ from the name boto3
        # gives the exception class (SNS's InvalidParameterException has code InvalidParameter).
        super().__init_subclass__(**kwargs)
        cls.code = cls.__name__ if code is None else code

    @property
    def response(self) -> dict[str, Any]:
        """The error as botocore's ``ClientError.response`` would show it."""
        response: dict[str, Any] = {
            "Error": {"Code": self.code, "Message": self.message},
            "ResponseMetadata": {"HTTPStatusCode": self.http_status},
        }
        response.update(self.extra)
        return response

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


def as_client_error(error: AWSError, operation_name: str) -> AWSError:
    """Make ``error`` also a ``botocore.exceptions.ClientError`` (with the same ``response``)
    when botocore is installed, so ``except ClientError`` catches kinesim's errors too.
    Returns ``error`` itself, to be re-raised."""
    cls = type(error)
    if cls not in _WITH_CLIENT_ERROR:
        _WITH_CLIENT_ERROR[cls] = _combine(cls)
    combined = _WITH_CLIENT_ERROR[cls]
    if combined is not None:
        # Changing the class of the error in flight keeps its identity and traceback; the
        # combined class only adds a base, so the instance layout is the same.
        error.__class__ = combined
        error.operation_name = operation_name  # type: ignore[attr-defined]
    return error


_WITH_CLIENT_ERROR: dict[type[AWSError], type[AWSError] | None] = {}


def _combine(cls: type[AWSError]) -> type[AWSError] | None:
    """``cls`` with botocore's ``ClientError`` as a second base (None without botocore)."""
    try:
        # botocore is optional and heavy: imported on the first error, never by `import kinesim`.
        from botocore.exceptions import ClientError
    except ImportError:
        return None
    if issubclass(cls, ClientError):
        return cls
    namespace = {"__module__": cls.__module__, "__qualname__": cls.__qualname__}
    # code= keeps the AWS code, which __init_subclass__ would otherwise take from the name.
    combined: type[AWSError] = type(cls.__name__, (cls, ClientError), namespace, code=cls.code)
    return combined


class AccessDeniedException(AWSError):
    default_status = 400


class ExpiredIteratorException(AWSError):
    default_status = 400


class ExpiredNextTokenException(AWSError):
    default_status = 400


class InvalidArgumentException(AWSError):
    default_status = 400


class InvalidParameterValueException(AWSError):
    default_status = 400


class LimitExceededException(AWSError):
    default_status = 400


class ProvisionedThroughputExceededException(AWSError):
    default_status = 400


class RequestTooLargeException(AWSError):
    default_status = 413


class ResourceConflictException(AWSError):
    default_status = 409


class ResourceInUseException(AWSError):
    default_status = 400


class ResourceNotFoundException(AWSError):
    default_status = 400


class ServiceException(AWSError):
    default_status = 500


class TooManyRequestsException(AWSError):
    default_status = 429


class ValidationException(AWSError):
    default_status = 400


# -- SQS, SNS and S3 (the destinations) -------------------------------------------------------


class InvalidParameterValue(AWSError):
    """SQS's code for a bad parameter, e.g. a message over the queue's MaximumMessageSize."""

    default_status = 400


class MissingParameter(AWSError):
    default_status = 400


class QueueDoesNotExist(AWSError):
    default_status = 400


class ReceiptHandleIsInvalid(AWSError):
    default_status = 400


class InvalidParameterException(AWSError, code="InvalidParameter"):
    """SNS's code for a bad parameter, e.g. a message over 256 KB."""

    default_status = 400


class NotFoundException(AWSError, code="NotFound"):
    """SNS's code for a topic that does not exist."""

    default_status = 404


class InvalidBucketName(AWSError):
    default_status = 400


class NoSuchBucket(AWSError):
    default_status = 404


class NoSuchKey(AWSError):
    default_status = 404


class BucketAlreadyOwnedByYou(AWSError):
    default_status = 409
