"""`secretgraph history list` and `secretgraph diff` on a SQLite history."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.cli import main
from scanner.history import open_store

from helpers.full_disk import FULL, main_with_stdout_on_full_disk, needs_dev_full
from helpers.scanfactory import MEMBER, access, document, finding, secret, secret_arn, snapshot

DB = secret_arn("db")
APP = f"arn:aws:iam::{MEMBER}:role/app"
VENDOR = "arn:aws:iam::999999999999:role/vendor"


def _history(tmp_path: Path) -> str:
    path = str(tmp_path / "h.db")
    store = open_store(path)
    nights = [
        ("n1", [secret("db")], [(APP, "allow")], [], ()),
        ("n2", [secret("db")], [(APP, "allow")], [], (MEMBER,)),  # incomplete
        ("n3", [secret("db", rotation=False)], [(APP, "allow"), (VENDOR, "allow")],
         [finding("secret-rotation-disabled", DB)], ()),
    ]
    for i, (sid, secrets, readers, findings, not_assumed) in enumerate(nights):
        snap = snapshot(sid, f"2026-11-2{i}T02:00:00Z", secrets, not_assumed=not_assumed)
        store.record(snap.meta, snap, document(snap, findings), access({DB: readers}))
    return path


def test_history_list_table_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = _history(tmp_path)
    assert main(["history", "list", "--history", hist]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:4] == ["scan", "started", "finished", "complete"]
    rows = [line.split() for line in out[2:]]
    assert [(r[0], r[3]) for r in rows] == [("n1", "yes"), ("n2", "NO"), ("n3", "yes")]
    assert main(["history", "list", "--history", hist, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["scan_id"] for s in data["scans"]] == ["n1", "n2", "n3"]
    assert data["scans"][2]["counts"]["high"] == 1


def test_history_without_an_action_lists_and_options_go_before_or_after_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`history --history FILE` said "invalid choice: 'FILE' (choose from 'list')"."""
    hist = _history(tmp_path)
    outputs = []
    for argv in (["history", "--history", hist], ["history", "--history", hist, "list"],
                 ["history", "list", "--history", hist]):
        assert main(argv) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == outputs[2] and "n3" in outputs[0]
    assert main(["history", "--format", "json", "--history", hist, "list"]) == 0
    assert [s["scan_id"] for s in json.loads(capsys.readouterr().out)["scans"]] == \
        ["n1", "n2", "n3"]


def test_history_list_of_a_missing_file_creates_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    assert main(["history", "list", "--history", str(missing)]) == 0
    # says the file is not there (a typo in the path looks like an empty history otherwise)
    assert capsys.readouterr().out == (
        f"no scans recorded in {missing} (no such file yet: a scan with --history {missing} "
        "creates it)\n")
    assert list(tmp_path.iterdir()) == []


