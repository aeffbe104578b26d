"""The aggregate what-if engine's report: its counters as a :class:`~kinesim.whatif.Report`."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from kinesim.whatif._aggregate_parts import ERROR_BOUND
from kinesim.whatif._pricing import Usage, monthly_cost
from kinesim.whatif._report import Report, Summary

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from kinesim.whatif._aggregate_state import Ages, History, Writes

__all__ = ["aggregate_report"]


def aggregate_report(
    run: Any,
    hist: History,
    per: dict[str, list[float]],
    backlog: list[float | None],
    ages: Ages,
    totals: dict[str, float],
    writes: Writes,
    processed: NDArray[np.float64],
    succeeded: NDArray[np.float64],
    expired: NDArray[np.float64],
    to_dest: NDArray[np.float64],
    first_loss: float | None,
) -> Report:
    """The :class:`Report` of a finished aggregate run ``run`` (a ``_Run``) from its counters."""
    sc = run.sc
    periods = run.periods
    edges = [min(p * sc.period_s, run.run_s) for p in range(periods + 1)]
    spans = [b - a for a, b in itertools.pairwise(edges)]
    sizes = run.sizes
    put = round(totals["put"])
    put_bytes = totals["put"] * run.record_bytes
    usage = Usage(
        hours=run.run_s / 3600,
        mode=sc.mode,
        shards=run.shards,
        retention_hours=sc.retention_hours,
        put_payload_units=round(totals["put"] * sizes.payload_units),
        on_demand_bytes_in=round(totals["put"] * sizes.on_demand_bytes),
        bytes_read=round(put_bytes * (1 + sc.shared_readers)),
        efo_consumers=sc.fan_out_consumers,
        efo_bytes=round(put_bytes * sc.fan_out_consumers),
        lambda_requests=round(totals["invocations"]),
        lambda_gb_seconds=totals["handler_s"] * sc.memory_mb / 1024,
    )
    cost = monthly_cost(usage, sc.prices)
    written = hist.latest()
    pending = written - processed
    shards: dict[str, dict[str, int]] = {}
    pf = run.pf
    for s in range(run.shards):
        w = round(float(written[s * pf : (s + 1) * pf].sum()))
        done = round(float(processed[s * pf : (s + 1) * pf].sum()))
        shards[f"shardId-{s:012d}"] = {"written": w, "settled": done, "pending": w - done}
    processed_n = round(float(succeeded.sum()))
    expired_n = round(float(expired.sum()))
    dest_n = round(float(to_dest.sum()))
    summary = Summary(
        max_iterator_age_s=round(ages.max, 3),
        p99_iterator_age_s=round(ages.p99(), 3),
        records_generated=round(totals["generated"]),
        records_put=put,
        producer_throttled=round(writes.throttled),
        producer_gave_up=round(writes.gave_up),
        records_processed=processed_n,
        records_expired=expired_n,
        records_to_destination=dest_n,
        records_unresolved=max(0, round(float(pending.sum()))),
        duplicate_deliveries=round(totals["duplicates"]),
        time_to_first_loss_s=first_loss,
        peak_concurrency=round(totals["peak_concurrency"]),
        invocations=round(totals["invocations"]),
        errors=round(totals["errors"]),
        lambda_throttles=round(totals["lambda_throttles"]),
        write_throttles=round(writes.throttled),
        read_throttles=round(totals["read_throttles"]),
        monthly_cost_usd=cost.total,
        cost_lines=dict(cost.lines),
        prices_as_of=cost.as_of,
    )
    series: dict[str, list[float | None]] = {
        "iterator_age_max_s": list(ages.period_max),
        "incoming_per_s": [v / s for v, s in zip(per["incoming"], spans, strict=True)],
        "processed_per_s": [v / s for v, s in zip(per["settled"], spans, strict=True)],
        "backlog_records": backlog,
        "concurrency_max": list(per["concurrency"]),
        "write_throttles": list(per["write_throttles"]),
        "read_throttles": list(per["read_throttles"]),
        "lambda_throttles": list(per["lambda_throttles"]),
        "errors": list(per["errors"]),
        "retries": list(per["retries"]),
    }
    return Report(
        scenario=sc.to_dict(),
        description=sc.describe(),
        period_s=sc.period_s,
        times_s=[float(e) for e in edges[:-1]],
        series=series,
        summary=summary,
        shards=shards,
        engine="aggregate",
        error_bound=dict(ERROR_BOUND),
    )
