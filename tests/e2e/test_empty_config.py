"""An empty --config (fault-injection trial round 9, LOW).

An empty rule file, suppression file or access baseline is refused ("the file is empty"), and
docs/configuration.md says a bad file is never read as empty -- but an empty (or comments-only)
--config was read as the defaults without a word: a configuration file truncated to nothing
(a deployment's template that wrote nothing) dropped `required_replica_regions`,
`trusted_accounts` and every rule override, and the scan ran on the defaults as if it had
read the file. It is refused now, as the other empty files are; `{}` asks for the
defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

from helpers.access_estate import estate


@pytest.mark.parametrize("text", ["", "# to do\n", "\n   \n"], ids=["empty", "comment", "blank"])
@pytest.mark.parametrize("command", ["scan", "remediate"])
def test_an_empty_config_is_refused_naming_the_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, command: str) -> None:
    snapshot = write_snapshot(tmp_path / "s.json.gz", estate(secret_policy=None))
    config = tmp_path / "secretgraph.yaml"
    config.write_text(text, encoding="utf-8")
    argv = ["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q"] \
        if command == "scan" else ["remediate", "--snapshot", str(snapshot)]
    assert main([*argv, "--config", str(config)]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line == (f"secretgraph {command}: error: {config}: the configuration file is empty "
                    "(or holds only comments); write {} for the defaults, or give no --config")
    assert not (tmp_path / "out").exists()


def test_an_empty_mapping_is_the_defaults(tmp_path: Path) -> None:
    snapshot = write_snapshot(tmp_path / "s.json.gz", estate(secret_policy=None))
    config = tmp_path / "secretgraph.yaml"
    config.write_text("{}\n", encoding="utf-8")
    with_config = main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "a"),
                        "-q", "--config", str(config)])
    without = main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "b"), "-q"])
    assert with_config == without != 2
