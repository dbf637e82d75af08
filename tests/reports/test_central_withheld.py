"""A scan whose central-account inference was withheld (fault trial round 3): the reports say
so, and `export securityhub --mode central` refuses to guess the account (exit 2, naming
--central-account) instead of sending every finding to a member account."""

from __future__ import annotations

from typing import Any

import pytest

from reports._common import summary_line
from reports.hub_payload import build_payload
from scanner.errors import UsageError

MEMBER = "222222222222"


def _header(central: str | None, source: str) -> dict[str, Any]:
    return {"scan": {"id": "s", "complete": False, "accounts": ["111111111111", MEMBER],
                     "regions": ["us-east-1"], "central_account": central,
                     "central_account_source": source}, "coverage": []}


def test_the_summary_says_the_inference_was_withheld() -> None:
    """Fault trial round 3: the night showed a member as "(inferred)" central with no caveat;
    a withheld inference is shown, not silently absent."""
    line = summary_line({**_header(None, "withheld"), "findings": []})
    assert "central account withheld" in line and "--central-account" in line


def test_export_central_refuses_a_withheld_inference_naming_the_flag() -> None:
    """Fault trial round 3: `export securityhub --mode central --dry-run` targeted the member
    account the throttled night had inferred."""
    with pytest.raises(UsageError) as err:
        build_payload(_header(None, "withheld"), [], mode="central")
    assert "--central-account" in str(err.value) and "withheld" in str(err.value)


def test_export_central_with_the_flag_still_works_on_a_withheld_scan() -> None:
    prepared, counts, _ = build_payload(_header(None, "withheld"), [], mode="central",
                                        central_account=MEMBER)
    assert prepared == []


def _withheld_snapshot(tmp_path: Any) -> Any:
    from dataclasses import replace

    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    snap = estate(secret_policy=None)
    path = tmp_path / "withheld.json.gz"
    write_snapshot(path, replace(snap, meta=replace(
        snap.meta, central_account=None, central_account_source="withheld")))
    return path


def test_scan_snapshot_takes_central_account_as_from_parts_does(tmp_path: Any) -> None:
    """docs audit (session 20): `scan --snapshot F --central-account ID` ignored the flag, so
    a snapshot whose inference was withheld stayed without a central account -- the summary
    still asked for --central-account, and `export --mode central` refused the scan."""
    import json

    from scanner.cli import main
    from scanner.snapshot_io import read_snapshot

    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(_withheld_snapshot(tmp_path)), "--central-account",
                 MEMBER, "--out", str(out), "-q", "--format", "json"]) in (0, 1)
    scan = json.loads((out / "findings.json").read_text(encoding="utf-8"))["scan"]
    assert (scan["central_account"], scan["central_account_source"]) == (MEMBER, "flag")
    stored = read_snapshot(out / "snapshot.json.gz").meta  # the set agrees with itself
    assert (stored.central_account, stored.central_account_source) == (MEMBER, "flag")


def test_scan_snapshot_refuses_a_central_account_it_did_not_scan(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from scanner.cli import main

    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(_withheld_snapshot(tmp_path)), "--central-account",
                 "444444444444", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "--central-account 444444444444 is not one of the snapshot's 3 scanned" in err
    assert "Traceback" not in err and not (out / "findings.json").exists()


def test_scan_snapshot_names_a_malformed_central_account_as_a_scan_does(
        tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """new-user trial round 22: `--central-account abc` with --snapshot said 'not one of the
    snapshot's 3 scanned account(s)'; a scan of AWS says it is not an account id."""
    from scanner.cli import main

    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(_withheld_snapshot(tmp_path)), "--central-account",
                 "abc", "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "malformed --central-account 'abc': expected 12 digits" in err
    assert not out.exists()
