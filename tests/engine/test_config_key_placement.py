"""A key given where the config does not take it, but another part of the same file does,
says where it belongs -- read from the schema (config.schema.json), not from a second list of
keys (bad-input trial round 1: `rotation_functions[].days` / `duration`, the keys
docs/configuration.md listed there, were refused with "Additional properties are not allowed
('days', 'duration' were unexpected)" and nothing said they go under
remediation.rotation_functions[])."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.engine import load_config
from scanner.engine.validation import first_error
from scanner.errors import InputError

LAMBDA = "arn:aws:lambda:us-east-1:111122223333:function:rotate-postgres"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_schedule_key_of_rotation_functions_says_it_belongs_under_remediation(
        tmp_path: Path) -> None:
    path = _config(tmp_path, f"rotation_functions:\n  - lambda_arn: {LAMBDA}\n"
                             "    engine: postgres\n    days: 7\n    duration: 3h\n")
    with pytest.raises(InputError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}: field rotation_functions[0]: Additional properties are not allowed ('days', "
        "'duration' were unexpected); `days` and `duration` belong under "
        "remediation.rotation_functions[]")


def test_under_remediation_the_same_entry_is_accepted_by_scan_and_remediate(
        tmp_path: Path) -> None:
    from scanner.remediate.config import load_config as load_remediation_config

    path = _config(tmp_path, f"remediation:\n  rotation_functions:\n    - lambda_arn: {LAMBDA}\n"
                             "      engine: postgres\n      days: 7\n      duration: 3h\n")
    load_config(path)
    [target] = load_remediation_config(path).rotations
    assert (target.days, target.duration) == (7, "3h")


def test_remediate_gives_the_same_hint(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, f"rotation_functions:\n  - lambda_arn: {LAMBDA}\n"
                             "    schedule: rate(10 days)\n")
    code = main(["remediate", "--in", str(tmp_path), "--config", str(path), "-q"])
    [line] = capsys.readouterr().err.splitlines()
    assert code == 2
    assert line.endswith("('schedule' was unexpected); `schedule` belongs under "
                         "remediation.rotation_functions[]")


SCHEMA = {
    "type": "object", "additionalProperties": False,
    "properties": {
        "items": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                             "properties": {"name": {"type": "string"}}}},
        "section": {"type": "object", "properties": {
            "level": {"type": "integer"},
            "items": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "weight": {"type": "integer"}}}}}},
    },
}


def test_the_place_is_found_in_the_schema_it_validates_with() -> None:
    """Any schema: a key of a same-named list elsewhere, and a top-level key that a section
    takes; a key no part takes still gets the closest-key hint (or none)."""
    assert first_error({"items": [{"name": "a", "weight": 1}]}, SCHEMA) == (
        "items[0]", "Additional properties are not allowed ('weight' was unexpected); "
        "`weight` belongs under section.items[]")
    assert first_error({"level": 3}, SCHEMA) == (
        "(top level)", "Additional properties are not allowed ('level' was unexpected); "
        "`level` belongs under section")
    assert first_error({"item": []}, SCHEMA) == (
        "(top level)", "Additional properties are not allowed ('item' was unexpected); "
        "did you mean items?")
    assert first_error({"items": [{"colour": "red"}]}, SCHEMA) == (
        "items[0]", "Additional properties are not allowed ('colour' was unexpected)")
