"""Progress of long what-if runs and sweeps, on stderr, never in the report.

On a terminal: a bar with the share of virtual time simulated and an estimate of the time left,
redrawn in place. Elsewhere (CI logs, a notebook's captured stderr, a pipe): one plain line every
few seconds, so a long run is never silent. ``--quiet`` turns both off. Progress reads the wall
clock (``time.monotonic``) to pace itself and to estimate what is left; nothing it reads reaches
the simulation or the report, which stay identical with or without it.

No third-party progress library: a bar and a line are a few lines of text, and ``kinesim
whatif`` must run on a bare install.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]

#: Seconds between two plain progress lines when stderr is not a terminal.
LINE_EVERY_S = 5.0
#: Seconds before a terminal bar first appears (a short run shows none).
BAR_AFTER_S = 1.0
_BAR_WIDTH = 30


def _clock_text(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60:02d} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"


def _virtual_text(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


class Progress:
    """Reports ``update(done_s)`` out of ``total_s`` virtual seconds on ``stream`` (stderr)."""

    def __init__(
        self,
        label: str,
        *,
        total_s: float,
        stream: TextIO | None = None,
        quiet: bool = False,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.label = label
        self.total_s = total_s
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.clock = clock
        self.terminal = self.stream.isatty()
        self.started = clock()
        self.last_shown: float | None = None
        self.done_s = 0.0
        self.width = 0

    def __call__(self, fraction: float) -> None:
        """Progress as a fraction of the whole (what :meth:`Scenario.run` reports)."""
        self.update(fraction * self.total_s)

    def update(self, done_s: float) -> None:
        self.done_s = done_s
        if self.quiet:
            return
        now = self.clock()
        elapsed = now - self.started
        if self.terminal:
            due = elapsed >= BAR_AFTER_S and (
                self.last_shown is None or now - self.last_shown >= 0.2
            )
        else:
            since = elapsed if self.last_shown is None else now - self.last_shown
            due = since >= LINE_EVERY_S
        if not due:
            return
        self.last_shown = now
        text = self.text(elapsed)
        if self.terminal:
            self.width = max(self.width, len(text))
            self.stream.write("\r" + text.ljust(self.width))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()

    def text(self, elapsed_s: float) -> str:
        fraction = min(1.0, self.done_s / self.total_s) if self.total_s > 0 else 1.0
        left = (
            f", about {_clock_text(elapsed_s * (1 - fraction) / fraction)} left"
            if fraction > 0
            else ""
        )
        amount = (
            f"{fraction * 100:3.0f}% ({_virtual_text(self.done_s)} of "
            f"{_virtual_text(self.total_s)} virtual), {_clock_text(elapsed_s)} elapsed{left}"
        )
        if self.terminal:
            filled = round(fraction * _BAR_WIDTH)
            return f"{self.label} [{'#' * filled}{'.' * (_BAR_WIDTH - filled)}] {amount}"
        return f"{self.label}: {amount}"

    def close(self) -> None:
        """Clear the bar (terminal), or say the work is done (if a line was printed)."""
        if self.quiet or self.last_shown is None:
            return
        if self.terminal:
            self.stream.write("\r" + " " * self.width + "\r")
        else:
            elapsed = self.clock() - self.started
            self.stream.write(f"{self.label}: done in {_clock_text(elapsed)}\n")
        self.stream.flush()
