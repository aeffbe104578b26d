"""The event source mapping object: its settings, states, pollers, ledger and AWS description.

States (ground truth §2.3, B2): ``Creating`` -> ``Enabled`` (or ``Disabled`` when created with
``enabled=False``); an update goes through ``Updating`` (``Enabling`` / ``Disabling`` when it
changes ``enabled``) and a delete through ``Deleting``. Each transition takes
``sim.timings.mapping_transition_s`` (0 by default: it completes at the same virtual instant,
after the call returns, so the call's response still shows the transitional state as AWS's does).
Updated settings apply when the transition completes ("Updated settings are applied
asynchronously and aren't reflected in the output until the process completes" [B2]).

The pollers run in ``Enabled`` and ``Updating``; ``Disabling`` stops them at once (an invocation
in flight completes and is settled); ``Enabling`` -> ``Enabled`` resumes from the checkpoint.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kinesim._errors import AWSError, KinesimError, TooManyRequestsException
from kinesim._esm import destinations, permissions
from kinesim._esm.config import MappingSettings
from kinesim._esm.description import MappingDescription
from kinesim._esm.efo_reader import FanoutPoller
from kinesim._esm.filters import RecordFilter, compile_filters
from kinesim._esm.poller import ShardPoller
from kinesim._esm.retry import ExponentialBackoff
from kinesim._observe.ledger import Ledger

if TYPE_CHECKING:
    from kinesim._destinations import Destination
    from kinesim._esm.service import MappingService
    from kinesim._kinesis.fanout import Consumer
    from kinesim._kinesis.shard import Shard
    from kinesim._kinesis.stream import Stream
    from kinesim._lambda.function import Function
    from kinesim._simulator import Simulator

__all__ = ["EventSourceMapping"]

NS = "AWS/Lambda"

#: States in which the pollers read and invoke.
_POLLING = frozenset({"Enabled", "Updating"})


class EventSourceMapping:
    """A Lambda event source mapping reading a Kinesis stream (``sim.lambda_`` creates them).

    ``ledger`` tells what became of every record; :meth:`describe` answers like
    ``GetEventSourceMapping``.
    """

    def __init__(
        self,
        service: MappingService,
        *,
        uuid: str,
        function: Function,
        stream: Stream,
        consumer: Consumer | None = None,
        starting_position: str,
        starting_position_timestamp: float | None,
        settings: MappingSettings,
        destination: Destination | None,
        enabled: bool,
        backoff: ExponentialBackoff,
        parallel_failure_policy: str = "shard",
    ) -> None:
        sim = service.sim
        self.sim: Simulator = sim
        self._service = service
        self.uuid = uuid
        self.arn = f"arn:aws:lambda:{sim.region}:{sim.account_id}:event-source-mapping:{uuid}"
        self.function = function
        self.stream = stream
        #: The enhanced fan-out consumer the mapping reads through, or None (it polls).
        self.consumer = consumer
        #: EventSourceArn: the consumer's ARN for a fan-out source, else the stream's.
        self.source_arn = stream.arn if consumer is None else consumer.arn
        self.starting_position = starting_position
        self.starting_position_timestamp = starting_position_timestamp
        self.settings: MappingSettings = settings
        #: The compiled filter patterns (None without filters): compiled once per settings.
        self.record_filter: RecordFilter | None = compile_filters(settings.filters)
        self.destination = destination
        self.enabled = enabled
        self.backoff = backoff
        #: With ParallelizationFactor > 1, what a failing batch blocks: "shard" (every lane of
        #: its shard waits, the default) or "lane" (only its partition keys wait).
        self.parallel_failure_policy = parallel_failure_policy
        self.rng = sim.random(f"esm.backoff:{uuid}")
        self._key_rng = sim.random(f"esm.s3-key:{uuid}")
        self._request_rng = sim.random(f"esm.request-id:{uuid}")
        self.state = "Creating"
        self.state_transition_reason = "User action"
        self.last_processing_result = "No records processed"
        self.last_modified_ms = sim.now_ms
        self.ledger: Ledger = Ledger()
        self.pollers: dict[str, ShardPoller] = {}
        # Records settled on shards whose pollers were dropped after the shard expired.
        self._dropped_scope = 0
        self.destination_delivery_failures = 0
        self.records_expired = 0
        self._pending_settings: MappingSettings | None = None
        self._pending_destination: Destination | None = None
        self._transition: Any = None
        dims = {"FunctionName": function.name}
        self._iterator_age = sim.metrics.handle(NS, "IteratorAge", dims, "Milliseconds")
        self._delivery_failures = sim.metrics.handle(
            NS, "DestinationDeliveryFailures", dims, "Count"
        )
        self._expired = sim.metrics.handle(
            "kinesim/EventSourceMapping", "RecordsExpired", {"UUID": uuid}, "Count"
        )
        self._throttles = sim.metrics.handle(
            "kinesim/EventSourceMapping", "InvokeThrottles", {"UUID": uuid}, "Count"
        )
        # ASSUMED name: AWS's opt-in EventCount metrics (MetricsConfig) include a count of
        # filtered-out events; kinesim always records it, per mapping.
        self._filtered_out = sim.metrics.handle(
            NS, "FilteredOutEventCount", {"EventSourceMappingUUID": uuid}, "Count"
        )
        self._schedule_transition("Enabled" if enabled else "Disabled")

    # -- states -------------------------------------------------------------------------------

    @property
    def polling(self) -> bool:
        """Whether the pollers read and invoke in the current state."""
        return self.state in _POLLING

    def _schedule_transition(self, target: str) -> None:
        delay_ms = round(self.sim.timings.mapping_transition_s * 1000)
        self._transition = self.sim.call_later_ms(delay_ms, self._complete_transition, target)

    def _complete_transition(self, target: str) -> None:
        self._transition = None
        if target == "Deleted":
            self._stop_pollers()
            self.state = "Deleted"
            self._service._forget(self)
            return
        if self._pending_settings is not None:
            if self._pending_settings.filters != self.settings.filters:
                self.record_filter = compile_filters(self._pending_settings.filters)
                for poller in self.pollers.values():
                    poller._rewind_unbatched()
            self.settings = self._pending_settings
            self.destination = self._pending_destination
            self._pending_settings = None
        was_polling = self.polling  # Updating keeps polling: nothing to restart
        self.state = target
        self.sim.trace.emit("esm.state", uuid=self.uuid, state=target)
        if target == "Enabled" and not was_polling:
            self._start_pollers()

    def _begin(self, state: str, target: str) -> None:
        if self._transition is not None:  # e.g. deleted while still Enabling
            self._transition.cancel()
            self._transition = None
        self.state = state
        self.state_transition_reason = "User action"
        self.last_modified_ms = self.sim.now_ms
        self.sim.trace.emit("esm.state", uuid=self.uuid, state=state)
        if state in ("Disabling", "Deleting"):
            self._stop_pollers()
        self._schedule_transition(target)

    def _start_pollers(self) -> None:
        if not self.pollers:
            shards = self.stream.shards
            if self.starting_position == "LATEST":
                for shard in shards:
                    if shard.closed:
                        # Nothing of a shard closed before LATEST is this mapping's to read:
                        # its ledger scope is empty (so no record of it counts as unread).
                        self.ledger.open(shard, shard.end_index)
                    else:
                        self._add_poller(shard, shard.end_index)
            else:
                present = {shard.shard_id for shard in shards}
                for shard in shards:
                    # Parents before children (KCL-style lineage, B3): a shard whose parent is
                    # still retained waits until that parent has been read to its end.
                    parents = (shard.parent_shard_id, shard.adjacent_parent_shard_id)
                    if not any(p in present for p in parents if p is not None):
                        self._add_poller(shard, self._start_position(shard))
        for poller in list(self.pollers.values()):
            if not poller.finished:
                poller.start()

    def _add_poller(self, shard: Shard, position: int) -> ShardPoller:
        poller: ShardPoller
        if self.consumer is None:
            poller = ShardPoller(self, shard, position)
        else:
            poller = FanoutPoller(self, shard, position)
        self.pollers[shard.shard_id] = poller
        return poller

    def _start_position(self, shard: Shard) -> int:
        """TRIM_HORIZON or AT_TIMESTAMP for a shard read from its start (LATEST applies only to
        the shards open when the mapping first starts; children are read from their start)."""
        if self.starting_position == "AT_TIMESTAMP":
            assert self.starting_position_timestamp is not None
            return shard.position_at_timestamp(round(self.starting_position_timestamp * 1000))
        return shard.trim_index

    def _child_start_position(self, child: Shard) -> int:
        """Where a child starts once this mapping has read its parents to their end: its first
        record, even if retention trimmed it meanwhile (the mapping owned those records, so the
        poller settles them as ``expired`` rather than skipping them unseen); with AT_TIMESTAMP,
        its first record at or after the timestamp."""
        if self.starting_position == "AT_TIMESTAMP":
            assert self.starting_position_timestamp is not None
            timestamp_ms = round(self.starting_position_timestamp * 1000)
            if child.created_ms < timestamp_ms:
                return child.position_at_timestamp(timestamp_ms)
        return 0

    def _stop_pollers(self) -> None:
        for poller in self.pollers.values():
            poller.stop()

    def _shard_finished(self, poller: ShardPoller) -> None:
        """A closed shard was read to its end: start each child whose parents are all done."""
        self.sim.trace.emit("esm.shard_end", uuid=self.uuid, shard=poller.shard.shard_id)
        self._schedule_drop(poller)
        for child in self.stream.children_of(poller.shard.shard_id):
            if child.shard_id in self.pollers:
                continue
            parents = (child.parent_shard_id, child.adjacent_parent_shard_id)
            if all(self._parent_done(p) for p in parents if p is not None):
                self._add_poller(child, self._child_start_position(child)).start()

    def _parent_done(self, shard_id: str) -> bool:
        """Whether a parent no longer holds a child back: its poller read it to the end, or it
        has expired. A parent still in the stream without a poller yet is not done: its own
        parents are unfinished, and it starts this child itself when it finishes (else a
        grandchild could overtake an ancestor, breaking per-key order across reshards)."""
        poller = self.pollers.get(shard_id)
        if poller is not None:
            return poller.finished
        return all(shard.shard_id != shard_id for shard in self.stream.shards)

    def _schedule_drop(self, poller: ShardPoller) -> None:
        """Forget a finished shard's poller once the stream has expired the shard."""
        shard = poller.shard
        closed_ms = shard.closed_ms if shard.closed_ms is not None else self.sim.now_ms
        when_ms = max(self.sim.now_ms + 1000, closed_ms + self.stream.retention_ms)
        self.sim.call_at_ms(when_ms, self._drop_if_expired, poller)

    def _drop_if_expired(self, poller: ShardPoller) -> None:
        shard_id = poller.shard.shard_id
        if self.pollers.get(shard_id) is not poller:
            return
        if any(s.shard_id == shard_id for s in self.stream.shards):
            self._schedule_drop(poller)  # retention was raised, or a timer at this instant
            return
        del self.pollers[shard_id]
        book = self.ledger._books[shard_id]
        self._dropped_scope += poller.position - book.scope_start
        self._checked_checkpoints = {
            k: v for k, v in getattr(self, "_checked_checkpoints", {}).items() if k != shard_id
        }
        self.sim.trace.emit("esm.shard_dropped", uuid=self.uuid, shard=shard_id)

    # -- settling helpers the pollers call ----------------------------------------------------

    def _lose(self, poller: ShardPoller, start: int, end: int) -> None:
        """Records ``[start, end)`` were trimmed by retention before they were settled."""
        if end <= start:
            return
        now_ms = self.sim.now_ms
        self.ledger.settle(poller.shard.shard_id, start, end, "expired", now_ms)
        self.records_expired += end - start
        self._expired.add(now_ms, end - start)
        self.sim.trace.emit(
            "esm.discard",
            uuid=self.uuid,
            shard=poller.shard.shard_id,
            condition="expired",
            start=start,
            count=end - start,
        )

    def _throttled(self, poller: ShardPoller, exc: AWSError) -> None:
        """An invocation was refused before it ran (throttle, deleted function, too large)."""
        if isinstance(exc, TooManyRequestsException):
            self._throttles.add(self.sim.now_ms, 1)
        self.last_processing_result = "PROBLEM: Function call failed"

    def _send_failure(
        self,
        poller: ShardPoller,
        *,
        condition: str,
        request_id: str,
        invoke_count: int,
        function_error: str | None,
        with_response: bool,
        records: list[dict[str, Any]],
        seqs: tuple[str, str],
        arrivals: tuple[int, int],
    ) -> None:
        sim = self.sim
        now_ms = sim.now_ms
        record = destinations.failure_record(
            request_id=request_id or destinations.uuid_from(self._request_rng),
            function_arn=self.function.arn,
            condition=condition,
            invoke_count=invoke_count,
            function_error=function_error,
            with_response=with_response,
            now_ms=now_ms,
            shard_id=poller.shard.shard_id,
            first_sequence_number=seqs[0],
            last_sequence_number=seqs[1],
            first_arrival_ms=arrivals[0],
            last_arrival_ms=arrivals[1],
            batch_size=len(records),
            stream_arn=self.stream.arn,
        )
        delivered: bool | None = None
        error: str | None = None
        target = self.destination
        if target is not None:
            delivered = True
            key: str | None = None
            if target.arn.startswith("arn:aws:s3:::"):
                key = destinations.s3_key(
                    self.uuid,
                    poller.shard.shard_id,
                    now_ms,
                    destinations.uuid_from(self._key_rng),
                )
            error = permissions.send_denied(sim, self.function, target, key)
            try:
                if error is not None:
                    pass  # the role may not send: nothing reaches the destination
                elif key is not None:
                    record["payload"] = {"Records": records}
                    target.put_object(key, destinations.dumps(record))  # type: ignore[union-attr]
                elif target.arn.startswith("arn:aws:sns:"):
                    target.publish(destinations.dumps(record))  # type: ignore[union-attr]
                else:
                    target.send_message(destinations.dumps(record))  # type: ignore[union-attr]
            except KinesimError as exc:
                # Over-size payloads are dropped by Lambda [B6]; any refusal is a delivery
                # failure, counted, never raised into the simulation.
                error = str(getattr(exc, "message", exc))
            if error is not None:
                delivered = False
                self.destination_delivery_failures += 1
                self._delivery_failures.add(now_ms, 1)
        if sim.trace.wants("esm.discard"):
            sim.trace.emit(
                "esm.discard",
                uuid=self.uuid,
                shard=poller.shard.shard_id,
                condition=condition,
                first=seqs[0],
                count=len(records),
                approximate_invoke_count=invoke_count,
                destination=None if target is None else target.arn,
                delivered=delivered,
                error=error,
            )

    # -- the AWS view -------------------------------------------------------------------------

    def describe(self) -> MappingDescription:
        """The mapping's configuration and state now (GetEventSourceMapping)."""
        return MappingDescription(
            uuid=self.uuid,
            arn=self.arn,
            function_arn=self.function.arn,
            source_arn=self.source_arn,
            state=self.state,
            state_transition_reason=self.state_transition_reason,
            last_processing_result=self.last_processing_result,
            last_modified_ms=self.last_modified_ms,
            starting_position=self.starting_position,
            starting_position_timestamp=self.starting_position_timestamp,
            destination_arn=None if self.destination is None else self.destination.arn,
            settings=self.settings,
        )

    # -- status -------------------------------------------------------------------------------

    @property
    def caught_up(self) -> bool:
        """Enabled, with every shard's records settled and nothing in flight or waiting."""
        return self.state == "Enabled" and all(p.caught_up for p in self.pollers.values())

    def stuck(self) -> list[str]:
        """What keeps this mapping from being caught up, one line per shard."""
        if self.state != "Enabled":
            return [f"mapping {self.uuid} is {self.state}"]
        return [
            f"mapping {self.uuid} {p.describe_stuck()}"
            for p in self.pollers.values()
            if not p.caught_up
        ]

    def checkpoints(self) -> dict[str, int]:
        """Per shard, the position of the first record not yet settled."""
        return {shard_id: p.position for shard_id, p in self.pollers.items()}

    def _check(self) -> None:
        """Invariants: checkpoints never move backwards, at most ParallelizationFactor batches
        in flight per shard, and the ledger's ranges and counts add up."""
        previous = getattr(self, "_checked_checkpoints", {})
        for shard_id, poller in self.pollers.items():
            assert poller.position >= previous.get(shard_id, 0), (
                f"{shard_id}: checkpoint moved backwards"
            )
            poller._check()
        self._checked_checkpoints = self.checkpoints()
        # Never more invocations in flight than shards x ParallelizationFactor.
        in_flight = sum(p.in_flight_count for p in self.pollers.values())
        lanes = sum(len(p.lanes) for p in self.pollers.values())
        assert in_flight <= lanes, "more batches in flight than shards x ParallelizationFactor"
        self.ledger._check()
        settled = sum(self.ledger.fates().values())
        scope = self._dropped_scope + sum(
            p.position - self.ledger._books[sid].scope_start for sid, p in self.pollers.items()
        )
        assert settled == scope, f"ledger settled {settled} records, checkpoints cover {scope}"

    def __repr__(self) -> str:
        return (
            f"<EventSourceMapping {self.uuid} {self.function.name} <- {self.stream.name} "
            f"{self.state}>"
        )
