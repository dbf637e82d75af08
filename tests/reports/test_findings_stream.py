"""findings.json read one row at a time (export securityhub at organization scale), and the
Security Hub payload built from such a stream equal to the one built from the whole document."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from helpers.report_sample import drop_findings, sample_document
from reports.asff import build_asff
from reports.hub_payload import Previous, build_payload
from reports import json_out
from reports.json_out import read_findings_json, stream_findings_json, write_findings_json
from scanner.errors import InputError


def _written(tmp_path: Path, document: dict[str, Any], layout: str = "scan") -> Path:
    path = tmp_path / f"findings-{layout}.json"
    if layout == "indented":  # another tool's copy: rows over several lines
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    else:
        write_findings_json(document, path, compact=layout == "compact")
    return path


@pytest.mark.parametrize("layout", ["scan", "compact", "indented"])
def test_streamed_rows_and_header_are_what_the_whole_read_gives(tmp_path: Path,
                                                                 layout: str) -> None:
    path = _written(tmp_path, sample_document(), layout)
    whole = json_out._read_whole(path)  # the file parsed whole, as before streaming
    assert read_findings_json(path) == whole
    header, rows = stream_findings_json(path)
    assert list(rows) == whole.pop("findings") and len(whole) > 3
    assert header == whole


def test_rows_are_read_as_they_are_asked_for(tmp_path: Path) -> None:
    path = _written(tmp_path, sample_document())
    lines = path.read_bytes().split(b"\n")
    first = lines.index(b'  "findings": [') + 1
    lines[first + 2] = b"    {not json,"
    path.write_bytes(b"\n".join(lines))
    _, rows = stream_findings_json(path)
    assert next(rows)["id"] and next(rows)["id"]  # the rows before the bad line come out
    with pytest.raises(InputError, match=rf"findings-scan.json: line {first + 3}: not a finding "
                                         "row"):
        next(rows)


def test_a_file_cut_short_is_an_input_error_naming_it(tmp_path: Path) -> None:
    path = _written(tmp_path, sample_document())
    text = path.read_bytes()
    path.write_bytes(text[: text.rindex(b"\n    {")])  # the last rows and the end are lost
    _, rows = stream_findings_json(path)
    with pytest.raises(InputError, match="findings-scan.json: line .*: the file ends inside "
                                         "the findings list"):
        list(rows)


@pytest.mark.parametrize("layout", ["scan", "indented"])
def test_rows_lost_from_a_valid_file_are_refused_by_the_summary(tmp_path: Path,
                                                                layout: str) -> None:
    """A new user's trial: 14 rows dropped from findings.json (still valid JSON) gave a report
    whose totals disagreed with its own rows."""
    document = sample_document()
    path = _written(tmp_path, document, layout)
    data = json.loads(path.read_text())
    fail = next(i for i, f in enumerate(data["findings"]) if f["status"] == "FAIL")
    del data["findings"][fail]
    path.write_text(json.dumps(data, indent=2 if layout == "indented" else None))
    if layout == "scan":  # as scan writes it, so it is read as a stream
        write_findings_json(data, path)
    with pytest.raises(InputError, match=r"summary counts \d+ FAIL result\(s\) but the file "
                                         r"holds \d+ FAIL row\(s\)"):
        read_findings_json(path)


def test_a_row_the_schema_refuses_is_an_input_error(tmp_path: Path) -> None:
    document = sample_document()
    document["findings"][1] = {**document["findings"][1], "severity": "URGENT"}
    path = tmp_path / "findings.json"
    path.write_text(json.dumps(document), encoding="utf-8")  # refused whole by the writer
    lines = [json.dumps({k: v for k, v in document.items() if k != "findings"},
                        indent=2)[:-2] + ',\n  "findings": [']
    lines += [f"    {json.dumps(row)}," for row in document["findings"]]
    lines[-1] = lines[-1].rstrip(",")
    path.write_text("\n".join(lines) + "\n  ]\n}\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"findings.json: .*URGENT"):
        list(stream_findings_json(path)[1])


def _sent(findings: list[Any]) -> list[dict[str, Any]]:
    return [p.finding() for p in findings]


@pytest.mark.parametrize("mode,include_passed", [("per-account", False), ("central", True)])
def test_the_payload_from_streams_is_the_payload_from_whole_documents(
        tmp_path: Path, mode: str, include_passed: bool) -> None:
    before = sample_document()
    before["scan"]["finished_at"] = "2026-11-28T01:00:00Z"
    for row in before["findings"]:
        row["first_seen"] = "2026-11-01T00:00:00Z"
    now = sample_document()
    dropped = [f["id"] for f in now["findings"] if f["status"] == "FAIL"][:2]
    drop_findings(now, lambda f: f["id"] in dropped)
    prev_path, now_path = _written(tmp_path, before), tmp_path / "now.json"
    write_findings_json(now, now_path)

    header, rows = stream_findings_json(now_path)
    prev_header, _ = stream_findings_json(prev_path)
    options: dict[str, Any] = {"mode": mode, "include_passed": include_passed,
                               "central_account": "999999999999" if mode == "central" else None}
    streamed, facts, _ = build_payload(header, rows, previous=Previous(
        header=prev_header, rows=lambda: stream_findings_json(prev_path)[1]), **options)
    whole, whole_facts, _ = build_payload(
        {k: v for k, v in now.items() if k != "findings"}, now["findings"],
        previous=Previous(asff=build_asff(before)), **options)
    assert _sent(streamed) == _sent(whole) and facts == whole_facts
    archived = [f for f in _sent(streamed) if f["RecordState"] == "ARCHIVED"]
    assert sorted(f["Id"] for f in archived) == sorted(dropped)
    kept = [f for f in _sent(streamed) if f["RecordState"] == "ACTIVE"]
    assert kept and {f["CreatedAt"] for f in kept} == {"2026-11-01T00:00:00.000Z"}


def test_an_unknown_finding_decided_since_is_archived_from_either_previous(
        tmp_path: Path) -> None:
    """A finding UNKNOWN last night (WARNING in Security Hub) that tonight's complete scan
    decided and does not report is archived, whether the previous export is read from its
    findings.json or its ASFF (nightly-operations trial: 43 stale WARNING findings)."""
    before = sample_document()
    unknown = [f["id"] for f in before["findings"] if f["status"] == "UNKNOWN"]
    assert unknown
    now = sample_document()
    drop_findings(now, lambda f: f["id"] in unknown)
    now["scan"]["complete"], now["coverage"] = True, []

    for archived in _archived_both_ways(tmp_path, before, now):
        assert {asff_id_of(i, before) for i in unknown} <= archived


def asff_id_of(finding_id: str, document: dict[str, Any]) -> str:
    from reports.asff import asff_id

    return asff_id(next(f for f in document["findings"] if f["id"] == finding_id))


def _archived_both_ways(tmp_path: Path, before: dict[str, Any],
                        now: dict[str, Any]) -> list[set[str]]:
    """The ids a Security Hub export of ``now`` archives, with the previous export read from
    its findings.json (streamed) and from its ASFF (whole): the two must agree."""
    prev_path, now_path = _written(tmp_path, before), tmp_path / "now.json"
    write_findings_json(now, now_path)
    header, rows = stream_findings_json(now_path)
    prev_header, _ = stream_findings_json(prev_path)
    streamed, _, _ = build_payload(header, rows, previous=Previous(
        header=prev_header, rows=lambda: stream_findings_json(prev_path)[1]))
    whole, _, _ = build_payload({k: v for k, v in now.items() if k != "findings"},
                             now["findings"], previous=Previous(asff=build_asff(before)))
    return [{f["Id"] for f in _sent(sent) if f["RecordState"] == "ARCHIVED"}
            for sent in (streamed, whole)]


def test_an_unknown_row_superseded_by_per_principal_fail_rows_is_not_archived(
        tmp_path: Path) -> None:
    """Regression check: an UNKNOWN row (no principal) of a per-principal rule was archived as
    PASSED/RESOLVED the night that rule failed for named principals of the same resource."""
    before = sample_document()
    unknown = next(f for f in before["findings"] if f["status"] == "UNKNOWN")
    now = sample_document()
    drop_findings(now, lambda f: f["id"] == unknown["id"])
    superseding = dict(unknown, id=unknown["id"] + "-p", status="FAIL",
                       principal="arn:aws:iam::999999999999:role/x")
    now["findings"].append(superseding)
    now["summary"]["by_status"]["FAIL"] = now["summary"]["by_status"].get("FAIL", 0) + 1
    now["scan"]["complete"], now["coverage"] = True, []
    for archived in _archived_both_ways(tmp_path, before, now):
        assert asff_id_of(unknown["id"], before) not in archived


def test_a_resolved_unknown_row_of_one_principal_is_archived_beside_anothers_fail(
        tmp_path: Path) -> None:
    """Review: the "superseded" test took any row of the same rule and resource: principal
    P1's UNKNOWN row, decided and gone tonight, stayed active because P2 still fails there."""
    before = sample_document()
    unknown = next(f for f in before["findings"] if f["status"] == "UNKNOWN")
    p1 = dict(unknown, id=unknown["id"] + "-p1", principal="arn:aws:iam::999999999999:role/p1")
    p2 = dict(unknown, id=unknown["id"] + "-p2", status="FAIL",
              principal="arn:aws:iam::999999999999:role/p2")
    drop_findings(before, lambda f: f["id"] == unknown["id"])
    before["findings"] += [p1, p2]
    before["summary"]["by_status"]["UNKNOWN"] = before["summary"]["by_status"].get(
        "UNKNOWN", 0) + 1
    before["summary"]["by_status"]["FAIL"] = before["summary"]["by_status"].get("FAIL", 0) + 1
    now = json.loads(json.dumps(before))
    drop_findings(now, lambda f: f["id"] == p1["id"])
    now["scan"]["complete"], now["coverage"] = True, []
    whole, _, _ = build_payload({k: v for k, v in now.items() if k != "findings"},
                             now["findings"], previous=Previous(asff=build_asff(before)))
    archived = {f["Id"] for f in _sent(whole) if f["RecordState"] == "ARCHIVED"}
    assert asff_id_of(p1["id"], before) in archived



