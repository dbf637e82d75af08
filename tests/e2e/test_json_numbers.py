"""Numbers JSON cannot hold, in a file a person hands secretgraph (fault-injection trial round
23): NaN, Infinity and -Infinity (which Python's json writes and reads, RFC 8259 forbids), a
number beyond a float (1e400, read as infinity) and an integer of more digits than Python
converts are each the reader's one 'not valid JSON' line naming the file and where, exit 2.
A snapshot's Service Quotas value of NaN or Infinity made every comparison with it false:
vpc-peering-quota-near-limit PASSed for every VPC, exit 0; a 5,000-digit integer ended
'internal error: ValueError: Exceeds the limit (4300 digits)'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.access_estate import estate

from scanner import json_text
from scanner.cli import main
from scanner.snapshot_io import write_snapshot


def _snapshot_with(tmp_path: Path, value: str) -> Path:
    """A snapshot whose first number value (its schema_version) is followed by a member
    holding ``value`` as it is written."""
    plain = tmp_path / "plain.json"
    write_snapshot(plain, estate(secret_policy=None))
    text = plain.read_text(encoding="utf-8")
    assert text.startswith('{"schema_version":1,')
    edited = tmp_path / "edited.json"
    edited.write_text('{"schema_version":1,"x":' + value + "," + text[len('{"schema_version":1,'):],
                      encoding="utf-8")
    return edited


@pytest.mark.parametrize("value, said", [
    ("NaN", "NaN is not a JSON number"),
    ("Infinity", "Infinity is not a JSON number"),
    ("-Infinity", "-Infinity is not a JSON number"),
    ("1e400", "1e400 is too large a number to read"),
    ("1" * 5000, "a number of more than 4,300 digits: too long to read"),
])
def test_a_snapshot_holding_a_number_json_cannot_hold_is_one_line_naming_where(
        value: str, said: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = _snapshot_with(tmp_path, value)

    code = main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q"])

    assert code == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph scan: error: {snapshot}: not valid JSON (line 1 column 25: {said})"]
    assert not (tmp_path / "out").exists()


def test_a_quota_of_nan_no_longer_passes_the_quota_rule(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plain = tmp_path / "plain.json"
    write_snapshot(plain, estate(secret_policy=None))
    doc = json.loads(plain.read_text(encoding="utf-8"))
    region = doc["accounts"][0]["regions"][0]
    region["quotas"] = [{"code": "L-7E9ECCDB", "note": None, "source": "service-quotas",
                         "value": float("nan")}]
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc), encoding="utf-8")  # json writes NaN as NaN

    assert main(["scan", "--snapshot", str(edited), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "NaN is not a JSON number" in capsys.readouterr().err


def test_a_plan_holding_nan_is_refused_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text('{"kind": "secretgraph-remediation-plan", "version": 1,\n'
                    ' "max_age_hours": NaN}', encoding="utf-8")

    assert main(["remediate", "--plan", str(plan)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph remediate: error: {plan}: not valid JSON (NaN is not a JSON number: "
        "line 2 column 19 (char 73))"]


def test_the_error_points_at_the_number_not_at_the_same_letters_in_a_string() -> None:
    text = '{"note": "NaN and Infinity and 1e400", "value": Infinity}'
    with pytest.raises(json.JSONDecodeError) as raised:
        json_text.loads(text)
    assert text[raised.value.pos:] == "Infinity}"


def test_finite_numbers_and_long_digit_strings_read_as_json_reads_them() -> None:
    text = '{"a": 1.5, "b": -2e10, "c": 1e308, "d": "' + "9" * 5000 + '", "e": 12}'
    assert json_text.loads(text) == json.loads(text)
