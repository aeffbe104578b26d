"""Checks of the guarantees a Kinesis-triggered function relies on, usable in any test.

Each check raises :class:`InvariantViolation` (an ``AssertionError``, so pytest shows it as a
failed assertion) whose message names the records (shard, sequence number, partition key), the
deliveries (request id, why, when) and the times involved.

What a handler was given is a list of :class:`Delivery` values, oldest first. Get them from a
mapping's ledger (:func:`deliveries`, what kinesim invoked) or record them yourself from the
events your handler received (:meth:`Delivery.from_event`)::

    from kinesim import invariants

    sim.drain()
    invariants.check_order_per_key(invariants.deliveries(esm))
    invariants.check_no_silent_loss(esm)
    invariants.check_idempotent(counts, invariants.deliveries(esm),
                                expected=lambda records: Counter(r.partition_key for r in records))
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kinesim._observe.render import format_epoch_ms

if TYPE_CHECKING:
    from kinesim._esm.mapping import EventSourceMapping

__all__ = [
    "Delivery",
    "InvariantViolation",
    "SeenRecord",
    "check_at_least_once",
    "check_idempotent",
    "check_no_silent_loss",
    "check_order_per_key",
    "deliveries",
]

#: At most this many offending records are spelled out in a message.
_SHOW = 10


class InvariantViolation(AssertionError):
    """A guarantee does not hold; the message says which records, deliveries and times."""


def _hide_for_violations(excinfo: Any) -> bool:
    """pytest's ``__tracebackhide__`` hook: a violation's traceback shows the user's frames
    (the check they called), not kinesim's; any other error, a kinesim bug, keeps them all."""
    return bool(excinfo.errisinstance(InvariantViolation))


__tracebackhide__ = _hide_for_violations


@dataclass(frozen=True, slots=True)
class SeenRecord:
    """A record as a handler saw it."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    arrival_ms: int | None = None

    @property
    def key(self) -> tuple[str, int]:
        """Sorts records of one shard in sequence order."""
        return self.shard_id, int(self.sequence_number)

    def describe(self) -> str:
        arrived = "" if self.arrival_ms is None else f", arrived {format_epoch_ms(self.arrival_ms)}"
        return (
            f"{self.shard_id}/{self.sequence_number} (partition key {self.partition_key!r}, "
            f"data {_short(self.data)}{arrived})"
        )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One invocation: its request id, when it started (epoch ms), why, and its records."""

    request_id: str
    time_ms: int
    records: tuple[SeenRecord, ...]
    reason: str = ""

    def describe(self) -> str:
        why = f" ({self.reason})" if self.reason else ""
        return f"request {self.request_id}{why} at {format_epoch_ms(self.time_ms)}"

    @classmethod
    def from_event(
        cls, event: dict[str, Any], *, time_ms: int, request_id: str = "", reason: str = ""
    ) -> Delivery:
        """The delivery of a Kinesis event as Lambda passes it to a handler."""
        records = []
        for record in event.get("Records", []):
            kinesis = record["kinesis"]
            shard_id = str(record.get("eventID", "")).split(":", 1)[0]
            arrival = kinesis.get("approximateArrivalTimestamp")
            records.append(
                SeenRecord(
                    shard_id=shard_id,
                    sequence_number=kinesis["sequenceNumber"],
                    partition_key=kinesis["partitionKey"],
                    data=base64.b64decode(kinesis["data"]),
                    arrival_ms=None if arrival is None else round(float(arrival) * 1000),
                )
            )
        return cls(request_id=request_id, time_ms=time_ms, records=tuple(records), reason=reason)


def _short(data: bytes, width: int = 24) -> str:
    text = repr(data[:width])
    return text + "…" if len(data) > width else text


def _records(shard: Any, start: int, end: int) -> list[SeenRecord]:
    return _records_at(shard, range(start, end))


