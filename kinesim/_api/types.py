"""What type checkers see of ``sim.client(name)``: one Protocol per service naming its
operations, so mypy knows ``sim.client("kinesis").put_record`` and flags a misspelt operation.
(The methods are made at class creation from the operation table, which checkers cannot see.)
``tests/api/test_client_kwargs.py`` checks each Protocol lists exactly its client's operations.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

__all__ = [
    "ClientType",
    "CloudWatchClientType",
    "KinesisClientType",
    "LambdaClientType",
    "Operation",
    "S3ClientType",
    "SNSClientType",
    "SQSClientType",
]

#: An operation: PascalCase keyword arguments in, a boto3-shaped response dict out.
Operation = Callable[..., dict[str, Any]]


class ClientType(Protocol):
    """What every kinesim client has besides its operations."""

    exceptions: Any
    meta: Any

    @property
    def operations(self) -> list[str]: ...

    def get_paginator(self, operation_name: str) -> Any: ...

    def get_waiter(self, waiter_name: str) -> Any: ...

    def can_paginate(self, operation_name: str) -> bool: ...


class KinesisClientType(ClientType, Protocol):
    """``sim.client("kinesis")`` as a type checker sees it."""

    acknowledge_dead_letter_queue_records: Operation
    acknowledge_queue_records: Operation
    add_tags_to_stream: Operation
    create_queue: Operation
    create_stream: Operation
    decrease_stream_retention_period: Operation
    delete_queue: Operation
    delete_resource_policy: Operation
    delete_stream: Operation
    deregister_stream_consumer: Operation
    describe_account_settings: Operation
    describe_limits: Operation
    describe_queue: Operation
    describe_stream: Operation
    describe_stream_consumer: Operation
    describe_stream_summary: Operation
    disable_enhanced_monitoring: Operation
    enable_enhanced_monitoring: Operation
    get_records: Operation
    get_resource_policy: Operation
    get_shard_iterator: Operation
    increase_stream_retention_period: Operation
    list_queues: Operation
    list_shards: Operation
    list_stream_consumers: Operation
    list_streams: Operation
    list_tags_for_resource: Operation
    list_tags_for_stream: Operation
    merge_shards: Operation
    put_record: Operation
    put_records: Operation
    put_resource_policy: Operation
    receive_dead_letter_queue_records: Operation
    receive_queue_records: Operation
    register_stream_consumer: Operation
    remove_tags_from_stream: Operation
    restore_dead_letter_queue_records: Operation
    split_shard: Operation
    start_stream_encryption: Operation
    stop_stream_encryption: Operation
    subscribe_to_shard: Operation
    tag_resource: Operation
    untag_resource: Operation
    update_account_settings: Operation
    update_dead_letter_queue_records_visibility: Operation
    update_max_record_size: Operation
    update_queue: Operation
    update_queue_records_visibility: Operation
    update_shard_count: Operation
    update_stream_mode: Operation
    update_stream_record_distribution_strategy: Operation
    update_stream_warm_throughput: Operation


class LambdaClientType(ClientType, Protocol):
    """``sim.client("lambda")`` as a type checker sees it."""

    create_event_source_mapping: Operation
    create_function: Operation
    delete_event_source_mapping: Operation
    delete_function: Operation
    delete_function_concurrency: Operation
    get_event_source_mapping: Operation
    get_function: Operation
    get_function_concurrency: Operation
    invoke: Operation
    list_event_source_mappings: Operation
    put_function_concurrency: Operation
    update_event_source_mapping: Operation


class SQSClientType(ClientType, Protocol):
    """``sim.client("sqs")`` as a type checker sees it."""

    create_queue: Operation
    delete_message: Operation
    get_queue_attributes: Operation
    get_queue_url: Operation
    receive_message: Operation
    send_message: Operation


class SNSClientType(ClientType, Protocol):
    """``sim.client("sns")`` as a type checker sees it."""

    create_topic: Operation
    list_subscriptions_by_topic: Operation
    publish: Operation
    subscribe: Operation


class S3ClientType(ClientType, Protocol):
    """``sim.client("s3")`` as a type checker sees it."""

    create_bucket: Operation
    get_object: Operation
    list_objects_v2: Operation
    put_object: Operation


class CloudWatchClientType(ClientType, Protocol):
    """``sim.client("cloudwatch")`` as a type checker sees it."""

    get_metric_data: Operation
    get_metric_statistics: Operation
    list_metrics: Operation
