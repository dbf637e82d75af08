"""-q/--quiet means what each command's help says. New-user trial: `access --in`, `diff
--history`, `remediate --in` and `rules list` printed the same with -q, while every command's
help said "no progress display, tables or summary; errors only". A command whose output is the
answer now prints nothing but errors with -q (the exit code and the files it writes are
unchanged); iam-policy and completion, whose output is the artefact, say so in their help."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.cli import build_parser, main
from scanner.snapshot_io import write_snapshot


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """Two offline scans of a small estate recorded in a history; the second's output."""
    tmp = tmp_path_factory.mktemp("quiet")
    hist = str(tmp / "h.db")
    base = estate(secret_policy=None)
    for sid, started in (("n1", "2026-11-20T02:00:00Z"), ("n2", "2026-11-21T02:00:00Z")):
        path = tmp / f"{sid}.json.gz"
        write_snapshot(path, replace(base, meta=replace(base.meta, scan_id=sid,
                                                        started_at=started)))
        assert main(["scan", "--snapshot", str(path), "--out", str(tmp / sid), "-q",
                     "--format", "json", "--history", hist]) in (0, 1)
    return tmp / "n2", hist


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, str]:
    """(exit code, stdout, stderr) of ``argv``, and the stdout of the same without -q."""
    loud = main(argv)
    loud_out = capsys.readouterr().out
    code = main([*argv, "-q"])
    captured = capsys.readouterr()
    assert code == loud, "-q keeps the exit code"
    return code, captured.out, captured.err, loud_out


def test_access_prints_nothing_with_q(scanned: tuple[Path, str],
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial: `access --in DIR -q` printed the whole table."""
    out_dir, _ = scanned
    _, out, err, loud = _run(["access", "--in", str(out_dir)], capsys)
    assert loud.strip() and out == "" and err == ""


def test_diff_prints_nothing_with_q(scanned: tuple[Path, str],
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial: `diff --history H -q` printed the drift."""
    _, hist = scanned
    _, out, err, loud = _run(["diff", "--history", hist], capsys)
    assert loud.strip() and out == "" and err == ""


def test_diff_with_an_output_file_still_writes_it_with_q(
        scanned: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, hist = scanned
    target = tmp_path / "drift.json"
    assert main(["diff", "--history", hist, "--format", "json", "--output-file", str(target),
                 "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert isinstance(json.loads(target.read_text()), dict), "the drift is written as asked"


def test_remediate_plan_prints_nothing_with_q_and_still_writes_the_plan(
        scanned: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial: `remediate --in DIR -q` printed the plan."""
    out_dir, _ = scanned
    plan = out_dir / "remediation-plan.json"
    _, out, err, loud = _run(["remediate", "--in", str(out_dir)], capsys)
    assert loud.strip() and out == "" and err == ""
    assert plan.is_file()


def test_remediate_apply_with_q_needs_yes(scanned: tuple[Path, str],
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """With -q the plan to confirm is not shown: --apply asks for --yes instead of asking to
    confirm something unseen."""
    out_dir, _ = scanned
    assert main(["remediate", "--in", str(out_dir), "--apply", "-q"]) == 2
    assert "--yes" in capsys.readouterr().err


def test_rules_list_and_validate_print_nothing_with_q(
        capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial: `rules list -q` printed the catalogue."""
    _, out, err, loud = _run(["rules", "list"], capsys)
    assert loud.strip() and out == "" and err == ""
    rules_dir = Path(__file__).resolve().parents[2] / "rules"
    _, out, err, loud = _run(["rules", "validate", str(rules_dir)], capsys)
    assert "valid" in loud and out == "" and err == ""
    _, out, err, loud = _run(["rules", "show", "secret-unused"], capsys)
    assert "secret-unused" in loud and out == "" and err == ""


def test_rules_show_help_says_what_q_leaves_out() -> None:
    """It said "print no list or count" on `rules show`, which prints a rule."""
    parser, _ = build_parser()
    rules = next(a for a in parser._actions if isinstance(getattr(a, "choices", None), dict))
    show = next(a for a in rules.choices["rules"]._actions
                if isinstance(getattr(a, "choices", None), dict)).choices["show"]
    q = next(a for a in show._actions if "-q" in a.option_strings)
    assert q.help is not None and q.help.startswith("print no list, rule or count")


def test_deploy_templates_prints_no_file_names_with_q(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy-templates", "--out", str(tmp_path / "cfn"), "-q"]) == 0
    assert capsys.readouterr().out == ""
    assert len(list((tmp_path / "cfn").glob("*.yaml"))) == 3


def test_history_prints_nothing_with_q(scanned: tuple[Path, str],
                                       capsys: pytest.CaptureFixture[str]) -> None:
    _, hist = scanned
    _, out, err, loud = _run(["history", "--history", hist], capsys)
    assert loud.strip() and out == "" and err == ""


def test_report_prints_nothing_with_q(scanned: tuple[Path, str], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    out_dir, _ = scanned
    _, out, err, loud = _run(["report", "--in", str(out_dir), "--out", str(tmp_path / "r"),
                              "--format", "json"], capsys)
    assert loud.strip() and out == "" and err == ""
    assert (tmp_path / "r" / "findings.json").is_file()


def test_iam_policy_is_printed_with_q_and_its_help_says_so(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The policy is the command's output: -q leaves it, and the help says so."""
    assert main(["iam-policy", "-q"]) == 0
    assert json.loads(capsys.readouterr().out)


def test_every_commands_help_says_what_q_does_there() -> None:
    """The help of -q is the command's own; none promises "errors only" where the command
    prints its output anyway."""
    parser, _ = build_parser()
    helps = {}
    for action in parser._actions:
        if hasattr(action, "choices") and isinstance(action.choices, dict):
            for name, sub in action.choices.items():
                q = next(a for a in sub._actions if "-q" in a.option_strings)
                helps[name] = q.help
    assert "still printed" in helps["iam-policy"] and "still printed" in helps["completion"]
    for name in ("access", "diff", "remediate", "rules", "history", "report"):
        assert "errors only" in helps[name] or "only errors" in helps[name], name
        assert helps[name] != helps["scan"], f"{name}: the help of -q is the command's own"
