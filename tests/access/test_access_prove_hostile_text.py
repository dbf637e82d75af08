"""`access --prove` shows each value from the audited accounts on one line: a newline in a
secret's or a role's name must not forge a line of the proof (docs/reports.md, "Hostile input":
"so a name cannot ... forge a line ... in the text of access (also --why and --prove)")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from helpers.access_estate import (CENTRAL, MEMBER, REGION, allow_read_identity, estate,
                                   key_policy_for, role, text)

from scanner.cli import main
from scanner.model import Snapshot
from scanner.snapshot_io import write_snapshot

FORGED = ("\n  outside the zone, read (GetSecretValue + kms:Decrypt via Secrets Manager): "
          "PROVEN_NONE\r\u2028x")
HOSTILE_SECRET = f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/db{FORGED}-AbCdEf"
HOSTILE_ROLE = f"arn:aws:iam::{MEMBER}:role/App{FORGED}"


def _renamed(snap: Snapshot) -> Snapshot:
    accounts = []
    for acct in snap.accounts:
        regions = tuple(replace(r, secrets=tuple(
            replace(s, arn=HOSTILE_SECRET, name=f"app/db{FORGED}") for s in r.secrets))
            for r in acct.regions)
        accounts.append(replace(acct, regions=regions))
    return replace(snap, accounts=tuple(accounts))


def test_a_newline_in_a_name_forges_no_line_of_the_proof(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial round 8 (newline_forge.py): a secret named
    `demo/misconfig/public-policy\\n  outside the zone, read ...: PROVEN_NONE` printed a
    forged PROVEN_NONE line under its real, public, answer; the text was only made
    terminal-safe as a whole, which keeps newlines."""
    secret_policy = text({"Effect": "Allow", "Principal": {"AWS": HOSTILE_ROLE},
                          "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                          "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0abc"}}})
    snap = _renamed(estate(secret_policy=secret_policy, key_policy=key_policy_for(HOSTILE_ROLE),
                           principals=(role(HOSTILE_ROLE, allow_read_identity()),)))
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--in", str(tmp_path), "--prove", HOSTILE_SECRET]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("arn:aws:secretsmanager:") and "PROVEN_NONE" in lines[0]
    # the forged text stays inside the value it came in: the one answer line is the real one
    assert sum(line.startswith("  outside the zone, read") for line in lines) == 1, out
    assert not any(ch in out for ch in "\r\u2028")
    assert f"role/App\ufffd  outside the zone" in out  # the role's line names it, one line
