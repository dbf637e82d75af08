"""The HTML report as a document: escaping, CSP, self-containment, sections (no browser)."""

from __future__ import annotations

from typing import Any

import base64
import hashlib
import json
import re
from html.parser import HTMLParser

import networkx as nx
import pytest

from helpers.report_sample import (
    ACCOUNT_NAMES,
    CENTRAL,
    IMG,
    MEMBER_B,
    PCX_NOROUTE,
    PCX_OK,
    PCX_PENDING,
    ROLE_B,
    SCRIPT,
    SECRET_A,
    SVG,
    sample_access,
    sample_document,
    sample_drift,
    sample_graph,
)
from reports.html import json_for_script, render_html
from reports.compliance import BEHIND_MAX, build_compliance
from reports.html.access_view import build_access_view
from scanner.access.report import AccessPath, AccessReport, GateVerdict, SecretAccess
from scanner.access.verdicts import Grant
from reports.html.network import build_network
from reports.html.viewmodel import build_drift


def _html(drift: bool = True) -> str:
    return render_html(sample_document(), graph=sample_graph(), access=sample_access(),
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
    # a control character (the sample's ESC in names, tags and coverage messages) is shown
    # as U+FFFD, as in CSV and XML: none reaches the page
    assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", html)
    assert "\ufffd[31mred" in html


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
    for section in ("summary", "findings", "access", "network", "compliance", "coverage",
                    "drift"):
        assert f'<section id="{section}"' in html
    assert '<section id="drift"' not in _html(drift=False)
    assert "AssumeRole" in html and "incomplete scan" in html


def test_access_view_groups_readers_by_account_with_verdict_words() -> None:
    view = build_access_view(sample_graph(), sample_access(), account_names=ACCOUNT_NAMES,
                             account_ous={MEMBER_B: "Workloads"})
    assert view.totals == {"broken": 1, "allowed": 3, "conditional": 1}
    groups = {g.key: g for g in view.groups}
    broken = groups[f"account:{MEMBER_B}"]
    assert view.groups[0] is broken  # groups with broken reads first
    assert broken.label == f"ledger-prod ({MEMBER_B})" and broken.ou == "Workloads"
    assert broken.counts["broken"] == 1 and "broken" in broken.flags.split()
    pair = broken.pairs[0]
    assert (pair.principal_arn, pair.secret_arn, pair.symbol) == (ROLE_B, SECRET_A, "✗")
    assert pair.why == "blocked by key policy"
    assert groups["class:everyone"].kind == "public" and "public" in groups[
        "class:everyone"].flags
    assert view.filter_counts == {"outside": 0, "broken": 1, "public": 1}
    # a principal every gate denies is not an access at all
    assert all(p.state != "denied" for g in view.groups for p in g.pairs)


def _path(principal: str, decision: str, *, account: str | None, in_zone: bool = True,
          conditions: tuple[str, ...] = (), broken_at: tuple[str, ...] = ()) -> AccessPath:
    return AccessPath(principal=principal, principal_account=account,
                      principal_type="public" if principal == "*" else "role",
                      secret_account="111111111111", decision=decision, cross_account=True,
                      gates={"resource_policy": GateVerdict(status="ALLOWED"),
                             "key_policy": GateVerdict(status="DENIED" if broken_at else
                                                       "ALLOWED")},
                      conditions=conditions, broken_at=broken_at, intended=bool(broken_at),
                      in_zone=in_zone)


def _report(*paths: AccessPath, grants: tuple[Grant, ...] = ()) -> AccessReport:
    return AccessReport(secrets={"s": SecretAccess(
        secret_arn="s", name="s", account_id="111111111111", region="us-east-1", key_arn=None,
        aws_managed_key=True, paths=paths, grants=grants)})


def test_access_view_classes_and_outsiders_are_rows_of_their_own() -> None:
    g = nx.MultiDiGraph()
    g.add_node("s", kind="Secret", name="s", account_id="111111111111")
    g.add_node("arn:aws:iam::999999999999:root", kind="Principal", account_id="999999999999",
               external=True)
    g.add_node("*", kind="Principal", account_id="")
    view = build_access_view(g, _report(
        _path("arn:aws:iam::999999999999:root", "ALLOWED", account="999999999999",
              in_zone=False),
        _path("*", "CONDITIONAL", account=None, conditions=("aws:PrincipalOrgID",)),
        grants=(Grant(source="resource_policy", statement="statement 0", principal="*",
                      scope="organization", in_zone=True),)),
        account_names={})
    kinds = {grp.key: grp.kind for grp in view.groups}
    assert kinds == {"outside:999999999999": "outside", "class:organization": "org"}
    org = next(grp for grp in view.groups if grp.kind == "org")
    assert org.principals == 1 and org.label.startswith("whole organization")
    assert view.filter_counts["outside"] == 1 and view.filter_counts["public"] == 1
    # a reader the graph does not hold is placed by the verdict's own zone
    alone = build_access_view(None, _report(_path("arn:aws:iam::888888888888:role/x",
                                                  "ALLOWED", account="888888888888",
                                                  in_zone=False)), account_names={})
    assert [grp.key for grp in alone.groups] == ["outside:888888888888"]


def test_the_outsider_filter_says_trust_zone_as_its_rows_do() -> None:
    """New-user trial round 7 (a single account, no organization): the filter read "Outside the
    organization" while its rows say "(outside the trust zone)" -- the zone is the organization
    and the scanned and trusted accounts, and a single account has no organization."""
    html = _html()
    assert "Outside the trust zone (" in html and "Outside the organization" not in html


def test_access_view_uses_the_analysis_broken_at() -> None:
    g = nx.MultiDiGraph()
    g.add_node("s", kind="Secret", name="s", account_id="1")
    g.add_node("p", kind="Principal", account_id="2")
    # a plain denial is not an access at all
    assert build_access_view(g, _report(_path("p", "DENIED", account="2")),
                             account_names={}).groups == []
    view = build_access_view(g, _report(_path("p", "DENIED", account="2",
                                              broken_at=("key_policy",))), account_names={})
    assert view.totals["broken"] == 1
    assert view.groups[0].pairs[0].why == "blocked by key policy"


def test_access_view_is_unavailable_without_the_analysis() -> None:
    assert not build_access_view(nx.MultiDiGraph(), None, account_names={}).available


def _with_rotation_finding() -> dict:  # type: ignore[type-arg]
    doc = sample_document()
    doc["findings"].append({
        "id": "sgf-rotation-path", "rule_id": "secret-rotation-no-network-path",
        "title": "Rotation cannot reach", "severity": "HIGH", "status": "FAIL",
        "resource": {"type": "Secret", "arn": SECRET_A, "account_id": CENTRAL,
                     "region": "us-east-1", "account_name": "security-central"},
        "message": "no route back", "principal": None,
        "evidence": {"problems": [f"database VPC vpc-b has no route back to 10.0.0.0/16 via "
                                  f"{PCX_NOROUTE}"], "database_vpcs": ["vpc-b"]},
        "remediation": {}, "compliance": {}, "missing": []})
    return doc


def test_network_is_hub_and_spoke_with_counted_groups() -> None:
    view = build_network(sample_graph(), sample_document(), central_account=CENTRAL,
                         account_names=ACCOUNT_NAMES)
    assert [h.vpc for h in view.hubs] == ["vpc-central"]
    hub = view.hubs[0]
    assert hub.spokes == 3
    assert any("Secrets Manager endpoint with private DNS" in t for _, t in hub.badges)
    groups = {g.label: (g.state, g.count, [s.peering for s in g.spokes]) for g in hub.groups}
    assert groups == {
        "active, routes on both sides": ("ok", 1, [PCX_OK]),
        "active, route missing on the spoke": ("broken", 1, [PCX_NOROUTE]),
        "peering pending-acceptance: not usable yet": ("pending", 1, [PCX_PENDING]),
    }
    assert hub.groups[0].state == "broken"  # the broken group first
    sats = hub.satellites  # the picture: one circle per group, around the hub, inside the box
    assert [(s.state, s.count) for s in sats] == [(g.state, g.count) for g in hub.groups]
    assert all(0 <= s.x - s.r and s.x + s.r <= 220 and 0 <= s.y - s.r and s.y + s.r <= 220
               for s in sats)
    assert build_network(None, sample_document(), central_account=None,
                         account_names={}).empty


def test_central_spokes_of_a_central_hub_are_spokes_not_hubs() -> None:
    """A new-user trial: the demo's hub peers with 41 spoke VPCs of the central account itself;
    each spoke became a hub card of its own saying "No peerings." (44 hubs for 3)."""
    from helpers.report_sample import REGION
    from scanner.graph.schema import NodeKind

    g = sample_graph()
    for i in range(3):
        vid = f"vpc-central-spoke-{i}"
        g.add_node(f"arn:aws:ec2:{REGION}:{CENTRAL}:vpc/{vid}", kind=NodeKind.VPC,
                   account_id=CENTRAL, region=REGION, vpc_id=vid, cidrs=[f"10.9.{i}.0/24"])
        g.add_node(f"arn:aws:ec2:{REGION}:{CENTRAL}:vpc-peering-connection/pcx-c{i}",
                   kind=NodeKind.VPC_PEERING, peering_id=f"pcx-c{i}", account_id=CENTRAL,
                   region=REGION, status="active",
                   requester={"owner_id": CENTRAL, "vpc_id": vid, "region": REGION},
                   accepter={"owner_id": CENTRAL, "vpc_id": "vpc-central", "region": REGION})
    view = build_network(g, sample_document(), central_account=CENTRAL,
                         account_names=ACCOUNT_NAMES)
    assert [h.vpc for h in view.hubs] == ["vpc-central"]
    assert view.hubs[0].spokes == 6  # its 3 member spokes and the 3 central ones


def test_rotation_path_marks_the_broken_hop() -> None:
    graph = sample_graph()  # the secret's database is in vpc-b (the rule serves that VPC only)
    graph.nodes[SECRET_A]["tags"]["secretgraph:db-vpc"] = "vpc-b"
    view = build_network(graph, _with_rotation_finding(), central_account=CENTRAL,
                         account_names=ACCOUNT_NAMES)
    path = next(p for p in view.paths if p.secret_arn == SECRET_A)
    assert path.state == "broken"
    kinds = [(h.kind, h.state) for h in path.hops]
    assert kinds == [("Secret", "ok"), ("Rotation Lambda", "ok"), ("Network", "ok"),
                     ("Secrets Manager", "ok"), ("Peering", "broken"), ("Database VPC", "ok")]
    peering = path.hops[4]
    assert PCX_NOROUTE in peering.text and "no route back" in peering.problem
    assert "vpce" in path.hops[3].text or "endpoint" in path.hops[3].text


def test_compliance_summarises_controls_from_the_findings() -> None:
    doc = sample_document()
    frameworks = {fw.key: fw for fw in build_compliance(doc)}
    cis = frameworks["CIS AWS 3.0"]
    control = cis.controls[0]
    assert control.control == "2.1.1" and control.status == "FAIL"
    assert control.counts["FAIL"] == 6 and control.counts["PASS"] == 1
    assert set(control.failing) >= {f["id"] for f in doc["findings"] if f["status"] == "FAIL"}
    # the findings behind the control are listed with it (at most BEHIND_MAX)
    assert control.behind and all(b["status"] in ("FAIL", "UNKNOWN") for b in control.behind)
    assert {b["rule_id"] for b in control.behind} <= set(control.rules)
    assert len(control.behind) == min(len(control.failing), BEHIND_MAX)


def test_compliance_takes_pass_counts_from_a_per_rule_summary() -> None:
    doc = sample_document()
    doc["findings"] = [f for f in doc["findings"] if f["rule_id"] == "kms-key-rotation-disabled"]
    doc["findings"][0]["status"] = "PASS"
    # findings.json's per-rule PASS summary (PASS results counted, not itemised)
    doc["passed"] = {"itemised": False, "resources_max": 100, "by_rule": [
        {"rule_id": "kms-key-rotation-disabled", "title": "t", "severity": "MEDIUM",
         "count": 40}]}
    doc["coverage"] = []  # every account read (an unread one makes the control UNKNOWN)
    fw = {f.key: f for f in build_compliance(doc)}["CIS AWS 3.0"]
    assert fw.controls[0].status == "PASS" and fw.controls[0].counts["PASS"] == 40


def _only_passing(rule_id: str) -> dict[str, Any]:
    doc = sample_document()
    doc["findings"] = [dict(f, status="PASS") for f in doc["findings"]
                       if f["rule_id"] == rule_id][:1]
    doc["coverage"] = []
    return doc


def test_a_control_whose_listing_was_not_read_is_unknown_not_pass_or_no_resources() -> None:
    """ListSecrets throttled in one Region: no secret there, so no result at all -- the control
    said NO_RESOURCES (or PASS from the other Regions) while its secrets went unjudged."""
    doc = _only_passing("secret-rotation-disabled")
    gap = {"account_id": "111111111111", "region": "us-east-1", "service": "secretsmanager",
           "operation": "ListSecrets", "error_code": "ThrottlingException",
           "error_kind": "throttled", "message": "rate exceeded", "resource_arn": None}
    before = {f.key: f for f in build_compliance(doc)}["CIS AWS 3.0"].controls[0]
    assert before.status == "PASS" and not before.not_assessed
    doc["coverage"] = [gap]
    control = {f.key: f for f in build_compliance(doc)}["CIS AWS 3.0"].controls[0]
    assert control.status == "UNKNOWN"
    assert control.not_assessed == ["secretsmanager ListSecrets: 111111111111 us-east-1"]
    assert control.counts["UNKNOWN"] == 0  # no result was UNKNOWN: the listing was
    html = render_html(doc)
    assert "not assessed: 1 listing(s) not read" in html
    # a gap in a service the control's rules do not read changes nothing
    doc["coverage"] = [dict(gap, service="lambda", operation="ListFunctions")]
    assert {f.key: f for f in build_compliance(doc)}["CIS AWS 3.0"].controls[0].status == "PASS"


def test_an_account_that_could_not_be_assumed_leaves_every_control_unknown() -> None:
    doc = _only_passing("kms-key-rotation-disabled")
    doc["coverage"] = [{"account_id": "444444444444", "region": "global", "service": "sts",
                        "operation": "AssumeRole", "error_code": "AccessDenied",
                        "error_kind": "denied", "message": "no", "resource_arn": None}]
    for fw in build_compliance(doc):
        assert {c.status for c in fw.controls} == {"UNKNOWN"}


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


def test_a_scan_scoped_to_a_framework_shows_only_its_controls() -> None:
    doc = sample_document()
    doc["scan"]["scope"] = {"compliance": ["CIS AWS 3.0"]}
    html = render_html(doc, graph=sample_graph())
    assert '<span class="fw-name mono">CIS AWS 3.0</span>' in html
    assert '<span class="fw-name mono">secretgraph</span>' not in html
    assert '<span class="fw-name mono">secretgraph</span>' in _html()


def test_rotation_path_hops_are_unknown_when_the_rule_was_scoped_out() -> None:
    doc = sample_document()
    doc["scan"]["rules"] = ["secret-rotation-disabled"]
    view = build_network(sample_graph(), doc, central_account=CENTRAL,
                         account_names=ACCOUNT_NAMES)
    path = next(p for p in view.paths if p.secret_arn == SECRET_A)
    states = {h.kind: h.state for h in path.hops}
    assert states["Secrets Manager"] == "unknown" and states["Peering"] == "unknown"
    assert path.state == "unknown"


def test_a_report_of_more_findings_than_a_browser_opens_shares_its_table_between_rules(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """At 1,000 accounts report.html held all 345,000 findings: 740 MB that no browser opens.
    Over the cap every rule keeps the same share, FAIL first; the counts cover them all."""
    import copy

    import reports.html as html
    from reports.html import capped

    doc = sample_document()
    base = [f for f in doc["findings"] if f["status"] == "FAIL"][0]
    many = []
    for i in range(300):  # one rule with 300 findings, half UNKNOWN
        f = copy.deepcopy(base)
        f["id"], f["rule_id"] = f"sgf-big-{i:04d}", "big-rule"
        f["status"] = "UNKNOWN" if i % 2 else "FAIL"
        f["resource"]["arn"] = f"{f['resource']['arn']}-{i:04d}"
        many.append(f)
    doc["findings"] = doc["findings"] + many
    total = len(doc["findings"])
    monkeypatch.setattr(html, "HTML_ROWS_MAX", 60)
    page = render_html(doc)
    data = json.loads(re.search(r'id="sg-data">(.*?)</script>', page, re.S).group(1)
                      .replace("\\u003c", "<").replace("\\u003e", ">").replace("\\u0026", "&"))
    rows = data["findings"]
    assert len(rows) <= 60
    others = {f["rule_id"] for f in doc["findings"]} - {"big-rule"}
    assert others <= {r["r"] for r in rows}, "every other rule keeps all its rows"
    big = [r for r in rows if r["r"] == "big-rule"]
    assert big and all(r["st"] == "FAIL" for r in big), "FAIL first"
    assert f"This table holds {len(rows)} of the {total} findings" in page

    small = [{"r": "a", "st": "FAIL"}, {"r": "b", "st": "FAIL"}]
    assert capped(small, 60, rule=lambda r: r["r"], rank=lambda r: r["st"]) == (small, None)


def test_the_report_says_how_many_policies_were_carried_not_read() -> None:
    """Fresh-eyes trial: only the terminal's last line said that policies were carried from
    the last complete scan; report.html called the scan complete without a word."""
    graph = sample_graph()
    secrets = [n for n, a in graph.nodes(data=True) if a.get("kind") == "Secret"]
    assert secrets
    assert "carried from the last complete scan" not in render_html(sample_document(),
                                                                     graph=graph)
    graph.nodes[secrets[0]]["carried"] = ("resource_policy",)
    html = render_html(sample_document(), graph=graph)
    assert "1 secret policy carried from the last complete scan, not read again" in html


def test_without_a_snapshot_the_network_is_not_known_rather_than_empty() -> None:
    """report --no-snapshot said "No VPC peerings ... were found": a false statement about an
    estate whose network the report never read (remediate/export trial)."""
    without = render_html(sample_document())
    assert "Not known: this report was rendered without the scan's snapshot" in without
    assert "No VPC peerings, endpoints or rotation functions were found" not in without
    assert "Not known: this report was rendered" not in render_html(
        sample_document(), graph=sample_graph())


def test_a_carriage_return_is_shown_as_u_fffd_like_every_other_control() -> None:
    """Hostile-input trial round 9: a CR in a secret's name or tags reached the page (72 times:
    drift, compliance, findings) while ESC, BEL and U+202E beside it were U+FFFD. docs/reports.md:
    control and bidi characters are replaced before anything is written."""
    from reports._common import strip_controls

    assert strip_controls("a\rb\tc\nd") == "a\ufffdb\tc\nd"


def test_the_summary_lines_wrap_a_long_token() -> None:
    """Hostile-input trial round 9: a suppression glob or a baseline path without a break point
    in the summary lines ("matched no finding", "access baseline") made the whole page 19,364 px
    wide. They wrap anywhere, as the other value holders do."""
    from pathlib import Path

    import reports.html

    css = (Path(reports.html.__file__).parent / "static" / "report.css").read_text("utf-8")
    rule = re.search(r"\.summary-line\{([^}]*)\}", css)
    assert rule is not None and "overflow-wrap:anywhere" in rule.group(1)


def test_the_access_filters_say_they_count_reader_accounts_not_reads() -> None:
    """New-user trial round 25: "Broken (1)" stood beside "3 broken reads" in the section's
    head: the chips count the reader accounts (the rows they filter), the head counts reads."""
    html = _html()
    chips = html.split('class="chips access-filters"')[1].split("</div>")[0]
    assert 'aria-label="Show reader accounts"' in chips
    assert "Reader accounts:" in chips
    assert chips.index("Reader accounts:") < chips.index("Broken (")
