"""The Security Hub payload, built one finding at a time: what ``export securityhub`` and the
scan's export stage send (this scan's findings, and the previous export's failing findings
resolved since, archived).

Each ASFF finding is held as its JSON text (``Prepared``), its limits enforced, validated and
its target known, and becomes a dict again only in the batch that sends it: at 100,000 secrets
(345,809 findings) the ASFF dicts alone took 2.6 GB, and the findings document they were built
from another 2.1 GB (docs/scale.md). The current findings may be a stream of findings.json
rows (reports.json_out.stream_findings_json), and a previous findings.json is read twice as
a stream (once for the CreatedAt of each finding, once for what it reported failing) rather
than held.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

from reports.asff import (
    COMPLIANCE_STATUS,
    is_undecided,
    rule_and_resource,
    archive_resolved,
    asff_id,
    created_at_index,
    created_at_of_rows,
    earliest_created,
    enforce_limits,
    retarget_central,
    target_of,
    to_asff,
    validate_asff,
)
from reports.json_out import decode_row, encode_row
from scanner.errors import UsageError
from scanner.gcpause import gc_paused


@dataclass(frozen=True, slots=True)
class Prepared:
    """One ASFF finding ready to send: limits enforced, checked against the Security Hub model
    (``problems``: empty when valid), and its (account, Region) target."""

    id: str
    target: tuple[str, str]
    problems: tuple[str, ...]
    blob: bytes  # the finding, JSON, deflated

    def finding(self) -> dict[str, Any]:
        finding: dict[str, Any] = decode_row(zlib.decompress(self.blob))
        return finding


def prepare(finding: Mapping[str, Any]) -> Prepared:
    f = enforce_limits(finding)
    # deflated: 4 KB of JSON a finding at 100,000 secrets becomes about 1 KB, and the bytes
    # object is exactly that long (orjson's own keeps its buffer: about 9 KB a finding)
    return Prepared(id=str(f.get("Id")), target=target_of(f),
                    problems=tuple(validate_asff(f)), blob=zlib.compress(encode_row(f), 1))


@dataclass(frozen=True, slots=True)
class WorkflowUpdate:
    """A finding whose muted state changed since the previous export: its Workflow.Status is
    set with BatchUpdateFindings (reports.securityhub.update_workflow). Security Hub API,
    BatchImportFindings: "After a finding is created, BatchImportFindings cannot be used to
    update ... Workflow"; BatchUpdateFindings updates Workflow, FindingIdentifiers being "the
    finding identifier and the ARN of the finding provider" (new-user trial round 6)."""

    id: str
    product_arn: str
    target: tuple[str, str]  # (account, Region) the finding was imported into
    status: str  # SUPPRESSED (muted since) or NEW (un-muted since)
    rule_id: str = ""  # for people: the dry run lists them
    resource: str = ""


def _muted(finding: Mapping[str, Any]) -> bool:
    """An ASFF finding of ours is muted: status MUTED, imported Workflow SUPPRESSED; an archived
    one when it was muted as it was archived (Workflow SUPPRESSED kept on the archived record)."""
    fields = finding.get("ProductFields") or {}
    if finding.get("RecordState") == "ARCHIVED":
        return (finding.get("Workflow") or {}).get("Status") == "SUPPRESSED"
    if fields.get("secretgraph/status"):
        return fields.get("secretgraph/status") == "MUTED"
    return (finding.get("Workflow") or {}).get("Status") == "SUPPRESSED"


@dataclass(frozen=True)
class Previous:
    """The previous export: an ASFF list, or a findings.json's header and a way to read its
    rows again (each call starts over)."""

    asff: Sequence[Mapping[str, Any]] = ()
    header: Mapping[str, Any] | None = None
    rows: Callable[[], Iterable[Mapping[str, Any]]] | None = None
    home_region: str | None = None
    #: the findings the exports left SUPPRESSED in Security Hub (reports.hub_ledger: the
    #: deployment keeps it in its history); None: known from this previous export alone
    suppressed: frozenset[str] | None = None

    def created(self) -> dict[str, str]:
        """Finding id -> the CreatedAt the previous export gave it."""
        if self.rows is None or self.header is None:
            return created_at_index(self.asff)
        return created_at_of_rows(self.rows(), self.header)

    def muted_states(self) -> dict[str, bool]:
        """Finding id -> muted, for the previous export's findings Security Hub holds: FAILED
        or WARNING (FAIL, MUTED, UNKNOWN), and those it archived, muted when archived with
        Workflow.Status SUPPRESSED (reports.asff.archive_resolved keeps it): Security Hub
        "resets the workflow status from NOTIFIED or RESOLVED to NEW" when "RecordState
        changes from ARCHIVED to ACTIVE" (Security Hub API, Workflow), never from SUPPRESSED,
        so a finding archived while muted and back un-muted needs NEW (deployment trial
        round 2); one archived un-muted and back muted needs SUPPRESSED."""
        if self.rows is None or self.header is None:
            return {str(f.get("Id")): _muted(f) for f in self.asff
                    if (f.get("Compliance") or {}).get("Status") in ("FAILED", "WARNING")
                    or f.get("RecordState") == "ARCHIVED"}
        return {asff_id(row): row.get("status") == "MUTED" for row in self.rows()
                if COMPLIANCE_STATUS.get(str(row.get("status"))) in ("FAILED", "WARNING")}

    def failing(self, failing_now: set[str]) -> Iterator[Mapping[str, Any]]:
        """The previous export's ASFF findings that may be archived: those not failing now
        (archive_resolved keeps the FAILED or WARNING, not archived, assessed ones)."""
        if self.rows is None or self.header is None:
            yield from self.asff
            return
        for row in self.rows():
            if COMPLIANCE_STATUS.get(str(row.get("status"))) in ("FAILED", "WARNING") and \
                    asff_id(row) not in failing_now:
                yield to_asff(row, self.header, created_at=row.get("first_seen"),
                              home_region=self.home_region)


