"""What describing an event source mapping returns: a frozen snapshot in kinesim's terms
(``sim.client("lambda")`` turns it into AWS's ``EventSourceMappingConfiguration``)."""

from __future__ import annotations

from dataclasses import dataclass

from kinesim._esm.config import MappingSettings

__all__ = ["MappingDescription"]


@dataclass(frozen=True, slots=True)
class MappingDescription:
    """A mapping's configuration and state now (GetEventSourceMapping). ``settings`` holds
    BatchSize, ParallelizationFactor and the rest; ``destination_arn`` is the on-failure
    destination; ``last_modified_ms`` is epoch ms."""

    uuid: str
    arn: str
    function_arn: str
    source_arn: str
    state: str
    state_transition_reason: str
    last_processing_result: str
    last_modified_ms: int
    starting_position: str
    starting_position_timestamp: float | None
    destination_arn: str | None
    settings: MappingSettings
