"""`secretgraph history list` in an 80-column terminal; a stored snapshot and its history;
`secretgraph history prune`."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.cli import main
from scanner.snapshot_io import write_snapshot


def test_history_list_fits_80_columns_and_keeps_every_count(tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    history = tmp_path / "h.db"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q",
                 "--history", str(history)]) in (0, 1)
    run = run_in_tty(["history", "list", "--history", str(history)], cols=80, timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.text.splitlines()
    assert lines[0].split() == ["scan", "complete", "acct", "rgn", "crit", "high", "fail",
                                "unkn", "mute", "gaps"]
    [row] = lines[1:]
    assert row.split()[1:] == ["yes", "3", "1", "0", "0", "1", "1", "0", "0"]  # the estate's
    assert [line for line in lines if len(line) > 80] == []


def test_a_snapshot_already_in_the_history_is_refused_before_any_report(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Re-evaluating a recorded snapshot into the same store wrote the reports, then failed
    to record (exit 2, documented as 'nothing was scanned')."""
    snapshot = write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    history = str(tmp_path / "h.db")
    args = ["scan", "--snapshot", str(snapshot), "--history", history, "-q", "--out"]
    assert main([*args, str(tmp_path / "first")]) in (0, 1)
    capsys.readouterr()
    assert main([*args, str(tmp_path / "again")]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "is already recorded there; re-evaluate it without --history" in line
    assert not (tmp_path / "again").exists()
    assert main(["scan", "--snapshot", str(snapshot), "-q", "--out",
                 str(tmp_path / "again")]) in (0, 1)


def test_a_history_locked_by_another_process_is_one_line_saying_what_was_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: with BEGIN EXCLUSIVE held on the history, a scan printed
    `internal error: OperationalError: database is locked` after 30 s, naming no file and not
    saying that its reports had been replaced but the scan not recorded."""
    import sqlite3

    from scanner.history import sqlite_store

    from dataclasses import replace

    first, snapshot = tmp_path / "first.json.gz", tmp_path / "snapshot.json.gz"
    night = estate(secret_policy=None)
    write_snapshot(first, night)
    write_snapshot(snapshot, replace(night, meta=replace(night.meta, scan_id="night-2")))
    history, out = tmp_path / "h.db", tmp_path / "out"
    assert main(["scan", "--snapshot", str(first), "--out", str(tmp_path / "first"), "-q",
                 "--history", str(history)]) in (0, 1)
    capsys.readouterr()
    monkeypatch.setattr(sqlite_store, "LOCK_TIMEOUT", 0.2, raising=False)
    holder = sqlite3.connect(history, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code = main(["scan", "--snapshot", str(snapshot), "--out", str(out), "-q",
                     "--history", str(history)])
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and err == [
        f"secretgraph scan: error: {history}: cannot write the history file: database is "
        "locked (another process has held its write lock for more than 0.2 s); the reports "
        f"were written to {out}, the scan was not recorded in the history"]
    assert (out / "findings.json").is_file()
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert capsys.readouterr().out.count('"scan_id"') == 1


# --------------------------------------------------------------------------- history prune


def _nights(tmp_path: Path, history: Path, nights: list[tuple[str, int, bool]],
            now: datetime.datetime | None = None) -> None:
    """`scan --snapshot` of the access estate into ``history``, one per (id, days before
    ``now``, complete); an incomplete night has an account out of reach (a coverage gap)."""
    from dataclasses import replace

    from scanner.model import CoverageEntry

    base = estate(secret_policy=None)
    gap = CoverageEntry(account_id="999999999999", region="global", service="sts",
                        operation="AssumeRole", error_code="AccessDenied",
                        error_kind="denied", message="no")
    now = now or datetime.datetime.now(datetime.timezone.utc)
    for sid, days, complete in nights:
        started = (now - datetime.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
        snap = replace(base, meta=replace(base.meta, scan_id=sid, started_at=started,
                                          finished_at=started),
                       coverage=() if complete else (gap,))
        path = write_snapshot(tmp_path / f"{sid}.json.gz", snap)
        assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / sid), "-q",
                     "--history", str(history)]) in (0, 1, 3)


def test_a_scan_after_a_prune_diffs_and_carries_first_seen_as_without_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Organization-scale trial round 3 (history prune): the night after a prune diffs
    against the same scan, and carries the same first_seen (first seen in a scan the prune
    deleted), as the same night on the history left whole."""
    import json
    import shutil

    now = datetime.datetime.now(datetime.timezone.utc)
    pruned, whole = tmp_path / "pruned.db", tmp_path / "whole.db"
    _nights(tmp_path, pruned, [("n1", 40, True), ("n2", 30, True), ("n3", 20, True),
                               ("n4", 10, False)])
    shutil.copy(pruned, whole)
    capsys.readouterr()
    assert main(["history", "prune", "--history", str(pruned), "--keep-days", "5",
                 "--yes"]) == 0
    out = capsys.readouterr().out
    assert "deleted 2 scan(s)" in out, out
    assert main(["history", "list", "--history", str(pruned), "--format", "json"]) == 0
    assert [s["scan_id"] for s in json.loads(capsys.readouterr().out)["scans"]] == \
        ["n3", "n4"]
    results = {}
    for name, history in (("pruned", pruned), ("whole", whole)):
        (tmp_path / name).mkdir()
        _nights(tmp_path / name, history, [("n5", 0, True)], now)
        rows = json.loads((tmp_path / name / "n5" / "findings.json").read_text())["findings"]
        capsys.readouterr()
        assert main(["diff", "latest", "--history", str(history), "--format", "json"]) in (0, 1)
        drift = json.loads(capsys.readouterr().out)
        results[name] = ({f["id"]: f["first_seen"] for f in rows}, drift)
    firsts, drift = results["pruned"]
    assert results["pruned"] == results["whole"]
    assert drift["old"]["scan_id"] == "n3" and drift["new"]["scan_id"] == "n5"
    assert set(firsts.values()) & {
        f["first_seen"] for f in json.loads(
            (tmp_path / "n1" / "findings.json").read_text())["findings"]}, \
        "no finding carried its first_seen from n1, which the prune deleted"


def test_prune_lists_first_and_deletes_only_with_yes_or_yes_typed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Organization-scale trial round 3 (history prune): a destructive command shows what it
    would delete; --dry-run stops there (exit 0); without --yes it asks at a terminal and
    refuses (exit 2) where no one can answer (cron, a pipe); 'yes' typed deletes, anything
    else leaves the history as it was."""
    import io

    history = tmp_path / "h.db"
    _nights(tmp_path, history, [("n1", 40, True), ("n2", 30, True), ("n3", 1, True)])
    capsys.readouterr()
    args = ["history", "prune", "--history", str(history), "--keep", "1"]
    assert main([*args, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "would delete 2 scan(s):" in out and "dry run: nothing was deleted" in out
    assert "  n1  " in out and "  n2  " in out and "  n3  " not in out

    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a terminal
    assert main(args) == 2
    captured = capsys.readouterr()
    assert "would delete 2 scan(s):" in captured.out
    assert captured.err.strip() == (
        "secretgraph history prune: error: refusing to delete without confirmation: stdin is not "
        "a terminal; review the list above and add --yes")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Terminal("no\n"))
    assert main(args) == 0
    assert capsys.readouterr().out.rstrip().endswith("nothing was deleted")
    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    assert main(args) == 0
    captured = capsys.readouterr()
    assert "Delete 2 scan(s) from" in captured.err and "deleted 2 scan(s)" in captured.out
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert capsys.readouterr().out.count('"scan_id"') == 1


def test_prune_fits_80_columns_and_a_pipe_keeps_each_line_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: `history prune --keep 1 --dry-run` at 80 columns printed "FILE: N
    scan(s), SIZE; keeping 1 (always: SCAN, the newest complete scan, and the scans after
    it)" on one line of 129 columns."""
    history = tmp_path / "nightly-history-of-the-organization.db"
    _nights(tmp_path, history, [("scan-2026-12-01T010000Z-1a2b3c4d", 4, True),
                                ("scan-2026-12-04T010000Z-5e6f7a8b", 1, True)])
    capsys.readouterr()
    args = ["history", "prune", "--history", str(history), "--keep", "1", "--dry-run"]
    assert main(args) == 0
    piped = capsys.readouterr().out
    first = piped.splitlines()[0]
    assert len(first) > 80 and first.endswith("the newest complete scan, and the scans after it)")
    run = run_in_tty(args, cols=80, timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.text.splitlines()
    assert [line for line in lines if len(line) > 80 and len(line.split()) > 1] == []
    assert run.text.split() == piped.split()  # the same words, only broken


def test_prune_says_what_it_removed_and_the_file_shrinks(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Organization-scale trial round 3 (history prune): how many scans and payloads went,
    and the bytes freed; VACUUM makes the file itself smaller (--no-vacuum leaves its size,
    the space reused by later scans)."""
    import re

    history = tmp_path / "h.db"
    _nights(tmp_path, history, [(f"n{i}", 40 - i, True) for i in range(8)])
    before = history.stat().st_size + (tmp_path / "h.db-wal").stat().st_size \
        if (tmp_path / "h.db-wal").exists() else history.stat().st_size
    capsys.readouterr()
    assert main(["history", "prune", "--history", str(history), "--keep", "2", "--yes"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^deleted 6 scan\(s\) and \d+ payload\(s\) \([\d.]+ (bytes|KB|MB) "
                     r"stored\)$", out, re.M), out
    assert re.search(r"^.*h\.db: [\d.]+ (KB|MB) -> [\d.]+ (KB|MB) \([\d.]+ (bytes|KB|MB) "
                     r"freed\)$", out, re.M), out
    after = history.stat().st_size + ((tmp_path / "h.db-wal").stat().st_size
                                      if (tmp_path / "h.db-wal").exists() else 0)
    assert after < before
    assert main(["history", "prune", "--history", str(history), "--keep", "2", "--yes"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "nothing to prune"


@pytest.mark.parametrize("flags,message", [
    ([], "prune needs --keep-days N and/or --keep N"),
    (["--keep", "0"], "--keep 0: keep at least 1 scan"),
    (["--keep-days", "0"], "--keep-days 0: keep at least 1 day"),
    (["--keep", "3", "--dry-run", "--yes"], "--dry-run deletes nothing"),
    (["--keep", "many"], "argument --keep: invalid int value: 'many'"),
    (["--keep", "3", "-q"], "-q shows no list to confirm"),
])
def test_prune_with_bad_flags_exits_2_and_deletes_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str],
        message: str) -> None:
    """Organization-scale trial round 3 (history prune): no retention, one that keeps
    nothing (--keep 0), contradictory or malformed flags: exit 2, one line, nothing
    deleted."""
    history = tmp_path / "h.db"
    _nights(tmp_path, history, [("n1", 40, True), ("n2", 30, True), ("n3", 1, True)])
    capsys.readouterr()
    try:
        code = main(["history", "prune", "--history", str(history), *flags])
    except SystemExit as exc:  # argparse's own error (a value that is not a number)
        code = int(exc.code or 0)
    assert code == 2
    assert message in capsys.readouterr().err
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert capsys.readouterr().out.count('"scan_id"') == 3


def test_prune_of_an_s3_history_or_a_foreign_file_exits_2_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Organization-scale trial round 3 (history prune): an S3 history is not pruned by
    secretgraph (docs/history.md says what to do) -- refused before any AWS call; a file
    that is not a history is one line naming it, left as it was."""
    assert main(["history", "prune", "--history", "s3://bucket/prefix", "--keep", "3",
                 "--yes"]) == 2
    assert "prune works on a SQLite history only" in capsys.readouterr().err
    foreign = tmp_path / "notes.txt"
    foreign.write_text("not a database\n")
    assert main(["history", "prune", "--history", str(foreign), "--keep", "3", "--yes"]) == 2
    assert f"{foreign}: not a secretgraph history file" in capsys.readouterr().err
    assert foreign.read_text() == "not a database\n"


def test_prune_s_help_offers_no_s3_history(capsys: pytest.CaptureFixture[str]) -> None:
    """Docs truth round 16: `history prune --help` showed `--history PATH|s3://BUCKET/PREFIX`,
    a location it refuses (above); `history list` reads both."""
    with pytest.raises(SystemExit):
        main(["history", "prune", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "s3://BUCKET" not in text
    assert "--history PATH the SQLite history file" in text
    assert "an s3:// history is not pruned" in text
    from scanner.commands import history

    assert history.HELP.endswith("or prune a SQLite one")  # the command list's line
    with pytest.raises(SystemExit):
        main(["history", "list", "--help"])
    assert "--history PATH|s3://BUCKET/PREFIX" in capsys.readouterr().out


@pytest.mark.parametrize("sig,code,word", [("SIGINT", 130, "interrupted"),
                                           ("SIGTERM", 143, "terminated")])
def test_a_prune_stopped_by_ctrl_c_or_sigterm_leaves_the_history_as_it_was(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        sig: str, code: int, word: str) -> None:
    """Organization-scale trial round 3 (history prune): a signal while the scans are
    deleted rolls the transaction back -- one line, exit 130 (Ctrl-C) or 143 (SIGTERM), every
    scan still there."""
    import os
    import signal

    from scanner.history import prune

    history = tmp_path / "h.db"
    _nights(tmp_path, history, [("n1", 40, True), ("n2", 30, True), ("n3", 1, True)])
    capsys.readouterr()
    calls: list[int] = []
    real = prune.needed_scans

    def needed(records, pinned=(), now=None):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 2:  # the second call: under the write lock, in the transaction
            os.kill(os.getpid(), getattr(signal, sig))
        return real(records, pinned, now)

    monkeypatch.setattr(prune, "needed_scans", needed)
    assert main(["history", "prune", "--history", str(history), "--keep", "1", "--yes"]) \
        == code
    assert capsys.readouterr().err.strip() == (
        f"secretgraph history prune: {word}; nothing was deleted ({history} is as it was)")
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert capsys.readouterr().out.count('"scan_id"') == 3


def test_a_scan_started_in_the_future_is_not_the_last_scan_of_the_nights_after_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fault-injection trial round 5, what prune's fix left: a scan made with a clock 200 days
    ahead sorts last in the history (it orders by start), so every night after it diffed
    against it and carried its first_seen, not last night's. The nightly scan and `diff`
    choose the last scan among the others; `diff` says why it skipped one."""
    history = tmp_path / "h.db"
    _nights(tmp_path, history, [("n1", 2, True), ("skewed", -200, True)])
    capsys.readouterr()
    (tmp_path / "n3").mkdir()
    started = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    from dataclasses import replace

    base = estate(secret_policy=None)
    snap = replace(base, meta=replace(base.meta, scan_id="n3", started_at=started,
                                      finished_at=started))
    path = write_snapshot(tmp_path / "n3.json.gz", snap)
    assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "n3"),
                 "--format", "table", "--history", str(history)]) in (0, 1)
    out = capsys.readouterr().out
    assert "Drift n1 (" in out and "Drift skewed" not in out, out
    assert main(["diff", "--history", str(history), "--format", "json"]) == 0
    captured = capsys.readouterr()
    import json

    drift = json.loads(captured.out)
    assert (drift["old"]["scan_id"], drift["new"]["scan_id"]) == ("n1", "n3")
    assert "started in the future" in captured.err and "skewed" in captured.err
    # named by its id, it is compared like any other: older -> newer in the order the scans
    # were recorded (fault-injection trial round 27), whatever their clocks said
    assert main(["diff", "n3", "skewed", "--history", str(history), "--format", "json"]) == 0
    drift = json.loads(capsys.readouterr().out)
    assert (drift["old"]["scan_id"], drift["new"]["scan_id"]) == ("skewed", "n3")


def test_every_member_of_a_scan_record_is_named_in_history_md() -> None:
    """docs/history.md "The history store": what a recorded scan holds, as `history list
    --format json` shows it (docs truth round 16: the sentence named 6 of its 9 members and
    none of its counts but the severities)."""
    from scanner.history.records import ScanRecord, count_findings

    counts = count_findings({"findings": [{"status": "FAIL", "severity": "HIGH"}],
                             "coverage": [], "scan": {"scope": {"severities": ["HIGH"]}}})
    record = ScanRecord(scan_id="s", started_at="2026-12-08T00:00:00Z", finished_at=None,
                        complete=True, recorded_at="2026-12-08T00:00:01Z", tool_version="0",
                        accounts=(), regions=(), counts=counts)
    text = (Path(__file__).resolve().parents[2] / "docs" / "history.md").read_text(
        encoding="utf-8")
    section = text[text.index("## The history store"):text.index("### SQLite file")]
    named = [*record.to_json(), *counts, "damaged"]
    assert "scope_limited" in counts and "critical" in counts
    assert [m for m in named if f"`{m}`" not in section] == []
