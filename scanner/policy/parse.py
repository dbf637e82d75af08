"""Parse IAM-style policy documents (identity, resource, key, SCP/RCP) in every legal shape.

Parsing never raises: a malformed document or element becomes a ``problems`` entry, and the
evaluator answers UNKNOWN for whatever that problem touches (never a confident answer).
Parsed policies are cached by their text, so the same document is parsed once per process.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Mapping

from scanner.frozen import frozen
from scanner.textfit import terminal_safe

VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"

STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource",
     "NotResource", "Condition"}
)
POLICY_ELEMENTS = frozenset({"Version", "Id", "Statement"})
_VARIABLE = re.compile(r"\$\{([^}]*)\}")


def statement_label(index: int, sid: str | None) -> str:
    """``statement 3 (AppRead)``: how reasons, findings and plans name a statement. The Sid is
    hostile input: its control characters (an escape sequence, a newline that would forge a
    line of output) are shown as U+FFFD."""
    if not sid:
        return f"statement {index}"
    return f"statement {index} ({terminal_safe(sid, newlines=False)})"


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalSpec:
    """The Principal / NotPrincipal element. ``star``: ``"*"`` or ``{"AWS": "*"}``."""

    star: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class ConditionClause:
    """One operator/key pair of a Condition block, e.g. StringEqualsIfExists aws:SourceVpce."""

    operator: str  # as written
    base: str  # lower-case operator without qualifier and IfExists, e.g. "stringequals"
    qualifier: str  # "" | "foranyvalue" | "forallvalues"
    if_exists: bool
    key: str  # lower-case condition key
    values: tuple[str, ...]


@dataclass(frozen=True, kw_only=True, slots=True)
class Statement:
    index: int
    sid: str | None
    effect: str  # "Allow" | "Deny" | "" when invalid (then problems says why)
    principal: PrincipalSpec | None = None
    not_principal: PrincipalSpec | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    conditions: tuple[ConditionClause, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return statement_label(self.index, self.sid)

    @property
    def has_principal_element(self) -> bool:
        return self.principal is not None or self.not_principal is not None


@dataclass(frozen=True, kw_only=True, slots=True)
class Policy:
    version: str | None
    statements: tuple[Statement, ...] = ()
    problems: tuple[str, ...] = ()  # document-level: the whole policy is UNKNOWN
    condition_keys: frozenset[str] = frozenset()  # lower-case keys in conditions and variables
    uses_variables: bool = False

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are only substituted under Version 2012-10-17."""
        return self.version == VERSION_2012


def resource_patterns(policy: Policy) -> tuple[str, ...]:
    """Every Resource / NotResource pattern of the policy's statements, each once, in order:
    the only elements through which an evaluation reads the request's resource ARN."""
    return tuple(dict.fromkeys(x for st in policy.statements
                               for x in (st.resources or st.not_resources or ())))


class _DuplicateKeys(dict):  # type: ignore[type-arg]
    """A JSON object of a policy text that names a key more than once (``duplicates``, in
    order of appearance; the object keeps the last value, as json.loads does). IAM User Guide,
    "Grammar of the IAM JSON policy language": "Individual elements must not contain multiple
    instances of the same key. For example, you cannot include the Effect block twice in the
    same statement." How AWS evaluates such a document is not documented: the element holding
    one is a problem (IAM conformance trial round 18)."""

    duplicates: tuple[str, ...] = ()


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """json.loads' object hook: a plain dict, or a ``_DuplicateKeys`` naming the repeats."""
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    repeats: list[str] = []
    for k, _ in pairs:
        if k in seen and k not in repeats:
            repeats.append(k)
        seen.add(k)
    marked = _DuplicateKeys(obj)
    marked.duplicates = tuple(repeats)
    return marked


def _repeats(obj: _DuplicateKeys) -> list[str]:
    return [f"key {terminal_safe(k, newlines=False)!r} more than once in one JSON object"
            for k in obj.duplicates]


