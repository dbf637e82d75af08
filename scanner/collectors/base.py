"""What every collector shares: a recorder that turns failed calls into coverage, pagination,
and the conversions from boto3 values to snapshot values. No boto3 import here: fetch functions
receive ready clients from scanner.aws.session.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import urllib.parse
from typing import Any, Callable, Iterable, Mapping, Sequence, TypeVar

import jmespath
from botocore.exceptions import PaginationError

from scanner.aws.errors import AWS_ERRORS, classify
from scanner.aws.responses import UnexpectedAnswer
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
              resource_arn: str | None = None, note: str | None = None) -> CoverageEntry:
        entry = classify(exc, account_id=self.account_id, region=self.region,
                         service=self.service, operation=operation, resource_arn=resource_arn)
        if note:
            entry = dataclasses.replace(entry, message=f"{note}: {entry.message}")
        return entry

    def unreadable(self, operation: str, detail: str, *, resource_arn: str) -> None:
        """Record one resource's part of an ``operation`` answer that could not be read
        (``unexpected``: "<operation> answered <detail>") as that resource's coverage gap."""
        self.coverage.append(self.entry(unexpected(operation, detail), operation,
                                        resource_arn=resource_arn))

    def attempt(self, operation: str, fn: Callable[[], T], *, resource_arn: str | None = None,
                note: str | None = None) -> tuple[T | None, CoverageEntry | None]:
        """``(result, None)`` on success, ``(None, entry)`` (also recorded) on an AWS error.
        ``note`` begins the entry's message: which call of several to one operation failed
        when no resource ARN tells them apart (``Filter SERVICE_CONTROL_POLICY``)."""
        try:
            return fn(), None
        except AWS_ERRORS as exc:
            entry = self.entry(exc, operation, resource_arn, note)
            self.coverage.append(entry)
            return None, entry


#: Pages one listing may take before it is given up. An endpoint that answers a fresh
#: NextToken on every page never ends (a repeated token is botocore's PaginationError); the
#: largest listing a scan meets -- 500,000 secrets per account-Region at 100 a page, or
#: 500,000 Lambda functions at 50 -- is 10,000 pages.
MAX_PAGES = 10_000


def operation_name(client: Any, method: str) -> str:
    """``list_secrets`` -> ``ListSecrets`` (as the client's model spells it)."""
    mapping = getattr(client.meta, "method_to_api_mapping", None) or {}
    return str(mapping.get(method, method))


def unexpected(operation: str, detail: str) -> UnexpectedAnswer:
    """The error for an answer that parsed but is not what ``operation`` returns."""
    return UnexpectedAnswer(f"{operation} answered {detail}")


def check_items(operation: str, key: str, value: Any,
                required: Sequence[str] = ()) -> list[dict[str, Any]]:
    """``value`` as the list under ``key`` of a ``operation`` answer, each item an object
    holding every ``required`` field (a dotted name: a field inside one); UnexpectedAnswer
    otherwise.

    A missing or null list is not "nothing exists": AWS always sends the list, empty when
    there is nothing (``{"SecretList": []}``); ``{}`` or ``"SecretList": null`` is an answer the
    scan cannot read, and reading it as empty would make every resource disappear."""
    if value is None:
        raise unexpected(operation, f"without {key}")
    if not isinstance(value, list):
        raise unexpected(operation, f"{key} as {type(value).__name__}, not a list")
    for item in value:
        if not isinstance(item, Mapping):
            raise unexpected(operation, f"an entry of {key} that is not an object: "
                                        f"{type(item).__name__}")
        for name in required:
            if _field(item, name) in (None, ""):
                raise unexpected(operation, f"an entry without {name}")
    return value


def _field(item: Mapping[str, Any], name: str) -> Any:
    """``item``'s field ``name``; a dotted name (``Status.Code``) is a field of a field."""
    value: Any = item
    for step in name.split("."):
        value = value.get(step) if isinstance(value, Mapping) else None
    return value


