"""Building a plan from findings: pure (no AWS call), deterministic for the same inputs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from remediations import REMEDIATORS, DefersToFinding, resolve_remediation_id
from scanner.changes import PlanContext, PlannedChange, PlanRefused, RemediationConfig, Remediator
from scanner.engine.suppressions import entry_label
from scanner.errors import UsageError
from scanner.findings import Finding, Status
from scanner.gcpause import collect_frozen
from scanner.model import Snapshot
from scanner.remediate.effects import Predictor
from scanner.remediate.planfile import Plan, Skipped, estate_of, make_plan_id

log = logging.getLogger("secretgraph.remediate")

#: changes predicted between two collections of the frozen leftovers (scanner.gcpause)
_COLLECT_EVERY = 32


@dataclass(frozen=True, kw_only=True, slots=True)
class Selection:
    """The filters: --rule (rule ids or remediation ids), --finding (ids), --account (ids)."""

    rules: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()

    def selects(self, finding: Finding, remediation_id: str | None) -> bool:
        """By rule and finding id (the accounts are ``in_accounts``, also asked of changes).
        A remediation id names the remediator the finding resolves to (``grant-key-decrypt``)
        or the one its rule declares (``repair-cross-account-access``)."""
        if self.rules and not self._named(finding, remediation_id):
            return False
        return not self.findings or finding.id in self.findings

    def _named(self, finding: Finding, remediation_id: str | None) -> bool:
        declared = finding.remediation.get("id") if isinstance(finding.remediation,
                                                                 Mapping) else None
        return finding.rule_id in self.rules or remediation_id in self.rules or \
            declared in self.rules

    @property
    def given(self) -> bool:
        """Any selector given (none: every finding)."""
        return bool(self.rules or self.findings or self.accounts)

    def in_accounts(self, account_id: str) -> bool:
        return not self.accounts or account_id in self.accounts

    def explicit(self, finding: Finding, remediation_id: str | None = None) -> bool:
        """Selected by name (finding id, rule id or remediation id), not just by falling
        inside the defaults."""
        return finding.id in self.findings or self._named(finding, remediation_id)


def _one_line(text: str) -> str:
    """A finding's message on one line, as a not-planned reason quotes it (the plan does not
    show the finding)."""
    return " ".join(text.split())


def build_plan(findings: Sequence[Finding], snapshot: Snapshot, config: RemediationConfig,
               selection: Selection, *, now: datetime | None = None,
               remediators: Mapping[str, Remediator] | None = None, inputs: Any = None,
               accept_access_changes: Sequence[str] = (),
               progress: Callable[[int, int], None] | None = None) -> Plan:
    """Plan a change for every selected FAIL finding that has a remediator.

    Changes on the same target (say one key policy) chain: each later one starts from the
    state the earlier one leaves. Identical changes from several findings are merged.

    Then every change's effect on access and findings is predicted (scanner/remediate/effects:
    ``inputs`` are the rules and config to evaluate with, scanner.pipeline.Inputs; default: the
    built-in rule pack), and a change that would take a reader away or let one in from outside
    the trust zone is refused unless its id is in ``accept_access_changes``.
    """
    table = REMEDIATORS if remediators is None else remediators
    now = now or datetime.now(timezone.utc)
    known_ids = {f.id for f in findings}
    unknown = [f for f in selection.findings if f not in known_ids]
    if unknown:
        raise UsageError(f"--finding {', '.join(unknown)}: no such finding in the findings file")
    if inputs is None:
        from scanner.pipeline import ScanOptions, load_inputs

        inputs = load_inputs(ScanOptions())
    changes: list[PlannedChange] = []
    skipped: list[Skipped] = []
    overlay: dict[str, dict[str, Any]] = {}
    predictor = Predictor(snapshot, inputs, table, accepted=frozenset(accept_access_changes),
                          companion=lambda change, before, lost: companions(
                              change, before, lost, config, overlay))
    position: dict[str, int] = {}  # change id -> index in changes
    ordered = sorted((f for f in findings if f.status is Status.FAIL
                      or (f.id in selection.findings and muted_failure(f))),
                     key=lambda f: (f.resource.account_id, f.resource.arn, f.rule_id, f.id))
    skipped.extend(Skipped(finding_id=f.id, rule_id=f.rule_id,
                           remediation_id=resolve_remediation_id(f)[0],
                           resource_arn=f.resource.arn, reason=not_a_failure(f))
                   for f in findings
                   if f.id in selection.findings and f.status is not Status.FAIL
                   and not muted_failure(f) and selection.in_accounts(f.resource.account_id))
    admitted_since = 0
    for done, finding in enumerate(ordered):
        if progress is not None:
            progress(done, len(ordered))
        if admitted_since >= _COLLECT_EVERY:
            collect_frozen()  # under freezing() (the remediate command): bounded memory
            admitted_since = 0
        rid, why_not = resolve_remediation_id(finding)
        if not selection.selects(finding, rid):
            if finding.id in selection.findings and \
                    selection.in_accounts(finding.resource.account_id):
                # named by its id and left out by --rule: said, not an empty plan with "no
                # FAIL finding matches" (safe-fixes trial round 14)
                named = f"{finding.rule_id} (remediation {rid})" if rid else finding.rule_id
                skipped.append(Skipped(
                    finding_id=finding.id, rule_id=finding.rule_id, remediation_id=rid,
                    resource_arn=finding.resource.arn,
                    reason=f"--rule {','.join(selection.rules)} leaves it out: it is a "
                           f"finding of {named}; name its rule too, or give --finding alone"))
            continue
        # --account selects a finding in the account, and a change in the account planned for
        # a finding elsewhere (a route in a member account for a peering of the central one)
        mine = selection.in_accounts(finding.resource.account_id)

        def skip(reason: str) -> None:
            if not mine:
                return  # a finding of another account: not selected, so not "not planned"
            skipped.append(Skipped(finding_id=finding.id, rule_id=finding.rule_id,
                                   remediation_id=rid, resource_arn=finding.resource.arn,
                                   reason=reason))

        if rid is None:
            found = _one_line(finding.message)
            if isinstance(why_not, DefersToFinding) and found:
                # a reason that defers to the finding's message carries it (new-user trial
                # round 34)
                why_not = f"{why_not}; found: {found}"
            skip(why_not or "no remediation for this rule")
            continue
        module = table.get(rid)
        if module is None:
            steps = str(finding.remediation.get("description") or "").strip().split("\n")[0]
            fixes = finding.evidence.get("fixes") if isinstance(finding.evidence, Mapping) \
                else None
            if isinstance(fixes, list) and fixes:
                # the steps this finding needs, as its predicate named them, not every
                # possible fix of the rule (new-user trial round 37: a Lambda with no route
                # to a NAT gateway was told to accept peerings and renumber VPCs too)
                steps = "; ".join(str(x) for x in fixes)
            # the steps are the rule's, the same for all its findings ("remove the Deny, SCP
            # or RCP the finding names"): the finding's own words say which role, key or
            # route (new-user trial round 34: the plan never named the rotation role)
            found = _one_line(finding.message)
            said = f"found: {found}; " if found else ""
            skip(f"{rid} has no automated remediator; {said}manual steps: {steps}" if steps
                 else f"{rid} has no automated remediator; {said}see the finding's "
                      "remediation")
            continue
        if module.EXPLICIT_ONLY and not selection.explicit(finding, rid):
            if not mine:
                continue  # nothing to say about a finding the selection leaves out
            # the hint to select it is offered only when selecting it would plan something
            try:
                module.plan(finding, snapshot, PlanContext(
                    config=config, explicitly_selected=True, overlay=overlay,
                    secret_access=predictor.secret_access))
            except PlanRefused as exc:
                skip(str(exc))
                continue
            skip(f"{rid} runs only when selected explicitly (--rule {finding.rule_id} or "
                 f"--finding {finding.id})")
            continue
        ctx = PlanContext(config=config, explicitly_selected=selection.explicit(finding, rid),
                          overlay=overlay, secret_access=predictor.secret_access,
                          landing=None if mine else frozenset(selection.accounts))
        try:
            planned: list[PlannedChange] = module.plan(finding, snapshot, ctx)
        except PlanRefused as exc:
            if not _attach(changes, finding.id):
                skip(str(exc))
            continue
        if not planned:
            # an earlier change of this plan fixes it (remove-external-grant of an account
            # took out its root ARN too: the root ARN's finding read "already in the desired
            # state in the snapshot", which it was not; safe-fixes trial round 18)
            if _attach(changes, finding.id):
                continue
            skip("already in the desired state in the snapshot" + (
                " and the changes planned before it" if overlay else "")
                + ": nothing to change")
            continue
        if not mine:
            planned = [c for c in planned if selection.in_accounts(c.account_id)]
        if finding.status is Status.MUTED:  # named by its id: the reviewer sees it is muted
            planned = [replace(c, notes=c.notes + (muted_note(finding),)) for c in planned]
        for change in planned:
            if change.change_id in position:  # the same change for another finding: merge
                i = position[change.change_id]
                existing = changes[i]
                ids = existing.finding_ids + tuple(f for f in change.finding_ids
                                                   if f not in existing.finding_ids)
                changes[i] = replace(existing, finding_ids=ids)
                continue
            if change.target in overlay and change.policy_diff is None:
                skip(f"another change in this plan already edits {change.target}")
                continue
            admitted, refusal = predictor.admit(change)
            admitted_since += 1
            if refusal is not None:
                skipped.extend(Skipped(finding_id=fid, rule_id=change.rule_id,
                                       remediation_id=change.remediation_id,
                                       resource_arn=change.resource_arn, reason=refusal.reason,
                                       change_id=change.change_id, effect=refusal.effect)
                               for fid in change.finding_ids)
                continue
            for kept in admitted:
                position[kept.change_id] = len(changes)
                changes.append(kept)
                state = dict(kept.desired_state)
                if kept.policy_diff is not None:
                    state["policy_text"] = kept.policy_diff.after
                overlay[kept.target] = state
    if progress is not None:
        progress(len(ordered), len(ordered))
    if selection.findings and selection.accounts:
        # a finding named by its id in another account than --account's, no change of it
        # landing there: said, not an empty plan with "no FAIL finding matches" (safe-fixes
        # trial round 14)
        told = {fid for c in changes for fid in c.finding_ids} | {s.finding_id for s in skipped}
        skipped.extend(
            Skipped(finding_id=f.id, rule_id=f.rule_id,
                    remediation_id=resolve_remediation_id(f)[0], resource_arn=f.resource.arn,
                    reason=f"--account {','.join(selection.accounts)} leaves it out: it is a "
                           f"finding of account {f.resource.account_id}, and no change "
                           "planned for it lands in the accounts selected; add its account, "
                           "or give --finding alone")
            for f in ordered if f.id in selection.findings and f.id not in told
            and not selection.in_accounts(f.resource.account_id))
    unused = sorted(set(accept_access_changes) - {c.change_id for c in changes}
                    - {s.change_id for s in skipped})
    if unused:
        raise UsageError(f"--accept-access-change {', '.join(unused)}: no such change in this "
                         "plan")
    created_at = now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    estate = estate_of(snapshot)
    from remediations import move_secret_to_cmk, replicate_secret

    # the changes whose key's policy is a condition (the key a secret moves to, a new
    # replica's key) learn the policies the plan's own key-policy changes lead that key to
    knows = {m.REMEDIATION_ID: m.planned_key_policies
             for m in (move_secret_to_cmk, replicate_secret)}
    frozen = tuple(knows[c.remediation_id](c, changes) if c.remediation_id in knows else c
                   for c in changes)
    max_age = config.max_plan_age_hours
    return Plan(plan_id=make_plan_id(estate, created_at, frozen, max_age),
                created_at=created_at, estate=estate, changes=frozen, skipped=tuple(skipped),
                max_age_hours=max_age)


def _attach(changes: list[PlannedChange], finding_id: str) -> bool:
    """Whether a change planned so far resolves ``finding_id`` (its predicted effect): then
    the finding is that change's too, as a finding whose own change is identical is."""
    for i, change in enumerate(changes):
        resolved = (change.effect or {}).get("findings_resolved") or ()
        if any(isinstance(r, Mapping) and r.get("id") == finding_id for r in resolved):
            if finding_id not in change.finding_ids:
                changes[i] = replace(change, finding_ids=(*change.finding_ids, finding_id))
            return True
    return False


