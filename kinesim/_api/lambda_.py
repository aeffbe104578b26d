"""``sim.client("lambda")``: functions, Invoke, reserved concurrency and event source mappings,
translated to ``sim.lambda_``."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._api import _lambda_responses
from kinesim._api._base import STATUS, Client, StreamingBody, epoch_seconds, operation, read_blob
from kinesim._errors import InvalidParameterValueException, KinesimValueError
from kinesim._esm.mapping import EventSourceMapping
from kinesim._lambda.function import Function
from kinesim._lambda.package import (
    DeploymentPackage,
    PackageHandler,
    check_runtime,
    read_s3_package,
)

if TYPE_CHECKING:
    from kinesim._destinations.s3 import S3Service

__all__ = ["LambdaClient"]

_LOG_TAIL_BYTES = 4096
#: ListEventSourceMappings returns at most this many a page ("a maximum of 100 items in each
#: response, even if you set the number higher", Lambda API reference).
_LIST_PAGE = 100


def _configuration(fn: Function) -> dict[str, Any]:
    """FunctionConfiguration, as GetFunction and CreateFunction return it."""
    modified = datetime.fromtimestamp(fn._sim.now_ms / 1000, timezone.utc)
    out: dict[str, Any] = {
        "FunctionName": fn.name,
        "FunctionArn": fn.arn,
        "Runtime": fn.runtime or "python3.12",
        "Role": fn.role,
        "Handler": fn.handler_name or "kinesim.handler",
        "Timeout": fn.timeout,
        "MemorySize": fn.memory_mb,
        "LastModified": modified.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
        "Version": "$LATEST",
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": ["x86_64"],
    }
    package = _package(fn)
    if package is not None:
        out["CodeSize"] = package.size
        out["CodeSha256"] = package.sha256
    return out


def _package(fn: Function) -> DeploymentPackage | None:
    """The function's deployment package (None for a Python callable handler)."""
    handler = fn.handler
    return handler.package if isinstance(handler, PackageHandler) else None


def _code(code: dict[str, Any], s3: S3Service) -> bytes:
    """FunctionCode's zip: ``ZipFile`` bytes, or an object put in the simulator's S3."""
    unsupported = sorted(set(code) - {"ZipFile", "S3Bucket", "S3Key"})
    if unsupported:
        raise KinesimValueError(
            f"kinesim reads Code.ZipFile or Code.S3Bucket + Code.S3Key, not {unsupported}"
        )
    if "ZipFile" in code:
        if "S3Bucket" in code or "S3Key" in code:
            raise InvalidParameterValueException(
                "Please do not provide other FunctionCode parameters when providing a ZipFile."
            )
        return read_blob(code["ZipFile"])
    if "S3Bucket" not in code or "S3Key" not in code:
        raise InvalidParameterValueException(
            "Please provide a source for function code: ZipFile, or S3Bucket and S3Key."
        )
    return read_s3_package(s3, code["S3Bucket"], code["S3Key"])


def _settings(
    *,
    BatchSize: int | None,
    MaximumBatchingWindowInSeconds: int | None,
    ParallelizationFactor: int | None,
    BisectBatchOnFunctionError: bool | None,
    MaximumRetryAttempts: int | None,
    MaximumRecordAgeInSeconds: int | None,
    TumblingWindowInSeconds: int | None,
    FunctionResponseTypes: list[str] | None,
    FilterCriteria: dict[str, Any] | None,
) -> dict[str, Any]:
    """The domain's mapping keywords for the members that were given."""
    pairs = {
        "batch_size": BatchSize,
        "batching_window": MaximumBatchingWindowInSeconds,
        "parallelization_factor": ParallelizationFactor,
        "bisect_on_error": BisectBatchOnFunctionError,
        "max_retry_attempts": MaximumRetryAttempts,
        "max_record_age": MaximumRecordAgeInSeconds,
        "tumbling_window": TumblingWindowInSeconds,
    }
    out: dict[str, Any] = {k: v for k, v in pairs.items() if v is not None}
    if FunctionResponseTypes is not None:
        unknown = [t for t in FunctionResponseTypes if t != "ReportBatchItemFailures"]
        if unknown:
            raise KinesimValueError(
                f"FunctionResponseTypes takes ['ReportBatchItemFailures'] or [], got {unknown}"
            )
        out["report_batch_item_failures"] = bool(FunctionResponseTypes)
    if FilterCriteria is not None:
        out["filters"] = dict(FilterCriteria)  # the domain reads AWS's shape; [] clears
    return out


