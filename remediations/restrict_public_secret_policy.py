"""restrict-public-secret-policy: narrow ``Principal: "*"`` statements to the organization.

Fixes ``secret-policy-public``. Adds ``StringEquals aws:PrincipalOrgID = <org id>`` to exactly
the statements the rule reports (scanner.policy.exposure.public_statements: Allow to ``*`` or
with NotPrincipal, with no narrowing condition -- an ``...IfExists`` one does not narrow); every
other statement is kept as it was. The minified result is checked against the 20,480-character limit and written with
``BlockPublicPolicy=True``. Reversible: PutResourcePolicy with the previous text.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from remediations import _secret_policy
from remediations.base import SECRET_POLICY_MAX_CHARS, find_secret, require_read
from remediations.policy_edit import edit_policy, parse_policy, parsed, parsed_or_none
from scanner.changes import (ApiCall, AppliedChange, Clients, PlanContext, PlanRefused,
                             PlannedChange, Verification, apply_calls, make_change, verify_state,
                             with_secret)
from scanner.findings import Finding
from scanner.model import Snapshot
from scanner.policy.exposure import public_statements, statement_indexes

REMEDIATION_ID = "restrict-public-secret-policy"
PERMISSIONS = ("secretsmanager:GetResourcePolicy", "secretsmanager:PutResourcePolicy",
               "secretsmanager:DeleteResourcePolicy")
REVERSIBLE = True
EXPLICIT_ONLY = False
EVIDENCE_KEYS: tuple[str, ...] = ()


def org_id_for(snapshot: Snapshot, ctx: PlanContext) -> str:
    org_id = ctx.config.org_id or (snapshot.organization.org_id if snapshot.organization
                                   else None) or snapshot.meta.org_id
    if not org_id:
        raise PlanRefused("no organization id (scan with --org, or set remediation.org_id in "
                          "--config)")
    return org_id


def restrict(stmt: Mapping[str, Any], org_id: str) -> dict[str, Any]:
    out = copy.deepcopy(dict(stmt))
    cond = dict(out.get("Condition") or {})
    # condition keys are case-insensitive: one aws:PrincipalOrgID entry, set to the org
    equals = {k: v for k, v in dict(cond.get("StringEquals") or {}).items()
              if str(k).lower() != "aws:principalorgid"}
    equals["aws:PrincipalOrgID"] = org_id
    cond["StringEquals"] = equals
    out["Condition"] = cond
    return out


def plan(finding: Finding, snapshot: Snapshot, ctx: PlanContext) -> list[PlannedChange]:
    secret = find_secret(snapshot, finding.resource.arn)
    require_read(secret.unread, ("resource_policy",), f"secret {secret.arn}")
    before_text = _secret_policy.current_text(secret, ctx)
    before = parse_policy(before_text, f"resource policy of {secret.arn}")
    public = statement_indexes(public_statements(
        parsed(before_text, f"resource policy of {secret.arn}")))
    if not public:
        return []
    org_id = org_id_for(snapshot, ctx)
    replacements: dict[int, Mapping[str, Any] | None] = {
        i: restrict(before["Statement"][i], org_id) for i in public}
    after, diff = edit_policy("secret-resource-policy", before_text, before, replacements, (),
                              SECRET_POLICY_MAX_CHARS, use_bytes=False)
    call = ApiCall(service="secretsmanager", operation="PutResourcePolicy", region=secret.region,
                   params={"SecretId": secret.arn, "ResourcePolicy": diff.after,
                           "BlockPublicPolicy": True})
    return [make_change(
        remediation_id=REMEDIATION_ID, finding=finding, account_id=secret.account_id,
        region=secret.region, resource_arn=secret.arn, target=_secret_policy.target(secret.arn),
        summary=f"limit {len(public)} public statement(s) to organization {org_id}",
        calls=[call], pre_state={"resource_policy": parsed_or_none(before_text)},
        desired_state={"resource_policy": after},
        details={"statement_indexes": public, "org_id": org_id}, policy_diff=diff)]


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
