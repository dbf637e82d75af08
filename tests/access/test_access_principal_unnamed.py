"""`access --principal` for an account, or a principal of one, whose IAM the scan did not
read and that no path names: it lists the secrets the `*` path lets it in to (its account is
outside the trust zone and no policy of the secret names it) and those whose reach to its
account lets it in, marked as reached that way (docs/access.md: --principal "lists every copy
the principal has a path to"; the `*` path is "any authenticated principal of an outside
account"). GovCloud ground-truth trial round 10: `--principal 777777777777` listed the
partner secret only, not the secret everyone can read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, MEMBER2, ORG_ID, OUTSIDER,
                                   SECRET_ARN, allow_read_identity, estate, key_policy_for,
                                   role, text)

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

PARTNER = f"arn:aws:iam::{OUTSIDER}:role/Partner"
READ: dict[str, Any] = {"Effect": "Allow", "Principal": "*",
                        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}


def _snapshot(tmp_path: Path, *statements: dict[str, Any]) -> Path:
    snap = estate(secret_policy=text(*statements), key_policy=key_policy_for("*"),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    return write_snapshot(tmp_path / "snapshot.json.gz", snap)


def _ask(path: Path, principal: str, capsys: pytest.CaptureFixture[str],
         *extra: str) -> tuple[int, str, str]:
    code = main(["access", "--snapshot", str(path), "--principal", principal, *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_an_outside_account_is_listed_for_a_secret_everyone_can_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: `access --secret app/public` showed `*` ALLOWED,
    `access --principal 777777777777` did not list app/public."""
    path = _snapshot(tmp_path, READ)
    code, out, err = _ask(path, OUTSIDER, capsys, "--format", "json")
    assert code == 0, err
    [secret] = json.loads(out)["secrets"]
    assert secret["secret_arn"] == SECRET_ARN
    assert secret["reached_through"] == "*"
    assert [(p["principal"], p["decision"]) for p in secret["paths"]] == [("*", "ALLOWED")]


def test_an_outside_role_is_told_it_reaches_the_secret_through_the_star_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: a role of an outside account no policy names is
    one of the principals the `*` path stands for; the table says so."""
    path = _snapshot(tmp_path, READ)
    code, out, err = _ask(path, PARTNER, capsys)
    assert code == 0, err
    assert SECRET_ARN in out
    assert f"{PARTNER}: no path of its own to this secret; reached through the `*` path" in \
        " ".join(out.split())
    assert any(line.split()[:2] == ["*", "ALLOWED"] for line in out.splitlines())


def test_a_secret_whose_policy_names_the_outside_account_is_not_claimed_through_star(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: the `*` path stands only for an account no policy
    of the secret names -- a Deny of that account leaves the `*` path ALLOWED but not for it."""
    deny = {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
            "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": OUTSIDER}}}
    path = _snapshot(tmp_path, READ, deny)
    code, out, err = _ask(path, OUTSIDER, capsys, "--format", "json")
    assert code == 2 and "no principal by that ARN, name or account" in err, (out, err)


def test_a_grant_to_an_outside_account_lets_in_a_role_of_it_no_path_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: the reach to the account (a grant to the account
    as a whole) covers a role of it that no path names -- the account's stand-in (its root)
    has the path, the role asked about is one of its members."""
    whole = dict(READ, Principal={"AWS": OUTSIDER})
    path = _snapshot(tmp_path, whole)
    code, out, err = _ask(path, PARTNER, capsys, "--format", "json")
    assert code == 0, err
    [secret] = json.loads(out)["secrets"]
    assert secret["reached_through"] == f"account:{OUTSIDER}"
    assert secret["paths"] == []
    code, out, err = _ask(path, PARTNER, capsys)
    assert code == 0, err
    assert f"reached through the reach to its account (account:{OUTSIDER})" in \
        " ".join(out.split())
    assert f"reach: principals of account {OUTSIDER} -> CONDITIONAL" in out


def test_a_principal_of_a_scanned_account_is_still_only_its_own_paths(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: a principal of a scanned account is evaluated on
    its own -- the `*` path does not stand for it (exact, as before)."""
    path = _snapshot(tmp_path, READ)
    code, _out, err = _ask(path, f"arn:aws:iam::{MEMBER}:role/Nobody", capsys)
    assert code == 2 and "no principal by that ARN, name or account" in err


