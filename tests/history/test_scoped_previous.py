"""A narrower scan recorded in the history (--severity, --rules, --exclude-rules, fewer
Regions) is not "the previous scan" of a wider one for what it left out: the next full night
keeps the first_seen of long-standing findings and does not call them new, and `secretgraph
diff` without ids compares the same scans (new-user trial round 8: after a `--severity
HIGH,CRITICAL` scan the MEDIUM findings' first_seen moved to the next night; after a
`--regions us-east-1` scan the next full night said "Findings (6 new ...)" for long-standing
us-west-2 findings)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.model import AccountSnapshot, IamSnapshot, RegionSnapshot, ScanMeta, Snapshot
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import CENTRAL, policy, read_statement, secret

EAST, WEST = "us-east-1", "us-west-2"
NIGHTS = ("2026-12-01T02:00:00Z", "2026-12-02T02:00:00Z", "2026-12-03T02:00:00Z")


def _snapshot(scan_id: str, started: str, regions: tuple[str, ...]) -> Snapshot:
    """One account; in each Region a secret without rotation (MEDIUM) and a public one
    (CRITICAL)."""
    public = policy(read_statement("*"))
    regs = tuple(RegionSnapshot(region=r, secrets=(
        replace(secret("norot", region=r), rotation_enabled=False, rotation_days=None),
        replace(secret("open", region=r), resource_policy=public))) for r in regions)
    return Snapshot(meta=ScanMeta(scan_id=scan_id, started_at=started, finished_at=started,
                                  accounts=(CENTRAL,), regions=regions),
                    accounts=(AccountSnapshot(account_id=CENTRAL, iam=IamSnapshot(),
                                              regions=regs),))


def _night(tmp_path: Path, hist: str, i: int, regions: tuple[str, ...],
           *flags: str) -> dict[str, Any]:
    sid = f"n{i + 1}"
    path = tmp_path / f"{sid}.json.gz"
    write_snapshot(path, _snapshot(sid, NIGHTS[i], regions))
    out = tmp_path / sid
    assert main(["scan", "--snapshot", str(path), "--out", str(out), "-q", "--format", "json",
                 "--history", hist, *flags]) in (0, 1)
    return {f["id"]: f for f in json.loads((out / "findings.json").read_text())["findings"]
            if f["status"] == "FAIL"}


@pytest.mark.parametrize("flags, regions", [
    (("--severity", "HIGH,CRITICAL"), (EAST, WEST)),
    (("--rules", "secret-policy-public"), (EAST, WEST)),
    (("--exclude-rules", "secret-rotation-disabled"), (EAST, WEST)),
    ((), (EAST,)),
], ids=["severity", "rules", "exclude-rules", "regions"])
def test_a_narrower_scan_in_between_changes_no_first_seen_and_no_new_finding(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: tuple[str, ...],
        regions: tuple[str, ...]) -> None:
    hist = str(tmp_path / "h.db")
    night1 = _night(tmp_path, hist, 0, (EAST, WEST))
    _night(tmp_path, hist, 1, regions, *flags)
    night3 = _night(tmp_path, hist, 2, (EAST, WEST))
    assert {f["rule_id"] for f in night1.values()} >= {"secret-rotation-disabled",
                                                        "secret-policy-public"}
    assert set(night3) == set(night1)
    moved = {f["rule_id"] + " " + f["resource"]["region"]: f["first_seen"]
             for i, f in night3.items() if f["first_seen"] != night1[i]["first_seen"]}
    assert moved == {}
    # the drift `scan` computed, and `secretgraph diff` without ids: night 1 -> night 3
    capsys.readouterr()
    assert main(["diff", "--history", hist, "--format", "json"]) == 0
    drift = json.loads(capsys.readouterr().out)
    assert (drift["old"]["scan_id"], drift["new"]["scan_id"]) == ("n1", "n3")
    assert drift["findings"]["new"] == [] and drift["findings"]["resolved"] == []


def test_the_narrower_scan_itself_is_compared_with_the_full_scan_before_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """What it left out is not assessed, not resolved (as before)."""
    hist = str(tmp_path / "h.db")
    _night(tmp_path, hist, 0, (EAST, WEST))
    _night(tmp_path, hist, 1, (EAST, WEST), "--severity", "HIGH,CRITICAL")
    capsys.readouterr()
    assert main(["diff", "--history", hist, "--format", "json"]) == 0
    drift = json.loads(capsys.readouterr().out)
    assert (drift["old"]["scan_id"], drift["new"]["scan_id"]) == ("n1", "n2")
    assert drift["findings"]["resolved"] == []


def test_prune_keeps_the_full_scan_a_narrower_newest_scan_stands_before(
        tmp_path: Path) -> None:
    """The next full night diffs against the full scan before a narrower one, so `history
    prune` keeps it (and the scans after it), whatever --keep says (new-user trial round 8)."""
    from scanner.history import open_store
    from scanner.history.prune import needed_scans

    for flags, regions in ((("--severity", "HIGH,CRITICAL"), (EAST, WEST)), ((), (EAST,))):
        hist = str(tmp_path / f"h{len(flags)}.db")
        _night(tmp_path, hist, 0, (EAST, WEST))
        _night(tmp_path, hist, 1, regions, *flags)
        records = open_store(hist).list()
        assert [r.complete for r in records] == [True, True]
        assert needed_scans(records) == {"n1", "n2"}
        _night(tmp_path, hist, 2, (EAST, WEST))
        assert needed_scans(open_store(hist).list()) == {"n3"}


def test_diff_s_help_says_the_default_pair_is_the_one_scan_compared(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Docs truth round 16: `diff --help` (and `secretgraph --help`) said the default is "the
    last two complete ones"; with a narrower complete scan between two full ones it compares
    the two full ones (the first test above: n1 -> n3, n2 complete)."""
    with pytest.raises(SystemExit):
        main(["diff", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "last two complete" not in text
    assert "default: the latest complete scan against its previous scan, as scan --history " \
        "chose it" in text
