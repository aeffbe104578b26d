"""Request shapes of the operations kinesim's clients cover, copied from botocore 1.44.8's
service models by scripts/gen_api_shapes.py (do not edit by hand; tests/api/test_shapes.py checks
the copy against the installed botocore).

A shape is a type name (``string``, ``integer``, ``boolean``, ``blob``, ``timestamp``, ...)
or ``("structure", required, members)``, ``("list", member)``, ``("map", value)``.
"""

from typing import Any

INPUTS: dict[str, dict[str, Any]] = {
    "kinesis": {
        "AcknowledgeDeadLetterQueueRecords": (
            "structure",
            ("QueueARN", "Entries"),
            {
                "QueueARN": "string",
                "Entries": ("list", ("structure", ("ReceiptHandle",), {"ReceiptHandle": "string"})),
            },
        ),
        "AcknowledgeQueueRecords": (
            "structure",
            ("QueueARN", "Entries"),
            {
                "QueueARN": "string",
                "Entries": ("list", ("structure", ("ReceiptHandle",), {"ReceiptHandle": "string"})),
            },
        ),
        "AddTagsToStream": (
            "structure",
            ("Tags",),
            {
                "StreamName": "string",
                "Tags": ("map", "string"),
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "CreateQueue": (
            "structure",
            ("QueueName", "StreamConfigurationList"),
            {
                "QueueName": "string",
                "StreamConfigurationList": (
                    "list",
                    (
                        "structure",
                        ("StreamARN",),
                        {
                            "StreamARN": "string",
                            "StartingPosition": (
                                "structure",
                                ("Type",),
                                {"Type": "string", "Timestamp": "timestamp"},
                            ),
                        },
                    ),
                ),
                "QueueAttributes": (
                    "structure",
                    (),
                    {
                        "VisibilityTimeoutSeconds": "integer",
                        "DeadLetterConfiguration": (
                            "structure",
                            ("TargetType",),
                            {"TargetType": "string", "MaxReceiveCount": "integer"},
                        ),
                    },
                ),
                "Tags": ("map", "string"),
            },
        ),
        "CreateStream": (
            "structure",
            ("StreamName",),
            {
                "StreamName": "string",
                "ShardCount": "integer",
                "StreamModeDetails": ("structure", ("StreamMode",), {"StreamMode": "string"}),
                "Tags": ("map", "string"),
                "WarmThroughputMiBps": "integer",
                "MaxRecordSizeInKiB": "integer",
                "RecordDistributionStrategy": "string",
            },
        ),
        "DecreaseStreamRetentionPeriod": (
            "structure",
            ("RetentionPeriodHours",),
            {
                "StreamName": "string",
                "RetentionPeriodHours": "integer",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "DeleteQueue": ("structure", ("QueueARN",), {"QueueARN": "string"}),
        "DeleteResourcePolicy": (
            "structure",
            ("ResourceARN",),
            {"ResourceARN": "string", "StreamId": "string"},
        ),
        "DeleteStream": (
            "structure",
            (),
            {
                "StreamName": "string",
                "EnforceConsumerDeletion": "boolean",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "DeregisterStreamConsumer": (
            "structure",
            (),
            {
                "StreamARN": "string",
                "ConsumerName": "string",
                "ConsumerARN": "string",
                "StreamId": "string",
            },
        ),
        "DescribeAccountSettings": ("structure", (), {}),
        "DescribeLimits": ("structure", (), {}),
        "DescribeQueue": ("structure", ("QueueARN",), {"QueueARN": "string"}),
        "DescribeStream": (
            "structure",
            (),
            {
                "StreamName": "string",
                "Limit": "integer",
                "ExclusiveStartShardId": "string",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "DescribeStreamConsumer": (
            "structure",
            (),
            {
                "StreamARN": "string",
                "ConsumerName": "string",
                "ConsumerARN": "string",
                "StreamId": "string",
            },
        ),
        "DescribeStreamSummary": (
            "structure",
            (),
            {"StreamName": "string", "StreamARN": "string", "StreamId": "string"},
        ),
        "DisableEnhancedMonitoring": (
            "structure",
            ("ShardLevelMetrics",),
            {
                "StreamName": "string",
                "ShardLevelMetrics": ("list", "string"),
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "EnableEnhancedMonitoring": (
            "structure",
            ("ShardLevelMetrics",),
            {
                "StreamName": "string",
                "ShardLevelMetrics": ("list", "string"),
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "GetRecords": (
            "structure",
            ("ShardIterator",),
            {
                "ShardIterator": "string",
                "Limit": "integer",
                "StreamARN": "string",
                "StreamId": "string",
                "DryRun": "boolean",
            },
        ),
        "GetResourcePolicy": (
            "structure",
            ("ResourceARN",),
            {"ResourceARN": "string", "StreamId": "string"},
        ),
        "GetShardIterator": (
            "structure",
            ("ShardId", "ShardIteratorType"),
            {
                "StreamName": "string",
                "ShardId": "string",
                "ShardIteratorType": "string",
                "StartingSequenceNumber": "string",
                "Timestamp": "timestamp",
                "StreamARN": "string",
                "StreamId": "string",
                "DryRun": "boolean",
            },
        ),
        "IncreaseStreamRetentionPeriod": (
            "structure",
            ("RetentionPeriodHours",),
            {
                "StreamName": "string",
                "RetentionPeriodHours": "integer",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "ListQueues": (
            "structure",
            (),
            {
                "MaxResults": "integer",
                "NextToken": "string",
                "StreamFilter": (
                    "list",
                    (
                        "structure",
                        ("StreamARN",),
                        {"StreamARN": "string", "StreamCreationTimestamp": "timestamp"},
                    ),
                ),
            },
        ),
        "ListShards": (
            "structure",
            (),
            {
                "StreamName": "string",
                "NextToken": "string",
                "ExclusiveStartShardId": "string",
                "MaxResults": "integer",
                "StreamCreationTimestamp": "timestamp",
                "ShardFilter": (
                    "structure",
                    ("Type",),
                    {"Type": "string", "ShardId": "string", "Timestamp": "timestamp"},
                ),
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "ListStreamConsumers": (
            "structure",
            ("StreamARN",),
            {
                "StreamARN": "string",
                "NextToken": "string",
                "MaxResults": "integer",
                "StreamCreationTimestamp": "timestamp",
                "StreamId": "string",
            },
        ),
        "ListStreams": (
            "structure",
            (),
            {"Limit": "integer", "ExclusiveStartStreamName": "string", "NextToken": "string"},
        ),
        "ListTagsForResource": (
            "structure",
            ("ResourceARN",),
            {"ResourceARN": "string", "StreamId": "string"},
        ),
        "ListTagsForStream": (
            "structure",
            (),
            {
                "StreamName": "string",
                "ExclusiveStartTagKey": "string",
                "Limit": "integer",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "MergeShards": (
            "structure",
            ("ShardToMerge", "AdjacentShardToMerge"),
            {
                "StreamName": "string",
                "ShardToMerge": "string",
                "AdjacentShardToMerge": "string",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "PutRecord": (
            "structure",
            ("Data",),
            {
                "StreamName": "string",
                "Data": "blob",
                "PartitionKey": "string",
                "ExplicitHashKey": "string",
                "SequenceNumberForOrdering": "string",
                "StreamARN": "string",
                "StreamId": "string",
                "DryRun": "boolean",
            },
        ),
        "PutRecords": (
            "structure",
            ("Records",),
            {
                "Records": (
                    "list",
                    (
                        "structure",
                        ("Data",),
                        {"Data": "blob", "ExplicitHashKey": "string", "PartitionKey": "string"},
                    ),
                ),
                "StreamName": "string",
                "StreamARN": "string",
                "StreamId": "string",
                "DryRun": "boolean",
            },
        ),
        "PutResourcePolicy": (
            "structure",
            ("ResourceARN", "Policy"),
            {"ResourceARN": "string", "StreamId": "string", "Policy": "string"},
        ),
        "ReceiveDeadLetterQueueRecords": (
            "structure",
            ("QueueARN",),
            {
                "QueueARN": "string",
                "Limit": "integer",
                "WaitTimeSeconds": "integer",
                "VisibilityTimeoutSeconds": "integer",
            },
        ),
        "ReceiveQueueRecords": (
            "structure",
            ("QueueARN",),
            {
                "QueueARN": "string",
                "Limit": "integer",
                "WaitTimeSeconds": "integer",
                "VisibilityTimeoutSeconds": "integer",
            },
        ),
        "RegisterStreamConsumer": (
            "structure",
            ("StreamARN", "ConsumerName"),
            {
                "StreamARN": "string",
                "ConsumerName": "string",
                "StreamId": "string",
                "Tags": ("map", "string"),
            },
        ),
        "RemoveTagsFromStream": (
            "structure",
            ("TagKeys",),
            {
                "StreamName": "string",
                "TagKeys": ("list", "string"),
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "RestoreDeadLetterQueueRecords": (
            "structure",
            ("QueueARN", "Entries"),
            {
                "QueueARN": "string",
                "Entries": ("list", ("structure", ("ReceiptHandle",), {"ReceiptHandle": "string"})),
            },
        ),
        "SplitShard": (
            "structure",
            ("ShardToSplit", "NewStartingHashKey"),
            {
                "StreamName": "string",
                "ShardToSplit": "string",
                "NewStartingHashKey": "string",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "StartStreamEncryption": (
            "structure",
            ("EncryptionType", "KeyId"),
            {
                "StreamName": "string",
                "EncryptionType": "string",
                "KeyId": "string",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "StopStreamEncryption": (
            "structure",
            ("EncryptionType", "KeyId"),
            {
                "StreamName": "string",
                "EncryptionType": "string",
                "KeyId": "string",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "SubscribeToShard": (
            "structure",
            ("ConsumerARN", "ShardId", "StartingPosition"),
            {
                "ConsumerARN": "string",
                "StreamId": "string",
                "ShardId": "string",
                "StartingPosition": (
                    "structure",
                    ("Type",),
                    {"Type": "string", "SequenceNumber": "string", "Timestamp": "timestamp"},
                ),
                "DryRun": "boolean",
            },
        ),
        "TagResource": (
            "structure",
            ("Tags", "ResourceARN"),
            {"Tags": ("map", "string"), "ResourceARN": "string", "StreamId": "string"},
        ),
        "UntagResource": (
            "structure",
            ("TagKeys", "ResourceARN"),
            {"TagKeys": ("list", "string"), "ResourceARN": "string", "StreamId": "string"},
        ),
        "UpdateAccountSettings": (
            "structure",
            ("MinimumThroughputBillingCommitment",),
            {
                "MinimumThroughputBillingCommitment": (
                    "structure",
                    ("Status",),
                    {"Status": "string"},
                )
            },
        ),
        "UpdateDeadLetterQueueRecordsVisibility": (
            "structure",
            ("QueueARN", "Entries"),
            {
                "QueueARN": "string",
                "Entries": (
                    "list",
                    (
                        "structure",
                        ("ReceiptHandle", "VisibilityTimeoutSeconds"),
                        {"ReceiptHandle": "string", "VisibilityTimeoutSeconds": "integer"},
                    ),
                ),
            },
        ),
        "UpdateMaxRecordSize": (
            "structure",
            ("MaxRecordSizeInKiB",),
            {"StreamARN": "string", "StreamId": "string", "MaxRecordSizeInKiB": "integer"},
        ),
        "UpdateQueue": (
            "structure",
            ("QueueARN", "QueueAttributes"),
            {
                "QueueARN": "string",
                "QueueAttributes": (
                    "structure",
                    (),
                    {
                        "VisibilityTimeoutSeconds": "integer",
                        "DeadLetterConfiguration": (
                            "structure",
                            ("TargetType",),
                            {"TargetType": "string", "MaxReceiveCount": "integer"},
                        ),
                    },
                ),
            },
        ),
        "UpdateQueueRecordsVisibility": (
            "structure",
            ("QueueARN", "Entries"),
            {
                "QueueARN": "string",
                "Entries": (
                    "list",
                    (
                        "structure",
                        ("ReceiptHandle", "VisibilityTimeoutSeconds"),
                        {"ReceiptHandle": "string", "VisibilityTimeoutSeconds": "integer"},
                    ),
                ),
            },
        ),
        "UpdateShardCount": (
            "structure",
            ("TargetShardCount", "ScalingType"),
            {
                "StreamName": "string",
                "TargetShardCount": "integer",
                "ScalingType": "string",
                "StreamARN": "string",
                "StreamId": "string",
            },
        ),
        "UpdateStreamMode": (
            "structure",
            ("StreamARN", "StreamModeDetails"),
            {
                "StreamARN": "string",
                "StreamId": "string",
                "StreamModeDetails": ("structure", ("StreamMode",), {"StreamMode": "string"}),
                "WarmThroughputMiBps": "integer",
            },
        ),
        "UpdateStreamRecordDistributionStrategy": (
            "structure",
            ("StreamARN", "RecordDistributionStrategy"),
            {"StreamARN": "string", "StreamId": "string", "RecordDistributionStrategy": "string"},
        ),
        "UpdateStreamWarmThroughput": (
            "structure",
            ("WarmThroughputMiBps",),
            {
                "StreamARN": "string",
                "StreamName": "string",
                "StreamId": "string",
                "WarmThroughputMiBps": "integer",
            },
        ),
    },
    "lambda": {
        "CreateEventSourceMapping": (
            "structure",
            ("FunctionName",),
            {
                "EventSourceArn": "string",
                "FunctionName": "string",
                "Enabled": "boolean",
                "BatchSize": "integer",
                "FilterCriteria": (
                    "structure",
                    (),
                    {"Filters": ("list", ("structure", (), {"Pattern": "string"}))},
                ),
                "KMSKeyArn": "string",
                "MetricsConfig": ("structure", (), {"Metrics": ("list", "string")}),
                "LoggingConfig": ("structure", (), {"SystemLogLevel": "string"}),
                "ScalingConfig": ("structure", (), {"MaximumConcurrency": "integer"}),
                "MaximumBatchingWindowInSeconds": "integer",
                "ParallelizationFactor": "integer",
                "StartingPosition": "string",
                "StartingPositionTimestamp": "timestamp",
                "DestinationConfig": (
                    "structure",
                    (),
                    {
                        "OnSuccess": ("structure", (), {"Destination": "string"}),
                        "OnFailure": ("structure", (), {"Destination": "string"}),
                    },
                ),
                "MaximumRecordAgeInSeconds": "integer",
                "BisectBatchOnFunctionError": "boolean",
                "MaximumRetryAttempts": "integer",
                "Tags": ("map", "string"),
                "TumblingWindowInSeconds": "integer",
                "Topics": ("list", "string"),
                "Queues": ("list", "string"),
                "SourceAccessConfigurations": (
                    "list",
                    ("structure", (), {"Type": "string", "URI": "string"}),
                ),
                "SelfManagedEventSource": (
                    "structure",
                    (),
                    {"Endpoints": ("map", ("list", "string"))},
                ),
                "FunctionResponseTypes": ("list", "string"),
                "AmazonManagedKafkaEventSourceConfig": (
                    "structure",
                    (),
                    {
                        "ConsumerGroupId": "string",
                        "SchemaRegistryConfig": (
                            "structure",
                            (),
                            {
                                "SchemaRegistryURI": "string",
                                "EventRecordFormat": "string",
                                "AccessConfigs": (
                                    "list",
                                    ("structure", (), {"Type": "string", "URI": "string"}),
                                ),
                                "SchemaValidationConfigs": (
                                    "list",
                                    ("structure", (), {"Attribute": "string"}),
                                ),
                            },
                        ),
                    },
                ),
                "SelfManagedKafkaEventSourceConfig": (
                    "structure",
                    (),
                    {
                        "ConsumerGroupId": "string",
                        "SchemaRegistryConfig": (
                            "structure",
                            (),
                            {
                                "SchemaRegistryURI": "string",
                                "EventRecordFormat": "string",
                                "AccessConfigs": (
                                    "list",
                                    ("structure", (), {"Type": "string", "URI": "string"}),
                                ),
                                "SchemaValidationConfigs": (
                                    "list",
                                    ("structure", (), {"Attribute": "string"}),
                                ),
                            },
                        ),
                        "ConsumptionMode": "string",
                    },
                ),
                "DocumentDBEventSourceConfig": (
                    "structure",
                    (),
                    {
                        "DatabaseName": "string",
                        "CollectionName": "string",
                        "FullDocument": "string",
                    },
                ),
                "ProvisionedPollerConfig": (
                    "structure",
                    (),
                    {
                        "MinimumPollers": "integer",
                        "MaximumPollers": "integer",
                        "PollerGroupName": "string",
                    },
                ),
            },
        ),
        "CreateFunction": (
            "structure",
            ("FunctionName", "Role", "Code"),
            {
                "FunctionName": "string",
                "Runtime": "string",
                "Role": "string",
                "Handler": "string",
                "Code": (
                    "structure",
                    (),
                    {
                        "ZipFile": "blob",
                        "S3Bucket": "string",
                        "S3Key": "string",
                        "S3ObjectVersion": "string",
                        "S3ObjectStorageMode": "string",
                        "ImageUri": "string",
                        "SourceKMSKeyArn": "string",
                    },
                ),
                "Description": "string",
                "Timeout": "integer",
                "MemorySize": "integer",
                "Publish": "boolean",
                "PublishTo": "string",
                "VpcConfig": (
                    "structure",
                    (),
                    {
                        "SubnetIds": ("list", "string"),
                        "SecurityGroupIds": ("list", "string"),
                        "Ipv6AllowedForDualStack": "boolean",
                    },
                ),
                "PackageType": "string",
                "DeadLetterConfig": ("structure", (), {"TargetArn": "string"}),
                "Environment": ("structure", (), {"Variables": ("map", "string")}),
                "KMSKeyArn": "string",
                "TracingConfig": ("structure", (), {"Mode": "string"}),
                "Tags": ("map", "string"),
                "Layers": ("list", "string"),
                "FileSystemConfigs": (
                    "list",
                    (
                        "structure",
                        ("Arn", "LocalMountPath"),
                        {
                            "Arn": "string",
                            "LocalMountPath": "string",
                            "S3FilesConfig": ("structure", (), {"DirectS3Read": "string"}),
                        },
                    ),
                ),
                "CodeSigningConfigArn": "string",
                "ImageConfig": (
                    "structure",
                    (),
                    {
                        "EntryPoint": ("list", "string"),
                        "Command": ("list", "string"),
                        "WorkingDirectory": "string",
                    },
                ),
                "Architectures": ("list", "string"),
                "EphemeralStorage": ("structure", ("Size",), {"Size": "integer"}),
                "SnapStart": ("structure", (), {"ApplyOn": "string"}),
                "LoggingConfig": (
                    "structure",
                    (),
                    {
                        "LogFormat": "string",
                        "ApplicationLogLevel": "string",
                        "SystemLogLevel": "string",
                        "LogGroup": "string",
                    },
                ),
                "TenancyConfig": (
                    "structure",
                    ("TenantIsolationMode",),
                    {"TenantIsolationMode": "string"},
                ),
                "CapacityProviderConfig": (
                    "structure",
                    ("LambdaManagedInstancesCapacityProviderConfig",),
                    {
                        "LambdaManagedInstancesCapacityProviderConfig": (
                            "structure",
                            ("CapacityProviderArn",),
                            {
                                "CapacityProviderArn": "string",
                                "PerExecutionEnvironmentMaxConcurrency": "integer",
                                "ExecutionEnvironmentMemoryGiBPerVCpu": "double",
                            },
                        )
                    },
                ),
                "DurableConfig": (
                    "structure",
                    (),
                    {
                        "KMSKeyArn": "string",
                        "RetentionPeriodInDays": "integer",
                        "ExecutionTimeout": "integer",
                    },
                ),
                "RuntimeConfig": (
                    "structure",
                    ("RuntimeArn", "RuntimeAlias"),
                    {"RuntimeArn": "string", "RuntimeAlias": "string"},
                ),
                "AcceleratorConfig": (
                    "structure",
                    ("AcceleratorMemorySize",),
                    {"AcceleratorMemorySize": "integer"},
                ),
            },
        ),
        "DeleteEventSourceMapping": ("structure", ("UUID",), {"UUID": "string"}),
        "DeleteFunction": (
            "structure",
            ("FunctionName",),
            {"FunctionName": "string", "Qualifier": "string"},
        ),
        "DeleteFunctionConcurrency": ("structure", ("FunctionName",), {"FunctionName": "string"}),
        "GetEventSourceMapping": ("structure", ("UUID",), {"UUID": "string"}),
        "GetFunction": (
            "structure",
            ("FunctionName",),
            {"FunctionName": "string", "Qualifier": "string"},
        ),
        "GetFunctionConcurrency": ("structure", ("FunctionName",), {"FunctionName": "string"}),
        "Invoke": (
            "structure",
            ("FunctionName",),
            {
                "FunctionName": "string",
                "InvocationType": "string",
                "LogType": "string",
                "ClientContext": "string",
                "DurableExecutionName": "string",
                "Payload": "blob",
                "Qualifier": "string",
                "TenantId": "string",
            },
        ),
        "ListEventSourceMappings": (
            "structure",
            (),
            {
                "EventSourceArn": "string",
                "FunctionName": "string",
                "Marker": "string",
                "MaxItems": "integer",
            },
        ),
        "PutFunctionConcurrency": (
            "structure",
            ("FunctionName", "ReservedConcurrentExecutions"),
            {"FunctionName": "string", "ReservedConcurrentExecutions": "integer"},
        ),
        "UpdateEventSourceMapping": (
            "structure",
            ("UUID",),
            {
                "UUID": "string",
                "FunctionName": "string",
                "Enabled": "boolean",
                "BatchSize": "integer",
                "FilterCriteria": (
                    "structure",
                    (),
                    {"Filters": ("list", ("structure", (), {"Pattern": "string"}))},
                ),
                "KMSKeyArn": "string",
                "MetricsConfig": ("structure", (), {"Metrics": ("list", "string")}),
                "LoggingConfig": ("structure", (), {"SystemLogLevel": "string"}),
                "ScalingConfig": ("structure", (), {"MaximumConcurrency": "integer"}),
                "MaximumBatchingWindowInSeconds": "integer",
                "ParallelizationFactor": "integer",
                "DestinationConfig": (
                    "structure",
                    (),
                    {
                        "OnSuccess": ("structure", (), {"Destination": "string"}),
                        "OnFailure": ("structure", (), {"Destination": "string"}),
                    },
                ),
                "MaximumRecordAgeInSeconds": "integer",
                "BisectBatchOnFunctionError": "boolean",
                "MaximumRetryAttempts": "integer",
                "TumblingWindowInSeconds": "integer",
                "SourceAccessConfigurations": (
                    "list",
                    ("structure", (), {"Type": "string", "URI": "string"}),
                ),
                "FunctionResponseTypes": ("list", "string"),
                "AmazonManagedKafkaEventSourceConfig": (
                    "structure",
                    (),
                    {
                        "ConsumerGroupId": "string",
                        "SchemaRegistryConfig": (
                            "structure",
                            (),
                            {
                                "SchemaRegistryURI": "string",
                                "EventRecordFormat": "string",
                                "AccessConfigs": (
                                    "list",
                                    ("structure", (), {"Type": "string", "URI": "string"}),
                                ),
                                "SchemaValidationConfigs": (
                                    "list",
                                    ("structure", (), {"Attribute": "string"}),
                                ),
                            },
                        ),
                    },
                ),
                "SelfManagedKafkaEventSourceConfig": (
                    "structure",
                    (),
                    {
                        "ConsumerGroupId": "string",
                        "SchemaRegistryConfig": (
                            "structure",
                            (),
                            {
                                "SchemaRegistryURI": "string",
                                "EventRecordFormat": "string",
                                "AccessConfigs": (
                                    "list",
                                    ("structure", (), {"Type": "string", "URI": "string"}),
                                ),
                                "SchemaValidationConfigs": (
                                    "list",
                                    ("structure", (), {"Attribute": "string"}),
                                ),
                            },
                        ),
                        "ConsumptionMode": "string",
                    },
                ),
                "DocumentDBEventSourceConfig": (
                    "structure",
                    (),
                    {
                        "DatabaseName": "string",
                        "CollectionName": "string",
                        "FullDocument": "string",
                    },
                ),
                "ProvisionedPollerConfig": (
                    "structure",
                    (),
                    {
                        "MinimumPollers": "integer",
                        "MaximumPollers": "integer",
                        "PollerGroupName": "string",
                    },
                ),
            },
        ),
    },
    "sqs": {
        "CreateQueue": (
            "structure",
            ("QueueName",),
            {"QueueName": "string", "Attributes": ("map", "string"), "tags": ("map", "string")},
        ),
        "DeleteMessage": (
            "structure",
            ("QueueUrl", "ReceiptHandle"),
            {"QueueUrl": "string", "ReceiptHandle": "string"},
        ),
        "GetQueueAttributes": (
            "structure",
            ("QueueUrl",),
            {"QueueUrl": "string", "AttributeNames": ("list", "string")},
        ),
        "GetQueueUrl": (
            "structure",
            ("QueueName",),
            {"QueueName": "string", "QueueOwnerAWSAccountId": "string"},
        ),
        "ReceiveMessage": (
            "structure",
            ("QueueUrl",),
            {
                "QueueUrl": "string",
                "AttributeNames": ("list", "string"),
                "MessageSystemAttributeNames": ("list", "string"),
                "MessageAttributeNames": ("list", "string"),
                "MaxNumberOfMessages": "integer",
                "VisibilityTimeout": "integer",
                "WaitTimeSeconds": "integer",
                "ReceiveRequestAttemptId": "string",
            },
        ),
        "SendMessage": (
            "structure",
            ("QueueUrl", "MessageBody"),
            {
                "QueueUrl": "string",
                "MessageBody": "string",
                "DelaySeconds": "integer",
                "MessageAttributes": (
                    "map",
                    (
                        "structure",
                        ("DataType",),
                        {
                            "StringValue": "string",
                            "BinaryValue": "blob",
                            "StringListValues": ("list", "string"),
                            "BinaryListValues": ("list", "blob"),
                            "DataType": "string",
                        },
                    ),
                ),
                "MessageSystemAttributes": (
                    "map",
                    (
                        "structure",
                        ("DataType",),
                        {
                            "StringValue": "string",
                            "BinaryValue": "blob",
                            "StringListValues": ("list", "string"),
                            "BinaryListValues": ("list", "blob"),
                            "DataType": "string",
                        },
                    ),
                ),
                "MessageDeduplicationId": "string",
                "MessageGroupId": "string",
            },
        ),
    },
    "sns": {
        "CreateTopic": (
            "structure",
            ("Name",),
            {
                "Name": "string",
                "Attributes": ("map", "string"),
                "Tags": (
                    "list",
                    ("structure", ("Key", "Value"), {"Key": "string", "Value": "string"}),
                ),
                "DataProtectionPolicy": "string",
            },
        ),
        "ListSubscriptionsByTopic": (
            "structure",
            ("TopicArn",),
            {"TopicArn": "string", "NextToken": "string"},
        ),
        "Publish": (
            "structure",
            ("Message",),
            {
                "TopicArn": "string",
                "TargetArn": "string",
                "PhoneNumber": "string",
                "Message": "string",
                "Subject": "string",
                "MessageStructure": "string",
                "MessageAttributes": (
                    "map",
                    (
                        "structure",
                        ("DataType",),
                        {"DataType": "string", "StringValue": "string", "BinaryValue": "blob"},
                    ),
                ),
                "MessageDeduplicationId": "string",
                "MessageGroupId": "string",
            },
        ),
        "Subscribe": (
            "structure",
            ("TopicArn", "Protocol"),
            {
                "TopicArn": "string",
                "Protocol": "string",
                "Endpoint": "string",
                "Attributes": ("map", "string"),
                "ReturnSubscriptionArn": "boolean",
            },
        ),
    },
    "s3": {
        "CreateBucket": (
            "structure",
            ("Bucket",),
            {
                "ACL": "string",
                "Bucket": "string",
                "CreateBucketConfiguration": (
                    "structure",
                    (),
                    {
                        "LocationConstraint": "string",
                        "Location": ("structure", (), {"Type": "string", "Name": "string"}),
                        "Bucket": ("structure", (), {"DataRedundancy": "string", "Type": "string"}),
                        "Tags": (
                            "list",
                            ("structure", ("Key", "Value"), {"Key": "string", "Value": "string"}),
                        ),
                    },
                ),
                "GrantFullControl": "string",
                "GrantRead": "string",
                "GrantReadACP": "string",
                "GrantWrite": "string",
                "GrantWriteACP": "string",
                "ObjectLockEnabledForBucket": "boolean",
                "ObjectOwnership": "string",
                "BucketNamespace": "string",
            },
        ),
        "GetObject": (
            "structure",
            ("Bucket", "Key"),
            {
                "Bucket": "string",
                "IfMatch": "string",
                "IfModifiedSince": "timestamp",
                "IfNoneMatch": "string",
                "IfUnmodifiedSince": "timestamp",
                "Key": "string",
                "Range": "string",
                "ResponseCacheControl": "string",
                "ResponseContentDisposition": "string",
                "ResponseContentEncoding": "string",
                "ResponseContentLanguage": "string",
                "ResponseContentType": "string",
                "ResponseExpires": "timestamp",
                "VersionId": "string",
                "SSECustomerAlgorithm": "string",
                "SSECustomerKey": "string",
                "SSECustomerKeyMD5": "string",
                "RequestPayer": "string",
                "PartNumber": "integer",
                "ExpectedBucketOwner": "string",
                "ChecksumMode": "string",
            },
        ),
        "ListObjectsV2": (
            "structure",
            ("Bucket",),
            {
                "Bucket": "string",
                "Delimiter": "string",
                "EncodingType": "string",
                "MaxKeys": "integer",
                "Prefix": "string",
                "ContinuationToken": "string",
                "FetchOwner": "boolean",
                "StartAfter": "string",
                "RequestPayer": "string",
                "ExpectedBucketOwner": "string",
                "OptionalObjectAttributes": ("list", "string"),
            },
        ),
        "PutObject": (
            "structure",
            ("Bucket", "Key"),
            {
                "ACL": "string",
                "Body": "blob",
                "Bucket": "string",
                "CacheControl": "string",
                "ContentDisposition": "string",
                "ContentEncoding": "string",
                "ContentLanguage": "string",
                "ContentLength": "long",
                "ContentMD5": "string",
                "ContentType": "string",
                "ChecksumAlgorithm": "string",
                "ChecksumCRC32": "string",
                "ChecksumCRC32C": "string",
                "ChecksumCRC64NVME": "string",
                "ChecksumSHA1": "string",
                "ChecksumSHA256": "string",
                "ChecksumSHA512": "string",
                "ChecksumMD5": "string",
                "ChecksumXXHASH64": "string",
                "ChecksumXXHASH3": "string",
                "ChecksumXXHASH128": "string",
                "Expires": "timestamp",
                "IfMatch": "string",
                "IfNoneMatch": "string",
                "GrantFullControl": "string",
                "GrantRead": "string",
                "GrantReadACP": "string",
                "GrantWriteACP": "string",
                "Key": "string",
                "WriteOffsetBytes": "long",
                "Metadata": ("map", "string"),
                "ServerSideEncryption": "string",
                "StorageClass": "string",
                "WebsiteRedirectLocation": "string",
                "SSECustomerAlgorithm": "string",
                "SSECustomerKey": "string",
                "SSECustomerKeyMD5": "string",
                "SSEKMSKeyId": "string",
                "SSEKMSEncryptionContext": "string",
                "BucketKeyEnabled": "boolean",
                "RequestPayer": "string",
                "Tagging": "string",
                "ObjectLockMode": "string",
                "ObjectLockRetainUntilDate": "timestamp",
                "ObjectLockLegalHoldStatus": "string",
                "ObjectLockEventHold": "string",
                "ObjectLockEventHoldDurationDays": "integer",
                "ObjectLockEventHoldDurationYears": "integer",
                "ExpectedBucketOwner": "string",
            },
        ),
    },
    "cloudwatch": {
        "GetMetricData": (
            "structure",
            ("MetricDataQueries", "StartTime", "EndTime"),
            {
                "MetricDataQueries": (
                    "list",
                    (
                        "structure",
                        ("Id",),
                        {
                            "Id": "string",
                            "MetricStat": (
                                "structure",
                                ("Metric", "Period", "Stat"),
                                {
                                    "Metric": (
                                        "structure",
                                        (),
                                        {
                                            "Namespace": "string",
                                            "MetricName": "string",
                                            "Dimensions": (
                                                "list",
                                                (
                                                    "structure",
                                                    ("Name", "Value"),
                                                    {"Name": "string", "Value": "string"},
                                                ),
                                            ),
                                        },
                                    ),
                                    "Period": "integer",
                                    "Stat": "string",
                                    "Unit": "string",
                                },
                            ),
                            "Expression": "string",
                            "Label": "string",
                            "ReturnData": "boolean",
                            "Period": "integer",
                            "AccountId": "string",
                        },
                    ),
                ),
                "StartTime": "timestamp",
                "EndTime": "timestamp",
                "NextToken": "string",
                "ScanBy": "string",
                "MaxDatapoints": "integer",
                "LabelOptions": ("structure", (), {"Timezone": "string"}),
            },
        ),
        "GetMetricStatistics": (
            "structure",
            ("Namespace", "MetricName", "StartTime", "EndTime", "Period"),
            {
                "Namespace": "string",
                "MetricName": "string",
                "Dimensions": (
                    "list",
                    ("structure", ("Name", "Value"), {"Name": "string", "Value": "string"}),
                ),
                "StartTime": "timestamp",
                "EndTime": "timestamp",
                "Period": "integer",
                "Statistics": ("list", "string"),
                "ExtendedStatistics": ("list", "string"),
                "Unit": "string",
            },
        ),
        "ListMetrics": (
            "structure",
            (),
            {
                "Namespace": "string",
                "MetricName": "string",
                "Dimensions": (
                    "list",
                    ("structure", ("Name",), {"Name": "string", "Value": "string"}),
                ),
                "NextToken": "string",
                "RecentlyActive": "string",
                "IncludeLinkedAccounts": "boolean",
                "OwningAccount": "string",
            },
        ),
    },
}
