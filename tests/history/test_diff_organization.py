"""Drift reports changes to the organization itself: SCPs and RCPs added, removed, changed
(statement by statement, as other policies), their attachments, an account moved to another
OU, accounts joined and left, OUs -- and an organization one scan did not read is not
assessed, never removed (ground-truth organization trial round 9: an org-only night -- an SCP's
content edited, an account moved to a new OU, a new SCP attached to an OU -- printed "no
changes", and earlier nights showed "+ role/DevApp can now read" with no cause)."""

from __future__ import annotations

import dataclasses
import json

from scanner.history.diff import diff_scans
from scanner.history.drift import drift_from_json, render_drift_text
from scanner.model import (
    ControlPolicy,
    CoverageEntry,
    Organization,
    OrgAccount,
    OrgMembership,
    OrgUnit,
    Snapshot,
    UnreadControlPolicy,
    from_jsonable,
    to_jsonable,
)

from helpers.scanfactory import CENTRAL, MEMBER, policy, snapshot, stored

T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
ROOT, DEV, WEB, SANDBOX = "r-ab12", "ou-ab12-dev00001", "ou-ab12-web00001", "ou-ab12-sbx00001"
DENY_LEAVE = policy({"Sid": "DenyLeave", "Effect": "Deny",
                     "Action": "organizations:LeaveOrganization", "Resource": "*"})
DENY_LEAVE_2 = policy({"Sid": "DenyLeave", "Effect": "Deny",
                       "Action": ["organizations:LeaveOrganization", "iam:CreateUser"],
                       "Resource": "*"})
DENY_S3 = policy({"Effect": "Deny", "Action": "s3:DeleteBucket", "Resource": "*"})


def _org(*, policies: tuple[ControlPolicy, ...] = (), member_parent: str = DEV,
         units: tuple[OrgUnit, ...] = (), accounts: tuple[str, ...] = (CENTRAL, MEMBER),
         policies_read: bool = True, rcps_read: bool = True,
         unread: tuple[UnreadControlPolicy, ...] = ()) -> Organization:
    return Organization(
        org_id="o-abc123", management_account_id=CENTRAL, root_id=ROOT,
        accounts=tuple(OrgAccount(account_id=a, name=f"acct-{a[-4:]}",
                                  parent_id=ROOT if a == CENTRAL else member_parent)
                       for a in accounts),
        units=(OrgUnit(ou_id=DEV, name="Dev", parent_id=ROOT),
               OrgUnit(ou_id=WEB, name="Web", parent_id=ROOT)) + units,
        policies=policies, policies_read=policies_read, rcps_read=rcps_read,
        policy_types_enabled=(RCP, SCP), unread_policies=unread)


def _scp(pid: str, name: str, content: str, targets: tuple[str, ...],
         ptype: str = SCP) -> ControlPolicy:
    return ControlPolicy(policy_id=pid, name=name, policy_type=ptype, content=content,
                         targets=targets)


def _snap(scan_id: str, started: str, org: Organization | None,
          coverage: tuple[CoverageEntry, ...] = ()) -> Snapshot:
    return dataclasses.replace(snapshot(scan_id, started, coverage=coverage), organization=org)


def test_an_org_only_night_reports_the_scp_edit_the_move_and_the_new_attached_scp() -> None:
    """Ground-truth organization trial round 9, night 6: all three were "no changes"."""
    old = _org(policies=(_scp("p-leave", "DenyLeave", DENY_LEAVE, (ROOT,)),))
    new = _org(policies=(_scp("p-leave", "DenyLeave", DENY_LEAVE_2, (ROOT,)),
                         _scp("p-s3", "WebDenyS3Delete", DENY_S3, (WEB,))),
               units=(OrgUnit(ou_id=SANDBOX, name="Sandbox", parent_id=ROOT),),
               member_parent=SANDBOX)
    drift = diff_scans(stored(_snap("a", T1, old)), stored(_snap("b", T2, new)))
    assert not drift.empty
    added = {(r.kind, r.id): r for r in drift.resources_added}
    changed = {(r.kind, r.id): r for r in drift.resources_changed}
    assert set(added) == {("scp", "p-s3"), ("org_unit", SANDBOX)}
    new_scp = added[("scp", "p-s3")]
    assert new_scp.name == "WebDenyS3Delete"
    assert [(f.field, f.new) for f in new_scp.fields] == [("targets", [f"{WEB} (Root/Web)"])]
    assert [s.change for p in new_scp.policies for s in p.statements] == ["added"]

    edited = changed[("scp", "p-leave")]
    (pc,) = edited.policies
    assert pc.field == "content"
    assert [(s.change, s.sid) for s in pc.statements] == [("changed", "DenyLeave")]

    moved = changed[("org_account", MEMBER)]
    (ou,) = moved.fields
    assert (ou.field, ou.old, ou.new) == ("ou", "Root/Dev", "Root/Sandbox")
    assert drift.resources_removed == () and drift.not_assessed == ()

    text = render_drift_text(drift)
    assert "no changes" not in text
    assert "  added    scp p-s3 (WebDenyS3Delete)" in text
    assert f"+ {WEB} (Root/Web)" in text
    assert "  changed  scp p-leave (DenyLeave)" in text and "~ Sid DenyLeave:" in text
    assert f"  changed  org_account {MEMBER} (acct-{MEMBER[-4:]})" in text
    assert "ou: Root/Dev -> Root/Sandbox" in text
    # the JSON form says the same, and reads back
    again = drift_from_json(json.loads(json.dumps(drift.to_json())))
    assert render_drift_text(again) == text


