"""`secretgraph access` mistakes a user makes: the error names the option they typed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers.access_estate import APP_ROLE, CENTRAL, allow_read_identity, estate, role, text
from helpers.tty import run_in_tty

from scanner.cli import main
from scanner.snapshot_io import write_snapshot


def test_an_unknown_secret_given_to_prove_is_reported_against_prove(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write_snapshot(tmp_path / "snapshot.json.gz", estate(secret_policy=None))
    assert main(["access", "--in", str(tmp_path), "--prove", "app/dbx"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.startswith("secretgraph access: error: --prove 'app/dbx': no such secret "
                           "in the scan; closest: app/db"), line


def test_an_unknown_secret_in_a_scan_that_did_not_list_everything_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """1,000-account trial: a secret of an account whose role was not assumed got "no such
    secret in the scan" and nothing about the accounts the scan could not read."""
    from dataclasses import replace

    from scanner.model import CoverageEntry

    gap = CoverageEntry(account_id="444444444444", region="global", service="sts",
                        operation="AssumeRole", error_code="AccessDenied", error_kind="denied",
                        message="no", resource_arn="arn:aws:iam::444444444444:role/Audit")
    write_snapshot(tmp_path / "snapshot.json.gz",
                   replace(estate(secret_policy=None), coverage=(gap,)))
    assert main(["access", "--in", str(tmp_path), "--secret", "local/2"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "no such secret in the scan" in line
    assert line.endswith("; the scan did not list every secret: 1 account(s) were not read "
                         "(role not assumed: 444444444444)"), line


def _app_reads_the_secret(folder: Path) -> None:
    """A snapshot in ``folder`` where the member's application role reads app/db: the secret
    policy names it, its identity policy allows the read."""
    policy = text({"Effect": "Allow", "Principal": {"AWS": APP_ROLE},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    write_snapshot(folder / "snapshot.json.gz",
                   estate(secret_policy=policy, principals=(role(APP_ROLE, allow_read_identity()),)))


def test_who_can_read_fits_an_80_column_terminal(tmp_path: Path) -> None:
    _app_reads_the_secret(tmp_path)
    run = run_in_tty(["access", "--in", str(tmp_path), "--secret", "app/db"], cols=80,
                     timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f"  {APP_ROLE}: "))
    assert lines[at + 1].startswith("      resource ALLOWED, key UNKNOWN, identity ALLOWED, "
                                    "scp ")  # the key policy of this estate was not read
    assert [line for line in lines[at:] if len(line) > 80] == []
    # a file or a pipe keeps the table (scripts parse it)
    assert main(["access", "--in", str(tmp_path), "--secret", "app/db"]) == 0


def test_a_folder_that_is_not_there_is_named_as_missing(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["access", "--in", str(tmp_path / "nope")],
                 ["report", "--in", str(tmp_path / "nope")]):
        assert main(argv) == 2
        [line] = capsys.readouterr().err.splitlines()
        assert line.endswith("no such folder"), line


def test_reach_and_why_lines_are_wrapped_to_80_columns(tmp_path: Path) -> None:
    """The key, readers, reach and --why reason lines ran to 160 characters at 80 columns;
    only an ARN, which is never cut, may still be wider."""
    policy = text({"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                   "Resource": "*", "Condition": {"StringEquals": {
                       "aws:PrincipalOrgID": "o-exampleorgid"}}})
    # a role of the secret's own account: its class is a reach line (an account with no role
    # or user in the snapshot has none)
    worker = f"arn:aws:iam::{CENTRAL}:role/Worker"
    write_snapshot(tmp_path / "snapshot.json.gz",
                   estate(secret_policy=policy, principals=(role(APP_ROLE, allow_read_identity()),
                                                            role(worker))))
    run = run_in_tty(["access", "--in", str(tmp_path), "--secret", "app/db", "--why"], cols=80,
                     timeout=120)
    assert run.exit_code == 0, run.text
    lines = run.text.splitlines()
    assert any(line.startswith("  reach: ") for line in lines)
    wide = [line for line in lines if len(line) > 80]
    assert all(len(line.split()) == 1 for line in wide), wide


def test_a_proof_fits_an_80_column_terminal_and_keeps_its_lines_in_a_pipe(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: `access --prove` printed 147-column lines in an 80-column terminal."""
    _app_reads_the_secret(tmp_path)
    run = run_in_tty(["access", "--in", str(tmp_path), "--prove", "app/db"], cols=80,
                     timeout=180)
    assert run.exit_code == 0, run.text
    wide = [line for line in run.text.splitlines() if len(line) > 80]
    assert all(len(line.split()) == 1 for line in wide), wide  # only a word longer than 80
    assert main(["access", "--in", str(tmp_path), "--prove", "app/db"]) == 0
    piped = capsys.readouterr().out

    def words(text: str) -> str:  # the same words, the solver's timings aside, and an ARN
        # broken after a ':' or '/' at the terminal's width whole again (textfit.fit_line)
        text = re.sub(r"\(\d+\.\d+s\)", "", " ".join(text.split()))
        while True:
            joined = re.sub(r"(arn:\S*[:/]) (?=\S)", r"\1", text)
            if joined == text:
                return text
            text = joined

    assert words(piped) == words(run.text[run.text.index(piped.split()[0]):])


def test_an_external_grantee_without_an_organization_is_outside_the_trust_zone(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial: a single-account scan (no Organization: the trust zone is the account
    itself, README "Scanning one account") labelled a grant to another account
    "[outside-organization]". The text says what decides it: the trust zone."""
    from dataclasses import replace

    from helpers.access_estate import CENTRAL, OUTSIDER, SECRET_ARN
    from scanner.model import NOT_IN_ORGANIZATION, OrgMembership

    policy = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
                   "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    snap = estate(secret_policy=policy, members=())
    write_snapshot(tmp_path / "snapshot.json.gz", replace(
        snap, organization=None, meta=replace(snap.meta, org_id=None),
        org_membership=OrgMembership(account_id=CENTRAL, status=NOT_IN_ORGANIZATION)))
    assert main(["access", "--in", str(tmp_path), "--secret", SECRET_ARN]) == 0
    out = capsys.readouterr().out
    assert f"unintended: arn:aws:iam::{OUTSIDER}:root [outside the trust zone]" in out, out
    assert "outside-organization" not in out and "outside the organization" not in out, out
    assert "; outside the trust zone" in out


def test_why_says_an_unresolved_reason_once(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial 16: with the organization not read, `access --why` listed "no
    organization data: SCPs and RCPs not assessed" twice for each gate it left unknown, as a
    reason ("- ...") and again as unresolved ("? unresolved: ..."). It is said once, as
    unresolved."""
    from dataclasses import replace

    snap = replace(estate(secret_policy=text({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": APP_ROLE},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}),
        principals=(role(APP_ROLE, allow_read_identity()),)), organization=None)
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    assert main(["access", "--in", str(tmp_path), "--secret", "app/db", "--why",
                 "--all"]) in (0, 1)
    out = capsys.readouterr().out
    said = [line.strip() for line in out.splitlines()
            if line.strip()[:2] in ("- ", "? ") and "not assessed" in line]
    assert said, out  # the scp gate is not assessed, and says why
    assert all(line.startswith("? unresolved: ") for line in said), said
