"""New-user trial round 29: what got in the way on a first morning with the CLI."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main


@pytest.fixture
def nothing_to_fix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A scan whose findings no remediator plans a change for (rotation with no function
    configured): its remediation plan has no change."""
    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snapshot-in.json.gz", estate(secret_policy=None))
    out = tmp_path / "scan-out"
    assert main(["scan", "--snapshot", str(snap), "--out", str(out), "--format", "json",
                 "--fail-on", "NONE", "-q"]) == 0
    assert main(["remediate", "--in", str(out)]) == 0
    assert "0 change(s)" in capsys.readouterr().out
    return out


def test_applying_a_plan_without_a_change_asks_nothing_and_needs_no_credentials(
        nothing_to_fix: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`remediate --in DIR --apply` in a cron job (no terminal, no --yes) on a night with
    nothing to fix exited 2, 'refusing to change anything without confirmation: stdin is not
    a terminal; review the plan and add --yes' -- of a plan of 0 changes; without
    credentials, 'no AWS credentials found'. A terminal was told 'nothing to apply'."""
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(nothing_to_fix / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(nothing_to_fix / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)

    assert main(["remediate", "--in", str(nothing_to_fix), "--apply"]) == 0
    out, err = capsys.readouterr()
    assert "nothing to apply: the plan has no changes" in out
    assert err == ""
    assert not list(nothing_to_fix.glob("remediation-journal-*")), "no journal of nothing"


@pytest.mark.parametrize("command", [
    ["baseline", "check", "--baseline", "{baseline}", "--in", "{scan}"],
    ["scan", "--snapshot", "{scan}/snapshot.json.gz", "--baseline", "{baseline}",
     "--out", "{scan}/again"],
])
def test_a_baseline_not_written_yet_is_named_with_the_command_that_writes_it(
        nothing_to_fix: Path, capsys: pytest.CaptureFixture[str], command: list[str]) -> None:
    """The first morning: `--baseline baseline.yaml` before any baseline was written said
    'cannot read the baseline: No such file or directory' -- unlike --history, a baseline is
    not created on first use, and the error did not say which command writes one."""
    baseline = nothing_to_fix.parent / "baseline.yaml"
    args = [a.format(baseline=baseline, scan=nothing_to_fix) for a in command]
    assert main(args) == 2
    (line,) = capsys.readouterr().err.splitlines()
    assert f"{baseline}: cannot read the baseline: No such file or directory" in line
    assert f"`secretgraph baseline init --output-file {baseline}`" in line
    assert "review it" in line


def test_an_unknown_finding_id_says_where_the_ids_are_and_completes_a_cut_one(
        nothing_to_fix: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`remediate --finding sgf-123` said 'no such finding in the scan' and no more: not where
    a finding's id is read, nor the whole id of one cut short when copied."""
    import json

    document = json.loads((nothing_to_fix / "findings.json").read_text(encoding="utf-8"))
    whole = document["findings"][0]["id"]

    assert main(["remediate", "--in", str(nothing_to_fix), "--finding", "sgf-123"]) == 2
    err = capsys.readouterr().err
    assert "--finding 'sgf-123': no such finding in the scan" in err
    assert "its id in findings.json" in err and "jq -r" in err

    assert main(["remediate", "--in", str(nothing_to_fix), "--finding", whole[:12]]) == 2
    assert f"the finding whose id starts so: {whole}" in capsys.readouterr().err


def test_the_command_a_missing_shard_is_told_to_run_names_the_parts_location(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`collect --shard 1/2` alone, then `scan --from-parts parts`: the warning said to run
    `secretgraph collect --shard 2/2 --run-id r1`, which copied as it stands is refused
    ('the following arguments are required: --parts')."""
    from scanner.shards import LocalParts, ShardManifest, merge_parts, write_manifest

    parts = tmp_path / "parts"
    store = LocalParts(parts)
    write_manifest(store, ShardManifest(run_id="r1", shard="1/2", accounts=(),
                                        regions=("us-east-1",),
                                        expected_accounts=("111122223333",)), "0001-of-0002")
    with caplog.at_level("WARNING", logger="scanner.shards"):
        merge_parts(store, "r1", tmp_path / "out.json.gz")
    assert (f"run `secretgraph collect --shard 2/2 --run-id r1 --parts {store.uri}` with the "
            "other shards' flags") in caplog.text, caplog.text
