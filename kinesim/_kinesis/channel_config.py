"""Kinesis channel configuration: AWS's CreateChannel / UpdateChannel members checked and turned
into kinesim values, with the documented defaults and limits (see :mod:`kinesim._kinesis.channels`
for what a channel does with them)."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from kinesim._errors import InvalidArgumentException, KinesimTypeError, ValidationException
from kinesim._kinesis.validate import check_enum, check_int, check_list, check_str

__all__ = [
    "CHANNELS_PER_STREAM",
    "CHANNEL_ARN",
    "DEFAULT_DATA_FRESHNESS_S",
    "DEFAULT_ERROR_PREFIX",
    "DEFAULT_KEY_TEMPLATE",
    "EXTENSIONS",
    "FORMATS_FOR",
    "MAX_PAGE",
    "RECORD_FORMATS",
    "ROLE_ARN",
    "TEMPLATE_VARIABLE",
    "DeadLetterTarget",
    "S3Storage",
    "check_dead_letter",
    "check_freshness",
    "check_logging",
    "check_mapping",
    "check_storage",
    "check_tables",
]

#: "The default value is 300 seconds." [BC-K] DataFreshnessInSeconds.
DEFAULT_DATA_FRESHNESS_S = 300
#: "Data freshness is 300-900 seconds" (AWS's Kinesis skill for delivery channels).
MIN_DATA_FRESHNESS_S = 300
MAX_DATA_FRESHNESS_S = 900
#: "Deliveries per stream: 2 ... One delivery to streaming tables on Apache Iceberg and one
#: delivery to a general purpose Amazon S3 bucket" (KDS developer guide, delivery quotas).
CHANNELS_PER_STREAM = 2
#: The KDS developer guide's default S3 output key template.
DEFAULT_KEY_TEMPLATE = (
    "kinesis-channel/!{channel-name}/!{channel-id}/!{yyyy}/!{MM}/!{dd}/!{HH}/"
    "!{channel-name}-!{channel-id}-!{yyyy}-!{MM}-!{dd}-!{HH}-!{mm}!{extension}"
)
#: Assumed: the dead-letter prefix when no DeadLetterQueueS3Configuration is given ("it
#: defaults to the destination bucket with an error prefix", prefix not documented).
DEFAULT_ERROR_PREFIX = "errors/"
#: "ListChannels ... The default value is 100. If you specify a value greater than 100, at most
#: 100 results are returned."
MAX_PAGE = 100
RECORD_FORMATS = ["GSR_JSON", "JSON", "STRING", "BYTE_ARRAY"]
#: Which record formats each destination type takes [BC-K] RecordFormatType.
FORMATS_FOR = {"S3": ("JSON", "STRING", "BYTE_ARRAY"), "S3_TABLES": ("GSR_JSON", "JSON")}
#: Assumed: ``!{extension}`` by compression (ZSTD objects are stored uncompressed, see below).
EXTENSIONS = {"NONE": "", "GZIP": ".gz", "ZSTD": ""}
_TEMPLATE_VARIABLES = (
    "channel-name",
    "channel-id",
    "stream-name",
    "yyyy",
    "yy",
    "MM",
    "dd",
    "HH",
    "mm",
    "extension",
)
CHANNEL_ARN = r"arn:aws.*:kinesis:.*:\d{12}:channel/\S+"
ROLE_ARN = r"arn:aws[-a-z0-9]*:iam::\d{12}:role/[a-zA-Z_0-9+=,.@\-_/]+"
_BUCKET_ARN = r"arn:aws[-a-z0-9]*:s3:::[a-z0-9._-]{3,63}"
_TABLE_BUCKET_ARN = r"arn:aws[-a-z0-9]*:s3tables:[-a-z0-9]+:\d{12}:bucket/[a-z0-9_-]{3,63}"
_OWNER = r"\d{12}"
_KEY_TEMPLATE = r"[0-9A-Za-z!\-_'.*()\/=:{}]+"
_ERROR_PREFIX = r"[0-9A-Za-z!\-_'.*()\/]+"
TEMPLATE_VARIABLE = re.compile(r"!\{([^}]*)\}")


@dataclass(frozen=True, slots=True)
class DeadLetterTarget:
    bucket_arn: str
    expected_owner: str
    error_prefix: str | None


@dataclass(frozen=True, slots=True)
class S3Storage:
    bucket_arn: str
    expected_owner: str
    compression: str
    key_template: str | None
    storage_class: str | None


def check_mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise KinesimTypeError(f"{field} takes a dict of AWS's members, got {value!r}")
    return value


def check_freshness(value: Any) -> int:
    if value is None:
        return DEFAULT_DATA_FRESHNESS_S
    check_int(value, "dataFreshnessInSeconds")
    if not MIN_DATA_FRESHNESS_S <= value <= MAX_DATA_FRESHNESS_S:
        raise InvalidArgumentException(
            f"DataFreshnessInSeconds must be between {MIN_DATA_FRESHNESS_S} and "
            f"{MAX_DATA_FRESHNESS_S} seconds, got {value}."
        )
    return int(value)


def check_storage(value: Mapping[str, Any]) -> S3Storage:
    template = value.get("OutputKeyTemplate")
    if template is not None:
        check_str(
            template, "storageConfiguration.outputKeyTemplate", max_len=1024, pattern=_KEY_TEMPLATE
        )
        unknown = [v for v in TEMPLATE_VARIABLE.findall(template) if v not in _TEMPLATE_VARIABLES]
        if unknown:
            raise InvalidArgumentException(
                f"OutputKeyTemplate uses unknown variables {unknown}; the variables are "
                + ", ".join("!{" + v + "}" for v in _TEMPLATE_VARIABLES)
                + "."
            )
    storage_class = value.get("StorageClass")
    if storage_class is not None:
        check_enum(
            storage_class,
            "storageConfiguration.storageClass",
            ["STANDARD", "INTELLIGENT_TIERING", "GLACIER_IR"],
        )
    return S3Storage(
        bucket_arn=check_str(
            value.get("BucketARN"),
            "storageConfiguration.bucketARN",
            max_len=2048,
            pattern=_BUCKET_ARN,
        ),
        expected_owner=check_str(
            value.get("ExpectedBucketOwner"),
            "storageConfiguration.expectedBucketOwner",
            max_len=12,
            pattern=_OWNER,
        ),
        compression=check_enum(
            value.get("CompressionType"),
            "storageConfiguration.compressionType",
            ["NONE", "GZIP", "ZSTD"],
        ),
        key_template=template,
        storage_class=storage_class,
    )


def check_dead_letter(value: Any) -> DeadLetterTarget:
    dead = check_mapping(value, "deadLetterQueueS3Configuration")
    prefix = dead.get("ErrorOutputPrefix")
    if prefix is not None:
        check_str(
            prefix,
            "deadLetterQueueS3Configuration.errorOutputPrefix",
            max_len=512,
            pattern=_ERROR_PREFIX,
        )
    return DeadLetterTarget(
        check_str(
            dead.get("BucketARN"),
            "deadLetterQueueS3Configuration.bucketARN",
            max_len=2048,
            pattern=_BUCKET_ARN,
        ),
        check_str(
            dead.get("ExpectedBucketOwner"),
            "deadLetterQueueS3Configuration.expectedBucketOwner",
            max_len=12,
            pattern=_OWNER,
        ),
        prefix,
    )


def check_tables(value: Any) -> list[dict[str, Any]]:
    tables = check_list(value, "s3TablesConfigurationList", "table configurations")
    if len(tables) != 1:
        raise InvalidArgumentException(
            f"A channel delivers to exactly one table; S3TablesConfigurationList has {len(tables)}."
        )
    table = check_mapping(tables[0], "s3TablesConfigurationList.member")
    check_str(
        table.get("TableBucketARN"), "tableBucketARN", max_len=2048, pattern=_TABLE_BUCKET_ARN
    )
    check_str(table.get("Namespace"), "namespace", max_len=255, pattern=r"[0-9a-z_]+")
    check_str(table.get("TableName"), "tableName", max_len=255, pattern=r"[0-9a-z_]+")
    check_enum(table.get("CompressionType"), "compressionType", ["NONE", "ZSTD", "SNAPPY"])
    spec = table.get("PartitionSpec")
    if spec is not None:
        fields = check_list(
            check_mapping(spec, "partitionSpec").get("PartitionFields"), "partitionFields", "fields"
        )
        if not 1 <= len(fields) <= 10:
            raise ValidationException(
                f"1 validation error detected: Value '{fields}' at 'partitionSpec.partitionFields' "
                "failed to satisfy constraint: Member must have length between 1 and 10"
            )
        for f in fields:
            f = check_mapping(f, "partitionFields.member")
            check_enum(f.get("Transform"), "partitionFields.member.transform", ["TIME_HOUR"])
            check_str(
                f.get("SourceName"),
                "partitionFields.member.sourceName",
                max_len=255,
                pattern=r"[a-zA-Z0-9\.\_]+",
            )
    return [copy.deepcopy(dict(table))]


def check_logging(
    value: Mapping[str, Any] | None, *, channel_name: str, channel_id: str
) -> dict[str, Any]:
    """CloudWatch Logs settings with AWS's documented defaults filled in (logging off when not
    given)."""
    if value is None:
        return {"CloudWatchLogs": {"Enabled": False}}
    logs = check_mapping(
        check_mapping(value, "loggingConfiguration").get("CloudWatchLogs"), "cloudWatchLogs"
    )
    enabled = logs.get("Enabled")
    if not isinstance(enabled, bool):
        raise KinesimTypeError(f"CloudWatchLogs.Enabled takes True or False, got {enabled!r}")
    out: dict[str, Any] = {"Enabled": enabled}
    group = logs.get("LogGroupName")
    stream = logs.get("LogStreamName")
    if group is not None:
        check_str(group, "cloudWatchLogs.logGroupName", max_len=512, pattern=r"[\.\-_/#A-Za-z0-9]+")
    if stream is not None:
        check_str(stream, "cloudWatchLogs.logStreamName", max_len=512, pattern=r"[^:*]*")
    if enabled:
        group = group or f"/aws/kinesis/{channel_name}/{channel_id}"
        stream = stream or "DestinationDelivery"
    if group is not None:
        out["LogGroupName"] = group
    if stream is not None:
        out["LogStreamName"] = stream
    return {"CloudWatchLogs": out}
