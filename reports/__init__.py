"""Report writers: one explicit table from format name to writer.

``write_reports(analysis, out_dir, formats, drift=None)`` writes each requested format into
``out_dir`` and returns the paths written. ``analysis`` is a ``scanner.pipeline.Analysis`` (or
anything with ``document`` and ``graph`` attributes): renderers read the findings document
(findings.json contract) and, for the HTML pictures and ASFF resource details, the graph.
Only ``reports.securityhub`` talks to AWS, and only with clients handed to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence

import networkx as nx

from scanner.errors import UsageError


class AnalysisLike(Protocol):
    @property
    def document(self) -> Mapping[str, Any]: ...

    @property
    def graph(self) -> Any: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class ReportContext:
    document: Mapping[str, Any]
    graph: nx.MultiDiGraph | None
    drift: Mapping[str, Any] | None
    #: finding id -> a CreatedAt known from before (the scan hands each finding's first_seen);
    #: the ASFF writer takes the earlier of it and the previous export's in the same place
    previous_created_at: Mapping[str, str]
    access: Any = None  # scanner.access.AccessReport (typed verdicts) when it is at hand
    #: findings.json layout: "complete" (the contract's rows) or "compact" (schema_version 2)
    findings_layout: str = "complete"
    #: the formats written together (findings.txt names the report.html beside it)
    formats: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True, slots=True)
class Writer:
    filename: str
    description: str
    write: Callable[[ReportContext, Path], Path]


def _table(ctx: ReportContext, path: Path) -> Path:
    from reports.table import DEFAULT_WIDTH, write_table

    with path.open("w", encoding="utf-8") as fh:
        write_table(ctx.document, fh, width=DEFAULT_WIDTH, fit=f"{DEFAULT_WIDTH} columns",
                    html=Path(WRITERS["html"].filename) if "html" in ctx.formats else None)
    return path


def _json(ctx: ReportContext, path: Path) -> Path:
    from reports.json_out import write_findings_json

    return write_findings_json(ctx.document, path, compact=ctx.findings_layout == "compact")


def _jsonl(ctx: ReportContext, path: Path) -> Path:
    from reports.json_out import write_findings_jsonl

    return write_findings_jsonl(ctx.document, path)


def _html(ctx: ReportContext, path: Path) -> Path:
    from reports.html import write_html

    return write_html(ctx.document, path, graph=ctx.graph, drift=ctx.drift, access=ctx.access)


def _asff(ctx: ReportContext, path: Path) -> Path:
    from reports.asff import created_at_of_file, earliest_created, iter_asff, write_asff

    # the previous export in the same place keeps CreatedAt stable (the scan copies it into
    # its staging folder: OutputSet.carry_over), read one finding at a time; against the
    # first_seen handed in (the scan's, carried through --history) the earlier one wins --
    # not the first_seen always: without --history that is this scan's start (review of
    # today's merges, round 3: "32 of 32 findings changed CreatedAt")
    created = created_at_of_file(path) if path.exists() else {}
    for key, value in ctx.previous_created_at.items():
        created[key] = earliest_created(created.get(key), value) or value
    # streamed one finding at a time (org-scale trial round 2), after the previous file is read
    return write_asff(iter_asff(ctx.document, graph=ctx.graph, created_at=created), path)


def _ocsf(ctx: ReportContext, path: Path) -> Path:
    from reports.ocsf import write_ocsf

    return write_ocsf(ctx.document, path)


def _junit(ctx: ReportContext, path: Path) -> Path:
    from reports.junit import write_junit

    return write_junit(ctx.document, path)


def _csv(ctx: ReportContext, path: Path) -> Path:
    from reports.csv_out import write_csv

    return write_csv(ctx.document, path)


#: format name -> writer. The order is the order files are written.
WRITERS: dict[str, Writer] = {
    "table": Writer(filename="findings.txt", description="text tables by severity and account",
                    write=_table),
    "json": Writer(filename="findings.json", description="findings.json (schema-checked)",
                   write=_json),
    "jsonl": Writer(filename="findings.jsonl",
                    description="JSON Lines: one findings.json finding per line",
                    write=_jsonl),
    "html": Writer(filename="report.html", description="self-contained HTML report",
                   write=_html),
    "asff": Writer(filename="findings.asff.json",
                   description="AWS Security Finding Format for Security Hub", write=_asff),
    "ocsf": Writer(filename="findings.ocsf.jsonl",
                   description="OCSF Compliance Finding (2003) JSON lines", write=_ocsf),
    "junit": Writer(filename="junit.xml", description="JUnit XML, one case per rule x resource",
                    write=_junit),
    "csv": Writer(filename="findings.csv", description="CSV, one row per finding", write=_csv),
}

#: the format names, in the order they are written
FORMATS: tuple[str, ...] = tuple(WRITERS)


def parse_formats(text: str | Sequence[str]) -> list[str]:
    """``"html,json"`` (or a list) -> known format names, in order, without duplicates."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out: list[str] = []
    for item in (i.strip().lower() for i in items):
        if not item:
            continue
        if item not in WRITERS:
            from difflib import get_close_matches

            near = get_close_matches(item, list(WRITERS), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]}? " if near else ""
            raise UsageError(f"--format: unknown report format {item!r} ({hint}known: "
                             f"{', '.join(WRITERS)})")
        if item not in out:
            out.append(item)
    if not out:
        raise UsageError(f"--format: no report format given (known: {', '.join(WRITERS)})")
    return out


def write_reports(analysis: AnalysisLike, out_dir: Path, formats: Sequence[str],
                  drift: Mapping[str, Any] | None = None, *,
                  previous_created_at: Mapping[str, str] | None = None,
                  findings_layout: str = "complete") -> list[Path]:
    """Write every requested format into ``out_dir``; returns the files written, in order.
    ``findings_layout``: findings.json with complete rows (default) or "compact"."""
    names = parse_formats(formats)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    graph = getattr(analysis, "graph", None)
    ctx = ReportContext(document=analysis.document,
                        graph=graph if isinstance(graph, nx.MultiDiGraph) else None,
                        drift=drift,
                        previous_created_at={} if previous_created_at is None
                        else previous_created_at,  # not ``or``: that would ask its length
                        access=getattr(analysis, "access", None),
                        findings_layout=findings_layout, formats=tuple(names))
    return [WRITERS[name].write(ctx, out_dir / WRITERS[name].filename) for name in names]
