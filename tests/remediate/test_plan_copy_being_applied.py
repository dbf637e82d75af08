"""One apply of a plan at a time, whatever file it is read from: a copy of the plan (the
reviewed plan attached to a ticket, downloaded to another folder) is the same plan (safe-fixes
trial round 15).

The lock was the plan file's own (``<plan>.lock`` beside it): two applies of one plan at once,
one from ``out/scan/remediation-plan.json`` and one from a copy in another folder, took a lock
each and both applied every change -- on the demo server both journals said "applied" for
move-secret-to-cmk (two UpdateSecret and two RotateSecret: two new credentials),
cancel-key-deletion and replicate-secret, each called twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpers.remediate_estate import Scanned
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.planfile import estate_of, write_plan
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


def test_a_copy_of_a_plan_being_applied_is_refused(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=("kms-key-rotation-disabled",)))
    assert plan.changes
    path = write_plan(tmp_path / "scan" / "remediation-plan.json", plan)
    (tmp_path / "ticket").mkdir()
    copy = Path(shutil.copy(path, tmp_path / "ticket" / "reviewed-plan.json"))
    second: list[BaseException] = []

    def while_the_first_apply_runs(question: str) -> bool:
        """The second terminal's apply of the copy, while the first holds its locks (asking)."""
        try:
            apply_plan(plan, clients, journal_path=str(tmp_path / "second.jsonl"),
                       plan_path=str(copy), max_age_hours=24,
                       current_estate=estate_of(scanned.snapshot))
        except InputError as exc:
            second.append(exc)
        return False  # the first apply is not confirmed: nothing is changed by either

    apply_plan(plan, clients, journal_path=str(tmp_path / "first.jsonl"), plan_path=str(path),
               max_age_hours=24, current_estate=estate_of(scanned.snapshot),
               confirm=while_the_first_apply_runs)

    assert len(second) == 1, "the copy was applied beside the plan"
    said = str(second[0])
    assert f"another apply of this plan ({plan.plan_id}) is running" in said, said
    assert "from another copy of the plan file" in said, said
    assert not (tmp_path / "second.jsonl").exists()


def test_once_the_first_apply_ended_the_copy_can_be_applied(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=("kms-key-rotation-disabled",)))
    path = write_plan(tmp_path / "remediation-plan.json", plan)
    copy = Path(shutil.copy(path, tmp_path / "reviewed-plan.json"))
    for plan_path, journal in ((path, "first.jsonl"), (copy, "second.jsonl")):
        result = apply_plan(plan, clients, journal_path=str(tmp_path / journal),
                            plan_path=str(plan_path), max_age_hours=24,
                            current_estate=estate_of(scanned.snapshot))
        assert result.stopped is None, result.stopped
