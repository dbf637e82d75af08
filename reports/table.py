"""Terminal table: failing, unassessed and muted findings grouped by severity, rows ordered by
account; the coverage gaps; per-control compliance when the scan was scoped to a framework; a
summary line. Everything is fitted to the terminal width ($COLUMNS; 80 columns work): long
cells wrap onto more lines (at most a few, ending in …; findings.json has the full text), never
past the right edge."""

from __future__ import annotations

import heapq
import shutil
import textwrap
from functools import lru_cache
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Iterator, Mapping, Sequence

from reports._common import (
    SEVERITIES,
    findings_of,
    short_resource,
    sort_key,
    strip_controls,
    summary_line,
    trust_zone_line,
    baseline_line,
    suppressions_line,
)
from scanner.gcpause import gc_paused
from scanner.textfit import cut_to_width, display_width, pad_to_width, wrap_to_width

#: Statuses listed row by row; PASS results are only counted in the summary line.
SHOWN_STATUSES = ("FAIL", "UNKNOWN", "MUTED")
#: the width used when there is no terminal to ask (files, pipes without $COLUMNS)
DEFAULT_WIDTH = 120
MIN_WIDTH = 60
#: the narrowest a finding's block (and the text under the tables) is broken at
STACKED_MIN_WIDTH = 30
_GAP = 2  # tabulate's "simple" format puts two spaces between columns


@dataclass(frozen=True, slots=True)
class Col:
    header: str
    min: int  # never narrower than this
    max: int  # never wider than this
    lines: int  # at most this many lines per cell
    give: float = 1.0  # how readily it gives up width when the table is too wide
    hyphens: bool = True  # False: wrapped on spaces only (a list of ids kept whole)


#: what ends a cell cut to fit
_CUT = "…"

def terminal_width() -> int:
    """$COLUMNS, else the terminal's width, else DEFAULT_WIDTH."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


def _clean(value: Any) -> str:
    return " ".join(strip_controls(str(value or "")).split())


@lru_cache(maxsize=65536)
def _wrap(text: str, width: int, lines: int, *, hyphens: bool = True) -> str:
    """Wrap on spaces and hyphens (long ids are cut) into at most ``lines`` lines; a cut part
    ends in …. In a cell of several parts (name, then id) the first part gives way, so the
    last part (the id) always shows. ``hyphens=False``: only on spaces (an ARN in a detail
    line stays whole where it fits)."""
    parts = [wrap_to_width(p, width, hyphens=hyphens) or [""] for p in text.split("\n")]
    for part in parts[:-1]:
        while sum(len(p) for p in parts) > lines and len(part) > 1:
            part.pop()
            part[-1] = _cut(part[-1], width)
    out = [line for part in parts for line in part]
    if len(out) > lines:
        out = out[:lines]
        out[-1] = _cut(out[-1], width)
    return "\n".join(out)


def _fill(text: str, width: int) -> str:
    """textwrap.fill by display width (an account name in CJK is two columns a character)."""
    return "\n".join(wrap_to_width(text, width))


def _cut(line: str, width: int) -> str:
    """``line`` ending in … within ``width`` columns."""
    return (cut_to_width(line, width - 1) if width > 1 else "") + _CUT


def _widths(cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int) -> list[int]:
    """Each column's natural width (its longest line, within min..max), shrunk from the widest
    flexible columns until the table fits ``width``."""
    natural = []
    for i, col in enumerate(cols):
        longest = max([display_width(col.header)]
                      + [display_width(line) for r in rows for line in r[i].split("\n")])
        natural.append(max(col.min, min(col.max, longest)))
    avail = width - _GAP * (len(cols) - 1)
    widths = list(natural)
    while sum(widths) > avail:
        slack = [w - c.min for w, c in zip(widths, cols)]
        i = max(range(len(cols)), key=lambda k: (slack[k] * cols[k].give, k))
        if slack[i] <= 0:
            break
        widths[i] -= 1
    return widths


def fit_table(cols: Sequence[Col], rows: Sequence[Sequence[str]], width: int) -> str:
    """A plain text table no wider than ``width``: a header, a rule of dashes, and each row on
    as many lines as its tallest wrapped cell."""
    return "\n".join(_table_lines(cols, rows, width))


def _table_lines(cols: Sequence[Col], rows: Sequence[Sequence[str]],
                 width: int) -> Iterator[str]:
    """``fit_table``'s lines, one at a time (a table of 220,000 rows is not held as text)."""
    widths = _widths(cols, rows, width)
    gap = " " * _GAP

    def lines(cells: Sequence[str]) -> list[str]:
        split = [cell.split("\n") for cell in cells]
        height = max(len(parts) for parts in split)
        return [gap.join(pad_to_width(parts[i] if i < len(parts) else "", w)
                         for parts, w in zip(split, widths)).rstrip() for i in range(height)]

    yield from lines([_wrap(c.header, w, 2) for c, w in zip(cols, widths)])
    yield gap.join("-" * w for w in widths)
    for row in rows:
        yield from lines([_wrap(cell, w, c.lines, hyphens=c.hyphens)
                          for cell, w, c in zip(row, widths, cols)])


