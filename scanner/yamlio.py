"""Reading the user's YAML files (rules, config, suppressions, baselines): one place that turns
an unreadable or malformed file into an InputError naming the file (and the line)."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Callable

import yaml

from scanner import input_file
from scanner.errors import InputError

#: how many values YAML aliases (``*name``) may add to a file beyond the ones it writes: a
#: hand-written rule, config, suppression or baseline file reuses a list of Regions, not
#: millions of values (bad-input trial round 1: a 738-byte rule of 9^9 values hung `rules
#: validate`). Counted while composing, before anything is built or walked.
MAX_ALIAS_VALUES = 10_000

#: how deep a file's mappings and lists may nest (aliases expanded): a rule's conditions nest
#: a few levels, a config or baseline four. PyYAML's own recursion refused only about 300
#: levels, and the schema check and the rule compiler recurse more per level than it does: a
#: rule nested 120 levels ended `rules validate` and the scan with "internal error:
#: RecursionError" (fault-injection trial round 22). Counted while composing.
MAX_NESTING = 64


def read_yaml(path: str | Path, what: str, *, if_missing: str = "") -> Any:
    """The parsed document of ``path``; ``what`` names the file's role in errors
    (``cannot read config: ...``); ``if_missing``, what to do when there is no such file yet
    (a file another command writes)."""
    p = Path(path)
    try:
        raw = input_file.read_bytes(p)
    except OSError as exc:
        missing = isinstance(exc, FileNotFoundError)
        hint = f"; {if_missing}" if if_missing and missing else ""
        # a relative name is looked up in the current folder, which under cron or a CI step
        # is not the one the user had in mind (new-user trial round 36: `--config
        # nosuch.yaml` from / said no folder)
        where = f" (a relative path, looked up in {Path.cwd()})" \
            if missing and not p.is_absolute() else ""
        raise InputError(f"cannot read {what}: {exc.strerror or exc}{where}{hint}",
                         path=str(p)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"cannot read {what}: {_not_utf8(raw, exc)}", path=str(p)) from None
    if "\x00" in text:  # UTF-16 or UTF-32 without a byte-order mark, or not text at all
        raise InputError(f"cannot read {what}: the file holds NUL bytes (UTF-16 or UTF-32 "
                         "text, or not a text file); secretgraph reads UTF-8: save it as "
                         "UTF-8", path=str(p))
    try:
        loader = _Loader(text)  # the reader refuses a control character here
    except yaml.reader.ReaderError as exc:
        char_line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, str) else chr(exc.character)
        raise InputError(f"not valid YAML (line {char_line}): character U+{ord(char):04X} is not "
                         "allowed in YAML text", path=str(p)) from None
    try:
        data = loader.get_single_data()
    except RecursionError:  # the parser and composer recurse once per nesting level
        raise InputError("not valid YAML: nested too deeply", path=str(p)) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(exc, "problem", None)
        if problem and ("'\\t'" in problem or "tab character" in problem):
            # PyYAML's "found character '\\t' that cannot start any token" said the line,
            # not what to do (new-user trial round 21: a config indented by an editor's tab)
            problem = "a tab character: YAML indents with spaces, not tabs"
        raise InputError(f"not valid YAML{where}{': ' + problem if problem else ''}",
                         path=str(p)) from None
    finally:
        loader.dispose()
    if loader.bad_dates:
        # named by its field, as a quoted impossible date is by the schema (new-user trial
        # 16: an unquoted `expires: 2027-02-30` named only the line)
        bad = min(loader.bad_dates, key=lambda d: d.line)
        field, _ = _first_found(data, (), lambda v: v is bad)
        raise InputError(f"{str(bad)!r} is not a valid date ({bad.reason}) (line {bad.line})",
                         path=str(p), field=field)
    if loader.octals:
        # an account id with a leading zero (000000000017) was the number 15 to every check:
        # "15 is not of type 'string'; expected an account id", a suppression's account told
        # to quote '15' (its pattern takes 1 to 12 digits), a max_days: 030 silently 24
        # (fault-injection trial round 19)
        octal = min(loader.octals, key=lambda o: o.line)
        field, _ = _first_found(data, (), lambda v: v is octal)
        raise InputError(f"{octal.text} (line {octal.line}) is read by YAML as the octal "
                         f"number {int(octal)}: quote it ('{octal.text}') where an account id "
                         "or other text is meant, or write the number without its leading "
                         "zero", path=str(p), field=field)
    if loader.non_finite:
        field, value = _first_non_finite(data, ())
        line = next((n for v, n in loader.non_finite if v is value), None)
        at = f" (line {line})" if line is not None else ""
        raise InputError(f"{value!r} is not a finite number{at}: NaN and infinity compare "
                         "false with every bound, so a threshold or quota would switch its rule "
                         "off", path=str(p), field=field)
    return data


#: byte-order marks of the encodings an editor saves "Unicode" text in (UTF-32 first: its
#: little-endian mark starts with UTF-16's)
_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
         (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def _not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    """Why ``raw`` is not read, in words: a UTF-16 or UTF-32 file (PowerShell's `>` and
    Notepad's "Unicode" write one) said as such, any other as the line of the first byte
    that is not UTF-8 (new-user trial 16: "'utf-8' codec can't decode byte 0xff in position
    0: invalid start byte")."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return f"the file is {name} text; secretgraph reads UTF-8: save it as UTF-8"
    line = raw.count(b"\n", 0, exc.start) + 1
    return (f"not UTF-8 text: byte 0x{raw[exc.start]:02x} on line {line} is not UTF-8 (the "
            "file was saved in another encoding); save it as UTF-8")


def _first_non_finite(data: Any, where: tuple[Any, ...]) -> tuple[str | None, Any]:
    """(field path, value) of the first NaN or infinity in ``data``, or (None, None)."""
    return _first_found(data, where, lambda v: isinstance(v, float) and not math.isfinite(v))


def _first_found(data: Any, where: tuple[Any, ...],
                 wanted: Callable[[Any], bool]) -> tuple[str | None, Any]:
    """(field path, value) of the first value (or mapping key) in ``data`` that is
    ``wanted``, or (None, None)."""
    from scanner.engine.validation import field_path

    if wanted(data):
        return field_path(where), data
    items = data.items() if isinstance(data, dict) else \
        enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        if wanted(key):  # a mapping key: .nan: 1
            return field_path((*where, str(key))), key
        found = _first_found(value, (*where, key), wanted)
        if found[0] is not None:
            return found
    return None, None


class _BadDate(str):
    """An impossible date (``2027-02-30``) as written, kept until the document is built so
    the error can name its field; never handed to a reader (read_yaml refuses the file)."""

    line: int
    reason: str


class _Octal(int):
    """A number written with a leading zero (``000000000017``), which YAML 1.1 reads as octal
    (15), with its text and line, kept until the document is built so the error can name its
    field; never handed to a reader (read_yaml refuses the file)."""

    text: str
    line: int


#: what YAML 1.1 (PyYAML) reads as an octal integer: a leading zero and octal digits
_OCTAL = re.compile(r"[-+]?0[0-7_]+")


class _Loader(yaml.SafeLoader):
    """yaml.safe_load's loader, except that an impossible date (``expires: 2027-13-01``) is
    noted with its line (refused by read_yaml, naming the field and the line) rather than a
    bare ValueError from datetime, and that it notes
    every ``.nan`` / ``.inf`` and every number with a leading zero (octal to YAML 1.1) with its
    line (refused by read_yaml, naming the field)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.non_finite: list[tuple[float, int]] = []
        self.bad_dates: list[_BadDate] = []
        self.octals: list[_Octal] = []
        self._alias_values = 0  # values the aliases so far add (MAX_ALIAS_VALUES)
        self._open: list[str | None] = []  # anchors of the collections being composed
        self._sizes: dict[int, int] = {}  # id(node) -> values in it, aliases expanded
        self._depths: dict[int, int] = {}  # id(node) -> collections nested in it (MAX_NESTING)

    def compose_node(self, parent: Any, index: Any) -> Any:
        """Composer.compose_node, counting what each alias adds and refusing an alias inside
        its own anchor (a recursive document), at the alias's line."""
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            anchor = event.anchor
            if anchor in self._open:
                raise yaml.composer.ComposerError(
                    None, None, f"alias *{anchor} is inside its own anchor &{anchor} (a "
                    "document that contains itself)", event.start_mark)
            if anchor in self.anchors:
                self._alias_values += self._size(self.anchors[anchor])
                if self._alias_values > MAX_ALIAS_VALUES:
                    raise yaml.composer.ComposerError(
                        None, None, f"aliases expand to more than {MAX_ALIAS_VALUES} values "
                        f"(at *{anchor}); write the values out or reuse fewer", event.start_mark)
                self._check_nesting(self._nesting() + self._depth(self.anchors[anchor]),
                                    event.start_mark)
            return super().compose_node(parent, index)
        event = self.peek_event()
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            self._check_nesting(self._nesting() + 1, event.start_mark)
        self._open.append(getattr(event, "anchor", None))
        try:
            return super().compose_node(parent, index)
        finally:
            self._open.pop()

    def _nesting(self) -> int:
        """Collections being composed around the next node (``_open`` holds every node being
        composed; only a mapping or a list is ever open around another)."""
        return len(self._open)

    @staticmethod
    def _check_nesting(levels: int, mark: Any) -> None:
        if levels > MAX_NESTING:
            raise yaml.composer.ComposerError(
                None, None, f"mappings and lists nested more than {MAX_NESTING} levels deep",
                mark)

    def _depth(self, node: yaml.Node) -> int:
        """Collections nested in ``node``, itself included (each node measured once)."""
        known = self._depths.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.SequenceNode):
            depth = 1 + max((self._depth(n) for n in node.value), default=0)
        elif isinstance(node, yaml.MappingNode):
            depth = 1 + max((max(self._depth(k), self._depth(v)) for k, v in node.value),
                            default=0)
        else:
            depth = 0
        self._depths[id(node)] = depth
        return depth

    def _size(self, node: yaml.Node) -> int:
        """Values in ``node`` with its aliases expanded (each node counted once: linear)."""
        known = self._sizes.get(id(node))
        if known is not None:
            return known
        if isinstance(node, yaml.SequenceNode):
            size = 1 + sum(self._size(n) for n in node.value)
        elif isinstance(node, yaml.MappingNode):
            size = 1 + sum(self._size(k) + self._size(v) for k, v in node.value)
        else:
            size = 1
        self._sizes[id(node)] = size
        return size

    def construct_yaml_float(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_yaml_float(node)
        if not math.isfinite(value):
            self.non_finite.append((value, node.start_mark.line + 1))
        return value

    def construct_yaml_int(self, node: yaml.ScalarNode) -> Any:
        value = super().construct_yaml_int(node)
        if isinstance(node.value, str) and _OCTAL.fullmatch(node.value):
            octal = _Octal(value)
            octal.text, octal.line = node.value, node.start_mark.line + 1
            self.octals.append(octal)
            return octal
        return value

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as exc:
            bad = _BadDate(node.value)
            bad.line, bad.reason = node.start_mark.line + 1, str(exc)
            self.bad_dates.append(bad)
            return bad

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> Any:
        """A key given twice in one mapping is an error at its line (YAML leaves it to the
        reader; PyYAML silently kept the last value, so half of a config could vanish)."""
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            _text_key(key_node)
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        None, None, f"key {key!r} appears twice in one mapping (also at line "
                        f"{seen[key] + 1})", key_node.start_mark)
                seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


#: what YAML 1.1 reads an unquoted key as, when not text (the resolver's tags)
_KEY_KINDS = {"tag:yaml.org,2002:int": "the number", "tag:yaml.org,2002:float": "the number",
              "tag:yaml.org,2002:bool": "", "tag:yaml.org,2002:null": "null",
              "tag:yaml.org,2002:timestamp": "a date"}


def _text_key(node: yaml.Node) -> None:
    """Every key of the files read here is text (a rule id, a field, an account id, a Region,
    a tag key): one YAML reads as a number, true/false, null or a date matched nothing -- an
    account written ``111122223333:`` under remediation.cmk never had its key used, a
    suppression's tag ``5:`` muted nothing, without a word, and a rule id ``5:`` ended the
    scan 'internal error: TypeError' (fault-injection trial round 24). A merge key (``<<``)
    is YAML's own."""
    if node.tag in ("tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"):
        return
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, "a key is a list or mapping: keys are text", node.start_mark)
    kind = _KEY_KINDS.get(node.tag, "not text")
    if node.tag == "tag:yaml.org,2002:bool":
        kind = "true" if node.value.lower() in ("yes", "true", "on", "y") else "false"
    elif kind == "the number":
        kind = f"the number {node.value}"
    raise yaml.constructor.ConstructorError(
        None, None, f"key {node.value} is read by YAML as {kind}, not text: quote it "
        f"('{node.value}')", node.start_mark)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
