"""Two scans writing into the same --out, and what a scan stopped for good (SIGKILL) while its
reports moved into --out leaves behind: sets are committed one at a time, whole, and the next
scan puts last night's files back where a killed one left two scans' files mixed."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import scanner
from scanner.errors import OutputError
from scanner.output_set import MANIFEST, STAGING_MARKER, OutputSet

NAMES = ("findings.json", "report.html", "snapshot.json.gz")
ROOT = str(Path(scanner.__file__).resolve().parents[1])


def _contents(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.name != MANIFEST}


def _write_set(out: Path, tag: str) -> None:
    with OutputSet(out) as outputs:
        for name in NAMES:
            (outputs.staging / name).write_text(f"{tag} {name}", encoding="utf-8")
        outputs.commit()


#: a scan (process A) that stops for a while, or is killed, right after its first move into
#: --out -- as the fault trial's inject_replace.py did with a real scan
SLOW_COMMIT = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import scanner.output_set as output_set
    out, tag, pause = Path(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    real = os.replace
    def replace(src, dst):
        real(src, dst)
        if Path(dst).parent == out and ".previous" not in str(dst) and \\
                not (out.parent / "paused").exists():
            (out.parent / "paused").write_text(str(dst))
            time.sleep(pause)
    output_set.os.replace = replace
    with output_set.OutputSet(out) as outputs:
        for name in %r:
            (outputs.staging / name).write_text(f"{tag} {name}", encoding="utf-8")
        outputs.commit()
""" % (NAMES,))


