"""aws:userid of a role session and of an IAM user, whose unique id the snapshot does not hold
(IAM conformance trial round 22, item 1 of round 21).

IAM User Guide, "AWS global condition context keys", aws:userid (principal key values): for a
role "role-id:caller-specified-role-name", for an IAM user "the unique ID of the user"; "IAM
identifiers", "Understanding unique ID prefixes": "AIDA  IAM user", "AROA  Role". So a role
session's aws:userid always begins ``AROA`` and holds a ``:`` before its session name, an IAM
user's begins ``AIDA`` and holds none: StringLike ``AIDA*`` (or an account's ``<id>:*``, the
federated-user form) never matches a role, ``AROA*`` and ``AROA*:*`` always do. Only a value
naming one role's id (``AROAEXAMPLEID:*``) depends on the id the snapshot lacks.

Before: every such clause was CONDITIONAL "if: aws:userid" without --prove, and --prove gave a
WITNESS for "Allow if StringLike aws:userid AIDA*" on a role, its aws:userid "AIDA" -- a
value no role session has (AWS denies that read)."""

from __future__ import annotations

from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph

USER = f"arn:aws:iam::{MEMBER}:user/alice"


def _snap(principal: str, userid: Any, operator: str = "StringLike") -> Any:
    extra = {"Condition": {operator: {"aws:userid": userid}}}
    return estate(secret_policy=secret_policy_for(principal, extra=extra),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(principal, allow_read_identity()),))


def _decision(principal: str, userid: Any, operator: str = "StringLike") -> str:
    snap = _snap(principal, userid, operator)
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p for p in sa.paths}
    return paths[principal].decision if principal in paths else "DENIED"


@pytest.mark.parametrize("principal, userid, expected", [
    (APP_ROLE, "AIDA*", "DENIED"),  # a user's prefix: never a role session's
    (APP_ROLE, f"{MEMBER}:*", "DENIED"),  # a federated user's form
    (APP_ROLE, MEMBER, "DENIED"),  # the root user's
    (APP_ROLE, "AROA", "DENIED"),  # no wildcard: that text, which no session has
    (APP_ROLE, "AROA*", "ALLOWED"),
    (APP_ROLE, "AROA*:*", "ALLOWED"),
    (APP_ROLE, "*:*", "ALLOWED"),
    (APP_ROLE, "AROAEXAMPLEID:*", "CONDITIONAL"),  # which role has that id: not known
    (USER, "AROA*:*", "DENIED"),
    (USER, f"{MEMBER}:*", "DENIED"),
    (USER, "AIDA*", "ALLOWED"),
    (USER, "AIDAEXAMPLEID", "CONDITIONAL"),
])
def test_the_unique_id_prefix_decides(principal: str, userid: str, expected: str) -> None:
    assert _decision(principal, userid) == expected


def test_an_arn_operator_matches_no_unique_id() -> None:
    """IAM User Guide, ARN condition operators compare ARNs: aws:userid is none (conditions
    module doc: a request value that is not an ARN matches neither way)."""
    assert _decision(APP_ROLE, "arn:aws:iam::*:*", "ArnLike") == "DENIED"
    assert _decision(APP_ROLE, "arn:aws:iam::*:*", "ArnNotLike") == "DENIED"


def test_a_deny_unless_a_user_prefix_denies_a_role() -> None:
    """Deny unless StringLike aws:userid AIDA* (only IAM users): a role is denied."""
    grant = {"Effect": "Allow", "Principal": {"AWS": APP_ROLE},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    deny = {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
            "Condition": {"StringNotLike": {"aws:userid": "AIDA*"}}}
    snap = estate(secret_policy=text(grant, deny),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
        principals=(role(APP_ROLE, allow_read_identity()),))
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    assert APP_ROLE not in {p.principal for p in sa.paths}


def test_prove_gives_no_role_a_users_unique_id() -> None:
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import Prover

    snap = _snap(APP_ROLE, "AIDA*")
    answer = Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap),
                    timeout_s=20).principal(SECRET_ARN, APP_ROLE)
    assert answer.status == "PROVEN_NONE"
    snap = _snap(APP_ROLE, "AROA*:*")
    answer = Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap),
                    timeout_s=20).principal(SECRET_ARN, APP_ROLE)
    assert answer.status == "WITNESS"
    userid = answer.witness["requests"]["secret"]["context"]["aws:userid"][0]
    assert userid.startswith("AROA") and ":" in userid
