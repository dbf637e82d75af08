"""A new user's trial (16): what a first-time user met on the command line, pinned."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main


@pytest.mark.parametrize("flag,value,words", [
    ("--max-workers", "0", "--max-workers must be at least 1, not 0"),
    ("--max-workers", "-3", "--max-workers must be at least 1, not -3"),
    ("--policy-tps", "0", "--policy-tps must be a positive number"),
    ("--policy-tps", "nan", "--policy-tps must be a positive number"),
])
def test_a_bad_collection_flag_is_refused_with_a_snapshot_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, value: str,
        words: str) -> None:
    """`scan --snapshot S --max-workers 0` was accepted (and ignored); the same nightly command
    line without --snapshot then stopped. A bad value is refused either way, before anything
    is read or written."""
    code = main(["scan", "--snapshot", str(tmp_path / "missing.json.gz"), flag, value,
                 "--out", str(tmp_path / "out"), "-q"])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line.startswith(f"secretgraph scan: error: {words}")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("argv,prefix", [
    (["history", "prune", "--keep", "1", "--yes"], "secretgraph history prune: error: "),
    (["history", "list"], "secretgraph history list: error: "),
    (["history"], "secretgraph history: error: "),  # no ACTION: list, named as typed
    (["rules", "validate", "MISSING"], "secretgraph rules validate: error: "),
])
def test_an_error_names_the_command_as_its_usage_does(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
        prefix: str) -> None:
    """`history prune` on a file that is no history said `secretgraph history: error: ...`
    while a bad flag of the same command said `secretgraph history prune: error: ...`."""
    junk = tmp_path / "junk.db"
    junk.write_text("not a database\n", encoding="utf-8")
    argv = [str(tmp_path / "missing") if a == "MISSING" else a for a in argv]
    if argv[0] == "history":
        argv += ["--history", str(junk)]
    code = main(argv)
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line.startswith(prefix), line


def test_an_impossible_date_names_its_field_in_any_yaml_file(tmp_path: Path) -> None:
    """An unquoted impossible date named the line only ('not valid YAML (line 4)'), while the
    same date quoted named the field: both now name the field, and the line. The first
    one by line is named, in a list too. (A date as a key is refused as a key YAML reads as
    no text: tests/engine/test_schema_pattern_words.py.)"""
    from scanner.errors import InputError
    from scanner.yamlio import read_yaml

    path = tmp_path / "secretgraph.yaml"
    path.write_text("ok: 2027-02-28\nlists:\n  - [2027-01-01, 2027-02-30]\n"
                    "later: 2027-02-31\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_yaml(path, "config")
    assert info.value.path == str(path)
    assert info.value.field == "lists[0][1]"
    assert info.value.detail == ("'2027-02-30' is not a valid date (day is out of range for "
                                 "month) (line 3)")


@pytest.mark.parametrize("data,words", [
    ("emit_pass: true\n".encode("utf-16"),  # PowerShell's `>`, Notepad's "Unicode"
     "cannot read config: the file is UTF-16 text; secretgraph reads UTF-8: save it as UTF-8"),
    ("emit_pass: true\n".encode("utf-32"),
     "cannot read config: the file is UTF-32 text; secretgraph reads UTF-8: save it as UTF-8"),
    ("emit_pass: true\n".encode("utf-16-le"),  # no byte-order mark: was an internal error
     "cannot read config: the file holds NUL bytes (UTF-16 or UTF-32 text, or not a text "
     "file); secretgraph reads UTF-8: save it as UTF-8"),
    ("emit_pass: true\n# café\n".encode("latin-1"),
     "cannot read config: not UTF-8 text: byte 0xe9 on line 2 is not UTF-8 (the file was "
     "saved in another encoding); save it as UTF-8"),
    (b"emit_pass: true\n# a\x07b\n",  # a control character: was an internal error
     "not valid YAML (line 2): character U+0007 is not allowed in YAML text"),
])
def test_a_config_not_in_utf8_says_what_it_is_and_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, words: str) -> None:
    """A UTF-16 config said "cannot read config: 'utf-8' codec can't decode byte 0xff in
    position 0: invalid start byte"."""
    config = tmp_path / "secretgraph.yaml"
    config.write_bytes(data)
    code = main(["scan", "--snapshot", str(tmp_path / "missing.json.gz"), "--config",
                 str(config), "--out", str(tmp_path / "out"), "-q"])
    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph scan: error: {config}: {words}"]


def test_a_utf8_byte_order_mark_is_read_as_utf8(tmp_path: Path) -> None:
    from scanner.yamlio import read_yaml

    config = tmp_path / "secretgraph.yaml"
    config.write_bytes(b"\xef\xbb\xbfemit_pass: true\n")
    assert read_yaml(config, "config") == {"emit_pass": True}


