"""secret-cross-account-access-broken when a document the identity gate needs was not collected:
the reader's permissions boundary or an attached managed policy named by the role is not in the
snapshot. The gate cannot be decided, so the intended reader's row is UNKNOWN, naming the
document -- never a PASS (ground-truth trial round 19: an application role whose boundary was
the AWS-managed ReadOnlyAccess, absent from the snapshot, was CONDITIONAL in `access` and the
rule passed the secret as if every intended reader could read it)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, doc,
                                   estate, key_policy_for, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import ManagedPolicy

RULE = "secret-cross-account-access-broken"
BOUNDARY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
ATTACHED = f"arn:aws:iam::{MEMBER}:policy/read-central-secrets"


def _rows(**kwargs: Any) -> dict[str | None, Any]:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  **kwargs)
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get(RULE)
    assert rule is not None
    return {f.principal: f for f in evaluate(
        graph, snap, access, Ruleset(rules=(rule,)), parse_config({}, path="(test)"),
        datetime(2026, 11, 29, tzinfo=timezone.utc)) if f.resource.arn == SECRET_ARN}


def test_a_reader_whose_boundary_was_not_collected_is_unknown_not_passed() -> None:
    rows = _rows(principals=(role(APP_ROLE, allow_read_identity(), boundary=BOUNDARY),))
    assert set(rows) == {APP_ROLE}, rows
    row = rows[APP_ROLE]
    assert row.status.value == "UNKNOWN"
    # what is missing is named, not only the gate: the morning reader knows what to collect
    assert row.missing == (
        f"gate identity_policy (UNKNOWN: permissions boundary {BOUNDARY} not collected)",)
    assert BOUNDARY in row.message


def test_a_reader_whose_only_grant_is_in_an_attached_policy_not_collected_is_unknown() -> None:
    rows = _rows(principals=(role(APP_ROLE, attached=(ATTACHED,)),))
    assert rows[APP_ROLE].status.value == "UNKNOWN"


def test_a_reader_whose_boundary_was_collected_and_allows_passes() -> None:
    boundary = ManagedPolicy(arn=BOUNDARY, name="ReadOnlyAccess", account_id="aws",
                             aws_managed=True, document=doc({
                                 "Effect": "Allow", "Action": ["secretsmanager:Get*",
                                                               "kms:Decrypt"],
                                 "Resource": "*"}))
    rows = _rows(principals=(role(APP_ROLE, allow_read_identity(), boundary=BOUNDARY),),
                 managed=(boundary,))
    assert rows == {}, "PASS is summarised, not itemised"


def test_an_explicit_deny_that_was_read_still_breaks_the_read_beside_a_missing_document(
        ) -> None:
    """The Deny read decides the gate whatever the missing document says (IAM User Guide,
    policy evaluation logic: an explicit deny overrides any allow)."""
    deny = doc({"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue", "kms:Decrypt"],
                "Resource": "*"},
               {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    rows = _rows(principals=(role(APP_ROLE, deny, attached=(ATTACHED,)),))
    assert rows[APP_ROLE].status.value == "FAIL"
    assert rows[APP_ROLE].evidence["denied_by"] == ["identity_policy"]