def test_rows_of_one_rule_share_its_title_remediation_and_compliance(tmp_path: Path) -> None:
    """A row parsed alone has its own copy of what every row of its rule repeats; read back,
    the rows of a rule hold one object each (a sixth of the rows' memory at 345,809 rows),
    and a row whose value differs keeps its own."""
    document = sample_document()
    rows = document["findings"]
    first = rows[0]
    for n in range(3):  # three more findings of the first row's rule, parsed each on its own
        rows.append(json.loads(json.dumps(dict(first, id=f"{first['id']}-{n}"))))
    by_status = document["summary"]["by_status"]
    by_status[first["status"]] = by_status.get(first["status"], 0) + 3
    mine = [i for i, r in enumerate(rows) if r["rule_id"] == first["rule_id"]]
    odd = rows[mine[-1]] = dict(rows[mine[-1]], title="a title of its own")
    path = _written(tmp_path, document)

    back = read_findings_json(path)["findings"]

    assert back == json.loads(json.dumps(rows))
    same = [back[i] for i in mine[:-1]]
    for member in ("title", "remediation", "compliance"):
        assert all(r[member] is same[0][member] for r in same), member
    assert back[mine[-1]]["title"] == odd["title"] and back[mine[-1]]["title"] is not \
        same[0]["title"]


