"""A secret opened to ``*`` whose KEY policy's ``*`` Decrypt is confined to an account by a
condition (``kms:CallerAccount = <partner>``): the partner's principals read, so the account
is a candidate of its own, as when the key names it whole (test_access_key_named_account_star)
or the secret's own ``*`` is confined to it (test_access_condition_confined_account).

KMS Developer Guide, kms:CallerAccount: "Controls access to ... operations based on the AWS
account identifier of the caller"; the key policy's statement with Principal ``*`` lets every
principal of that account decrypt (their identity policies allowing, which the scan never
reads: CONDITIONAL). The secret's ``*`` lets any principal in. The ``*`` stand-in -- an account
no policy names -- is kept out by that very condition, so it answered for no one: IAM
conformance trial round 27, "reach: everyone -> DENIED; blocked by key_policy" and no reader of
the partner account.
"""

from __future__ import annotations

from helpers.access_estate import (APP_ROLE, CENTRAL, REGION, SECRET_ARN, allow_read_identity,
                                   estate, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph

PARTNER = "555555555555"
EVERYONE_READS = text({"Effect": "Allow", "Principal": "*",
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"})


def _key_confined_to(*accounts: str) -> str:
    return text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Sid": "Partner", "Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                 "Resource": "*",
                 "Condition": {"StringEquals": {
                     "kms:CallerAccount": list(accounts),
                     "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}})


def _readers(key_policy: str) -> tuple[dict[str, str], dict[str, str]]:
    snap = estate(secret_policy=EVERYONE_READS, key_policy=key_policy,
                  principals=(role(APP_ROLE, allow_read_identity()),))
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return ({p.principal: p.decision for p in sa.paths},
            {r.subject: r.decision for r in sa.reach})


def test_the_partner_the_keys_star_is_confined_to_reads_a_secret_granted_to_everyone() -> None:
    readers, reach = _readers(_key_confined_to(PARTNER))
    assert readers.get(f"arn:aws:iam::{PARTNER}:root") == "CONDITIONAL", readers
    assert "*" not in readers  # anyone else: kept out by the key's condition
    assert reach["*"] == "CONDITIONAL"  # the partner is one of everyone


def test_a_key_confined_to_the_secrets_own_account_adds_no_outside_reader() -> None:
    readers, reach = _readers(_key_confined_to(CENTRAL))
    assert not any(p.startswith(f"arn:aws:iam::{PARTNER}") for p in readers)
    assert reach["*"] == "DENIED"