def _duplicate_problems(value: Any) -> list[str]:
    """The repeated keys of every JSON object within ``value`` (``_DuplicateKeys``)."""
    out: list[str] = _repeats(value) if isinstance(value, _DuplicateKeys) else []
    if isinstance(value, Mapping):
        for v in value.values():
            out += _duplicate_problems(v)
    elif isinstance(value, list):
        for v in value:
            out += _duplicate_problems(v)
    return out


def _strings(value: Any, element: str, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    problems.append(f"{element} must be a string or a non-empty list of strings")
    return ()


def load_marking_repeats(text: str) -> Any:
    """The JSON value of ``text`` with every object that names a key more than once marked
    (``repeated_keys`` finds them); json.loads' errors propagate. For a caller that rewrites a
    policy text (the remediators): json.loads alone keeps the last of the repeats silently,
    and the text written back would lose the others."""
    return json.loads(text, object_pairs_hook=_json_object)


def repeated_keys(value: Any) -> list[str]:
    """The keys repeated within one JSON object anywhere in ``value`` (a value of
    ``load_marking_repeats``), as problems: ``key 'Condition' more than once in one JSON
    object``."""
    return _duplicate_problems(value)


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def parse_principal(value: Any, element: str) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(star=True)
    if not isinstance(value, Mapping) or not value:
        return PrincipalSpec(problems=(f"{element} must be \"*\" or an object",))
    problems: list[str] = []
    fields: dict[str, tuple[str, ...]] = {"AWS": (), "Service": (), "Federated": (),
                                          "CanonicalUser": ()}
    for k, v in value.items():
        if k not in fields:
            problems.append(f"{element} has unknown principal type {k!r}")
            continue
        fields[k] = tuple(s.strip() for s in _strings(v, f"{element}.{k}", problems))
    aws = fields["AWS"]
    return PrincipalSpec(
        star="*" in aws,
        aws=tuple(a for a in aws if a != "*"),
        service=fields["Service"],
        federated=fields["Federated"],
        canonical_user=fields["CanonicalUser"],
        problems=tuple(problems),
    )


_QUALIFIERS = ("foranyvalue:", "forallvalues:")


def _parse_conditions(value: Any, problems: list[str]) -> tuple[ConditionClause, ...]:
    if not isinstance(value, Mapping):
        problems.append("Condition must be an object")
        return ()
    out: list[ConditionClause] = []
    spellings: dict[str, list[str]] = {}
    for operator in value:
        if isinstance(operator, str):
            spellings.setdefault(operator.lower(), []).append(operator)
    for names in spellings.values():
        if len(names) > 1:
            # one operator twice, in different capitalization (``StringEquals`` and
            # ``stringEquals``): this parse reads operator names without case, so it is one
            # key of the Condition object twice, which IAM User Guide, "Grammar of the IAM
            # JSON policy language" does not allow ("Individual elements must not contain
            # multiple instances of the same key"; _DuplicateKeys, and the condition keys
            # below); read with case, one of them is no operator AWS knows -- neither
            # reading gives a confident answer (IAM conformance trial round 37: the two
            # blocks were ANDed, a confident DENIED or ALLOWED)
            shown = " and ".join(repr(terminal_safe(n, newlines=False)) for n in names)
            problems.append(f"Condition: operator {shown} more than once, in different "
                            "capitalization")
    for operator, block in value.items():
        if not isinstance(operator, str) or not isinstance(block, Mapping) or not block:
            problems.append(f"Condition operator {operator!r} must map to a non-empty object")
            continue
        low = operator.lower()
        qualifier = ""
        for q in _QUALIFIERS:
            if low.startswith(q):
                qualifier, low = q[:-1], low[len(q):]
                break
        if_exists = low.endswith("ifexists")
        base = low[: -len("ifexists")] if if_exists else low
        if len({str(k).lower() for k in block}) < len(block):
            # IAM Access Analyzer, "Error - Duplicate keys with different case": "The
            # condition key ... appears more than once with different capitalization in the
            # same condition block" (condition key names are not case-sensitive: one key
            # twice, which the policy grammar does not allow -- _DuplicateKeys)
            problems.append(f"Condition {operator}: a condition key more than once, in "
                            "different capitalization")
        for key, raw in block.items():
            raw_list = raw if isinstance(raw, list) else [raw]
            values = [_scalar_text(v) for v in raw_list]
            if not raw_list:
                # the grammar's <condition_value_list> holds values; an empty one is not
                # "values that are not strings" (IAM conformance trial round 32)
                problems.append(f"Condition {operator} {key}: no value (an empty list)")
                continue
            if any(v is None for v in values):
                problems.append(f"Condition {operator} {key}: values must be strings, numbers "
                                "or booleans")
                continue
            out.append(ConditionClause(operator=operator, base=base, qualifier=qualifier,
                                       if_exists=if_exists, key=str(key).lower(),
                                       values=tuple(v for v in values if v is not None)))
    return tuple(out)


def _parse_statement(index: int, raw: Any, duplicates: bool = False) -> Statement:
    """``duplicates``: the policy text repeated a key somewhere (``_DuplicateKeys``): look
    for the repeats in this statement."""
    if not isinstance(raw, Mapping):
        return Statement(index=index, sid=None, effect="",
                         problems=("statement is not an object",))
    problems: list[str] = _duplicate_problems(raw) if duplicates else []
    unknown = sorted(set(map(str, raw)) - STATEMENT_ELEMENTS)
    if unknown:
        problems.append(f"unknown element(s) {', '.join(unknown)}")
    sid = raw.get("Sid")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        problems.append(f"Effect must be Allow or Deny, got {effect!r}")
        effect = ""
    elif isinstance(raw, _DuplicateKeys) and "Effect" in raw.duplicates:
        effect = ""  # which of the Effects holds is not known: either (evaluate: UNKNOWN)

    def pair(name: str, not_name: str, required: bool) -> tuple[tuple[str, ...] | None,
                                                                tuple[str, ...] | None]:
        has, has_not = name in raw, not_name in raw
        if has and has_not:
            problems.append(f"both {name} and {not_name}")
        elif required and not has and not has_not:
            problems.append(f"missing {name} or {not_name}")
        pos = _strings(raw[name], name, problems) if has else None
        neg = _strings(raw[not_name], not_name, problems) if has_not else None
        return pos, neg

    actions, not_actions = pair("Action", "NotAction", True)
    resources, not_resources = pair("Resource", "NotResource", False)
    principal = not_principal = None
    if "Principal" in raw:
        principal = parse_principal(raw["Principal"], "Principal")
        problems.extend(principal.problems)
    if "NotPrincipal" in raw:
        not_principal = parse_principal(raw["NotPrincipal"], "NotPrincipal")
        problems.extend(not_principal.problems)
    if principal is not None and not_principal is not None:
        problems.append("both Principal and NotPrincipal")
    conditions = _parse_conditions(raw["Condition"], problems) if "Condition" in raw else ()
    return Statement(
        index=index, sid=sid if isinstance(sid, str) else None, effect=str(effect),
        principal=principal, not_principal=not_principal, actions=actions,
        not_actions=not_actions, resources=resources, not_resources=not_resources,
        conditions=conditions, problems=tuple(problems),
    )


def variable_keys(text: str) -> set[str]:
    """The lower-case context keys of the policy variables in ``text`` (``${aws:username}``)."""
    keys = set()
    for m in _VARIABLE.finditer(text):
        name = m.group(1).split(",")[0].strip().lower()
        if name not in ("*", "?", "$"):
            keys.add(name)
    return keys


def statement_keys(st: Statement) -> tuple[frozenset[str], bool]:
    """The lower-case context keys one statement reads (its Condition keys and the keys of the
    policy variables in its condition values and Resource / NotResource), and whether it uses
    a policy variable. A policy's ``condition_keys`` is the union over its statements."""
    keys: set[str] = set()
    uses_variables = False
    for c in st.conditions:
        keys.add(c.key)
        for v in c.values:
            if "${" in v:
                uses_variables = True
                keys |= variable_keys(v)
    for group in (st.resources, st.not_resources):
        for r in group or ():
            if "${" in r:
                uses_variables = True
                keys |= variable_keys(r)
    return frozen(keys), uses_variables


def _from_document(doc: Any, duplicates: bool = False) -> Policy:
    """``duplicates``: the text repeated a key in some JSON object (``_DuplicateKeys``)."""
    if not isinstance(doc, Mapping):
        return Policy(version=None, problems=("policy is not a JSON object",))
    problems: list[str] = []
    if isinstance(doc, _DuplicateKeys):
        problems += _repeats(doc)  # Version, Statement, Id: the statements read their own
    unknown = sorted(set(map(str, doc)) - POLICY_ELEMENTS)
    if unknown:
        problems.append(f"unknown policy element(s) {', '.join(unknown)}")
    version = doc.get("Version")
    if version is not None and version not in (VERSION_2012, VERSION_2008):
        problems.append(f"unknown Version {version!r}")
    raw_statements = doc.get("Statement")
    if raw_statements is None:
        problems.append("missing Statement")
        raw_statements = []
    if isinstance(raw_statements, Mapping):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list):
        problems.append("Statement must be an object or a list")
        raw_statements = []
    statements = tuple(_parse_statement(i, s, duplicates)
                       for i, s in enumerate(raw_statements))
    keys: set[str] = set()
    uses_variables = False
    for st in statements:
        st_keys, st_variables = statement_keys(st)
        keys |= st_keys
        uses_variables = uses_variables or st_variables
    return Policy(version=version if isinstance(version, str) else None, statements=statements,
                  problems=tuple(problems), condition_keys=frozen(keys),
                  uses_variables=uses_variables)