def _records_at(shard: Any, positions: Sequence[int]) -> list[SeenRecord]:
    """The records at ``positions`` that the shard still holds."""
    trim = shard.trim_index
    return [
        SeenRecord(
            shard_id=shard.shard_id,
            sequence_number=shard.sequence_number(i),
            partition_key=shard.partition_key(i),
            data=shard.data(i),
            arrival_ms=shard.arrival_ms(i),
        )
        for i in positions
        if i >= trim
    ]


def deliveries(mapping: EventSourceMapping) -> list[Delivery]:
    """Every invocation a mapping made, from its ledger, oldest first (records still retained).

    Invocations at the same time keep the ledger's order (``sorted`` is stable).
    """
    made = [
        Delivery(
            request_id=batch.request_id,
            time_ms=batch.time_ms,
            records=tuple(_records_at(batch.shard, batch.positions)),
            reason=batch.reason,
        )
        for batch in mapping.ledger.batches()
    ]
    return sorted(made, key=lambda delivery: delivery.time_ms)


def _fail(headline: str, details: Sequence[str]) -> InvariantViolation:
    lines = [headline]
    lines.extend(f"  {line}" for line in details[:_SHOW])
    if len(details) > _SHOW:
        lines.append(f"  … and {len(details) - _SHOW} more")
    return InvariantViolation("\n".join(lines))


# -- ordering ---------------------------------------------------------------------------------


def check_order_per_key(
    seen: Iterable[Delivery], put_order: Sequence[SeenRecord] | None = None
) -> None:
    """Records with the same partition key reach the handler in the order they were put.

    Within one delivery a key's records are in order; and across deliveries no record is
    delivered for the first time after a later record of its key (redeliveries by retries may
    go back: they repeat records already delivered). Without ``put_order`` records are compared
    by sequence number within their shard; with it (every record as put, oldest first) a key's
    records are compared by when they were put, across shards too (after a reshard, a key's
    records move to a child shard, which must wait for its parents).
    """
    rank = {record.key: index for index, record in enumerate(put_order or ())}

    def position(record: SeenRecord) -> tuple[str, str, int]:
        where = rank.get(record.key)
        if where is None:
            return "", record.shard_id, record.key[1]
        return "put", "", where

    problems: list[str] = []
    newest: dict[tuple[str, str, str], tuple[SeenRecord, Delivery]] = {}
    delivered: set[tuple[str, int]] = set()
    for delivery in seen:
        last_in_batch: dict[tuple[str, str, str], SeenRecord] = {}
        for record in delivery.records:
            mode, shard, order = position(record)
            group = (mode, shard, record.partition_key)
            before = last_in_batch.get(group)
            if before is not None and order <= position(before)[2]:
                problems.append(
                    f"{delivery.describe()} has {record.describe()} after {before.describe()}"
                )
            last_in_batch[group] = record
            if record.key in delivered:
                continue
            previous = newest.get(group)
            if previous is not None and order < position(previous[0])[2]:
                # Disorder inside one delivery was reported above already.
                if previous[1] is not delivery:
                    problems.append(
                        f"{record.describe()} was first delivered in {delivery.describe()}, "
                        f"after the later {previous[0].describe()} in {previous[1].describe()}"
                    )
            else:
                newest[group] = (record, delivery)
            delivered.add(record.key)
    if problems:
        raise _fail("records of one partition key were delivered out of order:", problems)


# -- at least once ----------------------------------------------------------------------------


def check_at_least_once(
    mapping: EventSourceMapping, seen: Iterable[Delivery] | None = None
) -> None:
    """Every record the mapping settled as ``succeeded`` was delivered at least once.

    ``seen`` is what the handler got (default: the mapping's own record of its invocations);
    pass the deliveries your handler recorded to check kinesim's claim against them.
    """
    observed = deliveries(mapping) if seen is None else list(seen)
    delivered = {record.key for delivery in observed for record in delivery.records}
    missing: list[str] = []
    for run in mapping.ledger.fate_runs():
        if run.kind != "succeeded":
            continue
        for record in _records(run.shard, run.start, run.end):
            if record.key not in delivered:
                missing.append(
                    f"{record.describe()}: settled as succeeded by "
                    f"{format_epoch_ms(run.time_ms)} but never delivered"
                )
    if missing:
        raise _fail(f"{len(missing)} record(s) succeeded without reaching the handler:", missing)


