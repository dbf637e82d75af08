"""aws:userid naming a role or user by the unique id IAM gave it, when the snapshot holds that
id (ground-truth trial round 22: a secret shared with ``*`` under StringLike aws:userid
"<AppRole's RoleId>:*" -- the standard AWS pattern for "this role's sessions only" -- left
AppRole a CONDITIONAL reader "if: aws:userid" and secret-policy-external-account UNKNOWN "the
snapshot holds no IAM unique ids", though GetAccountAuthorizationDetails returns every role's
RoleId and every user's UserId).

IAM User Guide, "AWS global condition context keys", principal key values: aws:userid is
"role-id:caller-specified-role-name" for a role and "the unique ID of the user" for an IAM
user; "IAM identifiers", unique identifiers: "When IAM creates a user, user group, role,
policy, instance profile, or server certificate, it assigns a unique ID to each resource"."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, MEMBER, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, secret_policy_for, text)

from scanner.access import AccessSettings, analyze_access
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph

NOW = datetime(2026, 12, 1, tzinfo=timezone.utc)
APP_ID = "AROA5APPROLE0UNIQUE1"
OTHER_ROLE = f"arn:aws:iam::{MEMBER}:role/OtherRole"
OTHER_ID = "AROA5OTHERROLE0UNIQ2"
USER = f"arn:aws:iam::{MEMBER}:user/alice"
USER_ID = "AIDA5ALICE0UNIQUE003"


def _snap(userid: Any, operator: str = "StringLike") -> Any:
    extra = {"Condition": {operator: {"aws:userid": userid}}}
    return estate(secret_policy=secret_policy_for("*", extra=extra),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity(), unique_id=APP_ID),
                              role(OTHER_ROLE, allow_read_identity(), unique_id=OTHER_ID),
                              role(USER, allow_read_identity(), unique_id=USER_ID)))


def _decisions(userid: Any, operator: str = "StringLike") -> dict[str, str]:
    snap = _snap(userid, operator)
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p.decision for p in sa.paths}
    return {p: paths.get(p, "DENIED") for p in (APP_ROLE, OTHER_ROLE, USER)}


@pytest.mark.parametrize("operator, userid, app, other, user", [
    # the role's sessions, whatever their names
    ("StringLike", f"{APP_ID}:*", "ALLOWED", "DENIED", "DENIED"),
    ("StringLike", f"{APP_ID[:8]}*:*", "ALLOWED", "DENIED", "DENIED"),
    # one session name: which name the role's callers use is not known
    ("StringEquals", f"{APP_ID}:nightly", "CONDITIONAL", "DENIED", "DENIED"),
    ("StringLike", f"{APP_ID}:night*", "CONDITIONAL", "DENIED", "DENIED"),
    # a role's aws:userid always has a session name after its id
    ("StringEquals", APP_ID, "DENIED", "DENIED", "DENIED"),
    ("StringLike", APP_ID, "DENIED", "DENIED", "DENIED"),
    # an IAM user's is its unique id
    ("StringEquals", USER_ID, "DENIED", "DENIED", "ALLOWED"),
    ("StringLike", "AIDA5ALICE*", "DENIED", "DENIED", "ALLOWED"),
    # a unique id no principal of the snapshot has
    ("StringLike", "AROA5DELETEDROLE0ID1:*", "DENIED", "DENIED", "DENIED"),
])
def test_a_unique_id_the_snapshot_holds_names_its_principal(
        operator: str, userid: str, app: str, other: str, user: str) -> None:
    assert _decisions(userid, operator) == {APP_ROLE: app, OTHER_ROLE: other, USER: user}


def test_without_the_ids_the_read_stays_conditional() -> None:
    """A snapshot written before the ids were collected: which role has the id is not known."""
    extra = {"Condition": {"StringLike": {"aws:userid": f"{APP_ID}:*"}}}
    snap = estate(secret_policy=secret_policy_for("*", extra=extra),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    assert {p.principal: p.decision for p in sa.paths}[APP_ROLE] == "CONDITIONAL"


def _external(snap: Any) -> tuple[str, tuple[str, ...]]:
    rule = load_ruleset().get("secret-policy-external-account")
    assert rule is not None
    config = parse_config({"emit_pass": True}, path="(test)")
    access = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    out = evaluate(build_graph(snap), snap, access, Ruleset(rules=(rule,)), config, NOW)
    finding = next(f for f in out if f.resource.arn == SECRET_ARN)
    return finding.status.value, tuple(finding.missing)


def test_a_grant_to_a_scanned_roles_unique_id_is_not_external() -> None:
    """The id is a scanned account's role's: inside the trust zone, a PASS (not UNKNOWN)."""
    rp = text({"Sid": "OnlyTheAppRole", "Effect": "Allow", "Principal": "*",
               "Action": "secretsmanager:GetSecretValue", "Resource": "*",
               "Condition": {"StringLike": {"aws:userid": f"{APP_ID}:*"}}})
    snap = estate(secret_policy=rp, key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity(), unique_id=APP_ID),))
    assert _external(snap) == ("PASS", ())


def test_a_grant_to_an_id_no_scanned_principal_has_stays_unknown() -> None:
    rp = text({"Sid": "SomeRole", "Effect": "Allow", "Principal": "*",
               "Action": "secretsmanager:GetSecretValue", "Resource": "*",
               "Condition": {"StringLike": {"aws:userid": f"{OTHER_ID}:*"}}})
    snap = estate(secret_policy=rp, key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity(), unique_id=APP_ID),))
    status, missing = _external(snap)
    assert status == "UNKNOWN"
    assert missing == (f"the account of {OTHER_ID}:* (aws:userid in statement 0 (SomeRole)): "
                       "no principal of the snapshot has that unique id",)


def test_the_solver_takes_the_known_id_as_the_roles() -> None:
    """--prove: AppRole's read under "<its id>:*" is a witness (not UNKNOWN "allowed only if
    the principal's unique id is ..."), and nobody outside the zone reads: the id is a scanned
    role's (not UNKNOWN "its account is not in the snapshot")."""
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import Prover
    from scanner.policy.smt.solve import PROVEN_NONE, WITNESS

    snap = _snap(f"{APP_ID}:*")
    prover = Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap), timeout_s=20)
    answer = prover.principal(SECRET_ARN, APP_ROLE)
    assert answer.status == WITNESS, answer
    assert prover.secret(SECRET_ARN).read.status == PROVEN_NONE


