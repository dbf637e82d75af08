"""docs/access.md "Modules": the table names every module of scanner/access/, one concern
each (context, gates, grants, identity, scp and settings were missing: a reader looking for
where the gates are combined or the SCPs judged found no row)."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules_table() -> str:
    text = (ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    start = text.index("## Modules")
    return text[start:text.index("\n## ", start + 1)]


def test_the_modules_table_names_every_module_of_scanner_access() -> None:
    named = set(re.findall(r"^\| `(\w+)\.py` \|", _modules_table(), re.MULTILINE))
    modules = {p.stem for p in (ROOT / "scanner" / "access").glob("*.py")
               if not p.name.startswith("__") and p.stem != "analyze"}
    assert sorted(modules - named) == [], "docs/access.md's Modules table lacks them"
    assert sorted(named - modules) == [], "docs/access.md's Modules table names modules that are gone"


def test_the_trust_zone_section_names_every_member_of_scan_trust_zone() -> None:
    """docs/access.md "Trust zone" lists what findings.json records of the zone under
    `scan.trust_zone`; allowed_external_accounts (the allow-list, written when set) was
    missing from the list."""
    schema = json.loads((ROOT / "scanner" / "schemas" / "findings.schema.json")
                        .read_text(encoding="utf-8"))
    members = schema["properties"]["scan"]["properties"]["trust_zone"]["properties"]
    text = (ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    start = text.index("under `scan.trust_zone`")
    paragraph = text[start:text.index("\n\n", start)]
    assert [m for m in members if f"`{m}`" not in paragraph] == []