def test_an_scp_detached_from_an_ou_and_attached_to_an_account_is_its_targets() -> None:
    """Trial round 9: the SCP detach showed only "+ role/DevApp can now read (was deny)"."""
    old = _org(policies=(_scp("p-dev", "DevDenyShared", DENY_LEAVE, (DEV,)),))
    new = _org(policies=(_scp("p-dev", "DevDenyShared", DENY_LEAVE, (MEMBER,)),))
    drift = diff_scans(stored(_snap("a", T1, old)), stored(_snap("b", T2, new)))
    (rc,) = drift.resources_changed
    assert (rc.kind, rc.id) == ("scp", "p-dev")
    (targets,) = rc.fields
    assert targets.field == "targets"
    text = render_drift_text(drift)
    assert "targets: 1 added, 1 removed" in text
    assert f"+ {MEMBER} (account acct-{MEMBER[-4:]})" in text
    assert f"- {DEV} (Root/Dev)" in text


def test_rcps_added_and_removed_and_accounts_joined_and_left() -> None:
    third = "333333333333"
    old = _org(policies=(_scp("p-r1", "Perimeter", DENY_S3, (ROOT,), RCP),))
    new = _org(policies=(_scp("p-r2", "Perimeter2", DENY_S3, (ROOT,), RCP),),
               accounts=(CENTRAL, third))
    drift = diff_scans(stored(_snap("a", T1, old)), stored(_snap("b", T2, new)))
    assert {(r.kind, r.id) for r in drift.resources_added} == \
        {("rcp", "p-r2"), ("org_account", third)}
    assert {(r.kind, r.id) for r in drift.resources_removed} == \
        {("rcp", "p-r1"), ("org_account", MEMBER)}
    text = render_drift_text(drift)
    assert f"  removed  org_account {MEMBER}" in text and f"  added    org_account {third}" in text
    assert "      ou: Root/Dev\n" in text  # where the account was, without "-> null"
    assert "null" not in text


def test_an_organization_one_scan_did_not_read_is_not_assessed_never_removed() -> None:
    """A scan without --org has no organization: tonight's is not "every SCP removed"."""
    org = _org(policies=(_scp("p-leave", "DenyLeave", DENY_LEAVE, (ROOT,)),))
    without = dataclasses.replace(_snap("b", T2, None), org_membership=OrgMembership(
        account_id=CENTRAL, status="member", org_id="o-abc123",
        management_account_id=CENTRAL))
    drift = diff_scans(stored(_snap("a", T1, org)), stored(without))
    assert drift.resources_removed == () and drift.resources_changed == ()
    assert [(n.scope, n.subject, n.scan) for n in drift.not_assessed] == \
        [("organization", "o-abc123", "new")]
    assert "not read" in drift.not_assessed[0].reason
    back = diff_scans(stored(without), stored(_snap("c", T2.replace("29", "30"), org)))
    assert back.resources_added == ()
    assert [(n.scope, n.scan) for n in back.not_assessed] == [("organization", "old")]
    # neither scan read it: nothing to say
    assert diff_scans(stored(_snap("a", T1, None)), stored(_snap("b", T2, None))).empty


def test_policies_whose_listing_failed_or_that_could_not_be_read_are_not_assessed() -> None:
    scps = (_scp("p-leave", "DenyLeave", DENY_LEAVE, (ROOT,)),
            _scp("p-s3", "DenyS3", DENY_S3, (WEB,)))
    rcps = (_scp("p-r1", "Perimeter", DENY_S3, (ROOT,), RCP),)
    old = _org(policies=scps + rcps)
    # tonight: ListPolicies for SCPs failed (policies_read False, none listed as unread);
    # the RCP's DescribePolicy failed (listed, not read)
    failed = CoverageEntry(account_id=CENTRAL, region="global", service="organizations",
                           operation="ListPolicies", error_code="AccessDenied",
                           error_kind="denied", message="denied")
    new = _org(policies=(), policies_read=False, rcps_read=False,
               unread=(UnreadControlPolicy(policy_id="p-r1", policy_type=RCP,
                                           name="Perimeter"),))
    drift = diff_scans(stored(_snap("a", T1, old)), stored(_snap("b", T2, new, (failed,))))
    assert drift.resources_removed == () and drift.resources_changed == ()
    reasons = {n.reason for n in drift.not_assessed if n.scope == "organization"}
    assert any("service control policies were not listed" in r for r in reasons)
    assert any("could not be read" in r for r in reasons)
    subjects = {s for n in drift.not_assessed for s in (n.subjects or (n.subject,))}
    assert {"scp p-leave", "scp p-s3", "rcp p-r1"} <= subjects