def expect(answer: Any, operation: str, key: str, kind: type | tuple[type, ...]) -> Any:
    """``answer[key]``, which a ``operation`` answer always holds with type ``kind``;
    UnexpectedAnswer when it is missing or of another type (DescribeKey without KeyMetadata
    is an answer the scan cannot read, not a key without metadata)."""
    value = answer.get(key) if isinstance(answer, Mapping) else None
    if value is None:
        raise unexpected(operation, f"without {key}")
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise unexpected(operation, f"{key} as {type(value).__name__}")
    return value


def _output_tokens(paginator: Any) -> list[str]:
    tokens = (getattr(paginator, "_pagination_cfg", None) or {}).get("output_token") or ()
    return [tokens] if isinstance(tokens, str) else list(tokens)


def check_next(operation: str, paginator: Any, page: Mapping[str, Any]) -> None:
    """UnexpectedAnswer when ``page`` says more pages follow (its more-results flag: KMS's
    ``Truncated``, IAM's ``IsTruncated``) but holds no token to ask for them (``NextMarker``,
    ``Marker``). botocore's paginator then stops without a word, and the pages read would
    stand for the whole listing (fault-injection trial round 14: the KMS grants, keys and IAM
    details after such a page were missing). A listing without that flag is not judged."""
    more = (getattr(paginator, "_pagination_cfg", None) or {}).get("more_results")
    if not more or not jmespath.search(more, page):
        return
    tokens = _output_tokens(paginator)
    if tokens and not any(jmespath.search(t, page) for t in tokens):
        raise unexpected(operation, f"{more} true without {' or '.join(tokens)}: the "
                                    "pages after it could not be asked for")


#: pages in a row that hold entries, none of them new to the listing, and say more follow,
#: after which the listing is given up: an endpoint answering its first page again under a
#: fresh token each time never ends (eventual consistency repeats an entry, never pages of them)
STALE_PAGES = 10


class TokenLoop:
    """The next-page tokens of one listing so far: a token answered again (A, B, A, ...)
    never ends -- botocore sees only a token repeated on the very next page, so such a
    listing went on for ``MAX_PAGES`` pages (10,000 ListGrants calls for one key:
    fault-injection trial round 14). Nor does a listing whose pages answer only entries it
    answered before under ever fresh tokens (an endpoint ignoring the token): it went on for
    10,000 pages, each page's entries kept again -- a page of 1,000 IAM roles held ten million
    times (fault-injection trial round 19); it is given up after ``STALE_PAGES`` such pages."""

    def __init__(self, operation: str, paginator: Any) -> None:
        self.operation = operation
        self.tokens = _output_tokens(paginator)
        self.seen: dict[str, int] = {}
        self.stale = 0

    def check(self, number: int, page: Mapping[str, Any], *, entries: int = 0,
              new: int = 0) -> None:
        """``page`` is page ``number``, holding ``entries`` entries of which ``new`` were not
        answered on an earlier page."""
        if not self.tokens:
            return
        values = [jmespath.search(t, page) for t in self.tokens]
        if not any(values):
            return
        self.stale = self.stale + 1 if entries and not new else 0
        if self.stale >= STALE_PAGES:
            raise PaginationError(message=f"{self.operation} answered only entries of earlier "
                                          f"pages on {self.stale} pages in a row (pages "
                                          f"{number - self.stale + 1} to {number}) with more "
                                          "to follow: the listing does not advance; it was "
                                          "given up")
        token = json.dumps(values, sort_keys=True, default=str)
        first = self.seen.setdefault(token, number)
        if first != number:
            raise PaginationError(message=f"{self.operation} answered the "
                                          f"{' / '.join(self.tokens)} of page {first} again "
                                          f"on page {number}: the listing loops; it was "
                                          "given up")


