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
"""

from __future__ import annotations

import re
from typing import Any

from botocore.parsers import ResponseParserError

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
    elif protocol in _XML_PROTOCOLS:
        root = _ROOT.match(body)
        expected = f"{operation_model.name}Response"
        if root is None or root.group(1).decode("ascii", "replace") != expected:
            raise UnexpectedAnswer(f"{where} answer to {name} is not a {expected} document: "
                                   f"{_preview(body)!r}")
        if not body.rstrip().endswith(f"</{expected}>".encode()):
            raise UnexpectedAnswer(f"{where} answer to {name} is cut short (no closing "
                                   f"</{expected}>)")