def test_diff_defaults_to_the_last_two_complete_scans(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = _history(tmp_path)
    assert main(["diff", "--history", hist]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Drift n1 ")  # n2 is incomplete: skipped
    assert f"+ {VENDOR} can now read" in text
    assert "rotation switched off" in text
    assert main(["diff", "n2", "n3", "--history", hist, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert list(data)[:5] == ["schema_version", "old", "new", "summary", "access"]
    assert (data["old"]["scan_id"], data["new"]["scan_id"]) == ("n2", "n3")
    assert data["old"]["complete"] is False
    assert any(n["scope"] == "account" and n["subject"] == MEMBER for n in data["not_assessed"])


def test_diff_latest_alone_is_what_changed_in_the_latest_scan(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`diff latest`, offered by --help, always failed: 'both sides are scan n3'."""
    hist = _history(tmp_path)
    for name in ("latest", "n3"):
        assert main(["diff", name, "--history", hist, "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert (data["old"]["scan_id"], data["new"]["scan_id"]) == ("n1", "n3")
    only = str(tmp_path / "one.db")
    store = open_store(only)
    snap = snapshot("s1", "2026-11-20T02:00:00Z", [secret("db")])
    store.record(snap.meta, snap, document(snap, []), access({DB: []}))
    assert main(["diff", "latest", "--history", only]) == 2
    assert "no complete scan before it" in capsys.readouterr().err


def test_diff_latest_when_the_latest_scan_is_incomplete_and_sides_in_time_order(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A new user's trial: with the newest scan incomplete, `diff latest` compared it as the
    OLD side with the last complete scan, so what appeared in it read "resolved"."""
    hist = _history(tmp_path)
    store = open_store(hist)
    snap = snapshot("n4", "2026-11-23T02:00:00Z", [secret("db", rotation=False)],
                    not_assumed=(MEMBER,))
    store.record(snap.meta, snap, document(snap, []), access({DB: [(APP, "allow")]}))
    assert main(["diff", "latest", "--history", hist, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert (data["old"]["scan_id"], data["new"]["scan_id"]) == ("n3", "n4")
    assert data["new"]["complete"] is False
    # the newer scan named first: compared old -> new all the same, and said
    assert main(["diff", "n3", "n1", "--history", hist, "--format", "json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert (data["old"]["scan_id"], data["new"]["scan_id"]) == ("n1", "n3")
    assert "note: n3 is the newer scan; comparing n1 -> n3" in captured.err


def test_diff_writes_out_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hist = _history(tmp_path)
    out = tmp_path / "drift.json"
    assert main(["diff", "n1", "--history", hist, "--format", "json", "--output-file", str(out)]) == 0
    assert json.loads(out.read_text())["new"]["scan_id"] == "n3"
    assert capsys.readouterr().out == f"{out}\n"  # it says what it wrote


@pytest.mark.parametrize("argv, words", [
    (["diff", "nope"], "no scan 'nope'"),
    (["diff", "n", "n3"], "ambiguous"),
    (["diff", "n3", "n3"], "two different scans"),
])
def test_diff_bad_ids_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                             argv: list[str], words: str) -> None:
    hist = _history(tmp_path)
    assert main([*argv, "--history", hist]) == 2
    assert words in capsys.readouterr().err


def test_diff_needs_two_complete_scans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", "--history", str(tmp_path / "empty.db")]) == 2
    assert "needs two complete scans" in capsys.readouterr().err


def test_diff_after_one_complete_and_one_incomplete_scan_shows_that_drift_and_no_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Trial: `scan --history` had shown the incomplete scan's drift, and `diff` then said
    "error: needs two complete scans to compare" (exit 2): the output contradicted itself.
    It now compares the same two scans `scan --history` did, and says why."""
    hist = str(tmp_path / "h.db")
    store = open_store(hist)
    for sid, day, not_assumed in (("n1", "20", ()), ("n2", "21", (MEMBER,))):
        snap = snapshot(sid, f"2026-11-{day}T02:00:00Z", [secret("db")],
                        not_assumed=not_assumed)
        store.record(snap.meta, snap, document(snap, []), access({DB: [(APP, "allow")]}))
    assert main(["diff", "--history", hist, "--format", "json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert (data["old"]["scan_id"], data["new"]["scan_id"]) == ("n1", "n2")
    assert captured.err.startswith("note: the history holds one complete scan (n1)")
    assert "error" not in captured.err


def test_diff_without_ids_says_when_newer_scans_are_incomplete(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """1,000-account trial: with a few accounts out of reach every night, `diff` (the morning
    command of docs/deployment.md) went on showing the same old drift between the last two
    complete scans, exit 0, without a word about the newer nights."""
    hist = _history(tmp_path)
    store = open_store(hist)
    assert main(["diff", "--history", hist, "--format", "json"]) == 0
    assert "note:" not in capsys.readouterr().err  # n3 is the newest: nothing to say
    for sid, day in (("n4", "23"), ("n5", "24")):
        snap = snapshot(sid, f"2026-11-{day}T02:00:00Z", [secret("db", rotation=False)],
                        not_assumed=(MEMBER,))
        store.record(snap.meta, snap, document(snap, []), access({DB: [(APP, "allow")]}))
    assert main(["diff", "--history", hist, "--format", "json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert (data["old"]["scan_id"], data["new"]["scan_id"]) == ("n1", "n3")
    assert captured.err.startswith("note: 2 newer scan(s) are incomplete (the latest: n5, ")
    assert "`secretgraph diff latest` shows what changed in the newest" in captured.err


def test_a_finding_first_seen_in_an_incomplete_night_keeps_that_first_seen(
        tmp_path: Path) -> None:
    """1,000-account trial: first_seen was carried from the last complete scan only, so with
    a few accounts out of reach every night the same findings were "new" every night (and
    their Security Hub CreatedAt moved)."""
    from dataclasses import replace

    from helpers.access_estate import estate

    from scanner.model import CoverageEntry
    from scanner.snapshot_io import write_snapshot

    base = estate(secret_policy=None)
    gap = CoverageEntry(account_id="999999999999", region="global", service="sts",
                        operation="AssumeRole", error_code="AccessDenied",
                        error_kind="denied", message="no")
    hist = str(tmp_path / "h.db")
    firsts: list[dict[str, str]] = []
    for sid, started, coverage in (("n1", "2026-11-20T02:00:00Z", (gap,)),
                                   ("n2", "2026-11-21T02:00:00Z", (gap,)),
                                   ("n3", "2026-11-22T02:00:00Z", ())):
        snap = replace(base, meta=replace(base.meta, scan_id=sid, started_at=started),
                       coverage=coverage)
        path = tmp_path / f"{sid}.json.gz"
        write_snapshot(path, snap)
        out = tmp_path / sid
        assert main(["scan", "--snapshot", str(path), "--out", str(out), "-q",
                     "--history", hist]) in (0, 1, 3)
        rows = json.loads((out / "findings.json").read_text())["findings"]
        firsts.append({f["id"]: f["first_seen"] for f in rows if f["status"] == "FAIL"})
    common = set(firsts[0]) & set(firsts[1]) & set(firsts[2])
    assert common  # the secret's findings, every night (the coverage gap's only while open)
    for night in firsts[1:]:
        assert all(night[i] == "2026-11-20T02:00:00Z" for i in common), night


def test_diff_of_an_empty_history_says_how_scans_get_there(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial: `scan` records nothing without --history, `diff` reads
    secretgraph-history.db by default: 'the history holds 0 complete of 0' and no way on."""
    hist = str(tmp_path / "none.db")
    assert main(["diff", "--history", hist]) == 2
    err = capsys.readouterr().err
    assert f"holds 0 complete of 0 (no such file yet: a scan with --history {hist} creates " \
        "it); scans are recorded only by `secretgraph scan --history " \
        f"{hist}` (or with $SECRETGRAPH_HISTORY set)" in err


def test_scan_says_why_it_shows_no_drift_when_no_earlier_scan_is_complete(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Trial: one member's audit role permanently missing makes every scan incomplete, and
    night 2 of `scan --history` printed no drift and no word about it. Which scans count as
    complete is unchanged (docs/history.md); the silence becomes a note."""
    from dataclasses import replace

    from helpers.access_estate import estate

    from scanner.model import CoverageEntry
    from scanner.snapshot_io import write_snapshot

    base = estate(secret_policy=None)
    gap = CoverageEntry(account_id="999999999999", region="global", service="sts",
                        operation="AssumeRole", error_code="AccessDenied",
                        error_kind="denied", message="no")
    hist = str(tmp_path / "h.db")
    said = []
    for sid, started in (("n1", "2026-11-20T02:00:00Z"), ("n2", "2026-11-21T02:00:00Z")):
        snap = replace(base, meta=replace(base.meta, scan_id=sid, started_at=started),
                       coverage=(gap,))
        path = tmp_path / f"{sid}.json.gz"
        write_snapshot(path, snap)
        capsys.readouterr()
        assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / sid),
                     "--history", hist]) == 3
        said.append(capsys.readouterr().out)
    assert f"no drift: n1 is the first scan recorded in {hist}" in said[0]
    assert (f"no drift: the history holds no earlier complete scan (0 of 1 complete), and "
            f"drift is computed against the last complete one; `secretgraph diff n1 n2 "
            f"--history {hist}` compares any two scans") in said[1]
    assert [r.complete for r in open_store(hist).list()] == [False, False]


@needs_dev_full
def test_a_full_disk_under_the_drift_or_the_list_is_one_line_naming_the_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: `diff --output-file /dev/full` and `history list > /dev/full`
    were internal errors naming no file."""
    hist = _history(tmp_path)
    assert main(["diff", "--history", hist, "--output-file", FULL]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph diff: error: --output-file {FULL}: cannot write it: No space left on "
        "device"]
    for argv in (["diff", "--history", hist], ["history", "list", "--history", hist]):
        code, err = main_with_stdout_on_full_disk(argv, monkeypatch, capsys)
        name = "history list" if argv[0] == "history" else argv[0]
        assert (code, err) == (2, [f"secretgraph {name}: error: cannot write to standard "
                                   "output: No space left on device"])


def test_an_unknown_scan_id_says_the_closest_or_the_newest_and_how_to_list_them(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """New-user trial round 26: `access --history H --scan nope` said only "no scan 'nope' in
    the history" -- not which ids there are, nor how to list them."""
    hist = _history(tmp_path)
    assert main(["diff", "nope", "--history", hist]) == 2
    err = capsys.readouterr().err
    assert "the newest is n3" in err and f"secretgraph history list --history {hist}" in err


def test_a_misspelt_scan_id_names_the_closest() -> None:
    from types import SimpleNamespace

    from scanner.errors import InputError
    from scanner.history.records import resolve_scan_id

    ids = ["scan-2026-12-04T033359Z-aaaa", "scan-2026-12-05T033401Z-bbbb"]
    records = [SimpleNamespace(scan_id=i) for i in ids]
    with pytest.raises(InputError) as err:
        resolve_scan_id(records, "scan-2026-12-05T033401Z-bbcb", "h.db")  # type: ignore[arg-type]
    assert "closest: scan-2026-12-05T033401Z-bbbb" in str(err.value)
    with pytest.raises(InputError) as err:
        resolve_scan_id([], "nope", "h.db")
    assert "the history holds no scans" in str(err.value)


def test_history_list_shows_how_many_regions_each_night_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """new-user trial round 30: a night that read one Region of two explained the morning's
    drift, and `history list` had an accounts column but none for the Regions."""
    from dataclasses import replace

    hist = str(tmp_path / "h.db")
    store = open_store(hist)
    for sid, regions in (("n1", ("us-east-1", "eu-west-1")), ("n2", ("us-east-1",))):
        snap = snapshot(sid, f"2026-11-2{sid[1]}T02:00:00Z", [secret("db")])
        snap = replace(snap, meta=replace(snap.meta, regions=regions))
        store.record(snap.meta, snap, document(snap, []), access({DB: [(APP, "allow")]}))
    assert main(["history", "list", "--history", hist]) == 0  # a file: the wide table
    out = capsys.readouterr().out.splitlines()
    head = out[0].split()
    assert head[4:6] == ["accounts", "regions"], head
    assert [line.split()[5] for line in out[2:]] == ["2", "1"]
    # a 60-column terminal: the narrow layout keeps the counts
    monkeypatch.setattr("scanner.commands.history.terminal_width", lambda: 60)
    assert main(["history", "list", "--history", hist]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[2:4] == ["acct", "rgn"], out[0]
    assert [line.split()[3] for line in out[1:]] == ["2", "1"]
    assert max(len(line) for line in out) <= 60


def test_diff_with_no_complete_scan_says_how_to_compare_the_incomplete_ones(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ground-truth trial round 27: one account's IAM denied to the audit role every night,
    so no night is complete; `diff` and `diff latest` said only "needs two complete scans"
    / "has no complete scan before it" (exit 2), while naming the two scans compares them
    (what they could not read listed as not assessed)."""
    hist = str(tmp_path / "h.db")
    store = open_store(hist)
    for sid, day in (("n1", "20"), ("n2", "21")):
        snap = snapshot(sid, f"2026-11-{day}T02:00:00Z", [secret("db")], not_assumed=(MEMBER,))
        store.record(snap.meta, snap, document(snap, []), access({DB: [(APP, "allow")]}))
    for argv in (["diff"], ["diff", "latest"]):
        assert main([*argv, "--history", hist]) == 2
        assert "name both scans to compare incomplete ones: secretgraph diff n1 n2" in \
            " ".join(capsys.readouterr().err.split()), argv
    assert main(["diff", "n1", "n2", "--history", hist, "--format", "json"]) == 0