def _detail(f: Mapping[str, Any]) -> str:
    detail = _clean(f.get("message") or f.get("title"))
    principal = _clean(f.get("principal"))
    if principal and principal not in detail:
        detail = f"{short_resource(principal)}: {detail}"
    return detail


def _muted(f: Mapping[str, Any]) -> str:
    """Why a MUTED row is muted, from its ``muted_by``: "muted until 2027-03-31 (owner
    platform@example.com): legacy app" ("" on other rows). docs/configuration.md: muted
    findings stay in every report with their entry's reason and owner (new-user trial round 6:
    the table showed the rule's message only)."""
    muted_by = f.get("muted_by")
    if f.get("status") != "MUTED" or not isinstance(muted_by, Mapping):
        return ""
    expires, owner = _clean(muted_by.get("expires")), _clean(muted_by.get("owner"))
    reason = _clean(muted_by.get("reason")) or "no reason given"
    return (f"muted{f' until {expires}' if expires else ''}"
            f"{f' (owner {owner})' if owner else ''}: {reason}")


def _account(resource: Mapping[str, Any]) -> str:
    acct = _clean(resource.get("account_id"))
    name = _clean(resource.get("account_name"))
    return f"{name}\n{acct}" if name and name != acct else acct


def _row(f: Mapping[str, Any], narrow: bool) -> list[str]:
    resource = f.get("resource") or {}
    name = short_resource(_clean(resource.get("arn")))
    region = _clean(resource.get("region"))
    row = [_account(resource)]
    row += [region] if not narrow else []
    muted = _muted(f)  # a part of its own: the message gives way first (_wrap)
    row += [str(f.get("status")), _clean(f.get("rule_id")),
            f"{name}\n({region})" if narrow else name,
            f"{_detail(f)}\n{muted}" if muted else _detail(f)]
    return row


#: the columns a stacked finding's lines are indented by ("UNKNOWN" and a space)
_INDENT = 8


def _stacked(findings: Sequence[Mapping[str, Any]], width: int) -> str:
    """The findings of a narrow terminal (below 100 columns), one block each instead of a
    table row: the status and the whole rule id (never broken: it is what --rules and the
    config take), then the account; the resource and its Region; the detail. A new-user trial
    at 80 columns: the table's columns cut rule ids at hyphens, resource names to prefixes
    three secrets shared, and ARNs inside the detail."""
    return "\n".join(_stacked_lines(findings, width))


def _stacked_lines(findings: Sequence[Mapping[str, Any]], width: int) -> Iterator[str]:
    """``_stacked``'s lines, one at a time."""
    inner = width - _INDENT
    pad = " " * _INDENT
    for f in findings:
        resource = f.get("resource") or {}
        acct = _clean(resource.get("account_id"))
        name = _clean(resource.get("account_name"))
        who = f"{name} {acct}" if name and name != acct else acct
        status, rule = _clean(f.get("status")), _clean(f.get("rule_id"))
        head = pad_to_width(status, _INDENT) + rule
        if display_width(head) + 2 + display_width(who) <= width:
            yield f"{head}  {who}".rstrip()
        else:
            if display_width(head) <= width:
                yield head
            elif display_width(f"{status} {rule}") <= width:  # the rule id whole at 40 columns
                yield f"{status} {rule}"
            else:
                yield status
                yield rule if display_width(rule) <= width else _cut(rule, width)
            yield pad + _wrap(who, inner, 1)
        region = _clean(resource.get("region"))
        where = short_resource(_clean(resource.get("arn"))) + (f" ({region})" if region else "")
        for text, lines in ((where, 2), (_detail(f), 4), (_muted(f), 3)):
            for line in _wrap(text, inner, lines, hyphens=False).split("\n"):
                if line:
                    yield pad + line


