"""`access --why` opens each principal's gates with one line in plain words (new-user trial
round 36): someone who does not know IAM evaluation read "resource_policy: DENIED" under a
same-account reader the table called ALLOWED as a problem, and a DENIED cross-account reader's
gates with nothing saying which gate to open or how. The line names the gates that deny (an
explicit Deny, or no Allow that applies) and the rule the read follows, from the gates'
statuses."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.access_estate import (
    APP_ROLE,
    APP_ROLE2,
    CENTRAL,
    MEMBER,
    allow_read_identity,
    estate,
    key_policy_for,
    role,
    secret_policy_for,
)

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

LOCAL = f"arn:aws:iam::{CENTRAL}:role/local-reader"


def _why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, str]:
    # APP_ROLE: the key grants its account; APP_ROLE2 is in another member account the key
    # does not name; LOCAL reads in the secret's own account through its identity policy
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, APP_ROLE2),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),
                              role(APP_ROLE2, allow_read_identity()),
                              role(LOCAL, allow_read_identity())))
    path = write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--snapshot", str(path), "--secret", "app/db", "--why"]) == 0
    lines = capsys.readouterr().out.splitlines()
    short: dict[str, str] = {}
    for i, line in enumerate(lines):
        if line.strip().startswith("why "):
            principal = line.strip()[len("why "):].rstrip(":")
            assert lines[i + 1].startswith("    in short: "), lines[i + 1]
            short[principal] = lines[i + 1].strip()[len("in short: "):]
    return short


def test_a_denied_cross_account_reader_is_told_which_gate_and_how_to_open_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = _why(tmp_path, capsys)
    assert short[APP_ROLE2] == (
        "DENIED by key_policy: none of its Allow statements applies to this principal (adding "
        "one opens this gate). The rule: from another account, the secret's resource policy, "
        "the key policy and the caller's identity policy must each allow it, and no explicit "
        "Deny may apply (SCPs included)")
    assert short[APP_ROLE].startswith("ALLOWED. The rule: from another account, ")


def test_a_same_account_reader_is_told_a_denied_resource_gate_blocks_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    short = _why(tmp_path, capsys)
    assert short[LOCAL] == (
        "ALLOWED. The rule: in the secret's own account, an Allow in the identity policy or in "
        "the resource policy is enough (either one), the key policy must allow kms:Decrypt, "
        "and no explicit Deny may apply (SCPs included); resource_policy DENIED only means it "
        "grants nothing itself, and the other's Allow is enough")
