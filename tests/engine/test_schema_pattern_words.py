"""A value the schema's pattern refuses is named in words -- what was expected -- not only by
the regular expression (new-user trial round 17: "'1234' does not match '^[0-9]{12}$'",
"'l-7e9eccdb' does not match '^L-[0-9A-F]{8}$'")."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine import load_config, load_suppressions
from scanner.errors import InputError


@pytest.mark.parametrize("body,field,words", [
    ("trusted_accounts: ['1234']\n", "trusted_accounts[0]",
     "'1234' is not an account id (12 digits)"),
    ("required_replica_regions: [us-west2]\n", "required_replica_regions[0]",
     "'us-west2' is not a Region name (such as us-east-1)"),
    ("quotas:\n  - code: l-7e9eccdb\n    value: 125\n", "quotas[0].code",
     "'l-7e9eccdb' is not a Service Quotas code (L- and 8 hexadecimal digits in capitals, "
     "such as L-7E9ECCDB)"),
    ("quotas:\n  - code: L-7E9ECCDB\n    value: 125\n    vpc_id: '0abc'\n", "quotas[0].vpc_id",
     "'0abc' is not a VPC id (such as vpc-0abc1234)"),
    ("remediation:\n  org_id: abc\n", "remediation.org_id",
     "'abc' is not an organization id (such as o-abc123def4)"),
])
def test_a_config_value_the_pattern_refuses_is_named_in_words(
        tmp_path: Path, body: str, field: str, words: str) -> None:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(path)
    assert info.value.field == field
    assert words in str(info.value)
    assert "does not match '^" not in str(info.value)


def test_a_suppression_date_the_pattern_refuses_says_the_format(tmp_path: Path) -> None:
    path = tmp_path / "mute.yaml"
    path.write_text("suppressions:\n  - rule: secret-unused\n    reason: why\n"
                    "    expires: 01/02/2027\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_suppressions(path)
    assert info.value.field == "suppressions[0].expires"
    assert "'01/02/2027' is not a date YYYY-MM-DD" in str(info.value)


def _config_error(tmp_path: Path, body: str) -> InputError:
    """The error loading a config file holding ``body``."""
    path = tmp_path / "secretgraph.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_config(path)
    return info.value


@pytest.mark.parametrize("body,field,hint", [
    ("rules:\n  secret-rotation-overdue:\n    severity: high\n",
     "rules.secret-rotation-overdue.severity", "; did you mean HIGH?"),
    ("rules:\n  secret-rotation-overdue:\n    severity: CRITCAL\n",
     "rules.secret-rotation-overdue.severity", "; did you mean CRITICAL?"),
    ("findings_layout: Compact\n", "findings_layout", "; did you mean compact?"),
])
def test_a_value_outside_a_list_of_choices_names_the_closest(
        tmp_path: Path, body: str, field: str, hint: str) -> None:
    """New-user trial round 17: `severity: high` in the config was refused as "'high' is not
    one of ['CRITICAL', 'HIGH', ...]" with no hint, while --fail-on high is taken and a
    mistyped --severity names the closest; a choice in the wrong case or mistyped names it."""
    error = _config_error(tmp_path, body)
    assert error.field == field
    assert str(error).endswith(hint)


@pytest.mark.parametrize("body,field,hint", [
    ("required_replica_regions: us-west-2\n", "required_replica_regions",
     "; write a list: [us-west-2]"),
    ("trusted_accounts: '111122223333'\n", "trusted_accounts",
     "; write a list: ['111122223333']"),
])
def test_one_value_where_a_list_is_expected_says_write_a_list(
        tmp_path: Path, body: str, field: str, hint: str) -> None:
    """New-user trial round 17: `required_replica_regions: us-west-2` was refused as
    "'us-west-2' is not of type 'array'", the schema's word for a list."""
    error = _config_error(tmp_path, body)
    assert error.field == field
    assert str(error).endswith(hint)


