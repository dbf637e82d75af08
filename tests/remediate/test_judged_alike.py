"""The predictor judges each change's before and after without the rules that read only IAM
and the organization (``effects.judged_alike``): no remediator changes either, so those rules
judge the same both times and say nothing of a change's effect -- and at 1,000 accounts
identity-policy-secret-wildcard over 20,000 principals was a third of every change's cost.
The plan is the same with them or without."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from remediations import REMEDIATORS
from scanner.changes import RemediationConfig
from scanner.engine import load_ruleset
from scanner.remediate import effects
from scanner.remediate.planner import Selection, build_plan
from test_grant_key_decrypt_gates import RULE, _estate, _scan

NOW = datetime(2026, 12, 6, tzinfo=timezone.utc)


def test_no_remediator_changes_iam_or_the_organization() -> None:
    services = {p.split(":", 1)[0] for m in REMEDIATORS.values() for p in m.PERMISSIONS}
    assert services and not services & {"iam", "organizations", "sts"}


def test_only_the_rules_reading_iam_alone_are_judged_alike() -> None:
    alike = [r.id for r in load_ruleset().rules if effects.judged_alike(r)]
    assert alike == ["identity-policy-secret-wildcard"]


def test_the_plan_is_the_same_with_the_rules_judged_alike_left_out(
        monkeypatch: pytest.MonkeyPatch) -> None:
    snap = _estate()
    findings = _scan(snap)
    assert any(f.rule_id == "identity-policy-secret-wildcard" and f.status.value == "FAIL"
               for f in findings)

    def plan() -> dict[str, object]:
        return build_plan(findings, snap, RemediationConfig(), Selection(), now=NOW).to_json()

    lean = plan()
    monkeypatch.setattr(effects, "UNCHANGED_INPUTS", frozenset())
    whole = plan()

    assert lean == whole
    assert any(c["remediation_id"] == "grant-key-decrypt" and c["effect"]["findings_resolved"]
               for c in lean["changes"]), RULE