def _heading(severity: str, statuses: Mapping[str, int]) -> str:
    parts = [f"{n} {label}" for label, n in (("failing", statuses.get("FAIL", 0)),
                                             ("unknown", statuses.get("UNKNOWN", 0)),
                                             ("muted", statuses.get("MUTED", 0))) if n]
    return f"{strip_controls(severity)}: {', '.join(parts)}"


def _first(pair: tuple[tuple[Any, ...], Mapping[str, Any]]) -> tuple[Any, ...]:
    return pair[0]


def render_table(document: Mapping[str, Any], *, width: int | None = None,
                 max_rows: int | None = None, html: Path | None = None,
                 summary: bool = True) -> str:
    """``table_pieces`` joined, with cyclic GC paused: at 100,000 secrets every full collection
    walks the whole scan in memory again (14 of 15 s CPU); the table makes no cycles. ``html``:
    the report.html the scan wrote, named where rows are left out. ``summary=False``: without
    the counts line at the end, for `scan`, whose closing line says them (new-user trial 18:
    two near-identical summaries one under the other)."""
    with gc_paused():
        return "".join(table_pieces(document, width=width, max_rows=max_rows, html=html,
                                    summary=summary))


def write_table(document: Mapping[str, Any], out: IO[str], *, width: int | None = None,
                html: Path | None = None, fit: str = "the terminal") -> None:
    """The whole table (every row) written to ``out`` as it is made, in pieces of about a
    megabyte: at 1,000 accounts x 100,000 secrets its 1.85 million lines were held as one
    text (and as a list of lines) beside the rows (`report --in DIR --format table`). A file
    is no terminal: findings.txt's note on a cut cell says the width it was cut to (``fit``)
    and names ``html``, the report.html written with it (new-user trial round 27)."""
    chunk: list[str] = []
    size = 0
    with gc_paused():
        for piece in table_pieces(document, width=width, html=html, fit=fit):
            chunk.append(piece)
            size += len(piece)
            if size >= 1 << 20:
                out.write("".join(chunk))
                chunk, size = [], 0
        out.write("".join(chunk))


