"""For the API-layer tests: check a response against botocore's output shape for the operation
(botocore comes with the ``boto3`` extra, which CI installs)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest

botocore_loaders = pytest.importorskip("botocore.loaders")
botocore_model = pytest.importorskip("botocore.model")

_MODELS: dict[str, Any] = {}


def service_model(service: str) -> Any:
    if service not in _MODELS:
        raw = botocore_loaders.Loader().load_service_model(service, "service-2")
        _MODELS[service] = botocore_model.ServiceModel(raw, service)
    return _MODELS[service]


_SCALARS: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "long": (int,),
    "boolean": (bool,),
    "double": (float, int),
    "float": (float, int),
    "timestamp": (dt.datetime,),
    "blob": (bytes, io.IOBase),
}


def _check(shape: Any, value: Any, path: str) -> None:
    kind = shape.type_name
    if kind == "structure":
        if shape.serialization.get("eventstream"):
            return  # SubscribeToShard's EventStream: checked by iterating it
        assert isinstance(value, dict), f"{path} is {type(value).__name__}, not a structure"
        for name, member in value.items():
            if path == "response" and name == "ResponseMetadata":
                continue
            assert name in shape.members, f"{path} has {name!r}, not in {sorted(shape.members)}"
            _check(shape.members[name], member, f"{path}.{name}")
        for name in shape.required_members:
            assert name in value, f"{path} lacks required {name!r}"
    elif kind == "list":
        assert isinstance(value, list), f"{path} is {type(value).__name__}, not a list"
        for i, item in enumerate(value):
            _check(shape.member, item, f"{path}[{i}]")
    elif kind == "map":
        assert isinstance(value, dict), path
        for key, item in value.items():
            _check(shape.value, item, f"{path}.{key}")
    else:
        types = _SCALARS[kind]
        assert isinstance(value, types), f"{path}={value!r} is not {kind}"
        assert not (kind in ("integer", "long") and isinstance(value, bool)), path
        if getattr(shape, "enum", None):
            assert value in shape.enum, f"{path}={value!r} not in {shape.enum}"


def check_shape(service: str, operation: str, response: dict[str, Any]) -> dict[str, Any]:
    """Assert ``response`` fits botocore's output shape of ``operation``; return it."""
    output = service_model(service).operation_model(operation).output_shape
    assert "ResponseMetadata" in response
    assert isinstance(response["ResponseMetadata"]["HTTPStatusCode"], int)
    if output is None:
        assert set(response) == {"ResponseMetadata"}
    else:
        _check(output, response, "response")
    return response
