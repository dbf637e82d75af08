"""Bad input found by the bad-input trial (round 1): each gets one line naming the file, rule
or field, exit 2 -- never a traceback, never a hang, never a silently skipped rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from helpers.engine_helpers import make_secret, make_snapshot, write_rule
from scanner.cli import main
from scanner.snapshot_io import write_snapshot


def _scan(tmp_path: Path, *extra: str) -> list[str]:
    snapshot = tmp_path / "snapshot.json.gz"
    if not snapshot.exists():
        write_snapshot(snapshot, make_snapshot(make_secret("db")))
    return ["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q", *extra]


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ list parameters, item by item


@pytest.mark.parametrize("rule,param,value,words", [
    ("secret-policy-external-account", "allowed_accounts", "[999999999999]",
     "quote it: '999999999999'"),
    ("secret-policy-external-account", "allowed_accounts", "['99999999999']",
     "'99999999999' is not a 12-digit account id"),
    ("secret-policy-external-account", "allowed_accounts", "[{a: 1}]", "must be text, got a mapping"),
    ("secret-not-replicated", "required_regions", "[us-west-9]",
     "unknown region 'us-west-9'; closest: us-west-2"),
    ("secret-not-replicated", "required_regions", "[[us-west-2]]", "must be text, got a list"),
    ("secret-policy-overbroad-actions", "allowed_actions", "[GetSecretValue]",
     "'GetSecretValue' is not an action"),
])
def test_a_bad_item_of_a_list_parameter_is_refused_naming_the_item(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], rule: str, param: str, value: str,
        words: str) -> None:
    """Bad-input trial round 1: list parameters were checked only for being a list --
    ``allowed_accounts: [999999999999]`` silently allowed nothing, ``required_regions:
    [us-west-9]`` failed every secret, ``[{a: 1}]`` crashed the rule (scan incomplete)."""
    config = _config(tmp_path, f"rules:\n  {rule}:\n    parameters:\n      {param}: {value}\n")
    code = main(_scan(tmp_path, "--config", str(config)))
    err = capsys.readouterr().err
    assert code == 2, err
    [line] = err.splitlines()
    assert line.startswith(f"secretgraph scan: error: {config}: rule {rule}: field "
                           f"rules.{rule}.parameters.{param}[0]: ")
    assert words in line
    assert not (tmp_path / "out").exists()


def test_good_list_parameters_are_accepted(tmp_path: Path) -> None:
    """Bad-input trial round 1: the item checks refuse typos, not the documented values."""
    config = _config(tmp_path, "rules:\n"
                     "  secret-policy-external-account:\n"
                     "    parameters: {allowed_accounts: ['999999999999']}\n"
                     "  secret-not-replicated:\n"
                     "    parameters: {required_regions: [us-west-2, eu-central-1]}\n"
                     "  secret-policy-overbroad-actions:\n"
                     "    parameters: {allowed_actions: ['secretsmanager:Describe*', '*']}\n")
    assert main(_scan(tmp_path, "--config", str(config))) in (0, 1)


def test_a_custom_rule_list_parameter_is_checked_by_its_declared_items(tmp_path: Path) -> None:
    """Bad-input trial round 1: a rule of one's own declares what its list holds
    (``items: account_id``); its default and a config value are checked item by item, and
    without ``items`` an item must still be a plain value (text, number, boolean)."""
    from scanner.engine.loader import load_rule_file
    from scanner.errors import InputError

    extra = ("parameters:\n  owners:\n    type: list\n    items: account_id\n"
             "    default: [123456789012, '210987654321']\n    description: owning accounts\n")
    path = write_rule(tmp_path / "r", "my-owners", "{attribute: account_id, op: in, "
                      "param: owners}", extra=extra)
    with pytest.raises(InputError) as info:
        load_rule_file(path)
    assert (info.value.rule, info.value.field) == ("my-owners", "parameters.owners.default[0]")
    assert "quote it: '123456789012'" in str(info.value)

    extra = ("parameters:\n  names:\n    type: list\n    default: [db, {x: 1}]\n"
             "    description: secret names\n")
    path = write_rule(tmp_path / "s", "my-names", "{attribute: name, op: in, param: names}",
                      extra=extra)
    with pytest.raises(InputError) as info:
        load_rule_file(path)
    assert info.value.field == "parameters.names.default[1]"
    assert "must be text, a number or a boolean, got a mapping" in str(info.value)


# ------------------------------------------------------------------ YAML alias bombs

_BOMB = "".join(
    f"  - &l{i} [{','.join([f'*l{i - 1}'] * 9) if i else ','.join(['lol'] * 9)}]\n"
    for i in range(9))


def _run(args: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """The CLI in a child process with a time limit: a hang fails the test, not the suite."""
    root = Path(__file__).resolve().parents[2]
    try:
        return subprocess.run([sys.executable, "-m", "scanner", *args], cwd=root,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"secretgraph {' '.join(args[:2])} still running after {timeout} s")


def test_an_alias_bomb_in_a_rule_file_is_refused_not_expanded(tmp_path: Path) -> None:
    """Bad-input trial round 1: a 738-byte rule whose ``in`` value expands to 9^9 values
    hung `rules validate` and `scan --rules-dir`; aliases may add at most
    yamlio.MAX_ALIAS_VALUES values, refused at the alias's line."""
    path = write_rule(tmp_path / "r", "my-bomb",
                      "attribute: name\nop: in\nvalue:\n" + _BOMB + "  - *l8\n")
    done = _run(["rules", "validate", str(tmp_path / "r")], timeout=30)
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith(f"secretgraph rules validate: error: {path}: not valid YAML (line ")
    assert "aliases expand to more than 10000 values" in line