def test_carried_policies_are_told_as_tonights_only_when_collected_tonight() -> None:
    """An offline scan (`--snapshot`) said '21 secret policies carried from the last complete
    scan, not re-read (--full-refresh-days)': it read nothing and has no such flag's effect;
    the snapshot's collection did the carrying."""
    from dataclasses import replace
    from types import SimpleNamespace

    from helpers.access_estate import estate

    from scanner.scan_summary import summary_line

    snap = estate(secret_policy=None)
    snap = replace(snap, accounts=tuple(replace(a, regions=tuple(
        replace(r, secrets=tuple(replace(s, carried=("resource_policy",)) for s in r.secrets))
        for r in a.regions)) for a in snap.accounts))
    analysis = SimpleNamespace(document={"scan": {"complete": True}}, api_calls={},
                               snapshot=snap, exit_code=0)
    online = summary_line(analysis, Path("out"), [], 1.0)  # type: ignore[arg-type]
    offline = summary_line(analysis, Path("out"), [], 1.0,  # type: ignore[arg-type]
                           offline=True)
    assert "1 secret policy carried from the last complete scan, not re-read " \
        "(--full-refresh-days)" in online
    assert "1 secret policy of the snapshot carried, when it was collected, from the scan " \
        "before it, not re-read then" in offline
    assert "--full-refresh-days" not in offline


def test_quiet_still_warns_of_an_incomplete_scan_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan -q` of a night with coverage gaps printed nothing: exit 3 alone, where a nightly
    user needs to know what was not read. One warning line on stderr names the first gaps;
    a complete scan with -q prints nothing."""
    from dataclasses import replace

    from helpers.access_estate import estate

    from scanner.model import CoverageEntry
    from scanner.snapshot_io import write_snapshot

    snap = estate(secret_policy=None)
    whole = tmp_path / "whole.json.gz"
    write_snapshot(whole, snap)
    assert main(["scan", "--snapshot", str(whole), "--out", str(tmp_path / "a"), "-q"]) == 0
    assert capsys.readouterr() == ("", "")
    gaps = tuple(CoverageEntry(account_id=f"99999999999{i}", region="us-east-1",
                               service="secretsmanager", operation="ListSecrets",
                               error_code="AccessDenied", error_kind="denied", message="no")
                 for i in range(5))
    partial = tmp_path / "partial.json.gz"
    write_snapshot(partial, replace(snap, coverage=gaps))
    assert main(["scan", "--snapshot", str(partial), "--out", str(tmp_path / "b"), "-q"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "warning: scan INCOMPLETE: 5 coverage gap(s) (999999999990 us-east-1 "
        "secretsmanager:ListSecrets AccessDenied; 999999999991 us-east-1 "
        "secretsmanager:ListSecrets AccessDenied; 999999999992 us-east-1 "
        "secretsmanager:ListSecrets AccessDenied; and 2 more); what they hide is UNKNOWN, "
        "never PASS (findings.json coverage lists them)"]


def test_access_at_80_columns_breaks_a_long_arn_and_json_keeps_it_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`access` at 80 columns printed a 150-column secret ARN heading and principal lines of
    105; now no line is wider than the terminal, and the JSON (and a pipe) keep it whole."""
    import json
    from dataclasses import replace

    from helpers.access_estate import SECRET_ARN, estate
    from helpers.tty import run_in_tty

    from scanner.snapshot_io import write_snapshot

    snap = estate(secret_policy=None)
    name = "payments/production/very-long-application-name/database-credentials-primary"
    arn = SECRET_ARN.replace(":secret:app/db", f":secret:{name}")
    accounts = tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
        replace(s, arn=arn, name=name) if s.arn == SECRET_ARN else s for s in r.secrets))
        for r in a.regions)) for a in snap.accounts)
    write_snapshot(tmp_path / "snapshot.json.gz", replace(snap, accounts=accounts))
    run = run_in_tty(["access", "--in", str(tmp_path), "--secret", "payments/", "--why"],
                     cols=80, timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.text.splitlines()
    assert max(len(line) for line in lines) <= 80, run.text
    assert lines[:2] == ["arn:aws:secretsmanager:us-east-1:111111111111:secret:payments/"
                         "production/",
                         "    very-long-application-name/database-credentials-primary-AbCdEf"]
    assert main(["access", "--in", str(tmp_path), "--secret", "payments/"]) == 0
    assert capsys.readouterr().out.splitlines()[0] == arn  # a pipe: whole
    assert main(["access", "--in", str(tmp_path), "--secret", "payments/",
                 "--format", "json"]) == 0
    assert arn in json.dumps(json.loads(capsys.readouterr().out))


@pytest.mark.parametrize("command", ["scan", "report"])
def test_an_unknown_format_names_the_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str) -> None:
    """`--format table,xml` said "unknown report format 'xml' (...)" without naming --format,
    unlike every other flag's error."""
    argv = ["scan", "--snapshot", str(tmp_path / "s.json.gz"), "--out", str(tmp_path / "o")] \
        if command == "scan" else ["report", "--in", str(tmp_path)]
    assert main([*argv, "--format", "table,xml"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"secretgraph {command}: error: --format: unknown report format "
                           "'xml' (known: table, json,"), line


def test_a_bad_flag_on_a_terminal_is_broken_between_words(tmp_path: Path) -> None:
    """A mistyped flag's error line ran to 126 columns at 80 (argparse's, not through the
    CLI's error line); in a log it stays one line."""
    from helpers.tty import run_in_tty

    # a short value: a path wider than the terminal is left whole (it is not cut)
    run = run_in_tty(["scan", "--snapshto", "last-night.json.gz", "--regions", "us-east-1"],
                     cols=80, timeout=60, cwd=str(tmp_path))
    assert run.exit_code == 2
    lines = [line for line in run.text.splitlines() if line.strip()]
    assert len(lines) >= 2 and max(len(line) for line in lines) <= 80, run.text
    assert " ".join(line.strip() for line in lines).startswith(
        "secretgraph scan: error: unrecognized arguments: --snapshto")


def test_the_no_history_note_of_an_apply_fits_the_terminal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`remediate --apply` without a history store ended with a 190-column note at 80."""
    import argparse

    from scanner.commands import remediate

    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    monkeypatch.setattr(remediate, "stream_columns", lambda stream=None: 80)
    note = remediate._reread_hook(argparse.Namespace(history=None, quiet=False), "test")
    note(["a change"])
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) > 1 and max(len(line) for line in lines) <= 80
    assert " ".join(line.strip() for line in lines).startswith(
        "note: no history store (--history or $SECRETGRAPH_HISTORY): the changed resources "
        "are not marked for re-read")


@pytest.mark.parametrize("value,hint", [("HIHG", "; did you mean HIGH?"),
                                        ("critcal", "; did you mean CRITICAL?"),
                                        ("NON", "; did you mean NONE?"),
                                        ("SEVERE", "")])
def test_a_mistyped_severity_names_the_closest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, hint: str) -> None:
    """`--fail-on HIHG` listed the five severities and named none, where a mistyped flag,
    format or rule id names the closest; one too far from any names none. NONE is among the
    choices and the closest is named last (new-user trial 20: "...CRITICAL); did you mean
    CRITICAL?; or NONE (findings never give exit 1: reports only)", and 'NON' named none)."""
    code = main(["scan", "--snapshot", str(tmp_path / "missing.json.gz"), "--fail-on", value,
                 "--out", str(tmp_path / "out"), "-q"])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line.endswith(f"--fail-on: unknown severity {value!r} (expected one of "
                         "INFORMATIONAL, LOW, MEDIUM, HIGH, CRITICAL, or NONE: findings never "
                         "give exit 1)" + hint), line


def test_an_offline_verbose_scan_prints_no_api_call_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan --snapshot F -v` ended with 'API calls (per operation): total 0', which says
    nothing of a scan that made no call."""
    from scanner.snapshot_io import write_snapshot

    from helpers.scanfactory import secret, snapshot

    path = write_snapshot(tmp_path / "in.json.gz",
                          snapshot("s1", "2026-12-01T02:00:00Z", [secret("db")]))
    code = main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "o"), "-v"])
    captured = capsys.readouterr()
    assert code in (0, 1)
    assert "findings" in captured.out  # the scan's own output is there
    assert "API calls" not in captured.out + captured.err


def test_diff_with_from_and_to_says_the_scans_are_arguments(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`diff --from A --to B` said only "unrecognized arguments: --from --to B" (A silently
    taken as SCAN_A); it now says how diff takes its two scans."""
    with pytest.raises(SystemExit) as caught:
        main(["diff", "--from", "A", "--to", "B"])
    assert caught.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "unrecognized arguments: --from --to B" in line
    assert "the scans are arguments, the older first: `secretgraph diff SCAN_A SCAN_B`" in line
    assert line.count("the scans are arguments") == 1


