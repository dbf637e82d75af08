"""Showing a plan to a person: one table row per change, then the calls, the policy diffs and
the predicted effect on access (readers gained / lost, gate by gate) and on findings (resolved /
created). The same content three ways: the terminal text, markdown and a self-contained HTML
page (every value escaped)."""

from __future__ import annotations

import html
import json
import re
from typing import Any, Iterator, Mapping

from tabulate import tabulate

from scanner.changes import PlannedChange, PolicyDiff
from scanner.graph.schema import replica_primary
from scanner.policy.arn import arn_account, arn_region, arn_resource
from scanner.policy.parse import statement_label
from scanner.remediate.planfile import Plan
from scanner.textfit import fit_line, one_line, terminal_safe

#: every value from the audited accounts (names, ARNs, summaries, reasons, notes) goes into
#: the text one line (textfit.one_line): the text is made terminal-safe as a whole only
#: after, which keeps the newlines between lines and so would keep one inside a value
_v = one_line


def _resource(arn: str) -> str:
    return _v(arn_resource(arn))


def _where(arn: str) -> tuple[str, str]:
    """The account and the Region of a resource named by its ARN, shown beside the ARN's
    resource part: a replica's ARN differs from its primary's only by Region, a multi-Region
    key's replica has its primary's key id, and two accounts may hold the same name (review
    of today's merges, round 3: two "Not planned" lines read the same). A replica's graph
    node id (``ARN#REGION``, findings written before replicas had ARNs of their own): the
    Region after the ``#``; an ARN without one (IAM): ``-``."""
    primary = replica_primary(arn)
    region = arn.rpartition("#")[2] if primary else arn_region(arn)
    return _v(arn_account(primary or arn) or "-"), _v(region or "-")


def _organization(plan: Plan) -> str:
    """The plan's organization as its header names it: "organization o-..." or, for accounts
    in none (a scan without an Organization), "no organization" -- not "organization -"
    (new-user trial round 29's leftover)."""
    org = plan.estate.org_id
    return f"organization {org}" if org else "no organization"


def _undo(change: PlannedChange) -> str:
    """Whether `remediate --undo JOURNAL` takes the change back: the plan's undo column in
    every form of it (terminal, Markdown, HTML; plan JSON ``reversible``). The Markdown and
    HTML plans -- what a change review reads -- did not say (new-user trial round 32)."""
    return "yes" if change.reversible else "no"


def render_plan(plan: Plan, *, show_skipped: bool = True, width: int | None = None) -> str:
    """The plan as terminal text. ``width`` (the terminal's columns): a table that would be
    wider is shown as a list instead, its long text wrapped to the width."""
    lines = [fit_line(f"Plan {_v(plan.plan_id)} (created {_v(plan.created_at)}, scan "
                      f"{_v(plan.estate.scan_id)}, {_v(_organization(plan))}): "
                      f"{len(plan.changes)} change(s)", width)]
    if plan.changes:
        # one line each: tabulate breaks a cell at every line boundary (\n, \r, U+2028)
        rows = [[i + 1, _v(c.remediation_id), _v(c.account_id), _v(c.region),
                 _resource(c.resource_arn), _v(c.summary), _undo(c)]
                for i, c in enumerate(plan.changes)]
        table = tabulate(rows, headers=["#", "remediation", "account", "region", "resource",
                                        "change", "undo"], tablefmt="simple")
        if _fits(table, width):
            lines.append(table)
        else:
            for n, remediation, account, region, resource, summary, undo in rows:
                lines.append(f"{n:>3}  {remediation}  {account} {region}  undo: {undo}")
                lines.extend(_wrapped(f"{resource}: {summary}", width))
        for i, change in enumerate(plan.changes):
            lines.append("")
            lines.extend(render_change(i + 1, change, width=width))
    if show_skipped and plan.skipped:
        lines.append("")
        lines.append(f"Not planned ({len(plan.skipped)}):")
        rows = [[_v(s.rule_id), *_where(s.resource_arn), _resource(s.resource_arn),
                 _v(s.reason)] for s in plan.skipped]
        table = tabulate(rows, headers=["rule", "account", "region", "resource", "why"],
                         tablefmt="simple")
        if _fits(table, width):
            lines.append(table)
        else:
            for rule_id, account, region, resource, reason in rows:
                # wrapped between words, the rest under it (new-user trial round 9: the
                # terminal broke an 80-plus-column heading inside the account id)
                lines.extend(_wrapped(f"{rule_id} on {resource} ({account} {region})", width,
                                      indent="  ", rest="    ", whole_words=True))
                lines.extend(_wrapped(str(reason), width))
    return "\n".join(lines)


