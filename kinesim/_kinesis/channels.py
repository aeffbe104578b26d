"""Kinesis channels: managed delivery of an on-demand stream's records to a general purpose
Amazon S3 bucket or to streaming tables on Apache Iceberg (CreateChannel, DescribeChannel,
ListChannels, UpdateChannel, DeleteChannel).

A channel reads its stream from where the stream's end was when the channel became ACTIVE (no
backfill, as AWS documents) and delivers what it read once the oldest undelivered record is
``DataFreshnessInSeconds`` old: every record not delivered yet goes into one object. Reads are
not charged to the shard's read limits: AWS documents that channel reads "consume no additional
shard capacity". An idle channel costs nothing: it waits on the shards' arrival notifications.

What AWS does not document is a named choice here, listed on the fidelity page: the object body
(each record's data followed by a newline), the unique suffix appended to every key (``-`` and
the sequence number of the object's first record), the instant the key's time variables render
(the arrival of the object's oldest record), ``!{extension}``, the default dead-letter prefix,
what happens when the destination bucket is missing (the batch goes to the dead-letter bucket
and the channel is FAILED), and the error texts. Delivery into S3 Tables is not simulated: a
streaming-table channel counts what it would deliver (:attr:`Channel.deliveries`) and writes
nothing.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from kinesim._core.scheduler import seconds_to_ms, to_epoch_ms
from kinesim._errors import (
    InvalidArgumentException,
    KinesimTypeError,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
    ValidationException,
)
from kinesim._kinesis.channel_config import (
    CHANNEL_ARN,
    CHANNELS_PER_STREAM,
    DEFAULT_DATA_FRESHNESS_S,
    DEFAULT_ERROR_PREFIX,
    DEFAULT_KEY_TEMPLATE,
    EXTENSIONS,
    FORMATS_FOR,
    MAX_PAGE,
    RECORD_FORMATS,
    ROLE_ARN,
    TEMPLATE_VARIABLE,
    DeadLetterTarget,
    S3Storage,
    check_dead_letter,
    check_freshness,
    check_logging,
    check_mapping,
    check_storage,
    check_tables,
)
from kinesim._kinesis.resources import check_tags
from kinesim._kinesis.validate import check_enum, check_int, check_list, check_name, check_str

if TYPE_CHECKING:
    from kinesim._core.scheduler import Handle
    from kinesim._kinesis.shard import Shard, _ArrivalWaiter
    from kinesim._kinesis.stream import Stream
    from kinesim._simulator import Simulator

__all__ = [
    "CHANNELS_PER_STREAM",
    "DEFAULT_DATA_FRESHNESS_S",
    "DEFAULT_KEY_TEMPLATE",
    "Channel",
    "ChannelDelivery",
    "ChannelPage",
    "ChannelService",
]


@dataclass(frozen=True, slots=True)
class ChannelDelivery:
    """One batch a channel delivered: ``key`` is the S3 object's key (``None`` for a
    streaming-table channel, whose delivery is counted, not written), ``dead_letter`` says
    it went to the dead-letter bucket."""

    at_ms: int
    key: str | None
    record_count: int
    #: Data + partition key bytes of the records, as the shard counts them.
    data_bytes: int
    first_sequence_number: str
    last_sequence_number: str
    dead_letter: bool = False


@dataclass(frozen=True, slots=True)
class ChannelPage:
    """A ListChannels page: ``next_token`` is None on the last page."""

    channels: tuple[Channel, ...]
    next_token: str | None


class Channel:
    """A delivery channel from one on-demand stream. Create one with
    ``sim.kinesis.channels.create_channel``."""

    def __init__(
        self,
        service: ChannelService,
        name: str,
        *,
        arn: str,
        channel_id: str,
        role_arn: str,
        stream: Stream,
        record_format: Mapping[str, str],
        destination_type: str,
        freshness_s: int,
        dead_letter: DeadLetterTarget,
        storage: S3Storage | None,
        tables: list[dict[str, Any]],
        encryption: dict[str, str] | None,
        logging: dict[str, Any],
        tags: Mapping[str, str],
    ) -> None:
        sim = service.sim
        self._service = service
        self._sim = sim
        self.name = name
        self.arn = arn
        self.channel_id = channel_id
        self.created_ms = sim.now_ms
        self.status = "CREATING"
        self.status_reason: str | None = None
        self.role_arn = role_arn
        self.stream = stream
        self.record_format = dict(record_format)
        #: ``"S3"`` or ``"S3_TABLES"``.
        self.destination_type = destination_type
        self.freshness_s = freshness_s
        self.dead_letter = dead_letter
        self.storage = storage
        self.tables = tables
        self.encryption = encryption
        self.logging = logging
        self.tags: dict[str, str] = dict(tags)
        #: Every batch delivered, in order.
        self.deliveries: list[ChannelDelivery] = []
        #: Records read that neither the destination nor the dead-letter bucket took.
        self.undelivered_records = 0
        #: Records the stream trimmed (retention) before the channel delivered them.
        self.expired_records = 0
        self._cursors: dict[int, int] = {}
        self._waiters: list[_ArrivalWaiter] = []
        self._timer: Handle | None = None

    def __repr__(self) -> str:
        return f"<Channel {self.name} {self.status} {self.delivered_records} delivered>"

    @property
    def delivered_records(self) -> int:
        """Records written to the destination (or counted, for S3 Tables)."""
        return sum(d.record_count for d in self.deliveries if not d.dead_letter)

    @property
    def dead_lettered_records(self) -> int:
        """Records written to the dead-letter bucket."""
        return sum(d.record_count for d in self.deliveries if d.dead_letter)

    # -- reading and delivering -----------------------------------------------------------------

    def _start(self) -> None:
        """ACTIVE for the first time: read from the stream's current end (no backfill)."""
        for shard in self.stream.shards:
            self._cursors[shard.index] = shard.end_index
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._waiters = [
            shard.notify_on_arrival(self._on_arrival)
            for shard in self.stream.shards
            if not shard.closed
        ]

    def _disarm(self) -> None:
        for waiter in self._waiters:
            waiter.cancel()
        self._waiters = []

    def _on_arrival(self, shard: Shard) -> None:
        if self._timer is None and self.status in ("ACTIVE", "UPDATING"):
            self._disarm()
            self._timer = self._sim.call_later_ms(self.freshness_s * 1000, self._deliver)

    def _stop(self) -> None:
        self._disarm()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _deliver(self) -> None:
        """Deliver every record not delivered yet, in one object (shard by shard)."""
        self._timer = None
        sim = self._sim
        ranges: list[tuple[Shard, int, int]] = []
        for shard in self.stream.shards:
            cursor = self._cursors.setdefault(shard.index, 0)
            first, end = shard.trim_index, shard.end_index
            if cursor < first:
                self.expired_records += first - cursor
                sim.trace.emit(
                    "kinesis.channel.expired",
                    channel=self.name,
                    shard=shard.shard_id,
                    records=first - cursor,
                )
                cursor = first
            if cursor < end:
                ranges.append((shard, cursor, end))
            self._cursors[shard.index] = end
        if ranges:
            self._write(ranges)
        if self.status in ("ACTIVE", "UPDATING"):
            self._arm()

    def _write(self, ranges: list[tuple[Shard, int, int]]) -> None:
        """Write the records at ``[start, end)`` of each shard as one object."""
        sim = self._sim
        # NOTE: one join over the shards' data (no per-record objects): a delivery can hold
        # hundreds of thousands of records (benchmarks/bench_kinesis_channels.py).
        body = b"".join(
            shard.data(i) + b"\n" for shard, start, end in ranges for i in range(start, end)
        )
        count = sum(end - start for _, start, end in ranges)
        data_bytes = sum(shard.bytes_between(start, end) for shard, start, end in ranges)
        # Arrival times never decrease within a shard: each range's oldest is its first.
        oldest_ms = min(shard.arrival_ms(start) for shard, start, _ in ranges)
        first_number = ranges[0][0].sequence_number(ranges[0][1])
        last_number = ranges[-1][0].sequence_number(ranges[-1][2] - 1)
        if self.storage is None:
            # Streaming tables: delivery into Iceberg is not simulated; the batch is counted.
            self._record(
                ChannelDelivery(sim.now_ms, None, count, data_bytes, first_number, last_number)
            )
            return
        key = self._key(oldest_ms) + "-" + first_number
        if self.storage.compression == "GZIP":
            body = gzip.compress(body, mtime=0)
        bucket = self._bucket(self.storage.bucket_arn, self.storage.expected_owner)
        if bucket is not None:
            bucket.put_object(key, body)
            self._record(
                ChannelDelivery(sim.now_ms, key, count, data_bytes, first_number, last_number)
            )
            return
        self.status = "FAILED"
        self.status_reason = (
            f"Destination bucket {self.storage.bucket_arn} does not exist or is not owned by "
            f"account {self.storage.expected_owner}."
        )
        self._stop()
        sim.trace.emit("kinesis.channel.failed", channel=self.name, reason=self.status_reason)
        target = self.dead_letter
        dead_bucket = self._bucket(target.bucket_arn, target.expected_owner)
        if dead_bucket is None:
            self.undelivered_records += count
            sim.trace.emit("kinesis.channel.undelivered", channel=self.name, records=count)
            return
        dead_key = (target.error_prefix or "") + key
        dead_bucket.put_object(dead_key, body)
        self._record(
            ChannelDelivery(
                sim.now_ms, dead_key, count, data_bytes, first_number, last_number, True
            )
        )

    def _bucket(self, arn: str, owner: str) -> Any:
        if owner != self._sim.account_id:
            return None
        return self._sim.s3.bucket_by_arn(arn)

    def _record(self, delivery: ChannelDelivery) -> None:
        self.deliveries.append(delivery)
        self._sim.trace.emit(
            "kinesis.channel.deliver",
            channel=self.name,
            key=delivery.key,
            records=delivery.record_count,
            dead_letter=delivery.dead_letter,
        )

    def _key(self, at_ms: int) -> str:
        assert self.storage is not None
        when = datetime.fromtimestamp(at_ms // 1000, timezone.utc)
        values = {
            "channel-name": self.name,
            "channel-id": self.channel_id,
            "stream-name": self.stream.name,
            "yyyy": f"{when.year:04d}",
            "yy": f"{when.year % 100:02d}",
            "MM": f"{when.month:02d}",
            "dd": f"{when.day:02d}",
            "HH": f"{when.hour:02d}",
            "mm": f"{when.minute:02d}",
            "extension": EXTENSIONS[self.storage.compression],
        }
        template = self.storage.key_template or DEFAULT_KEY_TEMPLATE
        return TEMPLATE_VARIABLE.sub(lambda m: values[m.group(1)], template)

    def _check(self) -> None:
        """Assert the channel's invariants."""
        assert self.status in ("CREATING", "ACTIVE", "UPDATING", "DELETING", "FAILED")
        assert (self._timer is None) or not self._waiters
        for shard in self.stream.shards:
            assert self._cursors.get(shard.index, 0) <= shard.end_index


class ChannelService:
    """The channels of ``sim.kinesis`` (``sim.kinesis.channels``)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._channels: dict[str, Channel] = {}
        self._serial = 0

    def __repr__(self) -> str:
        return f"<ChannelService {len(self._channels)} channels>"

    def create_channel(
        self,
        name: str,
        *,
        role_arn: str,
        streams: Sequence[Mapping[str, Any]],
        s3: Mapping[str, Any] | None = None,
        s3_tables: Mapping[str, Any] | None = None,
        encryption: Mapping[str, Any] | None = None,
        logging: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Channel:
        """CreateChannel. ``streams`` is AWS's StreamConfigurationList (one stream), ``s3``
        AWS's S3DestinationConfiguration, ``s3_tables`` its S3TablesDestinationConfiguration
        (exactly one of them). The channel is CREATING for ``sim.timings.consumer_register_s``
        and delivers only records written after it is ACTIVE."""
        check_name(name, "channelName")
        check_str(role_arn, "serviceExecutionRoleARN", max_len=512, pattern=ROLE_ARN)
        configs = check_list(streams, "streamConfigurationList", "stream configurations")
        if len(configs) != 1:
            raise InvalidArgumentException(
                f"A channel reads exactly one stream; StreamConfigurationList has {len(configs)}."
            )
        config = check_mapping(configs[0], "streamConfigurationList.member")
        if "StreamARN" not in config:
            raise KinesimTypeError(
                f"a stream configuration is a dict with StreamARN, got {dict(config)!r}"
            )
        record_format = check_mapping(config.get("RecordConfiguration"), "recordConfiguration")
        kind = check_enum(
            record_format.get("RecordFormatType"),
            "recordConfiguration.recordFormatType",
            RECORD_FORMATS,
        )
        if (s3 is None) == (s3_tables is None):
            raise InvalidArgumentException(
                "Exactly one of S3DestinationConfiguration and S3TablesDestinationConfiguration "
                "must be specified."
            )
        destination_type = "S3" if s3 is not None else "S3_TABLES"
        if kind not in FORMATS_FOR[destination_type]:
            raise InvalidArgumentException(
                f"RecordFormatType {kind} is not supported for {destination_type} destinations; "
                f"use one of {', '.join(FORMATS_FOR[destination_type])}."
            )
        schema = record_format.get("GSRSchemaARN")
        if destination_type == "S3_TABLES" and schema is None:
            raise InvalidArgumentException(
                "GSRSchemaARN is required when the channel destination is a streaming table."
            )
        destination = check_mapping(s3 if s3 is not None else s3_tables, "destinationConfiguration")
        freshness_s = check_freshness(destination.get("DataFreshnessInSeconds"))
        storage = None
        tables: list[dict[str, Any]] = []
        if s3 is not None:
            storage = check_storage(
                check_mapping(destination.get("StorageConfiguration"), "storage")
            )
            dead = destination.get("DeadLetterQueueS3Configuration")
            dead_letter = (
                DeadLetterTarget(storage.bucket_arn, storage.expected_owner, DEFAULT_ERROR_PREFIX)
                if dead is None
                else check_dead_letter(dead)
            )
        else:
            dead = destination.get("DeadLetterQueueS3Configuration")
            if dead is None:
                raise InvalidArgumentException(
                    "DeadLetterQueueS3Configuration is required for streaming table destinations."
                )
            dead_letter = check_dead_letter(dead)
            tables = check_tables(destination.get("S3TablesConfigurationList"))
        checked_encryption = None
        if encryption is not None:
            enc = check_mapping(encryption, "encryptionConfiguration")
            checked_encryption = {
                "EncryptionType": check_enum(
                    enc.get("EncryptionType"), "encryptionConfiguration.encryptionType", ["KMS"]
                ),
                "KeyId": check_str(enc.get("KeyId"), "encryptionConfiguration.keyId", max_len=2048),
            }
        checked_tags = check_tags(tags) if tags else {}
        arn = f"arn:aws:kinesis:{self.sim.region}:{self.sim.account_id}:channel/{name}"
        channel_id = _channel_id(arn, self._serial + 1)
        checked_logging = check_logging(logging, channel_name=name, channel_id=channel_id)
        stream = self.sim.kinesis.stream_by_arn(config["StreamARN"])
        if stream.mode != "ON_DEMAND":
            raise ValidationException(
                f"Channels are supported only on data streams in on-demand capacity mode; "
                f"stream {stream.name} under account {self.sim.account_id} is PROVISIONED."
            )
        if stream.status != "ACTIVE":
            raise ResourceInUseException(
                f"Stream {stream.name} under account {self.sim.account_id} not ACTIVE, instead "
                f"in state {stream.status}."
            )
        if any(c.destination_type == destination_type for c in self.on_stream(stream)):
            raise LimitExceededException(
                f"Stream {stream.name} under account {self.sim.account_id} already has a "
                f"{destination_type} channel, the most a stream can have."
            )
        if name in self._channels:
            raise ResourceInUseException(
                f"Channel {name} under account {self.sim.account_id} already exists."
            )
        self._serial += 1
        channel = Channel(
            self,
            name,
            arn=arn,
            channel_id=channel_id,
            role_arn=role_arn,
            stream=stream,
            record_format={
                "RecordFormatType": kind,
                **({"GSRSchemaARN": schema} if schema else {}),
            },
            destination_type=destination_type,
            freshness_s=freshness_s,
            dead_letter=dead_letter,
            storage=storage,
            tables=tables,
            encryption=checked_encryption,
            logging=checked_logging,
            tags=checked_tags,
        )
        self._channels[name] = channel
        self.sim.trace.emit(
            "kinesis.channel.create", channel=name, stream=stream.name, type=destination_type
        )
        self._after(
            self.sim.timings.consumer_register_s, "consumer_register_s", self._activate, channel
        )
        return channel

    def _after(self, delay_s: float, name: str, fn: Any, *args: Any) -> None:
        delay_ms = seconds_to_ms(delay_s, name)
        if delay_ms == 0:
            fn(*args)
        else:
            self.sim.call_later_ms(delay_ms, fn, *args)

    def _activate(self, channel: Channel) -> None:
        if channel.status == "CREATING":
            channel.status = "ACTIVE"
            channel._start()

    def channel(self, channel_arn: str) -> Channel:
        """The channel with this ARN (``ResourceNotFoundException`` if there is none)."""
        check_str(channel_arn, "channelARN", max_len=2048, pattern=CHANNEL_ARN)
        name = channel_arn.rpartition(":channel/")[2]
        channel = self._channels.get(name)
        if channel is None or channel.arn != channel_arn:
            raise ResourceNotFoundException(
                f"Channel {name} under account {self.sim.account_id} not found."
            )
        return channel

    def on_stream(self, stream: Stream) -> list[Channel]:
        """The channels that read ``stream``, in creation order."""
        return [c for c in self._channels.values() if c.stream is stream]

    @property
    def channels(self) -> list[Channel]:
        """Every channel, in creation order."""
        return list(self._channels.values())

    def list_channels(
        self,
        *,
        stream_filter: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        next_token: str | None = None,
    ) -> ChannelPage:
        """ListChannels: channels in creation order, at most ``min(max_results, 100)`` per
        page; ``stream_filter`` is AWS's StreamFilter list (a ``StreamCreationTimestamp``, a
        datetime or epoch seconds, must match the stream's too)."""
        if max_results is not None:
            check_int(max_results, "maxResults", minimum=1, maximum=10000)
        size = min(max_results or MAX_PAGE, MAX_PAGE)
        start = 0 if next_token is None else _offset(next_token)
        channels = self.channels
        if stream_filter is not None:
            filters = check_list(stream_filter, "streamFilter", "stream filters")
            if not filters:
                raise ValidationException(
                    "1 validation error detected: Value '[]' at 'streamFilter' failed to "
                    "satisfy constraint: Member must have length greater than or equal to 1"
                )
            wanted = []
            for item in filters:
                f = check_mapping(item, "streamFilter.member")
                arn = check_str(f.get("StreamARN"), "streamFilter.member.streamARN", max_len=2048)
                at = f.get("StreamCreationTimestamp")
                wanted.append(
                    (arn, None if at is None else to_epoch_ms(at, "StreamCreationTimestamp"))
                )
            channels = [
                c
                for c in channels
                if any(
                    c.stream.arn == arn and (at_ms is None or at_ms == c.stream.created_ms)
                    for arn, at_ms in wanted
                )
            ]
        page = channels[start : start + size]
        token = _token(start + len(page)) if start + len(page) < len(channels) else None
        return ChannelPage(tuple(page), token)

    def update_channel(
        self,
        channel_arn: str,
        *,
        s3_freshness_s: int | None = None,
        s3_tables_freshness_s: int | None = None,
        logging: Mapping[str, Any] | None = None,
    ) -> Channel:
        """UpdateChannel: only the data freshness (of the channel's own destination type) and
        the CloudWatch Logs settings change. UPDATING for ``sim.timings.stream_update_s``, then
        the change applies (a delivery already scheduled keeps its time)."""
        channel = self.channel(channel_arn)
        freshness = None
        for given, kind in ((s3_freshness_s, "S3"), (s3_tables_freshness_s, "S3_TABLES")):
            if given is None:
                continue
            if kind != channel.destination_type:
                raise InvalidArgumentException(
                    f"Channel {channel.name} delivers to {channel.destination_type}; its "
                    f"{kind} destination configuration cannot be updated."
                )
            freshness = check_freshness(given)
        new_logging = (
            None
            if logging is None
            else check_logging(logging, channel_name=channel.name, channel_id=channel.channel_id)
        )
        if channel.status != "ACTIVE":
            raise ResourceInUseException(
                f"Channel {channel.name} under account {self.sim.account_id} is not ACTIVE, "
                f"instead in state {channel.status}."
            )
        channel.status = "UPDATING"

        def apply() -> None:
            if channel.status == "UPDATING":
                if freshness is not None:
                    channel.freshness_s = freshness
                if new_logging is not None:
                    channel.logging = new_logging
                channel.status = "ACTIVE"

        self._after(self.sim.timings.stream_update_s, "stream_update_s", apply)
        return channel

    def delete_channel(self, channel_arn: str) -> Channel:
        """DeleteChannel: DELETING (delivery stops; what was delivered stays), then gone."""
        channel = self.channel(channel_arn)
        if channel.status == "DELETING":
            raise ResourceInUseException(
                f"Channel {channel.name} under account {self.sim.account_id} is already being "
                "deleted."
            )
        channel.status = "DELETING"
        channel._stop()
        self.sim.trace.emit("kinesis.channel.delete", channel=channel.name)
        self._after(
            self.sim.timings.consumer_deregister_s, "consumer_deregister_s", self._remove, channel
        )
        return channel

    def _remove(self, channel: Channel) -> None:
        if self._channels.get(channel.name) is channel:
            del self._channels[channel.name]

    def _check(self) -> None:
        for name, channel in self._channels.items():
            assert channel.name == name
            channel._check()


def _channel_id(arn: str, serial: int) -> str:
    # Deterministic, UUID-shaped, and distinct for a channel re-created under the same name.
    digest = hashlib.sha256(f"{arn}#{serial}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"


def _token(offset: int) -> str:
    """ListChannels' NextToken: opaque to the caller, the offset of the next page here."""
    return base64.urlsafe_b64encode(f"channels:{offset}".encode()).decode()


def _offset(token: Any) -> int:
    check_str(token, "nextToken", max_len=1048576)
    try:
        kind, _, offset = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "channels" and offset.isdigit():
            return int(offset)
    except (ValueError, UnicodeDecodeError):
        pass
    raise InvalidArgumentException("Invalid NextToken.")
