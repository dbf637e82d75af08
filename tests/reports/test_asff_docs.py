"""docs/reports.md's ASFF table names what the mapping writes: every ASFF resource type a
finding's resource can get (`reports.asff.RESOURCE_TYPES`: the table named seven of nine,
leaving out the subnet and the security group) and every finding type a rule adds
(`reports.asff.RULE_TYPES`: "and the like" stood for three of them)."""

from __future__ import annotations

import re
from pathlib import Path

from reports.asff import BEST_PRACTICE, RESOURCE_TYPES, RULE_TYPES

ROOT = Path(__file__).resolve().parents[2]


def _asff_row(member: str) -> str:
    text = (ROOT / "docs" / "reports.md").read_text(encoding="utf-8")
    match = re.search(rf"^\| `{re.escape(member)}` \|(.*)$", text, re.MULTILINE)
    assert match, f"docs/reports.md has no ASFF row for {member}"
    return match.group(1)


def test_the_resources_row_names_every_asff_resource_type_of_a_finding() -> None:
    row = _asff_row("Resources")
    assert [t for t in sorted(set(RESOURCE_TYPES.values())) if f"`{t}`" not in row] == []


def test_the_types_row_names_every_finding_type_a_rule_adds() -> None:
    row = _asff_row("Types")
    types = {BEST_PRACTICE, *(t for extra in RULE_TYPES.values() for t in extra)}
    assert [t for t in sorted(types) if f"`{t}`" not in row] == []
