"""Kinesis objects as AWS's wire shapes: the one place kinesim's Kinesis domain values become
boto3's PascalCase response members (``sim.client("kinesis")`` and ``mock_aws`` share it)."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["epoch_datetime"]


def epoch_datetime(ms: int) -> datetime:
    """Epoch milliseconds as the UTC ``datetime`` boto3 parses a timestamp member into."""
    return datetime.fromtimestamp(ms // 1000, timezone.utc).replace(microsecond=(ms % 1000) * 1000)
