"""A successful HTTP answer that is not an answer of the API called is an error, not "nothing".

botocore parses a 2xx body it cannot read leniently: a JSON-protocol body that is not JSON
becomes ``{"message": body}``, and an XML body with another root element parses to no members.
Either way the collector saw a page without ``SecretList`` (or ``Keys``, ``Vpcs``, ...) and
recorded an account-Region without secrets, keys or VPCs: a complete scan, and in the history
every secret removed. A proxy or captive portal in front of one endpoint answers exactly so
(``200 text/html <html>Please log in</html>``).

``check_answer`` (a ``before-parse`` handler on every client) refuses such a body before it is
parsed: ``UnexpectedAnswer``, a ResponseParserError, which the collectors turn into coverage
(error kind ``fatal``) like any other unreadable answer. The check is cheap (the first and last
bytes, or the root element's name), not a second parse.

Before that parse, the JSON answer's lists, objects and maps are checked against the model
(``_container_problem``): botocore's JSON parser iterates whatever it is given, so a string
where a list belongs became a list of characters, and a list where an object belongs an
AttributeError that failed the collector instead of the call; and a list or map holds no null
item (``"SecretVersionsToStages": {"v1": null}`` was a TypeError in botocore's parser, and
one key's ``"ReplicaKeys": [null]`` an AttributeError in the KMS transform, each failing the
collector of the whole account-Region: fault-injection trial round 16).

``read_timestamp`` (every client's timestamp parser) reads a timestamp as botocore does, and
one it cannot read as a date (``"LastChangedDate": "yesterday"``, epoch milliseconds where AWS
sends seconds: the year 55840) is an unexpected answer of that call: botocore's parser raised
ValueError, which is no AWS error, so one key's DescribeKey failed the KMS collector of the
whole account-Region as a crash (fault-injection trial round 16).

``check_types`` (an ``after-call`` handler) does the same for a JSON-protocol answer that
parsed but holds a value of another type than the model says: botocore's JSON parser passes
scalars through, so ``"RotationEnabled": "false"`` reached the collector as a string, and
``bool("false")`` read it as rotation on; and for a string (or a map's key) holding a lone
surrogate (``"\\ud800"``: half of a UTF-16 character), which no snapshot or report can hold.
"""

from __future__ import annotations

import datetime
import json
import math
import re
from typing import Any, Callable

import orjson
from botocore.parsers import ResponseParserError, ResponseParserFactory
from botocore.utils import parse_timestamp

_JSON_PROTOCOLS = frozenset({"json", "rest-json"})
_XML_PROTOCOLS = frozenset({"query", "ec2"})
#: the first element of an XML document (after an optional declaration and comments)
_ROOT = re.compile(rb"\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<([A-Za-z_][\w.-]*)", re.S)


class UnexpectedAnswer(ResponseParserError):
    """An HTTP 2xx answer whose body is not the API's answer (HTML, truncated, another call)."""


def _preview(body: bytes) -> str:
    text = body[:80].decode("utf-8", "replace")
    return " ".join(text.split()) or "(empty)"


def check_answer(operation_model: Any = None, response_dict: Any = None, **_: Any) -> None:
    """``before-parse`` handler: raise UnexpectedAnswer for a 2xx body that the operation's
    protocol cannot have produced."""
    if operation_model is None or not response_dict:
        return
    status = response_dict.get("status_code") or 0
    if not 200 <= int(status) < 300:
        return  # errors are botocore's to parse (and ours to classify)
    shape = operation_model.output_shape
    if shape is None or not getattr(shape, "members", None) or \
            operation_model.has_streaming_output:
        return
    body = response_dict.get("body")
    if not isinstance(body, (bytes, bytearray)):
        return
    body = bytes(body)
    protocol = operation_model.metadata.get("protocol")
    name = f"{operation_model.service_model.service_name} {operation_model.name}"
    headers = response_dict.get("headers") or {}
    ctype = str(headers.get("content-type") or headers.get("Content-Type") or "")
    where = f"HTTP {status}{f' ({ctype})' if ctype else ''}"
    if protocol in _JSON_PROTOCOLS:
        text = body.strip()
        if protocol == "rest-json" and not text:
            return  # a rest-json answer may carry its members in headers only
        if not (text.startswith(b"{") and text.endswith(b"}")):
            raise UnexpectedAnswer(f"{where} answer to {name} is not a JSON object: "
                                   f"{_preview(body)!r}")
        problem = _container_problem(shape, text, operation_model.service_model.service_name)
        if problem:
            raise UnexpectedAnswer(f"{name} answered {problem}")
    elif protocol in _XML_PROTOCOLS:
        root = _ROOT.match(body)
        expected = f"{operation_model.name}Response"
        if root is None or root.group(1).decode("ascii", "replace") != expected:
            raise UnexpectedAnswer(f"{where} answer to {name} is not a {expected} document: "
                                   f"{_preview(body)!r}")
        if not body.rstrip().endswith(f"</{expected}>".encode()):
            raise UnexpectedAnswer(f"{where} answer to {name} is cut short (no closing "
                                   f"</{expected}>)")


