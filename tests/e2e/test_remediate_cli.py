"""`secretgraph remediate` (the plan, nothing applied) read in an 80-column terminal."""

from __future__ import annotations

import json
from pathlib import Path

from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

PUBLIC = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Everyone", "Effect": "Allow", "Principal": "*",
     "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def test_the_plan_summary_and_what_is_not_planned_fit_80_columns(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=PUBLIC))
    scan_dir = tmp_path / "scan"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(scan_dir), "-q"]) == 1
    run = run_in_tty(["remediate", "--in", str(scan_dir)], cols=80, timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.text.splitlines()
    summary = lines[1:lines.index(next(line for line in lines if line.startswith("[1] ")))]
    not_planned = lines[lines.index(next(line for line in lines
                                         if line.startswith("Not planned"))):
                        lines.index(next(line for line in lines
                                         if line.startswith("plan saved to ")))]
    assert any("restrict-public-secret-policy" in line for line in summary)
    assert any("secret-rotation-disabled" in line for line in not_planned)
    too_wide = [line for line in summary + not_planned if len(line) > 80]
    assert too_wide == [], "\n".join(too_wide)
    assert "nothing was changed" in run.text
