"""A config value of the wrong type says what to write (new-user trial round 37): `emit_pass:
"yes"` was refused as "'yes' is not of type 'boolean'", `enabled: "false"` the same, and
`max_days: "30"` as "must be integer, got str" -- Python's type name, and no word of the
quotes that made it text. `scan --config` (as the user ran it) and `remediate --config` read
the file alike: exit 2, the file, the field, and the one change that fixes it."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.rule_fixture import load_fixture
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

CASES = [
    ("emit_pass: \"yes\"\n", "field emit_pass:", "write true or false, without quotes"),
    ("emit_pass: 1\n", "field emit_pass:", "write true or false, without quotes"),
    ("rules:\n  secret-rotation-overdue:\n    enabled: \"false\"\n",
     "field rules.secret-rotation-overdue.enabled:",
     "write false without quotes (quoted, it is text)"),
    ("prove_timeout: \"10\"\n", "field prove_timeout:", "drop the quotes: 10"),
    ("prove_timeout: ten\n", "field prove_timeout:", "write a number"),
    ("rules:\n  secret-rotation-overdue:\n    parameters:\n      max_days: \"30\"\n",
     "field rules.secret-rotation-overdue.parameters.max_days:",
     "must be integer, got the text '30'; drop the quotes: 30"),
    ("rules:\n  secret-rotation-overdue:\n    parameters:\n      max_days: \"30.5\"\n",
     "field rules.secret-rotation-overdue.parameters.max_days:", "write a whole number"),
    ("rules:\n  secret-policy-size-near-limit:\n    parameters:\n      warn_ratio: \"0.7\"\n",
     "parameters.warn_ratio:", "drop the quotes: 0.7"),
    ("rules:\n  secret-not-replicated:\n    parameters:\n      required_regions: us-west-2\n",
     "parameters.required_regions:",
     "must be list, got the text 'us-west-2'; write a list: [us-west-2]"),
]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_snapshot(tmp_path_factory.mktemp("snap") / "snapshot.json.gz",
                          load_fixture("secret-rotation-overdue").snapshot)


@pytest.mark.parametrize("body,field,hint", CASES, ids=[c[0].strip() for c in CASES])
def test_scan_config_of_the_wrong_type_says_what_to_write(
        body: str, field: str, hint: str, snapshot: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "secretgraph.yaml"
    config.write_text(body, encoding="utf-8")

    code = main(["scan", "--snapshot", str(snapshot), "--config", str(config),
                 "--out", str(tmp_path / "out"), "-q"])

    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert str(config) in err and field in err
    assert hint in err
    assert "got str" not in err


def test_a_text_value_where_text_is_expected_gets_no_type_hint(tmp_path: Path) -> None:
    from scanner.engine.validation import quote_hint

    assert quote_hint("yes", "string") == ""
    assert quote_hint("yes", ["string", "boolean"]) == ""
