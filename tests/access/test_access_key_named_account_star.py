"""A secret opened to ``*`` whose KEY policy names a whole account (its root ARN or bare id):
the principals of that account read through the ``*`` grant, so the account is a candidate of
its own -- its stand-in when its IAM was not read -- and the ``*`` reach counts it.

IAM User Guide, "AWS JSON policy elements: Principal" (AWS account principals): naming an
account in a resource-based policy -- the key policy here -- "delegates authority to the
account", whose identities then need an identity-based policy that allows the action. The
secret's ``*`` grant lets any principal of any account in; the key lets that account's
principals decrypt. Safe-fixes trial round 2 (c7_public_outsider.py): with the key naming
arn:aws:iam::999999999999:root, ``access`` said "reach: everyone -> DENIED; blocked by
key_policy" and listed no outside reader, while ``access --prove`` on the same scan gave the
WITNESS arn:aws:iam::999999999999:role/+ (now role/a: test_prove_readable_witness.py) "replayed through the evaluator: every gate ALLOWED"
(docs/access.md, "Disagreement": where both are definite they must agree).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, OUTSIDER, SECRET_ARN,
                                   allow_read_identity, estate, key_policy_for, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.access.verdicts import SecretAccess
from scanner.cli import main
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.snapshot_io import write_snapshot

GET = "secretsmanager:GetSecretValue"
OUTSIDER_ROOT = f"arn:aws:iam::{OUTSIDER}:root"
STAR = text({"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": GET, "Resource": "*"})


def _snap(secret_policy: str = STAR, *key_principals: str) -> Snapshot:
    return estate(secret_policy=secret_policy,
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root",
                                            *(key_principals or (OUTSIDER_ROOT,))),
                  principals=(role(APP_ROLE, allow_read_identity()),))


def _access(snap: Snapshot) -> SecretAccess:
    sa = analyze_access(build_graph(snap), snap,
                        AccessSettings.from_snapshot(snap)).for_secret(SECRET_ARN)
    assert sa is not None
    return sa


@pytest.mark.parametrize("entry", [OUTSIDER_ROOT, OUTSIDER])
def test_the_account_the_key_names_reads_through_the_public_grant(entry: str) -> None:
    """safe-fixes trial round 2 (c7): the outsider's principals are CONDITIONAL readers (only
    their unread identity policies left), the key does not block them, and the reader is
    outside the trust zone: unintended. The root ARN and the bare account id are one entry."""
    sa = _access(_snap(STAR, entry))
    paths = {p.principal: p for p in sa.paths}
    assert OUTSIDER_ROOT in paths, sorted(paths)
    out = paths[OUTSIDER_ROOT]
    assert out.decision == "CONDITIONAL"
    assert out.gate_statuses()["resource_policy"] == "ALLOWED"
    assert out.gate_statuses()["key_policy"] == "ALLOWED"
    assert out.gate_statuses()["identity_policy"] == "UNKNOWN"
    assert not out.in_zone
    assert OUTSIDER_ROOT in {p.principal for p in sa.unintended_paths}
    assert OUTSIDER in {p.principal_account for p in sa.conditional_readers}
    assert sa.breadth.conditional_accounts >= 1
    (everyone,) = [r for r in sa.reach if r.subject == "*"]
    assert (everyone.decision, everyone.blocked_by) == ("CONDITIONAL", ())


def test_without_the_key_naming_it_the_outsider_stays_denied_by_the_key() -> None:
    """safe-fixes trial round 2 (control): a key naming only the organization's accounts lets
    no outsider decrypt; the ``*`` reach is DENIED by the key as before."""
    snap = estate(secret_policy=STAR, key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    sa = _access(snap)
    assert OUTSIDER_ROOT not in {p.principal for p in sa.paths}
    (everyone,) = [r for r in sa.reach if r.subject == "*"]
    assert (everyone.decision, everyone.blocked_by) == ("DENIED", ("key_policy",))


def test_a_star_narrowed_to_the_organization_does_not_let_the_outsider_in() -> None:
    """safe-fixes trial round 2: the key naming the account is not enough -- the secret's
    resource policy must let its principals in; a ``*`` narrowed by aws:PrincipalOrgID does
    not (IAM User Guide, "Condition element": the statement applies only when its conditions
    hold)."""
    narrowed = text({"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": GET,
                     "Resource": "*",
                     "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}})
    sa = _access(_snap(narrowed))
    assert OUTSIDER_ROOT not in {p.principal for p in sa.paths if p.decision != "DENIED"}
    assert not sa.unintended_paths


def test_a_star_narrowed_to_the_account_lets_it_in() -> None:
    """safe-fixes trial round 2: a ``*`` narrowed to the account by aws:PrincipalAccount still
    lets the account's principals in, and the key names it: CONDITIONAL reader."""
    narrowed = text({"Sid": "A", "Effect": "Allow", "Principal": "*", "Action": GET,
                     "Resource": "*",
                     "Condition": {"StringEquals": {"aws:PrincipalAccount": OUTSIDER}}})
    sa = _access(_snap(narrowed))
    assert {p.principal: p.decision for p in sa.paths}.get(OUTSIDER_ROOT) == "CONDITIONAL"


