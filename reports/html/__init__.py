"""The HTML report: one self-contained file (inline CSS, JS and SVG; no external fetches).

Safety model:
* Jinja2 with ``autoescape=True``: every value from the findings document, the graph or drift
  is escaped by the template engine; no markup is ever built by string concatenation.
* The findings table is rendered in the browser from a ``<script type="application/json">``
  block whose JSON has ``<``, ``>``, ``&``, U+2028 and U+2029 escaped, so no string can close
  the block; the script only ever uses ``textContent``.
* A Content-Security-Policy meta tag allows exactly the one inline script and the one inline
  stylesheet (by SHA-256 hash) and nothing else: no other script, no network, no forms.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence, TypeVar

import jinja2
import networkx as nx
from markupsafe import Markup

from reports._common import (SEVERITIES, STATUSES, account_label, findings_of, strip_controls,
                             strip_controls_deep, summary_line, trust_zone_line,
                             baseline_line, suppressions_line)
from reports.compliance import build_compliance
from reports.html.access_view import VERDICTS, AccessView, build_access_view
from reports.html.network import build_network
from reports.html.viewmodel import (build_drift, build_pass_summary, build_reach, build_summary,
                                    finding_rows)

#: above this many findings, off-screen sections are laid out lazily (CSS content-visibility)
BIG_REPORT = 2000
#: the findings table holds at most this many rows: a browser opens 10,000 in about two
#: seconds, and 345,000 (1,000 accounts) made a 740 MB file that none opens. Above it the rows
#: are shared out between the rules (``capped``); every finding stays in findings.json
HTML_ROWS_MAX = 20_000

_JSON_ESCAPES = {
    "<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029",
}


#: how report.html opens its drift section (templates/report.html.j2): no value can write it,
#: every value is escaped
DRIFT_SECTION = '<section id="drift"'


def has_drift_section(path: Path) -> bool:
    """Whether the report.html at ``path`` shows a drift (False when it cannot be read): the
    drift came from the scan's history, which ``secretgraph report`` does not have."""
    try:
        with path.open(encoding="utf-8", errors="replace") as fh:
            tail = ""
            for chunk in iter(lambda: fh.read(1 << 20), ""):
                if DRIFT_SECTION in tail + chunk:
                    return True
                tail = chunk[-len(DRIFT_SECTION):]
    except OSError:
        return False
    return False


def json_for_script(value: Any) -> Markup:
    """JSON that is safe inside a ``<script type="application/json">`` element, its strings
    without control or bidi characters (U+FFFD, as the rest of the page shows them: the
    findings table the script builds from it kept a raw U+202E)."""
    text = json.dumps(strip_controls_deep(value), ensure_ascii=False, separators=(",", ":"), default=str)
    for char, escaped in _JSON_ESCAPES.items():
        text = text.replace(char, escaped)
    return Markup(text)


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


@lru_cache(maxsize=1)
def _assets() -> tuple[str, str]:
    static = resources.files("reports.html").joinpath("static")
    css = static.joinpath("report.css").read_text(encoding="utf-8")
    js = static.joinpath("report.js").read_text(encoding="utf-8")
    return css, js


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("reports.html", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_no_controls,
    )
    env.filters["tojson_script"] = json_for_script
    return env


def _no_controls(value: Any) -> Any:
    """Every text the page shows without control characters (an ESC from a coverage message
    or a tag is no markup, but it has no place in HTML either: U+FFFD, as in CSV and XML);
    markup the templates build (Markup, the JSON of the script block) is left as it is."""
    if isinstance(value, str) and not isinstance(value, Markup):
        return strip_controls(value)
    return value


def content_security_policy(css: str, js: str) -> str:
    return (
        "default-src 'none'; "
        f"script-src {_sha256_source(js)}; "
        f"style-src {_sha256_source(css)}; "
        "img-src data:; base-uri 'none'; form-action 'none'; object-src 'none'"
    )


def account_directory(document: Mapping[str, Any], graph: nx.MultiDiGraph | None
                      ) -> tuple[dict[str, str], dict[str, str]]:
    """(account id -> name, account id -> OU name): from the graph's Account nodes, and the
    findings' ``resource.account_name`` when the report is rendered without a graph."""
    names: dict[str, str] = {}
    ous: dict[str, str] = {}
    for f in findings_of(document):
        r = f.get("resource") or {}
        if r.get("account_name") and r.get("account_id"):
            names.setdefault(str(r["account_id"]), str(r["account_name"]))
    if graph is not None:
        for _, attrs in graph.nodes(data=True):
            kind = attrs.get("kind")
            if str(getattr(kind, "value", kind)) != "Account":
                continue
            acct = str(attrs.get("account_id") or "")
            if attrs.get("name"):
                names[acct] = str(attrs["name"])
            if attrs.get("ou"):
                ous[acct] = str(attrs["ou"])
    return names, ous


@dataclass(frozen=True)
class AccessViews:
    """What the report shows of an access analysis: the reader classes of wide grants and the
    access matrix. Built before the findings are read back (``access_views``), so that the
    analysis (about a gigabyte at 100,000 secrets) and the rows are not held together."""

    reach: list[dict[str, str]]
    access: AccessView


def access_views(graph: nx.MultiDiGraph | None, access: Any, *,
                 names: Mapping[str, str] | None = None,
                 ous: Mapping[str, str] | None = None) -> AccessViews:
    """The report's views of ``access`` (an AccessReport, or None). ``names`` and ``ous``:
    the account directory (``account_directory``; by default the graph's accounts alone --
    the accounts the analysis names are the graph's)."""
    if names is None or ous is None:
        names, ous = account_directory({}, graph)
    return AccessViews(reach=build_reach(access),
                       access=build_access_view(graph, access, account_names=names,
                                                account_ous=ous))


