"""A YAML file that is a list or a bare text where a mapping is expected (a config, a rule file,
suppressions, a baseline) is said in YAML's words, with what to do, and without echoing the
whole file. A new user's first rule file, written as a list item ("- id: my-unused ..."), was
"field (top level): [{'id': 'my-unused', 'title': ..., 'description': "LastAccessedDate ...
(300 characters of the file's own text) ... is not of type 'object'" -- JSON Schema's word for
a mapping, and nothing of what to change (new-user trial round 26)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

RULE = (Path(__file__).resolve().parents[2] / "rules" / "secret-unused.yaml").read_text(
    encoding="utf-8").replace("id: secret-unused", "id: my-unused")


def _as_list_item(text: str) -> str:
    first, *rest = text.splitlines()
    return "\n".join(["- " + first, *("  " + line for line in rest)]) + "\n"


def test_a_rule_written_as_a_list_item_is_told_to_be_one_mapping(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "my-unused.yaml").write_text(_as_list_item(RULE), encoding="utf-8")
    assert main(["rules", "validate", str(rules)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == (
        f"secretgraph rules validate: error: {rules / 'my-unused.yaml'}: field (top level): "
        "the file is a list (of 1 item); a mapping (key: value lines) is expected -- a rule "
        "file holds one rule, its keys (id:, title:, ...) at the start of their lines")


@pytest.mark.parametrize("flag, content, says", [
    ("--config", "- trusted_accounts: []\n", "the file is a list (of 1 item)"),
    ("--config", "just text\n", "the file is the text 'just text'"),
    ("--suppressions", "- a\n- b\n", "the file is a list (of 2 items)"),
])
def test_a_config_or_suppressions_file_that_is_no_mapping_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flag: str, content: str,
        says: str) -> None:
    snapshot = write_snapshot(tmp_path / "s.json.gz", estate(secret_policy=None))
    given = tmp_path / "given.yaml"
    given.write_text(content, encoding="utf-8")
    assert main(["scan", "--snapshot", str(snapshot), flag, str(given), "--out",
                 str(tmp_path / "out"), "-q"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == (f"secretgraph scan: error: {given}: field (top level): {says}; a mapping "
                    "(key: value lines) is expected")
    assert "of type 'object'" not in line
