"""The HTML report's By-account header and drift section read as words, not a data dump
(new-user trial round 6)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from helpers.report_sample import sample_document
from reports.html import render_html



class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return re.sub(r"\s+", " ", " ".join(parser.parts))


def test_the_by_account_header_names_each_severity_in_words() -> None:
    """New-user trial round 6: the By-account columns read "Crit", "High", "Medi", "Low",
    "Info" (the first four letters of each severity)."""
    html = render_html(sample_document())
    head = re.search(r"<h2>By account</h2>.*?<thead>(.*?)</thead>", html, re.S)
    assert head is not None
    assert _text(head.group(1)).split() == ["Account", "Critical", "High", "Medium", "Low",
                                            "Info", "Unknown"]
    assert 'title="Informational"' in head.group(1)
