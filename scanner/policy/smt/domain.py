"""The domain of the encoding: what a symbolic request can carry, as z3 terms.

Domain of a symbolic request (what a real AWS request can carry), documented in docs/access.md
("Proofs", "The encoding"):

* a key is absent or has values; single-valued keys carry at most one value. A key is treated
  as multivalued when AWS documents it so (``encode.MULTIVALUED``) or a policy uses a set operator on
  it; it then carries at most (number of clauses on it + 1) values, enough for every
  combination of clauses (each existential clause needs one value, universal ones hold on any
  subset), so a proof over the bounded sets holds for every set;
* a key compared with Numeric* / Date* operators carries numbers (dates as epoch seconds), one
  compared with IpAddress carries IP addresses, one compared with Bool carries ``true`` or
  ``false``; a key compared as two different types is not encoded;
* a symbolic principal is an IAM role, user or account root of a 12-digit account in the
  secret's partition (Secrets Manager and KMS take no anonymous requests).

Here: string literals and patterns as z3 regular expressions (``glob_re``, ``arn_re``,
``ignore_case_re``), the shapes of the values AWS documents (account ids, organization ids and
paths, IAM names and paths, session names), a condition key's symbolic values (``KeyVar``,
``literal_value``) and the requesting principal (``Principal``). ``encode.Encoder`` builds the
policies' formulas over them.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from scanner.policy.values import read_date, read_number, Unparseable
from scanner.policy.matching import arn_pattern_segments
from scanner.policy.request import Request
from scanner.policy.variables import LITERAL_QUESTION, LITERAL_STAR

ROLE, USER, ROOT = 0, 1, 2
PTYPE_NAMES = {ROLE: "role", USER: "user", ROOT: "root"}
PTYPE_CONTEXT = {ROLE: "AssumedRole", USER: "User", ROOT: "Account"}


class NotEncoded(Exception):
    """A part of a policy the encoding cannot express exactly (the message says which)."""


def sval(text: str) -> z3.SeqRef:
    """A z3 string literal of ``text`` exactly: z3 reads escape sequences (``\\u{41}``) in
    literals, so every backslash is written as the escape of a backslash."""
    return z3.StringVal(text.replace("\\", "\\u{5c}"))


def model_string(model: z3.ModelRef, expr: Any) -> str:
    """The model's value of a string expression, character by character (z3's printed form
    escapes some characters and not others)."""
    n = model.eval(z3.Length(expr), model_completion=True).as_long()
    return "".join(chr(model.eval(z3.StrToCode(z3.SubString(expr, i, 1)),
                                  model_completion=True).as_long()) for i in range(n))


# ---------------------------------------------------------------------------- regexes
_RE = z3.ReSort(z3.StringSort())
_ANY_CHAR = z3.AllChar(_RE)
_ANY = z3.Star(_ANY_CHAR)
_NOT_COLON = z3.Intersect(_ANY_CHAR, z3.Complement(z3.Re(":")))


def _lit(text: str) -> z3.ReRef:
    return z3.Re(sval(text))


def _concat(parts: list[z3.ReRef]) -> z3.ReRef:
    if not parts:
        return _lit("")
    return parts[0] if len(parts) == 1 else z3.Concat(*parts)


#: the characters the ``${*}`` / ``${?}`` escapes stand for (variables.LITERAL_STAR /
#: LITERAL_QUESTION in a substituted pattern): matched as themselves
_ESCAPED = str.maketrans({LITERAL_STAR: "*", LITERAL_QUESTION: "?"})


def unmark(text: str) -> str:
    """``text`` with the escapes' stand-ins (variables.LITERAL_STAR / LITERAL_QUESTION) as the
    characters ``*`` and ``?`` they stand for."""
    return text.translate(_ESCAPED)


def glob_re(pattern: str, *, segment: bool = False) -> z3.ReRef:
    """``*`` any run, ``?`` one character (``segment``: never a colon), the rest literal -- a
    ``*`` or ``?`` an escape put there (variables.LITERAL_STAR / LITERAL_QUESTION) too."""
    parts: list[z3.ReRef] = []
    buf = ""
    for ch in pattern:
        if ch in (LITERAL_STAR, LITERAL_QUESTION):
            buf += unmark(ch)
        elif ch in "*?":
            if buf:
                parts.append(_lit(buf))
                buf = ""
            one = _NOT_COLON if segment else _ANY_CHAR
            parts.append(z3.Star(one) if ch == "*" else one)
        else:
            buf += ch
    if buf:
        parts.append(_lit(buf))
    return _concat(parts)


def ignore_case_re(text: str) -> z3.ReRef:
    if not text.isascii():
        raise NotEncoded("a case-insensitive comparison with non-ASCII text")
    parts = []
    for ch in text:
        if ch.lower() != ch.upper():
            parts.append(z3.Union(z3.Re(ch.lower()), z3.Re(ch.upper())))
        else:
            parts.append(_lit(ch))
    return _concat(parts)


def arn_re(pattern: str) -> z3.ReRef:
    """matching.arn_condition_matches as a regex over the ARN (valid ARNs: the caller requires
    ``is_arn``): the six components one by one, a wildcard within its component -- never a
    colon in the first five, anything in the sixth (the rest of the ARN) -- and nothing for a
    value of fewer than six components (IAM User Guide, "Amazon Resource Name (ARN) condition
    operators": "Each of the six colon-delimited components of the ARN is checked
    separately"; IAM conformance trial round 11)."""
    parts = arn_pattern_segments(pattern)
    if parts is None:
        return z3.Empty(_RE)
    out: list[z3.ReRef] = []
    for i, seg in enumerate(parts):
        out.append(glob_re(seg, segment=i < 5))
        if i < 5:
            out.append(_lit(":"))
    return _concat(out)


#: conditions.is_arn_value: starts with "arn:" and has at least five colons
IS_ARN = z3.Concat(_lit("arn:"), z3.Loop(z3.Concat(_ANY, _lit(":")), 4, 4), _ANY)
_DIGITS12 = z3.Loop(z3.Range("0", "9"), 12, 12)
#: an organization id (Organizations API Reference: ^o-[a-z0-9]{10,32}$)
#: an organization path's characters (o-.../r-.../ou-.../: lower case, digits, - and /)
#: keys whose type is multivalued but whose value is one for any caller: aws:PrincipalOrgPaths
#: is the path of the principal's account, which is in one organization and has one parent
#: (Organizations API Reference, ListParents: "In the current release, a child can have only
#: a single parent"); the access evaluator reads one path too (conditions._under). Bounding
#: it to one value keeps the solver out of a search that took 36 s, or never ended, for a
#: ForAnyValue:StringLike of another organization's OU path beside the outsiders' "not
#: under our organization" (ground-truth trial round 17: --prove answered UNKNOWN, out of
#: time, for a one-statement policy)
ONE_VALUE_KEYS = frozenset({"aws:principalorgpaths"})
ORG_PATH = z3.Star(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("-"), z3.Re("/")))
ORG_ID = z3.Concat(z3.Re("o-"), z3.Loop(z3.Union(z3.Range("a", "z"), z3.Range("0", "9")), 10, 32))
#: IAM User Guide, "IAM object quotas" / CreateRole: names are 1-64 of [A-Za-z0-9+=,.@_-];
#: a path is "/" or "/"-separated segments of ASCII "!" through DEL (in the ARN: without the
#: leading "/")
_NAME_CHAR = z3.Union(z3.Range("a", "z"), z3.Range("A", "Z"), z3.Range("0", "9"),
                      *[z3.Re(c) for c in "+=,.@_-"])
