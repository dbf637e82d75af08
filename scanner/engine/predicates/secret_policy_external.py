"""The secret's resource policy allows principals of an account outside the organization and
outside the allow-list (parameter ``allowed_accounts``, also set by the config's
``allowed_external_accounts``). When the organization was not read, accounts outside the scan
are UNKNOWN rather than external. One FAIL per external principal."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._access import with_reader_classes
from scanner.engine.predicates._common import account_of, policy_or_unknown


def secret_policy_external(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                           args: Mapping[str, Any]) -> Result:
    policy, problem = policy_or_unknown(attrs, "resource_policy", "resource_policy", ctx)
    if problem is not None:
        return problem
    if policy is None:
        return Result(outcome=FALSE, facts=(("text", "no resource policy"),))
    own = attrs.get("account_id")
    allowed = set(args.get("allowed_accounts") or ())
    org = ctx.index.org_accounts
    external: list[str] = []
    undecided: list[str] = []
    for st in policy.statements:
        if st.effect != "Allow" or st.principal is None:
            continue
        for entry in st.principal.aws:
            acct = account_of(entry)
            if acct is None or acct == own or acct in allowed:
                continue
            if org is not None:
                if acct not in org and entry not in external:
                    external.append(entry)
            elif acct not in ctx.index.scanned_accounts and entry not in undecided:
                undecided.append(entry)
    if external:
        messages = {e: f"grants {e} (account outside the organization and the allow-list)"
                    for e in external}
        return Result(outcome=TRUE, principals=tuple(external),
                      facts=tuple(("text", messages[e]) for e in external),
                      evidence=with_reader_classes(ctx, node_id,
                                                   {"external_principals": external}),
                      principal_messages=messages)
    if undecided:
        return Result(outcome=UNKNOWN, missing=("organization accounts (Organizations not read)",),
                      facts=(("text", f"cannot tell whether {', '.join(undecided)} are in the "
                                      "organization"),),
                      evidence={"undecided_principals": undecided})
    return Result(outcome=FALSE, facts=(("text", "grants only accounts of the organization or "
                                                 "the allow-list"),))