def _on_failure(config: dict[str, Any]) -> str | None:
    """DestinationConfig's OnFailure destination ARN (None when absent)."""
    unsupported = set(config) - {"OnFailure"}
    if unsupported:
        raise KinesimValueError(
            f"kinesim's Kinesis mappings take DestinationConfig.OnFailure only, got "
            f"{sorted(unsupported)} (AWS refuses OnSuccess for stream sources)"
        )
    destination: str | None = config.get("OnFailure", {}).get("Destination")
    return destination


class LambdaClient(Client):
    service_name = "lambda"

    # -- functions ------------------------------------------------------------------------------

    @operation("CreateFunction", status=201, not_required=("Role", "Code"))
    def _create_function(
        self,
        *,
        FunctionName: str,
        handler: Callable[[Any, Any], Any] | str | None = None,
        duration: Any = 0.0,
        cold_start: Any = 0.0,
        Role: str | None = None,
        Code: dict[str, Any] | None = None,
        Timeout: int = 3,
        MemorySize: int = 128,
        Runtime: str | None = None,
        Handler: str | None = None,
        Description: str | None = None,
    ) -> dict[str, Any]:
        """``Code={"ZipFile": ...}`` (or ``{"S3Bucket", "S3Key"}`` of an object put in the
        simulator's S3) with ``Handler="module.function"`` and a Python ``Runtime`` loads the
        handler from the zip, in the function's own module namespace. Without ``Code``,
        kinesim's ``handler`` keyword gives the code (a Python callable, or
        ``"module:function"``); ``Runtime`` and ``Handler`` are then echoed, not used.
        ``duration`` and ``cold_start`` (seconds or a duration model) are kinesim's, as
        ``sim.lambda_.create_function`` takes them."""
        if Code is not None:
            if handler is not None:
                raise KinesimValueError(
                    "give the code once: Code (a deployment package, with Handler) or kinesim's "
                    "handler= (a Python callable), not both"
                )
            fn = self._sim.lambda_.create_function(
                FunctionName,
                Handler,
                timeout=Timeout,
                memory_mb=MemorySize,
                duration=duration,
                cold_start=cold_start,
                role=Role,
                package=_code(dict(Code), self._sim.s3),
                runtime=Runtime,
            )
            out = _configuration(fn)
        else:
            if Runtime is not None:
                check_runtime(Runtime)  # refused as AWS refuses it, even when only echoed
            fn = self._sim.lambda_.create_function(
                FunctionName,
                handler,
                timeout=Timeout,
                memory_mb=MemorySize,
                duration=duration,
                cold_start=cold_start,
                role=Role,
            )
            out = _configuration(fn)
            if Runtime is not None:
                out["Runtime"] = Runtime
            if Handler is not None:
                out["Handler"] = Handler
        if Description is not None:
            out["Description"] = Description
        return out

    @operation("GetFunction")
    def _get_function(self, *, FunctionName: str) -> dict[str, Any]:
        fn = self._sim.lambda_.function(FunctionName)
        out: dict[str, Any] = {
            "Configuration": _configuration(fn),
            "Code": {"RepositoryType": "S3", "Location": ""},
        }
        if fn.reserved_concurrency is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": fn.reserved_concurrency}
        return out

    @operation("DeleteFunction")
    def _delete_function(self, *, FunctionName: str) -> dict[str, Any]:
        self._sim.lambda_.delete_function(FunctionName)
        return {}

    @operation("Invoke")
    def _invoke(
        self,
        *,
        FunctionName: str,
        InvocationType: str = "RequestResponse",
        LogType: str = "None",
        Payload: Any = b"",
    ) -> dict[str, Any]:
        """``Payload`` is the event as JSON bytes (or str, or a readable). A RequestResponse
        invocation **runs to completion in virtual time**: the handler runs now and the clock
        is advanced to the invocation's end (its duration, plus a cold start), running whatever
        else is due meanwhile. ``Event`` starts the invocation and returns 202 at once."""
        if InvocationType not in ("RequestResponse", "Event", "DryRun"):
            raise KinesimValueError(
                f"InvocationType takes RequestResponse, Event or DryRun, got {InvocationType!r}"
            )
        fn = self._sim.lambda_.function(FunctionName)
        raw = read_blob(Payload)
        event = json.loads(raw) if raw else {}
        if InvocationType == "DryRun":
            return {"StatusCode": 204, "Payload": StreamingBody(b""), STATUS: 204}
        invocation = fn.invoke(event, payload_size=len(raw))
        if InvocationType == "Event":
            return {"StatusCode": 202, "Payload": StreamingBody(b""), STATUS: 202}
        wait_ms = invocation.end_ms - self._sim.now_ms
        if wait_ms > 0:
            self._sim.advance_ms(wait_ms)
        response = invocation.invoke_response()
        response["Payload"] = StreamingBody(response["Payload"])
        if LogType == "Tail":
            logs = "\n".join(invocation.cloudwatch_lines()).encode()[-_LOG_TAIL_BYTES:]
            response["LogResult"] = base64.b64encode(logs).decode()
        return response

    # -- reserved concurrency -------------------------------------------------------------------

    @operation("PutFunctionConcurrency")
    def _put_function_concurrency(
        self, *, FunctionName: str, ReservedConcurrentExecutions: int
    ) -> dict[str, Any]:
        reserved = self._sim.lambda_.put_function_concurrency(
            FunctionName, ReservedConcurrentExecutions
        )
        return {"ReservedConcurrentExecutions": reserved}

    @operation("GetFunctionConcurrency")
    def _get_function_concurrency(self, *, FunctionName: str) -> dict[str, Any]:
        reserved = self._sim.lambda_.get_function_concurrency(FunctionName)
        return {} if reserved is None else {"ReservedConcurrentExecutions": reserved}

    @operation("DeleteFunctionConcurrency", status=204)
    def _delete_function_concurrency(self, *, FunctionName: str) -> dict[str, Any]:
        self._sim.lambda_.delete_function_concurrency(FunctionName)
        return {}

    # -- event source mappings ------------------------------------------------------------------

    @operation("CreateEventSourceMapping", status=202)
    def _create_event_source_mapping(
        self,
        *,
        FunctionName: str,
        EventSourceArn: str | None = None,
        Enabled: bool = True,
        StartingPosition: str | None = None,
        StartingPositionTimestamp: Any = None,
        DestinationConfig: dict[str, Any] | None = None,
        BatchSize: int | None = None,
        MaximumBatchingWindowInSeconds: int | None = None,
        ParallelizationFactor: int | None = None,
        BisectBatchOnFunctionError: bool | None = None,
        MaximumRetryAttempts: int | None = None,
        MaximumRecordAgeInSeconds: int | None = None,
        TumblingWindowInSeconds: int | None = None,
        FunctionResponseTypes: list[str] | None = None,
        FilterCriteria: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The mapping starts ``Creating`` (HTTP 202, as AWS)."""
        mapping = self._sim.lambda_.create_event_source_mapping(
            FunctionName,
            EventSourceArn,
            starting_position=StartingPosition,
            starting_position_timestamp=(
                None
                if StartingPositionTimestamp is None
                else epoch_seconds(StartingPositionTimestamp)
            ),
            on_failure=None if DestinationConfig is None else _on_failure(DestinationConfig),
            enabled=Enabled,
            **_settings(
                BatchSize=BatchSize,
                MaximumBatchingWindowInSeconds=MaximumBatchingWindowInSeconds,
                ParallelizationFactor=ParallelizationFactor,
                BisectBatchOnFunctionError=BisectBatchOnFunctionError,
                MaximumRetryAttempts=MaximumRetryAttempts,
                MaximumRecordAgeInSeconds=MaximumRecordAgeInSeconds,
                TumblingWindowInSeconds=TumblingWindowInSeconds,
                FunctionResponseTypes=FunctionResponseTypes,
                FilterCriteria=FilterCriteria,
            ),
        )
        return _lambda_responses.event_source_mapping(mapping.describe())

    @operation("GetEventSourceMapping")
    def _get_event_source_mapping(self, *, UUID: str) -> dict[str, Any]:
        mapping = self._sim.lambda_.get_event_source_mapping(UUID)
        return _lambda_responses.event_source_mapping(mapping.describe())

    @operation("ListEventSourceMappings")
    def _list_event_source_mappings(
        self,
        *,
        EventSourceArn: str | None = None,
        FunctionName: str | None = None,
        Marker: str | None = None,
        MaxItems: int = _LIST_PAGE,
    ) -> dict[str, Any]:
        """At most 100 mappings a page, as AWS, whatever ``MaxItems`` says; ``NextMarker``
        continues (boto3's paginator sends it back as ``Marker``)."""
        mappings: list[EventSourceMapping] = self._sim.lambda_.list_event_source_mappings(
            function=FunctionName, source=EventSourceArn
        )
        start = 0
        if Marker is not None:
            if not Marker.isdigit():
                raise InvalidParameterValueException(f"Invalid marker: {Marker}")
            start = int(Marker)
        end = start + min(MaxItems, _LIST_PAGE)
        out: dict[str, Any] = {
            "EventSourceMappings": [
                _lambda_responses.event_source_mapping(m.describe()) for m in mappings[start:end]
            ]
        }
        if end < len(mappings):
            out["NextMarker"] = str(end)
        return out

    @operation("UpdateEventSourceMapping", status=202)
    def _update_event_source_mapping(
        self,
        *,
        UUID: str,
        FunctionName: str | None = None,
        Enabled: bool | None = None,
        DestinationConfig: dict[str, Any] | None = None,
        BatchSize: int | None = None,
        MaximumBatchingWindowInSeconds: int | None = None,
        ParallelizationFactor: int | None = None,
        BisectBatchOnFunctionError: bool | None = None,
        MaximumRetryAttempts: int | None = None,
        MaximumRecordAgeInSeconds: int | None = None,
        TumblingWindowInSeconds: int | None = None,
        FunctionResponseTypes: list[str] | None = None,
        FilterCriteria: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``DestinationConfig={"OnFailure": {}}`` removes the destination."""
        changes = _settings(
            BatchSize=BatchSize,
            MaximumBatchingWindowInSeconds=MaximumBatchingWindowInSeconds,
            ParallelizationFactor=ParallelizationFactor,
            BisectBatchOnFunctionError=BisectBatchOnFunctionError,
            MaximumRetryAttempts=MaximumRetryAttempts,
            MaximumRecordAgeInSeconds=MaximumRecordAgeInSeconds,
            TumblingWindowInSeconds=TumblingWindowInSeconds,
            FunctionResponseTypes=FunctionResponseTypes,
            FilterCriteria=FilterCriteria,
        )
        if FunctionName is not None:
            changes["function"] = FunctionName
        if Enabled is not None:
            changes["enabled"] = Enabled
        if DestinationConfig is not None:
            changes["on_failure"] = _on_failure(DestinationConfig)
        mapping = self._sim.lambda_.update_event_source_mapping(UUID, **changes)
        return _lambda_responses.event_source_mapping(mapping.describe())

    @operation("DeleteEventSourceMapping", status=202)
    def _delete_event_source_mapping(self, *, UUID: str) -> dict[str, Any]:
        mapping = self._sim.lambda_.delete_event_source_mapping(UUID)
        return _lambda_responses.event_source_mapping(mapping.describe())
