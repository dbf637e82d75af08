"""A secret scheduled for deletion has no readers: Secrets Manager refuses GetSecretValue on it
until it is restored, whatever its policies say (API Reference, DeleteSecret: "When a secret is
scheduled for deletion, you cannot retrieve the secret value"). The access analysis, the key
report and the rules read one predicate for it (concept review round 1, defect 3: the access
analysis listed CONDITIONAL readers -- "resource policy not collected" -- for such a secret,
and ``scan --baseline`` failed it with access-outside-baseline, while no rule judged it and the
key report said it grants no one)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.access_estate import (APP_ROLE, KEY_ARN, MEMBER, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role)

from scanner.cli import main
from scanner.history.baseline import baseline_findings, parse_baseline
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.snapshot_io import write_snapshot


def _deleted_estate() -> Snapshot:
    """As collection records such a secret: DeletedDate set, its resource policy not read."""
    snap = estate(secret_policy=None, key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
        replace(s, deleted_date="2026-12-05T03:25:23Z", unread=("resource_policy",))
        for s in r.secrets)) for r in a.regions)) for a in snap.accounts))


def test_a_secret_scheduled_for_deletion_has_no_readers_and_says_why() -> None:
    analysis = analyze(_deleted_estate(), load_inputs(ScanOptions()))
    sa = analysis.access.secrets[SECRET_ARN]

    assert sa.paths == () and sa.reach == () and sa.grants == ()
    assert sa.scheduled_deletion
    assert analysis.access.to_dict()["secrets"][SECRET_ARN]["scheduled_deletion"] is True
    # the key report reads the same predicate: the secret grants no one
    assert SECRET_ARN not in analysis.access.keys[KEY_ARN].secrets


def test_the_baseline_check_does_not_fail_a_secret_scheduled_for_deletion() -> None:
    snap = _deleted_estate()
    analysis = analyze(snap, load_inputs(ScanOptions()))
    baseline = parse_baseline({"version": 1, "secrets": [{"secret": "app/*", "readers": []}]},
                              "(test)")

    assert list(baseline_findings(analysis.access, baseline, snap)) == []


def test_access_for_the_secret_says_it_is_scheduled_for_deletion(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_snapshot(tmp_path / "snapshot.json.gz", _deleted_estate())

    assert main(["access", "--snapshot", str(path), "--secret", SECRET_ARN]) == 0
    out = capsys.readouterr().out
    assert "scheduled for deletion" in out and APP_ROLE not in out

    assert main(["access", "--snapshot", str(path), "--secret", SECRET_ARN,
                 "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert "scheduled for deletion" in json.dumps(doc)


def test_prove_on_a_secret_scheduled_for_deletion_answers_no_outside_reader(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ground-truth trial round 13: `access --prove` on such a secret answered the outside read
    UNKNOWN, "input missing: resource_policy ... (not read: see coverage)" -- with no coverage
    entry to see -- while the access analysis says no one can read it."""
    pytest.importorskip("z3")
    path = write_snapshot(tmp_path / "snapshot.json.gz", _deleted_estate())

    assert main(["access", "--snapshot", str(path), "--prove", SECRET_ARN,
                 "--format", "json"]) == 0
    proof = json.loads(capsys.readouterr().out)["proofs"][0]
    assert proof["outside_read"]["status"] == "PROVEN_NONE", proof["outside_read"]
    assert "scheduled for deletion" in proof["outside_read"]["reason"]