def read_timestamp(value: Any) -> datetime.datetime:
    """A timestamp of an answer, read as botocore reads it (ISO 8601, RFC 822 or epoch
    seconds); UnexpectedAnswer, naming the value, when it is not a date botocore can read.
    botocore's parser raised ValueError (or OverflowError, RuntimeError) there, outside the
    errors a collector records for its call."""
    try:
        stamp: datetime.datetime = parse_timestamp(value)
    except (ValueError, OverflowError, OSError, RuntimeError, TypeError):
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
        raise UnexpectedAnswer(f"answered a timestamp that is not a date: {shown}") from None
    return stamp


def answered(answer: Any, operation: str, *path: str) -> Any:
    """The value at ``path`` of a parsed answer of ``operation`` (``"sts AssumeRole"``);
    UnexpectedAnswer naming the call and the field when a step of it is missing, null, empty
    or no object. For the fields a caller cannot go on without that botocore does not check
    (the model marks few answer fields required): ``AssumeRole`` answered without
    ``Credentials`` raised KeyError out of the scan, "internal error" and no report, where
    a role that answers no credentials is that account's gap; ``GetCallerIdentity``
    without ``Account`` likewise (fault-injection trial round 25)."""
    value = answer
    for depth, name in enumerate(path):
        value = value.get(name) if isinstance(value, dict) else None
        if value is None or value == "" or value == {}:
            raise UnexpectedAnswer(f"{operation} answered without {'.'.join(path[:depth + 1])}")
    return value


#: what an answer nested deeper than a JSON parser recurses is (``"Extra": [[[...]]]`` a
#: thousand levels deep): json, botocore's parser included, raised RecursionError, no AWS
#: error, so one key's DescribeKey failed the KMS collector of the whole account-Region
#: (fault-injection trial round 17)
TOO_DEEP = "JSON nested too deep to read"


class AnswerParserFactory(ResponseParserFactory):
    """botocore's parser factory, whose parsers raise UnexpectedAnswer (that call's gap) for
    an answer nested deeper than they can recurse. orjson, which the answer check parses
    with, reads 1,024 levels; json fails before that (under 1,000, less in a thread already
    deep in its stack), so the check cannot settle it before botocore parses."""

    def create_parser(self, protocol_name: str) -> Any:
        return _DepthBounded(super().create_parser(protocol_name))


class _DepthBounded:
    """A botocore response parser whose ``parse`` says an answer too deep to read."""

    def __init__(self, parser: Any) -> None:
        self._parser = parser

    def parse(self, response: Any, shape: Any) -> Any:
        try:
            return self._parser.parse(response, shape)
        except RecursionError:
            raise UnexpectedAnswer(f"answered {TOO_DEEP}") from None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._parser, name)


#: shape type -> the Python types botocore's JSON parser leaves a well-formed value as (it
#: passes scalars through unchecked: ``"RotationEnabled": "false"`` stays a string, and
#: ``bool("false")`` is True)
_SCALARS: dict[str, tuple[type, ...]] = {
    "boolean": (bool,),
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "string": (str,),
}
_TYPE_NAMES = {"boolean": "a boolean", "integer": "an integer", "long": "an integer",
               "float": "a number", "double": "a number", "string": "a string",
               "structure": "an object", "list": "a list", "map": "an object"}


