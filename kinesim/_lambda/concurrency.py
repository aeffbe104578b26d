"""Recording a concurrency level the way CloudWatch reports it: the maximum per minute.

NOTE: a datapoint per change would cost six datapoints per invocation (function, account and
unreserved pool, at start and at end) - most of a long what-if run's memory. Only what the
per-minute maximum needs is kept: the first level seen in each minute and every new high within
it. ``Series.max()`` over any span of whole minutes is unchanged.
"""

from __future__ import annotations

from kinesim._observe.metrics import Series

__all__ = ["PeakPerMinute"]

_MINUTE_MS = 60_000


class PeakPerMinute:
    """Feeds a series with the datapoints its per-minute maximum needs."""

    __slots__ = ("_minute_end_ms", "_peak", "series")

    def __init__(self, series: Series) -> None:
        self.series = series
        self._minute_end_ms = -1
        self._peak = 0

    def observe(self, now_ms: int, level: int) -> None:
        if now_ms >= self._minute_end_ms:
            self._minute_end_ms = now_ms - now_ms % _MINUTE_MS + _MINUTE_MS
            self._peak = level
            self.series.add(now_ms, level)
        elif level > self._peak:
            self._peak = level
            self.series.add(now_ms, level)