def table_pieces(document: Mapping[str, Any], *, width: int | None = None,
                 max_rows: int | None = None, html: Path | None = None,
                 summary: bool = True, fit: str = "the terminal") -> Iterator[str]:
    """The findings as text tables, one per severity, rows ordered by account; then coverage
    gaps, compliance controls (when scoped to a framework), the trust zone and a summary line:
    the text in pieces (``render_table`` joins them; ``write_table`` writes them as they come).
    ``max_rows`` caps the rows per severity (the terminal of a large scan); findings.json and
    the reports have them all. ``fit``: what a cut cell was cut to fit, in the note under the
    rows ("the terminal"; a file says its width).

    Every cell is stripped of control characters so a hostile name cannot drive the terminal.
    """
    asked = width or terminal_width()
    width = max(MIN_WIDTH, asked)
    narrow = width < 100  # narrower terminals get a block per finding (``_stacked``)
    # the blocks and the lines of text are broken at the terminal's own width, down to
    # STACKED_MIN_WIDTH; only the tables keep MIN_WIDTH (new-user trial round 33: at 40
    # columns every block was 60 wide and wrapped again, where `access` and `diff` fit)
    text_width = max(STACKED_MIN_WIDTH, asked) if narrow else width
    cols = [Col("Account", 12, 24, 3)]
    if not narrow:
        cols.append(Col("Region", 9, 14, 1))
    cols += [Col("Status", 7, 7, 1), Col("Rule", 10, 40, 3), Col("Resource", 9, 48, 3),
             Col("Detail", 12, 100, 4, give=0.4)]
    by_severity: dict[str, list[tuple[tuple[Any, ...], Mapping[str, Any]]]] = {
        s: [] for s in SEVERITIES}
    statuses: dict[str, dict[str, int]] = {}
    #: (severity, rule) -> status -> rows: told when rows are left out (``_by_rule_block``)
    by_rule: dict[tuple[str, str], dict[str, int]] = {}
    # the order is decided for every row, the cells are built only for the rows shown; rows
    # share accounts, rules and resources, so each of those values is cleaned once
    cleaned: dict[Any, str] = {}
    names: dict[Any, str] = {}
    #: account id -> its name, as the rows carry it: the NOT ASSESSED table names accounts
    #: as the findings tables do (new-user trial round 29's leftover: ids alone there)
    account_names: dict[str, str] = {}

    def clean(value: Any) -> str:
        try:
            out = cleaned.get(value)
        except TypeError:  # not hashable (schema-valid documents hold strings here)
            return _clean(value)
        if out is None:
            out = cleaned[value] = _clean(value)
        return out

    def short_name(arn: Any) -> str:
        try:
            out = names.get(arn)
        except TypeError:
            return short_resource(_clean(arn))
        if out is None:
            out = names[arn] = short_resource(_clean(arn))
        return out

    # one sort per severity, by what is shown (account, failing first, rule, resource name),
    # then as sorted_findings orders, then in document order
    for f in findings_of(document):
        status = str(f.get("status"))
        if status not in SHOWN_STATUSES:
            continue
        resource = f.get("resource") or {}
        account_name = resource.get("account_name")
        if account_name:
            account_names.setdefault(clean(resource.get("account_id")), clean(account_name))
        severity = str(f.get("severity"))
        counts = statuses.setdefault(severity, {})
        counts[status] = counts.get(status, 0) + 1
        rule = clean(f.get("rule_id"))
        per_rule = by_rule.setdefault((severity, rule), {})
        per_rule[status] = per_rule.get(status, 0) + 1
        key = (clean(resource.get("account_id")), str(status != "FAIL"),
               clean(f.get("rule_id")), short_name(resource.get("arn"))) + sort_key(f)
        by_severity.setdefault(severity, []).append((key, f))
    cut = False
    capped = False  # some severity had more rows than the terminal shows
    shown = False  # a block was given (the next one is preceded by an empty line)
    for severity, keyed in by_severity.items():
        if not keyed:
            continue
        more = ""
        if max_rows is not None and len(keyed) > max_rows:
            capped = True
            # broken between words at the terminal's width (89 characters at 80 columns)
            more = "\n" + "\n".join(wrap_to_width(
                f"... {len(keyed) - max_rows} more {severity} row(s): see findings.json "
                + (f"or {html}" if html is not None
                   else "(or report.html, written with --format html)"), text_width,
                hyphens=False))
            # the rows shown, without sorting the rest (the same rows as sorted()[:max_rows])
            ordered = [f for _, f in heapq.nsmallest(max_rows, keyed, key=_first)]
        else:
            keyed.sort(key=_first)
            ordered = [f for _, f in keyed]
        by_severity[severity] = []  # its sort keys are no longer needed
        if shown:
            yield "\n\n"
        shown = True
        yield _heading(severity, statuses.get(severity, {}))
        for line in (_stacked_lines(ordered, text_width) if narrow else
                     _table_lines(cols, [_row(f, narrow) for f in ordered], width)):
            cut = cut or _CUT in line
            yield "\n" + line
        if more:
            yield more
    blocks: list[str] = []
    if not shown:
        blocks.append("No failing, unassessed or muted findings.")
    elif cut:  # where the whole text is (a new-user trial at 80 columns lost the key part)
        # report.html only when it was written, as the "more rows" note (new-user trial
        # round 8: `--format table --out X` named a report.html that was not there)
        where = (f"findings.json and {html} hold it whole." if html is not None
                 else "findings.json holds it whole (and report.html, written with --format "
                 "html).")
        blocks.append(textwrap.fill(f"{_CUT} marks text cut to fit {fit}: {where}",
                                    text_width))
    if capped:
        blocks.append(_by_rule_block(by_rule, width))
    coverage = [c for c in document.get("coverage") or [] if isinstance(c, Mapping)]
    if coverage:
        # the gaps alike (one per secret a call was for: the resource is not a column) are
        # one row with how many calls they are (new-user trial round 21: 22 identical rows)
        alike: dict[tuple[str, ...], int] = {}
        for c in coverage:
            gap = (_clean(c.get("account_id")), _clean(c.get("region")),
                   _clean(c.get("service")), _clean(c.get("operation")),
                   _clean(c.get("error_code")))
            alike[gap] = alike.get(gap, 0) + 1
        gaps = [[_account({"account_id": account, "account_name": account_names.get(account)}),
                 region, service, operation + (f"\n({n} calls)" if n > 1 else ""),
                 error] for (account, region, service, operation, error), n in alike.items()]
        # a call the audit role was denied (not AssumeRole: the role itself) is fixed in its
        # policy -- after an upgrade, a release that reads more (user trial round 24: kms
        # ListGrants AccessDeniedException, and nothing said what to do)
        denied = any(c.get("error_kind") == "denied" and c.get("operation") != "AssumeRole"
                     for c in coverage)
        hint = ("\n" + textwrap.fill(
            "AccessDenied: the audit role lacks these permissions. `secretgraph iam-policy` "
            "prints the policy this version needs; after an upgrade, update the StackSet "
            "(docs/deployment.md).", width)) if denied else ""
        blocks.append(f"NOT ASSESSED: {len(coverage)} account x region x call"
                      f"{'s' if len(coverage) != 1 else ''}\n" + fit_table(
                          [Col("Account", 12, 24, 3), Col("Region", 9, 14, 1),
                           Col("Service", 7, 16, 1), Col("Operation", 9, 30, 2),
                           Col("Error", 9, 40, 2)], gaps, width) + hint)
    blocks += _compliance_blocks(document, width)
    blocks.append(_fill(strip_controls(trust_zone_line(document)), text_width))
    for applied in (baseline_line(document), suppressions_line(document)):
        if applied is not None:  # file paths and ARN globs whole: broken between words only
            blocks.append("\n".join(wrap_to_width(strip_controls(applied), text_width,
                                                   hyphens=False)))
    if summary:
        blocks.append(_fill(strip_controls(summary_line(document)), text_width))
    yield ("\n\n" if shown else "") + "\n\n".join(blocks) + "\n"


