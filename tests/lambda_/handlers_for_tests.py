"""Handlers imported by string in the tests ("tests.lambda_.handlers_for_tests:echo")."""

from __future__ import annotations

from typing import Any


def echo(event: Any, context: Any) -> Any:
    return {"echo": event, "request_id": context.aws_request_id}