# -- no silent loss ---------------------------------------------------------------------------


def _reported_ranges(mapping: EventSourceMapping) -> list[tuple[str, int, int]]:
    """``(shard_id, first, last)`` sequence numbers of every failure record the destination got."""
    target = mapping.destination
    if target is None:
        return []
    documents: list[Any]
    if hasattr(target, "json_bodies"):
        documents = target.json_bodies()
    elif hasattr(target, "json_messages"):
        documents = target.json_messages()
    else:
        documents = target.json_objects()
    ranges = []
    for document in documents:
        if isinstance(document, str):  # an SNS envelope's Message
            document = json.loads(document)
        info = document.get("KinesisBatchInfo") if isinstance(document, dict) else None
        if info:
            ranges.append(
                (
                    info["shardId"],
                    int(info["startSequenceNumber"]),
                    int(info["endSequenceNumber"]),
                )
            )
    return ranges


def check_no_silent_loss(mapping: EventSourceMapping, *, allow: Iterable[str] = ()) -> None:
    """Every record is accounted for: processed, or reported to the on-failure destination.

    Call it at quiescence (after ``sim.drain()``). A record is lost if it has no final fate yet,
    if it was given up (``RetryAttemptsExhausted`` / ``RecordAgeExceeded``) and no failure
    record covering it reached the on-failure destination, or if retention trimmed it before
    it was processed (``expired``). ``allow`` names the losses the test accepts: any of
    ``"unresolved"``, ``"discarded"`` (given up without a destination report) and
    ``"expired"``.
    """
    allowed = set(allow)
    unknown = allowed - {"unresolved", "discarded", "expired"}
    if unknown:
        from kinesim._errors import KinesimValueError

        raise KinesimValueError(
            f"allow takes 'unresolved', 'discarded' and 'expired', got {sorted(unknown)}"
        )
    reported = _reported_ranges(mapping)
    problems: list[str] = []
    ledger = mapping.ledger
    for run in ledger.fate_runs():
        shard: Any = run.shard
        start, end, kind, time_ms = run.start, run.end, run.kind, run.time_ms
        if kind in ("succeeded", "filtered"):
            continue
        if kind == "expired":
            if "expired" not in allowed:
                problems.append(
                    f"{shard.shard_id} positions [{start}, {end}): {end - start} record(s) "
                    f"trimmed by retention before they were processed (noticed "
                    f"{format_epoch_ms(time_ms)})"
                )
            continue
        if "discarded" in allowed:
            continue
        for record in _records(shard, start, end):
            sequence = int(record.sequence_number)
            if not any(
                sid == shard.shard_id and first <= sequence <= last for sid, first, last in reported
            ):
                where = (
                    "no on-failure destination is configured"
                    if mapping.destination is None
                    else f"no failure record for it reached {mapping.destination.arn}"
                )
                problems.append(
                    f"{record.describe()}: given up ({kind}) at {format_epoch_ms(time_ms)} "
                    f"and {where}"
                )
    if "unresolved" not in allowed:
        for shard in ledger.shards():
            settled_end = ledger.checkpoint(shard.shard_id)
            if shard.end_index > settled_end:
                first = max(settled_end, shard.trim_index)
                pending = _records(shard, first, min(shard.end_index, first + 3))
                shown = ", ".join(record.describe() for record in pending)
                problems.append(
                    f"{shard.shard_id}: {shard.end_index - settled_end} record(s) from position "
                    f"{settled_end} have no fate yet (first: {shown}); is the mapping drained?"
                )
        opened = set(ledger.shard_ids())
        for shard in mapping.stream.shards:
            if shard.shard_id not in opened and shard.end_index > shard.trim_index:
                count = shard.end_index - shard.trim_index
                first_record = _records(shard, shard.trim_index, shard.trim_index + 1)[0]
                problems.append(
                    f"{shard.shard_id}: {count} record(s) never read: the mapping has no poller "
                    f"for this shard (first: {first_record.describe()})"
                )
    if problems:
        raise _fail(f"mapping {mapping.uuid} lost records silently:", problems)


