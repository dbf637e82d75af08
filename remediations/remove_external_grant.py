"""remove-external-grant: take one external principal out of a secret's resource policy.

Fixes ``secret-policy-external-account``, and only when the user selects it explicitly
(``--rule secret-policy-external-account`` or ``--finding ID``): removing access someone may rely
on is a decision, not a default. Removes just that principal from the Allow statements that name
it (an account id and its root ARN, in any partition, are one principal; the roles and users of
that account are principals of their own, with findings of their own), or its value from the
narrowing condition of a ``*`` statement naming it; a statement left with no principal at all, or
with an empty condition (which would open it to everyone), is dropped. Every other statement is
kept as it was. A change that would leave no statement is refused with the reason per statement
(the policy is to be deleted by hand), and so is a grant the policy's own explicit Deny already
takes back (scanner.policy.exposure.taken_back): removing it would change nothing. Reversible:
PutResourcePolicy with the previous text.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from remediations import _secret_policy
from remediations.base import (SECRET_POLICY_MAX_CHARS, evidence_list, evidence_str, find_secret,
                               require_read)
from remediations.policy_edit import (aws_principals, edit_policy, parse_policy, parsed,
                                      parsed_or_none, same_principal)
from scanner.access.graph_io import secret_resource_context
from scanner.access.settings import AccessSettings
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_secret)
from scanner.findings import Finding
from scanner.graph.builder import record_attrs
from scanner.graph.schema import NodeKind
from scanner.model import Snapshot
from scanner.policy.exposure import (StatementMatch, outside_zone_grants,
                                     taken_back_principals, withheld_text)
from scanner.policy.arn import principal_account
from scanner.policy.trust_zone import trust_zone

REMEDIATION_ID = "remove-external-grant"
PERMISSIONS = ("secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy",
               "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy")
REVERSIBLE = True
EXPLICIT_ONLY = True
EVIDENCE_KEYS = ("external_principal", "external_principals", "external_account_id")


def _matches(entry: str, principal: str) -> bool:
    return same_principal(entry, principal)


def without_principal(stmt: Mapping[str, Any], principal: str) -> dict[str, Any] | None:
    """The statement without the principal; None when nothing would be left to grant to."""
    out = copy.deepcopy(dict(stmt))
    kept = [p for p in aws_principals(stmt) if not _matches(p, principal)]
    prin = dict(out["Principal"])
    if kept:
        prin["AWS"] = kept[0] if len(kept) == 1 else kept
    else:
        prin.pop("AWS", None)
    if not prin:
        return None
    out["Principal"] = prin
    return out


def without_condition_value(stmt: Mapping[str, Any], key: str,
                            value: str) -> dict[str, Any] | None:
    """The ``*`` statement without ``value`` in its ``key`` condition; None when the condition
    would be left empty (dropping it would open the statement to everyone)."""
    out = copy.deepcopy(dict(stmt))
    cond = dict(out.get("Condition") or {})
    for operator, block in list(cond.items()):
        if not isinstance(block, Mapping):
            continue
        block = dict(block)
        for k in list(block):
            if str(k).lower() != key:
                continue
            values = block[k] if isinstance(block[k], list) else [block[k]]
            # an IgnoreCase operator's value as it compares (matching.compared_value: the
            # match carries it case-folded; IAM conformance trial round 16: "ARN:AWS:IAM::
            # 999...:ROOT" stayed and the planned change removed nothing)
            folded = "ignorecase" in str(operator).lower()
            kept = [v for v in values
                    if str(v) != value and not (folded and str(v).lower() == value.lower())]
            if not kept:
                return None
            block[k] = kept[0] if len(kept) == 1 else kept
        cond[operator] = block
    out["Condition"] = cond
    return out


def _why_dropped(stmt: Mapping[str, Any], m: StatementMatch, entry: str) -> str:
    """Why removing ``entry`` removes the whole statement ``m``."""
    if m.via != "condition":
        return f"{m.label} names no principal but {entry}: the statement would be removed"
    key = next((str(k) for block in (stmt.get("Condition") or {}).values()
                if isinstance(block, Mapping) for k in block
                if str(k).lower() == m.condition_key), str(m.condition_key))
    # the value may be an account, an ARN, an organization id or path: name it, not its kind
    # (ground-truth trial round 17: another organization's aws:PrincipalOrgPaths was "the
    # account")
    return (f"{m.label} grants Principal \"*\" where {key} is {entry}, its only value: taking "
            f"{entry} out of the condition would leave it empty and open the statement to "
            "everyone, so the statement itself would be removed")


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    if not ctx.explicitly_selected:
        raise PlanRefused("remove-external-grant runs only when selected explicitly: "
                          "--rule secret-policy-external-account or --finding ID")
    single = (evidence_str(finding, "external_principal") or finding.principal
              or evidence_str(finding, "external_account_id"))
    principals = [single] if single else evidence_list(finding, "external_principals")
    if not principals or "*" in principals:
        raise PlanRefused("the finding names no external principal (evidence "
                          "external_principal / external_principals)")
    secret = find_secret(snapshot, finding.resource.arn)
    require_read(secret.unread, ("resource_policy",), f"secret {secret.arn}")
    before_text = _secret_policy.current_text(secret, ctx)
    before = parse_policy(before_text, f"resource policy of {secret.arn}")
    zone = trust_zone(snapshot, ctx.config.trusted_accounts)
    policy = parsed(before_text, f"resource policy of {secret.arn}")
    matches = [m for m in outside_zone_grants(policy, own_account=secret.account_id, zone=zone)
               if any(_matches(p, x) for p in m.principals for x in principals)]
    spared = [m for m in matches if m.via == "mentioned"]
    if spared:
        # the "*" grant reaches the account because ANOTHER statement (a Deny's exception:
        # ArnNotLike aws:PrincipalArn <its ARN>, or its NotPrincipal) spares it: which edit is
        # meant -- narrow the "*", or drop the exception -- is the owner's call (IAM
        # conformance trial round 16: planning crashed, "internal error: ValueError", reading
        # the "*" as a Principal map)
        accounts = {principal_account(p) for m in spared for p in m.principals}
        by_not_principal = any(
            st.effect == "Deny" and st.not_principal is not None
            and any(principal_account(e) in accounts for e in st.not_principal.aws)
            for st in policy.statements)
        how = "NotPrincipal" if by_not_principal else "condition"
        raise PlanRefused(
            f"{', '.join(sorted({p for m in spared for p in m.principals}))} is let in by the "
            f"\"*\" grant of {', '.join(sorted({m.label for m in spared}))} because another "
            f"statement's {how} spares it (a Deny's exception): narrow the "
            f"\"*\" grant or change that exception by hand")
    named = {p for m in matches for p in m.principals
             if any(_matches(p, x) for x in principals)}
    # the secret's side of the request as the access analysis and the rule give it (its
    # organization: the data perimeter by ${aws:ResourceOrgID}, IAM conformance trial 12)
    rctx = secret_resource_context(
        secret.arn, {**record_attrs(secret), "kind": NodeKind.SECRET.value},
        AccessSettings.from_snapshot(snapshot, trusted_accounts=ctx.config.trusted_accounts))
    back = taken_back_principals(policy, matches, resource=secret.arn, zone=zone,
                                 resource_ctx=rctx)
    if named and named <= set(back):
        # the policy's own explicit Deny takes the grant back (scanner.policy.exposure.
        # taken_back, the rule's reading): removing it would change nothing (ground-truth
        # organization trial round 8: planned with "readers +0 -0")
        raise PlanRefused(
            f"the policy already takes the grant to {', '.join(sorted(named))} back: "
            f"{withheld_text(dict.fromkeys(d for p in sorted(named) for d in back[p]))}"
            ": removing it changes nothing")
    replacements: dict[int, Mapping[str, Any] | None] = {}
    #: why a statement would go whole: it names no other principal, or its condition's only
    #: value is the principal (an empty condition would open it to everyone)
    dropped: dict[int, str] = {}
    for m in matches:
        edited: dict[str, Any] | None = dict(replacements.get(m.index) or
                                             before["Statement"][m.index])
        if m.index in replacements and replacements[m.index] is None:
            continue
        for x in principals:
            for entry in m.principals:
                if edited is None or not _matches(entry, x):
                    continue
                edited = (without_condition_value(edited, str(m.condition_key), entry)
                          if m.via == "condition" else without_principal(edited, entry))
                if edited is None:
                    dropped[m.index] = _why_dropped(before["Statement"][m.index], m, entry)
        replacements[m.index] = edited
    if not replacements:
        return []
    after, diff = edit_policy("secret-resource-policy", before_text, before, replacements, (),
                              SECRET_POLICY_MAX_CHARS, use_bytes=False)
    if after["Statement"]:
        call = ApiCall(service="secretsmanager", operation="PutResourcePolicy",
                       region=secret.region,
                       params={"SecretId": secret.arn, "ResourcePolicy": diff.after})
        desired: dict[str, Any] = {"resource_policy": after}
    else:
        # every statement goes: say why each would have to (ground-truth organization trial
        # round 8: a "*" statement naming the partner in aws:PrincipalAccount was refused as
        # "removing the principal would leave an empty policy")
        raise PlanRefused("; ".join(dropped[i] for i in sorted(dropped))
                          + ": that leaves an empty policy, which this remediation does not "
                          "write; delete the resource policy by hand (DeleteResourcePolicy) if "
                          "no one should be granted")
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=secret.account_id,
        region=secret.region, resource_arn=secret.arn, target=_secret_policy.target(secret.arn),
        summary=f"remove {', '.join(principals)} from {len(replacements)} statement(s)",
        calls=[call], pre_state={"resource_policy": parsed_or_none(before_text)},
        desired_state=desired,
        details={"principals": principals, "statement_indexes": sorted(replacements)},
        policy_diff=diff, notes=["anyone relying on this grant loses access to the secret"])]


def read_current(clients: Clients, change: PlannedChange) -> dict[str, Any]:
    return _secret_policy.read_current(clients, change)


def apply(clients: Clients, change: PlannedChange) -> AppliedChange:
    return apply_calls(clients, change, read_current)


def verify(clients: Clients, change: PlannedChange) -> Verification:
    return verify_state(clients, change, read_current)


def undo_call(change: PlannedChange, before: Mapping[str, Any]) -> tuple[ApiCall, ...] | None:
    return _secret_policy.undo_calls(change, before)


def simulate(snapshot: Snapshot, change: PlannedChange) -> Snapshot:
    """The secret with the resource policy the change writes (none after DeleteResourcePolicy)."""
    if any(c.operation == "DeleteResourcePolicy" for c in change.calls):
        return with_secret(snapshot, change.resource_arn, resource_policy=None)
    assert change.policy_diff is not None
    return with_secret(snapshot, change.resource_arn, resource_policy=change.policy_diff.after)
