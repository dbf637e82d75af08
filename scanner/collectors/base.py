"""What every collector shares: a recorder that turns failed calls into coverage, pagination,
and the conversions from boto3 values to snapshot values. No boto3 import here: fetch functions
receive ready clients from scanner.aws.session.
"""

from __future__ import annotations

import datetime
import json
import urllib.parse
from typing import Any, Callable, Iterable, Mapping, TypeVar

from scanner.aws.errors import AWS_ERRORS, classify
from scanner.model import CoverageEntry

T = TypeVar("T")

#: How a collector runs its per-resource reads: ``map`` (one after another) or an executor's
#: ordered map (in parallel, results in input order). scanner.collect passes a bounded pool.
Mapper = Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


class Recorder:
    """Runs calls for one service in one account-region; a failed call becomes a CoverageEntry.

    Only AWS errors (ClientError, BotoCoreError, ResponseParserError) are recorded; anything else
    -- a bug, or the read-only guard's ReadOnlyViolation -- propagates.
    """

    def __init__(self, *, account_id: str, region: str, service: str) -> None:
        self.account_id = account_id
        self.region = region
        self.service = service
        self.coverage: list[CoverageEntry] = []

    def entry(self, exc: BaseException, operation: str,
              resource_arn: str | None = None) -> CoverageEntry:
        return classify(exc, account_id=self.account_id, region=self.region,
                        service=self.service, operation=operation, resource_arn=resource_arn)

    def attempt(self, operation: str, fn: Callable[[], T], *,
                resource_arn: str | None = None) -> tuple[T | None, CoverageEntry | None]:
        """``(result, None)`` on success, ``(None, entry)`` (also recorded) on an AWS error."""
        try:
            return fn(), None
        except AWS_ERRORS as exc:
            entry = self.entry(exc, operation, resource_arn)
            self.coverage.append(entry)
            return None, entry


def paginate(client: Any, method: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item under ``key`` across all pages of ``method`` (a botocore paginator)."""
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(method).paginate(**kwargs):
        items.extend(page.get(key) or [])
    return items


def iso(value: Any) -> str | None:
    """A boto3 timestamp as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC), or None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=datetime.timezone.utc)
        return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, (int, float)):
        stamp = datetime.datetime.fromtimestamp(value, tz=datetime.timezone.utc)
        return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    return str(value)


def tag_map(tags: Any) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (any key capitalisation) as a dict."""
    out: dict[str, str] = {}
    for tag in tags or []:
        key = tag.get("Key", tag.get("key", tag.get("TagKey")))
        value = tag.get("Value", tag.get("value", tag.get("TagValue", "")))
        if key is not None:
            out[str(key)] = "" if value is None else str(value)
    return out


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy document as a dict (botocore usually decodes it; raw text is URL-encoded)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    text = str(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = json.loads(urllib.parse.unquote(text))
    return parsed if isinstance(parsed, dict) else {"_raw": parsed}


