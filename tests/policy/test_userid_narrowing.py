"""A ``*`` grant narrowed by aws:userid (conformance trial round 7).

IAM User Guide, "AWS global condition context keys", aws:userid: for a role the value is
``role-id:caller-specified-role-name`` (role-id: the role's unique id), for a federated user
``account:caller-specified-name``. A value whose wildcard is only in the caller-specified part
(``AROA...:*``, ``123456789012:*``) names one role, or the federated users of one account: the
standard pattern limiting a resource to one role's sessions is not public. A wildcard where the
id or account is (``*:alice``: a session named alice in any account) stays public (conformance
trial round 2)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from scanner.policy import parse_policy_text
from scanner.policy.exposure import outside_zone_grants, public_statements, unknown_account_grants
from scanner.policy.trust_zone import TrustZone

ROLE_ID = "AROAEXAMPLEID1234567"
OWN = "111111111111"


def _policy(operator: str, value: str | list[str], **extra: dict) -> object:
    cond = {operator: {"aws:userid": value}}
    cond.update(extra)
    return parse_policy_text(json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
        "Resource": "*", "Condition": cond}]}))


@pytest.mark.parametrize("operator,value", [
    ("StringLike", f"{ROLE_ID}:*"),
    ("StringLike", f"{ROLE_ID}:app-?"),
    ("StringEquals", f"{ROLE_ID}:app"),
    ("StringLike", "999999999999:*"),
    ("StringLike", "AIDAEXAMPLEUSER12345"),
])
def test_a_wildcard_only_in_the_session_name_names_one_role_or_account(operator: str,
                                                                       value: str) -> None:
    """Conformance trial round 7 (u1, u4): aws:userid AROA<id>:* was reported public."""
    assert not public_statements(_policy(operator, value))


@pytest.mark.parametrize("value", ["*:alice", "*", "AROA*:*", "?ROAEXAMPLEID1234567:*",
                                   "*EXAMPLEID1234567:app", "AROAEXAMPLEID1234567*"])
def test_a_wildcard_where_the_id_or_account_is_stays_public(value: str) -> None:
    """Conformance trial round 2 (``*:alice``) and round 7: only the session-name part may
    hold a wildcard."""
    assert public_statements(_policy("StringLike", value))


def test_a_federated_users_account_is_the_grantee() -> None:
    """``999999999999:*`` lets in the federated users of account 999999999999 (conformance
    trial round 7): an external grant to that account, not a public one."""
    zone = TrustZone.of(organization=None, scanned=frozenset({OWN}))
    [grant] = outside_zone_grants(_policy("StringLike", "999999999999:*"), own_account=OWN,
                                  zone=zone)
    assert grant.principals == ("999999999999:*",) and grant.condition_key == "aws:userid"
    assert not outside_zone_grants(_policy("StringLike", f"{OWN}:*"), own_account=OWN,
                                   zone=zone)


def test_a_roles_unique_id_names_a_role_whose_account_is_unknown() -> None:
    """Conformance trial round 7 (u1): IAM records in the snapshot carry no unique ids, so the
    account of the role AROA<id> is not known: an unknown grant, neither public nor a known
    external account -- unless another condition names the account."""
    policy = _policy("StringLike", f"{ROLE_ID}:*")
    [m] = unknown_account_grants(policy)
    assert m.principals == (f"{ROLE_ID}:*",) and m.condition_key == "aws:userid"
    narrowed = _policy("StringLike", f"{ROLE_ID}:*",
                       StringEquals={"aws:PrincipalOrgID": "o-abc123"})
    assert not unknown_account_grants(narrowed)
    assert not unknown_account_grants(_policy("StringLike", "*:alice"))