def build_payload(header: Mapping[str, Any], rows: Iterable[Mapping[str, Any]] | None, *,
                  graph: Any = None, current_asff: Iterable[Mapping[str, Any]] | None = None,
                  previous: Previous = Previous(), mode: str = "per-account",
                  central_account: str | None = None, include_passed: bool = False,
                  home_region: str | None = None
                  ) -> tuple[list[Prepared], dict[str, int], list[WorkflowUpdate]]:
    """The findings to send, counts (current, archived, to_send, workflow) and the workflow
    updates: the current findings (not PASSED) that were in the previous export, not
    archived, and were muted then and are not now (NEW) or the other way round (SUPPRESSED).

    ``header``: the findings document (its rows are not read from it); ``rows`` its findings,
    or ``current_asff`` an ASFF export instead. CreatedAt / FirstObservedAt: the previous
    export's CreatedAt for the same id and the finding's ``first_seen`` (carried by the
    history stage): the earlier of the two, either one alone (reports.asff.earliest_created). Findings failing in the previous export and resolved now are sent as
    PASSED + ARCHIVED (only where this scan assessed them: reports.asff.archive_resolved)."""
    central = None
    if mode == "central":
        central = central_account or ((header.get("scan") or {}).get("central_account"))
        if not central:
            if (header.get("scan") or {}).get("central_account_source") == "withheld":
                # fault trial round 3: a throttled central listing made a member "central"
                raise UsageError("--mode central needs --central-account: the scan withheld "
                                 "its central-account inference (an account's Secrets "
                                 "Manager listing was not read, docs/collection.md)")
            raise UsageError("--mode central needs --central-account (the scan names none)")
        if not (len(str(central)) == 12 and str(central).isdigit()):
            raise UsageError(f"--central-account must be a 12-digit account id, got {central!r}")

    def ready(f: Mapping[str, Any]) -> Prepared:
        return prepare(retarget_central(f, str(central)) if central else f)

    created = previous.created()
    has_previous = bool(previous.asff) or previous.rows is not None
    suppressed = previous.suppressed
    was_muted = previous.muted_states() if has_previous and suppressed is None else {}
    updates: list[WorkflowUpdate] = []
    current_n = 0
    failing_now: set[str] = set()  # ids of the current findings that are not PASSED
    failing_keys: set[tuple[str, str]] = set()  # and their (rule id, resource id)
    #: (rule id, resource id) of the current UNKNOWN findings that name no principal
    undecided_keys: set[tuple[str, str]] = set()
    #: in the findings' order; a PASSED one (sent only with include_passed) is flagged: the
    #: previous export's finding of the same id archived below replaces it
    current: list[tuple[bool, Prepared]] = []
    if current_asff is None:
        asff: Iterable[Mapping[str, Any]] = (
            to_asff(f, header, graph=graph,
                    created_at=earliest_created(created.get(str(f.get("id"))),
                                                f.get("first_seen")),
                    home_region=home_region)
            for f in rows or () if isinstance(f, Mapping))
    else:
        asff = _with_created(current_asff, created)
    with gc_paused():  # a Prepared per finding, long-lived, no cycles (scanner.gcpause)
        for f in asff:
            current_n += 1
            if (f.get("Compliance") or {}).get("Status") == "PASSED":
                if include_passed:
                    current.append((True, ready(f)))
                continue
            fid = str(f.get("Id"))
            failing_now.add(fid)
            if (f.get("ProductFields") or {}).get("secretgraph/principal"):
                failing_keys.add(rule_and_resource(f))
            elif is_undecided(f):
                undecided_keys.add(rule_and_resource(f))
            prepared = ready(f)
            current.append((False, prepared))
            muted = _muted(f)
            if suppressed is not None:
                # the ledger knows what the exports left SUPPRESSED, archived findings too:
                # a muted finding not among them gets SUPPRESSED (held NEW, or reset to NEW
                # when re-activated; a new one's import already sets it: the same again), an
                # un-muted one among them NEW (deployment trial round 2)
                changed = (fid in suppressed) != muted and (has_previous or not muted)
            else:
                changed = fid in was_muted and was_muted[fid] != muted
            if changed:
                updates.append(WorkflowUpdate(
                    id=prepared.id, product_arn=str(prepared.finding().get("ProductArn")),
                    target=prepared.target, status="SUPPRESSED" if muted else "NEW",
                    rule_id=rule_and_resource(f)[0],
                    resource=str(((f.get("Resources") or [{}])[0]).get("Id") or "")))
    archived = archive_resolved(previous.failing(failing_now), failing_now, header,
                                current_keys=failing_keys,
                                undecided_keys=undecided_keys) if has_previous else []
    archived_ids = {str(f["Id"]) for f in archived}
    send = [p for was_passed, p in current if not (was_passed and p.id in archived_ids)]
    del current
    send += [ready(f) for f in archived]
    return send, {"current": current_n, "archived": len(archived), "to_send": len(send),
                  "workflow": len(updates)}, updates


def _with_created(findings: Iterable[Mapping[str, Any]], created: Mapping[str, str]
                  ) -> Iterator[Mapping[str, Any]]:
    for f in findings:
        fid = str(f.get("Id"))
        if fid in created:  # the earlier of the two (earliest_created), as a scan writes it
            at = earliest_created(created[fid], f.get("CreatedAt")) or created[fid]
            f = {**f, "CreatedAt": at, "FirstObservedAt": at}
        yield f
