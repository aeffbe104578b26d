"""Lambda's event source mapping for Kinesis streams.

- :mod:`~kinesim._esm.config`: parameters, validation with AWS's texts, defaults.
- :mod:`~kinesim._esm.batch`: the event records and their JSON size (the 6 MiB cut).
- :mod:`~kinesim._esm.retry`: what an invocation's result means; retry, bisect or give up.
- :mod:`~kinesim._esm.destinations`: on-failure invocation records and S3 keys.
- :mod:`~kinesim._esm.poller`: one shard's poller: when and what to read, batches, the
  ParallelizationFactor lanes (by partition key) and the lowest-unfinished checkpoint.
- :mod:`~kinesim._esm.lane`: one batch at a time: invoke, retry, bisect, settle.
- :mod:`~kinesim._esm.window`: tumbling windows: state between invocations, final invocations.
- :mod:`~kinesim._esm.mapping`: the mapping object, its states and AWS description.
- :mod:`~kinesim._esm.service`: the registry, ``sim.lambda_``'s operations and ``drain``.
"""

from kinesim._esm.mapping import EventSourceMapping
from kinesim._esm.retry import ExponentialBackoff
from kinesim._esm.service import EventSourceMappingMethods, MappingService

__all__ = [
    "EventSourceMapping",
    "EventSourceMappingMethods",
    "ExponentialBackoff",
    "MappingService",
]
