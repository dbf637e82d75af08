"""secret-cross-account-access-broken's message names what blocks the read. The gates that
passed come first in a path's reasons, so cutting the joined reasons at 300 characters always cut
the denying gate's reason: "scp: DENIED (SC…" never named the SCP (ground-truth trial round 6).
The denying gates' reasons now come first and whole; the others follow while they fit."""

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
    denying = fail.message.index("scp: DENIED")
    assert denying < fail.message.index("resource_policy: ALLOWED")
