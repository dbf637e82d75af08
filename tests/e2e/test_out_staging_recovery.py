"""What the recovery of a killed scan's staging folder beside --out may touch: only folders
secretgraph itself made and that no living process holds -- nothing already stored is lost
(fault trial round 7, review round 4)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import scanner
from scanner.output_set import MANIFEST, STAGING_MARKER, OutputSet

ROOT = str(Path(scanner.__file__).resolve().parents[1])
NAMES = ("findings.json", "report.html", "snapshot.json.gz")


def _contents(out: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in out.iterdir() if p.name != MANIFEST}


def _write_set(out: Path, tag: str, names: tuple[str, ...] = NAMES) -> None:
    with OutputSet(out) as outputs:
        for name in names:
            (outputs.staging / name).write_text(f"{tag} {name}", encoding="utf-8")
        outputs.commit()


def _killed_leftover(folder: Path, previous: dict[str, str], staged: list[str],
                     fresh: tuple[str, ...] = ()) -> Path:
    """A staging folder as a scan killed mid-move leaves it: its marker (a pid no process
    holds the folder for), last night's versions in .previous, the names it was moving."""
    (folder / ".previous").mkdir(parents=True)
    (folder / STAGING_MARKER).write_text("99999999\n", encoding="utf-8")
    for name, text in previous.items():
        (folder / ".previous" / name).write_text(text, encoding="utf-8")
    (folder / MANIFEST).write_text(json.dumps({"files": staged}), encoding="utf-8")
    (folder / ".staged").write_text(json.dumps({"files": staged, "fresh": list(fresh)}),
                                    encoding="utf-8")
    return folder


