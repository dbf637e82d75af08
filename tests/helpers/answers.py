"""Odd answers from moto: an operation's JSON answer edited before botocore parses it, as a
real service's unexpected answer would arrive (fault injection, tests/aws)."""

from __future__ import annotations

import json
from typing import Any, Callable

import boto3


def rewrite_answers(session: boto3.Session, service: str, operation: str,
                    change: Callable[[dict[str, Any]], None]) -> None:
    """Every ``operation`` answer is parsed from moto's JSON after ``change`` edited it."""

    def hook(response_dict: Any = None, **_: Any) -> None:
        if not response_dict or not 200 <= int(response_dict.get("status_code") or 0) < 300:
            return
        answer = json.loads(response_dict["body"] or b"{}")
        change(answer)
        response_dict["body"] = json.dumps(answer).encode()

    session.events.register(f"before-parse.{service}.{operation}", hook)