def muted_failure(finding: Finding) -> bool:
    """A FAIL finding a suppression mutes (its ``muted_by.original_status``): planned only
    when ``--finding`` names it -- the suppression is the owner's decision to leave it, the
    id named the decision to fix it (safe-fixes trial round 14)."""
    muted = finding.muted_by
    return finding.status is Status.MUTED and isinstance(muted, Mapping) and \
        muted.get("original_status") == Status.FAIL.value


def muted_note(finding: Finding) -> str:
    """The note of a change planned for a muted finding named by its id."""
    muted = finding.muted_by or {}
    label = entry_label(int(muted.get("entry") or 0), muted.get("file"), muted.get("line"))
    return (f"{finding.id} is muted by {label} "
            f"({str(muted.get('reason'))!r}, until {muted.get('expires')}): planned because "
            "--finding names it")


def not_a_failure(finding: Finding) -> str:
    """Why a finding named by ``--finding`` that did not fail is not planned: the plan said
    "no FAIL finding of the scan matches the selection", of a finding the scan has
    (safe-fixes trial round 14)."""
    muted = finding.muted_by if isinstance(finding.muted_by, Mapping) else {}
    status = finding.status.value
    if finding.status is Status.MUTED:
        original = muted.get("original_status")
        if original is None:
            return ("the finding is MUTED, and findings.json does not say what it was under "
                    "its suppression (written by an earlier version): rescan and plan again")
        status = f"MUTED, and {original} under its suppression"
        if original != Status.UNKNOWN.value:
            return f"the finding is {status}: nothing to fix"
    elif finding.status is not Status.UNKNOWN:
        return f"the finding is {status}: nothing to fix"
    why = f" (the scan could not read {', '.join(finding.missing)})" if finding.missing \
        else f" ({finding.message})" if finding.message else ""
    return (f"the finding is {status}{why}"
            + ": nothing is planned from what the scan could not read; rescan once it can be "
            "read")