#: a compiled check: value -> None, or where in it and what is wrong (``.A[3].B as str, not
#: a boolean``: the path is built only for the value that is wrong)
_Check = Callable[[Any], "str | None"]
#: (service, shape name) -> its check; by name, not by shape object: a client's model may be
#: built anew, and a cache of shape objects would keep every one alive
_COMPILED: dict[tuple[str, str], _Check] = {}


def _problem(value: Any, kind: str) -> str:
    return f" as {type(value).__name__}, not {_TYPE_NAMES.get(kind, kind)}"


#: a string JSON decoded with half of a UTF-16 character in it (the escape "\ud800" alone):
#: not text, so no snapshot, report or history can hold it -- one tag value so failed the whole
#: scan after collecting (fault-injection trial round 12); AWS's strings are text
_LONE_SURROGATE = " holding a lone surrogate (half of a UTF-16 character), not text"


def _text(value: Any) -> str | None:
    """The check of a string: a str that UTF-8 can encode."""
    if not isinstance(value, str):
        return _problem(value, "string")
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _LONE_SURROGATE
    return None


#: a JSON number NaN or Infinity (json reads both; no AWS answer holds one): the VPC peering
#: quota so read made every comparison with it false, and vpc-peering-quota-near-limit passed
#: however many peerings a VPC had (fault-injection trial round 17)
_NOT_FINITE = " as {!r}, not a finite number"


def _ignore(value: Any) -> str | None:
    return None


def _compile(shape: Any, service: str) -> _Check:
    """A check of values of ``shape``, built once per shape (a scan parses the same shapes
    millions of times; walking the model each time cost 18 us per listed secret)."""
    key = (service, shape.name)
    known = _COMPILED.get(key)
    if known is not None:
        return known
    kind = shape.type_name
    check: _Check
    wanted = _SCALARS.get(kind)
    if kind == "string":
        check = _text
    elif wanted is not None:
        no_bool = bool not in wanted

        def check(value: Any) -> str | None:
            if isinstance(value, wanted) and not (no_bool and isinstance(value, bool)):
                if isinstance(value, float) and not math.isfinite(value):
                    return _NOT_FINITE.format(value)
                return None
            return _problem(value, kind)
    elif kind == "structure" and not getattr(shape, "is_document_type", False):
        members: dict[str, _Check] = {}

        def check(value: Any) -> str | None:
            if not isinstance(value, dict):
                return _problem(value, kind)
            for name, item in value.items():
                if item is None:
                    continue
                member = members.get(name)
                if member is None:
                    model = shape.members.get(name)
                    member = members[name] = _ignore if model is None else \
                        _compile(model, service)
                problem = member(item)
                if problem:
                    return f".{name}{problem}"
            return None
    elif kind in ("list", "map"):
        member = _compile(shape.member if kind == "list" else shape.value, service)

        def check(value: Any) -> str | None:
            if kind == "list" and not isinstance(value, list) or \
                    kind == "map" and not isinstance(value, dict):
                return _problem(value, kind)
            if kind == "map":
                for key in value:
                    if _text(key):
                        return f"[{key!r}] (a key){_LONE_SURROGATE}"
            for index, item in (enumerate(value) if kind == "list" else value.items()):
                if item is not None:
                    problem = member(item)
                    if problem:
                        return f"[{index!r}]{problem}"
            return None
    else:  # timestamps and blobs: botocore's parser converted (or refused) them; documents
        check = _ignore
    _COMPILED[key] = check
    return check


#: (service, shape name) -> the check of the lists, objects and maps in its raw JSON (None:
#: the shape holds none)
_CONTAINERS: dict[tuple[str, str], "_Check | None"] = {}


