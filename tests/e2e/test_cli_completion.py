"""`secretgraph completion bash|zsh`: the script completes commands, actions and options."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from scanner.cli import main


def complete(script: str, *words: str) -> list[str]:
    probe = (script + "\nCOMP_WORDS=(" + " ".join(f"'{w}'" for w in words) + ")\n"
             "COMP_CWORD=$((${#COMP_WORDS[@]}-1)); _secretgraph; printf '%s\\n' \"${COMPREPLY[@]}\"")
    bash = shutil.which("bash")
    assert bash is not None
    return subprocess.run([bash, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.split()


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
