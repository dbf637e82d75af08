"""One apply of a plan at a time, whatever the path it is named by, and a plan being applied
is not replaced under its apply (safe-fixes trial round 12).

* A re-plan into the file of a plan whose apply runs (``remediate --in DIR`` while
  ``remediate --plan DIR/remediation-plan.json --apply`` runs in another terminal) replaced
  the plan, its .md and .html -- the plan reviewed and being applied -- and, with --apply,
  was then refused as "another apply of this plan is running", of a plan nobody had applied.
* A second apply re-read every resource, the first apply changing them, and asked before it
  was refused by the lock; the command showed the plan and noted the running apply as killed
  (its journal has no end line yet), offering `--undo` of it.
* The lock was ``<path as given>.lock``: the plan applied through a symbolic link and by its
  own name at once took two locks, and both applied.
"""

from __future__ import annotations

import fcntl
import json
from pathlib import Path
from typing import Any, Iterator

import pytest

from helpers.remediate_estate import REMEDIATION_ROLE, Scanned
from helpers.remediate_records import PUBLIC, UNRELATED, finding, snapshot, write_scan_dir
from scanner.changes import RemediationConfig
from scanner.cli import main
from scanner.errors import InputError
from scanner.remediate.engine import apply_plan
from scanner.remediate.journal import JournalWriter
from scanner.remediate.planfile import estate_of, write_plan
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.sessions import ClientsFactory


@pytest.fixture()
def scan_dir(tmp_path: Path) -> Path:
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return write_scan_dir(tmp_path / "scan", snap,
                          [finding("secret-policy-public", "restrict-public-secret-policy")])


def _held(lock: Path) -> Iterator[Any]:
    """The lock another terminal's apply holds."""
    with open(lock, "a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        yield fh


def _plan_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("remediation-plan.*"))
            if p.suffix != ".lock"}


def test_a_plan_being_applied_is_not_replaced_by_a_new_plan(
        scan_dir: Path, no_aws: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    plan = scan_dir / "remediation-plan.json"
    reviewed = _plan_files(scan_dir)
    capsys.readouterr()

    for _ in _held(Path(f"{plan}.lock")):
        for more in ([], ["--rule", "secret-policy-public"]):
            rc = main(["remediate", "--in", str(scan_dir), *more])
            err = capsys.readouterr().err.strip().splitlines()
            assert rc == 2 and len(err) == 1, err
            assert (f"the plan file {plan}: the plan there is being applied now (its lock file "
                    f"{plan}.lock is held): a new plan would replace it under that apply; wait "
                    "for the apply to finish, or save the new plan in another file with "
                    "--plan-out FILE; nothing was changed") in err[0]
            assert _plan_files(scan_dir) == reviewed

        other = scan_dir / "other-plan.json"  # what the refusal offers
        assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(other)]) == 0
        assert json.loads(other.read_text())["kind"] == "secretgraph-remediation-plan"
    assert _plan_files(scan_dir) == reviewed

    # the apply ended (its lock let go): a re-plan replaces the plan there, as always
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    assert no_aws == []


def test_a_plan_never_applied_is_replanned_without_a_lock_file(
        scan_dir: Path, no_aws: list[str]) -> None:
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    assert main(["remediate", "--in", str(scan_dir)]) == 0
    assert not list(scan_dir.glob("*.lock"))


def test_an_apply_through_a_link_to_a_plan_being_applied_is_refused(
        scanned: Scanned, clients: ClientsFactory, tmp_path: Path) -> None:
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=("kms-key-rotation-disabled",)))
    assert plan.changes
    path = write_plan(tmp_path / "plan.json", plan)
    link = tmp_path / "reviewed-plan.json"
    link.symlink_to(path)

    for _ in _held(Path(f"{path}.lock")):  # applied by its own name in another terminal
        with pytest.raises(InputError, match="another apply of this plan is running"):
            apply_plan(plan, clients, journal_path=str(tmp_path / "j.jsonl"),
                       plan_path=str(link), max_age_hours=24,
                       current_estate=estate_of(scanned.snapshot))
    assert not (tmp_path / "j.jsonl").exists()


def _never(account_id: str) -> Any:
    raise AssertionError(f"asked for clients in {account_id}")


def test_a_second_apply_is_refused_before_it_re_reads_or_asks(tmp_path: Path,
                                                             no_aws: list[str]) -> None:
    """It re-read every resource while the first apply was changing them (refused as drifted,
    with the hint to --undo the running apply's journal), asked, and was refused only after the
    answer."""
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    plan = build_plan([finding("secret-policy-public", "restrict-public-secret-policy")], snap,
                      RemediationConfig(), Selection())
    path = write_plan(tmp_path / "plan.json", plan)
    asked: list[str] = []

    for _ in _held(Path(f"{path}.lock")):
        with pytest.raises(InputError, match="another apply of this plan is running"):
            apply_plan(plan, _never, journal_path=str(tmp_path / "j.jsonl"),
                       plan_path=str(path), max_age_hours=24, confirm=asked.append)
    assert asked == [] and no_aws == []
    assert not (tmp_path / "j.jsonl").exists()


def test_the_cli_refuses_a_second_apply_before_showing_the_plan_or_noting_the_first_as_killed(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The running apply's journal has no end line yet: the second apply's note called it
    'killed or crashed' and offered `--undo` of it."""
    plan = build_plan(scanned.findings, scanned.snapshot, scanned.config,
                      Selection(rules=("kms-key-rotation-disabled",)))
    path = write_plan(tmp_path / "plan.json", plan)
    running = JournalWriter(tmp_path / f"remediation-journal-{plan.plan_id}-20261207T040000Z"
                            ".jsonl", mode="apply", plan_id=plan.plan_id,
                            estate=plan.estate.to_json(), source=str(path))
    running.started(plan.changes[0], plan.changes[0].pre_state)  # the first apply, midway

    for _ in _held(Path(f"{path}.lock")):
        rc = main(["remediate", "--plan", str(path), "--apply", "--yes",
                   "--remediation-role-name", REMEDIATION_ROLE])
    out, err = capsys.readouterr()
    assert rc == 2
    assert err.strip().splitlines() == [
        f"secretgraph remediate: error: {path}: another apply of this plan is running (its "
        f"lock file {path}.lock is held); wait for it, or check its journal"]
    assert "did not finish" not in err and plan.changes[0].change_id not in out
    assert len(list(tmp_path.glob("remediation-journal-*"))) == 1
