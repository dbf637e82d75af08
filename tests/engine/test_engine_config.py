"""--config secretgraph.yaml: schema-checked, errors name file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine import load_config
from scanner.engine.config import PEERING_QUOTA_CODE
from scanner.errors import InputError
from scanner.findings import Severity


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(body)
    return path


def test_full_config_loads(tmp_path: Path) -> None:
    cfg = load_config(write(tmp_path, """
rules:
  secret-unused: {severity: LOW, parameters: {days: 30}}
  secret-rotation-disabled: {enabled: false}
required_replica_regions: [us-west-2]
allowed_external_accounts: ["888888888888"]
quotas:
  - {code: L-7E9ECCDB, value: 125}
  - {code: L-7E9ECCDB, value: 100, account_id: "111111111111", vpc_id: vpc-hub}
rotation_functions:
  - {engine: postgres, lambda_arn: "arn:aws:lambda:us-east-1:111111111111:function:rot-pg"}
"""))
    assert cfg.rules["secret-unused"].severity == Severity.LOW
    assert cfg.rules["secret-rotation-disabled"].enabled is False
    assert cfg.global_parameters() == {"required_regions": ["us-west-2"],
                                       "allowed_accounts": ["888888888888"]}
    assert cfg.quota(PEERING_QUOTA_CODE, "111111111111", "us-east-1", "vpc-hub") == 100
    assert cfg.quota(PEERING_QUOTA_CODE, "222222222222", "us-east-1", "vpc-x") == 125
    assert cfg.rotation_functions[0].engine == "postgres"


def test_no_config_is_the_default() -> None:
    cfg = load_config(None)
    assert cfg.rules == {} and cfg.emit_pass is False


@pytest.mark.parametrize("body,field,rule", [
    ("rules:\n  secret-unused: {severity: SEVERE}\n", "rules.secret-unused.severity",
     "secret-unused"),
    ("rules:\n  secret-unused: {enable: false}\n", "rules.secret-unused", "secret-unused"),
    ("allowed_external_accounts: ['12345']\n", "allowed_external_accounts[0]", None),
    ("quotas:\n  - {code: L-7E9ECCDB}\n", "quotas[0]", None),
    ("required_replica_regions: [mars-north-1x]\n", "required_replica_regions[0]", None),
    ("emit_passes: true\n", "(top level)", None),
])
def test_bad_config_names_file_and_field(tmp_path: Path, body: str, field: str,
                                         rule: str | None) -> None:
    path = write(tmp_path, body)
    with pytest.raises(InputError) as info:
        load_config(path)
    assert (info.value.path, info.value.field, info.value.rule) == (str(path), field, rule)


def test_unreadable_or_invalid_yaml_config(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read config"):
        load_config(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(write(tmp_path, "rules: {\n"))


def test_scan_checks_the_config_file_whole_remediation_section_included(tmp_path: Path) -> None:
    """A new user's trial: `remediation: {org-id: ...}` passed `scan --config` and was refused
    by `remediate --config` the next morning."""
    from scanner.errors import InputError
    from scanner.pipeline import ScanOptions, load_inputs

    path = tmp_path / "secretgraph.yaml"
    path.write_text("remediation:\n  org-id: o-abc123def4\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"field remediation: Additional properties are not "
                                         r"allowed \('org-id' was unexpected\); did you mean "
                                         r"org_id\?"):
        load_inputs(ScanOptions(config_path=path))
    path.write_text("remediation:\n  org_id: o-abc123def4\n", encoding="utf-8")
    assert load_inputs(ScanOptions(config_path=path)).config.path == str(path)


def test_a_key_given_twice_is_an_error_at_its_line(tmp_path: Path) -> None:
    """A new user's trial: `rules.secret-unused` given twice kept the last one silently."""
    from scanner.engine import load_config
    from scanner.errors import InputError

    path = tmp_path / "secretgraph.yaml"
    path.write_text("rules:\n  secret-unused:\n    enabled: false\n  secret-unused:\n"
                    "    severity: LOW\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"not valid YAML \(line 4\): key 'secret-unused' "
                                         r"appears twice in one mapping \(also at line 2\)"):
        load_config(path)


