"""SCP / RCP documents that were not read (organizations:DescribePolicy or ListPolicies
failed; the coverage entries say so) never let a read through as ALLOWED.

Fault-injection trial round 5 on collection (d1_scp_unread.sh): with DescribePolicy denied the
demo's ReportingRole, which an SCP denies (baseline ``DENIED ... BROKEN at scp``), was reported
``ALLOWED`` with ``scp: UNKNOWN - SCPs/RCPs were not collected: not assessed``, and every other
cross-account reader ALLOWED where it should be CONDITIONAL. Organizations User Guide, "SCP
evaluation": "an explicit Deny statement in an SCP at any level ... denies" -- an SCP nobody
read may block the read; likewise an RCP of the resource's account ("Resource control
policies": RCPs apply to every caller, external ones included). What is exempt by AWS's rules
stays exempt whatever was read: the management account ("SCPs don't affect users or roles in
the management account"; RCPs, nor its resources), service-linked roles ("SCPs do not affect
service-linked roles"), and an account outside the organization is not subject to our SCPs.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import (
    APP_ROLE,
    CENTRAL,
    CENTRAL_ROLE,
    MEMBER,
    MEMBER2,
    ORG_ID,
    OUTSIDER,
    allow_read_identity,
    estate,
    key_policy_for,
    role,
    secret_policy_for,
    text,
)
from helpers.access_reference import full_report, use_reference_evaluation

from scanner.access import AccessSettings, analyze_access
from scanner.access.graph_io import secret_views
from scanner.access.identity import PrincipalIndex
from scanner.access.scp import Guardrails
from scanner.cli import main
from scanner.graph.builder import build_graph
from scanner.model import ControlPolicy, Snapshot
from scanner.policy.smt.questions import check_pair, principal_of
from scanner.snapshot_io import write_snapshot

MANAGEMENT = "444444444444"
SCP_T = "SERVICE_CONTROL_POLICY"
RCP_T = "RESOURCE_CONTROL_POLICY"
SLR = (f"arn:aws:iam::{MEMBER}:role/aws-service-role/ops.example.amazonaws.com/"
       "AWSServiceRoleForOps")
MGMT_ROLE = f"arn:aws:iam::{MANAGEMENT}:role/Admin"
PARTNER = f"arn:aws:iam::{OUTSIDER}:role/Partner"
OTHER_MEMBER = f"arn:aws:iam::{MEMBER2}:role/ApplicationRole"
READERS = (APP_ROLE, OTHER_MEMBER, CENTRAL_ROLE, MGMT_ROLE, SLR, PARTNER)
ACCOUNTS = ("r-root", CENTRAL, MEMBER, MEMBER2, MANAGEMENT)


def _cp(name: str, kind: str, targets: tuple[str, ...], *statements: dict[str, Any]) -> \
        ControlPolicy:
    return ControlPolicy(policy_id=f"p-{name}", name=name, policy_type=kind,
                         content=text(*statements), targets=targets)


FULL_SCP = _cp("FullAWSAccess", SCP_T, ACCOUNTS, {"Effect": "Allow", "Action": "*",
                                                   "Resource": "*"})
DENY_MEMBER = _cp("DenyReportingSecrets", SCP_T, (MEMBER,),
                  {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
FULL_RCP = _cp("RCPFullAWSAccess", RCP_T, ACCOUNTS, {"Effect": "Allow", "Principal": "*",
                                                     "Action": "*", "Resource": "*"})


def demo(*, enabled: tuple[str, ...] | None = (SCP_T,)) -> Snapshot:
    """The demo's shape: the secret in a member account (CENTRAL; the management account is
    another), readable by policy from a member role that an SCP denies (APP_ROLE), another
    member's role, a role of the secret's own account, a management-account role, a
    service-linked role and a partner account outside the organization."""
    principals = (APP_ROLE, OTHER_MEMBER, CENTRAL_ROLE, MGMT_ROLE, SLR)
    snap = estate(secret_policy=secret_policy_for(*READERS),
                  key_policy=key_policy_for(*READERS),
                  principals=tuple(role(p, allow_read_identity()) for p in principals),
                  members=(MEMBER, MEMBER2, MANAGEMENT), management=MANAGEMENT,
                  scps=(FULL_SCP, DENY_MEMBER))
    assert snap.organization is not None
    return replace(snap, organization=replace(snap.organization, policy_types_enabled=enabled))


def unread(snap: Snapshot) -> Snapshot:
    """DescribePolicy denied for every policy: nothing of either type was read."""
    assert snap.organization is not None
    return replace(snap, organization=replace(snap.organization, policies=(),
                                              policies_read=False, rcps_read=False))


def paths(snap: Snapshot) -> dict[str, Any]:
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    [sa] = report.secrets.values()
    return {p.principal: p for p in sa.paths}


def test_the_baseline_denies_the_scp_blocked_reader() -> None:
    p = paths(demo())[APP_ROLE]
    assert (p.decision, p.gates["scp"].status, p.broken_at) == ("DENIED", "DENIED", ("scp",))


def test_unread_scps_make_the_scp_blocked_read_conditional_not_allowed() -> None:
    """The trial's case: ReportingRole ALLOWED with SCPs unread; now CONDITIONAL on them."""
    p = paths(unread(demo()))[APP_ROLE]
    assert p.decision == "CONDITIONAL"
    assert p.gates["scp"].status == "UNKNOWN"
    assert "SCPs not collected" in p.conditions
    assert p.broken_at == ()


