"""New-user trial round 21: what a newcomer saw at 80 columns, or in a message, that was
repeated, unwrapped or said the wrong way round."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.cli import main
from scanner.model import CoverageEntry
from scanner.snapshot_io import write_snapshot

CENTRAL = "111111111111"


def _gaps(*regions: str) -> tuple[CoverageEntry, ...]:
    """One denied GetResourcePolicy per secret: the same account x Region x call for each
    secret of a Region (as a scan without secretsmanager:GetResourcePolicy records them)."""
    return tuple(CoverageEntry(account_id=CENTRAL, region=region, service="secretsmanager",
                               operation="GetResourcePolicy", error_code="AccessDeniedException",
                               error_kind="denied", message="not authorized",
                               resource_arn=f"arn:aws:secretsmanager:{region}:{CENTRAL}:secret:"
                                            f"app/s{i}-AbCdEf")
                 for i, region in enumerate(regions))


def _partial(tmp_path: Path, gaps: tuple[CoverageEntry, ...]) -> Path:
    path = tmp_path / "partial.json.gz"
    write_snapshot(path, replace(estate(secret_policy=None), coverage=gaps))
    return path


def test_quiet_names_a_gap_repeated_per_secret_once_with_its_count(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan -q` of an audit role without secretsmanager:GetResourcePolicy (22 secrets, two
    Regions): the warning named '007659653593 us-east-1 secretsmanager:GetResourcePolicy
    AccessDeniedException' three times over, then 'and 19 more' -- the same gap, once per
    secret, and the us-west-2 one never said (round 20 left it open). The gaps alike are one
    entry with how many calls they are."""
    partial = _partial(tmp_path, _gaps(*["us-east-1"] * 20, "us-west-2", "us-west-2"))
    assert main(["scan", "--snapshot", str(partial), "--out", str(tmp_path / "b"), "-q"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        f"warning: scan INCOMPLETE: 22 coverage gap(s) ({CENTRAL} us-east-1 "
        "secretsmanager:GetResourcePolicy AccessDeniedException, 20 calls; "
        f"{CENTRAL} us-west-2 secretsmanager:GetResourcePolicy AccessDeniedException, 2 calls); "
        "what they hide is UNKNOWN, never PASS (findings.json coverage lists them)"]


def test_quiet_counts_the_gaps_left_unnamed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Past the first three entries, 'and N more' counts the gaps not named, not the
    entries."""
    regions = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "us-west-2", "eu-west-1")
    partial = _partial(tmp_path, _gaps(*regions))
    assert main(["scan", "--snapshot", str(partial), "--out", str(tmp_path / "b"), "-q"]) == 3
    err = capsys.readouterr().err
    assert "; and 3 more); what they hide" in err
    assert err.count("secretsmanager:GetResourcePolicy") == 3


def test_quiet_warning_fits_an_80_column_terminal(tmp_path: Path) -> None:
    """The -q warning was one 300-character line in an 80-column terminal; it is broken
    between words there (whole in a file or a pipe, as above)."""
    partial = _partial(tmp_path, _gaps("us-east-1", "us-east-1", "us-west-2"))
    run = run_in_tty(["scan", "--snapshot", str(partial), "--out", str(tmp_path / "b"), "-q"],
                     cols=80, timeout=120)
    assert run.exit_code == 3, run.text
    lines = [line for line in run.text.splitlines() if line.strip()]
    assert lines[0].startswith("warning: scan INCOMPLETE: 3 coverage gap(s)"), run.text
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines), run.text
    said = " ".join(line.strip() for line in lines)
    assert "us-east-1 secretsmanager:GetResourcePolicy AccessDeniedException, 2 calls" in said


def _public_and_not_principal(tmp_path: Path) -> Path:
    """A secret whose policy has an Allow with NotPrincipal and a public Allow under a
    condition (aws:SourceIp), in a scan's --out folder."""
    from helpers.access_estate import (APP_ROLE, MEMBER, OTHER_ROLE, allow_read_identity,
                                       key_policy_for, role, text)

    policy = text({"Sid": "AllButOther", "Effect": "Allow", "NotPrincipal": {"AWS": OTHER_ROLE},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"},
                  {"Sid": "FromOffice", "Effect": "Allow", "Principal": "*",
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                   "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})
    out = tmp_path / "scan"
    out.mkdir()
    write_snapshot(out / "snapshot.json.gz",
                   estate(secret_policy=policy, key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                          principals=(role(APP_ROLE, allow_read_identity()),
                                      role(OTHER_ROLE, allow_read_identity()))))
    return out


def test_an_unintended_grant_under_a_condition_says_only_if_not_unless(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`access`: a public Allow that holds only under aws:SourceIp read 'unintended: * [public]
    in statement 1 (FromOffice) (unless: aws:sourceip)' -- the condition said the wrong way
    round: the grant applies only if it holds, as the gates' reasons say ('Allow applies only
    if: aws:sourceip'). Round 20 left it open."""
    out = _public_and_not_principal(tmp_path)
    assert main(["access", "--in", str(out), "--why"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "unintended: * [public] in statement 1 (FromOffice) (only if: aws:sourceip)" in text
    assert "unless" not in text


def test_the_allow_with_not_principal_reason_reads_as_a_condition(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`access --why`: the reason an Allow with NotPrincipal leaves a reader CONDITIONAL is
    printed after 'Allow applies only if:', '? unresolved:' and the notes' 'if:'; it read
    'Allow applies only if: Allow with NotPrincipal is not supported (IAM User Guide,
    NotPrincipal: "Using it with "Effect":"Allow" is not supported"): whether it grants is not
    documented' -- not a condition, 'not supported' twice, quotes inside quotes. Round 20 left
    it open. Now it is the condition the read depends on, with where AWS says so."""
    from scanner.policy.principals import ALLOW_NOT_PRINCIPAL

    out = _public_and_not_principal(tmp_path)
    assert main(["access", "--in", str(out), "--why", "--principal", "ApplicationRole"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"statement 0 (AllButOther) Allow applies only if: {ALLOW_NOT_PRINCIPAL}" in text
    assert ALLOW_NOT_PRINCIPAL.startswith("AWS honours this Allow with NotPrincipal")
    assert ALLOW_NOT_PRINCIPAL.count("not supported") == 1 and '"' not in ALLOW_NOT_PRINCIPAL
    assert "IAM User Guide, NotPrincipal" in ALLOW_NOT_PRINCIPAL


def test_a_log_warning_fits_an_80_column_terminal(tmp_path: Path) -> None:
    """Log warnings were printed as one line however wide the terminal ('WARNING
    scanner.output_set: --out ...: waiting for another process (pid ...) to finish writing its
    reports into it (its lock ... is held; up to 30 s)', 200 columns at 80). In a terminal
    they are broken between words, as the rest of the output (round 20 left it open)."""
    import fcntl
    import threading

    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    out = tmp_path / "out"
    lock = open(tmp_path / f".{out.name}.lock", "a+", encoding="utf-8")
    fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
    done = threading.Event()

    def release() -> None:
        """Once the scan writes its reports (its staging folder beside --out: the lock is
        asked for when they move in), a while later: closing the file releases the lock."""
        import time

        deadline = time.monotonic() + 90
        while not list(tmp_path.glob(".out.staging-*")) and time.monotonic() < deadline \
                and not done.is_set():
            time.sleep(0.05)
        done.wait(5.0)
        lock.close()

    releaser = threading.Thread(target=release, daemon=True)
    releaser.start()
    try:
        run = run_in_tty(["scan", "--snapshot", str(snapshot), "--out", str(out),
                          "--format", "json"], cols=80, timeout=120)
    finally:
        done.set()
        releaser.join()
    assert run.exit_code in (0, 1), run.text
    lines = run.shown.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("WARNING "))
    said = " ".join(line.strip() for line in lines[at:at + 6])
    assert "waiting for another process" in said, run.text
    end = next(i for i, line in enumerate(lines) if line.startswith("scan complete"))
    warning = lines[at:end]
    # continuation lines indented (a word as wide as the line moves left to fit: fit_line)
    assert len(warning) > 2 and all(line.startswith(" ") for line in warning[1:]), run.text
    # a word wider than the line (a path) is left whole, on a line of its own
    assert all(len(line) <= 80 or " " not in line.strip() for line in warning), run.text


def test_a_log_warning_in_a_file_stays_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Not in a terminal (a file, a pipe, a log collector): one line per warning, to grep."""
    import logging

    from scanner.logging_setup import configure

    configure(level=logging.WARNING)
    try:
        logging.getLogger("scanner.test").warning("word " * 40)
    finally:
        configure(level=logging.WARNING)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("WARNING scanner.test: word word")


def test_a_tab_in_a_yaml_file_is_named_as_a_tab(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A config indented with a tab (an editor's default) was refused with PyYAML's words,
    "found character '\\t' that cannot start any token": the line, but not what to do. The
    error now says YAML indents with spaces."""
    config = tmp_path / "secretgraph.yaml"
    config.write_text("required_replica_regions:\n\t- us-west-2\n", encoding="utf-8")
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    assert main(["scan", "--snapshot", str(snapshot), "--config", str(config),
                 "--out", str(tmp_path / "out")]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{config}: not valid YAML (line 2): a tab character" in err, err
    assert "YAML indents with spaces" in err
    assert "Traceback" not in err


def test_a_mistyped_predicate_names_the_closest_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`rules validate` on a rule whose predicate is mistyped (line 36 of a copy of
    secret-rotation-overdue: rotation_schedule_too_lng) listed all 19 predicates and no
    closest one, where a mistyped attribute or operator names it ('closest: ...')."""
    source = Path(__file__).resolve().parents[2] / "rules" / "secret-rotation-overdue.yaml"
    rule = tmp_path / "my-rotation-check.yaml"
    rule.write_text(source.read_text(encoding="utf-8")
                    .replace("id: secret-rotation-overdue", "id: my-rotation-check")
                    .replace("predicate: rotation_schedule_too_long",
                             "predicate: rotation_schedule_too_lng"), encoding="utf-8")
    assert main(["rules", "validate", str(rule)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown predicate 'rotation_schedule_too_lng'; closest: " \
           "rotation_schedule_too_long" in err, err
    assert "fail_when.any[3].predicate" in err


def test_the_not_assessed_table_lists_a_gap_once_with_its_calls(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The scan's table under NOT ASSESSED had one row per coverage entry: an audit role
    without secretsmanager:GetResourcePolicy gave 22 identical rows (the secret each was
    for is not a column). The gaps alike are one row, with how many calls they are."""
    monkeypatch.setenv("COLUMNS", "100")
    partial = _partial(tmp_path, _gaps(*["us-east-1"] * 20, "us-west-2", "us-west-2"))
    assert main(["scan", "--snapshot", str(partial), "--out", str(tmp_path / "b"),
                 "--format", "table"]) == 3
    out = capsys.readouterr().out
    table = out[out.index("NOT ASSESSED: 22 account x region x calls"):].split("\n\n")[0]
    rows = [line for line in table.splitlines() if line.startswith(CENTRAL)]
    assert len(rows) == 2, table
    assert "us-east-1" in rows[0] and "GetResourcePolicy" in rows[0], table
    assert "us-west-2" in rows[1] and "GetResourcePolicy" in rows[1], table
    lines = table.splitlines()
    assert "(20 calls)" in lines[lines.index(rows[0]) + 1], table
    assert "(2 calls)" in lines[lines.index(rows[1]) + 1], table


def test_access_of_a_secret_by_name_says_its_replicas_are_not_listed(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`access --in out/demo --secret demo/misconfig/broken-access --why` (the demo's own
    suggestion) showed the us-east-1 primary only, and nothing said that its us-west-2
    replica -- broken too, a finding of its own -- exists: the name alone is the primary
    (docs/access.md), and the note that lists replicas was left out for one secret. It is
    said now, with how to see each; naming a Region or an ARN shows that copy alone."""
    from helpers.access_estate import replica_estate

    out = tmp_path / "scan"
    out.mkdir()
    write_snapshot(out / "snapshot.json.gz", replica_estate())
    assert main(["access", "--in", str(out), "--secret", "app/db"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "replica(s) of this secret not listed: eu-west-1 (--region R shows one)" in text, text
    assert main(["access", "--in", str(out), "--secret", "app/db", "--region", "eu-west-1"]) == 0
    assert "not listed" not in capsys.readouterr().out
    assert main(["access", "--in", str(out), "--secret", "app/db", "--format", "json"]) == 0
    assert "not listed" not in capsys.readouterr().out


def test_report_in_a_file_or_an_empty_folder_says_what_in_wants(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`report --in out/demo/findings.json` said 'error: out/demo/findings.json: not a
    directory', and `report --in empty/` 'error: empty/findings.json: file not found': neither
    named --in nor said what it takes, where `access --in` says both ('--in X: not a folder
    (pass a scan's --out)'). report says it as access does."""
    empty = tmp_path / "empty"
    empty.mkdir()
    findings = tmp_path / "findings.json"
    findings.write_text("{}", encoding="utf-8")
    assert main(["report", "--in", str(findings)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"error: --in {findings}: not a folder (pass a scan's --out)" in err, err
    assert main(["report", "--in", str(empty)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"error: --in {empty}: no findings.json in this folder (pass the --out folder of " \
           "a scan)" in err, err
    assert main(["report", "--in", str(tmp_path / "missing")]) == 2
    assert f"error: --in {tmp_path / 'missing'}: no such folder" in capsys.readouterr().err


class _Held:
    """An object whose finalizer runs when it is dropped."""


def _signal_inside_a_finalizer(signum: int) -> None:
    """Drop an object whose weakref.finalize callback receives ``signum``: its handler runs
    inside the finalizer, as Ctrl-C did when it came while the garbage collector ran one
    during a scan."""
    import os
    import time
    import weakref

    held = _Held()

    def finalizer() -> None:
        os.kill(os.getpid(), signum)
        time.sleep(0.01)  # the handler runs here, inside the finalizer

    weakref.finalize(held, finalizer)
    del held


def test_ctrl_c_inside_a_finalizer_still_stops_the_command(
        capfd: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C about a second into the demo's scan was lost: the demo ran on, wrote its
    reports and exited 0. The KeyboardInterrupt was raised inside a weakref.finalize callback
    the garbage collector ran (botocore loading a service model), where Python prints
    'Exception ignored in: <finalize object ...> ... KeyboardInterrupt' and drops it. The
    commands' handler raises it after the finalizer instead."""
    import signal
    import time

    from scanner.cli import _interrupt_handlers

    with _interrupt_handlers([]):
        with pytest.raises(KeyboardInterrupt):
            _signal_inside_a_finalizer(signal.SIGINT)
            time.sleep(2)  # raised here, in the command's own code
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert "Exception ignored" not in capfd.readouterr().err


def test_sigterm_inside_a_finalizer_still_stops_the_command(
        capfd: pytest.CaptureFixture[str]) -> None:
    """SIGTERM alike: raised in a finalizer it was dropped, and the handler, which stops
    once, had already recorded it -- every later SIGTERM was ignored, the command ran on."""
    import signal
    import time

    from scanner.cli import _interrupt_handlers
    from scanner.errors import Terminated

    before = signal.getsignal(signal.SIGTERM)
    terminated: list[int] = []
    with _interrupt_handlers(terminated):
        with pytest.raises(Terminated):
            _signal_inside_a_finalizer(signal.SIGTERM)
            time.sleep(2)
    assert terminated == [signal.SIGTERM]
    assert signal.getsignal(signal.SIGTERM) is before
    assert "Exception ignored" not in capfd.readouterr().err


def test_a_signal_to_be_sent_again_is_dropped_once_the_command_is_over(
        capfd: pytest.CaptureFixture[str]) -> None:
    """A signal that came in a finalizer is sent again 50 ms later; a command that ends
    within those 50 ms put Python's handler back, and the signal sent again raised
    KeyboardInterrupt after the command had returned (new-user trial round 22's doubt). The
    command is over: it is not sent."""
    import signal
    import time

    from scanner.cli import _interrupt_handlers

    with _interrupt_handlers([]) as handlers:
        _signal_inside_a_finalizer(signal.SIGINT)
        assert len(handlers.pending) == 1  # to be sent again, not yet
    time.sleep(0.3)  # no KeyboardInterrupt here
    assert not handlers.pending
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    assert "Exception ignored" not in capfd.readouterr().err