def test_rows_read_back_share_the_strings_they_repeat_but_keep_their_own(
        tmp_path: Path) -> None:
    """Every string value rows repeat (account, Region, status, rule id, the evidence's facts
    and gates) is one object once read back, so a scan of 345,820 rows reads back in 862 MB,
    not 1,386 MB; the rows are equal to what was written, however deep their evidence."""
    document = sample_document()
    rows = document["findings"]
    first = rows[0]
    deep: Any = {"leaf": "deep value"}
    for _ in range(12):
        deep = {"next": deep, "also": [first["resource"]["account_id"]]}
    first["evidence"] = dict(first["evidence"], facts=["a fact rows repeat"], nested=deep)
    for n in range(3):  # parsed each on its own: their own copies of every string
        rows.append(json.loads(json.dumps(dict(first, id=f"{first['id']}-{n}"))))
    by_status = document["summary"]["by_status"]
    by_status[first["status"]] = by_status.get(first["status"], 0) + 3
    path = _written(tmp_path, document)

    back = read_findings_json(path)["findings"]

    assert back == json.loads(json.dumps(rows))
    copies = [r for r in back if r["id"].startswith(first["id"])]
    assert len(copies) == 4
    one = copies[0]
    for r in copies[1:]:
        assert r["resource"]["account_id"] is one["resource"]["account_id"]
        assert r["resource"]["arn"] is one["resource"]["arn"]
        assert r["status"] is one["status"] and r["rule_id"] is one["rule_id"]
        assert r["evidence"]["facts"][0] is one["evidence"]["facts"][0]
        assert r["evidence"]["nested"]["also"][0] is one["resource"]["account_id"]