def test_another_principals_id_is_not_an_unread_roles() -> None:
    """A role of an account whose IAM was not read (named by the key policy) has an id the
    snapshot does not hold -- but not AppRole's, which the snapshot holds: unique ids are
    unique (IAM User Guide, "IAM identifiers"). Before: that role was a CONDITIONAL reader "if:
    aws:userid" of a secret shared with AppRole's sessions only (ground-truth trial round 22:
    LegacyRole of the suspended account)."""
    from helpers.access_estate import MEMBER2

    unread = f"arn:aws:iam::{MEMBER2}:role/Unread"
    extra = {"Condition": {"StringLike": {"aws:userid": f"{APP_ID}:*"}}}
    snap = estate(secret_policy=secret_policy_for("*", extra=extra),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root", unread),
                  principals=(role(APP_ROLE, allow_read_identity(), unique_id=APP_ID),),
                  iam_accounts=(MEMBER,))
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p.decision for p in sa.paths}
    assert paths[APP_ROLE] == "ALLOWED"
    assert paths.get(unread, "DENIED") == "DENIED"


def test_the_solver_gives_no_principal_another_ones_id() -> None:
    """--prove for a role whose own id is not known (OtherRole, written without it): its read
    under "<AppRole's id>:*" is proven impossible, not UNKNOWN "allowed only if the
    principal's unique id is <AppRole's>"."""
    pytest.importorskip("z3")
    from scanner.policy.smt.questions import Prover
    from scanner.policy.smt.solve import PROVEN_NONE

    extra = {"Condition": {"StringLike": {"aws:userid": f"{APP_ID}:*"}}}
    snap = estate(secret_policy=secret_policy_for("*", extra=extra),
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity(), unique_id=APP_ID),
                              role(OTHER_ROLE, allow_read_identity())))
    prover = Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap), timeout_s=20)
    answer = prover.principal(SECRET_ARN, OTHER_ROLE)
    assert answer.status == PROVEN_NONE, answer
