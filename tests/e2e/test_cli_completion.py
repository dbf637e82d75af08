"""`secretgraph completion bash|zsh`: the script completes commands, actions and options."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from scanner.cli import main


def complete(script: str, *words: str, cwd: Path | None = None) -> list[str]:
    probe = (script + "\nCOMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")\n"
             "COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _secretgraph; printf '%s\\n' \"${COMPREPLY[@]}\"")
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run([bash, "-c", probe], capture_output=True, text=True, check=True,
                          cwd=cwd).stdout.split()


def test_bash_completion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert {"scan", "access", "diff", "completion"} <= set(complete(script, "secretgraph", ""))
    assert complete(script, "secretgraph", "scan", "--role-") == ["--role-arn", "--role-name"]
    assert complete(script, "secretgraph", "rules", "") [:3] == ["list", "show", "validate"]
    assert "--format" in complete(script, "secretgraph", "rules", "list", "--fo")
    assert complete(script, "secretgraph", "access", "--i") == ["--in"]
    # a new user's trial: the word a command needs next, and a value that is a command name
    assert complete(script, "secretgraph", "export", "") [0] == "securityhub"
    assert set(complete(script, "secretgraph", "completion", "")) >= {"bash", "zsh"}
    assert "--format" in complete(script, "secretgraph", "scan", "--out", "scan", "--fo")
    assert "--format" in complete(script, "secretgraph", "report", "--in", "report", "--for")


def test_zsh_completion_goes_through_bashcompinit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["completion", "zsh"]) == 0
    script = capsys.readouterr().out
    assert "bashcompinit" in script and "complete -o default -F _secretgraph secretgraph" in script


def test_the_value_of_an_option_completes_to_what_it_takes_never_to_option_names(
        capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial round 29: `scan --fail-on <TAB>` offered `--accounts --baseline ...`,
    `iam-policy --for <TAB>` the command's options, `rules show <TAB>` no rule id."""
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    # an option with choices: its choices, as the command declares them
    assert complete(script, "secretgraph", "iam-policy", "--for", "") == [
        "audit-role", "remediation-role", "scanner"]
    assert complete(script, "secretgraph", "scan", "--findings-layout", "c") == [
        "compact", "complete"]
    assert complete(script, "secretgraph", "rules", "show", "--format", "") == [
        "json", "table", "text"]
    assert complete(script, "secretgraph", "diff", "--format", "") == ["json", "table"]
    # a severity, a report format, a rule id or a framework: the names the scan accepts
    assert complete(script, "secretgraph", "scan", "--fail-on", "") == [
        "CRITICAL", "HIGH", "INFORMATIONAL", "LOW", "MEDIUM", "NONE"]
    assert complete(script, "secretgraph", "scan", "--format", "") == sorted(
        ["asff", "csv", "html", "json", "jsonl", "junit", "ocsf", "table"])
    assert "secret-policy-public" in complete(script, "secretgraph", "scan", "--rules", "secret-p")
    assert "aws-fsbp" in complete(script, "secretgraph", "rules", "list", "--compliance", "")
    # a comma-separated list completes its last item, keeping the ones before it
    assert complete(script, "secretgraph", "report", "--format", "json,ht") == ["json,html"]
    assert complete(script, "secretgraph", "scan", "--severity", "CRITICAL,H") == [
        "CRITICAL,HIGH"]
    # the rule `rules show` takes
    assert complete(script, "secretgraph", "rules", "show", "secret-policy-p") == [
        "secret-policy-public"]
    # a value with no list of its own (a secret name, an account id) is not an option name
    assert complete(script, "secretgraph", "access", "--secret", "") == []
    assert complete(script, "secretgraph", "scan", "--central-account", "") == []


def test_a_folder_option_completes_folders_and_a_file_option_files(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    (tmp_path / "scan-out").mkdir()
    (tmp_path / "secretgraph.yaml").write_text("{}\n")
    assert complete(script, "secretgraph", "report", "--in", "", cwd=tmp_path) == ["scan-out"]
    assert complete(script, "secretgraph", "scan", "--out", "", cwd=tmp_path) == ["scan-out"]
    assert sorted(complete(script, "secretgraph", "scan", "--config", "", cwd=tmp_path)) == [
        "scan-out", "secretgraph.yaml"]


def test_diff_completes_latest_for_its_scans(capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial round 35: `diff <TAB>` offered nothing, though `latest` is the one scan
    name it takes that the shell can know (an id is in the history; a folder the shell's
    default completes)."""
    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert complete(script, "secretgraph", "diff", "la") == ["latest"]
    assert complete(script, "secretgraph", "diff", "latest", "la") == ["latest"]
    assert "latest" not in complete(script, "secretgraph", "scan", "")
