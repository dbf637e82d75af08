"""Org-scale trial round 2: every report format but findings.json was built whole in memory.

At 1,000 accounts / 100,000 secrets, ``--format json,csv`` peaked at 4.8 GB against 1.9 GB
for json alone (ocsf 5.8 GB, junit 5.3 GB; asff 2.5 GB already at 20,000 secrets), because
each writer assembled its entire output (a StringIO, a list of lines, a list of every ASFF
finding, an ElementTree) before writing a byte. The writers now stream through a temporary
file renamed into place. These tests pin both halves: the bytes are exactly those the old
in-memory writers produced (``helpers.old_writers``), on the hostile sample and on a
document shaped like the demo's; and writing holds far less than the output's size.
"""

from __future__ import annotations

import copy
import tracemalloc
from pathlib import Path
from typing import Any, Callable

import pytest

from helpers.old_writers import old_csv_bytes
from helpers.report_sample import sample_document


def _many(n: int, *, distinct_resources: bool = True) -> dict[str, Any]:
    """``n`` findings, distinct by id (and resource), built before measuring (the document is
    the scan's, already in memory; only what the writer adds is counted). ASFF's writer parses
    each resource ARN through scanner.policy.arn's cache, which grows with distinct ARNs and
    is no part of the file: its test gives every finding the same resource."""
    doc = sample_document()
    template = doc["findings"][0]
    findings = []
    for i in range(n):
        f = copy.copy(template)
        f["id"] = f"{template['id']}-{i}"
        if distinct_resources:
            f["resource"] = dict(template["resource"],
                                 arn=f"{template['resource']['arn']}-{i}")
        findings.append(f)
    doc["findings"] = findings
    return doc


def _peak_while(write: Callable[[], Path]) -> tuple[int, int]:
    """(peak bytes allocated by Python while ``write`` ran, size of the file it wrote)."""
    tracemalloc.start()
    try:
        path = write()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, path.stat().st_size


# --------------------------------------------------------------------------- CSV


def test_csv_file_is_byte_identical_to_the_old_in_memory_writer(tmp_path: Path) -> None:
    """Org-scale trial round 2: streaming changes nothing in findings.csv (hostile sample:
    formula starts, control characters, U+2028, quotes, markup)."""
    from reports.csv_out import render_csv, write_csv

    doc = sample_document()
    path = write_csv(doc, tmp_path / "findings.csv")
    assert path.read_bytes() == old_csv_bytes(doc)
    assert render_csv(doc).encode("utf-8") == old_csv_bytes(doc)
    assert not list(tmp_path.glob("*.tmp"))


def test_csv_writer_does_not_hold_the_whole_file_in_memory(tmp_path: Path) -> None:
    """Org-scale trial round 2: findings.csv was built in a StringIO, then written; the peak
    grew with the file (4.8 GB for json,csv at 100,000 secrets). Streamed, the writer holds a
    row and a buffer: well under a quarter of a ~10 MB file."""
    from reports.csv_out import write_csv

    doc = _many(8000)
    peak, size = _peak_while(lambda: write_csv(doc, tmp_path / "findings.csv"))
    assert size > 8_000_000
    assert peak < size / 4, (peak, size)


