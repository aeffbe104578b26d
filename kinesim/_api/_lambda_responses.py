"""Lambda values as AWS response members (``sim.client("lambda")`` and ``mock_aws`` share them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kinesim._api._kinesis_responses import epoch_datetime

if TYPE_CHECKING:
    from kinesim._esm.description import MappingDescription

__all__ = ["event_source_mapping"]


def event_source_mapping(value: MappingDescription) -> dict[str, Any]:
    """``EventSourceMappingConfiguration`` (Kinesis members only), in AWS's member order."""
    settings = value.settings
    on_failure: dict[str, Any] = {}
    if value.destination_arn is not None:
        on_failure["Destination"] = value.destination_arn
    out: dict[str, Any] = {
        "BatchSize": settings.batch_size,
        "BisectBatchOnFunctionError": settings.bisect_on_error,
        "DestinationConfig": {"OnFailure": on_failure},
        "EventSourceArn": value.source_arn,
        "EventSourceMappingArn": value.arn,
    }
    if settings.filters:
        out["FilterCriteria"] = {"Filters": [{"Pattern": p} for p in settings.filters]}
    out.update(
        {
            "FunctionArn": value.function_arn,
            "FunctionResponseTypes": (
                ["ReportBatchItemFailures"] if settings.report_batch_item_failures else []
            ),
            "LastModified": epoch_datetime(value.last_modified_ms),
            "LastProcessingResult": value.last_processing_result,
            "MaximumBatchingWindowInSeconds": settings.batching_window,
            "MaximumRecordAgeInSeconds": settings.max_record_age,
            "MaximumRetryAttempts": settings.max_retry_attempts,
            "ParallelizationFactor": settings.parallelization_factor,
            "StartingPosition": value.starting_position,
        }
    )
    if value.starting_position_timestamp is not None:
        out["StartingPositionTimestamp"] = epoch_datetime(
            round(value.starting_position_timestamp * 1000)
        )
    out.update(
        {
            "State": value.state,
            "StateTransitionReason": value.state_transition_reason,
            "TumblingWindowInSeconds": settings.tumbling_window,
            "UUID": value.uuid,
        }
    )
    return out