def _fits(table: str, width: int | None) -> bool:
    return width is None or max(len(line) for line in table.splitlines()) <= width


def _wrapped(text: str, width: int | None, indent: str = "      ",
             rest: str | None = None, *, whole_words: bool = False) -> list[str]:
    """``text`` wrapped on spaces to ``width``, its first line indented by ``indent`` and the
    others by ``rest`` (default: ``indent``); ``whole_words``: a word wider than a line stays
    whole on a line of its own (an id is not cut in two)."""
    import textwrap

    if not whole_words and rest is None:
        from scanner.textfit import wrap_to_width

        # an ARN wider than the line broken after one of its ':' or '/', as scan's table,
        # access and diff break one (new-user trial 20: '...:us-east-1:12345678' / '9012:key/')
        return [indent + line for line in wrap_to_width(
            text, max(40, (width or 100) - len(indent)), hyphens=False)] or [indent.rstrip()]
    return textwrap.wrap(text, width=max(40, (width or 100) - len(indent)),
                         initial_indent=indent,
                         subsequent_indent=indent if rest is None else rest,
                         break_on_hyphens=False,
                         break_long_words=not whole_words) or [indent.rstrip()]


def _at_risk(effect: Mapping[str, Any]) -> str:
    """`` ?N at risk`` beside the readers gained and lost when the change puts readers at risk
    (accepted with --accept-access-change): a reviewer reading only the counts saw "+0 -0"
    (safe-fixes trial round 20)."""
    risky = effect.get("readers_at_risk") or []
    return f" ?{len(risky)} at risk" if risky else ""


def render_change(number: int, change: PlannedChange, *, width: int | None = None) -> list[str]:
    """One change as lines; ``width`` (a terminal's): each line but the policy diff wrapped
    to it between words."""
    out = [f"[{number}] {_v(change.change_id)} {_v(change.remediation_id)} on "
           f"{_v(change.resource_arn)}",
           f"    findings: {', '.join(_v(f) for f in change.finding_ids)}"]
    for call in change.calls:
        params = {k: v for k, v in call.params.items()
                  if not (change.policy_diff and v == change.policy_diff.after)}
        hidden = [k for k in call.params if k not in params]
        shown = json.dumps(params, sort_keys=True)
        out.append(f"    call {_v(call.service)}:{_v(call.operation)} in {_v(call.region)} "
                   f"{shown}" + (f" + {', '.join(_v(h) for h in hidden)} (the policy after, "
                                 "below)" if hidden else ""))
    out = [fit_line(line, width) for line in out]
    if change.policy_diff is not None:
        out.extend(render_policy_diff(change.policy_diff, width=width))
    for note in change.notes:
        out.append(fit_line(f"    note: {_v(note)}", width))
    out.extend(fit_line(f"    {line}", width) for line in effect_lines(change.effect))
    return out


def _gates(reader: Mapping[str, Any]) -> str:
    gates = ", ".join(f"{_v(g)}={_v(v)}"
                      for g, v in (reader.get("gates") or {}).items()) or "no gates"
    if reader.get("cross_account") is False:
        # "Policy evaluation for requests within a single account": the identity policy OR the
        # resource policy allows; a resource_policy=DENIED reader is no contradiction
        gates += "; same account: identity OR resource policy"
    return gates