def test_a_principal_of_another_partition_is_never_let_in(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: "You cannot use IAM credentials from one partition
    to interact with resources in a different partition" -- not even through `*`."""
    path = _snapshot(tmp_path, READ)
    code, _out, _err = _ask(path, f"arn:aws-us-gov:iam::{OUTSIDER}:role/Partner", capsys)
    assert code == 2


def test_a_principal_of_another_partition_than_every_secret_is_told_it_can_never_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10 (LOW): a commercial role ARN asked about in a
    GovCloud scan got only "no principal by that ARN ... closest: arn:aws-us-gov:..."; it is
    of another partition and can never read a secret of the scan (exit 2 stays)."""
    path = _snapshot(tmp_path, READ)
    gov = APP_ROLE.replace("arn:aws:", "arn:aws-us-gov:")
    code, _out, err = _ask(path, gov, capsys)
    assert code == 2 and len(err.splitlines()) == 1
    assert "a principal of partition aws-us-gov" in err
    assert "every secret of the scan is in partition aws" in err
    assert "it can never read one of them (partitions are separate)" in err
    assert f"closest: {APP_ROLE}" in err


def test_with_secret_an_outsider_that_does_not_reach_it_is_still_no_principal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """GovCloud ground-truth trial round 10: the `*` path answers only where it lets the
    outsider in; asked with --secret about a secret it does not reach, the answer stays
    "no principal by that ARN" (exit 2), as before."""
    deny = {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
            "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalAccount": OUTSIDER}}}
    path = _snapshot(tmp_path, READ, deny)
    code, _out, err = _ask(path, PARTNER, capsys, "--secret", "app/db")
    assert code == 2 and "no principal by that ARN, name or account" in err
    path = _snapshot(tmp_path, READ)
    code, out, err = _ask(path, PARTNER, capsys, "--secret", "app/db")
    assert code == 0, err
    assert "reached through the `*` path" in " ".join(out.split())


ORG_READ: dict[str, Any] = dict(READ, Condition={"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})


def _unread_member2(tmp_path: Path, *statements: dict[str, Any]) -> Path:
    """MEMBER2 is an account of the organization whose IAM the scan did not read (its audit
    role could not be assumed: a coverage gap)."""
    snap = estate(secret_policy=text(*statements), key_policy=key_policy_for("*"),
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  iam_accounts=(CENTRAL, MEMBER))
    return write_snapshot(tmp_path / "snapshot.json.gz", snap)


def test_an_organization_account_whose_iam_was_not_read_is_reached_through_the_org_grant(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ground-truth trial round 11: `access --secret shared/ou-path` said the OU-path reach
    let in "1 principal(s) ... IAM not read in 1 account(s)" -- the account prod-legacy,
    whose audit role was missing -- but `access --principal <prod-legacy>` answered "no
    principal by that ARN, name or account in the scan" (exit 2). The reach's
    unassessed_accounts are the accounts of the class whose principals the scan could not
    list; a principal of one of them is a member of the class, so the secret is listed,
    reached through that reach."""
    path = _unread_member2(tmp_path, ORG_READ)
    code, out, err = _ask(path, MEMBER2, capsys, "--format", "json")
    assert code == 0, err
    [secret] = json.loads(out)["secrets"]
    assert secret["secret_arn"] == SECRET_ARN
    assert secret["reached_through"] == f"organization:{ORG_ID}"
    role2 = f"arn:aws:iam::{MEMBER2}:role/Anything"
    code, out, err = _ask(path, role2, capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    assert f"{role2}: no path of its own to this secret; reached through the reach to " \
           f"its organization (organization:{ORG_ID}): its account's IAM was not read" in flat


def test_an_organization_account_whose_iam_was_not_read_and_no_reach_lets_in_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ground-truth trial round 11: for an account of the zone whose IAM was not read (its
    audit role missing), "no principal by that ARN, name or account in the scan" is untrue --
    the account is in the scan; the answer says its IAM was not read and that no secret's
    reach lets its principals in (exit 2 as before)."""
    path = _unread_member2(tmp_path, {**READ, "Principal": {"AWS": APP_ROLE}})
    code, _out, err = _ask(path, MEMBER2, capsys)
    assert code == 2, err
    assert "no principal by that ARN" not in err
    assert f"account {MEMBER2} is in the trust zone but the scan did not read its IAM" in err
    assert "no secret's reach lets them in" in err