class Entries:
    """The entries of one listing so far, one per identity value (a resource's id or ARN), in
    the place it was first answered, holding the entry answered last. A listing may answer a
    resource again on a later page -- ListSecrets is eventually consistent, and a secret
    changed while it was listed can come back -- and it is still one resource: it was two
    secrets in the snapshot, each policy read twice, a key listed twice two keys
    (fault-injection trial round 19). The later entry is the later reading; an endpoint
    answering the same page again under fresh tokens holds no more than one page's worth."""

    def __init__(self, identity: str) -> None:
        self.identity = identity
        self.latest: dict[str, dict[str, Any]] = {}

    def add(self, items: Iterable[dict[str, Any]]) -> int:
        """Takes ``items``; how many of them the listing had not answered before."""
        new = 0
        for item in items:
            key = str(item[self.identity])
            new += key not in self.latest
            self.latest[key] = item
        return new

    def items(self) -> list[dict[str, Any]]:
        return list(self.latest.values())


def paginate(client: Any, method: str, key: str, *, identity: str,
             required: Sequence[str] = (), max_pages: int | None = None,
             **kwargs: Any) -> list[dict[str, Any]]:
    """Every item under ``key`` across all pages of ``method`` (a botocore paginator), one per
    ``identity`` value (``Entries``; the field is required of every entry too).

    Each page must hold the list (``check_items``: an entry lacking a ``required`` field makes
    the whole listing unreadable -- which resource it was cannot be told, so no other entry may
    stand for the complete set); more than ``max_pages`` pages is a PaginationError naming
    the operation (default ``MAX_PAGES``), as is a next-page token answered again (a loop:
    ``TokenLoop``, or STALE_PAGES pages in a row answering nothing new), and a page that says
    more follow with no token to them an UnexpectedAnswer
    (``check_next``). Each becomes the listing's coverage entry
    (Recorder.attempt)."""
    operation = operation_name(client, method)
    max_pages = MAX_PAGES if max_pages is None else max_pages
    entries = Entries(identity)
    paginator = client.get_paginator(method)
    loop = TokenLoop(operation, paginator)
    for number, page in enumerate(paginator.paginate(**kwargs), start=1):
        if number > max_pages:
            raise PaginationError(message=f"{operation} still answered a next page after "
                                          f"{max_pages:,} pages; the listing was given up")
        items = check_items(operation, key, page.get(key), (identity, *required))
        new = entries.add(items)
        check_next(operation, paginator, page)
        loop.check(number, page, entries=len(items), new=new)
    return entries.items()


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


def tags_problem(tags: Any, key: str = "Key", value: str = "Value") -> str | None:
    """What makes ``tags`` (an answer's tag list) unreadable, or None: a list of objects each
    with its ``key`` and its ``value`` as text. AWS sends both ("Value" may be empty, never
    absent); a tag answered without its value was read as ``""``, which a condition on
    ``aws:ResourceTag/<key>`` (or ``aws:PrincipalTag``) then judged as that value
    (fault-injection trial round 26)."""
    if tags is None:
        return None
    if not isinstance(tags, list):
        return f"Tags as {type(tags).__name__}"
    for tag in tags:
        if not isinstance(tag, Mapping):
            return f"a tag that is not an object: {type(tag).__name__}"
        if not isinstance(tag.get(key), str) or not tag.get(key):
            return f"a tag without {key}"
        if not isinstance(tag.get(value), str):
            return f"a tag without {value} (tag {tag.get(key)})"
    return None


def policy_document(value: Any) -> Mapping[str, Any] | None:
    """An IAM policy document as a dict (botocore usually decodes it; raw text is URL-encoded).
    One that is no JSON object -- another JSON value, or text that is not JSON, URL-encoded or
    not (a document cut short: botocore leaves it as its text) -- is ``{"_raw": ...}``, which
    the policy parser refuses (scanner.policy.parse: no Statement), so its principal's reads
    are undecided: text not JSON raised JSONDecodeError in the IAM transform, and the whole
    account's IAM was lost (fault-injection trial round 21)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    text = str(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        try:
            parsed = json.loads(urllib.parse.unquote(text))
        except ValueError:
            parsed = text
    return parsed if isinstance(parsed, dict) else {"_raw": parsed}


