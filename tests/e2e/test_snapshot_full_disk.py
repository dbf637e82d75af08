"""The collected snapshot on a full disk (fault-injection trial round 18: `secretgraph demo
--out` on a 300 KB tmpfs). The scan writes its snapshot into the staging folder beside --out as
it collects; the disk filling up there ended the scan, after every account was read, with
"internal error: OSError: [Errno 28] No space left on device (run with --debug for the
traceback)", as for a bug, naming no file (gzip's close flushed the last block). Now it is one
line naming the snapshot file and the full disk, exit 2, --out as it was and no partial file
left behind."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.full_disk import NearlyFullDisk

from e2e.test_scan_cli import REGION, ROLE, seed
from helpers.scanfactory import secret, snapshot
from scanner.cli import main
from scanner.errors import OutputError
from scanner.snapshot_io import SnapshotWriter


def test_a_snapshot_that_does_not_fit_is_an_output_error_and_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    snap = snapshot("s1", "2026-12-01T01:00:00Z", [secret(f"app/{i}") for i in range(50)])
    disk = NearlyFullDisk(tmp_path, free=200).install(monkeypatch)
    path = tmp_path / "snapshot.json.gz"
    with pytest.raises(OutputError, match=r"cannot write the snapshot .*snapshot\.json\.gz: "
                                          r"No space left on device"):
        with SnapshotWriter(path) as writer:
            for account in snap.accounts:
                writer.write_account(account)
            writer.finish(meta=snap.meta, organization=None, coverage=())
    assert disk.failures
    assert list(tmp_path.iterdir()) == []  # neither the snapshot nor its .partial file


@pytest.mark.e2e
def test_a_scan_whose_snapshot_fills_the_disk_is_one_line_and_out_as_it_was(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    seed(moto_endpoint)
    disk_folder = tmp_path / "disk"
    out = disk_folder / "nightly"
    out.mkdir(parents=True)
    (out / "findings.json").write_text("last night's\n", encoding="utf-8")
    NearlyFullDisk(disk_folder, free=1000).install(monkeypatch)
    capsys.readouterr()

    code = main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                 "--endpoint-url", moto_endpoint, "--out", str(out), "--format", "json", "-q"])
    err = capsys.readouterr().err
    assert code == 2
    assert "internal error" not in err and "Traceback" not in err
    [line] = [line for line in err.splitlines() if "error:" in line]
    assert line.startswith("secretgraph scan: error: cannot write the snapshot ")
    assert "No space left on device" in line
    assert (out / "findings.json").read_text(encoding="utf-8") == "last night's\n"
    assert [p.name for p in disk_folder.iterdir()] == ["nightly"]  # no staging folder left


def test_scan_snapshot_whose_copy_fills_the_disk_names_the_disk_not_the_snapshot(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`scan --snapshot FILE` copies the file into the staging folder beside --out first. On a
    full disk there the scan said "FILE: cannot read the snapshot (No space left on device)",
    sending the reader to a snapshot file that was fine (a 300 KB tmpfs, round 18)."""
    import shutil

    from scanner.snapshot_io import write_snapshot

    given = write_snapshot(tmp_path / "tonight.json.gz", snapshot(
        "s1", "2026-12-01T01:00:00Z", [secret(f"app/{i}") for i in range(50)]))
    disk_folder = tmp_path / "disk"
    out = disk_folder / "nightly"
    out.mkdir(parents=True)
    (out / "findings.json").write_text("last night's\n", encoding="utf-8")
    monkeypatch.setattr(shutil, "_USE_CP_SENDFILE", False)  # the copy's writes go through open
    NearlyFullDisk(disk_folder, free=1000).install(monkeypatch)
    capsys.readouterr()

    assert main(["scan", "--snapshot", str(given), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "internal error" not in err and "cannot read" not in err
    [line] = err.strip().splitlines()
    assert line.startswith("secretgraph scan: error: could not write ")
    assert "the staging folder beside --out" in line and "No space left on device" in line
    assert f"the previous outputs in {out} are unchanged" in line
    assert (out / "findings.json").read_text(encoding="utf-8") == "last night's\n"
