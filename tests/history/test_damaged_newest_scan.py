"""A damaged payload in the newest complete scan of the history (fault-injection trial round 8,
MEDIUM; round 9 fixes it).

A payload of the newest complete scan cut short (or missing, or not the shape it should have)
made every later `scan --history` end with "damaged payload for scan ..." (exit 2), night after
night, and no command removed or skipped it. Now the nightly scan still runs and is recorded:
the damaged scan is skipped as the previous scan with one warning naming it, the drift is
computed against the newest intact complete scan (the summary line names it and the skipped
one), nothing stored is changed, and `history list` marks the scan DAMAGED."""

from __future__ import annotations

import gzip
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any, Callable

import pytest

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

from helpers.scanfactory import secret, snapshot

BUCKET = "sg-damaged"


def _night(tmp_path: Path, n: int) -> Path:
    """Night n's snapshot: the secret db, and one secret of its own (so each drift shows it)."""
    snap = snapshot(f"n{n}", f"2026-11-2{n}T01:00:00Z", [secret("db"), secret(f"only-n{n}")])
    return write_snapshot(tmp_path / f"n{n}.json.gz", snap)


def _scan(tmp_path: Path, history: str, n: int, *extra: str) -> int:
    return main(["scan", "--snapshot", str(_night(tmp_path, n)), "--history", history,
                 "--out", str(tmp_path / f"out-n{n}"), *extra])


