"""secret-cross-account-access-broken's message names what blocks the read. The gates that
passed came first in a path's reasons, so cutting the joined reasons at 300 characters always cut
the denying gate's reason: "scp: DENIED (SC…" never named the SCP (ground-truth trial round 6).
The denying gates' reasons are now the message's, whole; the others are not restated (the
fifteenth session: 200,000 rows at 1,000 accounts each repeated every gate that allowed)."""

from __future__ import annotations

from datetime import datetime, timezone

from helpers.access_estate import (APP_ROLE, MEMBER, allow_read_identity, control, estate,
                                   key_policy_for, role, secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

_SCP_NAME = "deny-etl-secret-read-" + "x" * 40


def test_the_message_names_the_denying_scp_however_long_the_other_reasons() -> None:
    full_access = control("p-full", "SERVICE_CONTROL_POLICY", ("r-root",),
                          {"Effect": "Allow", "Action": "*", "Resource": "*"})
    deny = control(_SCP_NAME, "SERVICE_CONTROL_POLICY", (MEMBER,),
                   {"Sid": "DenyEtlSecretRead", "Effect": "Deny",
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    # long Sids make the passing gates' reasons long, as real policies' are
    sid = "AllowTheApplicationRoleOfTheMemberAccountToReadTheDatabaseCredentials"
    snap = estate(secret_policy=secret_policy_for(APP_ROLE, extra={"Sid": sid}),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  scps=(full_access, deny))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    [fail] = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                  parse_config({}, path="(test)"),
                                  datetime(2026, 11, 29, tzinfo=timezone.utc))
              if f.status.value == "FAIL"]
    assert fail.evidence["denied_by"] == ["scp"]
    assert _SCP_NAME in fail.message, fail.message
    assert "scp: DENIED" in fail.message
    # the gates that allow are not restated (evidence.gates holds every verdict): the message
    # says who, that the resource policy grants it, and which gate denies and why
    assert "ALLOWED" not in fail.message and sid not in fail.message, fail.message
    assert fail.evidence["gates"][APP_ROLE] == {
        "resource_policy": "ALLOWED", "key_policy": "ALLOWED", "identity_policy": "ALLOWED",
        "scp": "DENIED"}
    assert fail.evidence["facts"] == []  # the message is the principal's fact, written once


def _broken_by_guardrail(deny: object, *extra: object) -> object:
    """The FAIL finding of an estate where every gate allows APP_ROLE's read except the
    guardrail ``deny`` (an SCP or RCP)."""
    from dataclasses import replace

    from helpers.access_estate import CENTRAL, MEMBER2

    # attached at every level of every account's path (each level needs an Allow)
    everywhere = ("r-root", CENTRAL, MEMBER, MEMBER2)
    full_scp = control("p-full", "SERVICE_CONTROL_POLICY", everywhere,
                       {"Effect": "Allow", "Action": "*", "Resource": "*"})
    full_rcp = control("p-rfull", "RESOURCE_CONTROL_POLICY", everywhere,
                       {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    snap = estate(secret_policy=secret_policy_for(APP_ROLE), key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  scps=(full_scp, full_rcp, deny, *extra),  # type: ignore[arg-type]
                  management="999999999999")
    assert snap.organization is not None
    org = replace(snap.organization, rcps_read=True, policy_types_enabled=(
        "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"))
    assert CENTRAL in {a.account_id for a in org.accounts}
    snap = replace(snap, organization=org)
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    [fail] = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),
                                  parse_config({}, path="(test)"),
                                  datetime(2026, 11, 29, tzinfo=timezone.utc))
              if f.status.value == "FAIL"]
    return fail


def test_a_blocking_rcp_is_named_an_rcp_in_the_evidence_message_and_remediation() -> None:
    """Conformance trial round 8 (a rcp): an RCP on the secret's account denies the read. The
    gate is ``scp`` (the findings contract keeps the name), but the evidence
    ``denied_by_policies`` and the message say it is an RCP and which, and the remediation's
    reason no longer says "fix the identity policy or SCP by hand"."""
    from helpers.access_estate import CENTRAL
    from remediations import resolve_remediation_id

    rdeny = control("p-rdeny", "RESOURCE_CONTROL_POLICY", (CENTRAL,),
                    {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                     "Resource": "*"})
    fail = _broken_by_guardrail(rdeny)
    assert fail.evidence["denied_by"] == ["scp"]  # type: ignore[attr-defined]
    assert fail.evidence["denied_by_policies"] == ["RCP p-rdeny"]  # type: ignore[attr-defined]
    assert "denied by scp (RCP p-rdeny)" in fail.message, fail.message  # type: ignore[attr-defined]
    rid, why = resolve_remediation_id(fail)  # type: ignore[arg-type]
    assert rid is None and why is not None
    assert "RCP p-rdeny" in why and "an RCP" in why and "SCP" not in why.replace("RCP", ""), why


