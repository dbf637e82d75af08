"""The export ledger: what the Security Hub exports left there, which a findings document alone
cannot tell (deployment trial round 2).

* ``suppressed``: the findings whose Workflow.Status an export set to SUPPRESSED (imported
  muted, or BatchUpdateFindings) and no export set back to NEW since, archived or not. Security
  Hub never resets SUPPRESSED: "Security Hub CSPM also resets the workflow status from NOTIFIED
  or RESOLVED to NEW in the following cases: RecordState changes from ARCHIVED to ACTIVE"
  (Security Hub API, Workflow) -- so a finding muted, then archived, then back un-muted stays
  SUPPRESSED unless the export sets NEW, and only this set remembers it was muted: the scans
  in between do not report it.
* ``delivered_through``: the last complete scan whose export was wholly delivered (every
  finding imported, every workflow update made). Security Hub holds that scan's findings and
  those of the exports after it (incomplete nights, nights whose delivery failed), so the next
  export archives against all of them, and a night whose delivery failed is repaired by the
  next one rather than forgotten.

Pure: the history store reads and writes it (scanner.history.s3_store, ``securityhub.json``),
the pipeline's export stage updates it (scanner.hub_export.export_securityhub)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from scanner.format_version import is_version, shown

LEDGER_FORMAT = "secretgraph-securityhub-ledger"
LEDGER_VERSION = 1


@dataclass(frozen=True)
class ExportLedger:
    delivered_through: str | None = None
    suppressed: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, Any]:
        return {"format": LEDGER_FORMAT, "version": LEDGER_VERSION,
                "delivered_through": self.delivered_through,
                "suppressed": sorted(self.suppressed)}

    @classmethod
    def from_json(cls, data: Any) -> "ExportLedger":
        """The ledger from its JSON; ValueError when it is not one."""
        if not isinstance(data, Mapping) or data.get("format") != LEDGER_FORMAT:
            raise ValueError("not a secretgraph Security Hub export ledger")
        if not is_version(data.get("version"), LEDGER_VERSION):
            raise ValueError(f"unknown ledger version {shown(data.get('version'))}")
        through = data.get("delivered_through")
        suppressed = data.get("suppressed")
        if (through is not None and not isinstance(through, str)) or \
                not isinstance(suppressed, list) or \
                not all(isinstance(i, str) for i in suppressed):
            raise ValueError("damaged ledger: delivered_through must be a scan id or null, "
                             "suppressed a list of finding ids")
        return cls(delivered_through=through, suppressed=frozenset(suppressed))


def suppressed_in(previous_asff: Sequence[Mapping[str, Any]]) -> frozenset[str]:
    """Without a ledger (a deployment's first export since it was introduced): the findings
    the previous exports left SUPPRESSED -- those muted in the previous exports' ASFF findings
    (the newest export's of each id), as their workflow updates made them."""
    from reports.hub_payload import Previous

    return frozenset(i for i, muted in Previous(asff=previous_asff).muted_states().items()
                     if muted)


def next_ledger(ledger: ExportLedger, *, scan_id: str, complete: bool,
                updates: Iterable[Any], muted: Iterable[str],
                delivery: Mapping[str, Any]) -> ExportLedger:
    """The ledger after an export: the workflow updates made (``updates``: WorkflowUpdate,
    less those ``delivery["workflow_delivery"]["undelivered"]`` names) move their findings in
    or out of ``suppressed``, and so does the import of a muted finding (``muted``: this
    export's, imported SUPPRESSED when Security Hub creates it); one not made leaves it as it
    was, so the next export sends it again. ``delivered_through`` moves to this scan only
    when it is complete and nothing was left undelivered or pending (``delivery``: the export
    stage's report)."""
    workflow = delivery.get("workflow_delivery") or {}
    not_made = {str(u.get("id")) for u in workflow.get("undelivered") or ()}
    not_imported = {str(u.get("id")) for u in delivery.get("undelivered") or ()}
    suppressed = set(ledger.suppressed)
    if not delivery.get("interrupted") and not delivery.get("pending"):
        suppressed.update(i for i in muted if i not in not_imported and i not in not_made)
    for u in updates:
        if u.id in not_made:
            continue
        if u.status == "SUPPRESSED":
            suppressed.add(u.id)
        else:
            suppressed.discard(u.id)
    wholly = (not delivery.get("undelivered") and not delivery.get("interrupted")
              and not delivery.get("pending") and not workflow.get("undelivered")
              and not workflow.get("interrupted") and not workflow.get("pending"))
    return ExportLedger(delivered_through=scan_id if complete and wholly
                        else ledger.delivered_through, suppressed=frozenset(suppressed))
