"""docs/configuration.md: every YAML example loads through the same code as --config and
--suppressions, and every key of the config schema is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"
SCHEMA = Path(__file__).resolve().parents[2] / "scanner" / "schemas" / "config.schema.json"


def examples() -> dict[str, str]:
    blocks = re.findall(r"```yaml\n# file: (\S+)\n(.*?)```", DOC.read_text(), re.DOTALL)
    return {name: body for name, body in blocks}


def test_the_examples_are_valid(tmp_path: Path) -> None:
    from scanner.engine import load_config, load_ruleset, load_suppressions
    from scanner.engine.runner import compile_ruleset
    from scanner.remediate.config import load_config as load_remediation_config

    found = examples()
    assert set(found) == {"secretgraph.yaml", "suppressions.yaml"}
    config_path = tmp_path / "secretgraph.yaml"
    config_path.write_text(found["secretgraph.yaml"])
    config = load_config(config_path)
    compile_ruleset(load_ruleset(()), config)  # rule ids, parameters and severities checked
    assert load_remediation_config(config_path).max_plan_age_hours == 24
    suppressions_path = tmp_path / "suppressions.yaml"
    suppressions_path.write_text(found["suppressions.yaml"])
    assert load_suppressions(suppressions_path) is not None


def test_every_config_key_is_documented() -> None:
    text = DOC.read_text()
    for key in json.loads(SCHEMA.read_text())["properties"]:
        assert f"`{key}" in text, key


def test_the_remediation_pages_config_example_is_valid(tmp_path: Path) -> None:
    """docs/remediation.md "Config (`--config`)": the example loads as `remediate --config` and
    `scan --config` read it (its lambda_arn and keys were "..." placeholders, which both refuse:
    a copied example was exit 2)."""
    from scanner.engine import load_config
    from scanner.remediate.config import load_config as load_remediation_config

    page = (DOC.parent / "remediation.md").read_text(encoding="utf-8")
    section = page[page.index("## Config (`--config`)"):]
    example = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert example is not None
    path = tmp_path / "secretgraph.yaml"
    path.write_text(example.group(1), encoding="utf-8")
    load_config(path)
    config = load_remediation_config(path)
    assert config.max_plan_age_hours == 24 and config.rotation_days == 30
    assert set(config.cmk_by_account_region["111122223333"]) == {"us-east-1", "us-west-2"}


def _long_flags(command: str) -> set[str]:
    import argparse

    from scanner.cli import build_parser

    parser, _ = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {o for a in sub.choices[command]._actions for o in a.option_strings
            if o.startswith("--")}


def test_every_flag_of_scan_and_collect_put_in_the_config_names_its_flag() -> None:
    """docs/configuration.md: "a setting the command line takes (...) names its flag". The
    table of those settings was kept by hand: `max_workers: 4`, `processes: 2`,
    `policy_tps: 10` or `full_refresh_days: 1` in secretgraph.yaml was "Additional
    properties are not allowed" without a word of the flag (docs round 14). Every long flag
    of the two commands that read --config is a config key or in the table."""
    from scanner.engine.config import COLLECT_ONLY, COMMAND_LINE_ONLY

    keys = set(json.loads(SCHEMA.read_text())["properties"])
    for command in ("scan", "collect"):
        names = {flag[2:].replace("-", "_") for flag in _long_flags(command)}
        missing = names - keys - set(COMMAND_LINE_ONLY) - {"help", "config"}
        assert sorted(missing) == [], command
    assert all(COMMAND_LINE_ONLY[name].split()[0][2:].replace("-", "_") == name
               or name in ("mutelist", "formats") for name in COMMAND_LINE_ONLY)
    assert {f"--{n.replace('_', '-')}" for n in COLLECT_ONLY} <= \
        _long_flags("collect") - _long_flags("scan")


def test_a_flag_in_the_config_names_the_command_that_takes_it(tmp_path: Path) -> None:
    import pytest

    from scanner.engine.config import load_config
    from scanner.errors import InputError

    for text, said in (("max-workers: 4\n", "give --max-workers N (scan --help"),
                       ("full_refresh_days: 1\n", "give --full-refresh-days N (scan --help"),
                       ("shard: 1/4\n", "give --shard I/N (collect --help")):
        path = tmp_path / "secretgraph.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(InputError) as info:
            load_config(path)
        assert "is a command-line setting, not a configuration key: " + said in str(info.value)