def effect_lines(effect: Mapping[str, Any] | None) -> Iterator[str]:
    """The predicted effect of one change, as plain lines (every value one line)."""
    if not effect:
        return
    if effect.get("companion_of"):
        yield f"effect: planned with {_v(effect['companion_of'])} to keep its readers (below)"
        return
    gained, lost = effect.get("readers_gained") or [], effect.get("readers_lost") or []
    resolved, created = effect.get("findings_resolved") or [], effect.get("findings_created") or []
    yield (f"effect: readers +{len(gained)} -{len(lost)}{_at_risk(effect)}; findings resolved "
           f"{len(resolved)}, created {len(created)}")
    for r in gained:
        zone = " OUTSIDE the trust zone" if r.get("outside_trust_zone") else ""
        yield f"  + reader {_v(r['principal'])}{zone} -> {_v(r['secret_arn'])} ({_gates(r)})"
    for r in lost:
        yield f"  - reader {_v(r['principal'])} -> {_v(r['secret_arn'])} (was: {_gates(r)})"
    for r in effect.get("readers_at_risk") or ():
        said = []
        if r.get("unknown_gates"):
            said.append(f"{', '.join(_v(g) for g in r['unknown_gates'])} becomes UNKNOWN")
        if r.get("new_conditions"):
            said.append("conditional on " + ", ".join(_v(c) for c in r["new_conditions"]))
        yield (f"  ? reader {_v(r['principal'])} -> {_v(r['secret_arn'])}: "
               f"{'; '.join(said)} ({_gates(r)})")
    for r in effect.get("grants_removed") or ():
        yield (f"  x grant {_v(r['principal'])} -> {_v(r['secret_arn'])} removed from the "
               f"secret policy (not a reader today: {_gates(r)})")
    for f in resolved:
        yield f"  resolved {_v(f['rule_id'])} {_v(f['resource_arn'])}" + (
            f" ({_v(f['principal'])})" if f.get("principal") else "")
    for f in effect.get("findings_withdrawn") or ():
        yield (f"  withdrawn {_v(f['rule_id'])} {_v(f['resource_arn'])}" + (
            f" ({_v(f['principal'])})" if f.get("principal") else "")
            + ": not fixed, the grant it is about is removed")
    for f in created:
        yield f"  created  {_v(f['rule_id'])} {_v(f['resource_arn'])}" + (
            f" ({_v(f['principal'])})" if f.get("principal") else "")
    for f in effect.get("findings_unknown") or ():
        # which finding: two of one rule and secret differ by their principal (safe-fixes
        # trial round 18: the line named neither)
        yield (f"  unknown  {_v(f['rule_id'])} {_v(f['resource_arn'])}" + (
            f" ({_v(f['principal'])})" if f.get("principal") else "")
            + " (its input is read by the next scan)")
    for text in effect.get("accepted") or ():
        yield f"  accepted with --accept-access-change: {_v(text)}"
    if effect.get("companions"):
        yield (f"  together with {', '.join(_v(c) for c in effect['companions'])} "
               "(keeps the readers)")
    proof = effect.get("proof")
    if isinstance(proof, Mapping):
        yield from proof_lines(proof)


def proof_lines(proof: Mapping[str, Any]) -> Iterator[str]:
    """The solver's answer after the change (remediate --prove)."""
    yield f"  proof: {_v(proof.get('question'))}? {_v(proof.get('outside_reader'))}"
    if proof.get("flag"):
        yield f"  !! {_v(proof['flag'])}"
    for a in proof.get("answers") or ():
        yield (f"    {_v(a.get('question'))} {_v(a.get('subject'))}: {_v(a.get('status'))} "
               f"({_v(a.get('reason'))})")
        w = a.get("witness")
        if w:
            req = w.get("request") or {}
            ctx = "; ".join(f"{_v(k)}={','.join(map(_v, v))}"
                            for k, v in (req.get("context") or {}).items())
            # an outside-the-zone caller is one the solver chose (as access --prove says it)
            example = "" if a.get("question") in ("reader-context", "principal-read") else (
                "; an example caller the solver chose, not necessarily one that exists")
            yield (f"      witness: {_v(w.get('principal'))} ({_v(w.get('principal_type'))} in "
                   f"account {_v(w.get('principal_account'))}{example})"
                   + (f", {ctx}" if ctx else ""))
    if proof.get("reason"):
        yield f"    {_v(proof['reason'])}"


#: what makes markdown out of text in a line (not at its start): the backslash itself, code
#: spans, emphasis, links and images (``[x](url)``, ``![t](url)``, ``[x]: url``), table cells,
#: strikethrough, headings' ids; ``<``, ``>`` and ``&`` become entities first
_MARKDOWN = re.compile(r"([\\`*_\[\]()!|~{}#])")


