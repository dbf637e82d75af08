"""report.html opened with JavaScript off (a locked-down browser, a mail client's preview)
says what needs it and where the same facts are, naming only files a scan writes for sure
(new-user trial round 34: the notice said "findings.json and findings.csv next to this file"
in a folder written with --format html,json, which has no findings.csv; and the rotation path
picker, which without JavaScript shows its first secret only, said nothing)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from helpers.report_sample import sample_document
from reports.html import render_html

from test_html_rotation_paths import _scan


class _NoScript(HTMLParser):
    """The text of every <noscript> element."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "noscript":
            self.depth += 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "noscript":
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


def noscript_texts(html: str) -> list[str]:
    parser = _NoScript()
    parser.feed(html)
    return [re.sub(r"\s+", " ", t).strip() for t in parser.texts]


def test_the_findings_notice_names_findings_csv_only_as_what_format_csv_writes() -> None:
    [findings] = [t for t in noscript_texts(render_html(sample_document()))
                  if "findings table" in t]
    assert "findings.json next to this file" in findings
    assert "findings.json and findings.csv" not in findings
    assert "findings.csv with --format csv" in findings


def test_the_rotation_path_says_that_choosing_another_secret_needs_javascript() -> None:
    graph, document = _scan()
    html = render_html(document, graph=graph)
    assert 'id="sg-path"' in html
    [paths] = [t for t in noscript_texts(html) if "rotation path" in t.lower()]
    assert "first secret" in paths and "secret-rotation-no-network-path" in paths
