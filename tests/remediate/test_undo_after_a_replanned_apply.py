"""An apply that stopped, then the plan made again from the same scan and applied: the new
apply finds the first one's changes in place (no-ops: a change's id is the digest of its
calls, the same in both plans), and its "to take it back" line named its own journal alone,
whose --undo left the first apply's changes in place (safe-fixes trial round 19). It now
names the earlier apply's --undo too, newest first, as for an apply that went on from an
earlier apply of the same plan (safe-fixes trial round 18)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from botocore.client import BaseClient

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from scanner.cli import main

from test_undo_after_a_resumed_apply import (  # type: ignore[import-not-found]
    RULES, _policies, _third_write_refused)


def test_the_apply_of_a_plan_made_again_names_the_stopped_apply_s_undo_too(
        scanned: Scanned, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    before = _policies(scanned)
    plan_path = scanned.scan_dir / "remediation-plan.json"

    def plan() -> str:
        assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                     str(scanned.config_path), "--rule", RULES, "-q"]) == 0
        return str(json.loads(plan_path.read_text("utf-8"))["plan_id"])

    def apply(journal: Path) -> int:
        return main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan_path),
                     "--apply", "--yes", "--remediation-role-name", REMEDIATION_ROLE,
                     "--journal", str(journal)])

    first_plan = plan()
    first = scanned.scan_dir / f"remediation-journal-{first_plan}-20261207T210000Z.jsonl"
    with monkeypatch.context() as denied:
        denied.setattr(BaseClient, "_make_api_call", _third_write_refused())
        assert apply(first) == 1  # two changes made, the third denied
    time.sleep(1.1)  # a plan's id holds the second it was made in
    second_plan = plan()
    assert second_plan != first_plan
    second = scanned.scan_dir / f"remediation-journal-{second_plan}-20261207T210100Z.jsonl"
    capsys.readouterr()

    assert apply(second) == 0

    out = capsys.readouterr().out
    assert "applied 1, noop 2" in out, out
    last = " ".join(out.rstrip().splitlines()[-1].split())
    undo = f"secretgraph remediate --undo {{}} --remediation-role-name {REMEDIATION_ROLE}"
    assert last.startswith(f"to take it back: {undo.format(second)}, then "
                           f"{undo.format(first)} (the earlier apply of plan {first_plan} "
                           "that made 2 change(s) this run found in place)"), last

    for journal in (second, first):  # as the line says, newest first
        assert main(["remediate", "--undo", str(journal), "--yes", "-q",
                     "--remediation-role-name", REMEDIATION_ROLE]) == 0
    assert _policies(scanned) == before  # byte for byte


def test_another_plan_s_apply_of_other_changes_is_not_named(
        scanned: Scanned, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An earlier apply of another plan whose changes this run did not find in place (it
    made them itself, or changed other resources) is not this apply's to take back."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    plan_path = scanned.scan_dir / "remediation-plan.json"
    for rule, stamp in (("enable-key-rotation", "20261207T210000Z"),
                        (RULES, "20261207T210100Z")):
        assert main(["remediate", "--in", str(scanned.scan_dir), "--config",
                     str(scanned.config_path), "--rule", rule, "-q"]) == 0
        plan_id = json.loads(plan_path.read_text("utf-8"))["plan_id"]
        journal = scanned.scan_dir / f"remediation-journal-{plan_id}-{stamp}.jsonl"
        capsys.readouterr()
        assert main(["remediate", "--in", str(scanned.scan_dir), "--plan", str(plan_path),
                     "--apply", "--yes", "--remediation-role-name", REMEDIATION_ROLE,
                     "--journal", str(journal)]) == 0
        time.sleep(1.1)
    last = capsys.readouterr().out.rstrip().splitlines()[-1]
    assert last == (f"to take it back: secretgraph remediate --undo {journal} "
                    f"--remediation-role-name {REMEDIATION_ROLE}"), last
