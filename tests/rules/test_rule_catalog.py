"""Meta-tests over the rule pack: ids, schema, fixtures, remediation ids, generated docs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

from helpers.rule_fixture import FIXTURES, load_fixture
from scanner.engine.loader import (
    MANUAL_REMEDIATIONS,
    automated_remediations,
    builtin_rules_dir,
    load_ruleset,
)
from scanner.engine.predicates import PREDICATES

REPO = Path(__file__).resolve().parents[2]
RULE_FILES = sorted(builtin_rules_dir().glob("*.yaml"))

#: DESIGN.md's catalog: every id must ship.
CATALOG = {
    "secret-uses-aws-managed-key", "secret-rotation-disabled", "secret-rotation-overdue",
    "secret-rotation-failing", "secret-rotation-function-missing",
    "secret-rotation-no-network-path", "secret-policy-size-near-limit", "secret-policy-public",
    "secret-policy-external-account", "secret-policy-overbroad-actions",
    "secret-cross-account-access-broken", "secret-not-replicated", "secret-replica-unhealthy",
    "secret-unused", "secret-key-unusable", "kms-key-rotation-disabled", "kms-key-policy-public",
    "kms-key-policy-excess-grant", "kms-replica-key-policy-drift", "vpc-peering-quota-near-limit",
    "vpc-peering-route-missing", "vpc-peering-route-overbroad", "vpc-peering-route-blackhole",
    "identity-policy-secret-wildcard", "scan-coverage-gap",
}

#: Rules whose every input is always known once the resource exists, so they cannot answer
#: UNKNOWN; each says why.
NEVER_UNKNOWN = {
    "secret-uses-aws-managed-key": "whether the key is aws/secretsmanager follows from how the "
                                   "secret names its key, which ListSecrets always returns",
    "vpc-peering-route-overbroad": "the peer CIDRs come with the peering record; routes to "
                                   "unknown peerings are vpc-peering-route-blackhole's",
    "scan-coverage-gap": "the coverage list is the scan's own record of what it could not read",
}


def raw(path: Path) -> dict[str, object]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_the_whole_design_catalog_ships() -> None:
    assert CATALOG <= {p.stem for p in RULE_FILES}


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_rule_id_equals_file_name_and_the_file_is_schema_valid(path: Path) -> None:
    schema = json.loads((builtin_rules_dir() / "rule.schema.json").read_text())
    data = raw(path)
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data["id"] == path.stem


def test_rule_ids_are_unique() -> None:
    ids = [raw(p)["id"] for p in RULE_FILES]
    assert len(ids) == len(set(ids))


def test_every_rule_passes_the_semantic_pass() -> None:
    assert {r.id for r in load_ruleset().rules} == {p.stem for p in RULE_FILES}


@pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.stem)
def test_every_rule_has_a_fixture_with_fail_pass_and_unknown(path: Path) -> None:
    assert (FIXTURES / path.stem / "snapshot.json").is_file()
    fx = load_fixture(path.stem)
    assert fx.expected["FAIL"], "needs at least one FAIL resource"
    assert fx.expected["PASS"], "needs at least one PASS resource"
    if path.stem not in NEVER_UNKNOWN:
        assert fx.expected["UNKNOWN"], "needs an UNKNOWN resource (input not collected)"


def test_every_fixture_folder_belongs_to_a_rule() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if (p / "snapshot.json").exists()}
    assert folders == {p.stem for p in RULE_FILES}


def test_remediation_ids_exist() -> None:
    automated = automated_remediations()
    for rule in load_ruleset().rules:
        rid = rule.remediation["id"]
        assert rid in automated or rid in MANUAL_REMEDIATIONS, (rule.id, rid)


def test_every_remediation_text_reaches_security_hub_whole() -> None:
    """The "how to fix" of a rule is the ASFF finding's Remediation.Recommendation.Text, which
    Security Hub caps (reports.asff.LIMITS) and the exporter cuts to fit: a text longer than
    that reaches Security Hub without its last steps."""
    from reports.asff import LIMITS

    too_long = {rule.id: len(str(rule.remediation["description"]))
                for rule in load_ruleset().rules
                if len(str(rule.remediation["description"])) > LIMITS["Recommendation.Text"]}
    assert too_long == {}


def test_manual_remediation_ids_do_not_shadow_automated_ones() -> None:
    assert not MANUAL_REMEDIATIONS & automated_remediations()


def test_every_predicate_is_used_by_a_rule() -> None:
    text = "\n".join(p.read_text() for p in RULE_FILES)
    unused = [name for name in PREDICATES if f"predicate: {name}" not in text]
    assert unused == []


def test_docs_rules_md_is_generated_from_the_rule_files() -> None:
    generated = subprocess.run([sys.executable, "-m", "scanner.engine.docs"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout
    assert (REPO / "docs" / "rules.md").read_text(encoding="utf-8") == generated, \
        "docs/rules.md is stale: run python -m scanner.engine.docs > docs/rules.md"


def test_rules_md_lists_each_resource_kind_with_the_attributes_a_rule_may_use() -> None:
    """New-user trial round 6: "Rules of your own" said `resource` is "a kind of the attribute
    table above", and rules.md had no such table. It is generated from KIND_ATTRIBUTES, what the
    loader checks a rule's attributes against."""
    from scanner.engine.attributes import COMMON, KIND_ATTRIBUTES
    from scanner.engine.docs import render
    from scanner.engine.loader import load_ruleset

    text = render(load_ruleset())
    assert "\n## Resource kinds and attributes\n" in text
    table = text.split("\n## Resource kinds and attributes\n", 1)[1].split("\n## ", 1)[0]
    rows = {line.split("|")[1].strip().strip("`"): line.split("|")[2]
            for line in table.splitlines() if line.startswith("| `")}
    assert set(rows) == set(KIND_ATTRIBUTES)
    for kind, attributes in KIND_ATTRIBUTES.items():
        assert [a.strip().strip("`") for a in rows[kind].split(",")] == \
            sorted(attributes - COMMON), kind  # the common ones are named once, above
    assert all(f"`{name}`" in table.split("| ---")[0] for name in COMMON)
    own = text.split("\n## Rules of your own\n", 1)[1]
    assert "[resource kinds and attributes](#resource-kinds-and-attributes)" in own
