"""Small helpers shared by predicates: policy reading, principals, CIDRs, routes."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, Iterable, Mapping

from scanner.access.graph_io import policy_input
from scanner.engine.conditions import UNKNOWN, Result
from scanner.policy import Policy, Statement, parse_policy_text
from scanner.policy.matching import action_matches
from scanner.policy.principals import entry_account

#: Condition keys that restrict *who* can use an Allow (an org, an account, a principal, a
#: network path). A statement with a positive condition on one of these is "narrowed".
NARROWING_KEYS = frozenset({
    "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
    "aws:sourcevpce", "aws:sourcevpc", "aws:sourceip", "aws:userid", "aws:principalservicename",
    "kms:calleraccount", "aws:resourceorgid",
})
_NEGATED = ("stringnot", "arnnot", "notipaddress")


def is_narrowed(st: Statement) -> bool:
    for c in st.conditions:
        if c.key not in NARROWING_KEYS:
            continue
        if c.base.startswith(_NEGATED) or c.if_exists:
            continue
        if c.base == "null":
            continue
        if any(v.strip() in ("*", "") for v in c.values):
            continue
        return True
    return False


def policy_or_unknown(attrs: Mapping[str, Any], field: str, what: str,
                      ctx: Any = None) -> tuple[Policy | None, Result | None]:
    """The parsed policy in ``field``; (None, UNKNOWN result) when not read or unparseable;
    (None, None) when there is no policy at all."""
    parse = ctx.index.policy if ctx is not None else parse_policy_text
    policy, missing = policy_input(attrs, field, what, parse)
    if missing is None:
        return policy, None
    unread = attrs.get("unread") or ()
    if field in unread or "key" in unread or attrs.get("collected") is False:
        return None, Result(outcome=UNKNOWN, missing=(missing,),
                            facts=(("text", f"{what} was not read"),))
    return None, Result(outcome=UNKNOWN, missing=(missing,))


def statement_actions_match(st: Statement, patterns: Iterable[str]) -> bool:
    """Could the statement cover any action matching one of ``patterns`` (concrete names)?"""
    pats = list(patterns)
    if st.actions is not None:
        return any(action_matches(a, p) for a in st.actions for p in pats)
    if st.not_actions is not None:
        return any(not any(action_matches(n, p) for n in st.not_actions) for p in pats)
    return False


def aws_entries(st: Statement) -> tuple[bool, tuple[str, ...]]:
    """(public, AWS principal entries) of an Allow statement's Principal."""
    if st.principal is None:
        return False, ()
    return st.principal.star, st.principal.aws


@lru_cache(maxsize=65536)
def account_of(entry: str) -> str | None:
    return entry_account(entry)


def root_of(account_id: str) -> str:
    return f"arn:aws:iam::{account_id}:root"


@lru_cache(maxsize=65536)
def network(cidr: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return None


def overlaps(a: str | None, b: str | None) -> bool:
    na, nb = network(a or ""), network(b or "")
    return bool(na and nb and na.version == nb.version and na.overlaps(nb))  # type: ignore[arg-type]


def within(inner: str | None, outer: str | None) -> bool:
    ni, no = network(inner or ""), network(outer or "")
    return bool(ni and no and ni.version == no.version and ni.subnet_of(no))  # type: ignore[arg-type]


def route_destination(route: Mapping[str, Any]) -> str | None:
    dest = route.get("destination_cidr") or route.get("destination_ipv6_cidr")
    return str(dest) if dest else None
