"""SIGTERM (systemd stopping the nightly unit, `timeout`, `kill`) stops a scan as cleanly as
Ctrl-C: one line, no traceback, no temporary folder left, the outputs and the history as they
were; exit 143 (128 + SIGTERM)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from e2e.test_scan_cli import ROLE, seed
from helpers.interrupt import signal_while_working, start

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("out_exists", [False, True])
def test_sigterm_mid_scan_exits_143_and_leaves_nothing_behind(
        moto_endpoint: str, tmp_path: Path, out_exists: bool) -> None:
    seed(moto_endpoint)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    work = tmp_path / "work"
    work.mkdir()
    out = work / "out"
    if out_exists:  # last night's reports
        out.mkdir()
        (out / "findings.json").write_text("last night", encoding="utf-8")
    history = work / "h.db"
    proc = start(["scan", "--org", "--role-name", ROLE,
                  "--regions", "us-east-1,us-west-2,eu-west-1,eu-central-1,ap-south-1",
                  "--max-workers", "1", "--endpoint-url", moto_endpoint, "--out", str(out),
                  "--format", "json,html", "--history", str(history)], tmp)
    stdout, stderr = signal_while_working(proc, tmp, "secretgraph-collect-*", signal.SIGTERM)
    assert proc.returncode == 143, stderr
    said = "is as it was" if out_exists else "was not created"
    assert stderr.strip().splitlines() == [
        f"secretgraph scan: terminated; nothing was written ({out} {said})"]
    if out_exists:
        assert [p.name for p in out.iterdir()] == ["findings.json"]
        assert (out / "findings.json").read_text(encoding="utf-8") == "last night"
    else:
        assert not out.exists()
    assert stdout == ""
    assert list(tmp.iterdir()) == []  # the collection folder was removed
    # no staging folder
    assert [p.name for p in work.iterdir() if p.name not in ("h.db", "out")] == []
    if history.exists():
        from scanner.history import open_store

        assert open_store(str(history)).list() == []


def test_a_scan_started_with_sigint_ignored_keeps_ignoring_it(
        moto_endpoint: str, tmp_path: Path) -> None:
    """A ``&`` background job of a script (its shell starts it with SIGINT ignored): SIGINT
    is not meant for the scan. Sent over and over while it runs, it changes nothing: the scan
    completes and writes its reports. (The block that holds SIGINT back while outputs are
    promoted is checked on its own below: a signal rarely lands in it here.)"""
    seed(moto_endpoint)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "scanner", "scan", "--org", "--role-name", ROLE,
         "--regions", "us-east-1,us-west-2", "--max-workers", "1",
         "--endpoint-url", moto_endpoint, "--out", str(out), "--format", "json,html", "-q"],
        env=dict(os.environ, TMPDIR=str(tmp)), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    deadline = time.monotonic() + 120
    sent = 0
    while proc.poll() is None:
        assert time.monotonic() < deadline
        if list(tmp.glob("secretgraph-collect-*")) or sent:
            proc.send_signal(signal.SIGINT)
            sent += 1
        time.sleep(0.02)
    stdout, stderr = proc.communicate(timeout=60)
    assert sent > 0, "the scan was running when SIGINT was sent"
    assert proc.returncode in (0, 1), stderr
    assert "interrupted" not in stderr and "Traceback" not in stderr
    assert (out / "findings.json").is_file() and (out / "report.html").is_file()


def test_the_block_that_holds_sigint_back_raises_it_after_but_leaves_an_ignored_one_ignored(
) -> None:
    from scanner.output_set import deferred_interrupt

    before = signal.getsignal(signal.SIGINT)
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        with pytest.raises(KeyboardInterrupt):
            with deferred_interrupt():
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(0.05)  # held back: the block goes on
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with deferred_interrupt():
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.05)
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)


def test_ctrl_c_after_the_outputs_are_in_place_says_they_were_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Interrupted while the terminal table is printed (the reports already promoted), the
    scan says where they are instead of a bare "interrupted"."""
    import reports.table
    from helpers.bench_synth import synth_snapshot

    from scanner.errors import Interrupted
    from scanner.pipeline import ScanOptions, run_scan
    from scanner.snapshot_io import write_snapshot

    snapshot = tmp_path / "snap.json.gz"
    write_snapshot(snapshot, synth_snapshot(3, 4, 2))

    def interrupted(*args: object, **kwargs: object) -> str:
        raise KeyboardInterrupt

    monkeypatch.setattr(reports.table, "render_table", interrupted)
    out = tmp_path / "out"
    with pytest.raises(Interrupted) as caught:
        run_scan(ScanOptions(snapshot_in=snapshot, out_dir=out, formats=("table", "json")))
    assert caught.value.message == f"interrupted; the reports were written to {out}"
    assert (out / "findings.json").is_file()