def markdown_text(text: Any) -> str:
    """One value from the audited accounts as inert markdown text for a table cell or a
    heading: one line (terminal_safe: no control or bidi character, no newline), no HTML
    (``<`` and ``&`` as entities) and every markdown metacharacter backslash-escaped, so a
    name renders as the same characters, never as a link, an image, emphasis or a cell."""
    text = _MARKDOWN.sub(r"\\\1", html.escape(terminal_safe(str(text), newlines=False),
                                              quote=False))
    # GFM's autolink extension links, besides <...>, "www." + a domain, "http://", "https://"
    # and "ftp://" + a domain, and "an extended email autolink ... will be recognised when an
    # @ symbol is found" (also after "mailto:" / "xmpp:"): "www\." and "\://" are no longer
    # those (an escaped character ends the match), and an e-mail address is matched in the
    # text after escapes are resolved, so the "@" is followed by an empty HTML comment (a
    # renderer shows nothing for it, GitHub drops it) and no domain follows the "@"
    text = _WWW.sub(r"\1\\.", text).replace("://", "\\://")
    return text.replace("@", "@<!---->")


#: the "www." of a GFM extended www autolink (any case: renderers differ)
_WWW = re.compile(r"(?i)(www)\.")


def html_text(text: Any, *, newlines: bool = False) -> str:
    """One value from the audited accounts for an HTML page: control and bidi characters
    shown as U+FFFD (terminal_safe; newlines kept only for a ``<pre>`` block), then escaped."""
    return html.escape(terminal_safe(str(text), newlines=newlines))


def render_plan_markdown(plan: Plan) -> str:
    """The plan as markdown: a table of changes, then per change its calls and effect."""
    # names, tags and policies are hostile input: no HTML or markdown a viewer would render
    # (markdown_text), no escape sequence for `cat`, no ``` closing a code block early
    cell = markdown_text

    def span(text: str) -> str:  # the text of a code span (no escapes work inside one)
        return terminal_safe(text, newlines=False).replace("`", "'").replace("|", "\\|")

    def code(line: str) -> str:
        return terminal_safe(line, newlines=False).replace("```", "'''")

    lines = [f"# Remediation plan {plan.plan_id}", "",
             f"Created {plan.created_at} from scan {cell(plan.estate.scan_id)}, "
             f"{cell(_organization(plan))}: {len(plan.changes)} change(s).", ""]
    if plan.changes:
        lines += ["| # | change | remediation | account | region | resource | summary | "
                  "readers +/- | findings resolved/created | undo |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for i, c in enumerate(plan.changes, start=1):
            e = c.effect or {}
            lines.append(
                f"| {i} | `{span(c.change_id)}` | {cell(c.remediation_id)} | "
                f"{cell(c.account_id)} | {cell(c.region)} | "
                f"{cell(_resource(c.resource_arn))} | {cell(c.summary)} | "
                f"+{len(e.get('readers_gained') or [])} / -{len(e.get('readers_lost') or [])}"
                f"{_at_risk(e)} | "
                f"{len(e.get('findings_resolved') or [])} / "
                f"{len(e.get('findings_created') or [])} | {_undo(c)} |")
        for i, c in enumerate(plan.changes, start=1):
            lines += ["", f"## {i}. {cell(c.remediation_id)} on {cell(c.resource_arn)}", "",
                      "```"]
            lines += [code(line) for line in render_change(i, c)]
            lines += ["```"]
    if plan.skipped:
        lines += ["", "## Not planned", "",
                  "| rule | account | region | resource | change | why |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {cell(s.rule_id)} | {' | '.join(map(cell, _where(s.resource_arn)))} | "
                  f"{cell(_resource(s.resource_arn))} | "
                  f"{cell(s.change_id or '-')} | {cell(s.reason)} |" for s in plan.skipped]
    return "\n".join(lines) + "\n"


#: the HTML plan's changes are the terminal's at this width: a line fits a browser window's
#: box, so the policy after a change is read without scrolling sideways
HTML_PLAN_WIDTH = 100


def render_plan_html(plan: Plan) -> str:
    """The plan as one self-contained HTML page (no script; every value escaped, its control
    and bidi characters shown as U+FFFD as in the terminal and markdown plans). Each change is
    the terminal plan's at ``HTML_PLAN_WIDTH`` columns (new-user trial round 27: a policy
    statement was one line of 3,000 pixels in a box of 1,216)."""
    e = html_text
    rows = []
    for i, c in enumerate(plan.changes, start=1):
        body = "\n".join(render_change(i, c, width=HTML_PLAN_WIDTH))
        rows.append(f"<section><h2>{i}. {e(c.remediation_id)} on {e(c.resource_arn)}</h2>"
                    f"<p>{e(c.summary)}; undo: {_undo(c)}</p><pre>{e(body, newlines=True)}</pre>"
                    "</section>")
    skipped = "".join(
        f"<tr><td>{e(s.rule_id)}</td>"
        + "".join(f"<td>{e(part)}</td>" for part in _where(s.resource_arn))
        + f"<td>{e(s.resource_arn)}</td>"
        f"<td>{e(s.change_id or '-')}</td><td>{e(s.reason)}</td></tr>" for s in plan.skipped)
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        # laid out at a phone's width, not 980 px shrunk to fit (report.html's viewport)
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Remediation plan {e(plan.plan_id)}</title>"
        "<style>body{font-family:sans-serif;margin:2em}pre{background:#f4f4f4;padding:1em;"
        "overflow-x:auto}td,th{border:1px solid #ccc;padding:.3em;vertical-align:top}"
        "table{border-collapse:collapse}td,h1,h2,p{overflow-wrap:anywhere}"
        ".scroll{overflow-x:auto}@media (max-width:600px){body{margin:1em}}"
        # on paper a scroll box is clipped: a printed plan (a change review) lost the end of
        # its long lines, API parameters and ARNs (new-user trial round 31); they wrap there
        "@media print{body{margin:0}pre{white-space:pre-wrap;overflow-wrap:anywhere}"
        "pre,.scroll{overflow:visible}}</style></head><body>"
        f"<h1>Remediation plan {e(plan.plan_id)}</h1>"
        f"<p>Created {e(plan.created_at)} from scan {e(plan.estate.scan_id)}, "
        f"{e(_organization(plan))}: {len(plan.changes)} change(s).</p>"
        + "".join(rows)
        + (f"<h2>Not planned</h2><div class=\"scroll\"><table><tr><th>rule</th>"
           f"<th>account</th><th>region</th><th>resource</th><th>change</th>"
           f"<th>why</th></tr>{skipped}</table></div>" if plan.skipped else "")
        + "</body></html>\n")


