"""New-user trial round 34: the offline workflow (`collect`, then a scan of what it wrote),
and the folders a first morning gives where a snapshot file is read."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.shards import encode_part


@pytest.fixture
def parts(tmp_path: Path) -> Path:
    """What `secretgraph collect --run-id night1 --parts parts` leaves: one run's folder with
    its shard manifest and one part per account."""
    run = tmp_path / "parts" / "night1"
    (run / "shards").mkdir(parents=True)
    (run / "shards" / "0001-of-0001.json").write_text("{}")
    (run / "accounts").mkdir()
    (run / "accounts" / "111111111111.json.gz").write_bytes(encode_part(
        run_id="night1", account={"account_id": "111111111111"}, coverage=(), stats={},
        collected_at="2026-12-07T00:00:00Z", seconds=1.0))
    return tmp_path / "parts"


def error_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return captured.err.strip()


@pytest.mark.parametrize("command", [["scan", "--out", "OUT"], ["access"]])
def test_a_collect_parts_folder_given_as_a_snapshot_says_to_merge_it_with_from_parts(
        parts: Path, tmp_path: Path, command: list[str],
        capsys: pytest.CaptureFixture[str]) -> None:
    """`collect --parts parts` then `scan --snapshot parts` said "parts: cannot read the
    snapshot (Is a directory)" and `access --snapshot parts` "is a directory, not a snapshot
    file": two wordings, neither saying that the folder is merged with --from-parts."""
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    err = error_of([*argv, "--snapshot", str(parts)], capsys)
    assert err.endswith(f"{parts}: is a directory, not a snapshot file: a folder of snapshot "
                        f"parts (secretgraph collect): merge them with scan --from-parts "
                        f"{parts}")
    err = error_of([*argv, "--snapshot", str(parts / "night1")], capsys)
    assert err.endswith(f"merge them with scan --from-parts {parts} --run-id night1")
    part = parts / "night1" / "accounts" / "111111111111.json.gz"
    err = error_of([*argv, "--snapshot", str(part)], capsys)
    assert err.endswith(f"{part}: one account's snapshot part of run 'night1' (secretgraph "
                        "collect), not a snapshot: merge the run with scan --from-parts "
                        "LOCATION --run-id night1 (LOCATION: the folder holding night1/)")


@pytest.mark.parametrize("command", [["scan", "--out", "OUT"], ["access"]])
def test_a_scans_output_folder_given_as_a_snapshot_names_the_snapshot_in_it(
        tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scan-out"
    out.mkdir()
    (out / "snapshot.json.gz").write_bytes(b"")
    argv = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    err = error_of([*argv, "--snapshot", str(out)], capsys)
    assert err.endswith(f"{out}: is a directory (a scan's output folder), not a snapshot "
                        f"file: its snapshot is {out / 'snapshot.json.gz'}")
    other = tmp_path / "empty"
    other.mkdir()
    err = error_of([*argv, "--snapshot", str(other)], capsys)
    assert err.endswith(f"{other}: is a directory, not a snapshot file")


def test_from_parts_given_the_runs_own_folder_names_the_location_and_the_run(
        parts: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan --from-parts parts/night1` (the folder collect's line names the run by) said
    "no run found (no shard manifest)" beside the manifest it was looking for."""
    for given in (parts / "night1", parts / "night1" / "accounts"):
        err = error_of(["scan", "--from-parts", str(given), "--out", str(tmp_path / "out")],
                       capsys)
        assert err.endswith(f"--from-parts {given}: this is the folder of run 'night1'; give "
                            f"the parts location that holds it: --from-parts {parts} "
                            "--run-id night1")


def test_scan_help_says_what_is_read_without_config_and_without_org_or_accounts(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`scan --help` read top to bottom: `--config FILE  secretgraph.yaml` read as if a
    ./secretgraph.yaml were the default (none is read unless given), and `--accounts` said
    nothing of a scan given neither it nor --org (the credentials' own account, README)."""
    monkeypatch.setenv("COLUMNS", "80")
    with pytest.raises(SystemExit):
        main(["scan", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert ("--config FILE the configuration YAML (secretgraph.yaml: rule parameters, trusted "
            "and allowed accounts, quotas; docs/configuration.md); none is read unless "
            "given") in text
    assert ("--accounts ID,... comma-separated account ids (default, without --org or "
            "--accounts: the account of the credentials alone, no role assumed)") in text
