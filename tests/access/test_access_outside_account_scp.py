"""The scp gate of an account outside the scan: the same answer with and without organization
data, and never the reason secret-cross-account-access-broken stays UNKNOWN.

Organizations User Guide, "Service control policies": SCPs are the policies of an
organization. Ours (when read) never apply to an account outside it (``Guardrails.evaluate``:
NOT_APPLICABLE); that account's own organization's SCPs, if any, are never readable by this
scan -- as its identity policies are not. Without organization data and with the home account
in no organization (DescribeOrganization: not in use), no account outside the scan shares an
organization with us: its scp gate is NOT_APPLICABLE too. An account INSIDE the scan whose
membership was not asked stays UNKNOWN (test_access_scp_without_org.py), and so does an
outside account when the home account is in an organization that was not read (it may be a
member of ours).

New-user trial round 7 (allowed_partner_unknown.sh): a partner account allowed by config left
``secret-cross-account-access-broken UNKNOWN ... missing gate ...PartnerReader:
identity_policy, scp (UNKNOWN)`` that no scan could resolve, while the Organization demo gave
the same kind of account scp NOT_APPLICABLE.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from helpers.access_estate import (CENTRAL, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for)

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.findings import Finding, Status
from scanner.graph.builder import build_graph
from scanner.model import (IN_ORGANIZATION, MEMBERSHIP_UNKNOWN, NOT_IN_ORGANIZATION,
                           OrgMembership, Snapshot)

PARTNER = "210987654321"
PARTNER_ROLE = f"arn:aws:iam::{PARTNER}:role/PartnerReader"
MEMBER_APP = f"arn:aws:iam::{MEMBER}:role/ApplicationRole"


def _snapshot(status: str | None, *, org: bool = False) -> Snapshot:
    """CENTRAL's secret granted (resource and key policy) to a partner role outside the scan
    and to a role of MEMBER, a scanned account."""
    snap = estate(secret_policy=secret_policy_for(PARTNER_ROLE, MEMBER_APP),
                  key_policy=key_policy_for(PARTNER_ROLE, MEMBER_APP), members=(MEMBER,),
                  principals=(role(MEMBER_APP, allow_read_identity()),),
                  scps=() if org else None)
    if org:
        return snap
    membership = None if status is None else OrgMembership(
        account_id=CENTRAL, status=status,
        org_id="o-ours123456" if status == IN_ORGANIZATION else None,
        management_account_id="444444444444" if status == IN_ORGANIZATION else None)
    return replace(snap, organization=None, org_membership=membership,
                   meta=replace(snap.meta, org_id=None))


def _scp(snap: Snapshot) -> dict[str, str]:
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p.gates["scp"].status for p in sa.paths}


def test_an_outside_account_has_the_same_scp_gate_with_and_without_organization_data() -> None:
    """new-user trial round 7: UNKNOWN without organization data, NOT_APPLICABLE with it."""
    assert _scp(_snapshot(None, org=True))[PARTNER_ROLE] == "NOT_APPLICABLE"
    scp = _scp(_snapshot(NOT_IN_ORGANIZATION))
    assert scp[PARTNER_ROLE] == "NOT_APPLICABLE"
    # a scanned account whose membership was not asked: a real UNKNOWN, kept
    assert scp[MEMBER_APP] == "UNKNOWN"


@pytest.mark.parametrize("status", [None, MEMBERSHIP_UNKNOWN, IN_ORGANIZATION])
def test_an_outside_account_may_be_in_our_unread_organization(status: str | None) -> None:
    """new-user trial round 7 (the other half): with the home account in an organization that
    was not read, or membership not known, an outside account may be a member of ours: its
    SCPs are readable with --org, the gate stays UNKNOWN."""
    assert _scp(_snapshot(status))[PARTNER_ROLE] == "UNKNOWN"


def _broken(snap: Snapshot, config: dict[str, object]) -> list[Finding]:
    graph = build_graph(snap)
    cfg = parse_config(config, path="(test)")
    report = analyze_access(graph, snap, AccessSettings.from_snapshot(
        snap, allowed_external_accounts=frozenset(cfg.allowed_external_accounts),
        trusted_accounts=cfg.trusted_accounts))
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    return [f for f in evaluate(graph, snap, report, Ruleset(rules=(rule,)), cfg)
            if f.resource.arn == SECRET_ARN]


def _single(status: str) -> Snapshot:
    """The snapshot without the scanned member (whose own SCPs were not read: a real
    UNKNOWN): CENTRAL alone is scanned."""
    snap = _snapshot(status)
    return replace(snap, accounts=tuple(a for a in snap.accounts if a.account_id != MEMBER),
                   meta=replace(snap.meta, accounts=(CENTRAL,)))


def _partner_unknown(findings: list[Finding]) -> list[Finding]:
    # the principal's own UNKNOWN row (secret-cross-account-access-broken: one per principal)
    return [f for f in findings if f.status is Status.UNKNOWN and f.principal == PARTNER_ROLE]


@pytest.mark.parametrize("config", [{"allowed_external_accounts": [PARTNER]},
                                    {"trusted_accounts": [PARTNER]}])
def test_an_allowed_partner_leaves_no_unresolvable_unknown(config: dict[str, object]) -> None:
    """new-user trial round 7: "missing gate ...PartnerReader: identity_policy, scp
    (UNKNOWN)" in an account of no organization. The partner's identity policies and its own
    organization's SCPs can never be read; no SCP or RCP of ours exists: nothing is left to
    resolve."""
    findings = _broken(_single(NOT_IN_ORGANIZATION), config)
    assert not _partner_unknown(findings)
    assert not [f for f in findings if f.status in (Status.UNKNOWN, Status.FAIL)]


def test_a_partner_of_a_home_account_in_an_unread_organization_stays_unknown() -> None:
    """new-user trial round 7 (the other half): our organization's RCPs (on the secret's
    account) and SCPs (the partner may be a member) were not read -- readable with --org: a
    real UNKNOWN."""
    findings = _broken(_single(IN_ORGANIZATION), {"allowed_external_accounts": [PARTNER]})
    assert _partner_unknown(findings)


def test_a_scanned_accounts_unknown_scp_still_makes_the_rule_unknown() -> None:
    """new-user trial round 7 (the other half): a scanned account's SCPs could be read (scan
    with --org): its UNKNOWN gate is not out of scope."""
    findings = _broken(_snapshot(NOT_IN_ORGANIZATION), {})
    (unknown,) = [f for f in findings if f.status is Status.UNKNOWN]
    assert unknown.principal == MEMBER_APP
    assert [m.partition(" (")[0] for m in unknown.missing] == ["gate scp"], unknown.missing
    assert "SCPs not assessed" in unknown.missing[0], unknown.missing
