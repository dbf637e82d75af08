"""An STS federated user session of another account that a policy names is a principal the
solver's outside questions must not prove away (IAM conformance trial round 25).

IAM User Guide, "AWS JSON policy elements: Principal", AWS STS federated user principals:
"arn:aws:sts::AWS-account-ID:federated-user/user-name" names the session GetFederationToken
returns -- a principal of its own, not an IAM role, user or root user (docs/access.md). A secret
policy granting it GetSecretValue, beside a key that lets its account decrypt, lets a caller
outside the trust zone in (the access analysis: a CONDITIONAL reader, its identity not read).

Before: the solver's symbolic outside caller is an IAM role, user or root user only, and an
entry naming a federated user session matched none of them: ``access --prove`` answered
outside-read PROVEN_NONE ("no request from outside the zone is allowed (unsat)") and
secret-policy-external-account FAILed without --prove, PASSed with it. The entry is now not
encoded for a symbolic caller of its account (UNKNOWN, the FAIL kept); a federated user of an
account inside the zone changes no outside proof.
"""

from __future__ import annotations

import pytest
from helpers.access_estate import (CENTRAL, MEMBER, OUTSIDER, SECRET_ARN, estate, text)
from helpers.rule_results import access_report, rule_statuses

from scanner.access import AccessSettings
from scanner.graph.builder import build_graph
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE

pytest.importorskip("z3")

GSV = "secretsmanager:GetSecretValue"
BOB = f"arn:aws:sts::{OUTSIDER}:federated-user/bob"
ROOT_KEY = {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
            "Action": "kms:*", "Resource": "*"}


def _snap(grantee: str, key_account: str = OUTSIDER):  # type: ignore[no-untyped-def]
    key = text(ROOT_KEY, {"Effect": "Allow",
                          "Principal": {"AWS": f"arn:aws:iam::{key_account}:root"},
                          "Action": "kms:Decrypt", "Resource": "*"})
    return estate(secret_policy=text({"Effect": "Allow", "Principal": {"AWS": grantee},
                                      "Action": GSV, "Resource": "*"}), key_policy=key)


def _outside_read(snap):  # type: ignore[no-untyped-def]
    return Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap),
                  timeout_s=20).secret(SECRET_ARN).read


def test_the_access_analysis_reads_the_outside_session_as_a_reader() -> None:
    sa = access_report(_snap(BOB)).for_secret(SECRET_ARN)
    [path] = [p for p in sa.paths if p.principal == BOB]
    assert path.decision == "CONDITIONAL"


def test_outside_read_is_not_proven_closed() -> None:
    answer = _outside_read(_snap(BOB))
    assert answer.status != PROVEN_NONE, answer


def test_secret_policy_external_account_fails_with_and_without_prove() -> None:
    snap = _snap(BOB)
    assert rule_statuses(snap, "secret-policy-external-account") == {SECRET_ARN: "FAIL"}
    assert rule_statuses(snap, "secret-policy-external-account", prove=True,
                         prove_timeout=20) == {SECRET_ARN: "FAIL"}


def test_a_federated_user_of_an_account_inside_the_zone_keeps_the_proof() -> None:
    """The session of a member account is inside the zone: no outside caller is let in."""
    answer = _outside_read(_snap(f"arn:aws:sts::{MEMBER}:federated-user/bob",
                                 key_account=MEMBER))
    assert answer.status == PROVEN_NONE, answer
