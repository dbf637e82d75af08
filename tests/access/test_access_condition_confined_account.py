"""A "*" grant whose condition confines it to an account (aws:PrincipalAccount = <id>) lets that
account's principals in as if the policy named the account, and nobody else: the account is a
candidate of its own (its stand-in when its IAM was not read). Found while merging the GovCloud
trial's fixes (fix-k2 noticed it): the secret had no path and no reach for the account, so
`access --secret` listed no reader there although the key let it decrypt, and only the
unintended grant said so. IAM User Guide, "Condition element": the statement applies when its
condition holds -- for every principal of that account and no other."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import APP_ROLE, CENTRAL, OUTSIDER, SECRET_ARN, allow_read_identity, \
    estate, role, text

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph

GSV = "secretsmanager:GetSecretValue"
OPEN_KEY = text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Any", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                 "Resource": "*"})
CLOSED_KEY = text({"Sid": "Root", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                   "Resource": "*"})


def _paths(condition: dict[str, object], key: str = OPEN_KEY) -> dict[str, str]:
    policy = text({"Sid": "One", "Effect": "Allow", "Principal": "*", "Action": GSV,
                   "Resource": "*", "Condition": condition})
    snap = estate(secret_policy=policy, key_policy=key,
                  principals=(role(APP_ROLE, allow_read_identity()),), scps=())
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p.decision for p in sa.paths}


def test_the_confined_account_reads_through_the_star() -> None:
    paths = _paths({"StringEquals": {"aws:PrincipalAccount": OUTSIDER}})
    assert paths[f"arn:aws:iam::{OUTSIDER}:root"] == "CONDITIONAL"  # its IAM was not read
    assert paths["*"] == "DENIED"  # an account no policy names is kept out by the condition


def test_an_arn_head_naming_the_account_confines_it_too() -> None:
    paths = _paths({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OUTSIDER}:role/*"}})
    assert paths[f"arn:aws:iam::{OUTSIDER}:root"] == "CONDITIONAL"


def test_a_key_that_does_not_let_the_account_decrypt_makes_no_reader() -> None:
    paths = _paths({"StringEquals": {"aws:PrincipalAccount": OUTSIDER}}, key=CLOSED_KEY)
    assert paths.get(f"arn:aws:iam::{OUTSIDER}:root", "DENIED") == "DENIED"