def test_an_alias_bomb_in_the_suppressions_is_refused_before_anything_walks_it(
        tmp_path: Path) -> None:
    """Bad-input trial round 1: a 425-byte suppression file (a bomb, then ``y: .nan``) hung
    `scan --suppressions` in the search for the NaN."""
    sup = tmp_path / "suppressions.yaml"
    sup.write_text("x:\n" + _BOMB.replace("lol", "a") + "y: .nan\n", encoding="utf-8")
    done = _run(_scan(tmp_path, "--suppressions", str(sup)), timeout=30)
    assert done.returncode == 2, done.stderr
    assert f"{sup}: not valid YAML (line " in done.stderr
    assert "aliases expand to more than 10000 values" in done.stderr
    assert len(done.stderr.splitlines()) == 1


def test_a_few_aliases_are_still_yaml(tmp_path: Path) -> None:
    """Bad-input trial round 1: the bound is on what aliases add, so a config that names its
    Regions once and reuses them reads as before; an alias inside its own anchor (a
    recursive document) is refused, not read as an endless list."""
    from scanner.errors import InputError
    from scanner.yamlio import read_yaml

    ok = tmp_path / "ok.yaml"
    ok.write_text("a: &regions [us-east-1, us-west-2]\nb: *regions\n", encoding="utf-8")
    assert read_yaml(ok, "config") == {"a": ["us-east-1", "us-west-2"],
                                       "b": ["us-east-1", "us-west-2"]}
    loop = tmp_path / "loop.yaml"
    loop.write_text("a: &x\n  - 1\n  - *x\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_yaml(loop, "config")
    assert "(line 3)" in str(info.value) and "inside its own anchor" in str(info.value)


def test_nesting_too_deep_is_an_input_error_not_a_crash(tmp_path: Path) -> None:
    """Bad-input trial round 1 (found next to the alias bomb): ten thousand nested brackets
    exhausted Python's recursion in the YAML parser -- an internal error."""
    from scanner.errors import InputError
    from scanner.yamlio import read_yaml

    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 10000 + "]" * 10000 + "\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_yaml(deep, "config")
    assert str(info.value).startswith(f"{deep}: not valid YAML")


# ------------------------------------------------------------------ catastrophic backtracking


@pytest.mark.parametrize("pattern,words", [
    ("^(.+)+!$", "a quantified group holds an unbounded quantifier"),
    ("^(a*b?)*c", "a quantified group holds an unbounded quantifier"),
    ("(.*,){12}x", "a quantified group holds an unbounded quantifier"),
    ("^(a|a)+$", "alternatives under a quantifier can match the same text"),
    ("^(ab|[a-z]b)+$", "alternatives under a quantifier can match the same text"),
    ("^(x+x+)+y", "a quantified group holds an unbounded quantifier"),
])
def test_a_pattern_that_can_backtrack_catastrophically_is_refused_at_load(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str, words: str) -> None:
    """Bad-input trial round 1: ``matches: "^(.+)+!$"`` passed `rules validate` and the scan
    never ended on a 90-character name (Python's re has no timeout): both refuse it now, exit
    2 naming file, rule and field."""
    rules = tmp_path / "r"
    path = write_rule(rules, "my-redos", f"{{attribute: name, op: matches, value: '{pattern}'}}")
    assert main(["rules", "validate", str(rules)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: rule my-redos: field fail_when.value: " in err
    assert words in err
    assert main(_scan(tmp_path, "--rules-dir", str(rules))) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("pattern", [
    "^prod-", "(?i)^(prod|staging)-[a-z0-9-]+$", "^([a-z0-9-]++\\.)+example\\.com$",
    "^(?>[a-z]+/)+db$", "(\\d{1,3}\\.){3}\\d{1,3}", "^(foo|bar)+$", "^a.*b.*c$",
    "^(\\w|\\d)+$", "^(prod|production)+-", "(a|ab)*c", "^(ab|a[a-z])+$",
])
def test_patterns_without_nested_or_ambiguous_repetition_are_accepted(
        tmp_path: Path, pattern: str) -> None:
    """Bad-input trial round 1: the refusal is for nested unbounded repetition and ambiguous
    alternatives under a quantifier; possessive quantifiers and atomic groups, which do not
    backtrack, are the way to write the nested form."""
    from scanner.engine.loader import load_rule_file

    path = write_rule(tmp_path, "my-ok", f"{{attribute: name, op: matches, value: '{pattern}'}}")
    load_rule_file(path)


@pytest.mark.parametrize("pattern", [
    "(.{0,40}){0,40}QQQ", "^(a{1,9}){1,9}!", "(x?){30}x{30}", "^(?:\\w{1,20}\\s?){1,20}!",
])
def test_a_bounded_variable_quantifier_ending_a_repeated_group_is_refused_at_load(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], pattern: str) -> None:
    """Fault-injection trial round 14: ``(.{0,40}){0,40}QQQ`` on a secret's resource policy
    passed `rules validate`, and the scan ran until Ctrl-C (90 s and counting, nothing said:
    0.1 s on 20 characters, 6 s on 25, exponential) -- only an unbounded inner quantifier
    was refused. Bounded, the splits among the iterations are still exponentially many when
    the inner quantifier ends the group and can take its first character."""
    rules = tmp_path / "r"
    path = write_rule(rules, "my-redos", f"{{attribute: name, op: matches, value: '{pattern}'}}")
    assert main(["rules", "validate", str(rules)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: rule my-redos: field fail_when.value: " in err
    assert "ends in a variable-length quantifier that can take its first character" in err
    assert main(_scan(tmp_path, "--rules-dir", str(rules))) == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("pattern", [
    "(\\d{1,3}\\.){3}\\d{1,3}", "^(ab?c){2,5}$", "^([a-z]{2,8}-){1,4}[0-9]+$",
    "(a{1,9}+){1,9}!", "(?>a{1,9}){1,9}!",
])
def test_a_bounded_repeated_group_whose_iterations_are_told_apart_is_accepted(
        tmp_path: Path, pattern: str) -> None:
    from scanner.engine.loader import load_rule_file

    path = write_rule(tmp_path, "my-ok", f"{{attribute: name, op: matches, value: '{pattern}'}}")
    load_rule_file(path)


# ------------------------------------------------------------------ the remediation section

_LAMBDA = "arn:aws:lambda:us-east-1:111111111111:function:rotate-db"


@pytest.mark.parametrize("section,field,words", [
    ("  rotation_days: true\n", "remediation.rotation_days", "true is not of type 'integer'"),
    ("  rotation_days: 1001\n", "remediation.rotation_days", "1001 is greater than"),
    (f"  rotation_functions:\n    - {{lambda_arn: '{_LAMBDA}', days: true}}\n",
     "remediation.rotation_functions[0].days", "true is not of type 'integer'"),
    ("  key_rotation_period_days: true\n", "remediation.key_rotation_period_days",
     "true is not of type 'integer'"),
    ("  max_plan_age_hours: true\n", "remediation.max_plan_age_hours",
     "true is not of type 'number'"),
    ("  engine_tag: 7\n", "remediation.engine_tag", "7 is not of type 'string'"),
    ("  rotation_dayz: 30\n", "remediation", "rotation_dayz"),
])
def test_a_wrong_remediation_setting_is_refused_by_scan_and_remediate(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], section: str, field: str,
        words: str) -> None:
    """Bad-input trial round 1: ``rotation_days: true`` (a YAML boolean) passed as an integer
    (bool is an int in Python), was planned "every True days" and sent to AWS as
    AutomaticallyAfterDays true; the ``remediation`` section had no schema. Both commands
    refuse it with the same message, naming the field."""
    from scanner.errors import InputError
    from scanner.remediate.config import load_config as load_remediation_config

    config = _config(tmp_path, "remediation:\n" + section)
    with pytest.raises(InputError) as info:
        load_remediation_config(config)
    assert info.value.field == field
    assert words in str(info.value)
    assert main(_scan(tmp_path, "--config", str(config))) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert f"field {field}: " in line and words in line


def test_the_remediation_checks_refuse_a_boolean_where_an_integer_is_wanted() -> None:
    """Bad-input trial round 1: scanner/remediate/config.py itself (reached also without the
    scan's schema, e.g. from a plan's recorded settings) refuses a boolean for each integer."""
    from scanner.errors import InputError
    from scanner.remediate.config import parse_config

    for data in ({"remediation": {"rotation_days": True}},
                 {"remediation": {"key_rotation_period_days": True}},
                 {"remediation": {"rotation_functions": [{"lambda_arn": _LAMBDA, "days": True}]}}):
        with pytest.raises(InputError, match="expected an integer"):
            parse_config(data, path="x.yaml")


# ------------------------------------------------------------------ --full-refresh-days


@pytest.mark.parametrize("command", [
    ["scan", "--accounts", "111111111111", "--regions", "us-east-1", "--out", "OUT"],
    ["collect", "--regions", "us-east-1", "--run-id", "r1", "--parts", "OUT"],
])
def test_a_full_refresh_period_past_ten_years_is_refused_before_any_work(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Bad-input trial round 1: ``--full-refresh-days 1000000000`` passed the check (only >=
    1) and then every account's collection crashed in timedelta (OverflowError): exit 2
    naming the flag, before any AWS call."""
    import boto3

    def no_aws(*_: object, **__: object) -> None:
        raise AssertionError("no AWS call before the flags are checked")

    monkeypatch.setattr(boto3.session.Session, "client", no_aws)
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    assert main([*args, "--full-refresh-days", "1000000000"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith("--full-refresh-days must be from 1 to 3650 (days), not 1000000000")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["1000000000", "3651", "0", "7.5"])
def test_the_task_environment_refuses_a_full_refresh_period_out_of_range(value: str) -> None:
    """Bad-input trial round 1: SECRETGRAPH_FULL_REFRESH_DAYS had the same weak check."""
    from scanner.deploy.tasks import TaskConfig
    from scanner.errors import InputError

    env = {"SECRETGRAPH_ROLE_NAME": "SecretgraphAudit", "SECRETGRAPH_REGIONS": "us-east-1",
           "SECRETGRAPH_ORG_MODE": "true", "SECRETGRAPH_HISTORY_URI": "s3://b/nightly",
           "SECRETGRAPH_SECURITYHUB": "off", "SECRETGRAPH_CENTRAL_ACCOUNT": "111111111111",
           "SECRETGRAPH_PARTS_URI": "s3://b/parts", "SECRETGRAPH_FULL_REFRESH_DAYS": value}
    with pytest.raises(InputError, match="SECRETGRAPH_FULL_REFRESH_DAYS must be a whole number "
                                         r"of days from 1 to 3650, not '"):
        TaskConfig.from_env(env)
    env["SECRETGRAPH_FULL_REFRESH_DAYS"] = "3650"
    assert TaskConfig.from_env(env).scan.full_refresh_days == 3650


# ------------------------------------------------------------------ --external-id


@pytest.mark.parametrize("command", [
    ["scan", "--accounts", "111111111111", "--regions", "us-east-1", "--out", "OUT",
     "--role-name", "Audit"],
    ["collect", "--regions", "us-east-1", "--run-id", "r1", "--parts", "OUT",
     "--role-name", "Audit"],
    ["remediate", "--in", "OUT"],
    ["export", "securityhub", "--findings", "OUT/findings.json", "--role-name", "Audit"],
])
@pytest.mark.parametrize("value,words", [
    ("x", "2 to 1224 characters"),
    ("", "2 to 1224 characters"),
    ("two words", "letters, digits and _+=,.@:/- only"),
    ("y" * 1225, "2 to 1224 characters"),
])
def test_an_external_id_sts_would_refuse_is_a_usage_error_naming_the_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], command: list[str], value: str,
        words: str) -> None:
    """Bad-input trial round 1: ``--external-id x`` made every account a coverage gap
    (ParamValidationError: AssumeRole's ExternalId is 2-1224 characters of [\\w+=,.@:/-]) and
    exit 3; ``--external-id ''`` was silently no external id. Exit 2 naming the flag, the
    value not echoed (it is a shared secret of sorts: the stack keeps it NoEcho)."""
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    with pytest.raises(SystemExit) as info:
        main([*args, "--external-id", value])
    assert info.value.code == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "argument --external-id: " in line and words in line
    if len(value) > 2:
        assert value not in line


def test_the_handler_environment_refuses_an_external_id_sts_would_refuse() -> None:
    """Bad-input trial round 1: SECRETGRAPH_EXTERNAL_ID is checked like --external-id; empty
    is still "none" (the stack's default)."""
    from scanner.deploy.handler import HandlerConfig
    from scanner.errors import InputError

    env = {"SECRETGRAPH_ROLE_NAME": "SecretgraphAudit", "SECRETGRAPH_REGIONS": "us-east-1",
           "SECRETGRAPH_ORG_MODE": "true", "SECRETGRAPH_HISTORY_URI": "s3://b/nightly",
           "SECRETGRAPH_SECURITYHUB": "off", "SECRETGRAPH_CENTRAL_ACCOUNT": "111111111111"}
    with pytest.raises(InputError, match="SECRETGRAPH_EXTERNAL_ID: an ExternalId is 2 to 1224"):
        HandlerConfig.from_env({**env, "SECRETGRAPH_EXTERNAL_ID": "x"})
    assert HandlerConfig.from_env({**env, "SECRETGRAPH_EXTERNAL_ID": ""}).external_id is None
    assert HandlerConfig.from_env(
        {**env, "SECRETGRAPH_EXTERNAL_ID": "Ab-12:x@y"}).external_id == "Ab-12:x@y"


def test_the_stack_parameter_allows_what_the_scanner_accepts() -> None:
    """Bad-input trial round 1: the ExternalId stack parameters refuse at deploy time what
    the scanner would refuse at night (AllowedPattern), and allow empty (none)."""
    import re

    from scanner.aws.session import external_id_problem
    from scanner.deploy.templates import EXTERNAL_ID_PATTERN

    for value in ("", "x", "ab", "two words", "a:b/c@d=e,f.g+h_i-j", "y" * 1224, "y" * 1225,
                  "é" * 3):
        allowed = re.fullmatch(EXTERNAL_ID_PATTERN, value, re.ASCII) is not None
        assert allowed == (value == "" or external_id_problem(value) is None), value


# ------------------------------------------------------------------ files that are not UTF-8


def test_a_journal_that_is_not_utf8_is_refused_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad-input trial round 1: ``remediate --undo`` of a binary file said "internal error:
    UnicodeDecodeError" without naming the file (read_journal caught only OSError)."""
    journal = tmp_path / "j.jsonl"
    journal.write_bytes(b"\xff\xfe\n")
    assert main(["remediate", "--undo", str(journal), "--yes"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith(f"secretgraph remediate: error: {journal}: cannot read journal: "
                           "not UTF-8 text")
