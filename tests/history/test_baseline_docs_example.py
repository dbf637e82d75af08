"""docs/history.md's access baseline example is a baseline `baseline validate` accepts, and it
shows every key the schema takes (scanner/schemas/baseline.schema.json): `description` and an
entry's `note` were in the schema and in no document."""

from __future__ import annotations

import json
import re
from pathlib import Path

from scanner.history.baseline import load_baseline

ROOT = Path(__file__).resolve().parents[2]


def _example() -> str:
    text = (ROOT / "docs" / "history.md").read_text(encoding="utf-8")
    section = text[text.index("## Access baselines"):]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match, "docs/history.md's Access baselines section has no YAML example"
    return match.group(1)


def test_the_documented_baseline_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "baseline.yaml"
    path.write_text(_example(), encoding="utf-8")
    baseline = load_baseline(path)
    assert baseline is not None


def test_the_documented_baseline_shows_every_key_of_the_schema() -> None:
    schema = json.loads((ROOT / "scanner" / "schemas" / "baseline.schema.json")
                        .read_text(encoding="utf-8"))
    keys = {*schema["properties"], *schema["properties"]["secrets"]["items"]["properties"]}
    example = _example()
    assert sorted(k for k in keys if not re.search(rf"^\s*(- )?{k}:", example, re.MULTILINE)) == []
