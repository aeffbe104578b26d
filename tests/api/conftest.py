"""Fixtures of the API-layer tests: a simulator and its clients."""

from __future__ import annotations

from typing import Any

import pytest

import kinesim


@pytest.fixture
def sim() -> kinesim.Simulator:
    return kinesim.Simulator(seed=7)


@pytest.fixture
def kinesis(sim: kinesim.Simulator) -> Any:
    return sim.client("kinesis")


@pytest.fixture
def lambda_(sim: kinesim.Simulator) -> Any:
    return sim.client("lambda")


@pytest.fixture
def sqs(sim: kinesim.Simulator) -> Any:
    return sim.client("sqs")


@pytest.fixture
def sns(sim: kinesim.Simulator) -> Any:
    return sim.client("sns")


@pytest.fixture
def s3(sim: kinesim.Simulator) -> Any:
    return sim.client("s3")
