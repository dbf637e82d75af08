"""--prove on a grant to another organization's OU path (ground-truth trial round 17).

A one-statement policy -- Allow "*" GetSecretValue if ForAnyValue:StringLike
aws:PrincipalOrgPaths "o-zz9zz9zz9z/r-zz99/ou-zz99-partners/*" -- answered UNKNOWN ("solver:
out of time (10s per question)"): the solver searched for callers with two organization paths.
A caller's account has one (Organizations API Reference, ListParents: "In the current release,
a child can have only a single parent"), so the key holds one value (domain.ONE_VALUE_KEYS):
the outsider under that path is a witness, and one under our own organization is not."""

from __future__ import annotations

import pytest
from helpers.access_estate import SECRET_ARN, estate, text

from scanner.access import AccessSettings
from scanner.graph.builder import build_graph
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import PROVEN_NONE, WITNESS

OPEN_KEY = text({"Sid": "Root", "Effect": "Allow", "Principal": "*", "Action": "kms:*",
                 "Resource": "*"})


def outside_read(path: str) -> str:
    policy = text({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                   "Resource": "*",
                   "Condition": {"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": [path]}}})
    snap = estate(secret_policy=policy, key_policy=OPEN_KEY)
    settings = AccessSettings.from_snapshot(snap)
    proof = Prover(build_graph(snap), snap, settings, timeout_s=10).secret(SECRET_ARN)
    return str(proof.read.status)


@pytest.mark.parametrize("path", ["o-zz9zz9zz9z/r-zz99/ou-zz99-partners/*",
                                  "o-zz9zz9zz9z/r-zz99/ou-zz99-partners/", "o-zz9zz9zz9z/*"])
def test_another_organizations_path_lets_an_outsider_in(path: str) -> None:
    assert outside_read(path) == WITNESS


def test_our_own_organizations_path_keeps_outsiders_out() -> None:
    assert outside_read("o-abc123/*") == PROVEN_NONE