def test_unread_scps_leave_every_member_reader_conditional_and_the_exempt_ones_allowed() -> \
        None:
    got = {k: (v.decision, v.gates["scp"].status) for k, v in paths(unread(demo())).items()}
    assert got[OTHER_MEMBER] == ("CONDITIONAL", "UNKNOWN")
    assert got[CENTRAL_ROLE] == ("CONDITIONAL", "UNKNOWN")
    # Organizations UG: "SCPs don't affect users or roles in the management account"
    assert got[MGMT_ROLE] == ("ALLOWED", "NOT_APPLICABLE")
    # "SCPs do not affect service-linked roles"
    assert got[SLR] == ("ALLOWED", "NOT_APPLICABLE")


def test_an_outside_account_is_not_subject_to_our_scps_but_to_our_unread_rcps() -> None:
    """RCPs enabled and not read: the partner's SCP half is NOT_APPLICABLE (our SCPs never
    apply to it), the RCP half of our (member-account) secret is not assessed."""
    snap = unread(demo(enabled=(SCP_T, RCP_T)))
    p = paths(snap)[PARTNER]
    assert p.gates["scp"].status == "UNKNOWN"
    assert "RCPs not collected" in p.conditions
    assert "SCPs not collected" not in p.conditions
    assert p.decision != "ALLOWED"
    # RCPs not enabled at the root: they have no effect, and our SCPs do not apply to it
    q = paths(unread(demo()))[PARTNER]
    assert q.gates["scp"].status == "NOT_APPLICABLE"
    assert "SCPs not collected" not in q.conditions


def test_unread_rcps_alone_make_a_read_conditional() -> None:
    """SCPs read (FullAWSAccess only), RCPs enabled and not read: the RCPs of the secret's
    account may deny."""
    snap = demo(enabled=(SCP_T, RCP_T))
    assert snap.organization is not None
    snap = replace(snap, organization=replace(snap.organization, policies=(FULL_SCP,),
                                              rcps_read=False))
    got = paths(snap)
    assert got[OTHER_MEMBER].decision == "CONDITIONAL"
    assert got[OTHER_MEMBER].conditions == ("RCPs not collected",)
    assert (got[MGMT_ROLE].decision, got[MGMT_ROLE].conditions) == \
        ("CONDITIONAL", ("RCPs not collected",))  # its SCPs exempt, not our RCPs
    assert got[SLR].decision == "ALLOWED"


def test_resources_of_the_management_account_are_not_subject_to_rcps() -> None:
    """The secret in the management account: RCPs never apply to it, read or not."""
    snap = estate(secret_policy=secret_policy_for(CENTRAL_ROLE), key_policy=key_policy_for(
        CENTRAL_ROLE), principals=(role(CENTRAL_ROLE, allow_read_identity()),),
        management=CENTRAL, scps=())
    assert snap.organization is not None
    snap = replace(snap, organization=replace(
        snap.organization, policies_read=False, rcps_read=False,
        policy_types_enabled=(SCP_T, RCP_T)))
    p = paths(snap)[CENTRAL_ROLE]
    assert (p.decision, p.gates["scp"].status) == ("ALLOWED", "NOT_APPLICABLE")