def test_a_failed_csv_write_leaves_the_previous_file_whole(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    """Org-scale trial round 2: streaming must stay atomic, as findings.json is: a writer
    that fails half-way leaves the previous findings.csv, and no temporary file."""
    import reports.csv_out as csv_out

    path = tmp_path / "findings.csv"
    path.write_bytes(b"previous")
    calls = {"n": 0}
    row = csv_out._row

    def failing(f: Any) -> dict[str, str]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return row(f)

    monkeypatch.setattr(csv_out, "_row", failing)
    with pytest.raises(RuntimeError):
        csv_out.write_csv(sample_document(), path)
    assert path.read_bytes() == b"previous"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.csv"]


# --------------------------------------------------------------------------- OCSF


def test_ocsf_file_is_byte_identical_to_the_old_in_memory_writer(tmp_path: Path) -> None:
    """Org-scale trial round 2: streaming changes nothing in findings.ocsf.jsonl (hostile
    sample: U+2028 stays escaped, one event a line, a final newline)."""
    from helpers.old_writers import old_ocsf_bytes
    from reports.ocsf import render_ocsf, write_ocsf

    doc = sample_document()
    path = write_ocsf(doc, tmp_path / "findings.ocsf.jsonl")
    assert path.read_bytes() == old_ocsf_bytes(doc)
    assert render_ocsf(doc).encode("utf-8") == old_ocsf_bytes(doc)
    empty = dict(doc, findings=[])
    assert write_ocsf(empty, tmp_path / "empty.jsonl").read_bytes() == old_ocsf_bytes(empty) \
        == b""
    assert not list(tmp_path.glob("*.tmp"))


def test_ocsf_writer_does_not_hold_the_whole_file_in_memory(tmp_path: Path) -> None:
    """Org-scale trial round 2: findings.ocsf.jsonl was a list of every line, joined (5.8 GB
    for json,ocsf at 100,000 secrets). Streamed, the writer holds one event and a buffer."""
    from reports.ocsf import write_ocsf

    doc = _many(5000)
    peak, size = _peak_while(lambda: write_ocsf(doc, tmp_path / "findings.ocsf.jsonl"))
    assert size > 8_000_000
    assert peak < size / 4, (peak, size)


def test_a_failed_ocsf_write_leaves_the_previous_file_whole(tmp_path: Path) -> None:
    """Org-scale trial round 2: an event the exporter cannot complete fails the write
    before the file is replaced; no temporary file is left behind."""
    from reports.ocsf import write_ocsf

    path = tmp_path / "findings.ocsf.jsonl"
    path.write_bytes(b"previous\n")
    doc = sample_document()
    doc["findings"][2] = dict(doc["findings"][2], id="", title="")  # no finding_info.uid/title
    with pytest.raises(ValueError, match="lacks"):
        write_ocsf(doc, path)
    assert path.read_bytes() == b"previous\n"
    assert [p.name for p in tmp_path.iterdir()] == ["findings.ocsf.jsonl"]


# --------------------------------------------------------------------------- ASFF


def _write_asff(doc: dict[str, Any], path: Path, graph: Any = None) -> Path:
    """The ``asff`` format's writer, as ``write_reports`` calls it."""
    from reports import ReportContext, WRITERS

    ctx = ReportContext(document=doc, graph=graph, drift=None, previous_created_at={})
    return WRITERS["asff"].write(ctx, path)


@pytest.mark.parametrize("with_graph", [False, True])
def test_asff_file_is_byte_identical_to_the_old_in_memory_writer(tmp_path: Path,
                                                                 with_graph: bool) -> None:
    """Org-scale trial round 2: findings.asff.json keeps its exact layout (a JSON array,
    indent=1, non-ASCII kept) when written one finding at a time; hostile sample, with and
    without the graph's resource details; an empty document is still ``[]``."""
    from helpers.old_writers import old_asff_bytes
    from helpers.report_sample import sample_graph

    doc = sample_document()
    graph = sample_graph() if with_graph else None
    path = _write_asff(doc, tmp_path / "findings.asff.json", graph)
    assert path.read_bytes() == old_asff_bytes(doc, graph=graph)
    empty = dict(doc, findings=[])
    assert _write_asff(empty, tmp_path / "empty.json").read_bytes() == old_asff_bytes(empty) \
        == b"[]\n"
    assert not list(tmp_path.glob("*.tmp"))


def test_asff_second_write_keeps_created_at_and_the_old_bytes(tmp_path: Path) -> None:
    """Org-scale trial round 2: writing over a previous export still reads its CreatedAt
    (streaming must not truncate the previous file before reading it)."""
    from helpers.old_writers import old_asff_bytes
    from reports.asff import created_at_index, read_asff_file

    doc = sample_document()
    path = tmp_path / "findings.asff.json"
    _write_asff(doc, path)
    first = created_at_index(read_asff_file(path))
    later = copy.deepcopy(doc)
    later["scan"] = dict(later["scan"], started_at="2031-01-01T00:00:00Z",
                         finished_at="2031-01-01T00:05:00Z")
    for f in later["findings"]:
        f.pop("first_seen", None)
    _write_asff(later, path)
    assert created_at_index(read_asff_file(path)) == first
    assert path.read_bytes() == old_asff_bytes(later, created_at=first)


def test_asff_writer_does_not_hold_the_whole_file_in_memory(tmp_path: Path) -> None:
    """Org-scale trial round 2: findings.asff.json was a list of every ASFF dict dumped with
    indent=1 in one string (2.5 GB at 20,000 secrets, ~12 GB projected at 100,000).
    Streamed, the writer holds one finding and a buffer."""
    doc = _many(3000, distinct_resources=False)
    peak, size = _peak_while(lambda: _write_asff(doc, tmp_path / "findings.asff.json"))
    assert size > 8_000_000
    assert peak < size / 4, (peak, size)


# --------------------------------------------------------------------------- JUnit


def _junit_documents() -> dict[str, dict[str, Any]]:
    """The hostile sample and the shapes build_junit treats apart: PASS summaries (listed,
    counted, empty), every status, rules without findings, no findings at all, attributes
    holding tabs, newlines, quotes and markup."""
    summaries = sample_document()
    summaries["passed"] = {"itemised": False, "resources_max": 100, "by_rule": [
        {"rule_id": "secret-unused", "title": "t", "severity": "LOW", "count": 2,
         "resources": ["arn:aws:secretsmanager:eu-west-1:111111111111:secret:a\t\"<&>'\n"]},
        {"rule_id": "secret-rotation-disabled", "title": "t", "severity": "MEDIUM",
         "count": 12345},
        {"rule_id": "secret-replica-missing", "title": "t", "severity": "LOW", "count": 0,
         "resources": []}]}
    summaries["scan"] = dict(summaries["scan"], rules=["suppression-expired", "r\r\n\"&<>"])
    muted = sample_document()
    for f in muted["findings"]:
        f["message"] = "line one\n  line two\r\n\t<b>&amp;</b> ]]> \"'"
        if f["status"] == "MUTED":
            f["muted_by"] = {"reason": "a\tb\n\"c\" <d> & e", "expires": "2027-03-31"}
    nothing = {"findings": []}
    no_findings = sample_document()
    no_findings["findings"] = []
    return {"sample": sample_document(), "summaries": summaries, "muted": muted,
            "nothing": nothing, "no_findings": no_findings}


@pytest.mark.parametrize("name", sorted(_junit_documents()))
def test_junit_file_is_byte_identical_to_the_old_element_tree_writer(tmp_path: Path,
                                                                     name: str) -> None:
    """Org-scale trial round 2: junit.xml written case by case has exactly the bytes of the
    old ElementTree + ET.indent + ET.tostring writer: declaration, attribute order, escaping
    of text and attributes (tabs, newlines, quotes), self-closed empty elements, indentation."""
    from helpers.old_writers import old_junit_bytes
    from reports.junit import render_junit, write_junit

    doc = _junit_documents()[name]
    path = write_junit(doc, tmp_path / "junit.xml")
    assert path.read_bytes() == old_junit_bytes(doc)
    assert render_junit(doc).encode("utf-8") == old_junit_bytes(doc)
    assert not list(tmp_path.glob("*.tmp"))


def test_junit_writer_does_not_hold_the_whole_file_in_memory(tmp_path: Path) -> None:
    """Org-scale trial round 2: junit.xml was an ElementTree of every case, indented, then
    one string (5.3 GB for json,junit at 100,000 secrets). Now two passes over the findings
    grouped by case (counts per suite first, then the cases) write the XML as they go: the
    writer holds the grouping (references to the rows, a few hundred bytes a case, where the
    old writer held six times the file) and one case's text."""
    from reports.junit import write_junit

    doc = _many(9000)
    peak, size = _peak_while(lambda: write_junit(doc, tmp_path / "junit.xml"))
    assert size > 8_000_000
    assert peak < size / 2, (peak, size)


# ------------------------------------------------- the previous ASFF export, read for CreatedAt


def test_previous_asff_export_is_read_one_finding_at_a_time_for_created_at(
        tmp_path: Path) -> None:
    """Org-scale trial round 2 (seen while measuring the streamed writer): a scan into a
    directory holding a previous findings.asff.json parsed that file whole for its CreatedAt
    (10,000 secrets: 875 MB peak instead of 250 MB). Our own layout is now read one finding
    at a time; the index is the one the whole file gives."""
    from reports.asff import created_at_index, created_at_of_file, read_asff_file

    path = _write_asff(_many(3000, distinct_resources=False), tmp_path / "findings.asff.json")
    whole = created_at_index(read_asff_file(path))
    tracemalloc.start()
    try:
        index = created_at_of_file(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert index == whole and len(index) == 3000
    assert peak < path.stat().st_size / 4, (peak, path.stat().st_size)


@pytest.mark.parametrize("text", [
    "[]\n",
    '[{"Id": "a", "AwsAccountId": "111111111111", "ProductArn": "p", "CreatedAt": "t"}]',
    '{"Findings": [{"Id": "a", "AwsAccountId": "111111111111", "ProductArn": "p", '
    '"CreatedAt": "t"}]}',
    '[\n {\n  "Id": "a",\n  "AwsAccountId": "111111111111",\n  "ProductArn": "p",\n'
    '  "CreatedAt": "t"\n }\n]\n',
])
def test_previous_asff_export_in_another_layout_gives_the_same_index(tmp_path: Path,
                                                                     text: str) -> None:
    """Org-scale trial round 2: an export in any other layout (compact, wrapped in
    ``{"Findings": [...]}``) is read whole, as before, with the same result."""
    from reports.asff import created_at_index, created_at_of_file, read_asff_file

    path = tmp_path / "findings.asff.json"
    path.write_text(text, encoding="utf-8")
    assert created_at_of_file(path) == created_at_index(read_asff_file(path))


@pytest.mark.parametrize("text", [
    "[\n {\n  \"Id\": \"a\"\n },\n {\n  \"Id\": \n",  # cut off mid-way
    "[\n {\n  \"Id\": \"a\",\n  \"CreatedAt\": \"t\"\n }\n]\n",  # lacks AwsAccountId
    "not json",
])
def test_a_broken_previous_asff_export_fails_as_it_did(tmp_path: Path, text: str) -> None:
    """Org-scale trial round 2: a truncated or invalid previous export is refused with the
    same InputError as when it was read whole: a CreatedAt is never guessed from half a file."""
    from reports.asff import created_at_of_file, read_asff_file
    from scanner.errors import InputError

    path = tmp_path / "findings.asff.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as whole:
        read_asff_file(path)
    with pytest.raises(InputError) as streamed:
        created_at_of_file(path)
    assert str(streamed.value) == str(whole.value)
