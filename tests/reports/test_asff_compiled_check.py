"""The compiled ASFF check (reports.asff._compile) against what it stands in for.

``validate_asff`` skips botocore's ParamValidator and ``_walk_model`` for a finding the
compiled check passes, so it must never pass one they would fault: for every finding the
sample builds, and for each of many single mutations of one (a field removed, a wrong type, an
enum value not in the model, an empty NonEmptyString, an unknown member, a tuple for a list),
the compiled check says True exactly when both slow checks find nothing."""

from __future__ import annotations

import copy
from typing import Any, Callable

import pytest
from botocore.validate import ParamValidator
from helpers.report_sample import sample_document, sample_graph

from reports.asff import _finding_check, _finding_shape, _walk_model, build_asff


def slow_problems(finding: Any) -> list[str]:
    shape = _finding_shape()
    report = ParamValidator().validate({"Findings": [finding]}, shape)
    problems = [report.generate_report()] if report.has_errors() else []
    _walk_model(finding, shape.members["Findings"].member, "Finding", problems)
    return problems


def findings() -> list[dict[str, Any]]:
    return build_asff(sample_document(), graph=sample_graph())


def _set(path: tuple[object, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def change(f: dict[str, Any]) -> None:
        node: Any = f
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = value
    return change


def _drop(path: tuple[object, ...]) -> Callable[[dict[str, Any]], None]:
    def change(f: dict[str, Any]) -> None:
        node: Any = f
        for part in path[:-1]:
            node = node[part]
        del node[path[-1]]
    return change


MUTATIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "required Id removed": _drop(("Id",)),
    "required Resources removed": _drop(("Resources",)),
    "resource Type removed": _drop(("Resources", 0, "Type")),
    "severity label not in the enum": _set(("Severity", "Label"), "SEVERE"),
    "compliance status not in the enum": _set(("Compliance", "Status"), "OK"),
    "empty title": _set(("Title",), "   "),
    "empty description": _set(("Description",), ""),
    "title not a string": _set(("Title",), 7),
    "unknown member": _set(("Surprise",), "x"),
    "unknown resource member": _set(("Resources", 0, "Surprise"), "x"),
    "types as a string": _set(("Types",), "Software and Configuration Checks"),
    "types as a tuple": _set(("Types",), ("Software and Configuration Checks",)),
    "types item not a string": _set(("Types",), [3]),
    "product field value not a string": _set(("ProductFields", "x"), 3),
    "product fields a list": _set(("ProductFields",), []),
    "severity normalized a string": _set(("Severity", "Normalized"), "40"),
    "severity normalized a bool": _set(("Severity", "Normalized"), True),
    "resources a dict": _set(("Resources",), {"Type": "Other", "Id": "x"}),
    "workflow status not in the enum": _set(("Workflow",), {"Status": "DONE"}),
    "record state not in the enum": _set(("RecordState",), "GONE"),
}


@pytest.mark.parametrize("index", range(len(findings())))
def test_the_compiled_check_passes_exactly_the_findings_the_slow_checks_pass(index: int) -> None:
    f = findings()[index]
    assert _finding_check()(f) == (slow_problems(f) == []), f["Id"]


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_mutation_the_slow_checks_fault_the_compiled_check_never_passes(name: str) -> None:
    for f in findings():
        changed = copy.deepcopy(f)
        try:
            MUTATIONS[name](changed)
        except (KeyError, IndexError):
            continue  # this finding has no such part
        slow = slow_problems(changed)
        fast = _finding_check()(changed)
        assert not (fast and slow), (name, slow)
        # and it is not needlessly strict: what both pass, it passes
        assert fast == (slow == []), (name, slow)
