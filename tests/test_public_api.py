"""The public API is declared once, in kinesim.__all__; this pins it."""

import subprocess
import sys

import kinesim

PUBLIC = {
    "mock_aws",
    "Consumer",
    "Subscription",
    "FanoutEvent",
    "GetRecordsResult",
    "PutRecordResult",
    "PutRecordsResult",
    "PutRecordsResultEntry",
    "Record",
    "Shard",
    "ShardRead",
    "Stream",
    "AccessDeniedException",
    "AWSError",
    "Bucket",
    "BucketAlreadyOwnedByYou",
    "Constant",
    "DEFAULT_START",
    "DurationModel",
    "Empirical",
    "ExpiredIteratorException",
    "ExpiredNextTokenException",
    "Function",
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
    "LimitExceededException",
    "Limits",
    "LogNormal",
    "Message",
    "Metrics",
    "MissingParameter",
    "NoSuchBucket",
    "NoSuchKey",
    "NotFoundException",
    "NotInInvocationError",
    "ProvisionedThroughputExceededException",
    "Queue",
    "QueueDoesNotExist",
    "ReceiptHandleIsInvalid",
    "RequestTooLargeException",
    "ResourceConflictException",
    "ResourceInUseException",
    "ResourceNotFoundException",
    "S3Object",
    "Series",
    "ServiceException",
    "Simulator",
    "spend",
    "Timings",
    "TooManyRequestsException",
    "Topic",
    "Trace",
    "TraceEvent",
    "TraceFormatError",
    "Uniform",
    "ValidationException",
    "__version__",
    "EventSourceMapping",
    "ExponentialBackoff",
    "Ledger",
    "NotDrained",
    "ParamValidationError",
    "Policy",
    "Role",
    "Statement",
}


def test_all_is_pinned():
    assert set(kinesim.__all__) == PUBLIC
    assert len(kinesim.__all__) == len(PUBLIC)


def test_every_exported_name_exists():
    for name in kinesim.__all__:
        assert getattr(kinesim, name) is not None, name


def test_import_is_light():
    code = (
        "import sys, kinesim, kinesim._pytest_plugin as _p;"
        "heavy = {'hypothesis', 'boto3', 'botocore', 'matplotlib', 'dask', 'pandas'};"
        "heavy &= set(sys.modules);"
        "print(sorted(heavy))"
    )
    # The plugin imports pytest by design; kinesim itself must not.
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    assert out.strip() == "[]"
    out = subprocess.run(
        [sys.executable, "-c", "import sys, kinesim; print('pytest' in sys.modules)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert out.strip() == "False"


def test_aws_errors_are_shaped_like_botocore_client_errors():
    err = kinesim.TooManyRequestsException(
        "Rate Exceeded.", Reason="ConcurrentInvocationLimitExceeded", Type="User"
    )
    assert err.code == "TooManyRequestsException"
    assert err.http_status == 429
    assert err.response == {
        "Error": {"Code": "TooManyRequestsException", "Message": "Rate Exceeded."},
        "ResponseMetadata": {"HTTPStatusCode": 429},
        "Reason": "ConcurrentInvocationLimitExceeded",
        "Type": "User",
    }
    assert str(err) == "TooManyRequestsException: Rate Exceeded."
    assert isinstance(err, kinesim.KinesimError)
    assert kinesim.ResourceNotFoundException("x", http_status=404).http_status == 404
    assert repr(kinesim.ValidationException("m")) == "ValidationException('m')"


def test_usage_errors_subclass_the_builtins():
    assert issubclass(kinesim.KinesimValueError, ValueError)
    assert issubclass(kinesim.KinesimTypeError, TypeError)
    assert issubclass(kinesim.TraceFormatError, ValueError)