def test_ctrl_c_after_the_scan_finished_says_so(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Interrupted once the scan has returned (freeing a large scan takes seconds): exit 130,
    saying the scan finished and where its reports are, not a bare "interrupted"."""
    import scanner.commands.scan
    from scanner.cli import main

    class Finished:
        api_calls: dict[str, int] = {}

        @property
        def exit_code(self) -> int:
            raise KeyboardInterrupt

    monkeypatch.setattr(scanner.commands.scan, "run_scan", lambda *a, **k: Finished())
    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(tmp_path / "s.json.gz"), "--out", str(out)]) == 130
    assert capsys.readouterr().err.strip().endswith(
        f"secretgraph scan: interrupted after the scan finished; its reports are in {out}")


@pytest.mark.parametrize("sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_collect_of_a_shard_interrupted_leaves_no_collected_data_behind(
        moto_endpoint: str, tmp_path: Path, sig: signal.Signals, code: int) -> None:
    """A new user's trial: Ctrl-C during `collect --shard` left the collected estate in
    $TMPDIR (the folder was removed before the workers stopped), once with exit 2."""
    seed(moto_endpoint)
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    parts = tmp_path / "parts"
    proc = start(["collect", "--org", "--role-name", ROLE,
                  "--regions", "us-east-1,us-west-2,eu-west-1,eu-central-1,ap-south-1",
                  "--max-workers", "2", "--endpoint-url", moto_endpoint, "--shard", "1/1",
                  "--run-id", "r1", "--parts", str(parts)], tmp)
    _, stderr = signal_while_working(proc, tmp, "secretgraph-shard-*", sig)
    assert proc.returncode == code, stderr
    assert "Traceback" not in stderr and len(stderr.strip().splitlines()) == 1, stderr
    assert list(tmp.iterdir()) == []  # nothing collected is left in the temporary folder
    assert not parts.exists() or not list(parts.rglob("*manifest*"))


@pytest.mark.parametrize("sig,code,said", [(signal.SIGTERM, 143, "terminated"),
                                           (signal.SIGINT, 130, "interrupted")])
def test_a_signal_while_the_reports_move_into_out_leaves_last_nights_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        sig: signal.Signals, code: int, said: str) -> None:
    """Fault-injection trial round 4 (repro sigterm_commit.py): SIGTERM arriving while `scan`
    moved its staged reports into --out raised mid-move: two scans' files were left mixed,
    last night's versions deleted with the staging folder, and the line said "nothing was
    written (out is as it was)". Both signals are held back until the moves are done, then
    the moves are undone: --out holds last night's set, as the line says."""
    from helpers.access_estate import OUTSIDER, estate, secret_policy_for

    import scanner.output_set
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    night1, night2 = tmp_path / "night1.json.gz", tmp_path / "night2.json.gz"
    write_snapshot(night1, estate(secret_policy=None))
    write_snapshot(night2, estate(secret_policy=secret_policy_for(f"arn:aws:iam::{OUTSIDER}:root")))
    out = tmp_path / "out"
    argv = ["scan", "--format", "json,html,csv,junit", "--out", str(out), "-q"]
    assert main([argv[0], "--snapshot", str(night1), *argv[1:]]) in (0, 1)
    last_night = {p.name: p.read_bytes() for p in out.iterdir()}
    real_replace = os.replace
    moved: list[str] = []

    def replace(src: object, dst: object) -> None:
        real_replace(src, dst)  # type: ignore[arg-type]
        if Path(str(dst)).parent == out:  # a staged file moved into --out
            moved.append(Path(str(dst)).name)
            if len(moved) == 2:  # as if the signal arrived at that moment
                os.kill(os.getpid(), sig)

    monkeypatch.setattr(scanner.output_set.os, "replace", replace)
    capsys.readouterr()
    before = signal.getsignal(signal.SIGTERM)
    try:
        assert main([argv[0], "--snapshot", str(night2), *argv[1:]]) == code
    finally:
        signal.signal(signal.SIGTERM, before)
    assert len(moved) >= 2, "the signal came during the moves"
    assert capsys.readouterr().err.strip().splitlines() == [
        f"secretgraph scan: {said}; nothing was written ({out} is as it was)"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == last_night
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_a_signal_while_the_reports_move_puts_back_the_files_the_new_set_lacks(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Fault-injection trial round 4, the last step of the moves: the previous set's files the
    new one does not have (last night's findings.csv, tonight json only) are put back too when
    a stop undoes the moves; without one, they are removed."""
    import scanner.output_set
    from scanner.output_set import MANIFEST, OutputSet

    out = tmp_path / "out"
    out.mkdir()
    # last night's set (a scan always writes its snapshot: the folder is a scan's)
    for name in ("findings.json", "findings.csv", "snapshot.json.gz"):
        (out / name).write_text(f"old {name}", encoding="utf-8")
    real_replace = os.replace

    def replace(src: object, dst: object) -> None:
        real_replace(src, dst)  # type: ignore[arg-type]
        if str(src).endswith("out/findings.csv"):  # the stale file set aside
            os.kill(os.getpid(), signal.SIGINT)

    before = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            with OutputSet(out) as outputs:
                (outputs.staging / "findings.json").write_text("new", encoding="utf-8")
                monkeypatch.setattr(scanner.output_set.os, "replace", replace)
                outputs.commit()
        assert outputs.written == []
    finally:
        signal.signal(signal.SIGINT, before)
    monkeypatch.setattr(scanner.output_set.os, "replace", real_replace)
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {
        "findings.json": "old findings.json", "findings.csv": "old findings.csv",
        "snapshot.json.gz": "old snapshot.json.gz"}
    with OutputSet(out) as outputs:
        (outputs.staging / "findings.json").write_text("new", encoding="utf-8")
        assert outputs.commit() == [out / "findings.json"]
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()
            if p.name != MANIFEST} == {"findings.json": "new"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


@pytest.mark.parametrize("second", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_command_stops_does_not_interrupt_its_clean_up(
        second: signal.Signals) -> None:
    """Ctrl-C, then Ctrl-C (or a SIGTERM) again while the command removes its working
    folders: the second raised KeyboardInterrupt inside that clean-up, which stopped half done
    (fault-injection trial round 20). The stop under way goes on; the signal is not raised."""
    import os
    import time

    from scanner.cli import _interrupt_handlers

    cleaned = False
    terminated: list[int] = []
    with _interrupt_handlers(terminated):
        with pytest.raises(KeyboardInterrupt):
            try:
                os.kill(os.getpid(), signal.SIGINT)
                time.sleep(2)  # raised here, in the command's own code
            finally:
                os.kill(os.getpid(), second)  # pressed again during the clean-up
                time.sleep(0.1)
                cleaned = True
    assert cleaned
    assert terminated == []  # still the Ctrl-C's stop: 130, "interrupted"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
