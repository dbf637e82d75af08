"""An apply of a plan after an apply of it that did not finish says so first (new-user trial
16: the next run went on without a word about the journal of the stopped one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scanner.remediate.journal import unfinished_apply

PLAN = "plan-0123456789abcdef0123"


def _journal(folder: Path, stamp: str, *lines: dict[str, Any], plan: str = PLAN,
             mode: str = "apply") -> Path:
    path = folder / f"remediation-journal-{plan}-{stamp}.jsonl"
    header = {"type": "header", "kind": "secretgraph-remediation-journal", "version": 1,
              "mode": mode, "plan_id": plan}
    path.write_text("".join(json.dumps(r) + "\n" for r in (header, *lines)), encoding="utf-8")
    return path


def _change(change: str, status: str) -> dict[str, Any]:
    return {"type": "change", "status": status, "change": {"change_id": change}}


def test_an_interrupted_apply_is_named_with_what_it_did_and_left(tmp_path: Path) -> None:
    path = _journal(tmp_path, "20261206T004854Z", _change("chg-1", "started"),
                    _change("chg-1", "applied"), _change("chg-2", "started"),
                    {"type": "end", "summary": {"applied": 1}, "interrupted": "Ctrl-C"})
    assert unfinished_apply(tmp_path, PLAN, 6) == (
        f"note: the last apply of this plan did not finish ({path}: stopped by Ctrl-C; 1 of 6 "
        "change(s) done, 4 not reached, chg-2 in flight); this run goes on: each change is "
        "re-read first, and one already in place is a no-op; chg-2 may be partly made: if the "
        f"plan is refused as drifted, secretgraph remediate --undo {path} takes back what "
        "landed")


def test_a_journal_without_an_end_line_is_a_run_killed_or_crashed(tmp_path: Path) -> None:
    path = _journal(tmp_path, "20261206T004854Z", _change("chg-1", "applied"))
    with path.open("a", encoding="utf-8") as fh:
        fh.write('{"type": "change", "sta')  # cut off while written
    assert unfinished_apply(tmp_path, PLAN, 2) == (
        f"note: the last apply of this plan did not finish ({path}: it has no end line: "
        "killed or crashed; 1 of 2 change(s) done, 1 not reached); this run goes on: each "
        "change is re-read first, and one already in place is a no-op")


def test_only_the_newest_apply_of_the_same_plan_counts(tmp_path: Path) -> None:
    _journal(tmp_path, "20261206T004854Z", _change("chg-1", "applied"),
             {"type": "end", "summary": {}, "interrupted": "SIGTERM"})
    _journal(tmp_path, "20261206T004901Z", _change("chg-1", "noop"),
             _change("chg-2", "applied"), {"type": "end", "summary": {}})
    assert unfinished_apply(tmp_path, PLAN, 2) is None  # finished since
    _journal(tmp_path, "20261206T005000Z", {"type": "end", "summary": {}, "interrupted": "x"},
             plan="plan-ffffffffffffffffffff")
    assert unfinished_apply(tmp_path, PLAN, 2) is None  # another plan's
    assert unfinished_apply(tmp_path / "none", PLAN, 2) is None  # no journal at all
