"""docs/configuration.md, "Global flags": with -q the commands whose printed output is the
answer print nothing on stdout (the files they write and their exit code are the same), while
iam-policy and completion still print theirs; each command's --help says what -q does there
(rules show's said "print no list or count", though it prints a rule)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("argv", [
    ["rules", "list"],
    ["rules", "show", "secret-unused"],
    ["rules", "validate", str(ROOT / "rules")],
    ["history", "list", "--history", "{tmp}/none.db"],
    ["deploy-templates", "--out", "{tmp}/cfn"],
])
def test_an_answer_is_not_printed_with_quiet(argv: list[str], tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.format(tmp=tmp_path) for a in argv]
    assert main([*args, "-q"]) == 0
    assert capsys.readouterr().out == ""
    if argv[0] == "deploy-templates":
        assert len(list((tmp_path / "cfn").glob("*.yaml"))) == 3


@pytest.mark.parametrize("argv", [["iam-policy"], ["completion", "bash"]])
def test_what_is_the_commands_output_is_still_printed(
        argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "-q"]) == 0
    assert capsys.readouterr().out


def test_rules_show_help_says_what_quiet_leaves_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["rules", "show", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "-q, --quiet print no list, rule or count, only errors" in help_text
