"""A principal the secret's resource policy names (or lets in with ``*``) whose own statements
then exclude it -- an ABAC condition that does not hold for it, a Deny of the policy that
applies -- is not an intended cross-account read that is broken: the owner's policy says who
may read, and it said no. The rule catalog, secret-cross-account-access-broken: "A principal
in another account is granted by the secret's resource policy (the owner meant it to read)",
and of the resource policy's own Deny only the NotPrincipal Deny that applies for a
permissions boundary alone counts ("a principal the NotPrincipal does not list is meant to be
denied and is not reported"). `secretgraph access` showed such a principal "BROKEN at
resource_policy" while the rule was silent (IAM conformance trial round 19, the GammaRole
display; round 20)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, REGION, SECRET_ARN, allow_read_identity, estate,
                                   key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph
from scanner.model import ManagedPolicy, Snapshot

GAMMA = f"arn:aws:iam::{MEMBER}:role/GammaRole"
#: a trust policy that allows no sts:TagSession: the roles' tags are their requests' tags
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}
ABAC = {"StringEquals": {"aws:PrincipalTag/team": "${aws:ResourceTag/team}"}}


def _estate(secret_policy: str, gamma_boundary: str | None = None,
            managed: tuple[ManagedPolicy, ...] = (),
            gamma_identity: dict[str, Any] | None = None) -> Snapshot:
    app = replace(role(APP_ROLE, allow_read_identity()), tags={"team": "app"},
                  trust_policy=TRUST)
    gamma = replace(role(GAMMA, gamma_identity or allow_read_identity(),
                         boundary=gamma_boundary),
                    tags={"team": "gamma"}, trust_policy=TRUST)
    return estate(secret_policy=secret_policy, key_policy=key_policy_for(f"arn:aws:iam::"
                                                                         f"{MEMBER}:root"),
                  principals=(app, gamma), tags={"team": "app"}, managed=managed)


def _paths(snap: Snapshot, record_denied: bool = False) -> dict[str, Any]:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p for p in sa.paths}


def _grant(principal: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal,
            "Action": "secretsmanager:GetSecretValue", "Resource": "*", **extra}


def test_a_named_role_its_abac_condition_excludes_is_not_broken() -> None:
    snap = _estate(text(_grant({"AWS": [APP_ROLE, GAMMA]}, Condition=ABAC)))
    paths = _paths(snap)
    assert paths[APP_ROLE].decision == "ALLOWED"
    assert GAMMA not in paths  # DENIED and not broken: not recorded
    gamma = _paths(snap, record_denied=True)[GAMMA]
    assert gamma.decision == "DENIED"
    assert gamma.gates["resource_policy"].status == "DENIED"
    assert not gamma.intended and gamma.broken_at == ()


def test_a_star_grant_its_abac_condition_excludes_is_not_broken() -> None:
    # GammaRole's identity names this secret (docs/access.md: intended by its identity):
    # the resource policy's own condition still decides whom the owner let read
    snap = _estate(text(_grant("*", Condition={"StringEquals": {
        **ABAC["StringEquals"], "aws:PrincipalAccount": MEMBER}})),
        gamma_identity=allow_read_identity(
            secret=f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/db-??????"))
    gamma = _paths(snap, record_denied=True)[GAMMA]
    assert gamma.decision == "DENIED" and gamma.broken_at == () and not gamma.intended
    assert _paths(snap)[APP_ROLE].decision == "ALLOWED"


def test_a_named_role_the_policys_own_deny_applies_to_is_not_broken() -> None:
    snap = _estate(text(_grant({"AWS": [APP_ROLE, GAMMA]}),
                        {"Effect": "Deny", "Principal": {"AWS": GAMMA},
                         "Action": "secretsmanager:*", "Resource": "*"}))
    gamma = _paths(snap, record_denied=True)[GAMMA]
    assert gamma.decision == "DENIED" and gamma.gates["resource_policy"].explicit_deny
    assert gamma.broken_at == () and not gamma.intended


def test_a_grant_the_policy_gives_and_another_gate_blocks_stays_broken() -> None:
    # the key policy trusts only the central account: the grant the policy gives is broken
    snap = estate(secret_policy=text(_grant({"AWS": [GAMMA]})),
                  key_policy=key_policy_for("arn:aws:iam::999999999999:root"),
                  principals=(replace(role(GAMMA, allow_read_identity()), trust_policy=TRUST),))
    gamma = _paths(snap)[GAMMA]
    assert gamma.decision == "DENIED" and gamma.intended
    assert gamma.broken_at == ("key_policy",)


def test_a_notprincipal_deny_that_applies_for_the_boundary_alone_stays_broken() -> None:
    # IAM User Guide, NotPrincipal: "The NotPrincipal element with a Deny effect will always
    # deny any IAM principal that has a permissions boundary policy attached, regardless of the
    # values specified in the NotPrincipal element" -- the owner listed it to keep
    boundary = ManagedPolicy(arn=f"arn:aws:iam::{MEMBER}:policy/All", name="All",
                             account_id=MEMBER, document={
                                 "Version": "2012-10-17", "Statement": [
                                     {"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    snap = _estate(text(_grant({"AWS": [GAMMA]}),
                        {"Effect": "Deny", "NotPrincipal": {"AWS": [
                            GAMMA, f"arn:aws:iam::{MEMBER}:root"]},
                         "Action": "secretsmanager:*", "Resource": "*"}),
                   gamma_boundary=boundary.arn, managed=(boundary,))
    gamma = _paths(snap)[GAMMA]
    assert gamma.decision == "DENIED" and gamma.intended
    assert gamma.broken_at == ("resource_policy",)