def test_a_file_that_is_no_rule_is_not_told_where_rule_parameters_go(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial round 17: `rules validate out/findings.json` listed the seven keys of a
    findings document as unexpected and added "a rule's parameters go under its `parameters:`
    mapping" -- advice for a rule file with a stray parameter. A document with none of a
    rule's required keys is said not to be a rule file; a rule with a stray key keeps the
    advice."""
    from scanner.cli import main

    findings = tmp_path / "findings.json"
    findings.write_text('{"schema_version": 1, "tool": {}, "scan": {}, "findings": []}\n',
                        encoding="utf-8")
    assert main(["rules", "validate", str(findings)]) == 2
    err = capsys.readouterr().err
    assert "parameters" not in err
    assert "not a rule file (a rule has id, title, severity, resource, description, " \
        "rationale, fail_when, remediation, compliance)" in err
    path = tmp_path / "secretgraph.yaml"
    path.write_text("rules:\n  secret-rotation-overdue:\n    max_days: 30\n", encoding="utf-8")
    with pytest.raises(InputError, match="a rule's parameters go under its `parameters:`"):
        load_config(path)


@pytest.mark.parametrize("body,loader,field,said", [
    # quoting 20270101 gives '20270101', still no date: say what is expected
    ("suppressions:\n  - rule: secret-unused\n    reason: why\n    expires: 20270101\n",
     load_suppressions, "suppressions[0].expires",
     "20270101 is not of type 'string'; expected a date YYYY-MM-DD"),
    ("trusted_accounts: [1234]\n", load_config, "trusted_accounts[0]",
     "1234 is not of type 'string'; expected an account id (12 digits)"),
])
def test_a_number_that_quoted_would_still_be_refused_is_not_told_to_be_quoted(
        tmp_path: Path, body: str, loader: object, field: str, said: str) -> None:
    """Fault-injection trial round 11: `expires: 20270101` was told "quote it: '20270101'",
    which the next run refused as not a date YYYY-MM-DD."""
    path = tmp_path / "file.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        loader(path)  # type: ignore[operator]
    assert info.value.field == field
    assert said in str(info.value)
    assert "quote it" not in str(info.value)


def test_a_number_that_quoted_is_accepted_is_still_told_to_be_quoted(tmp_path: Path) -> None:
    error = _config_error(tmp_path, "trusted_accounts: [111122223333]\n")
    assert "quote it: '111122223333'" in str(error)


@pytest.mark.parametrize("body,loader,field,written,read", [
    ("trusted_accounts: [000000000017]\n", load_config, "trusted_accounts[0]",
     "000000000017", 15),
    ("allowed_external_accounts: [012345670123]\n", load_config,
     "allowed_external_accounts[0]", "012345670123", 1402433619),
    ("suppressions:\n  - rule: secret-unused\n    reason: why\n    expires: '2027-01-01'\n"
     "    account: 000000000017\n", load_suppressions, "suppressions[0].account",
     "000000000017", 15),
    ("rules:\n  secret-rotation-overdue:\n    max_days: 030\n", load_config,
     "rules.secret-rotation-overdue.max_days", "030", 24),
])
def test_a_number_yaml_reads_as_octal_names_what_was_written(
        tmp_path: Path, body: str, loader: object, field: str, written: str,
        read: int) -> None:
    """YAML 1.1 reads an unquoted 000000000017 as the octal number 15: the error named 15,
    which the file does not hold, and said an account id of 12 digits was expected -- the id
    written had 12; a suppression's account (1 to 12 digits) was told to quote it as '15',
    which mutes no finding; max_days: 030 was 24 days without a word (fault-injection trial
    round 19). It names what was written, its line, and both ways to write it."""
    path = tmp_path / "file.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        loader(path)  # type: ignore[operator]
    assert info.value.field == field
    assert (f"{written} (line {body.count(chr(10))}) is read by YAML as the octal number "
            f"{read}: quote it ('{written}') where an account id or other text is meant, or "
            "write the number without its leading zero") in str(info.value)


def test_an_empty_list_key_says_to_write_brackets(tmp_path: Path) -> None:
    """A key with nothing after it is null in YAML: `readers:` in a baseline said "None is not
    of type 'array'", naming neither the emptiness nor the fix (docs trial round 7)."""
    from scanner.history.baseline import load_baseline

    path = tmp_path / "baseline.yaml"
    path.write_text("version: 1\nsecrets:\n"
                    "  - secret: arn:aws:secretsmanager:us-east-1:111111111111:secret:x\n"
                    "    readers:\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_baseline(path)
    text = str(err.value)
    assert "secrets[0].readers" in text and "write [] for an empty list" in text
    assert "None is not of type" not in text


KEY_ARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.mark.parametrize("body,loader,key,read", [
    # an account id as an unquoted key: the CMK was never found for that account
    (f"remediation:\n  cmk:\n    111122223333:\n      us-east-1: {KEY_ARN}\n", load_config,
     "111122223333", "the number 111122223333"),
    ("rules:\n  5:\n    enabled: false\n", load_config, "5", "the number 5"),
    ("rules:\n  yes:\n    enabled: false\n", load_config, "yes", "true"),
    ("rules:\n  .nan: 1\n", load_config, ".nan", "the number .nan"),
    ("rules:\n  ~:\n    enabled: false\n", load_config, "~", "null"),
    ("suppressions:\n  - tags: {2027-01-01: a}\n    reason: sandbox\n"
     "    expires: '2027-06-01'\n", load_suppressions, "2027-01-01", "a date"),
    ("suppressions:\n  - tags: {5: a}\n    reason: sandbox\n    expires: '2027-06-01'\n",
     load_suppressions, "5", "the number 5"),
])
def test_a_key_yaml_reads_as_no_text_names_what_was_written(
        tmp_path: Path, body: str, loader: object, key: str, read: str) -> None:
    """Every key of these files is text: YAML reads an unquoted 111122223333 (or yes, ~, a
    date) as a number (true, null, a date), and such a key matched nothing -- the CMK of an
    account given as `111122223333:` under remediation.cmk was never used, a suppression's tag
    `5:` muted nothing, both without a word, and a rule id `5:` ended the scan 'internal error:
    TypeError' (fault-injection trial round 24, LOW). The line, what was written, and how to
    quote it."""
    path = tmp_path / "file.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as info:
        loader(path)  # type: ignore[operator]
    line = next(i for i, text in enumerate(body.splitlines(), 1) if f"{key}:" in text)
    assert (f"(line {line}): key {key} is read by YAML as {read}, not text: quote it "
            f"('{key}')") in str(info.value)


def test_a_quoted_key_is_text(tmp_path: Path) -> None:
    path = tmp_path / "file.yaml"
    path.write_text(f"remediation:\n  cmk:\n    '111122223333':\n      us-east-1: {KEY_ARN}\n",
                    encoding="utf-8")
    assert load_config(path) is not None


@pytest.mark.parametrize("body,field,said", [
    ("prove_timeout: true\n", "prove_timeout", "true is not of type 'number'"),
    ("emit_pass:\n", "emit_pass", "null (an empty value) is not of type 'boolean'"),
    ("trusted_accounts: [null]\n", "trusted_accounts[0]",
     "null (an empty value) is not of type 'string'"),
    ("remediation:\n  rotation_days: false\n", "remediation.rotation_days",
     "false is not of type 'integer'"),
])
def test_a_yaml_boolean_or_null_of_the_wrong_type_is_named_as_written(
        tmp_path: Path, body: str, field: str, said: str) -> None:
    """docs/configuration.md: a value of the wrong form says what was expected in words. A
    YAML `true` or an empty value was named by Python's repr: "True is not of type 'number'",
    "None is not of type 'string'" -- words of no file the user wrote (docs round 14)."""
    error = _config_error(tmp_path, body)
    assert error.field == field
    assert said in str(error) and "True" not in str(error) and "None" not in str(error)
    with pytest.raises(InputError) as info:  # a suppression file reads the same way
        path = tmp_path / "suppressions.yaml"
        path.write_text("suppressions:\n  - rule: secret-unused\n    reason:\n"
                        "    expires: 2027-01-01\n", encoding="utf-8")
        load_suppressions(path)
    assert "null (an empty value) is not of type 'string'" in str(info.value)
