"""replicate-secret takes the Regions to replicate to from the finding's evidence
(``missing_regions``), else from the config's one list of required Regions: the key
``required_replica_regions`` or its other name, the rule parameter
``rules.secret-not-replicated.parameters.required_regions`` (scanner.engine.config), as the
scan reads them. With neither it is refused saying which key to set -- the refusal named
``remediation.replica_regions``, a key the remediation section refuses ("unknown key(s)")."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.remediate_records import finding, snapshot
from remediations import replicate_secret
from scanner.changes import PlanContext, PlanRefused
from scanner.remediate.config import RemediationConfig, load_config



def test_with_no_region_known_the_refusal_names_the_key_to_set() -> None:
    ctx = PlanContext(config=RemediationConfig())
    with pytest.raises(PlanRefused) as refused:
        replicate_secret.plan(finding("secret-not-replicated", "replicate-secret"), snapshot(),
                              ctx)
    assert "required_replica_regions" in str(refused.value)
    assert "remediation.replica_regions" not in str(refused.value)


@pytest.mark.parametrize("text", [
    "required_replica_regions: [us-west-2]\n",
    "rules:\n  secret-not-replicated:\n    parameters:\n      required_regions: [us-west-2]\n",
], ids=["top-level key", "rule parameter"])
def test_remediation_reads_the_one_list_of_required_regions(tmp_path: Path, text: str) -> None:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(text, encoding="utf-8")
    assert load_config(path).replica_regions == ("us-west-2",)
