"""One list of required replica Regions, however it is configured.

``rules.secret-not-replicated.parameters.required_regions`` made the rule require a Region that
the collector, which reads the config's ``required_replica_regions`` only, was never told of:
a primary with no replica listed in a scanned Region got no DescribeSecret and counted as
having no replica at all (``replicas=()``, known), so its replica in an unscanned Region, or a
replication that failed, was "no replica in us-west-2" on nothing but a missing read
(docs/collection.md listed it as a known limit). The parameter is now another name of the
config key, as ``allowed_accounts`` is of ``allowed_external_accounts``: either sets the one
list the collector, the rule and remediation read; both set and different is a config error
(exit 2, naming both fields)."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine import load_config
from scanner.errors import InputError

TOP_LEVEL = "required_replica_regions: [us-west-2]\n"
PARAMETER = ("rules:\n  secret-not-replicated:\n    parameters:\n"
             "      required_regions: [us-west-2]\n")


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text", [TOP_LEVEL, PARAMETER, TOP_LEVEL + PARAMETER],
                         ids=["top-level key", "rule parameter", "both, the same"])
def test_every_way_to_require_a_region_tells_the_collector(tmp_path: Path, text: str) -> None:
    config = load_config(_config(tmp_path, text))
    assert config.required_replica_regions == ("us-west-2",)
    assert config.global_parameters()["required_regions"] == ["us-west-2"]


def test_the_two_names_set_to_different_lists_are_refused_naming_both(tmp_path: Path) -> None:
    text = "required_replica_regions: [eu-west-1]\n" + PARAMETER
    with pytest.raises(InputError) as caught:
        load_config(_config(tmp_path, text))
    message = str(caught.value)
    assert "rules.secret-not-replicated.parameters.required_regions" in message
    assert "required_replica_regions" in message


def test_a_misspelt_region_in_the_parameter_is_named(tmp_path: Path) -> None:
    text = PARAMETER.replace("us-west-2", "us-west-9")
    with pytest.raises(InputError) as caught:
        load_config(_config(tmp_path, text))
    assert "required_regions[0]" in str(caught.value)
    assert "us-west-9" in str(caught.value)
