"""The export stage of a scan: its findings to AWS Security Hub (BatchImportFindings), the
findings resolved since the previous exports archived, and the Workflow.Status of findings
muted or un-muted since (BatchUpdateFindings). ``scanner.pipeline.run_scan`` calls it after the
history is written; the deployment's handler names its target (``SecurityHubTarget``).
``export securityhub`` (scanner/commands/export.py) builds the same payload from files with
reports.hub_payload.build_payload, which ``securityhub_payload`` wraps."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping, Sequence

#: at most this many recorded scans are exported against (the last wholly delivered complete
#: scan's export and those after it): a deployment whose scans are never complete does not
#: read more history every night. The history's pruning keeps them (one constant for both)
from scanner.history.prune import EXPORT_WINDOW

if TYPE_CHECKING:
    from scanner.scan_result import Analysis

__all__ = ["EXPORT_WINDOW", "SecurityHubTarget", "export_securityhub", "export_with_ledger",
           "securityhub_payload", "warn"]


@dataclass(frozen=True, kw_only=True)
class SecurityHubTarget:
    """The export stage: where findings go (the caller builds the clients: it owns the
    credentials). ``mode`` central imports everything into ``central_account``; per-account
    imports each finding from its own account."""

    client_for: Callable[[str, str], Any]  # (account id, region) -> securityhub client
    mode: str = "central"
    central_account: str | None = None
    include_passed: bool = False
    home_region: str | None = None


def warn(line: str) -> None:
    """A warning a nightly job must see: logged, and printed on stderr under -q (which logs
    errors only), as the incomplete-scan warning is."""
    import logging

    history_log = logging.getLogger("secretgraph.history")
    if history_log.isEnabledFor(logging.WARNING):
        history_log.warning("%s", line.removeprefix("warning: "))
    else:
        print(line, file=sys.stderr)


def securityhub_payload(document: Mapping[str, Any], *, graph: Any = None,
                        current_asff: list[dict[str, Any]] | None = None,
                        previous_asff: Sequence[Mapping[str, Any]] = (),
                        mode: str = "per-account", central_account: str | None = None,
                        include_passed: bool = False, home_region: str | None = None,
                        suppressed: frozenset[str] | None = None,
                        ) -> tuple[list[Any], dict[str, int], list[Any]]:
    """The ASFF findings to send (reports.hub_payload.Prepared), counts (current, archived,
    to_send, workflow) and the workflow updates of findings muted or un-muted since the
    previous export (reports.hub_payload.WorkflowUpdate), from a whole findings document;
    reports.hub_payload.build_payload says how CreatedAt is kept and what is archived.
    ``export securityhub`` streams its files into the same function."""
    from reports._common import findings_of
    from reports.hub_payload import Previous, build_payload

    header = {k: v for k, v in document.items() if k != "findings"}
    return build_payload(
        header, findings_of(document) if current_asff is None else None, graph=graph,
        current_asff=current_asff,
        previous=Previous(asff=previous_asff, suppressed=suppressed),
        mode=mode, central_account=central_account, include_passed=include_passed,
        home_region=home_region)


def export_securityhub(analysis: "Analysis",
                       previous: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None,
                       target: SecurityHubTarget, *,
                       suppressed: frozenset[str] | None = None) -> dict[str, Any]:
    """The export stage: this scan's findings (CreatedAt from first_seen) and the previous
    exports' findings resolved since (archived), sent in batches; then the Workflow.Status of
    the findings muted or un-muted since (BatchUpdateFindings: an import cannot change it;
    new-user trial round 6): their count under ``workflow``, their DeliveryReport under
    ``workflow_delivery``. ``previous``: the findings document of the previous export, or
    those of the exports Security Hub may hold, oldest first (``export_with_ledger``);
    ``suppressed``: the findings the exports left SUPPRESSED (reports.hub_ledger)."""
    documents = [] if previous is None else [previous] if isinstance(previous, Mapping) \
        else reversed(list(previous))
    report, _ = _export(analysis, _previous_asff(documents, target.home_region), target,
                        suppressed=suppressed)
    return report


def _previous_asff(documents: Iterable[Mapping[str, Any]], home_region: str | None
                   ) -> list[dict[str, Any]]:
    """The ASFF findings of previous exports (``documents`` NEWEST first, each read once), the
    newest export's of each id: a finding failing in an earlier export that a later one did
    not report is still Security Hub's unless it was archived. A row whose id a newer export
    reported is not built again (the ASFF findings of a large scan take minutes)."""
    from reports._common import findings_of
    from reports.asff import asff_id, build_asff

    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    for document in documents:
        rows = [f for f in findings_of(document) if asff_id(f) not in seen]
        seen.update(asff_id(f) for f in rows)
        out += build_asff({**document, "findings": rows}, home_region=home_region)
    return out


def _export(analysis: "Analysis", previous_asff: list[dict[str, Any]],
            target: SecurityHubTarget, *, suppressed: frozenset[str] | None = None
            ) -> tuple[dict[str, Any], list[Any]]:
    """``export_securityhub``, and the workflow updates it sent (reports.hub_payload)."""
    from reports.securityhub import send_findings, update_workflow

    findings, facts, workflow = securityhub_payload(
        analysis.document, graph=analysis.graph, previous_asff=previous_asff,
        mode=target.mode,
        central_account=target.central_account or analysis.snapshot.meta.central_account,
        include_passed=target.include_passed, home_region=target.home_region,
        suppressed=suppressed)
    del previous_asff[:]
    report = send_findings(findings, client_for=target.client_for).to_json()
    if workflow:
        report["workflow_delivery"] = update_workflow(
            workflow, client_for=target.client_for).to_json()
    return {**report, **facts}, workflow


def _muted_ids(document: Mapping[str, Any]) -> set[str]:
    """The ASFF ids of the document's MUTED findings (imported with Workflow SUPPRESSED)."""
    from reports._common import findings_of
    from reports.asff import asff_id

    return {asff_id(f) for f in findings_of(document)
            if isinstance(f, Mapping) and f.get("status") == "MUTED"}


