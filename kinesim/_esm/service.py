"""The registry of event source mappings: create / get / list / update / delete, and drain.

``sim.lambda_`` exposes these operations through :class:`EventSourceMappingMethods` (a mixin of
the Lambda service); the registry itself lives on the simulator (``sim._mappings``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    InvalidParameterValueException,
    KinesimError,
    KinesimTypeError,
    KinesimValueError,
    NotDrained,
    ResourceConflictException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from kinesim._esm.config import MappingSettings, validate_settings, validate_starting_position
from kinesim._esm.destinations import uuid_from
from kinesim._esm.mapping import EventSourceMapping
from kinesim._esm.permissions import check_execution_role
from kinesim._esm.retry import ExponentialBackoff
from kinesim._kinesis.fanout import Consumer
from kinesim._kinesis.stream import Stream

if TYPE_CHECKING:
    from kinesim._destinations import Destination
    from kinesim._lambda.function import Function
    from kinesim._simulator import Simulator

__all__ = [
    "ITERATOR_AGE_SAMPLING",
    "PARALLEL_FAILURE_POLICIES",
    "EventSourceMappingMethods",
    "MappingService",
]

#: What a failing batch blocks under ParallelizationFactor > 1 (kinesim's; AWS documents none).
PARALLEL_FAILURE_POLICIES = ("shard", "lane")
#: When the IteratorAge metric is sampled: when the function finishes a batch (the Kinesis page,
#: the default) or when the mapping sends the event (the Lambda metrics reference).
ITERATOR_AGE_SAMPLING = ("batch_end", "invoke")

_UNSET: Any = object()


def _not_found() -> ResourceNotFoundException:
    message = "The resource you requested does not exist."
    return ResourceNotFoundException(message, http_status=404, Message=message, Type="User")


#: ARN services Lambda maps from that kinesim does not simulate as sources [BC-L]
#: CreateEventSourceMapping.EventSourceArn.
_OTHER_SOURCES = ("sqs", "dynamodb", "kafka", "mq", "rds", "docdb")


def _source_arn(source: object) -> str:
    """The ARN of a mapping's source, once it is known to name a Kinesis stream or consumer.

    Checked before every other parameter, as AWS does: a mapping without an event source is
    refused with "Unrecognized event source." whatever else is missing [AWS-snapshot §2.4].
    """
    if isinstance(source, (Stream, Consumer)):
        return source.arn
    arn = getattr(source, "arn", None) if not isinstance(source, str) else source
    if source is None or not isinstance(arn, str):
        if source is not None:
            raise KinesimTypeError(
                f"source takes a kinesim Stream or Consumer, or its ARN, got {source!r}; "
                "e.g. sim.kinesis.create_stream('orders', shard_count=1)"
            )
        raise InvalidParameterValueException("Unrecognized event source.", Type="User")
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "kinesis":
        if parts[5].startswith("stream/"):
            return arn
    elif len(parts) == 6 and parts[0] == "arn" and parts[2] in _OTHER_SOURCES:
        # ASSUMED text (kinesim's): AWS would map these sources; kinesim simulates Kinesis only.
        raise InvalidParameterValueException(
            f"Unsupported event source: {arn}. kinesim's event source mappings read Kinesis "
            "data streams and their consumers (arn:aws:kinesis:...:stream/...) only.",
            Type="User",
        )
    raise InvalidParameterValueException("Unrecognized event source.", Type="User")


class MappingService:
    """Every event source mapping of one simulator, in creation order."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._mappings: dict[str, EventSourceMapping] = {}
        self._rng = sim.random("esm.uuid")

    # -- resolution ---------------------------------------------------------------------------

    def _function(self, function: object) -> Function:
        lambda_ = self.sim.lambda_
        try:
            return lambda_.function(function)  # type: ignore[arg-type]
        except ResourceNotFoundException:
            raise InvalidParameterValueException("Function does not exist", Type="User") from None

    def _stream(self, source: object) -> Stream:
        return self._source(source)[0]

    def _source(self, source: object) -> tuple[Stream, Consumer | None]:
        """The stream, and the consumer for a fan-out source (a Consumer or consumer ARN)."""
        kinesis = self.sim.kinesis
        arn = _source_arn(source)
        if "/consumer/" in arn:
            try:
                consumer = kinesis.consumer_by_arn(arn)
            except KinesimError:
                # ASSUMED text, after the recorded "Stream not found: <arn>".
                raise InvalidParameterValueException(
                    f"Stream consumer not found: {arn}", Type="User"
                ) from None
            return consumer.stream, consumer
        try:
            return kinesis.stream_by_arn(arn), None
        except KinesimError:
            raise InvalidParameterValueException(f"Stream not found: {arn}", Type="User") from None

    def _destination(self, target: object) -> Destination | None:
        if target is None:
            return None
        from kinesim._destinations import resolve

        return resolve(self.sim, target)

    # -- operations ---------------------------------------------------------------------------

    def create(
        self,
        function: object,
        source: object,
        *,
        starting_position: str | None = None,
        starting_position_timestamp: float | None = None,
        batch_size: int = 100,
        batching_window: float = 0,
        parallelization_factor: int = 1,
        bisect_on_error: bool = False,
        max_retry_attempts: int = -1,
        max_record_age: int = -1,
        on_failure: object = None,
        report_batch_item_failures: bool = False,
        tumbling_window: int = 0,
        filters: object = None,
        enabled: bool = True,
        retry_backoff: ExponentialBackoff | None = None,
        parallel_failure_policy: str = "shard",
        iterator_age_at: str = "batch_end",
    ) -> EventSourceMapping:
        # The order AWS checks in: the event source's kind, the model's constraints, then the
        # resources, then conflicts.
        _source_arn(source)
        position, timestamp = validate_starting_position(
            starting_position, starting_position_timestamp
        )
        settings = validate_settings(
            MappingSettings(),
            batch_size=batch_size,
            batching_window=batching_window,
            parallelization_factor=parallelization_factor,
            bisect_on_error=bisect_on_error,
            max_retry_attempts=max_retry_attempts,
            max_record_age=max_record_age,
            report_batch_item_failures=report_batch_item_failures,
            tumbling_window=tumbling_window,
            filters=filters,
        )
        if not isinstance(enabled, bool):
            raise KinesimTypeError(f"enabled takes True or False, got {enabled!r}")
        backoff = retry_backoff if retry_backoff is not None else ExponentialBackoff()
        if not isinstance(backoff, ExponentialBackoff):
            raise KinesimTypeError(
                f"retry_backoff takes a kinesim.ExponentialBackoff, got {retry_backoff!r}"
            )
        if parallel_failure_policy not in PARALLEL_FAILURE_POLICIES:
            raise KinesimValueError(
                f"parallel_failure_policy takes 'shard' or 'lane', got {parallel_failure_policy!r}"
            )
        if iterator_age_at not in ITERATOR_AGE_SAMPLING:
            raise KinesimValueError(
                f"iterator_age_at takes 'batch_end' (when the function finishes a batch) or "
                f"'invoke' (when the event is sent), got {iterator_age_at!r}"
            )
        _refuse_part_two(settings)
        stream, consumer = self._source(source)
        fn = self._function(function)
        check_execution_role(self.sim, fn, stream, consumer)
        source_arn = stream.arn if consumer is None else consumer.arn
        if timestamp is not None and timestamp * 1000 > self.sim.now_ms:
            # ASSUMED text; AWS documents "cannot be in the future".
            raise InvalidParameterValueException(
                "StartingPositionTimestamp cannot be in the future.", Type="User"
            )
        destination = self._destination(on_failure)
        for existing in self._mappings.values():
            if existing.source_arn == source_arn and existing.function is fn:
                raise ResourceConflictException(
                    f'The event source arn (" {source_arn} ") and function (" {fn.name} ") '
                    "provided mapping already exists. Please update or delete the existing "
                    f"mapping with UUID {existing.uuid}",
                    Type="User",
                )
        if destination is not None:
            settings = validate_settings(settings, on_failure=destination.arn)
        mapping = EventSourceMapping(
            self,
            uuid=uuid_from(self._rng),
            function=fn,
            stream=stream,
            consumer=consumer,
            starting_position=position,
            starting_position_timestamp=timestamp,
            settings=settings,
            destination=destination,
            enabled=enabled,
            backoff=backoff,
            parallel_failure_policy=parallel_failure_policy,
            iterator_age_at=iterator_age_at,
        )
        self._mappings[mapping.uuid] = mapping
        self.sim.trace.emit(
            "esm.create",
            uuid=mapping.uuid,
            function=fn.name,
            stream=stream.arn,
            state="Creating",
            **({} if consumer is None else {"consumer": consumer.arn}),
        )
        return mapping

    def get(self, uuid: object) -> EventSourceMapping:
        if isinstance(uuid, EventSourceMapping):
            uuid = uuid.uuid
        mapping = self._mappings.get(uuid) if isinstance(uuid, str) else None
        if mapping is None:
            raise _not_found()
        return mapping

    def find(self, *, function: object = None, source: object = None) -> list[EventSourceMapping]:
        out = list(self._mappings.values())
        if function is not None:
            fn = self._function(function)
            out = [m for m in out if m.function is fn]
        if source is not None:
            stream, consumer = self._source(source)
            arn = stream.arn if consumer is None else consumer.arn
            out = [m for m in out if m.source_arn == arn]
        return out

    def update(self, uuid: object, **changes: Any) -> EventSourceMapping:
        mapping = self.get(uuid)
        if mapping.state not in ("Enabled", "Disabled"):
            # ASSUMED text; the condition is AWS's (B1: "an event source mapping in the
            # CREATING state", "currently UPDATING").
            raise ResourceInUseException(
                f"Cannot update the event source mapping because it is in use: it is "
                f"{mapping.state}.",
                Type="User",
            )
        enabled = changes.pop("enabled", None)
        if enabled is not None and not isinstance(enabled, bool):
            raise KinesimTypeError(f"enabled takes True or False, got {enabled!r}")
        target = changes.pop("on_failure", _UNSET)
        function = changes.pop("function", None)
        unknown = set(changes) - {
            "batch_size",
            "batching_window",
            "parallelization_factor",
            "bisect_on_error",
            "max_retry_attempts",
            "max_record_age",
            "report_batch_item_failures",
            "tumbling_window",
            "filters",
        }
        if unknown:
            raise KinesimTypeError(
                f"update_event_source_mapping() got unknown settings {sorted(unknown)}"
            )
        settings = validate_settings(mapping.settings, **changes)
        _refuse_part_two(settings)
        destination = mapping.destination
        if target is not _UNSET:
            destination = self._destination(target)
            settings = replace(
                settings, on_failure=None if destination is None else destination.arn
            )
        if function is not None:
            new_function = self._function(function)
            check_execution_role(self.sim, new_function, mapping.stream, mapping.consumer)
            mapping.function = new_function
        mapping._pending_settings = settings
        mapping._pending_destination = destination
        if enabled is None or enabled == mapping.enabled:
            final = mapping.state
            mapping._begin("Updating", final)
        elif enabled:
            mapping.enabled = True
            mapping._begin("Enabling", "Enabled")
        else:
            mapping.enabled = False
            mapping._begin("Disabling", "Disabled")
        return mapping

    def delete(self, uuid: object) -> EventSourceMapping:
        mapping = self.get(uuid)
        if mapping.state in ("Creating", "Updating", "Deleting"):
            raise ResourceInUseException(
                f"Cannot delete the event source mapping because it is in use: it is "
                f"{mapping.state}.",
                Type="User",
            )
        mapping._begin("Deleting", "Deleted")
        return mapping

    def _forget(self, mapping: EventSourceMapping) -> None:
        self._mappings.pop(mapping.uuid, None)

    # -- draining -----------------------------------------------------------------------------

    def _busy(self) -> list[EventSourceMapping]:
        return [
            m
            for m in self._mappings.values()
            if m.enabled and m.state != "Deleting" and not m.caught_up
        ]

    def drain(self, timeout: float) -> float:
        """Advance until every enabled mapping is caught up; the virtual seconds it took."""
        sim = self.sim
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout < 0:
            raise KinesimValueError(f"timeout is seconds >= 0, got {timeout!r}")
        start_ms = sim.now_ms
        deadline_ms = start_ms + round(timeout * 1000)
        busy = self._busy()
        while busy:
            next_ms = sim.peek_ms()
            if next_ms is None or next_ms > deadline_ms:
                sim.advance_ms(deadline_ms - sim.now_ms)
                busy = self._busy()
                if busy:
                    raise NotDrained(_stuck_report(busy, timeout), stuck=busy)
                break
            # Run everything due at that instant, then look again.
            sim.advance_ms(next_ms - sim.now_ms)
            busy = [m for m in busy if not m.caught_up] or self._busy()
        return (sim.now_ms - start_ms) / 1000


