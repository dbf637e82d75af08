"""The line a scan ends with: one line in logs and pipes (nightly jobs grep it), broken between
its parts to fit a terminal."""

from __future__ import annotations

from pathlib import Path

from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.textfit import fit_parts
from scanner.snapshot_io import write_snapshot


def test_the_summary_fits_an_80_column_terminal_and_stays_one_line_in_a_file(
        tmp_path: Path) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    args = ["scan", "--snapshot", "snapshot.json.gz", "--out", "reports/nightly-2026-12-03",
            "--format", "json"]
    run = run_in_tty(args, cols=80, timeout=120, cwd=str(tmp_path))
    assert run.exit_code in (0, 1, 3), run.text
    lines = run.text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("scan "))
    summary = lines[at:]
    assert len(summary) > 1 and all(len(line) <= 80 for line in summary), summary
    assert all(line.startswith("  ") for line in summary[1:])
    assert summary[-1].endswith(f"exit {run.exit_code}")

    # the second night: ./reports exists now, and `python -m scanner` (which puts the current
    # folder first on sys.path) must still import secretgraph's own `reports` package
    assert (tmp_path / "reports").is_dir()
    logged = tmp_path / "stdout.log"
    piped = run_in_tty(args, cols=80, timeout=120, stdout_path=str(logged), cwd=str(tmp_path))
    [line] = [x for x in logged.read_text().splitlines() if x.startswith("scan ")]

    def timeless(text: str) -> str:  # two runs: their seconds may differ
        import re

        return re.sub(r" in \d+\.\ds", " in Xs", text)

    # the same words, on one line
    assert timeless(line) == timeless(" ".join(x.strip() for x in summary))
    assert piped.exit_code == run.exit_code


def test_parts_are_kept_whole_and_a_part_wider_than_the_terminal_gets_a_line_of_its_own() -> None:
    parts = ["scan complete: 2 account(s)", "3 FAIL", "x" * 30, "exit 1"]
    assert fit_parts(parts, None) == "scan complete: 2 account(s); 3 FAIL; " + "x" * 30 + "; exit 1"
    assert fit_parts(parts, 40).splitlines() == [
        "scan complete: 2 account(s); 3 FAIL;", "  " + "x" * 30 + "; exit 1"]
    assert fit_parts(parts, 20).splitlines() == [
        "scan complete: 2 account(s);", "  3 FAIL;", "  " + "x" * 30 + ";", "  exit 1"]


def test_a_part_with_words_wider_than_the_terminal_is_broken_between_them() -> None:
    """A new user's trial: 'outputs in DIR (eight file names)' made a 145-column line."""
    files = ", ".join(["findings.asff.json", "findings.csv", "findings.json", "findings.jsonl",
                       "findings.ocsf.jsonl", "junit.xml", "report.html", "snapshot.json.gz"])
    parts = ["scan INCOMPLETE: 5 account(s) x 2 Region(s)", "3 UNKNOWN",
             f"outputs in o_inc ({files})", "exit 3"]
    lines = fit_parts(parts, 80).splitlines()
    assert all(len(x) <= 80 for x in lines), lines
    assert " ".join(x.strip() for x in lines) == "; ".join(parts)


def test_an_error_is_broken_between_words_on_a_terminal_and_one_line_in_a_pipe(
        tmp_path: Path) -> None:
    import subprocess
    import sys

    args = ["scan", "--snapshot", str(tmp_path / "missing-snapshot-of-last-night.json.gz"),
            "--format", "json,htm", "--out", str(tmp_path / "out")]
    run = run_in_tty(args, cols=80, timeout=120)
    assert run.exit_code == 2
    lines = [x for x in run.text.splitlines() if x.strip()]
    assert len(lines) > 1 and all(len(x) <= 80 for x in lines), lines
    assert "did you mean html?" in " ".join(" ".join(lines).split())  # indents aside
    piped = subprocess.run([sys.executable, "-m", "scanner", *args], capture_output=True,
                           text=True, timeout=120)
    assert piped.returncode == 2
    [line] = piped.stderr.splitlines()
    assert line == " ".join(x.strip() for x in lines)