_NO_SLASH = z3.Plus(_NAME_CHAR)  # and at most 64 long (a length constraint)
#: a name a reader takes for one: a lower-case letter, then lower-case letters, digits and
#: "-". Any name of _NO_SLASH is a valid witness, but the solver's first pick was often one
#: character such as "+" or "=" ("arn:aws:iam::999999999999:role/+"), which reads as a
#: parsing error (new-user trials' leftover); a witness is tried in this form first
#: (solve.solve), the whole name space after it
READABLE_NAME = z3.Concat(z3.Range("a", "z"),
                          z3.Star(z3.Union(z3.Range("a", "z"), z3.Range("0", "9"), z3.Re("-"))))
_PATH_CHAR = z3.Intersect(z3.Range("!", "\x7f"), z3.Complement(z3.Re("/")))
_IAM_PATH = z3.Star(z3.Concat(z3.Plus(_PATH_CHAR), _lit("/")))


# ---------------------------------------------------------------------------- values
def _ip_parts(text: str) -> tuple[bool, int]:
    addr = ipaddress.ip_address(text.strip().split("/")[0])
    return addr.version == 6, int(addr)


@dataclass
class KeyVar:
    """One condition key of one request: how many values it has (0 = absent) and the values."""

    name: str
    kind: str  # str | num | date | ip | bool
    count: z3.ArithRef
    vals: list[Any]  # z3 exprs; for ip: (is_v6 BoolRef, BitVecRef 128)

    @property
    def present(self) -> z3.BoolRef:
        return self.count >= 1


