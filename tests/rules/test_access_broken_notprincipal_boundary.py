"""A Deny with NotPrincipal denies a principal with a permissions boundary, whatever it lists
(ground-truth trial round 12, D2).

IAM User Guide, "AWS JSON policy elements: NotPrincipal" (and "Permissions boundaries for IAM
entities"): "The NotPrincipal element with a Deny effect will always deny any IAM principal
that has a permissions boundary policy attached, regardless of the values specified in the
NotPrincipal element. This causes some IAM users or roles that would otherwise have access to
the resource to lose access."

The secret policy Allows account PA's root and Denies everyone but [PA role Exempt, PA root]:
the owner names Exempt as the one reader to keep. Exempt has a boundary, so the Deny applies
to it. `access` showed the pair BROKEN at resource_policy, yet
secret-cross-account-access-broken was silent (it counted the key, identity and SCP gates
only), and the gate's reason said only "statement 1 (OnlyExempt) Deny applies".
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from helpers.access_estate import (MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, text)
from remediations import resolve_remediation_id
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import ManagedPolicy

PA = MEMBER
EXEMPT = f"arn:aws:iam::{PA}:role/Exempt"
OTHER = f"arn:aws:iam::{PA}:role/Other"
BOUND = f"arn:aws:iam::{PA}:policy/Bound"
EVERYTHING = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def _secret_policy(deny_effect: str = "Deny") -> str:
    return text({"Sid": "ReadPA", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{PA}:root"},
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                {"Sid": "OnlyExempt", "Effect": deny_effect,
                 "NotPrincipal": {"AWS": [EXEMPT, f"arn:aws:iam::{PA}:root"]},
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*"})


def _run(*, boundary: bool, secret_policy: str | None = None,
         record_denied: bool = False) -> tuple[Any, list[Finding]]:
    roles = (role(EXEMPT, allow_read_identity(), boundary=BOUND if boundary else None),
             role(OTHER, allow_read_identity(), boundary=BOUND if boundary else None))
    snap = estate(secret_policy=secret_policy or _secret_policy(),
                  key_policy=key_policy_for(f"arn:aws:iam::{PA}:root"), principals=roles,
                  managed=(ManagedPolicy(arn=BOUND, name="Bound", account_id=PA,
                                         document=EVERYTHING),))
    graph = build_graph(snap)
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    access = analyze_access(graph, snap, settings)
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    found = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                 parse_config({"emit_pass": True}, path="(test)"),
                                 datetime(2026, 11, 29, tzinfo=timezone.utc))
             if f.resource.arn == SECRET_ARN]
    return access, found


def _path(access: Any, principal: str) -> Any:
    return next(p for p in access.secrets[SECRET_ARN].paths if p.principal == principal)


def test_the_gate_reason_names_the_boundary() -> None:
    access, _ = _run(boundary=True)
    gate = _path(access, EXEMPT).gates["resource_policy"]
    assert gate.status == "DENIED"
    [deny] = [r for r in gate.reasons if "OnlyExempt" in r]
    assert "Deny applies" in deny and "permissions boundary" in deny, gate.reasons


def test_the_exempt_role_with_a_boundary_is_reported_broken_at_the_resource_policy() -> None:
    _, found = _run(boundary=True)
    fails = [f for f in found if f.status is Status.FAIL]
    assert [f.principal for f in fails] == [EXEMPT], [(f.principal, f.message) for f in found]
    [f] = fails
    assert "denied by resource_policy" in f.message, f.message
    assert "permissions boundary" in f.message, f.message
    assert f.evidence["denied_by"] == ["resource_policy"]
    assert f.evidence["gates"][EXEMPT]["resource_policy"] == "DENIED"
    assert any("OnlyExempt" in r for r in f.evidence["explicit_deny"]["resource_policy"])
    # an Allow in the key policy cannot lift it: remediation leaves it to a person, saying why
    rid, why = resolve_remediation_id(f)
    assert rid is None and why is not None and "NotPrincipal" in why, (rid, why)


def test_a_role_the_notprincipal_does_not_list_is_not_reported() -> None:
    """Other is denied by the same Deny whether or not it has a boundary: the owner did not
    name it to keep -- not an intended reader the policy breaks."""
    _, found = _run(boundary=True)
    assert OTHER not in {f.principal for f in found if f.status is Status.FAIL}


def test_without_the_boundary_the_exempt_role_is_still_denied_for_its_sessions() -> None:
    """NotPrincipal lists Exempt and its account but no session of Exempt: a role acts only
    through its sessions, and "Principals must always name a specific session" (IAM User
    Guide, NotPrincipal; IAM conformance trial round 36: the pair was CONDITIONAL, not
    reported) -- the owner named Exempt to keep, so the read is reported broken, saying why;
    Other is not (not named to keep) and no reason of its speaks of a boundary."""
    # every pair recorded: Other, whom the Deny excludes, is access the policy never meant to
    # give (not recorded otherwise: test_access_policy_excludes_named)
    access, found = _run(boundary=False, record_denied=True)
    gate = _path(access, EXEMPT).gates["resource_policy"]
    assert gate.status == "DENIED"
    [deny] = [r for r in gate.reasons if "OnlyExempt" in r]
    assert "names no session of the role" in deny and "permissions boundary" not in deny
    fails = [f for f in found if f.status is Status.FAIL]
    assert [f.principal for f in fails] == [EXEMPT], [(f.principal, f.message) for f in found]
    assert "names no session of the role" in fails[0].message, fails[0].message
    assert not any("permissions boundary" in r
                   for r in _path(access, OTHER).gates["resource_policy"].reasons)


def test_with_a_session_listed_and_no_boundary_the_session_name_decides() -> None:
    """Exempt's session listed too: exempt or not depends on the session's name, which the
    snapshot does not hold -- CONDITIONAL, no FAIL; with the boundary, denied whatever."""
    policy = text({"Sid": "ReadPA", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{PA}:root"},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                  {"Sid": "OnlyExempt", "Effect": "Deny", "NotPrincipal": {"AWS": [
                      f"arn:aws:sts::{PA}:assumed-role/Exempt/app", EXEMPT,
                      f"arn:aws:iam::{PA}:root"]},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    access, found = _run(boundary=False, secret_policy=policy)
    assert _path(access, EXEMPT).gates["resource_policy"].status == "CONDITIONAL"
    assert not [f for f in found if f.status is Status.FAIL]
    access, found = _run(boundary=True, secret_policy=policy)
    assert [f.principal for f in found if f.status is Status.FAIL] == [EXEMPT]
