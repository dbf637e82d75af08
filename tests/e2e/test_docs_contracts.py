"""docs/contracts.md: every signature of its pipeline block is the function's.

Each `dotted.name(params)` at the start of a line of the block names a function of the code;
each parameter it lists is one of the function's, in the same kind (positional, or after
`*` keyword-only), and a parameter the function requires is listed unless the line ends its
list with `...`. Defaults and types may be left out."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "contracts.md"
ALIASES = {"HistoryStore": "scanner.history.records.HistoryStore"}


def _pipeline_block() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Pipeline")
    return re.search(r"```\n(.*?)```", text[start:], re.DOTALL).group(1)  # type: ignore[union-attr]


def _signatures(block: str) -> list[tuple[str, str]]:
    """(dotted name, the text between its parentheses) of each line that starts with a call."""
    found = []
    for line in block.splitlines():
        match = re.match(r"([A-Za-z_][\w.]*)\(", line)
        if not match:
            continue
        depth, i = 1, match.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(line[i], 0)
            i += 1
        found.append((match.group(1), line[match.end():i - 1]))
    return found


def _resolve(dotted: str) -> Any:
    head, _, rest = dotted.partition(".")
    if head in ALIASES:
        dotted = ALIASES[head] + "." + rest
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for name in parts[cut:]:
            obj = getattr(obj, name)
        return obj
    raise AssertionError(f"{dotted}: no such module")


def _split(params: str) -> list[str]:
    items, depth, current = [], 0, ""
    for char in params:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    return items


def _problems(dotted: str, params: str) -> list[str]:
    signature = inspect.signature(_resolve(dotted))
    actual = {name: p for name, p in signature.parameters.items() if name != "self"}
    problems, keyword_only, listed = [], False, set()
    items = _split(params)
    for item in items:
        if item == "*":
            keyword_only = True
            continue
        if item == "...":
            continue
        name = re.split(r"[:=]", item)[0].strip()
        listed.add(name)
        parameter = actual.get(name)
        if parameter is None:
            problems.append(f"{dotted}: no parameter {name!r} (it has {list(actual)})")
        elif keyword_only != (parameter.kind is inspect.Parameter.KEYWORD_ONLY):
            problems.append(f"{dotted}: {name!r} is "
                            f"{'keyword-only' if not keyword_only else 'positional'} in the code")
    if "..." not in items:
        for name, parameter in actual.items():
            required = parameter.default is inspect.Parameter.empty and parameter.kind not in (
                inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
            if required and name not in listed:
                problems.append(f"{dotted}: the required parameter {name!r} is not listed")
    return problems


def test_every_signature_of_the_pipeline_block_is_the_codes() -> None:
    signatures = _signatures(_pipeline_block())
    assert len(signatures) > 20, signatures
    problems = [p for dotted, params in signatures for p in _problems(dotted, params)]
    assert not problems, "\n".join(problems)


def test_the_check_names_a_missing_required_parameter_and_a_wrong_kind() -> None:
    assert _problems("scanner.policy.exposure.taken_back",
                     "policy, match, principal, *, resource, zone") == [
        "scanner.policy.exposure.taken_back: the required parameter 'resource_ctx' is not listed"]
    assert _problems("scanner.remediate.planner.build_plan",
                     "findings, snapshot, config, selection, now=None") == [
        "scanner.remediate.planner.build_plan: 'now' is keyword-only in the code"]


def test_every_verdict_member_of_the_access_report_is_in_the_contract_and_access_md() -> None:
    """AccessReport's verdicts (every member but its settings and problems) are named in
    contracts.md's policy-and-access row and in access.md's "What the report says": the
    rotation reads of secret-rotation-role-cannot-read were added to the report and to
    neither."""
    from dataclasses import fields

    from scanner.access.report import AccessReport

    members = [f.name for f in fields(AccessReport) if f.name not in ("settings", "problems")]
    row = next(line for line in DOC.read_text(encoding="utf-8").splitlines()
               if line.startswith("| policy and access |"))
    access = (ROOT / "docs" / "access.md").read_text(encoding="utf-8")
    said = access[access.index("## What the report says"):]
    said = said[:said.index("\n## ", 1)]
    assert [m for m in members if f"`{m}`" not in row] == []
    assert [m for m in members if f"`{m}" not in said] == []
