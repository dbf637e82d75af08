"""`secretgraph demo` as a first-time user runs it: in an 80-column terminal, pressing Ctrl-C
while it scans, or with -q in a script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.tty import run_in_tty


def test_on_a_terminal_the_demo_says_what_it_builds_shows_progress_and_stops_on_ctrl_c(
        tmp_path: Path) -> None:
    out = tmp_path / "demo"
    run = run_in_tty(["demo", "--out", str(out)], ctrl_c_when=r"collect +\d+/\d+",
                     timeout=240)
    text = run.text
    assert run.interrupted, text
    # the first thing on the screen says what is being built (seeding takes a while)
    assert text.lstrip().startswith("demo: starting moto on 127.0.0.1 and building the demo "
                                    "organization"), text
    assert "seeded 5 accounts" in text
    assert run.exit_code == 130, text
    assert "Traceback" not in text
    assert run.last_message("secretgraph demo:") == \
        f"secretgraph demo: interrupted; nothing was written ({out} was not created)"
    assert not out.exists()


def test_ctrl_c_while_the_estate_is_built_says_that_nothing_was_written(
        tmp_path: Path) -> None:
    """New-user trial round 26: Ctrl-C during the first seconds (moto started, the estate
    being built) ended with "secretgraph demo: interrupted" alone, where a stop during the scan
    says what was written (README: exit 130, "the message says what was written")."""
    out = tmp_path / "demo"
    run = run_in_tty(["demo", "--out", str(out)], ctrl_c_when=r"building the demo organization",
                     timeout=240)
    assert run.interrupted, run.text
    assert run.exit_code == 130, run.text
    assert "Traceback" not in run.text
    said = " ".join(run.text.replace("^C", "\n").split("secretgraph demo:")[-1].split())
    assert said == ("interrupted while building the demo estate; nothing was written "
                    f"({out} was not created)")
    assert not out.exists()


def test_demo_quiet_prints_nothing_when_the_scan_matches(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    proc = subprocess.run([sys.executable, "-m", "scanner", "demo", "-q", "--out", str(out)],
                          capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == ""
    assert (out / "findings.json").is_file() and (out / "report.html").is_file()


def test_next_steps_rescan_with_the_demo_config_and_offer_the_live_estate_only_once() -> None:
    """A new user re-scanned the demo's snapshot as suggested and lost two findings: the
    required replica Regions are in the demo's config, which the hint did not name. Under
    --keep-running the hint offered `demo --keep-running` again."""
    from types import SimpleNamespace

    from scanner.commands.demo import next_steps
    from scanner.demo.run import CONFIG

    result = SimpleNamespace(analysis=SimpleNamespace(access=SimpleNamespace(secrets={}),
                                                      findings=[]))
    text = next_steps(result, Path("out/demo"))  # type: ignore[arg-type]
    assert f"secretgraph scan --snapshot out/demo/snapshot.json.gz --config {CONFIG}" in text
    assert "demo --keep-running" in text
    live = next_steps(result, Path("out/demo"), keep_running=True)  # type: ignore[arg-type]
    assert "demo --keep-running" not in live and f"--config {CONFIG}" in live


def test_next_steps_are_commands_as_typed_each_on_a_line_of_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user's trial: at 80 columns the commands were wrapped (pasted, the first line
    lost its arguments), and `secretgraph` was not on the PATH after `make demo`."""
    import os
    from types import SimpleNamespace

    from scanner.commands import demo

    result = SimpleNamespace(analysis=SimpleNamespace(access=SimpleNamespace(secrets={}),
                                                      findings=[]))
    text = demo.next_steps(result, Path("out/demo"), prog=".venv/bin/secretgraph")  # type: ignore[arg-type]
    commands = [x.strip() for x in text.splitlines() if x.startswith("    ")]
    assert len(commands) >= 4
    assert all(c.startswith((".venv/bin/secretgraph ", "file://")) for c in commands), commands
    monkeypatch.setattr("shutil.which", lambda name: None)
    shown = demo.program()
    assert shown.endswith("secretgraph") and os.access(shown, os.X_OK)


def test_demo_port_is_free_again_right_after_an_earlier_demo_on_it_stopped() -> None:
    """A server that closed its connections first leaves them in TIME_WAIT for a minute; moto
    binds its port with SO_REUSEADDR (werkzeug) and may take it, but --port's probe bound
    without it and said "port 6391 on 127.0.0.1 is not free (Address already in use)" for a
    minute after the earlier demo on that port stopped (fault-injection trial round 12)."""
    import socket

    from scanner.commands.demo import _port

    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        conn, _ = listener.accept()
        conn.close()  # the server's side closes first: its end waits in TIME_WAIT
        client.recv(1)
        client.close()
    assert _port(str(port)) == port
    with socket.socket() as busy:  # a port in use is still refused
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(Exception, match="is not free"):
            _port(str(busy.getsockname()[1]))
