"""`--regions` mistakes name what to write (fault-injection trial round 11): a Region in
capitals was refused with no hint, and a Region given twice was not named."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.collect_options import CollectOptions, validate_options
from scanner.errors import UsageError


def _refused(tmp_path: Path, regions: tuple[str, ...]) -> str:
    with pytest.raises(UsageError) as info:
        validate_options(CollectOptions(out=tmp_path / "s.json.gz", regions=regions))
    return str(info.value)


def test_a_region_in_capitals_names_it_in_lower_case(tmp_path: Path) -> None:
    said = _refused(tmp_path, ("us-east-1", "US-WEST-2"))
    assert "unknown region 'US-WEST-2'" in said
    assert "did you mean us-west-2? (Region names are lower-case)" in said


def test_a_region_given_twice_is_named(tmp_path: Path) -> None:
    said = _refused(tmp_path, ("us-east-1", "eu-west-1", "us-east-1"))
    assert "us-east-1 is listed twice in --regions" in said