@pytest.mark.parametrize("reference", [False, True])
def test_the_optimised_evaluation_equals_the_reference(reference: bool,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    snap = unread(demo(enabled=(SCP_T, RCP_T)))
    optimised = full_report(analyze_access(build_graph(snap), snap,
                                           AccessSettings.from_snapshot(snap)))
    if reference:
        use_reference_evaluation(monkeypatch)
    again = full_report(analyze_access(build_graph(snap), snap,
                                       AccessSettings.from_snapshot(snap)))
    assert again == optimised
    assert optimised[1][(APP_ROLE, next(iter(optimised[1]))[1])]["decision"] == "CONDITIONAL"


@pytest.mark.parametrize("principal, expected", [
    (APP_ROLE, "UNKNOWN"), (MGMT_ROLE, "ALLOWED"), (SLR, "ALLOWED")])
def test_the_solver_agrees(principal: str, expected: str) -> None:
    """--prove: an unread SCP is a fresh (not encoded) boolean, so the solver never proves the
    read ALLOWED either; what AWS exempts stays proven."""
    snap = unread(demo())
    settings = AccessSettings.from_snapshot(snap)
    [sv] = secret_views(build_graph(snap), settings)[0]
    account = principal.split(":")[4]
    p = principal_of(snap, principal, account, "role", PrincipalIndex(snap),
                     partition=sv.partition)
    verdict = check_pair(sv, p, settings, Guardrails(snap.organization, snap.org_membership),
                         timeout_s=30)
    assert verdict.decision == expected
    if expected == "UNKNOWN":
        assert any("SCPs" in n and "not collected" in n for n in verdict.not_encoded), \
            verdict.not_encoded


def test_the_access_command_says_if_scps_not_collected(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap_file = write_snapshot(tmp_path / "snapshot.json.gz", unread(demo()))
    assert main(["access", "--snapshot", str(snap_file), "--principal", APP_ROLE]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if APP_ROLE in x)
    assert line.split()[1] == "CONDITIONAL"
    assert "if: SCPs not collected" in line
    assert main(["access", "--snapshot", str(snap_file), "--principal", APP_ROLE,
                 "--format", "json"]) == 0
    [path] = json.loads(capsys.readouterr().out)["secrets"][0]["paths"]
    assert path["decision"] == "CONDITIONAL"
    assert path["gates"]["scp"]["status"] == "UNKNOWN"
    assert "SCPs not collected" in path["conditions"]



# ---------------------------------------------------------------- a partial read
def partly_read(snap: Snapshot, *, targets_read: bool = True) -> Snapshot:
    """One DescribePolicy failed (FullAWSAccess's), the other SCP was read: the collector
    keeps what it read and lists the unread policy (with its targets when
    ListTargetsForPolicy answered; without them it may be attached anywhere)."""
    from scanner.model import UnreadControlPolicy
    assert snap.organization is not None
    miss = UnreadControlPolicy(policy_id=FULL_SCP.policy_id, name=FULL_SCP.name,
                               policy_type=SCP_T,
                               targets=FULL_SCP.targets if targets_read else None)
    return replace(snap, organization=replace(
        snap.organization, policies=(DENY_MEMBER,), policies_read=False,
        unread_policies=(miss,)))


@pytest.mark.parametrize("targets_read", [True, False])
def test_a_deny_that_was_read_still_denies_when_another_scp_was_not(targets_read: bool) -> \
        None:
    """Organizations UG: "an explicit Deny statement in an SCP at any level ... denies" --
    whatever the unread FullAWSAccess says (fault-injection trial round 5: one failed
    DescribePolicy left every SCP of the filter unread)."""
    got = paths(partly_read(demo(), targets_read=targets_read))
    p = got[APP_ROLE]
    assert (p.decision, p.gates["scp"].status, p.broken_at) == ("DENIED", "DENIED", ("scp",))
    q = got[OTHER_MEMBER]
    assert (q.decision, q.gates["scp"].status) == ("CONDITIONAL", "UNKNOWN")
    assert "SCPs not collected" in q.conditions
    assert any("FullAWSAccess" in r and "not read" in r for r in q.gates["scp"].reasons)
    assert (got[MGMT_ROLE].decision, got[MGMT_ROLE].gates["scp"].status) == \
        ("ALLOWED", "NOT_APPLICABLE")


def test_a_partial_read_is_evaluated_alike_optimised_and_reference(
        monkeypatch: pytest.MonkeyPatch) -> None:
    snap = partly_read(demo())
    optimised = full_report(analyze_access(build_graph(snap), snap,
                                           AccessSettings.from_snapshot(snap)))
    use_reference_evaluation(monkeypatch)
    assert full_report(analyze_access(build_graph(snap), snap,
                                      AccessSettings.from_snapshot(snap))) == optimised


@pytest.mark.parametrize("principal, expected", [(APP_ROLE, "DENIED"),
                                                 (OTHER_MEMBER, "UNKNOWN")])
def test_the_solver_agrees_on_a_partial_read(principal: str, expected: str) -> None:
    snap = partly_read(demo())
    settings = AccessSettings.from_snapshot(snap)
    [sv] = secret_views(build_graph(snap), settings)[0]
    p = principal_of(snap, principal, principal.split(":")[4], "role", PrincipalIndex(snap),
                     partition=sv.partition)
    verdict = check_pair(sv, p, settings, Guardrails(snap.organization, snap.org_membership),
                         timeout_s=30)
    assert verdict.decision == expected


def test_a_partial_read_survives_the_snapshot_file(tmp_path: Path) -> None:
    from scanner.snapshot_io import read_snapshot
    for targets_read in (True, False):
        snap = partly_read(demo(), targets_read=targets_read)
        back = read_snapshot(write_snapshot(tmp_path / f"s{targets_read}.json.gz", snap))
        assert back.organization == snap.organization


def test_class_evaluation_equals_evaluating_every_principal() -> None:
    """An organization-wide grant read by twelve members' roles, one of them under the
    SCP that denies: with the SCPs unread and with FullAWSAccess alone unread, the readers
    evaluated per class (default) and one by one (record_denied) agree."""
    members = tuple(f"{300000000000 + i:012d}" for i in range(12))
    org_star = {"Effect": "Allow", "Principal": "*", "Action": ["secretsmanager:GetSecretValue",
                                                               "kms:Decrypt"],
                "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}
    key = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                "Action": "kms:*", "Resource": "*"}, org_star)
    apps = tuple(f"arn:aws:iam::{a}:role/ApplicationRole" for a in members)
    full = replace(FULL_SCP, targets=("r-root", CENTRAL, MANAGEMENT) + members)
    deny = replace(DENY_MEMBER, targets=(members[3],))
    snap = estate(secret_policy=text(org_star), key_policy=key, members=members + (MANAGEMENT,),
                  principals=tuple(role(a, allow_read_identity()) for a in apps),
                  management=MANAGEMENT, scps=(full, deny))
    assert snap.organization is not None
    from scanner.model import UnreadControlPolicy
    states = {
        "unread": replace(snap.organization, policies=(), policies_read=False),
        "partial": replace(snap.organization, policies=(deny,), policies_read=False,
                           unread_policies=(UnreadControlPolicy(
                               policy_id=full.policy_id, name=full.name, policy_type=SCP_T,
                               targets=full.targets),)),
    }
    for name, org in states.items():
        s = replace(snap, organization=org)

        def run(record_denied: bool) -> dict[tuple[str, str], tuple[object, ...]]:
            settings = replace(AccessSettings.from_snapshot(s), record_denied=record_denied)
            report = analyze_access(build_graph(s), s, settings)
            return {(p.principal, arn): (p.decision, p.gate_statuses(), p.conditions,
                                                 p.reasons, p.broken_at)
                    for arn, p in report.secret_paths() if p.decision != "DENIED" or p.broken_at}
        fast, every = run(False), run(True)
        assert fast == every, name
        decisions = {k[0]: v[0] for k, v in every.items()}
        assert decisions[apps[0]] == "CONDITIONAL", name
        # the member under the Deny: not assessed when nothing was read, denied by the Deny
        # that was read (recorded: an intended reader, broken at scp)
        assert decisions[apps[3]] == ("CONDITIONAL" if name == "unread" else "DENIED"), name
