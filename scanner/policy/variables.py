"""IAM policy variables in condition values and ARNs: ``${aws:username}``, ``${key, 'default'}``
and the escapes ``${*}``, ``${?}``, ``${$}``, replaced from what the request knows (IAM User
Guide, "IAM policy elements: Variables and tags")."""

from __future__ import annotations

import re
from dataclasses import dataclass

from scanner.policy.request import KeyState, Request

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


#: the escapes of IAM policy variables: ${*}, ${?} and ${$} stand for the character itself
_ESCAPES = {"*": "*", "?": "?", "$": "$"}
_DEFAULT = re.compile(r"^\s*'((?:[^']|'')*)'\s*$")


@dataclass(frozen=True, slots=True)
class Substituted:
    """A text with its ``${...}`` policy variables replaced.

    ``text`` is None when it cannot be (``unresolved`` names why). ``void``: a variable's key
    is absent from the request and has no default, so the value matches nothing (IAM User
    Guide, "IAM policy elements: Variables and tags": "If the key that you specify in a policy
    condition is not present in the request context, the values do not match").
    ``literal_wildcard``: a substituted value (or a ${*} / ${?} escape) put a ``*`` or ``?``
    into the text that is not the policy's own wildcard.
    """

    text: str | None
    unresolved: tuple[str, ...] = ()
    void: bool = False
    literal_wildcard: bool = False
    #: ``text`` as a StringLike pattern when only escapes (``${*}``, ``${?}``) put a ``*`` or
    #: ``?`` into it: those characters as ``LITERAL_STAR`` / ``LITERAL_QUESTION``, which match
    #: only themselves (``literal_pattern_value``); None when a substituted value did
    pattern: str | None = None


#: stand-ins for a literal ``*`` / ``?`` in a StringLike pattern (an escape ``${*}`` /
#: ``${?}``): characters of the Unicode private-use area, which glob_match compares literally;
#: the request value's own ``*`` / ``?`` are mapped to them (``literal_pattern_value``)
LITERAL_STAR, LITERAL_QUESTION = "\ue000", "\ue001"
_TO_LITERAL = str.maketrans({"*": LITERAL_STAR, "?": LITERAL_QUESTION})


def literal_pattern_value(value: str) -> str:
    """A request value as matched against a ``Substituted.pattern``: its ``*`` and ``?`` are
    the characters an escape stands for (a wildcard of the pattern matches them as any
    character)."""
    return value.translate(_TO_LITERAL)


def substitute_variables(text: str, request: Request) -> Substituted:
    """Replace ``${key}`` and ``${key, 'default'}`` policy variables from known context.

    IAM User Guide, "IAM policy elements: Variables and tags": a variable is replaced by the
    value of its context key; "If the key ... is not present in the request context" the
    default value is used when one is given (``${aws:PrincipalTag/team, 'company-wide'}``),
    else the value matches nothing (void). A key the scanner does not know, or one with
    several values ("you can't use multivalued context keys as policy variables"), is
    unresolved: the caller answers UNKNOWN.
    """
    unresolved: list[str] = []
    void = False
    wild = False
    value_wild = False
    escaped: list[str] = []  # the pattern's pieces, the escapes' wildcards as stand-ins

    def repl(m: re.Match[str]) -> str:
        nonlocal void, wild, value_wild
        inner = m.group(1)
        if inner.strip() in _ESCAPES:
            wild |= inner.strip() in ("*", "?")
            escaped.append(inner.strip().translate(_TO_LITERAL))
            return _ESCAPES[inner.strip()]
        name, _, rest = inner.partition(",")
        name = name.strip()
        default: str | None = None
        if rest:
            dm = _DEFAULT.match(rest)
            if dm is None:
                unresolved.append(f"${{{inner}}}: malformed default")
                return ""
            default = dm.group(1).replace("''", "'")
        state = request.key_state(name)
        if state is KeyState.KNOWN and len(request.values(name)) == 1:
            value = request.values(name)[0]
        elif state is KeyState.ABSENT:
            if default is None:
                void = True
                escaped.append("")
                return ""
            value = default
        else:
            unresolved.append(f"${{{name}}}")
            return ""
        if "*" in value or "?" in value:
            wild = value_wild = True
        escaped.append(value)
        return value

    out = _VARIABLE.sub(repl, text)
    if unresolved:
        return Substituted(text=None, unresolved=tuple(unresolved))
    pattern = None
    if wild and not value_wild and LITERAL_STAR not in text and LITERAL_QUESTION not in text:
        pieces = iter(escaped)
        pattern = _VARIABLE.sub(lambda _m: next(pieces), text)
    return Substituted(text=out, void=void, literal_wildcard=wild, pattern=pattern)


def substitute(text: str, request: Request) -> tuple[str | None, tuple[str, ...]]:
    """(text, ()) when every variable resolved to a value, (None, reasons) otherwise."""
    sub = substitute_variables(text, request)
    if sub.text is None:
        return None, sub.unresolved
    if sub.void:
        return None, ("a policy variable's key is absent",)
    return sub.text, ()
