"""The aggregate engine's closed form for stretches where every lane keeps up.

When each lane, at each poll slot, finds only the records written in the second before it, and
its batches for them finish before the next slot, the seconds are independent of each other:
second ``k`` of lane ``l`` runs ``ceil(a / batch_size)`` batches back to back from the slot, and
each batch's IteratorAge follows from where its last record falls in the second before. So a
stretch of ``T`` seconds is a handful of array operations over ``T x lanes`` cells, not ``T``
steps. :func:`steady_stretch` computes it and says None when some cell does not keep up (a batch
would run past the next slot), and the engine steps through that stretch second by second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

__all__ = ["Stretch", "steady_stretch"]


@dataclass(frozen=True, slots=True)
class Stretch:
    """What a kept-up stretch of seconds came to."""

    #: Per lane: when its last batch of the stretch finishes (absolute seconds).
    free: NDArray[np.float64]
    #: Per second of the stretch: lanes invoking at its slot, records settled.
    active: NDArray[np.int64]
    settled: NDArray[np.float64]
    invocations: int
    handler_s: float
    #: Per batch: the second of the stretch it started in, and its IteratorAge.
    age_second: NDArray[np.int64]
    ages: NDArray[np.float64]


def steady_stretch(
    *,
    first_second: int,
    free: NDArray[np.float64],
    backlog: NDArray[np.float64],
    arrivals: NDArray[np.float64],
    batch: float,
    spread: float,
    draw: Callable[[NDArray[np.float64]], NDArray[np.float64]],
) -> Stretch | None:
    """Seconds ``first_second + 1 ..`` of lanes whose records of second ``s`` (``arrivals[s]``,
    shape ``(T, lanes)``) are all read at slot ``s + 1``; ``backlog`` (per lane) is what each
    lane has read and not processed at slot ``first_second`` (run in that slot), ``free`` when
    each lane's batch in flight ends. ``draw(starts)`` gives one handler duration per batch
    start. A lane still busy at a slot starts that slot's batches when it is free (Lindley's
    recursion, as a running maximum); None when some slot's batches would start only after the
    next slot (the lane falls behind: the engine steps through the stretch instead)."""
    # Records each slot offers: the slot at the stretch's start takes the backlog; slot s + 1
    # the records of second s. The last second's records wait for the next slot.
    offered = np.vstack([backlog[None, :], arrivals[:-1]])
    slots, lanes = offered.shape
    counts = np.ceil(offered / batch - 1e-9).astype(np.int64)
    counts[offered <= 1e-9] = 0
    width = int(counts.max(initial=0))
    slot_time = first_second + np.arange(slots, dtype=np.float64)
    # NOTE: batches as a (slot, lane, k) block padded to the most batches any cell runs: no
    # gathers or repeats, and draws for the padding are masked off.
    k = np.arange(width)
    real = k[None, None, :] < counts[:, :, None]
    starts = np.broadcast_to(slot_time[:, None, None], real.shape).reshape(-1)
    durations = (
        np.where(real, draw(starts).reshape(real.shape), 0.0) if width else np.zeros(real.shape)
    )
    busy = durations.sum(axis=2)
    # Lindley: start[s] = max(slot[s], end[s - 1]) = C[s - 1] + max over j <= s of x[j], with
    # C the running sum of busy time and x[j] = slot[j] - C[j - 1] (x[0] also at least free).
    slot_grid = slot_time[:, None]
    before = np.vstack([np.zeros((1, lanes)), np.cumsum(busy, axis=0)[:-1]])
    x = slot_grid - before
    x[0] = np.maximum(x[0], free)
    start = before + np.maximum.accumulate(x, axis=0)
    if (start - slot_grid >= 1.0 - 1e-9).any():
        return None
    # Back to back from the cell's start; the batch's last record is the (k + 1) * batch-th of
    # the cell's records, which were written over the first ``spread`` of the second before
    # the slot (evenly).
    done = start[:, :, None] + np.cumsum(durations, axis=2)
    cell_records = offered[:, :, None]
    last = np.minimum((k[None, None, :] + 1) * batch, cell_records)
    stamp = slot_grid[:, :, None] - 1.0 + spread * last / np.maximum(cell_records, 1e-300)
    ages = (done - stamp)[real]
    age_second = np.broadcast_to(np.arange(slots)[:, None, None], real.shape)[real]
    free = np.maximum(free, (start + busy)[-1])
    return Stretch(
        free=free,
        active=(counts > 0).sum(axis=1),
        settled=offered.sum(axis=1),
        invocations=int(counts.sum()),
        handler_s=float(busy.sum()),
        age_second=age_second,
        ages=ages,
    )