def export_with_ledger(analysis: "Analysis", target: SecurityHubTarget, store: Any,
                        records: Sequence[Any], ledger: Any,
                        known: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The export stage of a scan recorded in a history: against what the exports left in
    Security Hub, not only the previous complete scan (deployment trial round 2). Security
    Hub holds the findings of the last complete scan whose export was wholly delivered
    (the ledger's ``delivered_through``; without a ledger, the latest complete scan) and of
    every export after it -- an incomplete night's, one whose delivery failed -- so the
    findings of all of those that are resolved now are archived (again, for those already
    archived: an import of the same Id updates it), and the ledger's ``suppressed`` says which
    findings the exports left SUPPRESSED, archived ones too. The ledger is written after the
    export (a store without one, sqlite, works it out from the scans every time); an update
    or import that did not land stays owed: the next export sends it again."""
    from reports.hub_ledger import ExportLedger, next_ledger, suppressed_in

    assert analysis.history is not None
    ids = [r.scan_id for r in records]
    start = None
    if ledger is not None and ledger.delivered_through in ids:
        start = ids.index(str(ledger.delivered_through))
    else:
        complete = [i for i, r in enumerate(records) if r.complete]
        start = complete[-1] if complete else 0
    start = max(start, len(ids) - EXPORT_WINDOW)
    load = getattr(store, "load_document", None) or (lambda i: store.load(i).document)

    def documents() -> Iterator[Mapping[str, Any]]:
        from scanner.history.records import DamagedScan

        for i in reversed(ids[start:]):
            if i in known:
                yield known[i]
                continue
            try:
                yield load(i)
            except DamagedScan as exc:  # after the scan was recorded: a warning, not a failure
                warn(f"warning: history {store.uri}: scan {i!r} is damaged ({exc.detail}); "
                      "the Security Hub export did not read what it exported (its findings "
                      "resolved since are not archived)")

    # one document at a time (at organization scale each is gigabytes once read)
    previous_asff = _previous_asff(documents(), target.home_region)
    if ledger is None:
        ledger = ExportLedger(suppressed=suppressed_in(previous_asff))
    report, updates = _export(analysis, previous_asff, target, suppressed=ledger.suppressed)
    report["exported_against"] = ids[start:]
    write = getattr(store, "set_securityhub_ledger", None)
    if write is not None:
        write(next_ledger(ledger, scan_id=analysis.history.record.scan_id,
                          complete=analysis.history.record.complete, updates=updates,
                          muted=_muted_ids(analysis.document), delivery=report))
    return report