def _containers(shape: Any, service: str) -> "_Check | None":
    """A check that every list, structure and map inside a raw JSON value of ``shape`` is a
    JSON array / object: botocore's JSON parser iterates what it is given, so a string where
    the model has a list became a list of its characters (a KMS grant's ``"Operations":
    "Decrypt"`` the operations D, e, c, ...), and a list where it has an object raised
    AttributeError, which failed the whole collector of the account-Region instead of the
    one call (fault-injection trial round 14). Scalars are ``check_types``' (after parsing).
    None for a shape with no container in it."""
    key = (service, shape.name)
    if key in _CONTAINERS:
        return _CONTAINERS[key]
    _CONTAINERS[key] = None  # a recursive shape: its inner use is checked by the outer one
    kind = shape.type_name
    check: _Check | None = None
    if kind == "structure" and not getattr(shape, "is_document_type", False):
        members = {m.serialization.get("name", n): (n, _containers(m, service))
                   for n, m in shape.members.items() if not m.serialization.get("location")}

        def check(value: Any) -> str | None:
            if not isinstance(value, dict):
                return _problem(value, kind)
            for wire, (member_name, member) in members.items():
                item = value.get(wire)
                if item is not None and member is not None:
                    problem = member(item)
                    if problem:
                        return f".{member_name}{problem}"
            return None
    elif kind in ("list", "map"):
        member_shape = shape.member if kind == "list" else shape.value
        inner = _containers(member_shape, service)
        null = f" as null, not {_TYPE_NAMES.get(member_shape.type_name, member_shape.type_name)}"

        def check(value: Any) -> str | None:
            if kind == "list" and not isinstance(value, list) or \
                    kind == "map" and not isinstance(value, dict):
                return _problem(value, kind)
            for index, item in (enumerate(value) if kind == "list" else value.items()):
                # an item of a list or map is never null in AWS's answers (a member of an
                # object may be): botocore's parser iterated a null list item, and the
                # transforms read every item
                problem = null if item is None else inner(item) if inner is not None else None
                if problem:
                    return f"[{index!r}]{problem}"
            return None
    _CONTAINERS[key] = check
    return check


def _container_problem(shape: Any, text: bytes, service: str) -> str | None:
    """Where the raw JSON answer ``text`` holds a scalar (or the other container) in place of
    a list, structure or map of ``shape``: ``"Grants[0].Operations as str, not a list"``; or
    that it is not JSON at all."""
    if shape.serialization.get("payload"):
        return None  # the body is one member (rest-json), not the output structure
    check = _containers(shape, service)
    try:
        # orjson: about three times as fast as json on a 100-secret page, which every JSON
        # answer pays twice (here and in botocore's parser); what it refuses and json reads
        # (NaN, an integer beyond 64 bits) is read by json, as botocore will
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(text)
        except ValueError as exc:
            # botocore's parser reads a body json cannot as {"message": body}: no member
            # at all, so an answer cut short after a '}' (GetResourcePolicy's policy text
            # ends in one) was a secret without a resource policy, no gap -- even for
            # shapes with no list or map to check (fault-injection trial round 23)
            return f"a body that is not JSON, cut short or not this API's answer ({exc})"
        except RecursionError:
            return TOO_DEEP
    if check is None:
        return None
    problem = check(value)
    return problem.removeprefix(".") if problem else None


def _mistyped(shape: Any, value: Any, service: str) -> str | None:
    """The first value in ``value`` whose type is not the one ``shape`` says, as
    ``"SecretList[3].RotationEnabled as str, not a boolean"``; None when all are."""
    problem = _compile(shape, service)(value)
    return problem.removeprefix(".") if problem else None


def check_types(parsed: Any = None, model: Any = None, **_: Any) -> None:
    """``after-call`` handler: raise UnexpectedAnswer when a JSON-protocol answer holds a value
    of another type than the API's model says (``"KeyRotationEnabled": "false"``). The XML
    protocols need no check: their parser converts every value by its shape."""
    if model is None or not isinstance(parsed, dict) or "Error" in parsed:
        return
    if model.metadata.get("protocol") not in _JSON_PROTOCOLS or model.output_shape is None:
        return
    status = (parsed.get("ResponseMetadata") or {}).get("HTTPStatusCode") or 200
    if not 200 <= int(status) < 300:
        return
    service = model.service_model.service_name
    problem = _mistyped(model.output_shape, parsed, service)
    if problem:
        raise UnexpectedAnswer(f"{service} {model.name} answered {problem}")
