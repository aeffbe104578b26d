"""kinesim's pytest plugin, registered through the ``pytest11`` entry point.

Importing it must stay light: it imports pytest (which is running anyway) and kinesim, never
hypothesis.
"""

from __future__ import annotations

import pytest

from kinesim._simulator import Simulator


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "kinesim(**options): keyword arguments for the kinesim fixture's Simulator"
    )


@pytest.fixture
def kinesim(request: pytest.FixtureRequest) -> Simulator:
    """A fresh :class:`kinesim.Simulator` for the test (``@pytest.mark.kinesim(seed=...)``)."""
    marker = request.node.get_closest_marker("kinesim")
    options = dict(marker.kwargs) if marker is not None else {}
    return Simulator(**options)
