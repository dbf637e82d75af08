"""A secret whose resource policy could not be read (``unread=("resource_policy",)``, say a
throttled GetResourcePolicy) keeps its same-account readers as CONDITIONAL readers, and a class
"everyone: CONDITIONAL on the unread policy", instead of losing them (fault trial round 3,
defect 1: night 2 printed readers 0 and "no access path recorded" for a role night 1 showed
ALLOWED through the policy's ``Principal: "*"``).

IAM User Guide, "Policy evaluation for requests within a single account": "an identity-based
policy or a resource-based policy ... can grant access" -- within the account an allow in
either suffices, so a resource policy that was not read may be the only allow any principal of
the secret's account has. docs/access.md: CONDITIONAL when the answer depends on "a policy that
was not collected". From another account both must allow (IAM User Guide, "Cross-account
policy evaluation logic"): a principal whose identity does not allow the read stays out."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from helpers.access_estate import (
    APP_ROLE,
    APP_ROLE2,
    CENTRAL,
    KEY_ARN,
    ORG_ID,
    SECRET_ARN,
    allow_read_identity,
    doc,
    estate,
    role,
    text,
)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.cli import main
from scanner.graph.builder import build_graph
from scanner.model import Snapshot
from scanner.snapshot_io import write_snapshot

READ = "secretsmanager:GetSecretValue"
PUBLIC = text({"Effect": "Allow", "Principal": "*", "Action": READ, "Resource": "*"})
S3_ONLY = doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
DENY_READ = doc({"Effect": "Deny", "Action": READ, "Resource": "*"})
WORKERS = tuple(f"arn:aws:iam::{CENTRAL}:role/Worker{i}" for i in range(3))
#: a role of the secret's account with no identity policy at all (OrganizationAccountAccessRole
#: in the trial: no document mentions Secrets Manager)
BARE = f"arn:aws:iam::{CENTRAL}:role/OrganizationAccountAccessRole"
DENIED_ROLE = f"arn:aws:iam::{CENTRAL}:role/Denied"
#: a key everyone may decrypt with through Secrets Manager (so only the secret's policy decides)
OPEN_KEY = text({"Sid": "Root", "Effect": "Allow",
                 "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                 "Resource": "*"},
                {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*"})


def _estate(secret_policy: str | None, *, unread: bool, kms_key_id: str | None = None,
            key_policy: str | None = None) -> Snapshot:
    # SCPs read (none attached): only the secret's own policy is missing
    snap = estate(secret_policy=secret_policy, kms_key_id=kms_key_id, key_policy=key_policy,
                  scps=(), principals=tuple(role(w, S3_ONLY) for w in WORKERS)
                  + (role(BARE), role(DENIED_ROLE, DENY_READ),
                     role(APP_ROLE, allow_read_identity()), role(APP_ROLE2, S3_ONLY)))
    if not unread:
        return snap
    return replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, secrets=tuple(
        replace(s, resource_policy=None, unread=("resource_policy",)) for s in r.secrets))
        for r in a.regions)) for a in snap.accounts))


def run(snap: Snapshot, *, record_denied: bool = False) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings)


def _decisions(report: AccessReport) -> dict[str, str]:
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return {p.principal: p.decision for p in sa.paths}


def test_same_account_principals_are_conditional_readers_when_the_policy_was_not_read() -> None:
    night1 = _decisions(run(_estate(PUBLIC, unread=False)))
    night2 = run(_estate(PUBLIC, unread=True))
    paths = _decisions(night2)

    # night 1: the "*" grant alone lets every principal of the account in
    assert {night1[w] for w in (*WORKERS, BARE)} == {"ALLOWED"}
    # night 2: the policy that was the only allow was not read -- CONDITIONAL, not gone
    assert {paths.get(w) for w in (*WORKERS, BARE)} == {"CONDITIONAL"}
    sa = night2.for_secret(SECRET_ARN)
    assert sa is not None
    bare = next(p for p in sa.paths if p.principal == BARE)
    assert any("resource policy" in c for c in bare.conditions)
    assert sa.breadth.conditional_principals >= len(WORKERS) + 1
    # an explicit Deny in its own identity policy still denies, whatever the policy says
    assert paths.get(DENIED_ROLE, "DENIED") == "DENIED"


def test_other_accounts_still_need_their_identity_to_allow() -> None:
    paths = _decisions(run(_estate(PUBLIC, unread=True, kms_key_id=KEY_ARN,
                                   key_policy=OPEN_KEY)))
    # cross-account both sides must allow: the identity that allows is CONDITIONAL on the
    # unread policy; the one that does not is no reader
    assert paths[APP_ROLE] == "CONDITIONAL"
    assert paths.get(APP_ROLE2, "DENIED") == "DENIED"


def test_an_unread_policy_reaches_everyone_conditionally_as_one_class() -> None:
    sa = run(_estate(PUBLIC, unread=True, kms_key_id=KEY_ARN,
                     key_policy=OPEN_KEY)).for_secret(SECRET_ARN)
    assert sa is not None
    reach = {r.subject: r for r in sa.reach}
    # the unread policy may grant anyone: one bounded class, not every principal of the org
    assert reach["*"].decision == "CONDITIONAL"
    assert reach[f"account:{CENTRAL}"].decision == "CONDITIONAL"
    assert reach[f"organization:{ORG_ID}"].decision == "CONDITIONAL"
    # nothing is ALLOWED on the strength of a policy nobody read
    assert not sa.readers


def test_on_the_aws_managed_key_outsiders_stay_blocked_by_the_key() -> None:
    sa = run(_estate(PUBLIC, unread=True)).for_secret(SECRET_ARN)
    assert sa is not None
    reach = {r.subject: r for r in sa.reach}
    # aws/secretsmanager cannot be used from another account, whatever the secret's policy
    assert reach["*"].decision == "DENIED" and "key_policy" in reach["*"].blocked_by
    assert reach[f"account:{CENTRAL}"].decision == "CONDITIONAL"


def test_the_fast_path_equals_evaluating_every_pair() -> None:
    for snap in (_estate(PUBLIC, unread=True),
                 _estate(PUBLIC, unread=True, kms_key_id=KEY_ARN, key_policy=OPEN_KEY)):
        fast, every = run(snap), run(snap, record_denied=True)

        def recorded(r: AccessReport) -> set[tuple[str, str]]:
            return {(p.principal, p.decision) for p in r.all_paths()
                    if p.decision != "DENIED" or p.broken_at}
        assert recorded(fast) == recorded(every)


def test_access_for_a_same_account_role_says_conditional_not_no_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_snapshot(tmp_path / "snapshot.json.gz", _estate(PUBLIC, unread=True))

    assert main(["access", "--snapshot", str(path), "--secret", "app/db", "--principal", BARE,
                 "--format", "json"]) == 0
    [secret] = json.loads(capsys.readouterr().out)["secrets"]
    assert [(p["principal"], p["decision"]) for p in secret["paths"]] == [(BARE, "CONDITIONAL")]


def test_the_resource_gate_of_an_unread_policy_is_unknown_and_the_classes_say_why() -> None:
    sa = run(_estate(PUBLIC, unread=True, kms_key_id=KEY_ARN,
                     key_policy=OPEN_KEY)).for_secret(SECRET_ARN)
    assert sa is not None
    # as for an identity or key policy not collected: the gate could not be assessed
    assert {p.gates["resource_policy"].status for p in sa.paths} == {"UNKNOWN"}
    assert all(r.missing == ("resource policy not collected",) for r in sa.reach)


def test_the_baseline_check_is_unknown_never_fail_for_readers_of_an_unread_policy() -> None:
    from scanner.history.baseline import baseline_findings, parse_baseline

    snap = _estate(PUBLIC, unread=True, kms_key_id=KEY_ARN, key_policy=OPEN_KEY)
    baseline = parse_baseline({"version": 1, "secrets": [{"secret": "app/*", "readers": []}]},
                              "(test)")
    findings = baseline_findings(run(snap), baseline, snap)

    # every principal and class outside the baseline may read: UNKNOWN (missing input), not
    # a FAIL claiming they can read
    assert {f.principal for f in findings} >= {BARE, *WORKERS, "*"}
    assert {f.status.value for f in findings} == {"UNKNOWN"}


def test_the_access_table_says_what_a_conditional_class_depends_on(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reach lines of `access` said "-> CONDITIONAL" with no why; the JSON had
    Reach.missing. The table says "if: resource policy not collected"."""
    path = write_snapshot(tmp_path / "snapshot.json.gz", _estate(PUBLIC, unread=True))
    assert main(["access", "--snapshot", str(path), "--secret", "app/db"]) == 0
    reach = [line for line in capsys.readouterr().out.splitlines() if "reach:" in line]
    assert reach and all("if: resource policy not collected" in line for line in reach), reach