def _stuck_report(busy: list[EventSourceMapping], timeout: float) -> str:
    lines = [f"event source mappings not drained after {timeout:g} virtual seconds:"]
    for mapping in busy:
        lines.extend(f"  {line}" for line in mapping.stuck())
    return "\n".join(lines)


def _refuse_part_two(settings: MappingSettings) -> None:
    if settings.tumbling_window and settings.parallelization_factor > 1:
        raise KinesimValueError(
            f"tumbling_window={settings.tumbling_window} with parallelization_factor="
            f"{settings.parallelization_factor}: kinesim models a tumbling window's state per "
            "shard with one batch in flight; use parallelization_factor=1 with a tumbling window"
        )


class EventSourceMappingMethods:
    """The event source mapping operations of ``sim.lambda_`` (mixed into the Lambda service,
    which provides ``_sim``)."""

    _sim: Simulator

    def create_event_source_mapping(
        self,
        function: object,
        source: object,
        *,
        starting_position: str | None = None,
        starting_position_timestamp: float | None = None,
        batch_size: int = 100,
        batching_window: float = 0,
        parallelization_factor: int = 1,
        bisect_on_error: bool = False,
        max_retry_attempts: int = -1,
        max_record_age: int = -1,
        on_failure: object = None,
        report_batch_item_failures: bool = False,
        tumbling_window: int = 0,
        filters: object = None,
        enabled: bool = True,
        retry_backoff: ExponentialBackoff | None = None,
        parallel_failure_policy: str = "shard",
        iterator_age_at: str = "batch_end",
    ) -> EventSourceMapping:
        """Create a mapping from ``source`` (a Stream or stream ARN; or a registered Consumer or
        consumer ARN, read through SubscribeToShard) to ``function`` (a Function, name or ARN),
        as CreateEventSourceMapping does; it starts ``Creating``. The function's execution role
        must allow the Kinesis calls the mapping makes (``InvalidParameterValueException``
        naming the first one missing).

        ``starting_position`` is required: "LATEST", "TRIM_HORIZON" or "AT_TIMESTAMP" (with
        ``starting_position_timestamp``, epoch seconds). ``batch_size`` 1-10,000;
        ``batching_window`` 0-300 s; ``parallelization_factor`` 1-10 (batches in flight per
        shard, records assigned to them by partition key); ``tumbling_window`` 0-900 s;
        ``max_retry_attempts`` -1 (until the records expire) or 0-10,000;
        ``max_record_age`` -1 or 60-604,800 s; ``on_failure`` an SQS queue, SNS topic or S3
        bucket, or its ARN; ``retry_backoff`` (kinesim's) the delay between retries;
        ``parallel_failure_policy`` (kinesim's, AWS does not document it) what a failing batch
        blocks under ParallelizationFactor > 1: ``"shard"`` (default) or ``"lane"``;
        ``iterator_age_at`` (kinesim's) when the IteratorAge metric is sampled: ``"batch_end"``
        (default: when the function finishes the batch) or ``"invoke"`` (when the event is sent);
        ``filters`` up to 5 event-filtering patterns (dicts, JSON strings or AWS's
        ``{"Filters": [{"Pattern": ...}]}``), a record matching none is skipped.
        """
        return self._sim._mappings.create(
            function,
            source,
            starting_position=starting_position,
            starting_position_timestamp=starting_position_timestamp,
            batch_size=batch_size,
            batching_window=batching_window,
            parallelization_factor=parallelization_factor,
            bisect_on_error=bisect_on_error,
            max_retry_attempts=max_retry_attempts,
            max_record_age=max_record_age,
            on_failure=on_failure,
            report_batch_item_failures=report_batch_item_failures,
            tumbling_window=tumbling_window,
            filters=filters,
            enabled=enabled,
            retry_backoff=retry_backoff,
            parallel_failure_policy=parallel_failure_policy,
            iterator_age_at=iterator_age_at,
        )

    def get_event_source_mapping(self, uuid: str | EventSourceMapping) -> EventSourceMapping:
        return self._sim._mappings.get(uuid)

    def list_event_source_mappings(
        self, *, function: object = None, source: object = None
    ) -> list[EventSourceMapping]:
        return self._sim._mappings.find(function=function, source=source)

    def update_event_source_mapping(
        self, uuid: str | EventSourceMapping, **changes: Any
    ) -> EventSourceMapping:
        """UpdateEventSourceMapping: any of ``enabled``, ``function``, ``batch_size``,
        ``batching_window``, ``parallelization_factor``, ``bisect_on_error``,
        ``max_retry_attempts``, ``max_record_age``, ``on_failure`` (None removes it),
        ``report_batch_item_failures``, ``tumbling_window``, ``filters``. The mapping goes
        ``Updating`` / ``Enabling`` / ``Disabling``; the settings apply when that completes."""
        return self._sim._mappings.update(uuid, **changes)

    def delete_event_source_mapping(self, uuid: str | EventSourceMapping) -> EventSourceMapping:
        return self._sim._mappings.delete(uuid)