def _by_rule_block(by_rule: Mapping[tuple[str, str], Mapping[str, int]], width: int) -> str:
    """How many failing, unknown and muted rows each rule has, by severity then most rows
    first: what a terminal that shows only the first rows of each severity leaves out
    (new-user trial round 25: 345,809 FAIL rows at 1,000 accounts, and the terminal said only
    "... 245747 more MEDIUM row(s)", not which rules they were)."""
    order = {s: i for i, s in enumerate(SEVERITIES)}
    rows = []
    for (severity, rule), counts in sorted(
            by_rule.items(), key=lambda kv: (order.get(kv[0][0], len(order)),
                                             -sum(kv[1].values()), kv[0][1])):
        rows.append([strip_controls(severity), rule] + [
            f"{counts[st]:,}" if counts.get(st) else "" for st in SHOWN_STATUSES])
    cols = [Col("Severity", 8, 13, 1), Col("Rule", 10, 48, 3)] + [
        Col(label, 7, 9, 1) for label in ("Failing", "Unknown", "Muted")]
    return "Rows by rule (the tables above show the first of each severity):\n" + \
        fit_table(cols, rows, width)


def _compliance_blocks(document: Mapping[str, Any], width: int) -> list[str]:
    """Per-control pass/fail/unknown for the frameworks the scan was scoped to."""
    scope = (document.get("scan") or {}).get("scope") or {}
    frameworks = [str(k) for k in scope.get("compliance") or ()]
    if not frameworks:
        return []
    from reports.compliance import build_compliance

    blocks = []
    for fw in build_compliance(document, frameworks):
        totals = ", ".join(f"{n} {s}" for s, n in fw.status_counts.items() if n)
        rows = [[c.control, c.status + ("*" if c.not_assessed and c.status != "FAIL" else ""),
                 str(c.counts["FAIL"]), str(c.counts["UNKNOWN"]),
                 str(c.counts["PASS"]), ", ".join(c.rules)] for c in fw.controls]
        n = len(fw.controls)
        note = ""
        if any(c.not_assessed and c.status != "FAIL" for c in fw.controls):
            note = "\n" + textwrap.fill(
                "* its rules read what the scan could not (see NOT ASSESSED): its resources "
                "may be there, unjudged", width)
        blocks.append(f"COMPLIANCE {strip_controls(fw.key)}: {n} control{'s' if n != 1 else ''} "
                      f"({totals})\n" + fit_table(
                          [Col("Control", 7, 16, 2), Col("Status", 8, 12, 1),
                           Col("Fail", 4, 6, 1), Col("Unknown", 7, 7, 1), Col("Pass", 4, 6, 1),
                           Col("Rules", 16, 80, 6)], rows, width) + note)
    return blocks
