"""``Breadth.public`` (the access command's "PUBLIC grant") is the grant scope's answer:
the statements of scanner.policy.exposure.public_statements, the same statements
secret-policy-public reports -- never a second test of its own (concept review round 1: a
``*`` grant narrowed by aws:SourceVpce was "PUBLIC" in ``access`` and nothing to the rule)."""

from __future__ import annotations

from helpers.access_estate import (
    APP_ROLE,
    ORG_ID,
    SECRET_ARN,
    allow_read_identity,
    estate,
    role,
    text,
)

from scanner.access import AccessReport, AccessSettings, SecretAccess, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.policy.exposure import public_statements
from scanner.policy.parse import parse_policy

#: a key that lets anyone decrypt through Secrets Manager: only the secret policy decides
OPEN_KEY = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})
VPCE_ONLY = text({"Sid": "ViaOurEndpoint", "Effect": "Allow", "Principal": "*",
                  "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                  "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}}})
ORG_IF_EXISTS = text({"Sid": "OrgIfExists", "Effect": "Allow", "Principal": "*",
                      "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                      "Condition": {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}}})


def _secret(policy: str) -> SecretAccess:
    snap: Snapshot = estate(secret_policy=policy, key_policy=OPEN_KEY,
                            principals=(role(APP_ROLE, allow_read_identity()),))
    report: AccessReport = analyze_access(build_graph(snap), snap,
                                          AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return sa


def _rule_says_public(policy: str) -> bool:
    return bool(public_statements(parse_policy(policy)))


def test_a_star_grant_narrowed_to_an_endpoint_is_not_a_public_grant() -> None:
    """aws:SourceVpce narrows (narrowing.NARROWING_KEYS): the rule finds no public statement,
    and the breadth does not call it public -- although an outsider's ``*`` path stays
    CONDITIONAL on the endpoint (concept review round 1, defect 5)."""
    sa = _secret(VPCE_ONLY)
    assert not _rule_says_public(VPCE_ONLY)
    assert [p.decision for p in sa.paths if p.principal == "*"] == ["CONDITIONAL"]
    assert not sa.breadth.public
    assert "*" not in {r.subject for r in sa.reach}


def test_an_if_exists_org_condition_narrows_nothing_and_the_grant_is_public() -> None:
    """...IfExists is true when the key is absent: public to the rule, to the reach and to the
    breadth alike (concept review round 1, defect 5)."""
    sa = _secret(ORG_IF_EXISTS)
    assert _rule_says_public(ORG_IF_EXISTS)
    assert sa.breadth.public and not sa.breadth.organization_wide
    assert "*" in {r.subject for r in sa.reach}
