"""A reach class's unassessed accounts (organization accounts whose IAM the scan did not read)
are not all alike: their place in the organization decides the SCPs on their principals'
requests ("SCPs ... affect only IAM users and roles that are managed by accounts that are part
of the organization", attached to the root, an OU or the account: Organizations User Guide,
"Service control policies") and their aws:PrincipalOrgPaths. One stand-in for the first of
them said the whole class could not read when another of them could (ground-truth trial round
11: the organization-wide reach of public/narrow answered "DENIED ... blocked by scp" or
"CONDITIONAL" depending on whether the unread sandbox account's id sorted before the unread
prod-legacy one's)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, MEMBER2, ORG_ID, SECRET_ARN,
                                   allow_read_identity, control, estate, role, text)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.cli import main
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.snapshot_io import write_snapshot

SCP = "SERVICE_CONTROL_POLICY"
READ = "secretsmanager:GetSecretValue"
ORG_STAR = text({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*",
                 "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
ORG_KEY = text({"Sid": "Root", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                "Resource": "*"},
               {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})
FULL: dict[str, Any] = {"Effect": "Allow", "Action": "*", "Resource": "*"}
DENY_READ: dict[str, Any] = {"Effect": "Deny", "Action": READ, "Resource": "*"}


def _snapshot(denied: str) -> Snapshot:
    """MEMBER and MEMBER2 are organization accounts whose IAM was not read; the SCP
    NoSecretReads is attached to ``denied`` only."""
    scps = (control("p-full", SCP, ("r-root", CENTRAL, MEMBER, MEMBER2), FULL),
            control("p-noread", SCP, (denied,), DENY_READ))
    return estate(secret_policy=ORG_STAR, key_policy=ORG_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  iam_accounts=(CENTRAL,), scps=scps)


def _org_reach(snap: Snapshot) -> Any:
    report: AccessReport = analyze_access(build_graph(snap), snap,
                                          AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    [reach] = [r for r in sa.reach if r.scope == "organization"]
    return reach


@pytest.mark.parametrize("denied, reading", [(MEMBER, MEMBER2), (MEMBER2, MEMBER)])
def test_the_class_reads_when_any_unread_account_can(denied: str, reading: str) -> None:
    """Whichever of the two sorts first, the class's decision is the best of its members'
    (verdicts.Reach: "the best decision of any member"): the account the SCP spares may read,
    conditionally on its unread identity policies."""
    reach = _org_reach(_snapshot(denied))
    assert set(reach.unassessed_accounts) == {MEMBER, MEMBER2}
    assert reach.decision == "CONDITIONAL"
    assert reach.blocked_by == ()
    assert reach.unassessed_reading == (reading,)


def test_every_unread_account_denied_leaves_the_class_denied_by_scp() -> None:
    snap = _snapshot("r-root")
    reach = _org_reach(snap)
    assert reach.decision == "DENIED"
    assert "scp" in reach.blocked_by
    assert reach.unassessed_reading == ()


def test_access_principal_lists_the_secret_only_for_the_account_the_scp_spares(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`access --principal <unread account>` answers for that account: the class reads, but
    not through the account the SCP denies."""
    path = write_snapshot(tmp_path / "snapshot.json.gz", _snapshot(MEMBER))
    code = main(["access", "--snapshot", str(path), "--principal", MEMBER2, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [secret] = json.loads(out)["secrets"]
    assert secret["reached_through"] == f"organization:{ORG_ID}"
    code = main(["access", "--snapshot", str(path), "--principal", MEMBER])
    out, err = capsys.readouterr()
    assert code == 2, out
    assert f"account {MEMBER} is in the trust zone but the scan did not read its IAM" in err
    code = main(["access", "--snapshot", str(path), "--principal", MEMBER, "--all",
                 "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    [secret] = json.loads(out)["secrets"]
    assert secret["reached_through"] == f"organization:{ORG_ID}"