def test_a_blocking_scp_is_named_an_scp() -> None:
    """Conformance trial round 8: the SCP case of the same evidence -- ``denied_by_policies``
    names the SCP, the remediation's reason says an SCP blocks."""
    from remediations import resolve_remediation_id

    deny = control("p-deny", "SERVICE_CONTROL_POLICY", (MEMBER,),
                   {"Effect": "Deny", "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    fail = _broken_by_guardrail(deny)
    assert fail.evidence["denied_by_policies"] == ["SCP p-deny"]  # type: ignore[attr-defined]
    rid, why = resolve_remediation_id(fail)  # type: ignore[arg-type]
    assert rid is None and why is not None and "an SCP" in why and "SCP p-deny" in why, why


def test_the_blocking_guardrails_are_read_from_the_gates_own_words() -> None:
    """Conformance trial round 8: ``guardrail_blockers`` reads the reasons as the guardrail
    walk words them -- a Deny at an OU level ("at the caller's OU at depth 1") and a level
    where no SCP allows -- so the evidence names the policy, not part of the level."""
    from scanner.access.scp import guardrail_blockers

    assert guardrail_blockers((
        "SCP p-deny at the caller's OU at depth 1: Deny applies",
        "RCP p-rdeny at the resource's account: Deny may apply",
        "no SCP at the root r-root allows secretsmanager:GetSecretValue",
    )) == (("SCP", "p-deny"), ("SCP", "(none allows at the root r-root)"))


def _only_fail(snap: object) -> object:
    graph = build_graph(snap)  # type: ignore[arg-type]
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))  # type: ignore[arg-type]
    rule = load_ruleset().get("secret-cross-account-access-broken")
    assert rule is not None
    [fail] = [f for f in evaluate(graph, snap, access, Ruleset(rules=(rule,)),  # type: ignore[arg-type]
                                  parse_config({}, path="(test)"),
                                  datetime(2026, 11, 29, tzinfo=timezone.utc))
              if f.status.value == "FAIL"]
    return fail


def test_a_denying_identity_gate_is_explained_by_what_it_lacks_not_by_the_allow_beside_it() -> None:
    """New-user trial round 27: the role may read the secret but no identity policy lets it
    decrypt. The message said 'identity_policy: DENIED (inline:read: statement 0 Allow
    applies; kms:Decrypt: no identity policy allows kms:Decrypt)' -- an Allow given as the
    reason for a denial. It now says only what denies; access --why and evidence.gates keep
    every reason."""
    read_only = {"Version": "2012-10-17", "Statement": [
        {"Sid": "ReadAppSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "*"}]}
    fail = _only_fail(estate(secret_policy=secret_policy_for(APP_ROLE),
                             key_policy=key_policy_for(APP_ROLE),
                             principals=(role(APP_ROLE, read_only),)))
    message = fail.message  # type: ignore[attr-defined]
    assert fail.evidence["denied_by"] == ["identity_policy"]  # type: ignore[attr-defined]
    assert message.endswith("denied by identity_policy (identity_policy: DENIED (kms:Decrypt: "
                            "no identity policy of the caller allows it on a resource of "
                            "account 111111111111))"), message
    assert "Allow applies" not in message and "ReadAppSecrets" not in message, message


def test_a_disabled_key_is_the_reason_its_gate_denies_not_the_statement_that_allows() -> None:
    """The key policy grants the role, but the key is Disabled: the message said 'key_policy:
    DENIED (statement 1 Allow applies; key is Disabled)'. The key's state is the reason."""
    fail = _only_fail(estate(secret_policy=secret_policy_for(APP_ROLE),
                             key_policy=key_policy_for(APP_ROLE), key_state="Disabled",
                             principals=(role(APP_ROLE, allow_read_identity()),)))
    message = fail.message  # type: ignore[attr-defined]
    assert "key_policy: DENIED (" in message and "Disabled" in message, message
    assert "Allow applies" not in message, message
