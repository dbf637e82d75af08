"""Every table of report.html has a name a screen reader announces (new-user trial round 37:
in a screen reader's table list -- NVDA's T key, VoiceOver's rotor -- the findings table, the
summary's By account and By rule, each reader group's, each spoke group's, each framework's
controls, the coverage and the drift tables were "table, 33 rows" with nothing to say which;
three of eleven had one). A name is an aria-label or an aria-labelledby naming an element of
the page."""

from __future__ import annotations

from html.parser import HTMLParser

from helpers.report_sample import sample_access, sample_document, sample_drift, sample_graph
from reports.html import render_html


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict[str, str | None]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "table":
            self.tables.append(found)


def test_every_table_has_a_name() -> None:
    html = render_html(sample_document(), graph=sample_graph(), access=sample_access(),
                       drift=sample_drift())
    parser = _Tables()
    parser.feed(html)

    assert len(parser.tables) >= 8  # summary, findings, access, network, compliance, drift
    for table in parser.tables:
        label, by = table.get("aria-label"), table.get("aria-labelledby")
        assert (label and label.strip()) or (by and by in parser.ids), table
