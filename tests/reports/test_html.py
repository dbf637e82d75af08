"""The HTML report as a document: escaping, CSP, self-containment, sections (no browser)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import networkx as nx

from helpers.report_sample import (
    IMG,
    MEMBER_B,
    PCX_NOROUTE,
    PCX_OK,
    PCX_PENDING,
    ROLE_B,
    SCRIPT,
    SECRET_A,
    SVG,
    sample_document,
    sample_drift,
    sample_graph,
)
from reports.html import json_for_script, render_html
from reports.html.topology import build_topology
from reports.html.viewmodel import build_access_matrix, build_drift


def _html(drift: bool = True) -> str:
    return render_html(sample_document(), graph=sample_graph(),
                       drift=sample_drift() if drift else None)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))


def test_hostile_strings_never_appear_as_markup() -> None:
    html = _html()
    for canary in (IMG, SCRIPT, SVG):
        assert canary not in html
    parser = _Elements()
    parser.feed(html)
    names = {tag for tag, _ in parser.tags}
    assert not names & {"img", "iframe", "object", "embed", "link", "base", "form"}
    assert not [(t, a) for t, attrs in parser.tags for a, _ in attrs if a.startswith("on")]
    # exactly two script elements: the JSON data block and the report's own script
    scripts = [dict(attrs) for tag, attrs in parser.tags if tag == "script"]
    assert scripts == [{"type": "application/json", "id": "sg-data"}, {}]
    assert "&lt;img src=x onerror=window.__pwned=1&gt;" in html  # shown as text


def test_embedded_json_cannot_close_its_script_element() -> None:
    text = str(json_for_script({"a": SCRIPT, "b": "\u2028\u2029&<>"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"a": SCRIPT, "b": "\u2028\u2029&<>"}


def _inline(html: str, tag: str) -> str:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.S)
    assert match, tag
    return match.group(1)


def test_csp_allows_only_the_reports_own_script_and_style_by_hash() -> None:
    html = _html()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert csp
    policy = csp.group(1)
    for tag, directive in (("script", "script-src"), ("style", "style-src")):
        digest = base64.b64encode(hashlib.sha256(_inline(html, tag).encode()).digest()).decode()
        assert f"{directive} &#39;sha256-{digest}&#39;" in policy
    assert "default-src &#39;none&#39;" in policy and "unsafe-inline" not in policy
    assert "base-uri &#39;none&#39;" in policy and "form-action &#39;none&#39;" in policy


def test_the_file_is_self_contained() -> None:
    html = _html()
    assert not re.search(r'\b(src|href)="(?!#)', html)  # only in-page anchors
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html
    assert ' style="' not in html  # no inline style attributes (CSP forbids them)


def test_sections_are_present_and_drift_only_when_given() -> None:
    html = _html()
    for section in ("summary", "findings", "access", "network", "coverage", "drift"):
        assert f'<section id="{section}"' in html
    assert '<section id="drift"' not in _html(drift=False)
    assert "AssumeRole" in html and "incomplete scan" in html


def test_access_matrix_marks_allowed_conditional_and_broken() -> None:
    matrix = build_access_matrix(sample_graph())
    assert matrix.counts == {"allowed": 3, "conditional": 1, "broken": 1}
    cells = {(row.principal, col["arn"]): cell for row in matrix.rows
             for col, cell in zip(matrix.columns, row.cells)}
    broken = cells[(ROLE_B, SECRET_A)]
    assert broken.state == "broken" and "key_policy: DENIED" in broken.tip
    # a principal every gate denies is not drawn as an access at all
    assert all(c.state != "denied" for c in cells.values())
    assert any(row.principal == "*" for row in matrix.rows)


def test_access_matrix_uses_the_analysis_broken_at_when_present() -> None:
    g = nx.MultiDiGraph()
    g.add_node("s", kind="Secret", name="s", account_id="1")
    g.add_node("p", kind="Principal", account_id="2")
    g.add_edge("p", "s", kind="CAN_READ", decision="DENIED", broken_at=[],
               gates={"resource_policy": "ALLOWED", "key_policy": "DENIED"})
    assert build_access_matrix(g).rows == []  # not intended: plain denial, not broken
    g.add_edge("p", "s", kind="CAN_READ", decision="DENIED", broken_at=["key_policy"],
               gates={"resource_policy": "ALLOWED", "key_policy": "DENIED"})
    assert build_access_matrix(g).counts["broken"] == 1


def test_topology_shows_peering_status_and_routes_per_side() -> None:
    topo = build_topology(sample_graph(), "111111111111")
    hubs = [b for b in topo.boxes if b.hub]
    assert [b.key[2] for b in hubs] == ["vpc-central"]
    assert any("Secrets Manager endpoint (private DNS)" in text for _, text in hubs[0].badges)
    assert any("NAT gateway" in text for _, text in hubs[0].badges)
    lines = {line.label.split(" ")[0]: line for line in topo.lines}
    assert {k: (v.css, [m.state for m in v.marks]) for k, v in lines.items()} == {
        PCX_OK: ("active", ["present", "present"]),
        PCX_NOROUTE: ("active", ["present", "missing"]),
        PCX_PENDING: ("pending", ["blackhole", "unknown"]),
    }
    member_b = next(b for b in topo.boxes if b.key[0] == MEMBER_B)
    assert member_b.title.startswith(IMG[:20])  # raw text: the template escapes it


def test_topology_without_network_data_is_empty() -> None:
    assert build_topology(None, None).empty
    assert build_topology(nx.MultiDiGraph(), None).empty


def test_drift_is_rendered_generically() -> None:
    view = build_drift(sample_drift())
    assert view is not None
    titles = {t.title: t for t in view.tables}
    assert titles["access changes · new readers"].count == 1
    assert titles["access changes · new readers"].kind == "added"
    assert titles["access changes · lost readers"].kind == "removed"
    assert titles["findings · resolved"].rows == []
    assert ("previous scan", "scan-2026-11-28T01:00:00Z") in view.scalars
    odd = build_drift({"weird": 3, "nested": {"x": {"y": 1}}, "items": ["a", {"b": 2}]})
    assert odd is not None and len(odd.tables) == 2 and odd.scalars == [("weird", "3")]


def test_ten_thousand_findings_render_quickly_and_small() -> None:
    doc = sample_document()
    base = doc["findings"][0]
    doc["findings"] = [dict(base, id=f"sgf-{i}") for i in range(2000)]
    html = render_html(doc, graph=sample_graph())
    assert len(html.encode()) < 4_000_000
    assert html.count('"i":"sgf-') == 2000


def test_drift_access_changes_become_one_row_per_reader() -> None:
    drift = {"access": [{"secret_arn": SECRET_A, "new_readers": [
        {"principal": ROLE_B, "decision": "allow",
         "detail": {"decision": "ALLOWED", "gates": {"key_policy": {"status": "ALLOWED"}}}}],
        "lost_readers": [{"principal": "arn:aws:iam::1:role/gone", "decision": "allow"}]}]}
    view = build_drift(drift)
    assert view is not None
    table = view.tables[0]
    assert table.title == "access · readers" and table.count == 2
    assert table.columns == ["change", "secret", "principal", "decision", "gates"]
    assert table.rows[0] == ["new", SECRET_A, ROLE_B, "ALLOWED", "key_policy: ALLOWED"]
    assert table.rows[1][:3] == ["lost", SECRET_A, "arn:aws:iam::1:role/gone"]
