"""``kinesim.mock_aws``: run ordinary boto3 code against a kinesim Simulator.

The context manager / decorator is light: botocore is imported (by :mod:`.routing`) only when a
block is entered, so ``import kinesim`` stays free of it.
"""

from __future__ import annotations

import functools
import inspect
import os
import unittest
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar, overload

from kinesim._errors import KinesimTypeError, KinesimValueError
from kinesim._simulator import Simulator

if TYPE_CHECKING:
    from kinesim._api.routing import Router

__all__ = ["mock_aws"]

T = TypeVar("T")

#: Set inside a block when the environment names no credentials or Region, so that botocore
#: signs locally and never looks further (a metadata endpoint, a profile); restored after.
_FAKE_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
}


class mock_aws:
    """Make every botocore (boto3) client created inside the block talk to a kinesim
    :class:`~kinesim.Simulator`: Kinesis, Lambda, SQS, SNS, S3, and CloudWatch's
    GetMetricStatistics / GetMetricData / ListMetrics over ``sim.metrics``.

    ``with kinesim.mock_aws() as sim:`` gives the Simulator (``sim`` if given, else a new
    ``Simulator()``). As a decorator (``@kinesim.mock_aws`` or ``@kinesim.mock_aws(sim)``) it
    wraps a function, a coroutine function, or a class, each call in a block of its own (a
    fresh Simulator each call when none is given): for a class, each ``test*`` method, or, when
    it has them, from ``setUp`` (unittest) or ``setup_method`` (pytest) to its tear-down, so
    clients made in the set-up are routed too.

    One Simulator is one account in one Region: a client for another Region is refused at its
    first request unless ``regions`` maps that Region to a Simulator of its own
    (``regions={"eu-west-1": Simulator(region="eu-west-1")}``). A request for a service or
    operation kinesim does not simulate is refused with :class:`kinesim.KinesimValueError`;
    nothing is ever sent to the network.
    """

    @overload
    def __new__(cls, sim: Callable[..., T], *, regions: None = None) -> Any: ...

    @overload
    def __new__(
        cls, sim: Simulator | None = None, *, regions: Mapping[str, Simulator] | None = None
    ) -> mock_aws: ...

    def __new__(cls, sim: Any = None, *, regions: Mapping[str, Simulator] | None = None) -> Any:
        self = super().__new__(cls)
        if callable(sim) and not _is_simulator(sim):
            # Bare ``@kinesim.mock_aws`` on a function or class.
            self.__init__(None, regions=regions)  # type: ignore[misc]
            return self(sim)
        return self

    def __init__(
        self, sim: Simulator | None = None, *, regions: Mapping[str, Simulator] | None = None
    ) -> None:
        if sim is not None and not _is_simulator(sim):
            raise KinesimTypeError(
                f"mock_aws(sim) takes a kinesim.Simulator or nothing, got {sim!r}"
            )
        if regions is not None and not isinstance(regions, Mapping):
            raise KinesimTypeError(
                f"mock_aws(regions=) takes a mapping of Region name to Simulator, got {regions!r}"
            )
        for region, other in (regions or {}).items():
            if not _is_simulator(other) or other.region != region:
                raise KinesimValueError(
                    f"mock_aws(regions=) maps each Region to a Simulator of that Region; "
                    f"{region!r} maps to {other!r}: use Simulator(region={region!r})"
                )
        self._given = sim
        self._regions = dict(regions or {})
        self._router: Router | None = None
        self._saved_environment: dict[str, str | None] = {}
        self.sim: Simulator | None = None

    # -- context manager -------------------------------------------------------------------

    def __enter__(self) -> Simulator:
        # The routing imports botocore; importing it here, on entry, keeps `import kinesim`
        # free of botocore.
        from kinesim._api import routing

        if self._router is not None:
            raise KinesimValueError(
                "this mock_aws block is already active; use a new kinesim.mock_aws(...) to nest"
            )
        sim = self._given if self._given is not None else Simulator()
        sims = {**self._regions, sim.region: sim}
        if self._regions.get(sim.region, sim) is not sim:
            raise KinesimValueError(
                f"mock_aws(regions=) names {sim.region!r}, which is sim's own Region"
            )
        self.sim = sim
        self._set_environment(sim.region)
        self._router = routing.Router(sims)
        routing.install(self._router)
        return sim

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        from kinesim._api import routing  # already imported by __enter__

        assert self._router is not None
        routing.uninstall(self._router)
        self._router = None
        for name, value in self._saved_environment.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_environment = {}

    def _set_environment(self, region: str) -> None:
        wanted: dict[str, str] = {}
        if "AWS_ACCESS_KEY_ID" not in os.environ and "AWS_PROFILE" not in os.environ:
            wanted.update(_FAKE_ENVIRONMENT)
        if "AWS_DEFAULT_REGION" not in os.environ and "AWS_REGION" not in os.environ:
            wanted["AWS_DEFAULT_REGION"] = region
        self._saved_environment = {name: os.environ.get(name) for name in wanted}
        os.environ.update(wanted)

    # -- decorator ---------------------------------------------------------------------------

    def _fresh(self) -> mock_aws:
        return mock_aws(self._given, regions=self._regions)

    def __call__(self, target: T) -> T:
        if isinstance(target, type):
            return self._decorate_class(target)  # type: ignore[return-value]
        if not callable(target):
            raise KinesimTypeError(
                f"mock_aws decorates a function, a coroutine function or a class, got {target!r}"
            )
        if inspect.iscoroutinefunction(target):

            @functools.wraps(target)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self._fresh():
                    return await target(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(target)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self._fresh():
                return target(*args, **kwargs)

        return run  # type: ignore[return-value]

    def _decorate_class(self, cls: type) -> type:
        # A block must also cover the set-up that creates clients: a unittest TestCase gets one
        # from setUp until its cleanups (after tearDown), a class with pytest's setup_method one
        # from setup_method to teardown_method; otherwise each test* method gets its own.
        if issubclass(cls, unittest.TestCase):
            set_up = cls.setUp

            @functools.wraps(set_up)
            def setUp(test: unittest.TestCase) -> None:
                block = self._fresh()
                block.__enter__()
                test.addCleanup(block.__exit__, None, None, None)
                set_up(test)

            cls.setUp = setUp  # type: ignore[method-assign,assignment]
            return cls
        if callable(getattr(cls, "setup_method", None)):
            self._span_setup_and_teardown(cls)
            return cls
        for name, value in list(vars(cls).items()):
            if name.startswith("test") and inspect.isfunction(value):
                setattr(cls, name, self(value))
        return cls

    def _span_setup_and_teardown(self, cls: type) -> None:
        set_up = cls.setup_method  # type: ignore[attr-defined]
        tear_down = getattr(cls, "teardown_method", None)
        blocks: dict[int, mock_aws] = {}  # by test instance: pytest makes one per test

        @functools.wraps(set_up)
        def setup_method(test: Any, method: Any = None) -> None:
            block = blocks[id(test)] = self._fresh()
            block.__enter__()
            set_up(test, method)

        def teardown_method(test: Any, method: Any = None) -> None:
            try:
                if tear_down is not None:
                    tear_down(test, method)
            finally:
                blocks.pop(id(test)).__exit__(None, None, None)

        cls.setup_method = setup_method  # type: ignore[attr-defined]
        cls.teardown_method = teardown_method  # type: ignore[attr-defined]


def _is_simulator(value: object) -> bool:
    return isinstance(value, Simulator)
