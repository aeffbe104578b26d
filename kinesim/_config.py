"""Simulator-wide settings: control-plane timings and service limits.

Both are frozen dataclasses handed to :class:`kinesim.Simulator`. The defaults make simple tests
need no waiting (control-plane changes are instant) and keep AWS's data-plane limits on.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from kinesim._errors import KinesimTypeError, KinesimValueError

__all__ = ["Limits", "Timings"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Timings:
    """How long control-plane transitions take, in virtual seconds.

    The default is instant: a created stream is ACTIVE at once. :meth:`realistic` gives durations
    of the order AWS shows (AWS publishes none; see the fidelity page). ``lambda_keep_alive_s``
    is the exception: it is how long warm Lambda environments live, so it is never instant.
    """

    #: CreateStream: CREATING -> ACTIVE.
    stream_create_s: float = 0.0
    #: DeleteStream: DELETING -> gone.
    stream_delete_s: float = 0.0
    #: Resharding, retention, encryption and mode changes: UPDATING -> ACTIVE.
    stream_update_s: float = 0.0
    #: RegisterStreamConsumer: CREATING -> ACTIVE.
    consumer_register_s: float = 0.0
    #: DeregisterStreamConsumer: DELETING -> gone.
    consumer_deregister_s: float = 0.0
    #: Event source mapping transitions (Creating -> Enabled, Disabling -> Disabled, ...).
    mapping_transition_s: float = 0.0
    #: How long an idle Lambda execution environment stays warm before it is reclaimed. Not a
    #: control-plane delay and not instant by default: AWS documents no value; 600 s is the fixed
    #: 10-minute idle lifetime measured by mikhail.io ("AWS Lambda Cold Starts After 10 Minutes",
    #: 2019). See docs/fidelity/lambda.md.
    lambda_keep_alive_s: float = 600.0
    #: Enhanced fan-out push latency: from a record's arrival to the SubscribeToShard event that
    #: carries it (AWS quotes about 70 ms on average for fan-out; a data-plane delay, so it is
    #: not zero by default).
    efo_push_latency_s: float = 0.07
    #: Enhanced fan-out: least time between two events of one subscription; records arriving
    #: closer together share an event. Assumed (AWS does not say): bounds a hot shard to 50
    #: events a second per subscription and adds at most 20 ms to the push latency.
    efo_event_interval_s: float = 0.02
    #: Event source mapping: how often a shard's poller calls GetRecords when it is caught up
    #: (AWS: Lambda "polls each shard in your Kinesis stream for records at a base rate of once
    #: per second"). A poller behind (its last read came back full) reads again as soon as the
    #: function has taken what it read. Must be > 0.
    esm_poll_interval_s: float = 1.0

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise KinesimTypeError(f"Timings.{field.name} must be seconds, got {value!r}")
            if not 0 <= value < float("inf"):
                raise KinesimValueError(
                    f"Timings.{field.name} must be finite and >= 0 seconds, got {value!r}"
                )
        if self.esm_poll_interval_s == 0:
            raise KinesimValueError("Timings.esm_poll_interval_s must be seconds > 0, got 0")

    @classmethod
    def realistic(cls) -> Timings:
        """Control-plane delays of the size seen on AWS (assumed: AWS documents none)."""
        return cls(
            stream_create_s=30.0,
            stream_delete_s=30.0,
            stream_update_s=30.0,
            consumer_register_s=10.0,
            consumer_deregister_s=10.0,
            mapping_transition_s=5.0,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    """Service limits. Switch ``kinesis_throughput`` off for purely functional tests."""

    #: Enforce per-shard write (1,000 records/s, 1 MiB/s) and read (5 calls/s, 2 MiB/s) limits.
    kinesis_throughput: bool = True
    #: Lambda's account-wide concurrent executions quota (AWS default 1,000 per Region).
    account_concurrency: int = 1000
    #: Concurrency that reserved concurrency must leave unreserved (AWS: 100; accounts whose
    #: quota is below it must leave the whole quota, so the floor is min(this, account quota)).
    lambda_unreserved_minimum: int = 100
    #: Lambda's per-function scaling rate: at most this many new execution environments per
    #: ``lambda_scaling_window_s``, refilled continuously, never accumulated beyond it (AWS:
    #: 1,000 per 10 s per function since Nov 2023).
    lambda_scaling_rate: int = 1000
    #: The window of ``lambda_scaling_rate``, in seconds.
    lambda_scaling_window_s: float = 10.0
    #: Event source mapping: records a poller asks for per GetRecords (1-10,000). AWS documents
    #: no number for Lambda's poller; 10,000 is GetRecords' largest Limit, what the KCL (AWS's
    #: own reader) asks for. The 10 MiB per call and the shard's shared 2 MiB/s still apply.
    esm_read_records: int = 10_000

    def __post_init__(self) -> None:
        value = self.esm_read_records
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10_000:
            raise KinesimValueError(
                f"Limits.esm_read_records must be an int in 1-10000 (GetRecords' Limit), "
                f"got {value!r}"
            )
        if not isinstance(self.kinesis_throughput, bool):
            raise KinesimTypeError(
                f"Limits.kinesis_throughput takes True or False, got {self.kinesis_throughput!r}"
            )
        if (
            isinstance(self.account_concurrency, bool)
            or not isinstance(self.account_concurrency, int)
            or self.account_concurrency < 1
        ):
            raise KinesimValueError(
                f"Limits.account_concurrency must be an int >= 1, got {self.account_concurrency!r}"
            )
        for name, low in (("lambda_unreserved_minimum", 0), ("lambda_scaling_rate", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise KinesimValueError(f"Limits.{name} must be an int >= {low}, got {value!r}")
        window = self.lambda_scaling_window_s
        if isinstance(window, bool) or not isinstance(window, (int, float)) or not 0 < window < 1e9:
            raise KinesimValueError(
                f"Limits.lambda_scaling_window_s must be seconds > 0, got {window!r}"
            )
