"""``sim.client("lambda")``: functions, Invoke, reserved concurrency and event source mappings,
translated to ``sim.lambda_``."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from kinesim._api._base import STATUS, Client, StreamingBody, epoch_seconds, operation, read_blob
from kinesim._api._wire import parse_invoke_payload
from kinesim._errors import KinesimValueError
from kinesim._esm.mapping import EventSourceMapping
from kinesim._lambda.function import Function, wait_for_end

__all__ = ["LambdaClient"]

_CODE_HINT = "kinesim runs a Python callable: pass it as handler= (Code and ImageUri are not read)"
_LOG_TAIL_BYTES = 4096


def _configuration(fn: Function) -> dict[str, Any]:
    """FunctionConfiguration, as GetFunction and CreateFunction return it."""
    modified = datetime.fromtimestamp(fn._sim.now_ms / 1000, timezone.utc)
    return {
        "FunctionName": fn.name,
        "FunctionArn": fn.arn,
        "Runtime": "python3.12",
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

    @operation(
        "CreateFunction",
        status=201,
        not_required=("Role", "Code"),
        hints={"Code": _CODE_HINT},
    )
    def _create_function(
        self,
        *,
        FunctionName: str,
        handler: Callable[[Any, Any], Any] | str | None = None,
        duration: Any = 0.0,
        cold_start: Any = 0.0,
        Role: str | None = None,
        Timeout: int = 3,
        MemorySize: int = 128,
        Runtime: str | None = None,
        Handler: str | None = None,
        Description: str | None = None,
    ) -> dict[str, Any]:
        """kinesim's keywords: ``handler`` (the Python callable, or ``"module:function"``),
        ``duration`` and ``cold_start`` (seconds or a duration model), as
        ``sim.lambda_.create_function`` takes them. ``Runtime``, ``Handler`` and
        ``Description`` are echoed, not used."""
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
        event = parse_invoke_payload(raw)
        if InvocationType == "DryRun":
            return {"StatusCode": 204, "Payload": StreamingBody(b""), STATUS: 204}
        invocation = fn.invoke(event, payload_size=len(raw))
        if InvocationType == "Event":
            return {"StatusCode": 202, "Payload": StreamingBody(b""), STATUS: 202}
        wait_for_end(invocation)  # the clock, or a calling handler's own time (re-entrancy)
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
        return mapping.describe()

    @operation("GetEventSourceMapping")
    def _get_event_source_mapping(self, *, UUID: str) -> dict[str, Any]:
        return self._sim.lambda_.get_event_source_mapping(UUID).describe()

    @operation("ListEventSourceMappings")
    def _list_event_source_mappings(
        self, *, EventSourceArn: str | None = None, FunctionName: str | None = None
    ) -> dict[str, Any]:
        mappings: list[EventSourceMapping] = self._sim.lambda_.list_event_source_mappings(
            function=FunctionName, source=EventSourceArn
        )
        return {"EventSourceMappings": [m.describe() for m in mappings]}

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
        return self._sim.lambda_.update_event_source_mapping(UUID, **changes).describe()

    @operation("DeleteEventSourceMapping", status=202)
    def _delete_event_source_mapping(self, *, UUID: str) -> dict[str, Any]:
        return self._sim.lambda_.delete_event_source_mapping(UUID).describe()
