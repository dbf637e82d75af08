"""The HTML access view files the ``*`` reader (any principal of an outside account) under
"everyone (public)" exactly when the access analysis reaches everyone -- the grant scope of
scanner.policy.exposure.public_statements, the statements secret-policy-public reports -- and
under "whole organization" only for an organization-wide grant; never by searching the path's
condition names (concept review round 1, defect 4)."""

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

from reports.html.access_view import AccessGroup, build_access_view
from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.policy.exposure import public_statements
from scanner.policy.parse import parse_policy

OPEN_KEY = text({"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})


def _star(condition: dict[str, dict[str, str]]) -> str:
    return text({"Sid": "Star", "Effect": "Allow", "Principal": "*",
                 "Action": "secretsmanager:GetSecretValue", "Resource": "*",
                 "Condition": condition})


def _group_of_star(policy: str) -> AccessGroup:
    snap = estate(secret_policy=policy, key_policy=OPEN_KEY,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    view = build_access_view(graph, access, account_names={})
    [group] = [g for g in view.groups
               if any(p.principal_arn == "*" and p.secret_arn == SECRET_ARN for p in g.pairs)]
    return group


def test_an_if_exists_org_condition_is_public_not_the_organization() -> None:
    """StringEqualsIfExists aws:PrincipalOrgID lets in a caller outside any organization:
    secret-policy-public FAILs, ``access`` reaches everyone, and the HTML says so."""
    policy = _star({"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}})
    assert public_statements(parse_policy(policy))
    group = _group_of_star(policy)
    assert (group.key, group.kind) == ("class:everyone", "public")
    assert "public" in group.flags.split()


def test_a_star_grant_narrowed_to_an_endpoint_is_not_everyone() -> None:
    """aws:SourceVpce narrows: the rule finds nothing public, so the HTML does not file the
    outsider's conditional read under "everyone (public)" (nor under the organization)."""
    policy = _star({"StringEquals": {"aws:SourceVpce": "vpce-0123456789abcdef0"}})
    assert not public_statements(parse_policy(policy))
    group = _group_of_star(policy)
    assert group.kind == "narrowed" and group.key == "class:narrowed"
    assert "public" not in group.flags.split()
    assert group.pairs[0].why == "if aws:sourcevpce"
