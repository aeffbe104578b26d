"""One shard's dispatcher: which lane gets each read record, and when a lane takes a batch.

The poller (:mod:`kinesim._esm.poller`) hands it every record it reads (:meth:`Dispatcher.assign`):

- records the mapping's filters drop are finished at once (``filtered``) at the checkpoint;
- the others are queued on the lane of their partition key (``md5(key) mod N`` under
  ParallelizationFactor N; N = 1 is one lane, the same code).

:meth:`Dispatcher.dispatch` gives every idle lane with queued records a batch: up to
``batch_size`` of its records, cut before the event would pass 6 MiB, unless

- a batching window is filling: the lane waits until it holds a full batch or the window (which
  starts when the lane's previous batch finished) expires;
- a batch is failing and the mapping's ``parallel_failure_policy`` is ``"shard"`` (the default:
  no lane starts a new batch while one retries; ``"lane"``: only the failing lane's keys wait);
- a tumbling window (:mod:`kinesim._esm.window`, ParallelizationFactor 1) must run its final
  invocation first: before the first record of a later window, when the window's end passed with
  nothing queued, when its state passed 1 MB, or when the shard ended.

The batch is a :class:`~kinesim._esm.batch.Columns` (one slice per column when contiguous); its
``esm.batch`` trace event is emitted here and only here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from hashlib import md5
from itertools import compress
from typing import TYPE_CHECKING

from kinesim._esm.batch import (
    PAYLOAD_LIMIT_BYTES,
    Columns,
    envelope_size,
    fitting,
    record_sizes,
)
from kinesim._esm.checkpoint import FILTERED
from kinesim._esm.lane import Group, Lane
from kinesim._kinesis.hashing import LANE_KEY_MODULUS

if TYPE_CHECKING:
    from kinesim._esm.poller import ShardPoller

__all__ = ["Dispatcher", "lane_of"]


def lane_of(partition_key: str, lanes: int) -> int:
    """The lane of a record under ParallelizationFactor ``lanes``: MD5 of the key, mod N.

    Deterministic across processes (never ``hash()``); a key always maps to the same lane, which
    is what keeps per-key order. The dispatcher reads the same lane from the shard's lane keys
    (``lane_key_of(key) % lanes``, equal since LANE_KEY_MODULUS is a multiple of 1-10).
    """
    return int.from_bytes(md5(partition_key.encode("utf-8")).digest()[:8], "big") % lanes


@cache
def _lane_members(lanes: int) -> tuple[bytes, ...]:
    """Per lane, by lane key (0..LANE_KEY_MODULUS-1): whether a record with it is the lane's.
    Built once per factor (an idle shard's dispatcher must cost almost nothing)."""
    if lanes == 1:
        return (b"\x01" * LANE_KEY_MODULUS,)
    return tuple(bytes(key % lanes == i for key in range(LANE_KEY_MODULUS)) for i in range(lanes))


class Dispatcher:
    """Routes one shard's read records to its lanes and starts their batches."""

    __slots__ = ("_members", "lanes", "poller")

    def __init__(self, poller: ShardPoller, lanes: int) -> None:
        self.poller = poller
        self.lanes = [Lane(poller, i) for i in range(lanes)]
        self._members = _lane_members(lanes)

    # -- records read -------------------------------------------------------------------------

    @property
    def queued(self) -> int:
        """Records read and not yet in a batch."""
        return sum(lane.queued for lane in self.lanes)

    @property
    def busy(self) -> bool:
        """Some lane holds a batch."""
        return any(lane.group is not None for lane in self.lanes)

    def held(self) -> set[int]:
        """Positions in the lanes' batches (read again after a rewind: not queued twice)."""
        return {p for lane in self.lanes if lane.group is not None for p in lane.group.positions}

    def assign(self, start: int, end: int) -> None:
        """Records ``[start, end)`` were read: queue each on its lane, or finish it as filtered.
        Records already finished or in a batch (read again after a rewind) are skipped."""
        poller = self.poller
        mapping = poller.mapping
        checkpoint = poller.checkpoint
        shard = poller.shard
        positions: Sequence[int] = range(start, end)
        if checkpoint.finished(start) or checkpoint.finished(end - 1) or self.busy:
            held = self.held()
            positions = [p for p in positions if p not in held and not checkpoint.finished(p)]
        record_filter = mapping.record_filter
        if record_filter is not None and positions:
            builder = poller.builder
            kept = record_filter.select(
                shard,
                start,
                end,
                role_arn=builder.role_arn,
                region=builder.region,
                stream_arn=builder.event_source_arn,
            )
            wanted = set(positions) if not isinstance(positions, range) else None
            if wanted is not None:
                kept = [p for p in kept if p in wanted]
            matched = set(kept)
            dropped = [p for p in positions if p not in matched]
            if dropped:
                mapping._filtered_out.add(mapping.sim.now_ms, len(dropped))
                checkpoint.finish(dropped, FILTERED)
            positions = kept
        if not positions:
            return
        lanes = self.lanes
        n = len(lanes)
        if n == 1:
            lanes[0].queue(positions)
            return
        # NOTE: no key is hashed here: the shard kept each record's lane key (its partition
        # key's MD5 mod 2,520, computed on the put path), and lane k takes the records whose
        # lane key is k mod N: one C-level pass per lane (compress over a per-lane lookup
        # table), no Python loop per record.
        first = positions[0]
        lane_keys = shard.lane_keys(first, positions[-1] + 1)
        if not isinstance(positions, range):
            lane_keys = [lane_keys[p - first] for p in positions]
        for lane, member in zip(lanes, self._members, strict=True):
            queue = list(compress(positions, map(member.__getitem__, lane_keys)))
            if queue:
                lane.queue(queue)

    def clear(self) -> None:
        for lane in self.lanes:
            lane.clear_queue()

    # -- batches ------------------------------------------------------------------------------

    def dispatch(self) -> int | None:
        """Start a batch on every lane that can take one; when to look again (a batching
        window's end), or None."""
        poller = self.poller
        mapping = poller.mapping
        lanes = self.lanes
        if mapping.parallel_failure_policy == "shard" and any(lane.failing for lane in lanes):
            return None  # the failing lane's completion dispatches again
        if poller.window is not None and not self._window_ready():
            return None
        settings = mapping.settings
        batch_size = settings.batch_size
        window_ms = settings.batching_window_ms
        sim = mapping.sim
        now_ms = sim.now_ms
        wake_ms: int | None = None
        checkpoint = poller.checkpoint
        trim = poller.shard.trim_index
        for lane in lanes:
            if not mapping.polling:
                return None  # a handler stopped its own mapping
            if lane.group is not None or not lane.queued:
                continue
            lane.drop_queued(lambda p: p >= trim and not checkpoint.finished(p))
            queued = lane.queued
            if not queued:
                continue
            if window_ms and queued < batch_size:
                deadline = lane.window_start_ms + window_ms
                if now_ms < deadline:
                    wake_ms = deadline if wake_ms is None else min(wake_ms, deadline)
                    continue
            lane.begin(self._cut(lane, min(queued, batch_size)))
        return wake_ms

    def _window_ready(self) -> bool:
        """With a tumbling window: whether the lane may take a batch now (else the window's
        final invocation runs first, or is running)."""
        poller = self.poller
        window = poller.window
        assert window is not None
        lane = self.lanes[0]
        if window.busy or lane.group is not None:
            return False
        if not window.open:
            return True
        now_ms = poller.mapping.sim.now_ms
        early = window.terminated_early or window.stale or now_ms < window.end_ms
        if window.terminated_early or window.stale:
            window.close(early=early)
            return False
        if lane.queued:
            first = lane.first_queued()
            if first >= poller.shard.trim_index:
                arrival_ms = poller.shard.arrival_ms(first)
                if window.start_for(arrival_ms) != window.start_ms:
                    window.close(early=early)
                    return False
            return True
        if now_ms >= window.end_ms or poller.read_to_end:
            # "When the shard ends, Lambda considers the window closed" [B8].
            window.close(early=early)
            return False
        return True

    def _cut(self, lane: Lane, count: int) -> Group:
        """The lane's next batch: up to ``count`` queued records, within one tumbling window
        and 6 MiB (what is cut off goes back to the queue)."""
        poller = self.poller
        shard = poller.shard
        mapping = poller.mapping
        builder = poller.builder
        builder.role_arn = mapping.function.role  # the function (or its role) may have changed
        positions = lane.take(count)
        limit_bytes = PAYLOAD_LIMIT_BYTES
        window = poller.window
        if window is not None:
            # A batch never spans two windows, and the window's fields (its state) count
            # towards the 6 MiB.
            n = window.cut(positions)
            lane.put_back(positions[n:])
            positions = positions[:n]
            limit_bytes -= window.extra_bytes()
        data, keys, arrivals, seq_ms = shard.columns(positions)
        sizes = record_sizes(builder, data, keys, arrivals)
        k = fitting(sizes, limit_bytes)
        if k < len(positions):
            lane.put_back(positions[k:])
            positions = positions[:k]
            data, keys, arrivals, seq_ms = data[:k], keys[:k], arrivals[:k], seq_ms[:k]
            sizes = sizes[:k]
        columns = Columns(
            positions=positions,
            data=data,
            keys=keys,
            arrivals=arrivals,
            seq_ms=seq_ms,
            shard_index=shard.index,
            tag=shard.stream.tag,
            builder=builder,
        )
        trace = mapping.sim.trace
        if trace.wants("esm.batch"):
            extra = {"lane": lane.index} if len(self.lanes) > 1 else {}
            trace.emit(
                "esm.batch",
                uuid=mapping.uuid,
                shard=shard.shard_id,
                first=columns.sequence_number(0),
                last=columns.sequence_number(k - 1),
                count=k,
                payload_bytes=envelope_size(k, sum(sizes)),
                **extra,
            )
        return Group(columns, sizes)

    def _check(self) -> None:
        poller = self.poller
        n = len(self.lanes)
        assert 1 <= n <= 10, "ParallelizationFactor is 1-10"
        if n > 1:
            shard = poller.shard
            for lane in self.lanes:
                for p in lane.queued_positions():
                    if p >= shard.trim_index:
                        assert lane_of(shard.partition_key(p), n) == lane.index, (
                            "a record queued on the wrong lane for its partition key"
                        )
        for lane in self.lanes:
            lane._check()
