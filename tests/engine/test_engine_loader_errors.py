"""A malformed rule is never skipped: InputError (exit 2) naming file, rule and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.engine_helpers import write_rule
from scanner.cli import main
from scanner.engine.loader import load_rule_file, load_ruleset
from scanner.errors import InputError


def error_of(path: Path) -> InputError:
    with pytest.raises(InputError) as info:
        load_rule_file(path)
    return info.value


@pytest.mark.parametrize("fail_when,field,words", [
    ("{attribute: rotation_enabled, op: is_flase}", "fail_when.op", "unknown operator"),
    ("{attribute: rotaton_enabled, op: is_false}", "fail_when.attribute", "unknown attribute"),
    ("{predicate: no_such_predicate}", "fail_when.predicate", "unknown predicate"),
    ("{predicate: peering_routes_missing}", "fail_when.predicate", "cannot judge Secret"),
    ("{predicate: policy_public, args: {feld: x}}", "fail_when.args.feld", "no argument"),
    # fault-injection trial round 22: valid to rules validate, then KeyError at evaluation --
    # every secret UNKNOWN, 'a rule could not be evaluated', exit 1
    ("{predicate: rotation_schedule_too_long}", "fail_when.args",
     "predicate rotation_schedule_too_long needs the argument max_days (integer)"),
    ("{any: [{attribute: name, op: exists}, {predicate: rotation_schedule_too_long, "
     "args: {}}]}", "fail_when.any[1].args", "needs the argument max_days"),
    ("{attribute: created, op: older_than_days, param: max_dayz}", "fail_when.param",
     "unknown parameter"),
    ("{attribute: created, op: older_than_days, value: ninety}", "fail_when.value",
     "needs a number"),
    ("{attribute: name, op: matches, value: '('}", "fail_when.value", "regular expression"),
    ("{attribute: name, op: in, value: x}", "fail_when.value", "needs a list"),
    ("{attribute: name, op: is_null, value: 3}", "fail_when.value", "takes no value"),
    # new-user trial round 36: no value line compared with null, and `rules validate` said valid
    ("{attribute: name, op: equals}", "fail_when.value", "operator equals needs a value"),
    ("{attribute: name, op: not_equals, value: null}", "fail_when.value",
     "operator not_equals needs a value"),
    ("{attribute: tags, op: contains}", "fail_when.value", "op: is_null"),
    ("{edge: ENCRYPTS, where: {attribute: key_state, op: exists}}", "fail_when.edge",
     "unknown edge kind"),
    ("{edge: ENCRYPTED_BY, target_kind: KmsKey, where: {attribute: nope, op: exists}}",
     "fail_when.where.attribute", "unknown attribute 'nope' for resource kind KmsKey"),
    ("{all: [{attribute: name, op: exists}, {attribute: name, op: equals, value: 1, x: 2}]}",
     "fail_when.all[1]", "Additional properties"),
    ("{any: []}", "fail_when.any", "should be non-empty"),
])
def test_bad_condition_names_file_rule_and_field(tmp_path: Path, fail_when: str, field: str,
                                                 words: str) -> None:
    path = write_rule(tmp_path, "my-rule", fail_when)
    err = error_of(path)
    assert err.path == str(path)
    assert err.rule == "my-rule"
    assert err.field == field
    assert words in str(err)
    assert str(err).startswith(f"{path}: rule my-rule: field {field}: ")


def test_id_must_equal_the_file_name(tmp_path: Path) -> None:
    path = write_rule(tmp_path, "my-rule", "{attribute: name, op: exists}")
    renamed = path.rename(tmp_path / "other-name.yaml")
    err = error_of(renamed)
    assert (err.rule, err.field) == ("my-rule", "id")


def test_missing_required_field_and_bad_severity(tmp_path: Path) -> None:
    path = write_rule(tmp_path, "my-rule", "{attribute: name, op: exists}", severity="SEVERE")
    err = error_of(path)
    assert err.field == "severity"
    path.write_text(path.read_text().replace("title: A test rule for the engine\n", ""))
    path.write_text(path.read_text().replace("SEVERE", "HIGH"))
    assert "'title' is a required property" in str(error_of(path))


def test_parameter_default_of_the_wrong_type(tmp_path: Path) -> None:
    extra = ("parameters:\n  max_days: {type: integer, default: soon, description: how long}\n")
    path = write_rule(tmp_path, "my-rule", "{attribute: created, op: older_than_days, "
                                            "param: max_days}", extra=extra)
    err = error_of(path)
    assert err.field == "parameters.max_days.default"


def test_a_user_rule_names_a_manual_remediation_of_its_own_not_an_automated_one(
        tmp_path: Path) -> None:
    """New-user trial: a rule of one's own could not name a remediation of its own (`tag-secret`
    was "unknown"), while naming the built-in `enable-secret-rotation` was accepted and made
    `remediate` plan RotateSecret for a "no owner tag" finding."""
    path = write_rule(tmp_path, "my-rule", "{attribute: name, op: exists}")
    text = path.read_text()
    path.write_text(text.replace("rotate-secret-now", "tag-secret"))
    assert load_rule_file(path).remediation["id"] == "tag-secret"
    path.write_text(text.replace("rotate-secret-now", "enable-secret-rotation"))
    error = error_of(path)
    assert error.field == "remediation.id"
    assert "'enable-secret-rotation' is an automated remediation of the built-in rules" in \
        str(error)
    path.write_text(text.replace("rotate-secret-now", "enable-secret-rotaton"))
    error = error_of(path)
    assert error.field == "remediation.id"
    assert "unknown remediation id 'enable-secret-rotaton'; closest: enable-secret-rotation" \
        in str(error)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("id: broken\ntitle: [unclosed\n")
    assert "line" in str(error_of(path))


def test_a_bad_file_in_a_user_rule_directory_fails_the_whole_load(tmp_path: Path) -> None:
    write_rule(tmp_path, "good-rule", "{attribute: name, op: exists}")
    write_rule(tmp_path, "bad-rule", "{attribute: name, op: nope}")
    with pytest.raises(InputError) as info:
        load_ruleset([tmp_path])
    assert info.value.rule == "bad-rule"


def test_a_user_rule_may_not_reuse_a_builtin_id(tmp_path: Path) -> None:
    write_rule(tmp_path, "secret-unused", "{attribute: name, op: exists}")
    with pytest.raises(InputError) as info:
        load_ruleset([tmp_path])
    assert "is the id of a built-in rule" in str(info.value)


def test_user_rule_directory_is_loaded_with_the_builtins(tmp_path: Path) -> None:
    write_rule(tmp_path, "team-secret-owner-tag", "{attribute: tags.owner, op: is_null}")
    ids = load_ruleset([tmp_path]).ids
    assert "team-secret-owner-tag" in ids and "secret-unused" in ids


def test_rules_validate_command_exits_2_with_file_rule_and_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_rule(tmp_path, "my-rule", "{attribute: name, op: nope}")
    assert main(["rules", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: rule my-rule: field fail_when.op: unknown operator 'nope'" in err
    assert "Traceback" not in err


def test_rules_validate_accepts_the_builtin_pack(capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.engine.loader import builtin_rules_dir

    files = len(list(builtin_rules_dir().glob("*.yaml")))
    assert main(["rules", "validate", str(builtin_rules_dir())]) == 0
    assert f"{files} rule file(s) valid" in capsys.readouterr().out


def test_rules_validate_refuses_what_scan_refuses_a_built_in_id_reused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: `rules validate` called a custom rule with a built-in id valid;
    `scan --rules-dir` then exited 2 on it."""
    import shutil

    from scanner.engine.loader import builtin_rules_dir

    copy = tmp_path / "secret-rotation-disabled.yaml"
    shutil.copy(builtin_rules_dir() / "secret-rotation-disabled.yaml", copy)
    assert main(["rules", "validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{copy}: rule secret-rotation-disabled: field id: 'secret-rotation-disabled' is " \
        "the id of a built-in rule" in err
    assert main(["rules", "list", "--rules-dir", str(tmp_path)]) == 2


def test_rules_list_json_includes_user_rules(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    import json

    write_rule(tmp_path, "team-rule", "{attribute: name, op: exists}")
    assert main(["rules", "list", "--rules-dir", str(tmp_path), "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert {"team-rule", "secret-policy-public"} <= {r["id"] for r in rows}


def test_a_parameter_default_that_is_not_finite_is_refused(tmp_path: Path) -> None:
    """NaN passes both `< minimum` and `> maximum`: a NaN ratio switched its rule off."""
    from scanner.engine.params import ParamSpec, check_param_value

    extra = ("parameters:\n  ratio: {type: number, default: .nan, minimum: 0, maximum: 1, "
             "description: share}\n")
    path = write_rule(tmp_path, "my-rule", "{attribute: created, op: older_than_days, "
                                            "value: 1}", extra=extra)
    err = error_of(path)
    assert (err.path, err.rule, err.field) == (str(path), None, "parameters.ratio.default")
    assert "not a finite number" in str(err)
    spec = ParamSpec(name="ratio", type="number", default=0.8, description="share",
                     minimum=0, maximum=1)
    assert check_param_value(spec, float("nan")) == "must be a finite number, got nan"
    assert check_param_value(spec, float("inf")) == "must be a finite number, got inf"


def test_an_unknown_attribute_names_the_closest_one_and_the_kinds_attributes(
        tmp_path: Path) -> None:
    """New-user trial round 6: `attribute: tagz` was refused with "unknown attribute 'tagz' for
    resource kind Secret" and nothing else: no closest match, no list of what a Secret has."""
    from scanner.engine.attributes import attributes_of

    err = str(error_of(write_rule(tmp_path, "my-rule", "{attribute: tagz.team, op: exists}")))
    assert "unknown attribute 'tagz' for resource kind Secret; closest: tags" in err
    assert "(attributes of Secret: " + ", ".join(sorted(attributes_of("Secret"))) + ")" in err


def test_an_unknown_message_placeholder_names_the_closest_attribute(tmp_path: Path) -> None:
    """New-user trial round 6 (with `tagz`): a mistyped placeholder gets the closest name too."""
    path = write_rule(tmp_path, "my-rule", "{attribute: name, op: exists, message: '{nmae}'}")
    err = str(error_of(path))
    assert "message placeholder {nmae} is neither a parameter nor an attribute of Secret; " \
           "closest: name" in err


def test_a_copy_of_a_built_in_rule_with_its_own_remediation_is_told_of_the_id_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bad-input trial round 1: a rule file reusing secret-rotation-disabled's id with a
    remediation id of its own was refused as "unknown remediation id 'handfix'"."""
    import shutil

    from scanner.engine.loader import builtin_rules_dir

    copy = tmp_path / "secret-rotation-disabled.yaml"
    shutil.copy(builtin_rules_dir() / "secret-rotation-disabled.yaml", copy)
    text = copy.read_text(encoding="utf-8")
    copy.write_text(text.replace("id: enable-secret-rotation", "id: handfix"), encoding="utf-8")
    assert "id: handfix" in copy.read_text(encoding="utf-8")
    assert main(["rules", "validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "is the id of a built-in rule" in err and "handfix" not in err, err


def test_the_built_in_rules_folder_given_as_rules_dir_says_so(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Bad-input trial round 1: `--rules-dir` naming the built-in rules' folder said
    "duplicate rule id (also defined in <the same file>)"."""
    from scanner.engine.loader import builtin_rules_dir

    assert main(["rules", "list", "--rules-dir", str(builtin_rules_dir())]) == 2
    err = capsys.readouterr().err
    assert "folder of the built-in rules" in err and "duplicate" not in err, err


def test_rules_validate_names_every_bad_file_of_a_folder_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`rules validate DIR` stopped at the first bad file: a folder with three mistakes took
    three runs (new-user trial round 18, LOW). Every bad file is named in the one error."""
    bad_op = write_rule(tmp_path, "rule-a", "{attribute: name, op: nope}")
    bad_attr = write_rule(tmp_path, "rule-b", "{atribute: name, op: exists}")
    good = write_rule(tmp_path, "rule-c", "{attribute: name, op: exists}")
    assert main(["rules", "validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "2 of 3 rule files are invalid" in err
    assert f"{bad_op}: rule rule-a: field fail_when.op: unknown operator 'nope'" in err
    assert f"{bad_attr}: rule rule-b" in err and str(good) not in err
    assert "Traceback" not in err


def test_rules_validate_names_every_problem_of_one_file_at_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A first rule of one's own with three schema mistakes took three runs, one problem a
    run (new-user trial round 18's leftover, after the files were named at once): each
    problem is named, with its field, in the one error line."""
    path = write_rule(tmp_path, "rule-a", "{attribute: name, op: exists}", severity="HUGE",
                      extra="references: not-a-list\nunknown_key: 1\n")
    assert main(["rules", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    flat = " ".join(err.split())  # one line, broken at a terminal's width
    assert f"{path}: rule rule-a: 3 problems: " in flat, err
    assert "field severity: 'HUGE' is not one of" in flat
    assert "field references: 'not-a-list' is not of type 'array'" in flat
    assert "('unknown_key' was unexpected)" in flat


def test_a_rule_file_with_one_problem_reads_as_before() -> None:
    with pytest.raises(InputError) as exc:
        from scanner.engine.loader import parse_rule
        parse_rule({"id": "x"}, path="x.yaml")
    assert exc.value.rule == "x" and exc.value.field == "(top level)"
    assert "problems" not in str(exc.value)


@pytest.mark.parametrize("given", [
    ("{d}", "{d}"),                      # the same folder twice (a script's repeated argument)
    ("{d}", "{d}/rule-a.yaml"),          # a folder and a file of it
    ("{d}/rule-a.yaml", "{d}/./rule-a.yaml"),  # one file by two spellings
])
def test_rules_validate_reads_a_rule_file_given_twice_once(
        given: tuple[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan --rules-dir D --rules-dir D` reads D once (docs/reports.md, "Scoping a scan"), and
    `rules validate` checks its paths "as scan --rules-dir loads it": a valid rule file named
    twice was refused as "duplicate rule id (also defined in <the same file>)", exit 2."""
    write_rule(tmp_path, "rule-a", "{attribute: name, op: exists}")
    paths = [p.format(d=tmp_path) for p in given]
    assert main(["rules", "validate", *paths]) == 0, capsys.readouterr().err
    assert "1 rule file(s) valid" in capsys.readouterr().out


def test_rules_validate_names_a_bad_file_given_twice_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = write_rule(tmp_path, "rule-a", "{attribute: name, op: nope}")
    assert main(["rules", "validate", str(tmp_path), str(bad)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert err.count("unknown operator 'nope'") == 1 and "rule files are invalid" not in err, err


def test_rules_validate_of_a_folder_without_rules_names_both_suffixes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`rules validate` takes .yaml and .yml files (its --help), as --rules-dir does."""
    assert main(["rules", "validate", str(tmp_path)]) == 2
    assert "no rule files (*.yaml, *.yml)" in capsys.readouterr().err


def test_every_argument_a_predicate_needs_is_one_it_takes_and_the_docs_say_so() -> None:
    from scanner.engine.predicates import PREDICATES

    needing = {name: spec.required for name, spec in PREDICATES.items() if spec.required}
    assert needing == {"rotation_schedule_too_long": ("max_days",)}
    rules_md = (Path(__file__).parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    assert "| `rotation_schedule_too_long` | Secret | max_days (integer, required) |" in rules_md


def test_rules_validate_refuses_a_compare_without_a_value_in_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """new-user trial round 36: a newcomer's first rule, `op: equals` with the value line
    forgotten, was "1 rule file(s) valid" and then passed every secret (no name is null)."""
    path = write_rule(tmp_path, "my-rule", "{attribute: name, op: equals}")
    assert main(["rules", "validate", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"secretgraph rules validate: error: {path}: rule my-rule: field "
                   "fail_when.value: operator equals needs a value (no value line, or an empty "
                   "one, is null in YAML; to test for a missing attribute write op: is_null, for "
                   "a present one op: exists)"], err
