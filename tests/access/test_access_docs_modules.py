"""docs/access.md "Trust zone" against the findings schema. (Its "Modules" tables, which named
too few modules once -- context, gates, grants, identity, scp and settings -- are held to
scanner/access and scanner/policy by tests/e2e/test_docs_access_keys.py: this file's own check
read both tables as one after scanner/policy's was added.)"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


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
