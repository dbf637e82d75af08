"""The plan's last line, the command to run next, names the write role the apply needs and
the accounts the changes land in (safe-fixes trial round 15).

It said "run again with --plan P --apply": run as told, in any estate whose changes land in an
account other than the caller's (the demo's: a route table of a member account for the central
account's peering), the apply was refused, exit 2, "give --remediation-role-name NAME"; and
the plan said nowhere which account's role makes each change."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_records import ACCT, PUBLIC, UNRELATED, finding, snapshot, write_scan_dir
from scanner.cli import main


def test_the_next_step_names_the_remediation_role_and_the_accounts_it_acts_in(
        tmp_path: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    scan_dir = write_scan_dir(tmp_path / "scan",
                              snap, [finding("secret-policy-public",
                                             "restrict-public-secret-policy")])

    rc = main(["remediate", "--in", str(scan_dir)])

    out = capsys.readouterr().out
    assert rc == 0 and no_aws == []
    last = " ".join(out.split("nothing was changed; review the plan")[-1].split())
    plan = scan_dir / "remediation-plan.json"
    assert f"--plan {plan} --apply --remediation-role-name NAME" in last, out
    assert f"the write role in account {ACCT}" in last, out
    assert "not the scan's audit role SecretgraphAudit" in last, out
    assert "secretgraph iam-policy --for remediation-role" in last, out