#: room for the distinct policies of an organization-scale estate (100,000 secret policies,
#: the keys' and the identities'): access analysis parses them first and the rules read the
#: same texts; with 65,536 every one had been evicted by then and 78,105 were parsed again at
#: 100,000 synthetic secrets (rules 19.6-20.3 -> 15.5 s CPU; peak RSS +31 MB, the parsed
#: policies are alive during both stages anyway)
_TEXT_CACHE = 262144


@lru_cache(maxsize=_TEXT_CACHE)
def parse_policy_text(text: str) -> Policy:
    """Parse a policy from its JSON text. Malformed JSON gives a Policy with problems."""
    repeated: list[bool] = []

    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = _json_object(pairs)
        if isinstance(obj, _DuplicateKeys):
            repeated.append(True)
        return obj

    try:
        doc = json.loads(text, object_pairs_hook=hook)
    except (ValueError, RecursionError) as exc:
        return Policy(version=None, problems=(f"malformed JSON: {exc}",))
    return _from_document(doc, duplicates=bool(repeated))


def canonical_text(doc: Mapping[str, Any] | str) -> str:
    """A stable text for a policy (the text itself, or sorted compact JSON of a mapping)."""
    if isinstance(doc, str):
        return doc
    try:
        return json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    except (TypeError, ValueError) as exc:
        return f"<unserialisable policy: {exc}>"


_BY_REPR: dict[str, Policy] = {}


def parse_policy(doc: Mapping[str, Any] | str) -> Policy:
    """Parse a policy given as JSON text or as an already-decoded document.

    Cached by text: JSON text as given, a decoded document by its ``repr`` (documents decoded
    from the same text have the same repr; this is much cheaper than re-serialising them).
    """
    if isinstance(doc, str):
        return parse_policy_text(doc)
    if isinstance(doc, (bytes, bytearray)):
        try:
            return parse_policy_text(bytes(doc).decode("utf-8"))
        except UnicodeDecodeError:
            return Policy(version=None, problems=("policy is not UTF-8 text",))
    key = repr(doc)
    hit = _BY_REPR.get(key)
    if hit is None:
        if len(_BY_REPR) > 65536:
            _BY_REPR.clear()
        hit = _from_document(doc)
        _BY_REPR[key] = hit
    return hit
