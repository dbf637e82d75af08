"""The HTML access view's Why column says, for an allowed read, which policies let it in: it
was empty for every allowed row, so a reader of report.html could not tell a grant of the
secret's own policy from one of an identity policy, nor see that a KMS grant is what opens the
key (new-user trial round 24)."""

from __future__ import annotations

from helpers.access_estate import (
    APP_ROLE,
    CENTRAL,
    CENTRAL_ROLE,
    SECRET_ARN,
    allow_read_identity,
    estate,
    key_policy_for,
    role,
    secret_policy_for,
    text,
    with_keys,
)

from reports.html.access_view import build_access_view
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import KeyGrant, Snapshot

ROOT_ONLY = text({"Sid": "Root", "Effect": "Allow",
                  "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                  "Resource": "*"})


def _why(snap: Snapshot, principal: str) -> tuple[str, str]:
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    view = build_access_view(graph, access, account_names={})
    [pair] = [p for g in view.groups for p in g.pairs
              if p.principal_arn == principal and p.secret_arn == SECRET_ARN]
    return pair.state, pair.why


def test_a_cross_account_reader_names_the_three_policies_that_allow_it() -> None:
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert _why(snap, APP_ROLE) == (
        "allowed", "allowed by resource policy, key policy, identity policy")


def test_a_key_opened_by_a_kms_grant_says_so() -> None:
    snap = with_keys(estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                            principals=(role(APP_ROLE, allow_read_identity()),)),
                     grants=(KeyGrant(grant_id="g1", grantee_principal=APP_ROLE,
                                      operations=("Decrypt",)),))
    state, why = _why(snap, APP_ROLE)
    assert state == "allowed"
    assert "key policy (KMS grant)" in why


def test_a_reader_of_the_secrets_own_account_says_either_policy_suffices() -> None:
    snap = estate(secret_policy=None, key_policy=key_policy_for(CENTRAL_ROLE),
                  principals=(role(CENTRAL_ROLE, allow_read_identity()),))
    assert _why(snap, CENTRAL_ROLE) == (
        "allowed", "allowed by key policy, identity policy (same account: either of identity "
        "and resource policy suffices)")


def test_a_broken_read_names_the_blocking_policy_in_the_words_an_allowed_read_uses() -> None:
    """The Why column read "blocked by key_policy" (the gate's attribute name) two rows from
    "allowed by resource policy, key policy, identity policy" (new-user trial round 26)."""
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=ROOT_ONLY,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    assert _why(snap, APP_ROLE) == ("broken", "blocked by key policy")