def render_policy_diff(diff: PolicyDiff, *, width: int | None = None) -> list[str]:
    """A policy change statement by statement. ``width`` (a terminal's): a statement whose
    one-line JSON would be wider is shown indented, one key or value a line, each line marked
    ``-`` or ``+`` as a unified diff marks them; a line still wider (a key and an ARN) is
    wrapped, its ARN broken after a ':' or '/', each continuation marked too."""
    out = [f"    {diff.kind}: {diff.size_after} of {diff.size_limit} "
           f"{'bytes' if diff.kind == 'kms-key-policy' else 'characters'} after the change"]
    run: list[Any] = []  # the statements left alone since the last edited one

    def flush() -> None:
        # a run of three or more is one line: an edit of one statement in a long policy
        # printed a line per statement kept (safe-fixes trial: 133 of them)
        if len(run) >= _RUN:
            out.append(f"      = statements {run[0].index}-{run[-1].index}: {len(run)} "
                       "unchanged")
        else:
            out.extend(f"      = {statement_label(u.index, u.sid)}: unchanged" for u in run)
        run.clear()

    for s in diff.statements:
        if s.op == "unchanged":
            run.append(s)
            continue
        flush()
        label = statement_label(s.index, s.sid)
        out.append(f"      ~ {label}: {s.op}")
        for mark, statement in (("-", s.before), ("+", s.after)):
            if statement is not None:
                out.extend(_statement_lines(mark, statement, width))
    flush()
    return out


#: the shortest run of unchanged statements shown as one line
_RUN = 3


def _statement_lines(mark: str, statement: Any, width: int | None) -> list[str]:
    line = f"        {mark} {json.dumps(statement, sort_keys=True)}"
    if width is None or len(line) <= width:
        return [line]
    out: list[str] = []
    for part in json.dumps(statement, sort_keys=True, indent=2).splitlines():
        # a key and its value wider than the terminal (a condition naming a secret's ARN: 143
        # columns at 80, new-user trial round 23) is wrapped as every other line of the plan
        # is -- the ARN broken after a ':' or '/' -- each continuation marked too, under the
        # value's first character
        lead = f"        {mark} "
        depth = len(part) - len(part.lstrip())
        fitted = fit_line(lead + part, width, hang=len(lead) + depth + 2).split("\n")
        out.append(fitted[0])
        out.extend(lead + line[len(lead):] for line in fitted[1:])
    return out
