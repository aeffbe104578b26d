"""Metrics as a pandas DataFrame, through the metrics' public query API only.

pandas is an optional extra (``pip install -e ".[pandas]"``); ``import kinesim`` never imports
it: this module imports it when a frame is asked for.
"""

from __future__ import annotations

import importlib
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._errors import KinesimValueError

if TYPE_CHECKING:
    from kinesim._observe.metrics import Metrics

__all__ = ["COLUMNS", "PERIOD_COLUMNS", "metrics_frame"]

#: The frame's leading columns; one column per dimension name follows, in sorted order.
COLUMNS = ("namespace", "metric", "time", "value", "unit")
#: The leading columns of a frame of period statistics (``period=`` given).
PERIOD_COLUMNS = (
    "namespace",
    "metric",
    "time",
    "SampleCount",
    "Sum",
    "Minimum",
    "Maximum",
    "Average",
    "unit",
)
_STATISTICS = ("SampleCount", "Sum", "Minimum", "Maximum", "Average")


def metrics_frame(
    metrics: Metrics,
    namespace: str | None = None,
    name: str | None = None,
    *,
    period: int | None = None,
    **dimensions: str,
) -> Any:
    """The metrics that match as a long, "tidy" table.

    ``namespace`` and ``name`` select metrics; ``dimensions`` keep those whose dimensions
    include these values (``FunctionName="orders"``). Without ``period``, one row per datapoint:
    ``namespace``, ``metric``, ``time`` (a UTC ``Timestamp``), ``value``, ``unit``; a metric
    whose older datapoints were folded into 1-minute statistics (see ``metric_datapoints``)
    refuses this, so ask for ``period``: one row per period of ``period`` seconds with data, as
    ``get_metric_statistics`` gives it (``SampleCount``, ``Sum``, ``Minimum``, ``Maximum``,
    ``Average``). Then one column per dimension name (missing, NaN, where a metric does not
    have it). Rows are in ``list_metrics()`` order, then by time.
    """
    try:
        # NOTE: imported on use: pandas is an optional extra.
        pd = importlib.import_module("pandas")
    except ImportError:
        raise KinesimValueError(
            'metrics.to_pandas() needs pandas: pip install -e ".[pandas]" (from the clone)'
        ) from None
    selected = [
        (ns, metric, dims)
        for ns, metric, dims in metrics.list_metrics(namespace, name)
        if all(dims.get(key) == value for key, value in dimensions.items())
    ]
    dimension_names = sorted({key for _, _, dims in selected for key in dims})
    rows: list[dict[str, Any]] = []
    if period is not None:
        for ns, metric, dims in selected:
            series = metrics.series(ns, metric, **dims)
            first_ms, last_ms = series.first_time_ms(), series.last_time_ms()
            if first_ms is None or last_ms is None:
                continue
            answer = metrics.get_metric_statistics(
                ns,
                metric,
                start=first_ms / 1000,
                end=last_ms / 1000 + period,
                period=period,
                statistics=_STATISTICS,
                dimensions=dims,
            )
            for point in answer["Datapoints"]:
                period_row: dict[str, Any] = {
                    "namespace": ns,
                    "metric": metric,
                    "time": point["Timestamp"],
                }
                period_row.update({stat: point[stat] for stat in _STATISTICS})
                period_row["unit"] = point["Unit"]
                period_row.update({key: dims.get(key) for key in dimension_names})
                rows.append(period_row)
        return pd.DataFrame(rows, columns=[*PERIOD_COLUMNS, *dimension_names])
    for ns, metric, dims in selected:
        series = metrics.series(ns, metric, **dims)
        for time_ms, value in series.points():
            row: dict[str, Any] = {
                "namespace": ns,
                "metric": metric,
                "time": datetime.fromtimestamp(time_ms / 1000, timezone.utc),
                "value": value,
                "unit": series.unit,
            }
            row.update({key: dims.get(key) for key in dimension_names})
            rows.append(row)
    return pd.DataFrame(rows, columns=[*COLUMNS, *dimension_names])