def test_the_access_report_and_the_solver_agree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """safe-fixes trial round 2 (c7): ``access`` lists the account's stand-in as an outside
    conditional reader and the ``*`` reach as CONDITIONAL, not "DENIED; blocked by key_policy",
    where ``access --prove`` finds a witness of that account (docs/access.md "Disagreement")."""
    path = write_snapshot(tmp_path / "snapshot.json.gz", _snap())
    assert main(["access", "--snapshot", str(path), "--format", "json"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    assert {(p["principal"], p["decision"], p["in_zone"]) for p in secret["paths"]} >= {
        (OUTSIDER_ROOT, "CONDITIONAL", False)}
    (everyone,) = [r for r in secret["reach"] if r["subject"] == "*"]
    assert everyone["decision"] == "CONDITIONAL" and everyone["blocked_by"] == []
    assert main(["access", "--snapshot", str(path), "--prove", "app/db", "--format",
                 "json"]) == 0
    [proof] = json.loads(capsys.readouterr().out)["proofs"]
    read = proof["outside_read"]
    assert read["status"] == "WITNESS", read
    assert read["witness"]["principal_account"] == OUTSIDER
    # the evaluator's answer for that account is not the definite opposite
    assert everyone["decision"] != "DENIED"
    assert main(["access", "--snapshot", str(path)]) == 0
    table = capsys.readouterr().out
    assert "blocked by key_policy" not in table
    assert OUTSIDER_ROOT in table


def test_a_trusted_account_the_key_names_reads_through_the_public_grant() -> None:
    """safe-fixes trial round 2 (c9): a trusted account outside the organization whose IAM was
    not read, named by the key: its principals read through ``*`` (CONDITIONAL), inside the
    trust zone, so they are intended readers a change may not cut off unannounced."""
    trusted = "777777777777"
    snap = _snap(STAR, f"arn:aws:iam::{trusted}:root")
    settings = AccessSettings.from_snapshot(snap, trusted_accounts=(trusted,))
    sa = analyze_access(build_graph(snap), snap, settings).for_secret(SECRET_ARN)
    assert sa is not None
    paths = {p.principal: p for p in sa.paths}
    stand_in = paths.get(f"arn:aws:iam::{trusted}:root")
    assert stand_in is not None and stand_in.decision == "CONDITIONAL"
    assert stand_in.in_zone and stand_in not in sa.unintended_paths


def test_the_own_account_is_not_a_second_candidate() -> None:
    """safe-fixes trial round 2 (unchanged elsewhere): the key names the secret's own account
    (its "Root" statement) in every estate; its principals are the own-account class, not a
    stand-in path of their own."""
    snap = estate(secret_policy=STAR, key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  iam_accounts=(MEMBER,))
    sa = _access(snap)
    assert f"arn:aws:iam::{CENTRAL}:root" not in {p.principal for p in sa.paths}


def test_an_organization_account_the_key_names_whose_iam_was_not_read_reads_too() -> None:
    """safe-fixes trial round 2 (the same gap inside the organization): a member account whose
    IAM was not read, named by the key, reads through ``*``: its stand-in is an intended
    (in-zone) CONDITIONAL reader, so a change that cuts it off is an access change."""
    member2 = "333333333333"
    snap = estate(secret_policy=STAR,
                  key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root",
                                            f"arn:aws:iam::{member2}:root"),
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  iam_accounts=(CENTRAL, MEMBER))
    sa = _access(snap)
    stand_in = {p.principal: p for p in sa.paths}.get(f"arn:aws:iam::{member2}:root")
    assert stand_in is not None and stand_in.decision == "CONDITIONAL"
    assert stand_in.in_zone and not sa.unintended_paths
    (org,) = [r for r in sa.reach if r.subject.startswith("organization:")]
    assert org.decision == "ALLOWED" and member2 in org.unassessed_accounts
