"""``remediate --account A`` weighs a finding of another account only for a change that would
land in A (PlanContext.landing). grant-key-decrypt knows where its change lands -- the key's
account -- before the access analysis it asks of the planner, so for a key elsewhere it stops
there: a one-account plan of a 1,000-account scan analysed every other account's broken reads
(345,809 findings at about 1.6 s each: an ETA of 12 hours). The plan is the same.

Built on the secret-cross-account-access-broken fixture (tests/remediate/
test_grant_key_decrypt_gates.py): the secret and its key ``k-private`` are in 111111111111,
the role that cannot decrypt in 222222222222."""

from __future__ import annotations

from typing import Any

import pytest

from remediations import grant_key_decrypt
from scanner.changes import PlanContext, RemediationConfig
from scanner.remediate import effects
from scanner.remediate.planner import Selection, build_plan
from test_grant_key_decrypt_gates import KEY, RULE, _broken, _estate, _scan

KEY_ACCOUNT = "111111111111"
ROLE_ACCOUNT = "222222222222"


@pytest.fixture
def analyses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The secrets the planner's access analysis was asked about."""
    asked: list[str] = []
    real = effects.Predictor.secret_access

    def counted(self: effects.Predictor, secret_arn: str) -> Any:
        asked.append(secret_arn)
        return real(self, secret_arn)

    monkeypatch.setattr(effects.Predictor, "secret_access", counted)
    return asked


def test_a_finding_elsewhere_whose_key_is_elsewhere_is_not_analysed(analyses: list[str]) -> None:
    snap = _estate()
    findings = _scan(snap)

    plan = build_plan(findings, snap, RemediationConfig(),
                      Selection(rules=(RULE,), accounts=(ROLE_ACCOUNT,)))

    assert plan.changes == () and plan.skipped == ()
    assert analyses == []


def test_the_key_account_selected_plans_the_key_statement(analyses: list[str]) -> None:
    snap = _estate()
    findings = _scan(snap)

    plan = build_plan(findings, snap, RemediationConfig(),
                      Selection(rules=(RULE,), accounts=(KEY_ACCOUNT,)))

    assert [(c.remediation_id, c.resource_arn) for c in plan.changes] == \
        [("grant-key-decrypt", KEY)]
    assert analyses


def test_landing_elsewhere_plans_nothing_and_landing_on_the_key_account_plans() -> None:
    """The remediator's own answer, for a finding the planner weighs only for changes landing
    in ``landing``: nothing when the key is elsewhere, before any analysis is asked for."""
    snap = _estate()
    finding = _broken(_scan(snap))

    def no_analysis(arn: str) -> Any:
        raise AssertionError(f"analysed {arn}")

    elsewhere = PlanContext(config=RemediationConfig(), secret_access=no_analysis,
                            landing=frozenset({ROLE_ACCOUNT}))
    assert grant_key_decrypt.plan(finding, snap, elsewhere) == []

    here = PlanContext(config=RemediationConfig(), landing=frozenset({KEY_ACCOUNT}))
    (change,) = grant_key_decrypt.plan(finding, snap, here)
    assert change.account_id == KEY_ACCOUNT and change.resource_arn == KEY
