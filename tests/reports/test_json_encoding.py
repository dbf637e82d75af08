"""findings.json rows are written through orjson (about four times faster than the stdlib
encoder at 100,000 secrets); the file must say what the stdlib encoder says."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import math
from pathlib import Path
from typing import Any

import pytest
from helpers.report_sample import HOSTILE, sample_document
from hypothesis import given, settings
from hypothesis import strategies as st

import reports.json_out as json_out
from reports.json_out import _ROW, encode_row, read_findings_json, write_findings_json



def stdlib(value: Any) -> bytes:
    return _ROW.encode(value).encode("utf-8")


_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
_leaf = st.none() | st.booleans() | st.integers(min_value=-2**63, max_value=2**64 - 1) | _text
_json = st.recursive(_leaf, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(_text, inner, max_size=4), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(_json)
def test_the_bytes_are_the_stdlib_encoders_for_strings_numbers_and_nesting(value: Any) -> None:
    assert encode_row(value) == stdlib(value)


@settings(max_examples=200, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_a_float_may_be_spelled_differently_but_is_the_same_number(value: float) -> None:
    assert json.loads(encode_row({"ratio": value})) == json.loads(stdlib({"ratio": value}))


class Shade(str, enum.Enum):
    DARK = "dark"


@dataclasses.dataclass(frozen=True)
class Thing:
    name: str


@pytest.mark.parametrize("value", [
    {"when": dt.datetime(2026, 12, 3, 1, 2, 3, tzinfo=dt.timezone.utc)},  # default=str
    {"day": dt.date(2026, 12, 3)},
    {"thing": Thing("x")},  # not orjson's own dataclass form
    {"shade": Shade.DARK, "tuple": (1, "a"), "set": frozenset({"only"})},
    {1: "a non-string key"},  # orjson refuses it: the stdlib encoder writes it
    {"big": 2**80},  # beyond 64 bits: the same
    {"hostile": HOSTILE, "controls": "\x00\x1f\x7f\u2028\u2029\"\\"},
])
def test_values_orjson_treats_its_own_way_come_out_as_the_stdlib_writes_them(
        value: Any) -> None:
    assert encode_row(value) == stdlib(value)


def test_the_file_is_the_same_with_and_without_orjson(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    document = sample_document()
    fast = write_findings_json(document, tmp_path / "fast.json").read_bytes()
    monkeypatch.setattr(json_out, "_orjson", None)
    slow = write_findings_json(document, tmp_path / "slow.json").read_bytes()
    assert fast == slow
    assert read_findings_json(tmp_path / "fast.json")["findings"] == document["findings"]


def test_a_non_finite_number_is_written_as_null_which_is_json() -> None:
    assert json.loads(encode_row({"x": math.nan})) == {"x": None}
