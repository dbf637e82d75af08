"""An access baseline's mistakes get the hints a config's get, from the same code
(scanner.engine.validation): a key close to a known one names it, an unquoted account id says
to quote it (bad-input trial round 1: `allowed_external_account:` and
`allowed_external_accounts: [999999999999]` were refused with the bare schema message)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.errors import InputError
from scanner.history.baseline import load_baseline


def _error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "baseline.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_baseline(path)
    return str(caught.value)


def test_a_mistyped_key_names_the_closest_one(tmp_path: Path) -> None:
    message = _error(tmp_path, "version: 1\nallowed_external_account: []\nsecrets: []\n")
    assert message.endswith("field (top level): Additional properties are not allowed "
                            "('allowed_external_account' was unexpected); did you mean "
                            "allowed_external_accounts?")


def test_an_unquoted_account_id_says_to_quote_it(tmp_path: Path) -> None:
    message = _error(tmp_path, "version: 1\nallowed_external_accounts: [999999999999]\n"
                               "secrets: []\n")
    assert message.endswith("field allowed_external_accounts[0]: 999999999999 is not of type "
                            "'string'; quote it: '999999999999' (YAML reads an unquoted "
                            "999999999999 as a number)")


def test_the_hints_are_the_config_loaders(tmp_path: Path) -> None:
    """One piece of code: a config's unquoted account id reads the same."""
    from scanner.engine import load_config

    config = tmp_path / "secretgraph.yaml"
    config.write_text("allowed_external_accounts: [999999999999]\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_config(config)
    baseline = _error(tmp_path, "version: 1\nallowed_external_accounts: [999999999999]\n")
    assert str(caught.value).split("; ", 1)[1] == baseline.split("; ", 1)[1]
