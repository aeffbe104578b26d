"""A dated, overridable price table and the monthly cost estimate.

The default table, :data:`US_EAST_1`, holds AWS's public on-demand list prices for US East
(N. Virginia) as dated in ``as_of``; pass your own ``PriceTable(...)`` (or
``dataclasses.replace(US_EAST_1, shard_hour=...)``) for another Region, a newer price or a
discount. Free tiers, Savings Plans, tiered Lambda duration prices above 6 billion GB-s a month,
taxes and data transfer are left out.

A run's usage is scaled to a month of :data:`HOURS_PER_MONTH` hours (730, the figure AWS's
pricing examples use): "if the simulated hours were typical, a month would cost this".
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

from kinesim._errors import KinesimValueError

__all__ = ["HOURS_PER_MONTH", "US_EAST_1", "CostEstimate", "PriceTable", "Usage", "monthly_cost"]

HOURS_PER_MONTH = 730.0
_GB = 1024**3
PUT_PAYLOAD_UNIT_BYTES = 25 * 1024
ON_DEMAND_ROUNDING_BYTES = 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class PriceTable:
    """USD list prices. Every field can be overridden; ``as_of`` and ``sources`` say where the
    numbers come from."""

    region: str = "us-east-1"
    as_of: str = "2025-01-15"
    sources: tuple[str, ...] = (
        "https://aws.amazon.com/kinesis/data-streams/pricing/",
        "https://aws.amazon.com/lambda/pricing/",
    )
    # Kinesis Data Streams, provisioned mode
    shard_hour: float = 0.015
    put_payload_units_per_million: float = 0.014
    extended_retention_shard_hour: float = 0.020
    efo_consumer_shard_hour: float = 0.015
    efo_data_per_gb: float = 0.013
    # Kinesis Data Streams, on-demand mode
    on_demand_stream_hour: float = 0.04
    on_demand_data_in_per_gb: float = 0.08
    on_demand_data_out_per_gb: float = 0.04
    on_demand_efo_data_per_gb: float = 0.05
    # AWS Lambda (x86, first duration tier)
    lambda_requests_per_million: float = 0.20
    lambda_gb_second: float = 0.0000166667

    def __post_init__(self) -> None:
        object.__setattr__(self, "sources", tuple(self.sources))
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, float) and not (math.isfinite(value) and value >= 0):
                raise KinesimValueError(f"PriceTable.{f.name} must be >= 0, got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sources"] = list(self.sources)
        return data


#: AWS list prices in us-east-1 (see :class:`PriceTable` ``as_of`` and ``sources``).
US_EAST_1 = PriceTable()


@dataclass(frozen=True, slots=True, kw_only=True)
class Usage:
    """What a run used, over ``hours`` simulated hours."""

    hours: float
    mode: str = "PROVISIONED"
    shards: int = 1
    retention_hours: int = 24
    put_payload_units: int = 0
    #: Bytes ingested, each record rounded up to 1 KiB (on-demand billing unit).
    on_demand_bytes_in: int = 0
    #: Bytes read through shared throughput (GetRecords), every consumer counted.
    bytes_read: int = 0
    efo_consumers: int = 0
    efo_bytes: int = 0
    lambda_requests: int = 0
    lambda_gb_seconds: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class CostEstimate:
    """A monthly cost estimate in USD, by line item."""

    kinesis: float
    fan_out: float
    lambda_: float
    lines: tuple[tuple[str, float], ...]
    as_of: str

    @property
    def total(self) -> float:
        return self.kinesis + self.fan_out + self.lambda_

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "kinesis": self.kinesis,
            "fan_out": self.fan_out,
            "lambda": self.lambda_,
            "lines": dict(self.lines),
            "prices_as_of": self.as_of,
        }


def put_payload_units(size_bytes: int) -> int:
    """PUT payload units for one record: 25 KB chunks, at least one."""
    return max(1, -(-size_bytes // PUT_PAYLOAD_UNIT_BYTES))


def on_demand_bytes(size_bytes: int) -> int:
    """Billed on-demand bytes for one record: rounded up to the next 1 KB."""
    return max(1, -(-size_bytes // ON_DEMAND_ROUNDING_BYTES)) * ON_DEMAND_ROUNDING_BYTES


def monthly_cost(usage: Usage, prices: PriceTable = US_EAST_1) -> CostEstimate:
    """Scale ``usage`` to a 730-hour month and price it."""
    if usage.hours <= 0:
        raise KinesimValueError(f"usage.hours must be > 0, got {usage.hours!r}")
    scale = HOURS_PER_MONTH / usage.hours
    lines: list[tuple[str, float]] = []
    if usage.mode == "ON_DEMAND":
        lines.append(
            ("kinesis on-demand stream-hours", HOURS_PER_MONTH * prices.on_demand_stream_hour)
        )
        lines.append(
            (
                "kinesis on-demand data in",
                usage.on_demand_bytes_in * scale / _GB * prices.on_demand_data_in_per_gb,
            )
        )
        lines.append(
            (
                "kinesis on-demand data out",
                usage.bytes_read * scale / _GB * prices.on_demand_data_out_per_gb,
            )
        )
        efo_data = prices.on_demand_efo_data_per_gb
        efo_hours = 0.0
    else:
        shard_hours = usage.shards * HOURS_PER_MONTH
        lines.append(("kinesis shard-hours", shard_hours * prices.shard_hour))
        lines.append(
            (
                "kinesis PUT payload units",
                usage.put_payload_units * scale / 1e6 * prices.put_payload_units_per_million,
            )
        )
        if usage.retention_hours > 24:
            lines.append(
                ("kinesis extended retention", shard_hours * prices.extended_retention_shard_hour)
            )
        efo_data = prices.efo_data_per_gb
        efo_hours = (
            usage.efo_consumers * usage.shards * HOURS_PER_MONTH * prices.efo_consumer_shard_hour
        )
    kinesis = sum(value for _, value in lines)
    fan_out = 0.0
    if usage.efo_consumers:
        lines.append(("fan-out consumer-shard-hours", efo_hours))
        lines.append(("fan-out data", usage.efo_bytes * scale / _GB * efo_data))
        fan_out = efo_hours + usage.efo_bytes * scale / _GB * efo_data
    requests = usage.lambda_requests * scale / 1e6 * prices.lambda_requests_per_million
    duration = usage.lambda_gb_seconds * scale * prices.lambda_gb_second
    lines.append(("lambda requests", requests))
    lines.append(("lambda GB-seconds", duration))
    return CostEstimate(
        kinesis=kinesis,
        fan_out=fan_out,
        lambda_=requests + duration,
        lines=tuple(lines),
        as_of=prices.as_of,
    )
