"""A new plan's three files (the plan, its .md and .html) are replaced together or not at all:
on a nearly full disk the plan was replaced, its .md cut off and its .html left from the day
before -- a reviewer approved the .html's one change, `--apply --plan plan.json` made six
(fault-injection trial round 4)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from helpers.full_disk import NearlyFullDisk
from helpers.remediate_records import PUBLIC, UNRELATED, finding, snapshot, write_scan_dir

from scanner.cli import main
from scanner.commands.remediate import rendering_paths


@pytest.fixture()
def scan_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    def refuse(self: BaseClient, operation: str, params: Any) -> Any:
        raise AssertionError(f"unexpected AWS call {operation}")

    monkeypatch.setattr(BaseClient, "_make_api_call", refuse)
    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [UNRELATED, PUBLIC]})
    return write_scan_dir(tmp_path / "scan", snap,
                          [finding("secret-policy-public", "restrict-public-secret-policy")])


def _yesterday(tmp_path: Path, plan: Path) -> str:
    """Yesterday's plan saved at ``plan`` (from another scan: another plan id); its id."""
    import json

    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [PUBLIC]})
    before = write_scan_dir(tmp_path / "yesterday", snap,
                            [finding("secret-policy-public", "restrict-public-secret-policy")])
    assert main(["remediate", "--in", str(before), "--plan-out", str(plan), "-q"]) == 0
    return str(json.loads(plan.read_text(encoding="utf-8"))["plan_id"])


@pytest.mark.parametrize("cut", ["plan.md", "plan.html"])
def test_a_plan_that_cannot_be_saved_whole_leaves_yesterdays_three_files(
        scan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], cut: str) -> None:
    """Fault-injection trial round 4: `remediate --plan-out` on a nearly full disk said
    "internal error: OSError: [Errno 28] No space left on device", naming no file, and left the
    new plan.json beside a cut plan.md and yesterday's plan.html. Now one line naming the file
    that did not fit, exit 2, and the three files as they were (no temporary file left)."""
    plan = tmp_path / "disk" / "plan.json"
    tonight = tmp_path / "elsewhere" / "plan.json"  # the sizes of tonight's three files
    assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(tonight), "-q"]) == 0
    sizes = {p.name: p.stat().st_size for p in (tonight, *rendering_paths(tonight))}
    _yesterday(tmp_path, plan)
    yesterday = {p.name: p.read_bytes() for p in (plan, *rendering_paths(plan))}
    # room for the files before the one cut, and half of it
    free = sizes["plan.json"] + (sizes["plan.md"] if cut == "plan.html" else 0) + \
        sizes[cut] // 2
    NearlyFullDisk(plan.parent, free=free).install(monkeypatch)
    capsys.readouterr()
    assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(plan), "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"secretgraph remediate: error: --plan-out {plan}: cannot write "
                   f"{plan.parent / cut}: No space left on device; nothing was saved (the plan "
                   "and its .md and .html are as they were)"]
    assert {p.name: p.read_bytes() for p in plan.parent.iterdir()} == yesterday


def test_a_plan_saved_whole_replaces_the_three_files(
        scan_dir: Path, tmp_path: Path) -> None:
    """The other way out of the same step: every file is the new plan's."""
    import json

    plan = tmp_path / "plan.json"
    before = _yesterday(tmp_path, plan)
    assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(plan), "-q"]) == 0
    plan_id = json.loads(plan.read_text(encoding="utf-8"))["plan_id"]
    assert plan_id != before
    markdown, page = rendering_paths(plan)
    assert plan_id in markdown.read_text(encoding="utf-8")
    assert plan_id in page.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("plan")) == \
        ["plan.html", "plan.json", "plan.md"]


@pytest.mark.parametrize("stop", ["rename", "signal"])
def test_a_plan_stopped_while_its_files_are_renamed_leaves_yesterdays_three(
        scan_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], stop: str) -> None:
    """Fault-injection trial round 4, the step after the writes: a rename that fails (the
    .md's), or Ctrl-C arriving while they are made (held back until they are), puts the files
    already renamed back: the three are yesterday's, never a mix."""
    import os
    import signal

    plan = tmp_path / "plan.json"
    _yesterday(tmp_path, plan)
    yesterday = {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        real_replace(src, dst)
        if str(src).endswith(".tmp") and str(dst).endswith("plan.json"):
            if stop == "signal":
                os.kill(os.getpid(), signal.SIGINT)
            else:
                monkeypatch.setattr(os, "replace", failing)

    def failing(src: Any, dst: Any) -> None:
        if str(src).endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    capsys.readouterr()
    code = main(["remediate", "--in", str(scan_dir), "--plan-out", str(plan), "-q"])
    monkeypatch.setattr(os, "replace", real_replace)
    err = capsys.readouterr().err.strip().splitlines()
    if stop == "rename":
        assert (code, err) == (2, [
            f"secretgraph remediate: error: --plan-out {plan}: cannot write "
            f"{tmp_path / 'plan.md'}: Permission denied; nothing was saved (the plan and its .md "
            "and .html are as they were)"])
    else:
        assert (code, err) == (130, ["secretgraph remediate: interrupted; nothing was saved (the "
                                     "plan and its .md and .html are as they were)"])
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == yesterday


def test_saving_a_plan_leaves_the_users_own_files_beside_it_alone(
        scan_dir: Path, tmp_path: Path) -> None:
    """Review of the day's merges: the three files' previous versions were kept under the
    fixed names ``plan.json.previous`` (and ``.tmp``), unlinking a user's files of those names
    without a word. Now the kept copies and the temporary files have names of their own, and
    nothing else in the folder changes."""
    plan = tmp_path / "plan.json"
    _yesterday(tmp_path, plan)
    mine = {tmp_path / f"plan.json{suffix}": f"mine {suffix}\n"
            for suffix in (".previous", ".tmp", ".md.previous")}
    for path, text in mine.items():
        path.write_text(text, encoding="utf-8")
    assert main(["remediate", "--in", str(scan_dir), "--plan-out", str(plan), "-q"]) == 0
    assert {p: p.read_text(encoding="utf-8") for p in mine} == mine
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(("plan", ".plan"))) \
        == sorted(["plan.html", "plan.json", "plan.md", *(p.name for p in mine)])
