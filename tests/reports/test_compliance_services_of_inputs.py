"""Every input a rule may declare (rules/rule.schema.json ``inputs``) names the service it is
read from, so that a listing the scan could not make marks the compliance controls of the
rules that read it (reports.compliance). key_grants was missing: a rule declaring only it would
have had its ListGrants gaps ignored (documentation truth check round 15)."""

from __future__ import annotations

import json
from pathlib import Path

from reports.compliance import SERVICE_OF_INPUT

SCHEMA = Path(__file__).resolve().parents[2] / "rules" / "rule.schema.json"


def test_every_input_a_rule_may_declare_names_its_service() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    inputs = set(schema["properties"]["inputs"]["items"]["enum"])
    assert inputs == set(SERVICE_OF_INPUT), inputs ^ set(SERVICE_OF_INPUT)
    assert SERVICE_OF_INPUT["key_grants"] == "kms"