def test_an_account_whose_ou_was_not_read_is_not_moved() -> None:
    old = _org()
    new = dataclasses.replace(_org(), accounts=tuple(
        dataclasses.replace(a, parent_id=None) if a.account_id == MEMBER else a
        for a in _org().accounts))
    drift = diff_scans(stored(_snap("a", T1, old)), stored(_snap("b", T2, new)))
    assert drift.resources_changed == ()
    assert [(n.scope, n.subject, n.scan) for n in drift.not_assessed] == \
        [("organization", f"org_account {MEMBER}", "new")]


def test_an_older_stored_snapshot_without_rcps_or_parents_still_diffs() -> None:
    """A snapshot stored before RCPs, policy types and account parents were collected: its
    RCPs are not assessed (never "added" tonight), its SCPs compare."""
    old = _org(policies=(_scp("p-leave", "DenyLeave", DENY_LEAVE, (ROOT,)),))
    data = to_jsonable(_snap("a", T1, old))
    for key in ("rcps_read", "policy_types_enabled", "unread_policies"):
        del data["organization"][key]
    for acct in data["organization"]["accounts"]:
        del acct["parent_id"]
    older = from_jsonable(Snapshot, data)
    new = _org(policies=(_scp("p-leave", "DenyLeave", DENY_LEAVE_2, (ROOT,)),
                         _scp("p-r1", "Perimeter", DENY_S3, (ROOT,), RCP)))
    drift = diff_scans(stored(older), stored(_snap("b", T2, new)))
    assert [(r.kind, r.id) for r in drift.resources_changed] == [("scp", "p-leave")]
    assert drift.resources_added == ()
    subjects = {s for n in drift.not_assessed for s in (n.subjects or (n.subject,))}
    assert "rcp p-r1" in subjects


def test_an_ou_named_with_a_slash_is_not_read_as_a_nested_path() -> None:
    """Hostile-input trial round 10: OU 'Prod' under 'Workloads' and an OU at the root named
    'Workloads/Prod' both read 'Root/Workloads/Prod', so a move out of the Workloads subtree
    (its SCPs no longer apply) read 'ou: Root/Workloads/Prod -> Root/Workloads/Prod'.
    Organizations allows any character in an OU name: one holding '/' is quoted."""
    wl, prod, flat = "ou-ab12-wl000001", "ou-ab12-prod0001", "ou-ab12-flat0001"
    units = (OrgUnit(ou_id=wl, name="Workloads", parent_id=ROOT),
             OrgUnit(ou_id=prod, name="Prod", parent_id=wl),
             OrgUnit(ou_id=flat, name="Workloads/Prod", parent_id=ROOT))
    drift = diff_scans(stored(_snap("a", T1, _org(units=units, member_parent=prod))),
                       stored(_snap("b", T2, _org(units=units, member_parent=flat))))
    moved = {(r.kind, r.id): r for r in drift.resources_changed}[("org_account", MEMBER)]
    (ou,) = moved.fields
    assert (ou.field, ou.old, ou.new) == ("ou", "Root/Workloads/Prod", 'Root/"Workloads/Prod"')


def test_a_policy_unread_one_night_and_read_the_next_is_one_not_assessed_line() -> None:
    """Review of the fourteenth session's merges: an SCP listed but not read on night 1 and
    read on night 2 was recorded twice, so the drift grouped it as '2 items, e.g. scp p-s3'
    (docs/history.md: a policy listed but not read is one Not assessed line)."""
    scp = _scp("p-s3", "DenyS3", DENY_S3, (WEB,))
    unread = _org(unread=(UnreadControlPolicy(policy_id="p-s3", policy_type=SCP,
                                              name="DenyS3"),))
    for old, new in ((unread, _org(policies=(scp,))), (_org(policies=(scp,)), unread)):
        drift = diff_scans(stored(_snap("a", T1, old)), stored(_snap("b", T2, new)))
        assert [(n.subject, n.count) for n in drift.not_assessed] == [("scp p-s3", 1)], \
            drift.not_assessed


def test_a_long_sid_is_cut_as_the_statement_beside_it() -> None:
    """Hostile-input trial round 10: a 2,000-character Sid of an SCP statement ran for about
    25 lines of the terminal drift while the statement beside it was cut at 120 characters."""
    long_sid = "L" * 2000
    old = _org(policies=(_scp("p-leave", "DenyLeave", DENY_LEAVE, (ROOT,)),))
    new = _org(policies=(_scp("p-leave", "DenyLeave", policy(
        {"Sid": long_sid, "Effect": "Deny", "Action": "s3:*", "Resource": "*"}), (ROOT,)),))
    text = render_drift_text(diff_scans(stored(_snap("a", T1, old)), stored(_snap("b", T2, new))))
    assert long_sid not in text
    assert max(len(line) for line in text.splitlines()) < 300
