"""``baseline init|check --in DIR`` read a scan's output folder, as ``access``, ``report`` and
``remediate`` do and as docs/configuration.md says ("`--in DIR` is always a scan's output
folder a command reads"): new-user trial round 9, where `baseline init --in DIR` was refused
("unrecognized arguments ... see `secretgraph baseline --help`", the wrong command's help).
The folder's findings.json gives back the trust zone the scan used, as ``--history`` does."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
import yaml

from helpers.access_estate import OUTSIDER, SECRET_ARN, estate, key_policy_for, secret_policy_for

from reports.json_out import write_findings_json
from scanner.cli import main
from scanner.commands.baseline import _source
from scanner.engine.output import findings_document
from scanner.policy.trust_zone import trust_zone
from scanner.snapshot_io import write_snapshot

OUTSIDER_ROOT = f"arn:aws:iam::{OUTSIDER}:root"


def _scan_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    snap = estate(secret_policy=secret_policy_for(OUTSIDER_ROOT),
                  key_policy=key_policy_for(OUTSIDER_ROOT))
    write_snapshot(folder / "snapshot.json.gz", snap)
    write_findings_json(findings_document(snap, [], trust_zone=trust_zone(snap, (OUTSIDER,))),
                        folder / "findings.json")
    return folder


def test_init_and_check_read_a_scan_folder(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    folder = _scan_folder(tmp_path)
    out = tmp_path / "baseline.yaml"
    assert main(["baseline", "init", "--in", str(folder), "--output-file", str(out)]) == 0
    readers = {r for entry in yaml.safe_load(out.read_text())["secrets"]
               for r in entry["readers"]}
    assert OUTSIDER_ROOT in readers
    assert main(["baseline", "check", "--in", str(folder), "--baseline", str(out)]) == 0
    assert "0 reader(s) outside the baseline" in capsys.readouterr().out


def test_the_folder_gives_back_the_scans_trust_zone(tmp_path: Path) -> None:
    access, snapshot = _source(argparse.Namespace(in_dir=str(_scan_folder(tmp_path)),
                                                  snapshot=None, history=None, scan=None))
    assert snapshot is not None
    sa = access.for_secret(SECRET_ARN)
    assert {p.in_zone for p in sa.paths if p.principal_account == OUTSIDER} == {True}


def test_a_folder_that_is_not_a_scans_is_one_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "baseline.yaml"
    assert main(["baseline", "init", "--in", str(tmp_path / "nope"),
                 "--output-file", str(out)]) == 2
    assert "nope" in capsys.readouterr().err
    assert main(["baseline", "init", "--in", str(tmp_path), "--output-file", str(out)]) == 2
    assert "no snapshot.json.gz" in capsys.readouterr().err


def test_an_unknown_argument_points_at_the_subcommands_help(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["baseline", "init", "--output-file", "x.yaml", "--bogus"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unrecognized arguments: --bogus" in err
    assert "(see `secretgraph baseline init --help`)" in err
    with pytest.raises(SystemExit):
        main(["history", "list", "--bogus"])
    assert "(see `secretgraph history list --help`)" in capsys.readouterr().err


def test_the_history_default_reads_the_same_in_the_help_and_the_docs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """New-user trial round 9: `baseline init --help` said "(default: $SECRETGRAPH_HISTORY or
    secretgraph-history.db)" -- with the variable set, "or" and its value -- while
    docs/configuration.md named the variable only."""
    from scanner.cli import _subparsers, build_parser

    monkeypatch.setenv("SECRETGRAPH_HISTORY", "/var/lib/sg/h.db")
    parser, _ = build_parser()
    [init] = [p for p in _subparsers(parser) if p.prog == "secretgraph baseline init"]
    text = " ".join(init.format_help().split())
    assert "(default: $SECRETGRAPH_HISTORY, else secretgraph-history.db)" in text
    docs = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
    assert "`$SECRETGRAPH_HISTORY`, else `secretgraph-history.db`" in \
        " ".join(docs.read_text().split())


def test_one_source_at_a_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _scan_folder(tmp_path)
    assert main(["baseline", "init", "--in", str(folder), "--snapshot",
                 str(folder / "snapshot.json.gz"), "--output-file",
                 str(tmp_path / "b.yaml")]) == 2
    assert "--in and --snapshot: give one of" in capsys.readouterr().err
    assert main(["baseline", "init", "--in", str(folder), "--output-file",
                 str(tmp_path / "b.yaml")]) == 0
    capsys.readouterr()
    assert main(["baseline", "check", "--baseline", str(tmp_path / "b.yaml"), "--in",
                 str(folder), "--history", str(tmp_path / "h.db")]) == 2
    assert "--in and --history: give one of" in capsys.readouterr().err


@pytest.mark.parametrize("source", ["--in", "--snapshot"])
def test_scan_with_a_folder_or_a_snapshot_is_refused_not_ignored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], source: str) -> None:
    """Review of the fourteenth session's merges: `baseline init --in DIR --scan no-such-scan`
    wrote a baseline from DIR and exited 0; --scan picks a scan of a history."""
    folder = _scan_folder(tmp_path)
    given = str(folder) if source == "--in" else str(folder / "snapshot.json.gz")
    out = tmp_path / "baseline.yaml"
    assert main(["baseline", "init", source, given, "--scan", "no-such-scan",
                 "--output-file", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--scan 'no-such-scan' picks a scan of a history" in err and source in err
    assert not out.exists()


def test_the_answer_lines_fit_an_80_column_terminal(tmp_path: Path) -> None:
    """A new user's trial: `baseline init --output-file DEEP/PATH/baseline.yaml` said "wrote
    FILE: N secret(s) with today's readers; review it before use" on one line of 138 columns
    at 80; validate's and check's summary lines likewise. On a terminal they are broken
    between words; a file or a pipe keeps each one line."""
    from helpers.tty import run_in_tty

    folder = _scan_folder(tmp_path)
    out = tmp_path / "the" / "baseline" / "of" / "the" / "organization" / "baseline.yaml"
    for args in (["baseline", "init", "--in", str(folder), "--output-file", str(out)],
                 ["baseline", "validate", str(out)],
                 ["baseline", "check", "--in", str(folder), "--baseline", str(out)]):
        run = run_in_tty(args, cols=80, timeout=120)
        assert run.exit_code == 0, run.text
        lines = run.text.splitlines()
        assert lines and [x for x in lines if len(x) > 80 and len(x.split()) > 1] == [], \
            run.text
        assert any(str(out) in line for line in lines)  # the path whole, on one line


def test_a_history_without_a_complete_scan_names_both_other_inputs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial round 26: with no input given and an empty history, `baseline check`
    said "pass --snapshot FILE" and not the scan output folder every other command reads."""
    folder = _scan_folder(tmp_path)
    out = tmp_path / "baseline.yaml"
    assert main(["baseline", "init", "--in", str(folder), "--output-file", str(out)]) == 0
    capsys.readouterr()
    rc = main(["baseline", "check", "--baseline", str(out), "--history",
               str(tmp_path / "empty.db")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--in DIR" in err and "--snapshot FILE" in err
