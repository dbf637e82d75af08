"""--rule takes rule ids and remediation ids: the one the rule declares
(``repair-cross-account-access``) and the remediator a finding resolves to
(``grant-key-decrypt``). Both had failed: the first planned nothing, the second was refused as
an unknown id (new-user trial)."""

from __future__ import annotations

from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.remediate.planner import Selection

ARN = "arn:aws:secretsmanager:us-east-1:111111111111:secret:app/db-AbCdEf"
PRINCIPAL = "arn:aws:iam::222222222222:role/app"


def _broken() -> Finding:
    rule = "secret-cross-account-access-broken"
    return Finding(id=finding_id(rule, ARN, PRINCIPAL), rule_id=rule, title=rule,
                   severity=Severity.MEDIUM, status=Status.FAIL,
                   resource=ResourceRef(type="Secret", arn=ARN, account_id="111111111111",
                                        region="us-east-1"),
                   principal=PRINCIPAL, remediation={"id": "repair-cross-account-access"},
                   evidence={"gates": {PRINCIPAL: {"key_policy": "DENIED"}}})


def test_the_declared_and_the_resolved_remediation_ids_both_select() -> None:
    finding = _broken()
    for named in ("secret-cross-account-access-broken", "repair-cross-account-access",
                  "grant-key-decrypt"):
        selection = Selection(rules=(named,))
        assert selection.selects(finding, "grant-key-decrypt"), named
        assert selection.explicit(finding, "grant-key-decrypt"), named
    assert not Selection(rules=("move-secret-to-cmk",)).selects(finding, "grant-key-decrypt")


def test_a_rule_of_ones_own_and_its_remediation_id_are_known_to_rule() -> None:
    """Review: `remediate --rule my-rotation-off` (a rule of one's own, scanned with
    --rules-dir) and its own remediation id were refused as unknown ids, while the plan lists
    its findings as manual steps (docs/rules.md, "Rules of your own")."""
    import dataclasses
    from types import SimpleNamespace

    import pytest

    from scanner.commands.remediate import check_selection
    from scanner.engine import load_ruleset
    from scanner.errors import UsageError

    mine = dataclasses.replace(_broken(), rule_id="my-rotation-off",
                               remediation={"id": "ask-owner-to-rotate"})
    inputs = SimpleNamespace(findings=[mine], snapshot=SimpleNamespace(
        accounts=(), account_names=lambda: {}))
    for named in ("my-rotation-off", "ask-owner-to-rotate"):
        check_selection(Selection(rules=(named,)), load_ruleset(), inputs)  # type: ignore[arg-type]
        assert Selection(rules=(named,)).selects(mine, "ask-owner-to-rotate")
    with pytest.raises(UsageError):
        check_selection(Selection(rules=("my-rotaton-off",)), load_ruleset(), inputs)  # type: ignore[arg-type]


def test_an_account_id_the_scan_lacks_names_the_closest_and_where_the_accounts_are() -> None:
    """Safe-fixes trial round 14: `--account 111111111112` said "not an account of the scan"
    alone."""
    from types import SimpleNamespace

    import pytest

    from scanner.commands.remediate import check_selection
    from scanner.engine import load_ruleset
    from scanner.errors import UsageError

    inputs = SimpleNamespace(findings=[_broken()], snapshot=SimpleNamespace(
        accounts=(SimpleNamespace(account_id="111111111111"),), account_names=lambda: {}))
    with pytest.raises(UsageError) as err:
        check_selection(Selection(accounts=("111111111112",)), load_ruleset(), inputs)  # type: ignore[arg-type]

    assert str(err.value) == ("--account 111111111112: not an account of the scan; closest: "
                              "111111111111; the scan's accounts are listed by `jq -r "
                              "'.scan.accounts[]' DIR/findings.json`")
