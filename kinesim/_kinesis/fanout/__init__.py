"""Enhanced fan-out: registered stream consumers and SubscribeToShard push, in virtual time.

- :mod:`.consumers`: the consumer registry of a stream (RegisterStreamConsumer, Describe, List,
  Deregister), ARNs, the CREATING -> ACTIVE -> DELETING lifecycle and its limits.
- :mod:`.subscription`: a subscription of one consumer to one shard, pushing
  ``SubscribeToShardEvent`` values through a dedicated 2 MiB/s pipe as records arrive.

The stream and the Kinesis service reach this code through two mixins
(:class:`StreamConsumersMixin`, :class:`KinesisFanoutMixin`), so the Kinesis modules only
name them as base classes.
"""

from __future__ import annotations

from kinesim._kinesis.fanout.consumers import (
    Consumer,
    ConsumerRegistry,
    ConsumerStatus,
    KinesisFanoutMixin,
    StreamConsumersMixin,
)
from kinesim._kinesis.fanout.subscription import (
    EVENT_MAX_BYTES,
    EVENT_MAX_RECORDS,
    PIPE_BYTES_PER_S,
    RESUBSCRIBE_GUARD_MS,
    SUBSCRIBE_INTERVAL_MS,
    SUBSCRIPTION_LIFETIME_MS,
    EndReason,
    FanoutEvent,
    Subscription,
)

__all__ = [
    "EVENT_MAX_BYTES",
    "EVENT_MAX_RECORDS",
    "PIPE_BYTES_PER_S",
    "RESUBSCRIBE_GUARD_MS",
    "SUBSCRIBE_INTERVAL_MS",
    "SUBSCRIPTION_LIFETIME_MS",
    "Consumer",
    "ConsumerRegistry",
    "ConsumerStatus",
    "EndReason",
    "FanoutEvent",
    "KinesisFanoutMixin",
    "StreamConsumersMixin",
    "Subscription",
]