# -- idempotency ------------------------------------------------------------------------------


def check_idempotent(
    actual: Any,
    seen: Iterable[Delivery],
    *,
    expected: Callable[[list[SeenRecord]], Any],
) -> None:
    """The handler's side effect is what processing each record once would give.

    ``actual`` is the side effect your handler produced (a dict of counts, a list of rows...);
    ``expected(records)`` computes it from the distinct records the handler was given, each
    once, in first-delivery order. When they differ, the message lists the records delivered
    more than once (retries and redeliveries: the usual cause) with every delivery.
    """
    observed = list(seen)
    first: dict[tuple[str, int], SeenRecord] = {}
    carried: dict[tuple[str, int], list[Delivery]] = {}
    for delivery in observed:
        for record in delivery.records:
            first.setdefault(record.key, record)
            carried.setdefault(record.key, []).append(delivery)
    want = expected(list(first.values()))
    if actual == want:
        return
    extra, missing = _difference(actual, want)
    lines = [
        f"the handler's side effect is not what processing each of the {len(first)} "
        "delivered record(s) once gives:",
        f"  actual:   {_cut(actual)}",
        f"  expected: {_cut(want)}",
    ]
    if extra:
        lines.append(f"  extra in actual:     {'; '.join(extra[:_SHOW])}")
    if missing:
        lines.append(f"  missing from actual: {'; '.join(missing[:_SHOW])}")
    repeated = [
        f"{first[key].describe()} delivered {len(times)} times: "
        + "; ".join(delivery.describe() for delivery in times)
        for key, times in carried.items()
        if len(times) > 1
    ]
    if repeated and extra:
        lines.append("records delivered more than once (each delivery repeats a side effect):")
    elif repeated:
        # Redeliveries add; they do not explain something missing.
        lines.append(
            "nothing is counted twice, so redeliveries do not explain this; the handler skipped "
            "or lost records it was given. Records delivered more than once, for reference:"
        )
    elif extra:
        lines.append("no record was delivered twice: the extra is not a retry's")
    else:
        lines.append("no record was delivered twice: the handler skipped or lost records")
    raise _fail("\n".join(lines), repeated)


def _difference(actual: Any, want: Any) -> tuple[list[str], list[str]]:
    """What ``actual`` has beyond ``want`` and what it lacks, for dicts of counts, collections
    and numbers (empty when the shapes say nothing more than "different")."""
    if isinstance(actual, Mapping) and isinstance(want, Mapping):
        extra, missing = [], []
        for key in [*want, *(k for k in actual if k not in want)]:
            got, wanted = actual.get(key, 0), want.get(key, 0)
            if got == wanted:
                continue
            where = f"{key!r}: {_cut(got, 40)} (expected {_cut(wanted, 40)})"
            if _numbers(got, wanted) and got < wanted:
                missing.append(where)
            elif _numbers(got, wanted) or key not in want:
                extra.append(where)
            elif key not in actual:
                missing.append(where)
            else:
                extra.append(where)
        return extra, missing
    if _numbers(actual, want):
        return ([f"{actual - want:g} more"], []) if actual > want else ([], [f"{want - actual:g}"])
    if isinstance(actual, (list, tuple, set, frozenset)) and isinstance(
        want, (list, tuple, set, frozenset)
    ):
        have, need = Counter(map(_hashable, actual)), Counter(map(_hashable, want))
        more, fewer = have - need, need - have
        return (
            [f"{item!r} x{count}" if count > 1 else repr(item) for item, count in more.items()],
            [f"{item!r} x{count}" if count > 1 else repr(item) for item, count in fewer.items()],
        )
    return [], []


def _numbers(*values: Any) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _cut(value: Any, width: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"
