"""Helpers for tests that build their own simulator, such as hypothesis ``@given`` tests.

A pytest fixture gives one simulator per *test*; a ``@given`` test runs many *examples*, and each
needs a fresh simulator (hypothesis refuses function-scoped fixtures in ``@given`` tests for that
reason). Build one per example with :func:`simulator`::

    from hypothesis import given, strategies as st
    import kinesim.testing

    @given(st.lists(st.binary(max_size=100), max_size=20))
    def test_every_record_is_processed(payloads):
        with kinesim.testing.simulator(seed=0) as sim:
            ...

When the block fails, the exception gets a note with what kinesim knows (the seed, each
mapping's ledger and what is stuck, the last trace events), as the pytest fixtures' failure
section has: pytest and hypothesis print exception notes with the failure.

This module imports neither pytest nor hypothesis.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kinesim._simulator import Simulator

__all__ = ["simulator"]

#: Trace events a failure note shows (the fixtures' report shows ``kinesim_trace_tail``, 20).
NOTE_TRACE_TAIL = 10


@contextmanager
def simulator(*, seed: int = 0, **options: Any) -> Iterator[Simulator]:
    """A fresh :class:`~kinesim.Simulator` (``Simulator(seed=seed, **options)``) for one example
    or one block; an exception leaving the block gets a note describing the simulator."""
    sim = Simulator(seed=seed, **options)
    try:
        yield sim
    except Exception as exc:
        # NOTE: imported here, only when a note is written, because the plugin module imports
        # pytest and this module must work without it (unittest, scripts).
        from kinesim._pytest_plugin import describe

        text = "kinesim.testing.simulator:\n" + describe(sim, tail=NOTE_TRACE_TAIL)
        if sys.version_info >= (3, 11):
            exc.add_note(text)
        else:  # pragma: no cover - PEP 678 notes by hand; pytest prints them on 3.10 too
            exc.__notes__ = [*getattr(exc, "__notes__", []), text]  # type: ignore[attr-defined]
        raise
