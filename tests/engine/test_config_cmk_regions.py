"""remediation.cmk.<account>.<region> and remediation.rotation_functions[].region are Regions
checked as the others are (bad-input trial round 1: `us-esat-1` was taken, and the plan then
asked to set the very key that was set); a key of another Region is refused -- a secret is
encrypted by a key of its own Region."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.engine.config import load_config
from scanner.errors import InputError

KEY = "arn:aws:kms:us-east-1:111111111111:key/0000"


def _load(tmp_path: Path, text: str) -> None:
    p = tmp_path / "c.yaml"
    p.write_text(text, encoding="utf-8")
    load_config(p)


def test_a_mistyped_cmk_region_is_refused_with_the_closest(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, f'remediation:\n  cmk:\n    "111111111111":\n      us-esat-1: "{KEY}"\n')
    text = str(caught.value)
    assert "us-esat-1" in text and "us-east-1" in text
    assert "remediation.cmk.111111111111.us-esat-1" in text


def test_a_key_of_another_region_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, f'remediation:\n  cmk:\n    "111111111111":\n      us-west-2: "{KEY}"\n')
    assert "us-east-1, not us-west-2" in str(caught.value)


def test_a_mistyped_remediation_rotation_function_region_is_refused(tmp_path: Path) -> None:
    lam = "arn:aws:lambda:us-east-1:111111111111:function:rot"
    with pytest.raises(InputError) as caught:
        _load(tmp_path, f'remediation:\n  rotation_functions:\n    - lambda_arn: "{lam}"\n'
                        '      region: us-est-1\n')
    assert "remediation.rotation_functions[0].region" in str(caught.value)


def test_a_right_cmk_is_taken(tmp_path: Path) -> None:
    _load(tmp_path, f'remediation:\n  cmk:\n    "111111111111":\n      us-east-1: "{KEY}"\n')
