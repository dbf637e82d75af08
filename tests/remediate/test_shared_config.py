"""One secretgraph.yaml serves both `scan --config` and `remediate --config`."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine import load_config as load_engine_config
from scanner.errors import InputError
from scanner.remediate.config import load_config as load_remediation_config

SHARED = """\
required_replica_regions: [us-west-2]
rotation_functions:
  - {lambda_arn: "arn:aws:lambda:us-east-1:111122223333:function:rotate-pg", engine: postgres}
remediation:
  max_plan_age_hours: 12
  rotation_days: 30
"""


def test_the_engine_accepts_the_remediation_section_and_remediate_reads_it(
        tmp_path: Path) -> None:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(SHARED)
    assert load_engine_config(path).required_replica_regions == ("us-west-2",)
    remediation = load_remediation_config(path)
    assert remediation.rotation_days == 30
    assert remediation.max_plan_age_hours == 12
    assert remediation.replica_regions == ("us-west-2",)


def test_a_bad_remediation_section_is_still_an_error_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "secretgraph.yaml"
    path.write_text("remediation:\n  rotation_days: 30\n  colour: blue\n")
    # the config schema describes the section (bad-input trial round 1): the scan refuses it
    # too, with the same message
    with pytest.raises(InputError, match="field remediation: .*'colour' was unexpected"):
        load_engine_config(path)
    with pytest.raises(InputError, match="field remediation: .*'colour' was unexpected"):
        load_remediation_config(path)


def test_trusted_accounts_are_one_zone_for_the_scan_and_remediate(tmp_path: Path) -> None:
    path = tmp_path / "secretgraph.yaml"
    path.write_text(SHARED + "trusted_accounts: ['444455556666']\n")
    assert load_engine_config(path).trusted_accounts == ("444455556666",)
    assert load_remediation_config(path).trusted_accounts == ("444455556666",)
    path.write_text("trusted_accounts: ['4444']\n")
    with pytest.raises(InputError, match="trusted_accounts"):
        load_engine_config(path)
    with pytest.raises(InputError, match="trusted_accounts"):
        load_remediation_config(path)
