"""Small helpers shared by predicates: policy reading, CIDRs, routes. Policy exposure concepts
(public statements, outside-the-zone grants, ...) live in scanner/policy/exposure.py."""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any, Mapping

from scanner.access.graph_io import policy_input
from scanner.engine.conditions import UNKNOWN, Result
from scanner.policy import Policy, parse_policy_text


def policy_or_unknown(attrs: Mapping[str, Any], field: str, what: str,
                      ctx: Any = None) -> tuple[Policy | None, Result | None]:
    """The parsed policy in ``field``; (None, UNKNOWN result) when not read or unparseable;
    (None, None) when there is no policy at all."""
    parse = ctx.index.policy if ctx is not None else parse_policy_text
    policy, missing = policy_input(attrs, field, what, parse)
    if missing is None:
        return policy, None
    unread = attrs.get("unread") or ()
    if attrs.get("collected") is False:  # a placeholder: say why it was not collected
        why = ctx.index.not_collected(str(attrs.get("arn") or what), attrs) \
            if ctx is not None else missing
        return None, Result(outcome=UNKNOWN, missing=(f"{what}: {why}",),
                            facts=(("text", f"{what} was not collected"),))
    if field in unread or "key" in unread:
        return None, Result(outcome=UNKNOWN, missing=(missing,),
                            facts=(("text", f"{what} was not read"),))
    return None, Result(outcome=UNKNOWN, missing=(missing,))


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