@pytest.mark.parametrize("layout", ["scan", "indented"])
@pytest.mark.parametrize("member", ["rule_id", "status", "title", "severity"])
def test_a_null_member_on_the_first_row_is_refused_naming_it(tmp_path: Path, layout: str,
                                                             member: str) -> None:
    """Fault-injection trial round 13: the row check skips a member whose value is the very
    string the previous row had there; with no previous string, ``None is None`` held, so a
    first row edited to ``"rule_id": null`` passed unchecked: report --in counted one result
    fewer (the row dropped without a word), export --dry-run took it, remediate stopped on an
    internal error. A later row's null was refused."""
    document = sample_document()
    if layout == "indented":
        document["findings"][0][member] = None
        path = _written(tmp_path, document, layout)
    else:  # the file as scan wrote it (which checks every row), its first row edited
        path = _written(tmp_path, document, layout)
        lines = path.read_text(encoding="utf-8").split("\n")
        first = lines.index('  "findings": [') + 1
        row = json.loads(lines[first].rstrip().rstrip(","))
        row[member] = None
        lines[first] = "    " + json.dumps(row) + ("," if lines[first].endswith(",") else "")
        path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as err:
        list(stream_findings_json(path)[1])
    assert f"findings/0/{member}" in str(err.value) and str(path) in str(err.value)


@pytest.mark.parametrize("layout", ["scan", "compact", "indented"])
def test_a_finding_id_twice_is_refused_naming_the_row(tmp_path: Path, layout: str) -> None:
    """Fault-injection trial round 13: a row copied in a findings.json edited by hand (its
    summary's count raised to match) was read twice: report --in counted 32 FAIL for 31
    findings, export securityhub sent the same Id twice in one BatchImportFindings batch.
    Finding ids are unique in a scan (DESIGN.md: derived from rule, resource and principal)."""
    document = sample_document()
    failing = next(f for f in document["findings"] if f["status"] == "FAIL")
    document["findings"].append(json.loads(json.dumps(failing)))
    document["summary"]["by_status"]["FAIL"] += 1
    last = len(document["findings"]) - 1
    if layout == "scan":  # written as scan writes it (which would refuse the copy), then copied
        single = json.loads(json.dumps(document))
        single["findings"].pop()
        single["summary"]["by_status"]["FAIL"] -= 1
        path = _written(tmp_path, single, layout)
        lines = path.read_text(encoding="utf-8").split("\n")
        end = lines.index("  ]")
        row = next(line for line in lines if f'"id": "{failing["id"]}"' in line
                   or f'"id":"{failing["id"]}"' in line)
        lines[end - 1] += ","
        lines.insert(end, row.rstrip(","))
        text = "\n".join(lines).replace(
            f'"FAIL": {single["summary"]["by_status"]["FAIL"]}',
            f'"FAIL": {document["summary"]["by_status"]["FAIL"]}', 1)
        path.write_text(text, encoding="utf-8")
    else:
        path = _written(tmp_path, document, layout)
    with pytest.raises(InputError) as err:
        read_findings_json(path)
    assert str(path) in str(err.value) and f"findings/{last}/id" in str(err.value)
    assert f"{failing['id']!r} is the id of an earlier row too" in str(err.value)
