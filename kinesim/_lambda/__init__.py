"""Lambda functions in virtual time: handlers, durations, cold starts, concurrency, throttling."""

from kinesim._lambda.context import LambdaContext, NotInInvocationError, spend
from kinesim._lambda.durations import (
    Constant,
    DurationModel,
    Empirical,
    FromCallable,
    LogNormal,
    Uniform,
)
from kinesim._lambda.function import Function, Invocation
from kinesim._lambda.service import LambdaService

__all__ = [
    "Constant",
    "DurationModel",
    "Empirical",
    "FromCallable",
    "Function",
    "Invocation",
    "LambdaContext",
    "LambdaService",
    "LogNormal",
    "NotInInvocationError",
    "Uniform",
    "spend",
]
