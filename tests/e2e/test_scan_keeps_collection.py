"""A scan that fails after collecting keeps what it collected (fault-injection trial round 8:
one secret whose access analysis raised threw the whole night's collection away -- no --out
folder, no snapshot, nothing recorded). The error is reported as before (exit 2, one line);
the snapshot is moved beside --out and a note says how to evaluate it again."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.test_scan_cli import REGION, ROLE, seed
from scanner.cli import main

pytestmark = pytest.mark.e2e


def test_a_scan_whose_analysis_fails_keeps_its_collection_beside_out(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import scanner.pipeline as pipeline

    seed(moto_endpoint)
    capsys.readouterr()
    real = pipeline.analyze_access

    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("one secret's analysis raised")

    monkeypatch.setattr(pipeline, "analyze_access", broken)
    out = tmp_path / "nightly"
    code = main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                 "--endpoint-url", moto_endpoint, "--out", str(out), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "internal error: ValueError: one secret's analysis raised" in err
    assert not out.exists()  # the reports are one set: none of them was written
    kept = sorted(tmp_path.glob("nightly.collected-*.json.gz"))
    assert len(kept) == 1
    assert f"note: the collection was kept: {kept[0]}" in err
    assert not list(tmp_path.glob(".nightly.staging-*"))  # the staging folder is gone

    # the note's command evaluates it, offline, once the analysis works again
    monkeypatch.setattr(pipeline, "analyze_access", real)
    code = main(["scan", "--snapshot", str(kept[0]), "--out", str(tmp_path / "again"),
                 "--format", "json", "-q"])
    assert code in (0, 1, 3)
    assert (tmp_path / "again" / "findings.json").is_file()


def test_an_offline_scan_that_fails_keeps_nothing_new(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A snapshot file stays where it was: nothing is copied beside --out."""
    import scanner.pipeline as pipeline
    from scanner.snapshot_io import write_snapshot

    from helpers.scanfactory import secret, snapshot

    path = write_snapshot(tmp_path / "in.json.gz",
                          snapshot("s1", "2026-12-01T02:00:00Z", [secret("db")]))

    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("boom")

    monkeypatch.setattr(pipeline, "analyze_access", broken)
    code = main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "o"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "internal error: ValueError: boom" in err
    assert "collection was kept" not in err
    assert not list(tmp_path.glob("o.collected-*"))


def test_a_collection_that_cannot_be_moved_is_said_to_be_lost(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The rename beside --out failing (a read-only parent, say) is not silent: a note says the
    collection is lost, beside the error that ended the scan."""
    import scanner.pipeline as pipeline

    seed(moto_endpoint)
    capsys.readouterr()

    def broken(*args: object, **kwargs: object) -> object:
        raise ValueError("analysis raised")

    real_replace = pipeline.os.replace

    def refuse(src: object, dst: object) -> None:  # the move beside --out alone
        if ".collected-" in str(dst):
            raise PermissionError(13, "Permission denied")
        real_replace(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "analyze_access", broken)
    monkeypatch.setattr(pipeline.os, "replace", refuse)
    code = main(["scan", "--org", "--role-name", ROLE, "--regions", REGION,
                 "--endpoint-url", moto_endpoint, "--out", str(tmp_path / "nightly"),
                 "--format", "json"])
    monkeypatch.undo()
    note, error = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and "internal error: ValueError: analysis raised" in error
    assert note.startswith("note: the collection could not be kept as ")
    assert note.endswith("(Permission denied); it is lost with the staging folder")
    assert not list(tmp_path.glob("nightly.collected-*"))
