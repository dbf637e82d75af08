"""JSON text from a file a person hands secretgraph (a snapshot, findings.json, a plan, an
ASFF export, a ledger, a shard's part, a journal): ``json.loads``, except that a document
nested deeper than the parser recurses is a ``json.JSONDecodeError`` at the bracket where it
went too deep, so each reader's own "not valid JSON" line names the file -- json raised
RecursionError there, which no reader caught: `scan --snapshot`, `access`, `remediate --plan`
and `export --asff` ended "internal error: RecursionError" (fault-injection trial round 22)."""

from __future__ import annotations

import json
import math
import re
import sys
from typing import Any, NoReturn

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
    kwargs.setdefault("parse_constant", _no_constant)
    kwargs.setdefault("parse_float", _finite)
    try:
        return json.loads(text, **kwargs)
    except RecursionError:
        doc = _text(text)
        raise json.JSONDecodeError(f"arrays and objects nested more than {SHOWN_DEPTH} levels "
                                   "deep: too deep to read", doc, too_deep_at(doc)) from None
    except _NotANumber as exc:
        doc = _text(text)
        raise json.JSONDecodeError(exc.why, doc, _token_at(doc, exc.token)) from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # int(): more digits than Python converts (4,300)
        if "integer string conversion" not in str(exc):
            raise
        doc = _text(text)
        digits = sys.get_int_max_str_digits()
        raise json.JSONDecodeError(f"a number of more than {digits:,} digits: too long to "
                                   "read", doc, _token_at(doc, f"-?[0-9]{{{digits + 1},}}",
                                                          pattern=True)) from None


class _NotANumber(ValueError):
    """A number JSON cannot hold, met while parsing: NaN, Infinity, or one beyond a float."""

    def __init__(self, token: str, why: str) -> None:
        super().__init__(why)
        self.token, self.why = token, why


def _no_constant(name: str) -> NoReturn:
    """json's reading of NaN, Infinity and -Infinity, refused: RFC 8259, section 6: "Numeric
    values that cannot be represented in the grammar below (such as Infinity and NaN) are not
    permitted". json took them as floats, and a snapshot's quota of NaN (or Infinity) made
    every comparison with it false: vpc-peering-quota-near-limit PASSed however many peerings
    a VPC had (fault-injection trial round 23)."""
    raise _NotANumber(name, f"{name} is not a JSON number")


def _finite(text: str) -> float:
    """A JSON number with a fraction or exponent, as a float; one beyond a float's range
    (1e400, which json read as infinity) is refused as NaN and Infinity are."""
    value = float(text)
    if not math.isfinite(value):
        raise _NotANumber(text, f"{text} is too large a number to read")
    return value


def _text(text: str | bytes) -> str:
    return text if isinstance(text, str) else bytes(text).decode("utf-8", "replace")


#: a JSON string (skipped when looking for a token outside strings)
_STRING = r'"(?:[^"\\]|\\.)*"'


def _token_at(doc: str, token: str, *, pattern: bool = False) -> int:
    """The offset of the first ``token`` (a regular expression when ``pattern``) of ``doc``
    outside its strings, or 0."""
    wanted = token if pattern else re.escape(token)
    for match in re.finditer(f"{_STRING}|(?<![\\w.])({wanted})", doc):
        if match.group(1) is not None:
            return match.start(1)
    return 0


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