def test_the_summary_names_unread_accounts_and_carried_policies(
        tmp_path: Path, capsys: "pytest.CaptureFixture[str]") -> None:
    """1,000-account trial: an incomplete night said '1001 account(s)' (10 were not read),
    and nothing said that last night's policies were reused for most secrets."""
    from dataclasses import replace

    import pytest  # noqa: F401  (the fixture's type)

    from scanner.cli import main
    from scanner.model import CoverageEntry

    snap = estate(secret_policy=None)
    gap = CoverageEntry(account_id="999999999999", region="global", service="sts",
                        operation="AssumeRole", error_code="AccessDenied", error_kind="denied",
                        message="no")
    accounts = tuple(replace(a, regions=tuple(
        replace(r, secrets=tuple(replace(s, carried=("resource_policy",)) for s in r.secrets))
        for r in a.regions)) for a in snap.accounts)
    path = tmp_path / "s.json.gz"
    write_snapshot(path, replace(snap, accounts=accounts, coverage=(gap,)))
    assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "o")]) in (1, 3)
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("scan ")]
    assert line.startswith(f"scan INCOMPLETE: {len(snap.meta.accounts)} account(s) (1 not "
                           "read: role not assumed) x 1 Region(s)")
    # offline nothing is read and --full-refresh-days does nothing: the snapshot's collection
    # carried it (new-user trial 16)
    assert "; 1 secret policy of the snapshot carried, when it was collected, from the scan " \
        "before it, not re-read then; outputs in" in line
    assert "--full-refresh-days" not in line


def test_a_nightly_scan_without_the_table_says_what_changed_since_the_last_one(
        tmp_path: Path) -> None:
    """New-user trial round 17: a nightly `scan --format json,html --history H` printed no
    word about the drift -- not even whether anything had changed since the previous scan --
    while the table format prints it whole. The line it ends with now counts it, as
    `secretgraph diff` does, and names that command."""
    import json
    from dataclasses import replace

    from scanner.cli import main

    history = tmp_path / "h.db"
    base = estate(secret_policy=None)
    first = write_snapshot(tmp_path / "n1.json.gz", replace(
        base, meta=replace(base.meta, scan_id="night-1", started_at="2026-12-04T03:00:00Z")))
    assert main(["scan", "--snapshot", str(first), "--out", str(tmp_path / "n1"), "-q",
                 "--history", str(history)]) in (0, 1)
    changed = estate(secret_policy=None, key_state="Disabled")
    second = write_snapshot(tmp_path / "n2.json.gz", replace(
        changed, meta=replace(changed.meta, scan_id="night-2",
                              started_at="2026-12-05T03:00:00Z")))
    run = run_in_tty(["scan", "--snapshot", str(second), "--out", str(tmp_path / "n2"),
                      "--format", "json", "--history", str(history)], cols=80, timeout=120)
    assert run.exit_code in (0, 1), run.text
    lines = run.text.splitlines()
    ending = lines[next(i for i, x in enumerate(lines) if x.startswith("scan ")):]
    summary = " ".join(x.strip() for x in ending)
    drift_file = tmp_path / "drift.json"
    assert main(["diff", "--history", str(history), "--format", "json", "--output-file",
                 str(drift_file), "-q"]) == 0
    counts = json.loads(drift_file.read_text())["summary"]
    assert counts["findings_new"] >= 1
    assert (f"since night-1: {counts['findings_new']} new, {counts['findings_resolved']} "
            f"resolved finding(s), {counts['new_readers']} reader(s) gained, "
            f"{counts['lost_readers']} lost (secretgraph diff);") in summary, summary
    assert all(len(x) <= 80 for x in ending), ending


def test_the_summary_says_which_members_were_not_scanned_for_their_state(
        tmp_path: Path, capsys: "pytest.CaptureFixture[str]") -> None:
    """Ground-truth trial round 17: a night after an account was suspended said "5
    account(s)" with nothing of the one left out (discovery.find_targets scans ACTIVE members)."""
    from dataclasses import replace

    import pytest  # noqa: F401  (the fixture's type)

    from scanner.cli import main
    from scanner.model import OrgAccount

    snap = estate(secret_policy=None)
    assert snap.organization is not None
    org = replace(snap.organization, accounts=snap.organization.accounts + (
        OrgAccount(account_id="444444444444", parent_id="r-root", status="SUSPENDED"),))
    path = tmp_path / "s.json.gz"
    write_snapshot(path, replace(snap, organization=org))
    main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "o")])
    [line] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("scan ")]
    assert f"{len(snap.meta.accounts)} account(s) (1 not scanned: SUSPENDED in the " \
           "organization) x 1 Region(s)" in line
