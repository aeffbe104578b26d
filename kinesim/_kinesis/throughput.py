"""Per-shard throughput limits in virtual time.

AWS publishes the limits (writes: 1,000 records/s and 1 MiB/s per shard; shared reads: 5 calls/s
and 2 MiB/s per shard, a 10 MiB read blocking the next 5 s) but not the algorithm. kinesim uses
**fixed one-second windows aligned on whole virtual seconds** (epoch ms divisible by 1,000), with
byte *debt* carried forward:

- Each window allows ``count_limit`` operations (records for writes, calls for reads).
- Bytes: a window holds ``bytes_limit``. Bytes charged beyond it are carried into the following
  windows, each of which absorbs ``bytes_limit`` of the debt. So a 10 MiB read at t=0 leaves
  8 MiB of debt that windows 1-4 absorb: reads are refused until t=5 s, as AWS documents.
- A write is admitted when the records and bytes still fit in the window (``used + size <=
  limit``), so exactly 1,000 records or exactly 1 MiB fit in one second. A record larger than the
  window (possible only when a stream's maximum record size is raised above 1 MiB) is admitted
  alone into a window with nothing charged and no debt, and its excess becomes debt: the "burst
  tank" that AWS describes without a formula.
- A read is admitted while the window has calls left and its bytes (debt included) are under the
  limit; the call then charges whatever it returned (up to 10 MiB).

Throttled operations charge nothing.
"""

from __future__ import annotations

__all__ = ["WindowLimiter"]

_WINDOW_MS = 1000


class WindowLimiter:
    """Counts and bytes in the current one-second window, with byte debt carried forward."""

    __slots__ = ("bytes_limit", "count", "count_limit", "used_bytes", "window_ms")

    def __init__(self, count_limit: int, bytes_limit: int) -> None:
        self.count_limit = count_limit
        self.bytes_limit = bytes_limit
        self.window_ms = -_WINDOW_MS
        self.count = 0
        # Bytes charged to the current window, including debt carried from earlier windows.
        self.used_bytes = 0

    def _roll(self, now_ms: int) -> None:
        window = now_ms - now_ms % _WINDOW_MS
        if window != self.window_ms:
            elapsed = (window - self.window_ms) // _WINDOW_MS
            self.used_bytes = max(0, self.used_bytes - elapsed * self.bytes_limit)
            self.count = 0
            self.window_ms = window

    def write_fits(self, now_ms: int, records: int, size: int) -> bool:
        """Whether ``records`` records of ``size`` bytes in total may be written now."""
        self._roll(now_ms)
        if self.count + records > self.count_limit:
            return False
        if self.used_bytes + size <= self.bytes_limit:
            return True
        return size > self.bytes_limit and self.used_bytes == 0

    def read_fits(self, now_ms: int) -> bool:
        """Whether one more read call is admitted now."""
        self._roll(now_ms)
        return self.count < self.count_limit and self.used_bytes < self.bytes_limit

    def charge(self, records: int, size: int) -> None:
        """Charge an admitted operation (call :meth:`write_fits` / :meth:`read_fits` first)."""
        self.count += records
        self.used_bytes += size

    def blocked_until_ms(self, now_ms: int) -> int:
        """When the window (and debt) next admit a read, at the earliest (for diagnostics)."""
        self._roll(now_ms)
        if self.count < self.count_limit and self.used_bytes < self.bytes_limit:
            return now_ms
        windows = max(1, -(-(self.used_bytes - self.bytes_limit + 1) // self.bytes_limit))
        if self.used_bytes < self.bytes_limit:
            windows = 1
        return self.window_ms + windows * _WINDOW_MS
