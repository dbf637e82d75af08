"""Load a rule fixture: ``snapshot.json`` (the JSON form of scanner.model.Snapshot) and
``expected.yaml`` ({FAIL, PASS, UNKNOWN: [resource ids]}, optional ``config`` for --config,
``access: true`` to run access analysis, ``now``).

For brevity a fixture may leave out, in records nested under an account and region, the
``account_id`` and ``region`` they inherit from there, a secret's ``name`` (taken from its ARN)
and a key's ``key_id`` (taken from its ARN). Nothing else is filled in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import yaml

from scanner.model import Snapshot, from_jsonable

FIXTURES = Path(__file__).resolve().parents[1] / "rules"  # tests/rules/<rule_id>/
DEFAULT_NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)
STATUSES = ("FAIL", "PASS", "UNKNOWN")


@dataclass(frozen=True)
class Fixture:
    rule_id: str
    snapshot: Snapshot
    expected: dict[str, set[str]]
    config: dict[str, Any] | None
    access: bool
    now: datetime


def _fill(data: dict[str, Any]) -> dict[str, Any]:
    for acct in data.get("accounts", []):
        account_id = acct["account_id"]
        for reg in acct.get("regions", []):
            for key, records in reg.items():
                if not isinstance(records, list):
                    continue
                for rec in records:
                    if isinstance(rec, dict) and key not in ("quotas",):
                        rec.setdefault("account_id", account_id)
                        rec.setdefault("region", reg["region"])
            for s in reg.get("secrets", []):
                s.setdefault("name", s["arn"].rsplit(":", 1)[-1])
            for k in reg.get("kms_keys", []):
                k.setdefault("key_id", k["arn"].rsplit("/", 1)[-1])
        iam = acct.get("iam")
        if iam:
            for p in iam.get("principals", []):
                p.setdefault("account_id", account_id)
                p.setdefault("name", p["arn"].rsplit("/", 1)[-1])
            for p in iam.get("policies", []):
                p.setdefault("account_id", account_id)
                p.setdefault("name", p["arn"].rsplit("/", 1)[-1])
    return data


def load_fixture(rule_id: str) -> Fixture:
    folder = FIXTURES / rule_id
    data = _fill(json.loads((folder / "snapshot.json").read_text(encoding="utf-8")))
    expected_raw = yaml.safe_load((folder / "expected.yaml").read_text(encoding="utf-8"))
    expected = {s: set(expected_raw.get(s) or ()) for s in STATUSES}
    now = expected_raw.get("now")
    return Fixture(
        rule_id=rule_id, snapshot=from_jsonable(Snapshot, data), expected=expected,
        config=expected_raw.get("config"), access=bool(expected_raw.get("access", False)),
        now=datetime.fromisoformat(now.replace("Z", "+00:00")) if now else DEFAULT_NOW,
    )


def fixture_ids() -> list[str]:
    return sorted(p.name for p in FIXTURES.iterdir()
                  if p.is_dir() and (p / "snapshot.json").exists())
