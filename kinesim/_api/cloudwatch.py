"""``sim.client("cloudwatch")``: GetMetricStatistics, GetMetricData and ListMetrics over
``sim.metrics`` (the metrics the simulator emits, in virtual time). Read-only: kinesim's
services are the only publishers."""

from __future__ import annotations

from typing import Any

from kinesim._api._base import Client, epoch_seconds, operation
from kinesim._errors import InvalidParameterValue, KinesimValueError
from kinesim._observe.metrics import STATISTICS

__all__ = ["CloudWatchClient"]

#: ListMetrics returns at most this many metrics a call (AWS: "up to 500 results").
LIST_METRICS_PAGE = 500
_RECENTLY_ACTIVE_MS = 3 * 3600 * 1000  # RecentlyActive="PT3H"


def _dimensions(pairs: list[dict[str, str]] | None) -> dict[str, str]:
    return {d["Name"]: d["Value"] for d in pairs or []}


def _pairs(dimensions: dict[str, str]) -> list[dict[str, str]]:
    return [{"Name": name, "Value": value} for name, value in dimensions.items()]


class CloudWatchClient(Client):
    service_name = "cloudwatch"

    def _statistics(
        self,
        *,
        namespace: str,
        name: str,
        dimensions: dict[str, str],
        start: Any,
        end: Any,
        period: int,
        statistics: list[str],
        extended: list[str],
        unit: str | None,
    ) -> list[dict[str, Any]]:
        series = self._sim.metrics.series(namespace, name, **dimensions)
        if unit is not None and unit != series.unit:
            return []  # CloudWatch: a Unit the metric was not published with matches nothing
        try:
            result = self._sim.metrics.get_metric_statistics(
                namespace,
                name,
                start=epoch_seconds(start),
                end=epoch_seconds(end),
                period=period,
                statistics=statistics,
                extended_statistics=extended,
                dimensions=dimensions,
            )
        except KinesimValueError as error:
            raise InvalidParameterValue(str(error)) from None
        datapoints: list[dict[str, Any]] = result["Datapoints"]
        return datapoints

    @operation("GetMetricStatistics")
    def _get_metric_statistics(
        self,
        *,
        Namespace: str,
        MetricName: str,
        StartTime: Any,
        EndTime: Any,
        Period: int,
        Dimensions: list[dict[str, str]] | None = None,
        Statistics: list[str] | None = None,
        ExtendedStatistics: list[str] | None = None,
        Unit: str | None = None,
    ) -> dict[str, Any]:
        """Statistics per ``Period`` seconds; empty periods give no datapoint. Percentiles
        (``ExtendedStatistics``) are exact nearest-rank values."""
        datapoints = self._statistics(
            namespace=Namespace,
            name=MetricName,
            dimensions=_dimensions(Dimensions),
            start=StartTime,
            end=EndTime,
            period=Period,
            statistics=list(Statistics or []),
            extended=list(ExtendedStatistics or []),
            unit=Unit,
        )
        return {"Label": MetricName, "Datapoints": datapoints}

    @operation("GetMetricData")
    def _get_metric_data(
        self,
        *,
        MetricDataQueries: list[dict[str, Any]],
        StartTime: Any,
        EndTime: Any,
        NextToken: str | None = None,
        ScanBy: str = "TimestampDescending",
        MaxDatapoints: int | None = None,
    ) -> dict[str, Any]:
        """``MetricStat`` queries (metric math ``Expression`` is not evaluated); every result
        is ``Complete`` in one page."""
        results = []
        for query in MetricDataQueries:
            if "Expression" in query or "MetricStat" not in query:
                raise InvalidParameterValue(
                    f"kinesim evaluates MetricStat queries only; query {query['Id']!r} has no "
                    "MetricStat (metric math expressions are not simulated)"
                )
            stat = query["MetricStat"]
            metric = stat["Metric"]
            name = stat["Stat"]
            is_basic = name in STATISTICS
            datapoints = self._statistics(
                namespace=metric.get("Namespace", ""),
                name=metric.get("MetricName", ""),
                dimensions=_dimensions(metric.get("Dimensions")),
                start=StartTime,
                end=EndTime,
                period=stat["Period"],
                statistics=[name] if is_basic else [],
                extended=[] if is_basic else [name],
                unit=stat.get("Unit"),
            )
            if ScanBy == "TimestampDescending":
                datapoints.reverse()
            if not query.get("ReturnData", True):
                continue
            results.append(
                {
                    "Id": query["Id"],
                    "Label": query.get("Label", metric.get("MetricName", "")),
                    "Timestamps": [d["Timestamp"] for d in datapoints],
                    "Values": [
                        d[name] if is_basic else d["ExtendedStatistics"][name] for d in datapoints
                    ],
                    "StatusCode": "Complete",
                }
            )
        return {"MetricDataResults": results, "Messages": []}

    @operation("ListMetrics")
    def _list_metrics(
        self,
        *,
        Namespace: str | None = None,
        MetricName: str | None = None,
        Dimensions: list[dict[str, str]] | None = None,
        NextToken: str | None = None,
        RecentlyActive: str | None = None,
    ) -> dict[str, Any]:
        """Metrics with datapoints, sorted by namespace, name and dimensions, 500 a page."""
        metrics = self._sim.metrics.list_metrics(Namespace, MetricName)
        for wanted in Dimensions or []:
            metrics = [
                m
                for m in metrics
                if wanted["Name"] in m[2]
                and wanted.get("Value", m[2][wanted["Name"]]) == m[2][wanted["Name"]]
            ]
        if RecentlyActive is not None:
            if RecentlyActive != "PT3H":
                raise InvalidParameterValue(
                    f"The value {RecentlyActive} for parameter RecentlyActive is not valid."
                )
            since_ms = self._sim.now_ms - _RECENTLY_ACTIVE_MS
            metrics = [
                m
                for m in metrics
                if (self._sim.metrics.series(m[0], m[1], **m[2]).last_time_ms() or 0) >= since_ms
            ]
        start = 0
        if NextToken is not None:
            if not NextToken.isdigit():
                raise InvalidParameterValue(f"Invalid NextToken: {NextToken}")
            start = int(NextToken)
        page = metrics[start : start + LIST_METRICS_PAGE]
        out: dict[str, Any] = {
            "Metrics": [
                {"Namespace": ns, "MetricName": name, "Dimensions": _pairs(dims)}
                for ns, name, dims in page
            ]
        }
        if start + LIST_METRICS_PAGE < len(metrics):
            out["NextToken"] = str(start + LIST_METRICS_PAGE)
        return out