def test_demo_runs_moto_on_the_port_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """`demo --keep-running` always took a random port: a script or a firewall rule could not
    name it. `--port P` starts moto on 127.0.0.1:P."""
    import socket
    from contextlib import contextmanager
    from typing import Iterator

    import scanner.demo.run as demo_run

    with socket.socket() as s:  # a port free now
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    asked: list[int] = []

    class Stop(Exception):
        pass

    @contextmanager
    def stack(endpoint_url: str | None = None, *, port: int = 0) -> Iterator[str]:
        asked.append(port)
        raise Stop  # the estate itself is the demo's own tests' business
        yield ""

    monkeypatch.setattr(demo_run, "demo_stack", stack)
    main(["demo", "--port", str(port), "-q"])  # (Stop ends it as an internal error)
    assert asked == [port]


@pytest.mark.parametrize("value,says", [("0", "0 is not a port (1-65535)"),
                                        ("http", "not a port number: 'http'"),
                                        ("busy", "is not free")])
def test_demo_refuses_a_port_it_cannot_use(
        value: str, says: str, capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        arg = str(busy.getsockname()[1]) if value == "busy" else value
        with pytest.raises(SystemExit) as caught:
            main(["demo", "--port", arg])
    assert caught.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("secretgraph demo: error: argument --port: ") and says in line