def companions(change: PlannedChange, snapshot: Snapshot, lost: Sequence[Mapping[str, Any]],
               config: RemediationConfig,
               overlay: Mapping[str, Mapping[str, Any]]) -> list[PlannedChange]:
    """Changes that keep the readers ``change`` would lose, planned from ``snapshot`` (the
    estate just before ``change``). For move-secret-to-cmk: the key-policy statement that lets
    the secret's current readers decrypt with the new key (grant-key-decrypt), and its
    rotation function's role, among them, rotate it (kms:GenerateDataKey too: the move's
    RotateSecret writes a new version under the key)."""
    if change.remediation_id != "move-secret-to-cmk":
        return []
    from remediations.base import find_key, find_secret, rotation_role
    from remediations.grant_key_decrypt import decrypt_change

    principals = sorted({str(r["principal"]) for r in lost
                         if r["secret_arn"] == change.resource_arn and r["principal"] != "*"})
    if not principals:
        return []
    try:
        secret = find_secret(snapshot, change.resource_arn)
        key = find_key(snapshot, str(change.details["key_arn"]))
        return [decrypt_change(secret, key, principals,
                               PlanContext(config=config, overlay=overlay),
                               finding_ids=change.finding_ids, rule_id=change.rule_id,
                               rotator=rotation_role(snapshot, secret))]
    except PlanRefused as exc:
        log.info("no companion for %s: %s", change.change_id, exc)
        return []