@pytest.mark.parametrize("body, field", [
    # hostile-input trial: a NaN or infinite quota turned the peering FAIL into PASS, a NaN
    # warn_ratio made the findings disappear (NaN compares false with every bound)
    ("quotas:\n  - code: L-7E9ECCDB\n    value: .nan\n", "quotas[0].value"),
    ("quotas:\n  - code: L-7E9ECCDB\n    value: .inf\n", "quotas[0].value"),
    ("rules:\n  secret-policy-size-near-limit:\n    parameters:\n      warn_ratio: .nan\n",
     "rules.secret-policy-size-near-limit.parameters.warn_ratio"),
    ("rules:\n  vpc-peering-quota-near-limit:\n    parameters:\n      warn_ratio: -.Inf\n",
     "rules.vpc-peering-quota-near-limit.parameters.warn_ratio"),
    ("prove_timeout: .NaN\n", "prove_timeout"),
    # a key of .nan is no text: test_schema_pattern_words.py, a key YAML reads as no text
])
def test_a_number_that_is_not_finite_is_refused_naming_file_field_and_line(
        tmp_path: Path, body: str, field: str) -> None:
    from scanner.pipeline import ScanOptions, load_inputs

    path = write(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_inputs(ScanOptions(config_path=path))
    assert (err.value.path, err.value.field) == (str(path), field)
    line = body.count("\n")
    assert f"is not a finite number (line {line})" in str(err.value)


@pytest.mark.parametrize("body, field", [
    ("required_replica_regions: [us-wst-2]\n", "required_replica_regions[0]"),
    ("quotas:\n  - code: L-7E9ECCDB\n    value: 10\n    region: eu-wset-1\n",
     "quotas[0].region"),
])
def test_a_region_no_one_has_is_refused_with_the_closest(tmp_path: Path, body: str,
                                                         field: str) -> None:
    # new-user trial: a typo'd required replica Region failed every secret instead
    from scanner.pipeline import ScanOptions, load_inputs

    path = write(tmp_path, body)
    with pytest.raises(InputError) as err:
        load_inputs(ScanOptions(config_path=path))
    assert (err.value.path, err.value.field) == (str(path), field)
    assert "unknown region" in str(err.value) and "closest" in str(err.value)


def test_a_misspelt_key_names_the_closest_key(tmp_path: Path) -> None:
    """New-user trial: `required_replica_region:` (no s) got "Additional properties are not
    allowed" and no hint; the closest keys are named, as for a misspelt rule id."""
    path = write(tmp_path, "required_replica_region: [us-west-2]\n")
    with pytest.raises(InputError) as err:
        load_config(path)
    assert "'required_replica_region' was unexpected" in str(err.value)
    assert "did you mean required_replica_regions?" in str(err.value)


@pytest.mark.parametrize("command", ["scan", "remediate"])
def test_an_unquoted_account_id_says_quote_it_in_scan_and_remediate(
        tmp_path: Path, command: str) -> None:
    """New-user trial: `trusted_accounts: [111122223333]` (YAML reads a number) got one
    message from scan and another from remediate, neither saying to quote it."""
    from scanner.remediate.config import load_config as load_remediation_config

    path = write(tmp_path, "trusted_accounts: [111122223333]\n")
    load = load_config if command == "scan" else load_remediation_config
    with pytest.raises(InputError) as err:
        load(path)
    assert err.value.field == "trusted_accounts[0]"
    assert "quote it: '111122223333'" in str(err.value)


ALIAS = ("rules:\n  secret-policy-external-account:\n    parameters:\n"
         "      allowed_accounts: ['999999999999']\n")


@pytest.mark.parametrize("body", [
    "allowed_external_accounts: ['999999999999']\n",
    ALIAS,
    "allowed_external_accounts: ['999999999999']\n" + ALIAS,
], ids=["key", "parameter", "both alike"])
def test_the_rule_parameter_is_another_name_of_the_allow_list(tmp_path: Path, body: str) -> None:
    """Concept review round 3: the parameter allowed_accounts of secret-policy-external-account
    set that rule's list only; the access analysis, secret-cross-account-access-broken and
    remediation read allowed_external_accounts. Either now sets the one list."""
    cfg = load_config(write(tmp_path, body))
    assert cfg.allowed_external_accounts == ("999999999999",)
    assert cfg.global_parameters() == {"allowed_accounts": ["999999999999"]}


@pytest.mark.parametrize("top", ["[]", "['888888888888']", "['999999999999', '888888888888']"])
def test_two_different_allow_lists_are_refused_naming_both_fields(tmp_path: Path,
                                                                 top: str) -> None:
    """Concept review round 3: the key and the parameter are one list; when they disagree
    neither is chosen silently."""
    path = write(tmp_path, f"allowed_external_accounts: {top}\n" + ALIAS)
    with pytest.raises(InputError) as info:
        load_config(path)
    field = "rules.secret-policy-external-account.parameters.allowed_accounts"
    assert (info.value.path, info.value.field) == (str(path), field)
    assert "differs from allowed_external_accounts" in str(info.value)


def test_a_config_with_problems_in_two_places_names_both_at_once(tmp_path: Path) -> None:
    """Two typos -- one at the top level, one in a rule's override -- took two runs, one
    problem each (new-user trials' leftover): both are named, each with its field, as
    `rules validate` names every problem of a rule file."""
    path = tmp_path / "config.yaml"
    path.write_text("emit_pas: true\nrules:\n  secret-unused:\n    dayz: 5\n")
    with pytest.raises(InputError) as info:
        load_config(str(path))
    message = str(info.value)
    assert message.startswith(f"{path}: 2 problems: ")
    assert "field (top level): " in message and "did you mean emit_pass?" in message
    assert "field rules.secret-unused: " in message and "'dayz'" in message