def literal_value(kind: str, text: str) -> Any:
    """A known request value as a z3 value of ``kind`` (NotEncoded when it does not parse)."""
    try:
        if kind == "str":
            return sval(text)
        if kind == "bool":
            return sval(text.strip().lower())
        if kind == "num":
            return z3.RealVal(Fraction(read_number(text)))
        if kind == "date":
            return z3.RealVal(Fraction(read_date(text)))
        v6, n = _ip_parts(text)
        return (z3.BoolVal(v6), z3.BitVecVal(n, 128))
    except (Unparseable, ValueError, OverflowError):  # OverflowError: inf has no ratio
        raise NotEncoded(f"value {text[:40]!r} is not a finite {kind}") from None


@dataclass
class Principal:
    """The requesting principal: symbolic (an IAM role / user / root of some account) or the
    concrete one of a Request."""

    arn: z3.SeqRef
    account: z3.SeqRef
    ptype: z3.ArithRef
    boundary: z3.BoolRef
    name: z3.SeqRef | None = None  # user name (aws:username) when symbolic
    path: z3.SeqRef | None = None
    concrete: Request | None = None

    @classmethod
    def symbolic(cls, tag: str, partition: str = "aws") -> tuple["Principal", list[Any]]:
        arn, acct = z3.String(f"{tag}.arn"), z3.String(f"{tag}.account")
        ptype, boundary = z3.Int(f"{tag}.type"), z3.Bool(f"{tag}.boundary")
        path, name = z3.String(f"{tag}.path"), z3.String(f"{tag}.name")
        head = z3.Concat(sval(f"arn:{partition}:iam::"), acct)
        facts = [
            z3.InRe(acct, _DIGITS12), ptype >= ROLE, ptype <= ROOT,
            z3.InRe(path, _IAM_PATH), z3.InRe(name, _NO_SLASH), z3.Length(name) <= 64,
            z3.Implies(ptype == ROLE, arn == z3.Concat(head, sval(":role/"), path, name)),
            z3.Implies(ptype == USER, arn == z3.Concat(head, sval(":user/"), path, name)),
            z3.Implies(ptype == ROOT, arn == z3.Concat(head, sval(":root"))),
            z3.Implies(ptype == ROOT, boundary == False),  # noqa: E712 (z3 expression)
        ]
        return cls(arn=arn, account=acct, ptype=ptype, boundary=boundary, name=name,
                   path=path), facts

    @classmethod
    def of_request(cls, request: Request) -> "Principal":
        if request.principal_type not in ("role", "user", "root"):
            raise NotEncoded(f"principal type {request.principal_type}")
        ptype = {"role": ROLE, "user": USER, "root": ROOT}[request.principal_type]
        return cls(arn=sval(request.principal_arn),
                   account=sval(request.principal_account or ""),
                   ptype=z3.IntVal(ptype), boundary=z3.BoolVal(request.has_permissions_boundary),
                   concrete=request)


#: context keys that describe the principal: symbolic principals define them
PRINCIPAL_KEYS = frozenset({"aws:principalarn", "aws:principalaccount", "kms:calleraccount",
                            "aws:principaltype", "aws:username", "aws:principalisawsservice",
                            "aws:userid"})

#: IAM User Guide, "AWS global condition context keys", aws:userid: a role session's value
#: is "role-id:caller-specified-role-name", an IAM user's its unique id, the root user's its
#: account id. A symbolic principal's unique id is not in the snapshot: it stands in with one
#: that no policy names (a role whose id is named is the answer's caveat, never its witness:
#: ``Encoder.userid_heads``; conformance trial round 7)
STAND_IN_ROLE_ID = "AROAUNKNOWNROLEID0000"
STAND_IN_USER_ID = "AIDAUNKNOWNUSERID0000"
#: STS AssumeRole, RoleSessionName: 2-64 of [\w+=,.@-]
SESSION_NAME = z3.Loop(_NAME_CHAR, 2, 64)