def test_a_users_folder_named_like_a_staging_folder_is_left_alone(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Fault trial round 7 #4 (r1_user_staging_named_folder.sh): a folder of the user's own
    beside --out, `.out.staging-mine`, nobody flocks, was taken for a killed scan's leftover
    and deleted silently by the next scan. Only folders secretgraph marked as its own staging
    folders are recovered; anything else is left as it is -- one holding a `.previous` (an
    older secretgraph's, killed) is named in one line."""
    caplog.set_level(logging.WARNING, logger="secretgraph.output")
    out = tmp_path / "out"
    _write_set(out, "last night")
    mine = tmp_path / ".out.staging-mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("my notes", encoding="utf-8")
    older = tmp_path / ".out.staging-older"
    (older / ".previous").mkdir(parents=True)
    (older / ".previous" / "findings.json").write_text("kept", encoding="utf-8")
    _write_set(out, "tonight")
    _write_set(out, "tomorrow")
    assert (mine / "notes.txt").read_text(encoding="utf-8") == "my notes"
    assert (older / ".previous" / "findings.json").read_text(encoding="utf-8") == "kept"
    assert _contents(out) == {name: f"tomorrow {name}" for name in NAMES}
    said = [r.getMessage() for r in caplog.records]
    assert said == [f"--out {out}: {older} holds a .previous folder but was not made by this "
                    "secretgraph (or is still being made): it is left alone"] * 2


#: a scan (process A) paused between creating its staging folder and taking its flock, as the
#: fault trial's hook sleep_mkdtemp did
SLOW_MKDTEMP = textwrap.dedent("""
    import sys, tempfile, time
    from pathlib import Path
    out = Path(sys.argv[1])
    real = tempfile.mkdtemp
    def mkdtemp(*a, **k):
        made = real(*a, **k)
        (out.parent / "paused").write_text(made)
        time.sleep(float(sys.argv[2]))
        return made
    tempfile.mkdtemp = mkdtemp
    from scanner.output_set import OutputSet
    with OutputSet(out) as outputs:
        (outputs.staging / "findings.json").write_text("A findings.json", encoding="utf-8")
        outputs.commit()
""")


def test_a_staging_folder_made_but_not_yet_locked_is_not_taken_for_a_leftover(
        tmp_path: Path) -> None:
    """Fault trial round 7 #5 and review round 4 #3: between mkdtemp and the flock of its
    staging folder a scan's folder looked like a killed scan's, and another scan into the
    same --out deleted it; the first scan then failed writing its reports. A folder is a
    leftover only once its marker says secretgraph made and held it."""
    out = tmp_path / "out"
    _write_set(out, "last night")
    a = subprocess.Popen([sys.executable, "-c", SLOW_MKDTEMP, str(out), "2.0"],
                         env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (tmp_path / "paused").exists():
        assert a.poll() is None, a.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    _write_set(out, "B")  # while A's folder exists, unlocked
    _, a_err = a.communicate(timeout=60)
    assert a.returncode == 0, a_err
    assert _contents(out) == {"findings.json": "A findings.json"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "paused"]


def test_an_out_named_with_glob_characters_finds_its_own_leftovers_only(
        tmp_path: Path) -> None:
    """Fault trial round 7 #3 (r_glob_name.py): `--out nightly[1]` gave its name to a glob
    pattern: its own killed scan's leftover was never found (two scans' files for good), and
    the leftover of `nightly1`, another folder, was taken for its own and its files moved
    into nightly[1]. Leftovers are matched by their name's prefix, character for character."""
    out = tmp_path / "nightly[1]"
    other = tmp_path / "nightly1"
    _write_set(out, "last night", ("findings.json",))
    _write_set(other, "other", ("findings.json",))
    (out / "findings.json").write_text("killed findings.json", encoding="utf-8")
    own = _killed_leftover(tmp_path / ".nightly[1].staging-k", {
        "findings.json": "last night findings.json",
        MANIFEST: json.dumps({"files": ["findings.json"]})}, ["findings.json"])
    (other / "findings.json").write_text("killed other", encoding="utf-8")
    theirs = _killed_leftover(tmp_path / ".nightly1.staging-k", {
        "findings.json": "other findings.json",
        MANIFEST: json.dumps({"files": ["findings.json"]})}, ["findings.json"])
    with OutputSet(out):
        pass
    assert _contents(out) == {"findings.json": "last night findings.json"}
    assert not own.exists()
    assert theirs.is_dir() and _contents(other) == {"findings.json": "killed other"}


#: a scan (process A) killed (SIGKILL) right after its Nth move into --out
KILLED_COMMIT = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    import scanner.output_set as output_set
    out, after = Path(sys.argv[1]), int(sys.argv[2])
    real, count = os.replace, [0]
    def replace(src, dst):
        real(src, dst)
        if Path(dst).parent == out:
            count[0] += 1
            if count[0] == after:
                os.kill(os.getpid(), signal.SIGKILL)
    output_set.os.replace = replace
    with output_set.OutputSet(out) as outputs:
        for name in sys.argv[3:]:
            (outputs.staging / name).write_text(f"killed {name}", encoding="utf-8")
        outputs.commit()
""")


def test_a_recovery_stopped_half_way_and_retried_keeps_what_it_had_put_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault trial round 7 #2 (r_partial_recovery.py): a recovery whose second put-back
    failed (ENOSPC) kept the leftover, and the next night's retry deleted last night's
    findings.json that the first attempt had put back: named in the leftover's list and no
    longer in its .previous, it was taken for a file the killed scan added. Only what the
    killed scan moved in with no earlier version is removed."""
    import errno

    import scanner.output_set as output_set

    out = tmp_path / "out"
    _write_set(out, "last night")
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_COMMIT, str(out), "3", "findings.csv", *NAMES],
        env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT, capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    assert _contents(out)["findings.csv"] == "killed findings.csv"  # two scans' files
    real, count = os.replace, [0]

    def replace(src: str | Path, dst: str | Path) -> None:
        if "/.previous/" in str(src) and ".staging-" not in str(dst):
            count[0] += 1
            if count[0] == 2:
                raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real(src, dst)

    monkeypatch.setattr(output_set.os, "replace", replace)
    with OutputSet(out):  # recovery 1: stops half-way, the leftover kept
        pass
    monkeypatch.setattr(output_set.os, "replace", real)
    with OutputSet(out):  # recovery 2, the next night
        pass
    assert _contents(out) == {name: f"last night {name}" for name in NAMES}
    assert json.loads((out / MANIFEST).read_text(encoding="utf-8"))["files"] == sorted(NAMES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_lock_file_that_cannot_be_opened_for_writing_still_locks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """Fault trial round 7 #6 (r_readonly_lock.sh): `.out.lock` of mode 444 (another user's)
    could not be opened for writing, and scans then committed with no lock at all ("no lock
    for the outputs ..."): two scans' files again. flock works on a descriptor opened
    read-only: the commit waits for the holder as with any lock, and is not told it has none.
    (The test runs as root, which may write a 444 file: opening it for writing is refused
    here as it is for another user.)"""
    import builtins
    import fcntl

    import scanner.output_set as output_set
    from scanner.errors import OutputError

    caplog.set_level(logging.WARNING, logger="secretgraph.output")
    out = tmp_path / "out"
    _write_set(out, "last night")
    lock = tmp_path / ".out.lock"
    lock.write_text("4242\n", encoding="utf-8")
    lock.chmod(0o444)
    real_open = builtins.open

    def refusing_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if Path(file) == lock and any(c in mode for c in "wa+x"):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, mode, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    monkeypatch.setattr(output_set, "OUT_LOCK_WAIT", 0.3)
    holder = real_open(lock, "r")  # another process's commit, holding it
    try:
        fcntl.flock(holder.fileno(), fcntl.LOCK_EX)
        with pytest.raises(OutputError, match="has been writing its reports into it"):
            _write_set(out, "B")
        assert _contents(out) == {name: f"last night {name}" for name in NAMES}
    finally:
        holder.close()
    _write_set(out, "C")  # the holder is done: the lock is had, read-only
    assert _contents(out) == {name: f"C {name}" for name in NAMES}
    assert not [r for r in caplog.records if "no lock" in r.getMessage()]


def _scan_snapshots(tmp_path: Path) -> tuple[Path, Path]:
    """Two snapshots of the same estate, of scans 'night-1' and 'night-2'."""
    from dataclasses import replace

    from helpers.access_estate import estate

    from scanner.snapshot_io import write_snapshot

    paths = []
    for scan_id in ("night-1", "night-2"):
        snap = estate(secret_policy=None)
        path = tmp_path / "in" / f"{scan_id}.json.gz"
        path.parent.mkdir(exist_ok=True)
        write_snapshot(path, replace(snap, meta=replace(snap.meta, scan_id=scan_id)))
        paths.append(path)
    return paths[0], paths[1]


#: a scan (process A) into --out that stops for a while right after its first move into it
SLOW_SCAN = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import scanner.output_set as output_set
    from scanner.cli import main
    snap, out, pause = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
    real = os.replace
    def replace(src, dst):
        real(src, dst)
        if Path(dst).parent == out and ".previous" not in str(dst) and \\
                not (out.parent / "paused").exists():
            (out.parent / "paused").write_text(str(dst))
            time.sleep(pause)
    output_set.os.replace = replace
    sys.exit(main(["scan", "--snapshot", snap, "--out", str(out), "--format", "json,html",
                   "-q"]))
""")


def _scan_ids(path: Path) -> set[str]:
    text = path.read_text(encoding="utf-8")
    return {s for s in ("night-1", "night-2") if s in text}


def test_report_into_its_own_folder_while_a_scan_moves_its_set_in_reads_one_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Fault trial round 7 #1 (r_report_during_commit.py): `report --in OUT` read
    findings.json and the snapshot with no lock while scan A moved its set into OUT: it
    stopped with "not the same scan" (exit 2), or rendered last night's scan and committed it
    beside A's files. The set is read under the commit lock: report waits for A's set to be
    in place and renders A's scan."""
    from scanner.cli import main

    night1, night2 = _scan_snapshots(tmp_path)
    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(night1), "--out", str(out), "--format", "json,html",
                 "-q"]) in (0, 1)
    a = subprocess.Popen([sys.executable, "-c", SLOW_SCAN, str(night2), str(out), "2.0"],
                         env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "paused").exists():
        assert a.poll() is None, a.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    capsys.readouterr()
    code = main(["report", "--in", str(out), "--format", "html,csv", "-q"])
    err = capsys.readouterr().err
    _, a_err = a.communicate(timeout=60)
    assert a.returncode in (0, 1), a_err
    assert code == 0, err
    assert _scan_ids(out / "findings.json") == {"night-2"}
    assert _scan_ids(out / "report.html") == {"night-2"}
    assert _scan_ids(out / "findings.csv") <= {"night-2"}


def test_report_refuses_to_commit_beside_a_scan_that_committed_while_it_rendered(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fault trial round 7 #1: a scan that commits into the folder while `report --in X
    --out X` renders (after the set was read) is the newer set; the report of the older scan
    is not put beside it: one line, exit 2, the scan's set as it was."""
    import reports

    from scanner.cli import main

    night1, night2 = _scan_snapshots(tmp_path)
    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(night1), "--out", str(out), "--format", "json,html",
                 "-q"]) in (0, 1)
    real_write = reports.write_reports

    def write_while_a_scan_commits(*args: Any, **kwargs: Any) -> Any:
        done = subprocess.run([sys.executable, "-m", "scanner", "scan", "--snapshot",
                               str(night2), "--out", str(out), "--format", "json,html", "-q"],
                              env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr
        return real_write(*args, **kwargs)

    monkeypatch.setattr(reports, "write_reports", write_while_a_scan_commits)
    night2_set = None
    capsys.readouterr()
    code = main(["report", "--in", str(out), "--format", "html,csv", "-q"])
    lines = capsys.readouterr().err.strip().splitlines()
    night2_set = {p.name: p.read_bytes() for p in out.iterdir()}
    assert code == 2
    assert lines == [
        f"secretgraph report: error: --out {out}: scan 'night-2' wrote its set there while "
        "this report was made from scan 'night-1' (read before it): nothing was written, "
        f"the set of scan 'night-2' is as it was; run report again"]
    assert _scan_ids(out / "report.html") == {"night-2"}
    assert not (out / "findings.csv").exists()
    assert night2_set == {p.name: p.read_bytes() for p in out.iterdir()}


@pytest.mark.parametrize("command", ["access", "remediate", "export"])
def test_access_and_remediate_read_a_folder_a_scan_is_moving_its_set_into_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    """Left by fix-o2: `access --in` and `remediate --in` read an --out folder with no lock, as
    report did (fault trial round 7 #1): while a scan moved its set in they could read one
    scan's findings.json beside the other's snapshot (remediate: "findings are from scan X but
    the snapshot is scan Y", exit 2). They read under the commit lock and wait for the set."""
    from scanner.cli import main

    night1, night2 = _scan_snapshots(tmp_path)
    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(night1), "--out", str(out), "--format", "json",
                 "-q"]) in (0, 1)
    a = subprocess.Popen([sys.executable, "-c", SLOW_SCAN, str(night2), str(out), "2.0"],
                         env=dict(os.environ, PYTHONPATH=ROOT), cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (tmp_path / "paused").exists():
        assert a.poll() is None, a.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.02)
    capsys.readouterr()
    args = {"access": ["access", "--in", str(out), "--format", "json"],
            "remediate": ["remediate", "--in", str(out), "--plan-out",
                          str(tmp_path / "plan.json")],
            # left alone last session: export read findings.json and the snapshot beside it
            # with no lock ("not the same scan", exit 2); it reads them under the lock too,
            # and holds it only while the payload is built
            "export": ["export", "securityhub", "--findings", str(out / "findings.json"),
                       "--dry-run", "-q"]}[command]
    code = main(args)
    err = capsys.readouterr().err
    _, a_err = a.communicate(timeout=60)
    assert a.returncode in (0, 1), a_err
    assert code == 0, err
    assert "not the same scan" not in err and "but the snapshot is scan" not in err


def test_a_staging_folder_that_cannot_be_marked_is_a_clear_error_and_goes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Review of the session's change: the marker's write failure was passed over, leaving a
    folder no later scan would ever recover. It is one clear error, and the folder goes."""
    from scanner.errors import OutputError
    from scanner.output_set import STAGING_MARKER, OutputSet

    real = Path.write_text

    def refuse(self: Path, *args: Any, **kwargs: Any) -> int:
        if self.name == STAGING_MARKER:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", refuse)
    out = tmp_path / "out"
    with pytest.raises(OutputError, match="cannot write .*" + STAGING_MARKER):
        with OutputSet(out):
            pass
    assert [p.name for p in tmp_path.iterdir() if ".staging-" in p.name] == []