def _start_slow_commit(out: Path, tag: str, pause: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", SLOW_COMMIT, str(out), tag, str(pause)],
                            env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (out.parent / "paused").exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    return proc


def test_two_scans_committing_into_the_same_out_leave_one_whole_set(tmp_path: Path) -> None:
    """Fault trial round 6 (two_nights_same_out.sh): scan A paused right after it moved its
    findings.json into --out; scan B, same --out, committed meanwhile -- B's findings.json
    ended beside A's report.html and snapshot, silently, and A's findings.json was deleted
    with B's staging folder. The commit takes an exclusive lock beside --out: B waits for A's
    set to be in place, then replaces it whole."""
    out = tmp_path / "out"
    _write_set(out, "last night")
    a = _start_slow_commit(out, "A", 2.0)
    _write_set(out, "B")  # waits for A's commit, then commits
    _, a_err = a.communicate(timeout=60)
    assert a.returncode == 0, a_err
    assert _contents(out) == {name: f"B {name}" for name in NAMES}
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"] == sorted(NAMES)
    # no staging folder, and the lock file went with its last holder
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_commit_held_too_long_by_another_process_is_one_line_naming_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault trial round 6: a second scan waits for the other one's commit (a message), and
    after OUT_LOCK_WAIT gives up with one line naming the lock file and the process holding
    it; nothing was written."""
    import scanner.output_set

    out = tmp_path / "out"
    _write_set(out, "last night")
    monkeypatch.setattr(scanner.output_set, "OUT_LOCK_WAIT", 0.5)
    a = _start_slow_commit(out, "A", 30.0)
    try:
        with pytest.raises(OutputError) as caught:
            _write_set(out, "B")
    finally:
        a.kill()
        a.communicate(timeout=30)
    lock = tmp_path / ".out.lock"
    assert str(caught.value) == (
        f"--out {out}: another process (pid {a.pid}) has been writing its reports into it "
        f"for more than 0.5 s (its lock {lock} is held); nothing was written by this scan, "
        "run it again once that one is done")


def test_a_scan_killed_while_moving_its_reports_is_put_right_by_the_next_one(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Fault trial round 6 (kill_mid_commit.sh): SIGKILL after the first move into --out left
    a mixed set (tonight's findings.json, last night's report.html) and a hidden
    .out.staging-*/.previous/findings.json holding last night's file, which nothing noticed;
    the next scan's stale-file logic then went by a manifest that no longer described the
    folder. The next scan finds the leftover, puts last night's set back (one line on
    stderr), removes the leftover, and then writes its own set whole."""
    caplog.set_level(logging.WARNING, logger="secretgraph.output")
    out = tmp_path / "out"
    _write_set(out, "last night")
    a = _start_slow_commit(out, "A", 60.0)
    a.send_signal(signal.SIGKILL)
    a.communicate(timeout=30)
    leftovers = [p for p in tmp_path.iterdir() if ".staging-" in p.name]
    assert len(leftovers) == 1 and (leftovers[0] / ".previous").is_dir()
    assert _contents(out)["findings.json"] == "A findings.json"  # mixed, as the trial saw
    with OutputSet(out) as outputs:  # the next night, before it commits anything
        assert _contents(out) == {name: f"last night {name}" for name in NAMES}
        (outputs.staging / "findings.json").write_text("C findings.json", encoding="utf-8")
        outputs.commit()
    said = [r.getMessage() for r in caplog.records if "left two scans' files" in r.getMessage()]
    assert said == [f"--out {out}: a scan stopped while moving its reports into it had left "
                    f"two scans' files; last night's set was put back from {leftovers[0]}"]
    assert _contents(out) == {"findings.json": "C findings.json"}
    assert [p.name for p in tmp_path.iterdir() if p.name != "paused"] == ["out"]


def test_a_leftover_staging_folder_that_holds_nothing_of_last_night_is_removed(
        tmp_path: Path) -> None:
    """Fault trial round 6: a scan killed while it wrote its reports (before any move) leaves
    only its own unfinished files in a staging folder: the next scan removes it; a staging
    folder of a scan still running (it holds its lock) is left alone."""
    out = tmp_path / "out"
    _write_set(out, "last night")
    dead = tmp_path / ".out.staging-dead"
    dead.mkdir()
    (dead / STAGING_MARKER).write_text("99999999\n", encoding="utf-8")  # a killed scan's
    (dead / "findings.json").write_text("half", encoding="utf-8")
    with OutputSet(out) as running:
        with OutputSet(out) as outputs:
            (outputs.staging / "findings.json").write_text("new", encoding="utf-8")
            outputs.commit()
        assert not dead.exists()
        assert running.staging.is_dir()
    assert _contents(out) == {"findings.json": "new"}


def test_a_users_file_named_like_a_report_is_never_overwritten_by_a_scan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fault trial round 6: another tool's report.html in --out, not named by the manifest of
    the last set, was left alone by `--format json` (configuration.md: "another tool's
    report.html is left alone") and then overwritten and lost without notice by the next
    night's `--format json,html`. A scan refuses to replace a file no earlier set of its
    own wrote: one line naming it and what to do, exit 2, --out as it was."""
    from helpers.access_estate import estate

    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = tmp_path / "snap.json.gz"
    write_snapshot(snap, estate(secret_policy=None))
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("<p>coverage of another tool</p>", encoding="utf-8")
    argv = ["scan", "--snapshot", str(snap), "--out", str(out), "-q"]
    assert main([*argv, "--format", "json"]) in (0, 1)  # night 1: theirs left alone
    night1 = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main([*argv, "--format", "json,html"]) == 2  # night 2: refused, nothing lost
    assert capsys.readouterr().err.strip().splitlines() == [
        f"secretgraph scan: error: --out {out}: {out / 'report.html'} is not a file of an "
        f"earlier scan (the {MANIFEST} file there does not name it): it is left alone; move "
        "it away or choose another --out; nothing was written, the previous outputs are as "
        "they were"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == night1
    (out / "report.html").rename(tmp_path / "theirs.html")  # the user moves it away
    assert main([*argv, "--format", "json,html"]) in (0, 1)
    assert "another tool" not in (out / "report.html").read_text(encoding="utf-8")


def test_a_users_file_in_a_folder_no_scan_wrote_is_not_overwritten_either(
        tmp_path: Path) -> None:
    """Fault trial round 6: the first scan into a folder of the user's own (no manifest, no
    snapshot) holding findings.json refuses rather than replacing it."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "findings.json").write_text("my notes", encoding="utf-8")
    with pytest.raises(OutputError, match="findings.json is not a file of an earlier scan"):
        _write_set(out, "A")
    assert _contents(out) == {"findings.json": "my notes"}


def test_reports_on_a_full_disk_are_one_line_naming_where_they_were_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fault trial round 6 (a 2 MB tmpfs under --out): "could not write the reports
    (OSError: [Errno 28] No space left on device)" named neither file nor folder. A write
    error of the system names the file when it knows it, else the staging folder the
    reports were written into (beside --out, on the disk that is full)."""
    from helpers.access_estate import estate
    from helpers.full_disk import NearlyFullDisk

    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = tmp_path / "in" / "snap.json.gz"
    snap.parent.mkdir()
    write_snapshot(snap, estate(secret_policy=None))
    disk = tmp_path / "disk"
    disk.mkdir()
    out = disk / "out"
    NearlyFullDisk(disk, 2000).install(monkeypatch)
    capsys.readouterr()
    code = main(["scan", "--snapshot", str(snap), "--out", str(out), "--format", "json,html",
                 "-q"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    prefix = f"secretgraph scan: error: could not write the reports into {disk}/.out.staging-"
    assert lines[0].startswith(prefix), lines
    assert lines[0].endswith(" (the staging folder beside --out): No space left on device; "
                             f"the previous outputs in {out} are unchanged"), lines
    assert not out.exists() and [p.name for p in disk.iterdir()] == []


def test_a_file_a_killed_scan_moved_in_without_an_earlier_version_goes_with_it(
        tmp_path: Path) -> None:
    """Fault trial round 6 (kill_mid_commit.sh): the killed scan had moved in tonight's
    findings.json (last night's kept in .previous) and a findings.csv last night's set did
    not have. Putting last night's set back removes the csv too: --out holds last night's
    set and nothing else of the killed scan."""
    out = tmp_path / "out"
    out.mkdir()
    (out / MANIFEST).write_text(json.dumps({"files": ["findings.json", "report.html"]}),
                                encoding="utf-8")
    (out / "report.html").write_text("last night report.html", encoding="utf-8")
    (out / "findings.json").write_text("killed findings.json", encoding="utf-8")
    (out / "findings.csv").write_text("killed findings.csv", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    leftover = tmp_path / ".out.staging-killed"
    (leftover / ".previous").mkdir(parents=True)
    (leftover / STAGING_MARKER).write_text("99999999\n", encoding="utf-8")  # a killed scan's
    (leftover / ".previous" / "findings.json").write_text("last night findings.json",
                                                          encoding="utf-8")
    (leftover / "report.html").write_text("killed report.html", encoding="utf-8")  # not moved
    (leftover / MANIFEST).write_text(json.dumps({"files": ["findings.csv", "findings.json",
                                                           "report.html"]}), encoding="utf-8")
    (leftover / ".staged").write_text(json.dumps({
        "files": ["findings.csv", "findings.json", "report.html"],
        "fresh": ["findings.csv"]}), encoding="utf-8")  # the one with no earlier version
    with OutputSet(out):
        assert _contents(out) == {"findings.json": "last night findings.json",
                                  "report.html": "last night report.html", "notes.txt": "mine"}
    assert not leftover.exists()


def test_last_nights_files_that_cannot_be_put_back_are_kept_and_named(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Fault trial round 6: never delete a user's only copy silently -- a leftover whose files
    cannot be put back (here a folder is in the way) is kept, and one line names it."""
    caplog.set_level(logging.WARNING, logger="secretgraph.output")
    out = tmp_path / "out"
    (out / "findings.json").mkdir(parents=True)
    leftover = tmp_path / ".out.staging-killed"
    (leftover / ".previous").mkdir(parents=True)
    (leftover / STAGING_MARKER).write_text("99999999\n", encoding="utf-8")  # a killed scan's
    (leftover / ".previous" / "findings.json").write_text("last night", encoding="utf-8")
    (leftover / MANIFEST).write_text("{}", encoding="utf-8")
    with OutputSet(out):
        pass
    assert (leftover / ".previous" / "findings.json").read_text(encoding="utf-8") == \
        "last night"
    said = [r for r in caplog.records if r.name == "secretgraph.output"]
    assert len(said) == 1 and said[0].levelname == "ERROR"
    assert said[0].getMessage().startswith(
        f"--out {out}: a scan stopped while moving its reports into it left two scans' files; "
        f"last night's versions are kept in {leftover / '.previous'} (they could not be put "
        "back: ")