def _cut_short(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _wrong_shape(data: bytes) -> bytes:
    """Valid gzip and JSON, but not a snapshot / findings document / access report."""
    return gzip.compress(json.dumps(["not", "an", "object"]).encode(), mtime=0)


def _damage_sqlite(path: Path, scan_id: str, payload: str, how: Callable[[bytes], bytes]
                   ) -> None:
    conn = sqlite3.connect(path)
    digest = conn.execute(f"SELECT {payload}_digest FROM scans WHERE scan_id = ?",
                          (scan_id,)).fetchone()[0]
    data = conn.execute("SELECT data FROM blobs WHERE digest = ?", (digest,)).fetchone()[0]
    conn.execute("UPDATE blobs SET data = ? WHERE digest = ?", (how(data), digest))
    conn.commit()
    conn.close()


def _lose_sqlite_blob(path: Path, scan_id: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("DELETE FROM blobs WHERE digest = (SELECT document_digest FROM scans"
                 " WHERE scan_id = ?)", (scan_id,))
    conn.commit()
    conn.close()


def _warnings(err: str, scan_id: str) -> list[str]:
    return [line for line in err.splitlines() if f"'{scan_id}'" in line and "damaged" in line]


def _assert_night_3_skips_n2(err: str, out: str) -> None:
    [warning] = _warnings(err, "n2")
    assert "skipped" in warning and "n1" in warning
    assert "Traceback" not in err and "error:" not in err
    assert "Drift n1 (" in out and "-> n3 (" in out
    assert "only-n1" in out and "only-n3" in out  # the drift is n1 -> n3
    summary = out.strip().splitlines()[-1]
    assert "drift against scan n1 (n2 skipped: damaged)" in summary
    assert "recorded in" in summary


@pytest.mark.parametrize("payload", ["snapshot", "document", "access"])
@pytest.mark.parametrize("how", [_cut_short, _wrong_shape], ids=["cut-short", "wrong-shape"])
def test_sqlite_a_damaged_newest_complete_scan_is_skipped_with_one_warning(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], payload: str,
        how: Callable[[bytes], bytes]) -> None:
    history = tmp_path / "h.db"
    for n in (1, 2):
        assert _scan(tmp_path, str(history), n, "-q") in (0, 1)
    _damage_sqlite(history, "n2", payload, how)
    conn = sqlite3.connect(history)
    stored = conn.execute("SELECT digest, data FROM blobs ORDER BY digest").fetchall()
    conn.close()
    capsys.readouterr()

    assert _scan(tmp_path, str(history), 3) in (0, 1)
    captured = capsys.readouterr()
    _assert_night_3_skips_n2(captured.err, captured.out)

    # nothing stored was lost: every blob as it was (n2's damaged one too), n3 added
    conn = sqlite3.connect(history)
    after = dict(conn.execute("SELECT digest, data FROM blobs").fetchall())
    ids = [r[0] for r in conn.execute("SELECT scan_id FROM scans ORDER BY started_at")]
    conn.close()
    assert all(after.get(digest) == data for digest, data in stored)
    assert ids == ["n1", "n2", "n3"]
    # the next night diffs against n3 and says nothing of n2
    assert _scan(tmp_path, str(history), 4) in (0, 1)
    captured = capsys.readouterr()
    assert _warnings(captured.err, "n2") == [] and "Drift n3 (" in captured.out


def test_sqlite_a_scan_whose_payload_row_is_gone_is_skipped_too(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "h.db"
    for n in (1, 2):
        assert _scan(tmp_path, str(history), n, "-q") in (0, 1)
    _lose_sqlite_blob(history, "n2")
    capsys.readouterr()
    assert _scan(tmp_path, str(history), 3) in (0, 1)
    captured = capsys.readouterr()
    _assert_night_3_skips_n2(captured.err, captured.out)


def test_sqlite_the_warning_is_said_with_q_too_and_no_intact_scan_means_no_drift(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-q prints errors only, but a nightly job must hear that its baseline was skipped; with
    no intact complete scan left there is no drift, and the scan is still recorded."""
    history = tmp_path / "h.db"
    assert _scan(tmp_path, str(history), 1, "-q") in (0, 1)
    _damage_sqlite(history, "n1", "snapshot", _cut_short)
    capsys.readouterr()
    assert _scan(tmp_path, str(history), 2, "-q") in (0, 1)
    captured = capsys.readouterr()
    [warning] = _warnings(captured.err, "n1")
    assert "no earlier intact complete scan" in warning
    assert captured.out == ""
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    scans = json.loads(capsys.readouterr().out)["scans"]
    assert [(s["scan_id"], s["damaged"] is not None) for s in scans] == \
        [("n1", True), ("n2", False)]


def test_sqlite_collecting_skips_the_damaged_scan_before_collecting(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A collecting scan reads the last complete scan before it collects (its policies are
    carried): a damaged one is skipped there, once, and an intact earlier one is carried."""
    from scanner.pipeline import ScanOptions, run_scan
    from scanner.history import open_store

    history = tmp_path / "h.db"
    for n in (1, 2):
        assert _scan(tmp_path, str(history), n, "-q") in (0, 1)
    _damage_sqlite(history, "n2", "document", _cut_short)
    capsys.readouterr()
    store = open_store(str(history))
    loaded: list[str] = []
    real_load = type(store).load

    def load(self: Any, scan_id: str, **kwargs: Any) -> Any:
        loaded.append(scan_id)
        return real_load(self, scan_id, **kwargs)

    snap_path = _night(tmp_path, 3)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(type(store), "load", load)
        # stands in for the collection: the snapshot of night 3 (the history step is the same)
        mp.setattr("scanner.pipeline._collect",
                   lambda options, staging, *a, **k: Path(
                       __import__("shutil").copyfile(snap_path, staging / "snapshot.json.gz")))
        analysis = run_scan(ScanOptions(history=str(history), out_dir=tmp_path / "out3",
                                        formats=("json",), quiet=True))
    assert loaded[:2] == ["n2", "n1"]
    assert analysis.history is not None and analysis.history.previous is not None
    assert analysis.history.previous.scan_id == "n1"
    assert analysis.history.skipped == ("n2",)
    assert len(_warnings(capsys.readouterr().err, "n2")) == 1


def test_history_list_marks_the_damaged_scan(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "h.db"
    for n in (1, 2):
        assert _scan(tmp_path, str(history), n, "-q") in (0, 1)
    _damage_sqlite(history, "n2", "snapshot", _cut_short)
    before = hashlib.sha256(history.read_bytes()).hexdigest()
    capsys.readouterr()
    assert main(["history", "list", "--history", str(history)]) == 0
    captured = capsys.readouterr()
    rows = {line.split()[0]: line.split() for line in captured.out.splitlines()[2:]}
    assert rows["n1"][3] == "yes" and rows["n2"][3] == "DAMAGED"
    [note] = [line for line in captured.err.splitlines() if "'n2'" in line]
    assert "damaged payload" in note and "skips it" in note
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    scans = {s["scan_id"]: s for s in json.loads(capsys.readouterr().out)["scans"]}
    assert scans["n1"]["damaged"] is None
    assert "damaged payload for scan 'n2'" in scans["n2"]["damaged"]
    assert hashlib.sha256(history.read_bytes()).hexdigest() == before


def test_prune_removes_the_damaged_scan_once_an_intact_one_follows(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "h.db"
    for n in (1, 2):
        assert _scan(tmp_path, str(history), n, "-q") in (0, 1)
    _damage_sqlite(history, "n2", "snapshot", _cut_short)
    assert _scan(tmp_path, str(history), 3, "-q") in (0, 1)
    capsys.readouterr()
    assert main(["history", "prune", "--history", str(history), "--keep", "1", "--yes"]) == 0
    assert "n2" in capsys.readouterr().out  # listed among the scans deleted
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert [(s["scan_id"], s["damaged"]) for s in
            json.loads(capsys.readouterr().out)["scans"]] == [("n3", None)]


# --------------------------------------------------------------------------- S3 (moto)



@pytest.mark.parametrize("name", ["snapshot.json.gz", "findings.json.gz", "access.json.gz"])
def test_s3_a_half_written_payload_of_the_newest_complete_scan_is_skipped(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], s3: Any, name: str) -> None:
    uri = f"s3://{BUCKET}/nightly"
    for n in (1, 2):
        assert _scan(tmp_path, uri, n, "-q") in (0, 1)
    key = f"nightly/scans/n2/{name}"
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    s3.put_object(Bucket=BUCKET, Key=key, Body=_cut_short(body))
    capsys.readouterr()

    assert _scan(tmp_path, uri, 3) in (0, 1)
    captured = capsys.readouterr()
    _assert_night_3_skips_n2(captured.err, captured.out)
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == _cut_short(body)

    assert main(["history", "list", "--history", uri, "--format", "json"]) == 0
    scans = {s["scan_id"]: s for s in json.loads(capsys.readouterr().out)["scans"]}
    assert sorted(scans) == ["n1", "n2", "n3"]
    # n3 is now the newest complete scan: list reads it, and n2 only as far as is cheap
    assert scans["n3"]["damaged"] is None and scans["n1"]["damaged"] is None


def test_s3_a_missing_payload_object_is_damaged_and_listed_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], s3: Any) -> None:
    uri = f"s3://{BUCKET}/nightly"
    for n in (1, 2):
        assert _scan(tmp_path, uri, n, "-q") in (0, 1)
    s3.delete_object(Bucket=BUCKET, Key="nightly/scans/n2/findings.json.gz")
    capsys.readouterr()
    assert main(["history", "list", "--history", uri]) == 0
    rows = {line.split()[0]: line.split() for line in capsys.readouterr().out.splitlines()[2:]}
    assert rows["n2"][3] == "DAMAGED"
    assert _scan(tmp_path, uri, 3) in (0, 1)
    captured = capsys.readouterr()
    _assert_night_3_skips_n2(captured.err, captured.out)
    assert main(["history", "list", "--history", uri, "--format", "json"]) == 0
    scans = {s["scan_id"]: s for s in json.loads(capsys.readouterr().out)["scans"]}
    assert "missing" in scans["n2"]["damaged"]


def test_prune_keeps_the_intact_scan_the_next_night_diffs_against(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """prune always keeps "the newest complete scan and every scan after it": with that scan
    damaged, `--keep 1` deleted n1, the intact scan the next night diffs against (it then had
    no drift at all). The newest intact complete scan is kept as well."""
    history = tmp_path / "h.db"
    for n in (1, 2):
        assert _scan(tmp_path, str(history), n, "-q") in (0, 1)
    _damage_sqlite(history, "n2", "snapshot", _cut_short)
    capsys.readouterr()
    assert main(["history", "prune", "--history", str(history), "--keep", "1", "--yes"]) == 0
    out = capsys.readouterr().out
    assert "nothing to prune" in out and "n1" in out
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert [s["scan_id"] for s in json.loads(capsys.readouterr().out)["scans"]] == ["n1", "n2"]
    assert _scan(tmp_path, str(history), 3) in (0, 1)
    assert "Drift n1 (" in capsys.readouterr().out


def test_s3_history_list_says_what_it_could_not_read_and_still_lists(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], s3: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """history list reads the newest scans to find damage: one whose GetObject is denied is
    not damaged, and the listing (which needs only the index) must not fail on it -- it
    says it could not be read. The note of an S3 history does not send the user to
    `history prune` (which refuses S3)."""
    import botocore.client
    from botocore.exceptions import ClientError

    uri = f"s3://{BUCKET}/nightly"
    for n in (1, 2):
        assert _scan(tmp_path, uri, n, "-q") in (0, 1)
    s3.delete_object(Bucket=BUCKET, Key="nightly/scans/n1/findings.json.gz")
    real = botocore.client.BaseClient._make_api_call

    def deny(self: Any, op: str, params: Any) -> Any:
        if op == "GetObject" and str(params.get("Key", "")).startswith("nightly/scans/n2/"):
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "denied"}}, op)
        return real(self, op, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", deny)
    capsys.readouterr()
    assert main(["history", "list", "--history", uri]) == 0
    captured = capsys.readouterr()
    rows = {line.split()[0]: line.split() for line in captured.out.splitlines()[2:]}
    assert rows["n1"][3] == "DAMAGED" and rows["n2"][3] == "yes"
    [unread] = [line for line in captured.err.splitlines() if "'n2'" in line]
    assert "could not be read" in unread and "AccessDenied" in unread
    [damaged] = [line for line in captured.err.splitlines() if "'n1'" in line]
    assert "history prune" not in damaged and "A damaged scan" in damaged


def test_the_warning_names_the_scan_the_drift_is_against_when_a_narrower_one_is_passed_over(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """n1 full, n2 an ad-hoc --severity scan, n3 full and damaged: tonight's full scan passes n2
    over as narrower (docs/history.md, "The previous scan") and diffs against n1, as its
    summary line said -- while the warning said "the drift is computed against scan 'n2', the
    newest intact complete scan before it" (docs trial round 5)."""
    history = tmp_path / "h.db"
    assert _scan(tmp_path, str(history), 1, "-q") in (0, 1)
    assert _scan(tmp_path, str(history), 2, "-q", "--severity", "HIGH,CRITICAL") in (0, 1)
    assert _scan(tmp_path, str(history), 3, "-q") in (0, 1)
    _damage_sqlite(history, "n3", "document", _cut_short)
    capsys.readouterr()

    assert _scan(tmp_path, str(history), 4) in (0, 1)
    captured = capsys.readouterr()
    [warning] = _warnings(captured.err, "n3")
    assert "against scan 'n1'" in warning and "'n2'" not in warning
    summary = captured.out.strip().splitlines()[-1]
    assert "drift against scan n1 (n3 skipped: damaged)" in summary
