"""docs/access.md names the condition keys the evaluator holds absent on GetSecretValue and on
the Decrypt because only other actions take them (scanner.policy.request.ACTION_ONLY_KEYS): the
list the user reads is the code's. Three grant keys the table gained
(kms:GranteeServicePrincipal, kms:RetiringServicePrincipal, kms:GrantConstraintSourceArn) were
missing from the document, which read as if a policy using them stayed undecided."""

from __future__ import annotations

import re
from pathlib import Path

from scanner.policy.request import ACTION_ONLY_KEYS

ACCESS_MD = Path(__file__).resolve().parents[2] / "docs" / "access.md"


def named_keys(text: str) -> set[str]:
    """Every `service:Key` in backticks, and a Secrets Manager key's short form (`Name`) as
    the document lists them after `secretsmanager:BlockPublicPolicy`, lower-cased."""
    full = {m.lower() for m in re.findall(r"`((?:kms|secretsmanager):[A-Za-z]+)`", text)}
    short = {f"secretsmanager:{m.lower()}" for m in re.findall(r"`([A-Z][A-Za-z]+)`", text)}
    return full | short


def test_every_key_only_other_actions_take_is_named_in_access_md() -> None:
    named = named_keys(ACCESS_MD.read_text(encoding="utf-8"))
    assert sorted(set(ACTION_ONLY_KEYS) - named) == []


def test_the_check_sees_a_key_the_document_leaves_out() -> None:
    text = "grant keys (`kms:GrantOperations`) and `secretsmanager:BlockPublicPolicy`, `Name`"
    named = named_keys(text)
    assert {"kms:grantoperations", "secretsmanager:blockpublicpolicy",
            "secretsmanager:name"} <= named
    assert "kms:granteeserviceprincipal" not in named


def _table_modules(text: str, heading: str) -> set[str]:
    """The `name.py` / `name/` entries of the first column of the table after ``heading``."""
    start = text.index(heading)
    rows = []
    for line in text[start:].splitlines()[1:]:
        if line.startswith("|"):
            rows.append(line)
        elif rows:
            break
    names: set[str] = set()
    for row in rows[2:]:
        names.update(re.findall(r"`(\w+)(?:\.py|/)`", row.split("|")[1]))
    return names


def test_access_md_module_tables_name_every_module_of_access_and_policy() -> None:
    """docs/access.md's "Modules" tables are the map of scanner/access and scanner/policy: every
    module is there (scanner/policy had no table), and none that is gone."""
    text = ACCESS_MD.read_text(encoding="utf-8")
    root = ACCESS_MD.parents[1] / "scanner"
    access = {p.stem for p in (root / "access").glob("*.py")} - {"__init__", "analyze"}
    policy = {p.stem for p in (root / "policy").glob("*.py")} - {"__init__"} | {"smt"}
    assert _table_modules(text, "`scanner/access/analyze.py` wires") == access
    assert _table_modules(text, "The policy evaluation under them") == policy
