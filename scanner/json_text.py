"""JSON text from a file a person hands secretgraph (a snapshot, findings.json, a plan, an
ASFF export, a ledger, a shard's part, a journal): ``json.loads``, except that a document
nested deeper than the parser recurses is a ``json.JSONDecodeError`` at the bracket where it
went too deep, so each reader's own "not valid JSON" line names the file -- json raised
RecursionError there, which no reader caught: `scan --snapshot`, `access`, `remediate --plan`
and `export --asff` ended "internal error: RecursionError" (fault-injection trial round 22)."""

from __future__ import annotations

import json
import re
from typing import Any

#: the depth an error points at: CPython's parser recurses once per level and gives up near
#: the interpreter's recursion limit (1,000), so a document it refused is deeper than this
SHOWN_DEPTH = 500

_TOKEN = re.compile(r'["\\\[\]{}]')


def loads(text: str | bytes, **kwargs: Any) -> Any:
    """``json.loads(text, **kwargs)``; a document nested too deep to parse raises
    json.JSONDecodeError ("arrays and objects nested too deep to read"). A UTF-8 byte-order
    mark before the document is read as the white space it stands for (RFC 8259, section 8.1:
    a parser "MAY ignore the presence of a byte order mark"; json.loads does so for bytes, not
    for text): a snapshot or findings.json saved by a Windows editor was "not valid JSON
    (Unexpected UTF-8 BOM (decode using utf-8-sig))", where the YAML readers read such a file
    (fault-injection trial round 22)."""
    if isinstance(text, str) and text.startswith("\ufeff"):
        text = " " + text[1:]  # the same length: an error's line and column stay true
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        doc = text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")
        raise json.JSONDecodeError(f"arrays and objects nested more than {SHOWN_DEPTH} levels "
                                   "deep: too deep to read", doc, too_deep_at(doc)) from None


def too_deep_at(doc: str) -> int:
    """The offset of the bracket that opens level SHOWN_DEPTH + 1 of ``doc`` (strings
    skipped), or 0."""
    depth, in_string, skip = 0, False, -1
    for match in _TOKEN.finditer(doc):
        at = match.start()
        if at <= skip:
            continue
        char = match.group()
        if in_string:
            if char == "\\":
                skip = at + 1  # the escaped character
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > SHOWN_DEPTH:
                return at
        elif char in "]}":
            depth -= 1
    return 0