def carried_policies(graph: nx.MultiDiGraph | None) -> int:
    """Secrets whose resource policy the scan carried from the last complete scan instead of
    reading it (``carried`` of the snapshot; 0 without a graph)."""
    if graph is None:
        return 0
    return sum(1 for _, attrs in graph.nodes(data=True)
               if attrs.get("kind") == "Secret" and "resource_policy" in (attrs.get("carried")
                                                                          or ()))


def render_html(document: Mapping[str, Any], *, graph: nx.MultiDiGraph | None = None,
                drift: Mapping[str, Any] | None = None,
                generated_at: datetime | None = None, access: Any = None) -> str:
    """The report's text. ``access``: the access analysis (an AccessReport), or the views of
    it already built (``AccessViews``), or None."""
    css, js = _assets()
    scan = document.get("scan") or {}
    summary = build_summary(document)
    every = findings_of(document)
    kept, per_rule = capped(every, HTML_ROWS_MAX, rule=lambda f: str(f.get("rule_id") or ""),
                            rank=_finding_rank)
    rows = finding_rows(kept)
    names, ous = account_directory(document, graph)
    views = access if isinstance(access, AccessViews) else access_views(
        graph, access, names=names, ous=ous)
    account_options = sorted({str((f.get("resource") or {}).get("account_id") or "")
                              for f in every})
    passes = build_pass_summary(document)
    data = {
        "findings": rows,
        # PASS results counted per rule, not rows: the Pass filter shows the summary
        "passes_summarised": None if passes is None else passes.total,
        "severities": list(SEVERITIES),
        "statuses": list(STATUSES),
    }
    template = _environment().get_template("report.html.j2")
    return template.render(
        csp=content_security_policy(css, js),
        css=Markup(css),
        js=Markup(js),
        data=data,
        document=document,
        tool=document.get("tool") or {},
        scan=scan,
        coverage=[c for c in document.get("coverage") or [] if isinstance(c, Mapping)],
        summary=summary,
        passes=passes,
        summary_line=summary_line(document, names),
        trust_zone_line=trust_zone_line(document),
        baseline_line=baseline_line(document),
        suppressions_line=suppressions_line(document),
        carried=carried_policies(graph),
        reach=views.reach,
        access=views.access,
        verdicts=VERDICTS,
        network=build_network(graph, document, central_account=scan.get("central_account"),
                              account_names=names),
        compliance=build_compliance(document, [str(k) for k in (scan.get("scope") or {}).get(
            "compliance") or ()] or None),
        central_label=account_label(scan.get("central_account"),
                                    names.get(str(scan.get("central_account")))),
        drift=build_drift(drift, names),
        severities=SEVERITIES,
        statuses=STATUSES,
        accounts=[(a, account_label(a, names.get(a))) for a in account_options],
        rules=sorted({str(f.get("rule_id") or "") for f in every}
                     | {p.rule_id for p in (passes.rules if passes is not None else ())}),
        big=len(rows) > BIG_REPORT,
        rows_total=len(every), rows_shown=len(rows), rows_per_rule=per_rule,
        generated_at=(generated_at or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"),
    )


_SEVERITY_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_STATUS_RANK = {"FAIL": 0, "UNKNOWN": 1, "MUTED": 2, "PASS": 3}
_T = TypeVar("_T")


def _finding_rank(f: Mapping[str, Any]) -> tuple[int, int, str, str]:
    resource = f.get("resource") or {}
    return (_STATUS_RANK.get(str(f.get("status")), 4),
            _SEVERITY_RANK.get(str(f.get("severity")), 9),
            str(resource.get("account_id") or ""), str(resource.get("arn") or ""))


def capped(items: Sequence[_T], limit: int, *, rule: Callable[[_T], str],
           rank: Callable[[_T], Any]) -> tuple[list[_T], int | None]:
    """(the items the table holds, the most one rule keeps or None when all are kept). Over
    ``limit``, every rule keeps the same share (a rule with fewer items keeps them all and its
    unused share goes to the others), so a rule with 80,000 findings does not push out the
    others; within a rule FAIL comes first, then UNKNOWN, MUTED and PASS, by account and
    resource (``rank``). The table keeps the order of the items it was given. Applied to the
    findings before their table rows are built: at 100,000 secrets only 20,000 of 345,809
    rows are."""
    if len(items) <= limit:
        return list(items), None
    by_rule: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        by_rule.setdefault(rule(item), []).append(i)
    sizes = sorted(len(v) for v in by_rule.values())
    left, share, n = limit, 0, len(sizes)
    for k, size in enumerate(sizes):  # water-filling: the largest share that fits the limit
        share = left // (n - k)
        if size > share:
            break
        left -= size
    else:
        share = sizes[-1]
    keep: list[int] = []
    for indexes in by_rule.values():
        if len(indexes) > share:
            indexes = sorted(indexes, key=lambda i: rank(items[i]))[:share]
        keep.extend(indexes)
    keep.sort()
    return [items[i] for i in keep], share


def write_html(document: Mapping[str, Any], path: Path, *, graph: nx.MultiDiGraph | None = None,
               drift: Mapping[str, Any] | None = None, access: Any = None) -> Path:
    path.write_text(render_html(document, graph=graph, drift=drift, access=access),
                    encoding="utf-8")
    return path
