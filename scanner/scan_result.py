"""What a scan hands on: ``Analysis`` (the snapshot, graph, access report, findings and their
document, exit code, drift) and ``HistoryOutcome`` (what the history stage recorded and
compared with). Data only, so that the stages after the analysis -- the history stage, the
summary line, the Security Hub export -- read it without importing the orchestrator
(scanner.pipeline)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

import networkx as nx

from scanner.access import AccessReport
from scanner.findings import Finding
from scanner.model import Snapshot

if TYPE_CHECKING:
    from scanner.history.drift import Drift
    from scanner.history.records import ScanRecord


@dataclass(frozen=True, kw_only=True)
class Analysis:
    snapshot: Snapshot
    graph: nx.MultiDiGraph
    access: AccessReport
    findings: list[Finding]
    document: dict[str, Any]
    exit_code: int
    drift: Mapping[str, Any] | None = None
    api_calls: Mapping[str, int] = field(default_factory=dict)
    snapshot_path: Path | None = None
    history: "HistoryOutcome | None" = None  # set when a history store was given
    securityhub: Mapping[str, Any] | None = None  # the export stage's delivery report


@dataclass(frozen=True, kw_only=True)
class HistoryOutcome:
    """What the history stage did: the record stored, and what it was compared with."""

    record: "ScanRecord"
    previous: "ScanRecord | None"
    drift: "Drift | None"
    #: damaged scans skipped as the previous scan (a warning named each; the summary line
    #: names them beside the scan the drift is against)
    skipped: "tuple[str, ...]" = ()
