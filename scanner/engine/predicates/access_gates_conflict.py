"""Intended cross-account access that does not work: an access path (the access analysis'
typed verdict, ``SecretAccess.paths``) from a principal in another account whose secret
resource-policy gate is ALLOWED or CONDITIONAL -- the owner meant to grant it -- while another
gate (key policy, identity policy, SCP) is DENIED -- or the resource policy's own Deny with
NotPrincipal denies a principal it lists, for the principal's permissions boundary alone
(scanner.policy.principals.NOT_PRINCIPAL_BOUNDARY; IAM User Guide, NotPrincipal: "will always
deny any IAM principal that has a permissions boundary policy attached, regardless of the
values specified in the NotPrincipal element"), while an Allow of it applies: the owner named
the principal to keep, the boundary breaks it (ground-truth trial round 12). UNKNOWN when the secret's resource policy was
not read (intent cannot be known), when a gate is UNKNOWN, or when access analysis did not run;
the
identity policies of accounts outside the scan can never be read, so for their principals an
UNKNOWN identity gate alone is out of scope. A principal the resource policy does not name
(itself, or its account with an identity policy that grants this secret rather than every
secret: the access analysis' ``intended``) is not "intended" and is left to the other rules; nor is a principal outside the trust zone and the
config's allowed_external_accounts: secret-policy-external-account reports that grant, with the
gate that blocks it, and remediation never completes it. One FAIL per principal, and one
UNKNOWN per principal a gate of which is undecided (with or without a FAIL beside it)."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.access.verdicts import GATES
from scanner.access.verdicts import denied_for_boundary as _denied_for_boundary
from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result
from scanner.engine.context import RuleContext
from scanner.engine.predicates._access import (denial_blocks, denial_reasons, reader_classes,
                                                secret_access_or_unknown)
from scanner.graph.schema import NodeKind
from scanner.policy.arn import arn_account, iam_entity
from scanner.policy.principals import entry_account, is_account_entry, session_role
from scanner.engine.predicates._common import policy_or_unknown

_GRANTING = ("ALLOWED", "CONDITIONAL")
_OTHER_GATES = GATES[1:]  # the gates after the resource policy's


def access_gates_conflict(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                          args: Mapping[str, Any]) -> Result:
    if ctx.access is None:
        return Result(outcome=UNKNOWN, missing=("access analysis (not run)",))
    policy_attrs = attrs
    if attrs.get("kind") == NodeKind.SECRET_REPLICA.value:
        # a replica carries its primary's resource policy and is read through its own key in
        # its own Region: a read broken there breaks the application after a failover
        # (conformance trial round 8: only primaries were judged)
        primary = attrs.get("primary_arn")
        if not primary or primary not in ctx.graph:
            return Result(outcome=UNKNOWN, missing=(f"primary secret {primary} of the replica "
                                                    "(not in the snapshot)",))
        policy_attrs = ctx.graph.nodes[primary]
    policy, problem = policy_or_unknown(policy_attrs, "resource_policy", "resource policy", ctx)
    if problem is not None:
        return problem
    sessions = _granted_sessions(policy)
    sa, unknown_access = secret_access_or_unknown(ctx, node_id, attrs)
    if unknown_access is not None:
        return unknown_access
    own = sa.account_id
    zone = ctx.index.trust_zone
    allowed = set(ctx.config.allowed_external_accounts)
    broken: list[str] = []
    facts: list[tuple[Any, ...]] = []
    undecided: list[tuple[str, list[str]]] = []
    details: dict[str, Any] = {}
    denied_by: dict[str, list[str]] = {}
    extra: dict[str, dict[str, Any]] = {}
    interned: dict[Any, Any] = ctx.cache.setdefault("interned", {})
    # what a path's gates say depends on its gate verdicts and reasons alone, and the access
    # analysis shares those objects among its paths (a few dozen for a million paths): read
    # once per pair, by identity (the entry holds both, so an id is not reused while cached)
    said: dict[tuple[int, int], tuple[Any, ...]] = ctx.cache.setdefault("gates_said", {})
    for path in sa.paths:
        principal = path.principal
        p_account = path.principal_account
        if p_account == own:
            continue
        if not zone.contains(p_account) and p_account not in allowed:
            continue  # outside the zone: not intended access (secret-policy-external-account)
        gates = path.gates
        if not path.intended:
            continue  # (with record_denied every pair is recorded, meant or not)
        entry = said.get((id(gates), id(path.reasons)))
        if entry is None or entry[0] is not gates or entry[1] is not path.reasons:
            entry = _said(ctx, gates, path.reasons)
            said[(id(gates), id(path.reasons))] = entry
        _, _, granting, denied, unknown_gates, suffix, statuses, blocks = entry
        if not granting:
            continue
        if denied:
            if principal in details:  # several paths of one principal: one finding
                continue
            broken.append(principal)
            role_key = _role_of(principal, p_account) if sessions else None
            named = sessions.get(role_key) if role_key is not None else None
            text = principal + (suffix.replace(" but denied by ", (
                f" to its session{'s' if len(named) > 1 else ''} {', '.join(named)} "
                "but denied by "), 1) if named else suffix)
            # one principal is often denied alike on many secrets: its text and verdicts are
            # held once (read-only values shared by the findings)
            facts.append(("text", interned.setdefault(text, text)))
            verdicts = interned.get((principal, statuses))
            if verdicts is None:
                verdicts = interned[(principal, statuses)] = dict(zip(GATES, statuses))
            details[principal] = verdicts
            denied_by[principal] = interned.setdefault(tuple(denied), denied)
            extra[principal] = blocks
            continue
        if unknown_gates:
            if (unknown_gates == ["identity_policy"]
                    and p_account not in ctx.index.scanned_accounts):
                # a foreign account's identity policies are never readable: out of scope
                continue
            undecided.append((principal, [_undecided_gate(g, gates[g]) for g in unknown_gates]))
    if broken:
        # each principal's finding carries its own gates and reason only; the secret's reader
        # classes are built once and shared by its principals' evidence (read-only)
        classes = reader_classes(ctx, node_id, attrs)

        def with_classes(evidence: dict[str, Any]) -> dict[str, Any]:
            if classes:
                evidence["reader_classes"] = classes
            return evidence

        return Result(outcome=TRUE, principals=tuple(broken), facts=tuple(facts),
                      evidence=with_classes({"gates": details}),
                      principal_messages={p: str(f[1]) for p, f in zip(broken, facts)},
                      principal_evidence={p: with_classes(
                          {"gates": {p: details[p]}, "denied_by": denied_by[p], **extra[p]})
                          for p in broken},
                      # a principal undecided beside them is UNKNOWN, not hidden by their FAIL
                      unknown_principals={p: tuple(texts) for p, texts in undecided
                                          if p not in details})
    if undecided:
        # one UNKNOWN row per undecided principal, as beside a FAIL: its row is the same
        # whether or not another reader is broken (ground-truth trial round 14: it became one
        # row of the secret when the other's FAIL was fixed, and drift saw a resolved and a new)
        return Result(outcome=UNKNOWN, missing=tuple(
            f"{p}: {'; '.join(texts)}" for p, texts in undecided),
            unknown_principals={p: tuple(texts) for p, texts in undecided})
    return Result(outcome=FALSE, facts=(("text", "every intended cross-account reader passes "
                                                 "all gates"),))


def _undecided_gate(gate: str, verdict: Any) -> str:
    """``gate identity_policy (UNKNOWN: permissions boundary ... not collected)``: the gate
    and the inputs it lacks, which its verdict's conditions name (ground-truth trial round 19:
    "missing gate identity_policy (UNKNOWN)" left the reader to run access --why to learn
    that a boundary document was not collected)."""
    lacking = "; ".join(verdict.conditions)
    return f"gate {gate} (UNKNOWN{': ' + lacking if lacking else ''})"


def _granted_sessions(policy: Any) -> dict[tuple[str, str], tuple[str, ...]]:
    """(account, role name) -> the assumed-role session ARNs of that role an Allow of the
    secret policy names, for a role the policy names by no other entry (its ARN, its account):
    its broken read is reported as the role's (a session is evaluated as its role), and the
    message says which session was granted (new-user trial round 22: only access --why named
    it)."""
    if policy is None or not any(session_role(e) for st in policy.statements
                                 if st.effect == "Allow" and st.principal is not None
                                 for e in st.principal.aws):
        return {}
    named: set[str] = set()
    found: dict[tuple[str, str], set[str]] = {}
    for st in policy.statements:
        if st.effect != "Allow" or st.principal is None:
            continue
        for e in st.principal.aws:
            role = session_role(e)
            if role is None:
                named.add(e)
            else:
                found.setdefault(role, set()).add(e)
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for (account, name), arns in found.items():
        if any(is_account_entry(e) and entry_account(e) == account for e in named) or any(
                _role_of(e, account) == (account, name) for e in named):
            continue  # the role is granted by another entry too
        out[(account, name)] = tuple(sorted(arns))
    return out


def _role_of(arn: str, account: str | None) -> tuple[str, str] | None:
    """(account, role name) of an IAM role ARN (its path left out, as a session ARN has
    none), else None."""
    entity = iam_entity(arn)
    if entity is None or entity[0] != "role" or account is None or \
            arn_account(arn) != account:
        return None
    return account, entity[1]


def _said(ctx: RuleContext, gates: Mapping[str, Any], reasons: tuple[str, ...]
          ) -> tuple[Any, ...]:
    """What one path's gates say, whoever the principal: (gates, reasons -- kept so that
    their ids stay theirs --, whether the resource policy grants, the denying gates, the
    undecided ones, the message after the principal, every gate's status, the blocks for
    the evidence). Read-only: shared by every path with these gates and reasons."""
    boundary_deny = _denied_for_boundary(gates["resource_policy"])
    granting = gates["resource_policy"].status in _GRANTING or boundary_deny
    denied = (["resource_policy"] if boundary_deny else []) + [
        g for g in _OTHER_GATES if gates[g].status == "DENIED"]
    unknown_gates = [g for g in _OTHER_GATES if gates[g].status == "UNKNOWN"]
    suffix, blocks = "", {}
    if granting and denied:
        why = denial_reasons(gates, denied)
        blocks = denial_blocks(ctx, gates, denied)
        named = [f"scp ({', '.join(blocks['denied_by_policies'])})"
                 if g == "scp" and "denied_by_policies" in blocks else g for g in denied]
        suffix = (f": granted by the resource policy but denied by "
                  f"{', '.join(named)}{' (' + why + ')' if why else ''}")
    statuses = tuple([gates[g].status for g in GATES])
    return gates, reasons, granting, denied, unknown_gates, suffix, statuses, blocks
