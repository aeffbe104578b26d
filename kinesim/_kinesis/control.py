"""The control plane of a Kinesis stream: retention and trimming, resharding (SplitShard,
MergeShards, UpdateShardCount), capacity mode, record size, warm throughput, record distribution,
tags, encryption and enhanced monitoring.

:class:`StreamControlMixin` is a base class of :class:`~kinesim._kinesis.stream.Stream`: the
operations are the stream's methods, kept here so that each module stays readable.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from kinesim._errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from kinesim._kinesis.descriptions import MonitoringUpdate, ShardCountUpdate
from kinesim._kinesis.hashing import HASH_KEY_PATTERN
from kinesim._kinesis.resources import check_tag_keys, check_tags
from kinesim._kinesis.validate import check_enum, check_int, check_list, check_str, fail

if TYPE_CHECKING:
    from kinesim._kinesis.service import KinesisService
    from kinesim._kinesis.shard import Shard
    from kinesim._simulator import Simulator

__all__ = [
    "HOUR_MS",
    "MAX_RETENTION_HOURS",
    "MAX_SHARDS_PER_STREAM",
    "MIN_RETENTION_HOURS",
    "RECORD_DISTRIBUTION_STRATEGIES",
    "SHARD_LEVEL_METRICS",
    "StreamControlMixin",
    "canonical_shard_id",
    "start_of",
]

#: kinesim's own metrics (AWS has no metric for records lost to retention).
KINESIM_NS = "kinesim/Kinesis"

HOUR_MS = 3_600_000
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
MAX_SHARDS_PER_STREAM = 10_000
SHARD_LEVEL_METRICS = (
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
)
RECORD_DISTRIBUTION_STRATEGIES = ("AUTO", "USER_PARTITION_KEY")
#: "By default, you cannot ... scale to more than 10 GiBps for an on-demand stream."
MAX_WARM_THROUGHPUT_MIBPS = 10 * 1024
_SCALINGS_PER_DAY = 10
_DAY_MS = 86_400_000


#: Shard indexes AWS accepts in a shard id: a signed 32-bit int's non-negative range (kinesalite).
_MAX_SHARD_INDEX = 2**31 - 1


def canonical_shard_id(shard_id: object) -> str | None:
    """The ``shardId-NNNNNNNNNNNN`` form of a shard id as AWS reads it, or None if it names no
    shard. AWS takes the digits after the first ``-`` (or the whole text if there is none):
    ``"shardId-5"``, ``"shard-5"`` and ``"5"`` all name ``shardId-000000000005`` (kinesalite's
    tests, which run against AWS)."""
    if not isinstance(shard_id, str):
        return None
    parts = shard_id.split("-")
    digits = parts[1] if len(parts) > 1 and parts[1] else shard_id
    if not digits.isascii() or not digits.isdigit() or int(digits) > _MAX_SHARD_INDEX:
        return None
    return f"shardId-{int(digits):012d}"


def start_of(shard: Shard) -> int:
    """Sort key of shards by hash key."""
    return shard.hash_key_start


class StreamControlMixin:
    """Retention, resharding and the stream's settings (a base class of ``Stream``)."""

    # Provided by the Stream.
    sim: Simulator
    service: KinesisService
    name: str
    arn: str
    account_id: str
    mode: str
    retention_ms: int
    max_record_size_kib: int
    tags: dict[str, str]
    encryption_type: str
    key_id: str | None
    shard_level_metrics: set[str]
    warm_throughput_mibps: int | None
    record_distribution_strategy: str | None
    _shards: dict[str, Shard]
    _open: list[Shard]
    _scalings_ms: list[int]
    _mode_switches_ms: list[int]
    _deleted: bool

    @property
    def queue_count(self) -> int:
        raise NotImplementedError

    def _require_writable(self) -> None:
        raise NotImplementedError

    def _require_active(self) -> None:
        raise NotImplementedError

    def _require_provisioned(self, operation: str) -> None:
        raise NotImplementedError

    def _control(self, apply: Callable[[], None], kind: str, **fields: Any) -> None:
        raise NotImplementedError

    def _close(self, shard: Shard) -> None:
        raise NotImplementedError

    def _reroute(self) -> None:
        raise NotImplementedError

    def _new_shard(
        self,
        start: int,
        end: int,
        parent: str | None = None,
        adjacent: str | None = None,
        seq_floor_ms: int = 0,
    ) -> Shard:
        raise NotImplementedError

    def _shard_not_found(self, shard_id: object) -> ResourceNotFoundException:
        raise NotImplementedError

    # -- retention ----------------------------------------------------------------------------

    def _schedule_expiry(self, shard: Shard) -> None:
        if shard._expiry_timer is not None:
            shard._expiry_timer.cancel()
            shard._expiry_timer = None
        if self._deleted or shard.shard_id not in self._shards:
            return
        if shard.trim_index < shard.end_index:
            when_ms = shard._arrival[shard.trim_index - shard._base] + self.retention_ms
        elif shard.closed_ms is not None:
            when_ms = shard.closed_ms + self.retention_ms
        else:
            return
        shard._expiry_timer = self.sim.call_at_ms(
            max(when_ms, self.sim.now_ms), self._expiry_due, shard
        )

    def _expiry_due(self, shard: Shard) -> None:
        shard._expiry_timer = None
        self._expire(shard)
        self._schedule_expiry(shard)

    def _expire(self, shard: Shard) -> bool:
        """Trim what has outlived retention in ``shard``; expire a closed shard. True if any."""
        now_ms = self.sim.now_ms
        cutoff_ms = now_ms - self.retention_ms
        changed = False
        if shard.trim_index < shard.end_index and (
            shard._arrival[shard.trim_index - shard._base] <= cutoff_ms
        ):
            k = bisect_right(shard._arrival, cutoff_ms, shard.trim_index - shard._base)
            records, size = shard._trim_before(shard._base + k)
            changed = True
            self.sim.metrics.handle(
                KINESIM_NS, "TrimmedRecords", {"StreamName": self.name}, "Count"
            ).add(now_ms, records)
            self.sim.metrics.handle(
                KINESIM_NS, "TrimmedBytes", {"StreamName": self.name}, "Bytes"
            ).add(now_ms, size)
            self.sim.trace.emit(
                "kinesis.trim",
                stream=self.name,
                shard=shard.shard_id,
                records=records,
                bytes=size,
                trim_index=shard.trim_index,
            )
        if (
            shard.closed_ms is not None
            and shard.trim_index == shard.end_index
            and shard.closed_ms <= cutoff_ms
            and shard.shard_id in self._shards
        ):
            del self._shards[shard.shard_id]
            shard._release()
            changed = True
            self.sim.trace.emit(
                "kinesis.trim",
                stream=self.name,
                shard=shard.shard_id,
                records=0,
                bytes=0,
                trim_index=shard.trim_index,
                shard_expired=True,
            )
        return changed

    def _expire_due(self, shard: Shard) -> None:
        """Trim ``shard`` now if a timer at this very millisecond has not run yet."""
        if (
            shard.trim_index < shard.end_index
            and (
                shard._arrival[shard.trim_index - shard._base] + self.retention_ms
                <= self.sim.now_ms
            )
            and self._expire(shard)
        ):
            self._schedule_expiry(shard)

    @property
    def retention_hours(self) -> int:
        return self.retention_ms // HOUR_MS

    def _check_retention(self, value: Any) -> int:
        hours = check_int(value, "retentionPeriodHours")
        if hours < MIN_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Minimum allowed retention period is {MIN_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too short."
            )
        if hours > MAX_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Maximum allowed retention period is {MAX_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too long."
            )
        return hours

    def increase_retention_period(self, retention_hours: int) -> None:
        """IncreaseStreamRetentionPeriod. Records already trimmed stay gone."""
        hours = self._check_retention(retention_hours)
        self._require_active()
        if hours < self.retention_hours:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {self.name} can not be "
                f"shorter than existing retention period ({self.retention_hours} hours). "
                "Use DecreaseRetentionPeriod API."
            )
        self._control(lambda: self._set_retention(hours), "kinesis.retention", hours=hours)

    def decrease_retention_period(self, retention_hours: int) -> None:
        """DecreaseStreamRetentionPeriod. Records older than the new period are trimmed."""
        hours = self._check_retention(retention_hours)
        self._require_active()
        if hours > self.retention_hours:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {self.name} can not be "
                f"longer than existing retention period ({self.retention_hours} hours). "
                "Use IncreaseRetentionPeriod API."
            )
        self._control(lambda: self._set_retention(hours), "kinesis.retention", hours=hours)

    def _set_retention(self, hours: int) -> None:
        self.retention_ms = hours * HOUR_MS
        for shard in list(self._shards.values()):
            self._expire(shard)
            self._schedule_expiry(shard)

    # -- resharding ---------------------------------------------------------------------------

    def _open_shard(self, shard_id: Any, field: str) -> Shard:
        check_str(shard_id, field, max_len=128, pattern=r"[a-zA-Z0-9_.-]+")
        canonical = canonical_shard_id(shard_id)
        shard = None if canonical is None else self._shards.get(canonical)
        if shard is None:
            raise self._shard_not_found(canonical or shard_id)
        if shard.closed:
            raise ResourceInUseException(
                f"Shard {shard_id} in stream {self.name} under account {self.account_id} has "
                "already been merged or split, and thus is not eligible for merging or splitting."
            )
        return shard

    def _check_shard_quota(self, more: int) -> None:
        if len(self._open) + more > MAX_SHARDS_PER_STREAM:
            raise LimitExceededException(
                f"This request would exceed the shard limit for stream {self.name} under "
                f"account {self.account_id}: at most {MAX_SHARDS_PER_STREAM} open shards."
            )

    def split_shard(self, shard_to_split: str, new_starting_hash_key: str) -> None:
        """SplitShard: the parent closes; children take ``[start, key-1]`` and ``[key, end]``."""
        key_text = check_str(
            new_starting_hash_key, "newStartingHashKey", max_len=39, pattern=HASH_KEY_PATTERN
        )
        self._require_provisioned("SplitShard")
        self._require_active()
        shard = self._open_shard(shard_to_split, "shardToSplit")
        key = int(key_text)
        if not shard.hash_key_start + 1 < key < shard.hash_key_end:
            raise InvalidArgumentException(
                f"NewStartingHashKey {key_text} used in SplitShard() on shard {shard.shard_id} in "
                f"stream {self.name} under account {self.account_id} is not both greater than one "
                f"plus the shard's StartingHashKey {shard.hash_key_start} and less than the "
                f"shard's EndingHashKey {shard.hash_key_end}."
            )
        self._check_shard_quota(1)

        def apply() -> None:
            if shard.closed:
                return
            self._split(shard, key)
            self._reroute()

        self._control(apply, "kinesis.reshard", op="split", shard=shard.shard_id, key=key_text)

    def _split(self, shard: Shard, key: int) -> tuple[Shard, Shard]:
        self._close(shard)
        floor = shard._last_seq_ms
        low = self._new_shard(shard.hash_key_start, key - 1, shard.shard_id, None, floor)
        high = self._new_shard(key, shard.hash_key_end, shard.shard_id, None, floor)
        return low, high

    def merge_shards(self, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
        """MergeShards: two adjacent open shards close; one child covers both ranges."""
        self._require_provisioned("MergeShards")
        self._require_active()
        a = self._open_shard(shard_to_merge, "shardToMerge")
        b = self._open_shard(adjacent_shard_to_merge, "adjacentShardToMerge")
        if a.hash_key_end + 1 != b.hash_key_start and b.hash_key_end + 1 != a.hash_key_start:
            raise InvalidArgumentException(
                f"Shards {a.shard_id} and {b.shard_id} in stream {self.name} under account "
                f"{self.account_id} are not an adjacent pair of shards eligible for merging"
            )

        def apply() -> None:
            if a.closed or b.closed:
                return
            self._merge(a, b)
            self._reroute()

        self._control(apply, "kinesis.reshard", op="merge", shard=a.shard_id, adjacent=b.shard_id)

    def _merge(self, a: Shard, b: Shard) -> Shard:
        self._close(a)
        self._close(b)
        floor = max(a._last_seq_ms, b._last_seq_ms)
        start = min(a.hash_key_start, b.hash_key_start)
        end = max(a.hash_key_end, b.hash_key_end)
        return self._new_shard(start, end, a.shard_id, b.shard_id, floor)

    def update_shard_count(
        self, target_shard_count: int, scaling_type: str = "UNIFORM_SCALING"
    ) -> ShardCountUpdate:
        """UpdateShardCount with uniform scaling: at most double, at least half the open
        shards, at most 10 times per rolling 24 hours. Returns current and target counts.
        How the shards are split and merged: see :meth:`_scale_uniform`."""
        target = check_int(target_shard_count, "targetShardCount", minimum=1)
        check_enum(scaling_type, "scalingType", ["UNIFORM_SCALING"])
        self._require_provisioned("UpdateShardCount")
        self._require_active()
        current = len(self._open)
        if target > 2 * current:
            raise InvalidArgumentException(
                "UpdateShardCount cannot scale up over double your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        if target < math.ceil(current / 2):
            raise InvalidArgumentException(
                "UpdateShardCount cannot scale down below half your current open shard count. "
                f"Current open shard count: {current} Target shard count: {target}"
            )
        self._check_shard_quota(target - current)
        if target > current:
            for shard in self._open:
                if shard.hash_key_start == shard.hash_key_end:
                    # Scaling up splits every open shard; one hash key cannot be split. AWS's
                    # text for this corner is not recorded (assumed).
                    raise InvalidArgumentException(
                        f"UpdateShardCount cannot split shard {shard.shard_id} in stream "
                        f"{self.name} under account {self.account_id}: it has a single hash key."
                    )
        now_ms = self.sim.now_ms
        recent = [t for t in self._scalings_ms if t > now_ms - _DAY_MS]
        if len(recent) >= _SCALINGS_PER_DAY:
            raise LimitExceededException(
                f"Rate exceeded for stream {self.name} under account {self.account_id}: "
                f"UpdateShardCount may scale a stream at most {_SCALINGS_PER_DAY} times in a "
                "rolling 24-hour period."
            )
        self._scalings_ms = [*recent, now_ms]

        def apply() -> None:
            self._scale_uniform(target)
            self._reroute()

        self._control(apply, "kinesis.reshard", op="update_shard_count", target=target)
        return ShardCountUpdate(self.name, self.arn, current, target)

    def _scale_uniform(self, target: int) -> None:
        """Reach ``target`` open shards the way AWS was recorded doing it: to scale up, split
        every open shard at its middle, then merge adjacent pairs of open shards from the
        lowest hash key until ``target`` are open; to scale down, only the merges.

        This leaves the shard totals AWS leaves (10 -> 13 gives 37 shards in DescribeStream,
        5 -> 3 gives 7; moto's tests, verified against AWS): ``4n - t`` new shards to scale
        ``n`` up to ``t``, ``n - t`` to scale down. Which hash ranges the new shards take is
        not recorded (kinesim's are halves and merged pairs; assumed). Exactly equal ranges
        are impossible with those totals: 10 -> 13 has only 7 merges to erase the 9 old
        boundaries.
        """
        if target > len(self._open):
            for shard in sorted(self._open, key=start_of):
                middle = shard.hash_key_start + (shard.hash_key_end - shard.hash_key_start + 1) // 2
                self._split(shard, middle)
            self._reroute()
        merges = len(self._open) - target
        opened = sorted(self._open, key=start_of)
        # At most half the open shards go in one pass (pairs 0-1, 2-3, ...), and UpdateShardCount
        # never needs more: a target is at least half the open count, or double after splits.
        assert merges <= len(opened) // 2
        for k in range(merges):
            self._merge(opened[2 * k], opened[2 * k + 1])

    def update_stream_mode(self, mode: str) -> None:
        """UpdateStreamMode: switch between PROVISIONED and ON_DEMAND (at most twice per
        rolling 24 hours). The open shards stay as they are."""
        check_enum(mode, "streamModeDetails.streamMode", ["PROVISIONED", "ON_DEMAND"])
        self._require_active()
        now_ms = self.sim.now_ms
        recent = [t for t in self._mode_switches_ms if t > now_ms - _DAY_MS]
        if len(recent) >= 2:
            raise LimitExceededException(
                f"Stream {self.name} under account {self.account_id} has already switched "
                "capacity mode twice in the last 24 hours."
            )
        if mode == self.mode:
            raise InvalidArgumentException(
                f"Stream {self.name} under account {self.account_id} is already in {mode} mode."
            )
        if mode == "PROVISIONED" and self.queue_count:
            raise ResourceInUseException(
                f"Stream {self.name} under account {self.account_id} has queues. Delete them "
                "with DeleteQueue before you switch the stream to PROVISIONED capacity mode."
            )
        self._mode_switches_ms = [*recent, now_ms]

        def apply() -> None:
            self.mode = mode

        self._control(apply, "kinesis.mode", mode=mode)

    def update_max_record_size(self, max_record_size_kib: int) -> None:
        """UpdateMaxRecordSize: 1,024-10,240 KiB (data plus partition key)."""
        kib = check_int(max_record_size_kib, "maxRecordSizeInKiB", minimum=1024, maximum=10240)
        self._require_active()

        def apply() -> None:
            self.max_record_size_kib = kib

        self._control(apply, "kinesis.max_record_size", kib=kib)

    def _require_on_demand(self, operation: str) -> None:
        if self.mode != "ON_DEMAND":
            raise ValidationException(
                f"{operation} is not supported for stream {self.name} under account "
                f"{self.account_id} in PROVISIONED capacity mode. This API is only supported for "
                "data streams with the on-demand capacity mode."
            )

    def update_warm_throughput(self, warm_throughput_mibps: int) -> None:
        """UpdateStreamWarmThroughput (on-demand streams of an account with the minimum
        throughput billing commitment enabled; at most 10 GiB/s). Stored and reported by
        DescribeStreamSummary; kinesim's on-demand write limits do not change with it."""
        mibps = check_int(warm_throughput_mibps, "warmThroughputMiBps", minimum=0)
        self._require_on_demand("UpdateStreamWarmThroughput")
        if self.service.billing_commitment.status == "DISABLED":
            raise ValidationException(
                "Warm throughput is only supported in accounts with "
                "MinimumThroughputBillingCommitment enabled."
            )
        if mibps > MAX_WARM_THROUGHPUT_MIBPS:
            raise LimitExceededException(
                f"Warm throughput of {mibps} MiBps for stream {self.name} under account "
                f"{self.account_id} exceeds the limit of {MAX_WARM_THROUGHPUT_MIBPS} MiBps."
            )
        self._require_active()

        def apply() -> None:
            self.warm_throughput_mibps = mibps

        self._control(apply, "kinesis.warm_throughput", mibps=mibps)

    def update_record_distribution_strategy(self, strategy: str) -> None:
        """UpdateStreamRecordDistributionStrategy (on-demand streams): takes effect at once.
        Stored and reported; kinesim routes every record by its partition key either way."""
        check_enum(strategy, "recordDistributionStrategy", RECORD_DISTRIBUTION_STRATEGIES)
        self._require_on_demand("UpdateStreamRecordDistributionStrategy")
        self._require_writable()
        self.record_distribution_strategy = strategy
        self.sim.trace.emit("kinesis.distribution", stream=self.name, strategy=strategy)

    # -- tags, encryption, monitoring ---------------------------------------------------------

    def add_tags(self, tags: Mapping[str, str]) -> None:
        """AddTagsToStream: at most 50 tags per stream."""
        self._require_writable()
        checked = check_tags(tags)
        merged = {**self.tags, **checked}
        if len(merged) > 50:
            raise LimitExceededException(
                f"Failed to add tags to stream {self.name} under account {self.account_id} "
                "because a given stream cannot have more than 50 tags associated with it."
            )
        self.tags = merged

    def remove_tags(self, tag_keys: Iterable[str]) -> None:
        """RemoveTagsFromStream (unknown keys are ignored)."""
        self._require_writable()
        for key in check_tag_keys(tag_keys):
            self.tags.pop(key, None)

    def start_encryption(self, key_id: str, encryption_type: str = "KMS") -> None:
        """StartStreamEncryption: records written once it takes effect report ``KMS``."""
        check_enum(encryption_type, "encryptionType", ["KMS"])
        check_str(key_id, "keyId", max_len=2048)
        self._require_active()
        self._control(lambda: self._set_encryption("KMS", key_id), "kinesis.encryption", type="KMS")

    def stop_encryption(self, key_id: str, encryption_type: str = "KMS") -> None:
        """StopStreamEncryption."""
        check_enum(encryption_type, "encryptionType", ["KMS"])
        check_str(key_id, "keyId", max_len=2048)
        self._require_active()
        self._control(lambda: self._set_encryption("NONE", None), "kinesis.encryption", type="NONE")

    def _set_encryption(self, kind: str, key_id: str | None) -> None:
        self.encryption_type = kind
        self.key_id = key_id
        for shard in self._shards.values():
            shard._encryption.append((shard.end_index, kind))

    def enable_enhanced_monitoring(self, shard_level_metrics: Iterable[str]) -> MonitoringUpdate:
        """EnableEnhancedMonitoring: emit these shard-level metrics (dimension ShardId)."""
        return self._monitoring(shard_level_metrics, enable=True)

    def disable_enhanced_monitoring(self, shard_level_metrics: Iterable[str]) -> MonitoringUpdate:
        """DisableEnhancedMonitoring."""
        return self._monitoring(shard_level_metrics, enable=False)

    def _monitoring(self, metrics: Iterable[str], *, enable: bool) -> MonitoringUpdate:
        names = [
            check_enum(m, "shardLevelMetrics.member", SHARD_LEVEL_METRICS)
            for m in check_list(metrics, "shard_level_metrics", "metric names such as 'ALL'")
        ]
        if not 1 <= len(names) <= 7:
            raise fail("shardLevelMetrics", names, "Member must have length between 1 and 7")
        self._require_active()
        before = self._monitored()
        wanted = set(SHARD_LEVEL_METRICS[:-1]) if "ALL" in names else set(names)
        if enable:
            self.shard_level_metrics |= wanted
        else:
            self.shard_level_metrics -= wanted
        self.shard_level_metrics.discard("ALL")
        return MonitoringUpdate(self.name, self.arn, before, self._monitored())

    def _monitored(self) -> tuple[str, ...]:
        return tuple(m for m in SHARD_LEVEL_METRICS[:-1] if m in self.shard_level_metrics)
