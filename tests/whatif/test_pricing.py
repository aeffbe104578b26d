"""The price table and the monthly cost estimate: arithmetic against hand calculations."""

from __future__ import annotations

import dataclasses

import pytest

from kinesim.whatif import US_EAST_1, PriceTable, Usage, monthly_cost
from kinesim.whatif._pricing import on_demand_bytes, put_payload_units


def test_the_table_is_dated_and_sourced():
    assert US_EAST_1.region == "us-east-1"
    assert US_EAST_1.as_of
    assert any("kinesis" in s for s in US_EAST_1.sources)
    assert any("lambda" in s for s in US_EAST_1.sources)


def test_billing_units():
    assert put_payload_units(1) == 1
    assert put_payload_units(25 * 1024) == 1
    assert put_payload_units(25 * 1024 + 1) == 2
    assert put_payload_units(1024 * 1024) == 41
    assert on_demand_bytes(1) == 1024
    assert on_demand_bytes(4608) == 5120  # AWS's example: 4.5 KB is billed as 5 KB


def test_provisioned_month_by_hand():
    # 4 shards, one simulated hour with 3.6 M PUT units, 36,000 requests, 900 GB-s.
    usage = Usage(
        hours=1.0,
        shards=4,
        put_payload_units=3_600_000,
        lambda_requests=36_000,
        lambda_gb_seconds=900.0,
    )
    cost = monthly_cost(usage)
    lines = dict(cost.lines)
    assert lines["kinesis shard-hours"] == pytest.approx(4 * 730 * 0.015)
    assert lines["kinesis PUT payload units"] == pytest.approx(3.6 * 730 * 0.014)
    assert lines["lambda requests"] == pytest.approx(0.036 * 730 * 0.20)
    assert lines["lambda GB-seconds"] == pytest.approx(900 * 730 * 0.0000166667)
    assert "kinesis extended retention" not in lines
    assert cost.total == pytest.approx(sum(lines.values()))
    assert cost.fan_out == 0


def test_extended_retention_and_fan_out():
    usage = Usage(hours=2.0, shards=2, retention_hours=48, efo_consumers=1, efo_bytes=2 * 1024**3)
    lines = dict(monthly_cost(usage).lines)
    assert lines["kinesis extended retention"] == pytest.approx(2 * 730 * 0.020)
    assert lines["fan-out consumer-shard-hours"] == pytest.approx(2 * 730 * 0.015)
    assert lines["fan-out data"] == pytest.approx(1 * 730 * 0.013)


def test_on_demand_and_overrides():
    usage = Usage(hours=1.0, mode="ON_DEMAND", on_demand_bytes_in=1024**3, bytes_read=1024**3)
    cheap = dataclasses.replace(US_EAST_1, on_demand_data_in_per_gb=0.0, as_of="2030-01-01")
    default, overridden = monthly_cost(usage), monthly_cost(usage, cheap)
    assert dict(default.lines)["kinesis on-demand data in"] == pytest.approx(730 * 0.08)
    assert dict(overridden.lines)["kinesis on-demand data in"] == 0
    assert overridden.as_of == "2030-01-01"
    assert default.total - overridden.total == pytest.approx(730 * 0.08)


def test_bad_prices_and_usage():
    with pytest.raises(ValueError, match="shard_hour"):
        PriceTable(shard_hour=-1.0)
    with pytest.raises(ValueError, match="hours"):
        monthly_cost(Usage(hours=0))
