"""How the history stores a payload (a snapshot, a findings.json document, an access report):
gzip-compressed canonical JSON (sorted keys, no whitespace, a fixed mtime), so identical payloads
compress to identical bytes and the SQLite store can keep each distinct payload once -- written
and read as streams, never as one whole text."""

from __future__ import annotations

import codecs
import dataclasses
import gzip
import json
import struct
import zlib
from typing import Any, Callable, Iterator, Mapping, Sequence

from scanner.model import to_jsonable


#: the gzip header gzip.compress(..., compresslevel=9, mtime=0) writes (no name, no mtime)
_GZIP_HEADER = gzip.compress(b"", compresslevel=9, mtime=0)[:10]


#: characters of canonical JSON gathered before they are compressed
_CHUNK = 1 << 18


def encode_blob(value: Any) -> bytes:
    """Canonical JSON (sorted keys, no whitespace), gzip-compressed with a fixed mtime (same
    value -> same bytes): ``gzip.compress(json.dumps(to_jsonable(value), sort_keys=True,
    separators=(",", ":"), ensure_ascii=False).encode(), 9, mtime=0)``, byte for byte, but
    streamed: the members of the value and the elements of its members (a snapshot's
    accounts, a document's findings, an access report's secrets) are encoded one at a time
    into the compressor, so neither the whole text nor -- for a Snapshot, given as it is --
    its whole JSON tree is ever held (organization-scale trial round 3: recording a scan of
    10,000 secrets took 250 MB and 3 s for the texts alone; the stored bytes, hence the
    content addresses, are those of the one-string encoding: tests/history/
    test_history_payload_streaming.py)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    out = [_GZIP_HEADER]
    crc = 0
    size = 0
    pending: list[str] = []
    held = 0
    for piece in _canonical_pieces(value, 2, not _plain(value)):
        pending.append(piece)
        held += len(piece)
        if held >= _CHUNK:
            data = "".join(pending).encode("utf-8")
            pending.clear()
            held = 0
            crc = zlib.crc32(data, crc)
            size += len(data)
            out.append(compressor.compress(data))
    data = "".join(pending).encode("utf-8")
    crc = zlib.crc32(data, crc)
    size += len(data)
    out.append(compressor.compress(data))
    out.append(compressor.flush())
    out.append(struct.pack("<LL", crc, size & 0xFFFFFFFF))
    return b"".join(out)


class StreamedMembers(Mapping[str, Any]):
    """A JSON object whose members are built one at a time, when they are read: tonight's
    access report's secrets and replicas, which the record encodes (``encode_blob``, the same
    bytes as for the object built whole) and the drift reads (only the entries that differ
    from the previous scan's) without the whole JSON tree being held beside the typed
    report (fifteenth session: +232 MB at 300 accounts, about 0.8 GB at 1,000)."""

    __slots__ = ("_keys", "_build")

    def __init__(self, keys: Sequence[str], build: Callable[[str], Any]) -> None:
        self._keys = {k: None for k in keys}  # ordered, with membership
        self._build = build

    def __getitem__(self, key: str) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self._build(key)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Mapping):
            return NotImplemented
        return len(self) == len(other) and all(
            k in other and other[k] == self[k] for k in self._keys)

    __hash__ = None  # type: ignore[assignment]


def _plain(value: Any) -> bool:
    """A JSON value json.dumps takes as it is (not a record to_jsonable must turn first)."""
    return value is None or isinstance(value, (dict, list, tuple, str, int, float))


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _canonical_pieces(value: Any, depth: int, records: bool) -> Iterator[str]:
    """The canonical JSON text of ``value`` in pieces: objects and arrays ``depth`` levels
    down are opened here, member by member (keys sorted, as ``sort_keys`` sorts them), and
    what is below is one ``json.dumps`` each. ``records``: the value holds dataclass records
    (a Snapshot), turned by ``to_jsonable`` piece by piece as the one-string encoding turned
    them whole (to_jsonable of a record is the object of its fields' to_jsonable)."""
    if depth > 0 and records and dataclasses.is_dataclass(value) \
            and not isinstance(value, type):
        members: Any = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    elif depth > 0 and type(value) is dict:
        members = {str(k): v for k, v in value.items()} if records else value
    elif depth > 0 and type(value) is StreamedMembers:
        members = value  # each member built as it is encoded
    else:
        members = None
    if members is not None and all(type(k) is str for k in members):
        yield "{"
        for i, key in enumerate(sorted(members)):
            yield ("," if i else "") + _dumps(key) + ":"
            yield from _canonical_pieces(members[key], depth - 1, records)
        yield "}"
        return
    if depth > 0 and type(value) in (list, tuple):
        yield "["
        for i, item in enumerate(value):
            if i:
                yield ","
            yield from _canonical_pieces(item, depth - 1, records)
        yield "]"
        return
    yield _dumps(to_jsonable(value) if records else value)


def decode_blob(data: bytes) -> Any:
    """The value of an ``encode_blob``; a damaged one (cut short, not gzip, not JSON) is a
    ValueError, which the stores report naming the file and the scan (fault-injection trial:
    a payload cut short was "internal error: EOFError")."""
    try:
        return json.loads(gzip.decompress(data).decode("utf-8"))
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


#: an element decoder's hook: (member, key or index, value) -> the value to keep
ElementHook = Callable[[str, "str | int", Any], Any]


def decode_blob_elements(data: bytes, element: ElementHook) -> Any:
    """The value of an ``encode_blob`` (an object), read as a stream: each element of its
    members -- a findings row, an access report's secret entry -- is decoded alone and passed
    through ``element(member, key or index, value)``, which returns what to keep (the element
    itself, or an equal object already held: tonight's). Neither the whole text nor the whole
    tree of what is given back is held at once (organization-scale trial round 3: the last
    complete scan's document and access report, 115 MB of text, took 420 MB to decode next
    to tonight's equal ones). Damaged data is a ValueError, as for ``decode_blob``."""
    try:
        return _ElementReader(data).document(element)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ValueError(f"{type(exc).__name__}: {exc}") from None


_WHITESPACE = " \t\n\r"


_DECODER = json.JSONDecoder()


class _ElementReader:
    """The text of a gzip blob, decompressed as far as it is read."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._at = 0
        self._inflate = zlib.decompressobj(31)  # gzip header and trailer checked
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self._eof = False
        self.buf = ""
        self.pos = 0

    def _more(self) -> bool:
        """Read on; False at the end of the text."""
        while not self._eof:
            if self._inflate.unconsumed_tail:
                raw = self._inflate.decompress(self._inflate.unconsumed_tail, _CHUNK)
            elif self._at < len(self._data) and not self._inflate.eof:
                piece = self._data[self._at:self._at + (1 << 16)]
                self._at += len(piece)
                raw = self._inflate.decompress(piece, _CHUNK)
            else:
                if not self._inflate.eof:
                    raise ValueError("the payload is cut short")
                if self._inflate.unused_data or self._at < len(self._data):
                    raise ValueError("trailing data after the payload")
                self._eof = True
                raw = b""
            text = self._utf8.decode(raw, final=self._eof)
            if text:
                if self.pos > len(self.buf) // 2:
                    self.buf = self.buf[self.pos:]
                    self.pos = 0
                self.buf += text
                return True
        return False

    def peek(self) -> str:
        """The next character that is not whitespace ('' at the end)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise ValueError(f"expected {char!r} at {self.pos} of the payload")
        self.pos += 1

    def value(self) -> Any:
        """One whole JSON value (read on until it is complete)."""
        self.peek()
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError:
                end = -1
            if 0 <= end < len(self.buf) or (end >= 0 and self._eof):
                self.pos = end
                return value
            # incomplete (or a number that may go on): read twice as much again, then retry
            held = len(self.buf) - self.pos
            grew = False
            while len(self.buf) - self.pos < 2 * held + _CHUNK and self._more():
                grew = True
            if not grew:
                if end >= 0:
                    self.pos = end
                    return value
                raise ValueError(f"not JSON at {self.pos} of the payload")

    def document(self, element: ElementHook) -> Any:
        if self.peek() != "{":
            value = self.value()
            self._end()
            return value
        self.pos += 1
        out: dict[str, Any] = {}
        while self.peek() != "}":
            if out:
                self.expect(",")
            key = self.value()
            if not isinstance(key, str):
                raise ValueError("an object key that is not a string")
            self.expect(":")
            out[key] = self._member(key, element)
        self.pos += 1
        self._end()
        return out

    def _member(self, member: str, element: ElementHook) -> Any:
        opening = self.peek()
        if opening == "[":
            self.pos += 1
            items: list[Any] = []
            while self.peek() != "]":
                if items:
                    self.expect(",")
                items.append(element(member, len(items), self.value()))
            self.pos += 1
            return items
        if opening == "{":
            self.pos += 1
            entries: dict[str, Any] = {}
            while self.peek() != "}":
                if entries:
                    self.expect(",")
                key = self.value()
                if not isinstance(key, str):
                    raise ValueError("an object key that is not a string")
                self.expect(":")
                entries[key] = element(member, key, self.value())
            self.pos += 1
            return entries
        return self.value()

    def _end(self) -> None:
        if self.peek() != "":
            raise ValueError(f"extra data at {self.pos} of the payload")
