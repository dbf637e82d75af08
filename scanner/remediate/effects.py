"""What a plan does to access, predicted before anything is applied; and refusing what breaks it.

Every planned change is applied to an in-memory copy of the snapshot (the remediator's pure
``simulate``), then access analysis and the rules run again (``scanner.pipeline.analyze``, the
same code as a scan). Per change the plan records:

* readers gained and lost: principal, secret (or replica, by its own ARN, with
  ``replica_of``), and the verdict of every gate; and readers at risk: still readers, but a
  gate that allowed them becomes UNKNOWN (not proven kept); and grants removed: in-zone
  principals the secret policy stops granting while another gate keeps them from reading;
* findings resolved (failing before, neither failing nor UNKNOWN after) and created (failing
  after, not before);
* findings that become UNKNOWN: the change makes a rule apply whose input the scan could not
  read (a key whose deletion is cancelled: its rotation status; a read the key now allows
  whose SCPs were not read); the rescan tells. A FAIL that becomes UNKNOWN is listed here, not
  as resolved.

A change is **refused** (listed as not planned, with the readers affected) when it

* removes a reader that is intended (or puts it at risk): any reader inside the trust zone,
  except the principals the change exists to remove; or
* adds a reader outside the trust zone (public, or an account outside the organization, the
  scanned accounts and the allow-list: the access analysis' own ``unintended_paths`` test); or
* adds a reader, inside the zone too, to a secret the change is not for (``subjects``: a
  change to one secret is for that secret and its replicas, a grant-key-decrypt statement for
  the secret it lets the readers decrypt).

unless the user accepts that exact change with ``--accept-access-change CHANGE_ID``. Where a
companion change keeps every reader, both are planned together: ``move-secret-to-cmk`` gets the
key-policy statement that lets the secret's current readers decrypt with the new key
(``grant-key-decrypt``), ordered before the move so no reader is ever without access. Readers of
a secret on ``aws/secretsmanager`` are all in the secret's own account (no other account can use
that key), and a key policy that names a same-account principal is enough on its own, so no
identity-policy addition is needed to keep them.

The trust-zone check is the access analysis' (scanner/access: ``AccessPath.in_zone`` /
``allow_listed`` / ``principal_type == "public"``, from AccessSettings built by
``scanner.pipeline.access_settings``), made in ``violations`` below.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Collection, Mapping, Sequence

from scanner.access.report import AccessPath, AccessReport, SecretAccess
from scanner.changes import PlanRefused, PlannedChange, Remediator
from scanner.engine.loader import Rule
from scanner.findings import Finding, Status
from scanner.model import Snapshot

log = logging.getLogger("secretgraph.remediate")

#: gate decisions under which a principal reads a secret
_READS = ("ALLOWED", "CONDITIONAL")


@dataclass(frozen=True, kw_only=True, slots=True)
class EstateView:
    """One snapshot, analysed: its readers and its failing findings."""

    snapshot: Snapshot
    access: AccessReport
    failing: Mapping[str, Finding]
    unknown: Mapping[str, Finding]
    graph: Any = None  # the analysed graph (the solver asks its questions over it)

    def _copies(self) -> list[tuple[str, SecretAccess]]:
        """Every secret and every replica, by its own ARN (a replica is read through its own
        key in its own region: it has readers of its own -- safe-fixes trial, defect 3: a
        replica's outside reader was missing from every effect)."""
        return [*self.access.secrets.items(), *self.access.replicas.items()]

    def readers(self) -> dict[tuple[str, str], AccessPath]:
        return {(arn, p.principal): p for arn, s in self._copies()
                for p in s.paths if p.decision in _READS}

    def paths(self) -> dict[tuple[str, str], AccessPath]:
        """Every recorded path (readers, broken intended paths, named outsiders)."""
        return {(arn, p.principal): p for arn, s in self._copies() for p in s.paths}

    def outside(self) -> set[tuple[str, str]]:
        """(secret or replica, principal) of readers outside the trust zone and the
        allow-list."""
        return {(arn, p.principal) for arn, s in self._copies() for p in s.unintended_paths}

    def primary_of(self) -> dict[str, str]:
        """Replica ARN -> its primary's ARN (the graph's replica nodes)."""
        if self.graph is None:
            return {}
        from scanner.access.graph_io import secret_copies

        return {arn: str(attrs["primary_arn"]) for arn, _node, attrs, is_replica
                in secret_copies(self.graph) if is_replica}


def view_of(snapshot: Snapshot, inputs: Any, judged: frozenset[str] | None = None
            ) -> EstateView:
    """Access analysis and the rules over ``snapshot`` (``inputs``: scanner.pipeline.Inputs);
    of its secrets only those in ``judged`` when given (``Scope.judged``)."""
    from scanner.pipeline import analyze

    analysis = analyze(snapshot, inputs, judged=judged)
    return EstateView(snapshot=snapshot, access=analysis.access, graph=analysis.graph,
                      failing={f.id: f for f in analysis.findings if f.status is Status.FAIL},
                      unknown={f.id: f for f in analysis.findings
                               if f.status is Status.UNKNOWN})


def _reader_json(path: AccessPath, secret_arn: str,
                 primary: str | None = None) -> dict[str, Any]:
    """One reader; ``secret_arn`` the ARN it reads (a replica's own), ``primary`` the replica's
    primary (``replica_of``: only on a replica's reader)."""
    out = {"secret_arn": secret_arn, "principal": path.principal,
           "principal_account": path.principal_account, "decision": path.decision,
           "gates": {gate: v.status for gate, v in sorted(path.gates.items())},
           "cross_account": path.cross_account, "in_zone": path.in_zone}
    if primary is not None:
        out["replica_of"] = primary
    return out


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"id": f.id, "rule_id": f.rule_id, "resource_arn": f.resource.arn,
            "principal": f.principal, "severity": f.severity.value}


def effect_between(before: EstateView, after: EstateView) -> dict[str, Any]:
    """The effect of going from ``before`` to ``after`` (JSON, sorted)."""
    old, new = before.readers(), after.readers()
    primaries = {**before.primary_of(), **after.primary_of()}

    def reader(path: AccessPath, k: tuple[str, str], **extra: Any) -> dict[str, Any]:
        return dict(_reader_json(path, k[0], primaries.get(k[0])), **extra)

    gained = [reader(new[k], k) for k in sorted(set(new) - set(old))]
    lost = [reader(old[k], k) for k in sorted(set(old) - set(new))]
    at_risk = []  # readers kept, but not proven kept: ``_at_risk``
    for k in sorted(set(old) & set(new)):
        went, newly = _at_risk(old[k], new[k])
        if went or newly:
            extra: dict[str, Any] = {"new_conditions": newly} if newly else {}
            at_risk.append(reader(new[k], k, unknown_gates=went, **extra))
    outside = after.outside()
    for r in gained:
        r["outside_trust_zone"] = (r["secret_arn"], r["principal"]) in outside
    removed = [dict(r, replica_of=primaries[r["secret_arn"]])
               if r["secret_arn"] in primaries else r for r in _grants_removed(before, after, old)]
    withdrawn_keys = {(r["secret_arn"], r["principal"]) for r in removed}
    # a finding that FAILs before and is UNKNOWN after is not resolved: it is listed as made
    # UNKNOWN (safe-fixes trial round 18: a grant-key-decrypt whose reader's SCPs were not
    # read said "resolved 1" and "unknown" of the one finding, and the rescan said UNKNOWN)
    gone = [before.failing[i] for i in sorted(set(before.failing) - set(after.failing)
                                              - set(after.unknown))]
    # a finding about a principal whose grant the change removes is not fixed: the read it
    # reported as broken is deleted, not restored (safe-fixes trial, defect 2)
    resolved = [_finding_json(f) for f in gone
                if (f.resource.arn, f.principal) not in withdrawn_keys]
    withdrawn = [_finding_json(f) for f in gone
                 if (f.resource.arn, f.principal) in withdrawn_keys]
    created = [_finding_json(after.failing[i]) for i in sorted(set(after.failing)
                                                               - set(before.failing))]
    unknown = [_finding_json(after.unknown[i]) for i in sorted(set(after.unknown)
                                                               - set(before.unknown))]
    out = {"readers_gained": gained, "readers_lost": lost, "readers_at_risk": at_risk,
           "findings_resolved": resolved,
           "findings_created": created, "findings_unknown": unknown}
    if removed or withdrawn:  # keys of their own: plans without them read as before
        out.update(grants_removed=removed, findings_withdrawn=withdrawn)
    return out


def _at_risk(old: AccessPath, new: AccessPath) -> tuple[list[str], list[str]]:
    """Why a reader kept by a change is not proven kept: the gates that allowed it and are
    UNKNOWN after, and the conditions its read comes to depend on -- of a gate the read needs
    that is CONDITIONAL after on a condition it was not before (in the secret's own account
    the resource and identity gates are alternatives: one ALLOWED after makes the other not
    needed). A CONDITIONAL read is one "if" those hold: restrict-public-secret-policy's
    ``aws:PrincipalOrgID`` on a scanned account whose membership was not read left a member
    account's role CONDITIONAL before (its SCPs not read) and after, the plan said "readers
    +0 -0", and the role, in no organization, lost its read (safe-fixes trial round 20)."""
    went = sorted(g for g, v in new.gates.items()
                  if v.status == "UNKNOWN"
                  and (old.gates.get(g) is None or old.gates[g].status != "UNKNOWN"))
    newly: set[str] = set()
    if new.decision == "CONDITIONAL" and not went:  # a gate UNKNOWN says it already
        either = ("resource_policy", "identity_policy")
        for g, v in new.gates.items():
            was = old.gates.get(g)
            if v.status != "CONDITIONAL" or (was is not None and was.status not in (
                    "ALLOWED", "CONDITIONAL", "NOT_APPLICABLE")):
                continue
            if not new.cross_account and g in either and any(
                    new.gates[o].status == "ALLOWED" for o in either if o != g and o in
                    new.gates):
                continue  # the other of the two allows alone
            added = set(v.conditions) - set(was.conditions if was is not None else ())
            if added or (was is not None and was.status != "CONDITIONAL"):
                newly.update(added or v.conditions or
                             (f"the {g} gate (a condition the scan could not resolve)",))
    return went, sorted(newly)


def _grants_removed(before: EstateView, after: EstateView,
                    readers: Mapping[tuple[str, str], AccessPath]) -> list[dict[str, Any]]:
    """Principals inside the trust zone that the secret policy grants before and not after,
    although they do not read before (a reader that stops reading is ``readers_lost``):
    another gate (the key policy, an SCP) blocks them today. The grant is the owner's intent,
    the part of the read that is in place; taking it away is an access change even while the
    read is broken -- once the other gate is fixed the principal would read, and after this
    change it would not (safe-fixes trial, defect 2: restrict-public-secret-policy put
    aws:PrincipalOrgID on a statement that also named a trusted account's role whose key gate
    was DENIED, and the plan called the broken-access finding "resolved")."""
    later = after.paths()
    out: list[dict[str, Any]] = []
    for k, path in sorted(before.paths().items()):
        if k in readers or not path.in_zone or path.principal_type == "public":
            continue
        gate = path.gates.get("resource_policy")
        if gate is None or gate.status not in _READS:
            continue
        now = later.get(k)
        now_gate = now.gates.get("resource_policy") if now is not None else None
        if now_gate is not None and now_gate.status in _READS:
            continue
        out.append(dict(_reader_json(path, k[0]), resource_policy_after=(
            now_gate.status if now_gate is not None else "no grant")))
    return out


def _targets(change: PlannedChange) -> set[str]:
    """The principals a change exists to remove (remove-external-grant names them)."""
    names = change.details.get("principals") if change.remediation_id == \
        "remove-external-grant" else None
    return {str(p) for p in names} if isinstance(names, (list, tuple)) else set()


def subjects(change: PlannedChange) -> frozenset[str] | None:
    """The secrets (primary ARNs) a change is for, when it is for some and not others: the
    secret whose policy, key, rotation or replicas it edits, and for ``grant-key-decrypt`` the
    secret whose readers it lets decrypt (``details.secret_arn``: a key-policy edit that is for
    one secret). None for a change to a key's state or rotation, or to a route: such a change
    is for every secret of the key or the account alike."""
    if change.remediation_id == "grant-key-decrypt":
        secret = change.details.get("secret_arn")
        return frozenset({str(secret)}) if secret else None
    if change.target.startswith(_ONE_SECRET):
        return frozenset({change.resource_arn})
    return None


def violations(change: PlannedChange, effect: Mapping[str, Any]) -> list[str]:
    """Why the effect is not acceptable without an explicit --accept-access-change."""
    out: list[str] = []
    targets = _targets(change)
    mine = subjects(change)
    for r in effect["readers_lost"]:
        if r["principal"] in targets or r["principal"] == "*" or not r["in_zone"]:
            continue  # the reader the change is meant to remove, or one outside the zone
        out.append(f"{r['principal']} loses read access to {r['secret_arn']}")
    for r in effect.get("readers_at_risk") or ():
        if r["principal"] in targets or r["principal"] == "*" or not r["in_zone"]:
            continue
        out.append(f"{r['principal']} may lose read access to {r['secret_arn']} ("
                   f"{_risk_words(r)})")
    for r in effect.get("grants_removed") or ():
        if r["principal"] in targets or r["principal"] == "*" or not r["in_zone"]:
            continue
        blocked = sorted(g for g, v in r["gates"].items() if v in ("DENIED", "UNKNOWN")
                         and g != "resource_policy")
        out.append(f"{r['principal']} loses its grant in the secret policy of "
                   f"{r['secret_arn']} (it does not read today, blocked at "
                   f"{', '.join(blocked) or 'another gate'}; fixing that would no longer "
                   "restore the read)")
    for r in effect["readers_gained"]:
        if r["outside_trust_zone"]:
            out.append(f"{r['principal']} (outside the trust zone) gains read access to "
                       f"{r['secret_arn']}")
        elif mine is not None and r.get("replica_of", r["secret_arn"]) not in mine:
            # a change for one secret that lets someone read another is wider than the
            # finding it fixes (safe-fixes trial, defect 1: a key statement whose conditions
            # were gone let the role grant-key-decrypt added for secret A read secret B)
            out.append(f"{r['principal']} gains read access to {r['secret_arn']}, not what "
                       f"this change is for ({', '.join(sorted(mine))})")
    return out


def _risk_words(r: Mapping[str, Any]) -> str:
    """Why a reader is at risk (``effect_between``'s ``readers_at_risk`` entry), in words."""
    said = []
    if r.get("unknown_gates"):
        said.append(f"the {', '.join(r['unknown_gates'])} gate becomes UNKNOWN")
    if r.get("new_conditions"):
        said.append(f"its read becomes conditional on {', '.join(r['new_conditions'])}, "
                    "which the scan could not resolve")
    return "; ".join(said)


#: the targets whose change decides who outside the zone can read a secret or use a key
_SECRET_TARGETS = ("secret-policy:", "secret-kms:")
_KEY_TARGETS = ("key-policy:",)
#: remediations that exist to close an exposure: an outside reader left is "not closed"
CLOSING = frozenset({"restrict-public-secret-policy", "remove-external-grant"})


def prove_after(change: PlannedChange, after: EstateView, inputs: Any) -> dict[str, Any] | None:
    """With the config's ``prove`` on: the solver's answer, on the estate after ``change``,
    to "can anyone outside the trust zone still read the secret (decrypt with the key)?"
    (scanner/policy/smt/use.py ``plan_proof``). ``outside_reader``: PROVEN_NONE (a proof
    that none remains), WITNESS (one does: the request is in ``answers``) or UNKNOWN (with
    the reason). For a change that exists to close an exposure a witness is flagged: the
    plan does not close it. None when prove is off or the change edits neither."""
    config = getattr(inputs, "config", None)
    if config is None or not getattr(config, "prove", False) or after.graph is None:
        return None
    secret = key = None
    if change.target.startswith(_SECRET_TARGETS):
        secret = change.resource_arn
    elif change.target.startswith(_KEY_TARGETS):
        key = change.resource_arn
    else:
        return None
    from scanner.pipeline import access_settings
    from scanner.policy.smt.use import plan_proof

    proof = plan_proof(after.graph, after.snapshot, access_settings(after.snapshot, config),
                       secret_arn=secret, key_arn=key, timeout_s=config.prove_timeout)
    closes = proof.pop("closes")
    out: dict[str, Any] = {
        "question": "after this change, can anyone outside the trust zone read the secret"
                    if secret else "after this change, can anyone outside the trust zone "
                                   "decrypt with the key",
        "outside_reader": {True: "PROVEN_NONE", False: "WITNESS", None: "UNKNOWN"}[closes],
        **proof}
    if closes is False and change.remediation_id in CLOSING:
        who = next((a["witness"]["principal"] for a in proof["answers"]
                    if a.get("witness")), "a principal outside the zone")
        out["flag"] = f"the plan does not close the exposure: {who} can still read"
    return out


@dataclass(frozen=True, kw_only=True, slots=True)
class Refusal:
    change: PlannedChange
    reason: str
    effect: Mapping[str, Any] | None


#: (change, the estate just before it, the readers it would lose) -> changes that keep them
Companion = Callable[[PlannedChange, Snapshot, Sequence[Mapping[str, Any]]],
                     list[PlannedChange]]


#: an account id standing alone: twelve digits not inside a word (a hex digest, a name) nor
#: the last group of a key id's UUID (``...-000000000001``), which hold twelve digits in a row
#: and name no account (tests/remediate/test_named_accounts_not_in_hashes.py)
_ACCOUNT = re.compile(r"(?<![0-9A-Za-z-])[0-9]{12}(?![0-9A-Za-z])")
#: a KMS key ARN anywhere in a change (the key a secret moves to, a replica's key, ...)
_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+")
#: targets that edit one secret (its resource_arn) or one key (its resource_arn)
_ONE_SECRET = ("secret-policy:", "secret-kms:", "secret-rotation:", "secret-replicas:")
_ONE_KEY = ("key-policy:", "key-state:", "key-rotation:")


def _named_keys(change: PlannedChange) -> list[str]:
    """The KMS key ARNs a change names anywhere (its calls, states, details)."""
    return _KEY_ARN.findall(json.dumps(change.to_json(), sort_keys=True))


@dataclass(frozen=True, slots=True)
class Scope:
    """What a change's re-analysis covers: the regional resources of ``accounts`` (IAM and
    the organization stay whole: readers and the trust zone need them); within them only the
    secrets in ``secrets`` (primary ARNs; their replicas follow) and the keys in ``keys`` when
    those are not None."""

    accounts: frozenset[str]
    secrets: frozenset[str] | None = None
    keys: frozenset[str] | None = None
    #: of ``secrets``, those whose access and findings can change (None: all): the secrets a
    #: change edits, and every secret of a key it edits. The others are kept for their keys'
    #: findings (a key's report reads its secrets' policies, never their verdicts) and are
    #: the same before and after, so they are not evaluated (``view_of``)
    judged: frozenset[str] | None = None


def _named_accounts(change: PlannedChange) -> set[str]:
    """The account ids a change names: anywhere in its calls, states, details and policy diff
    -- but of a key-policy edit only the statements it adds, removes or changes. A statement
    the edit keeps as it was grants (or denies) the same before and after, so the accounts of
    its principals are not affected by the edit; counting them gave a ``grant-key-decrypt``
    companion on a key shared with another account a scope beyond its ``move-secret-to-cmk``,
    and the move was refused (new-user trial)."""
    data = change.to_json()
    diff = change.policy_diff
    if change.target.startswith(_KEY_TARGETS) and diff is not None:
        data["policy_diff"] = [st.to_json() for st in diff.statements if st.op != "unchanged"]
        # the whole policy text, before and after: its statements are in the diff
        data["calls"] = [dict(c, params={k: v for k, v in c["params"].items() if k != "Policy"})
                         for c in data["calls"]]
        for state in ("pre_state", "desired_state"):
            data[state] = {k: v for k, v in data[state].items()
                           if k not in ("key_policy", "key_policy_text")}
    return set(_ACCOUNT.findall(json.dumps(data, sort_keys=True)))


def scope_of(changes: Sequence[PlannedChange], snapshot: Snapshot) -> frozenset[str]:
    """The accounts whose resources a change can affect: its own, every account its calls,
    states and policies name (principals, keys; of a key-policy edit, the statements it
    edits: ``_named_accounts``), and both sides of a peering it routes through. The rest of
    the estate evaluates the same before and after, so it is left out of the re-analysis (IAM
    and the organization stay whole: readers and the zone need them)."""
    accounts: set[str] = set()
    for change in changes:
        accounts.add(change.account_id)
        accounts.update(_named_accounts(change))
        peering = change.details.get("peering_id")
        if peering:
            for acct in snapshot.accounts:
                for reg in acct.regions:
                    for pcx in reg.peerings:
                        if pcx.peering_id == peering:
                            accounts.update((pcx.requester.owner_id, pcx.accepter.owner_id))
    return frozenset(accounts)


class KeyUse:
    """Which secrets each KMS key encrypts and which keys each secret uses (a replica counts
    for its primary), read from the estate's graph (``ENCRYPTED_BY``: the builder's own key
    resolution of ARNs, ids and aliases), with each multi-Region key's family.

    A change to one secret's policy, key, rotation or replicas changes that secret's access
    and findings, and the findings of the keys it uses and of their multi-Region families
    that read their secrets (in the built-in rules kms-key-policy-excess-grant: a decrypt
    grant is excess when no secret of the key or of its multi-Region family grants it); a
    change to a key changes its own findings, those of its multi-Region family
    (kms-replica-key-policy-drift compares a replica with its primary) and those of its
    secrets. The family is the access analysis' (scanner.access.graph_io.key_families).
    ``scope`` keeps exactly those secrets and keys. Secrets do not see one another otherwise:
    access analysis evaluates each secret on its own (scanner/access), and every secret rule
    judges one secret."""

    def __init__(self, graph: Any, ruleset: Any) -> None:
        from scanner.access.graph_io import key_families
        from scanner.graph.schema import EdgeKind, NodeKind

        secret_kinds = (NodeKind.SECRET.value, NodeKind.SECRET_REPLICA.value)
        nodes = graph.nodes
        self.users: dict[str, set[str]] = {}  # key node -> primary secret ARNs
        self.keys_of: dict[str, set[str]] = {}  # primary secret ARN -> key nodes
        self.family: dict[str, set[str]] = {}  # key node -> its multi-Region family
        self.aws_managed: set[str] = set()
        self.account: dict[str, str] = {}  # key node -> its account
        #: the roles and users read from IAM (``_confined``)
        self.known = frozenset(
            node for node, attrs in graph.nodes(data=True)
            if attrs.get("kind") == NodeKind.PRINCIPAL.value
            and attrs.get("principal_type") in ("role", "user")
            and attrs.get("collected") is not False)
        for src, dst, kind in graph.edges(data="kind"):
            if kind == EdgeKind.ENCRYPTED_BY.value:
                attrs = nodes[src]
                if attrs.get("kind") not in secret_kinds:
                    continue
                primary = str(attrs.get("primary_arn") or src)
                self.users.setdefault(dst, set()).add(primary)
                self.keys_of.setdefault(primary, set()).add(dst)
                if nodes[dst].get("aws_managed"):
                    self.aws_managed.add(dst)
                self.account[dst] = str(nodes[dst].get("account_id"))
        for k, fam in key_families(graph).items():
            self.family[k] = set(fam)
            self.account[k] = str(nodes[k].get("account_id"))
        #: keys whose findings read their secrets: every rule over keys may (a custom rule
        #: can walk ENCRYPTED_BY), AWS-managed keys only when such a rule can apply to them
        key_rules = [r for r in ruleset.rules if "KmsKey" in r.resources]
        self.customer_closure = bool(key_rules)
        self.aws_closure = any(not _skips_aws_managed(r.applies_when) for r in key_rules)

    def _closed(self, key: str) -> bool:
        return self.aws_closure if key in self.aws_managed else self.customer_closure

    def scope(self, changes: Sequence[PlannedChange], accounts: frozenset[str]) -> Scope:
        """The re-analysis of ``changes`` (``accounts``: ``scope_of``): the secrets and keys
        they can affect, with the accounts of those keys; every secret and key of the
        accounts when a change edits something else (a route: the rotation paths of every
        secret of its accounts)."""
        secrets: set[str] = set()
        keys: set[str] = set()
        for c in changes:
            if c.target.startswith(_ONE_SECRET):
                secrets.add(c.resource_arn)
            elif c.target.startswith(_ONE_KEY):
                keys.add(c.resource_arn)
            else:
                return Scope(accounts=accounts)
            keys.update(_named_keys(c))
        # whose access can change: the secrets edited, and every secret of a key edited (of
        # its multi-Region family too: more than needed is only slower) that the edit can
        # reach (``_confined``: a key-policy statement for one secret's decrypt)
        judged = set(secrets)
        for c in changes:
            if c.target.startswith(_ONE_KEY):
                confined = _confined(c, self.known)
                for f in self.family.get(c.resource_arn, {c.resource_arn}):
                    judged.update(u for u in self.users.get(f, ())
                                  if confined is None or _copy_of(u) in confined)
        for s in secrets:
            keys.update(self.keys_of.get(s, ()))
        keys = {f for k in keys for f in self.family.get(k, {k})}
        for k in list(keys):
            if self._closed(k):
                secrets.update(self.users.get(k, ()))
        for s in secrets:  # the keys of the secrets kept: their own findings read them
            keys.update(self.keys_of.get(s, ()))
        secrets.update(judged)
        return Scope(accounts=accounts | {self.account[k] for k in keys if k in self.account},
                     secrets=frozenset(secrets), keys=frozenset(keys),
                     judged=frozenset(judged))

    def admitted(self, changes: Sequence[PlannedChange]) -> None:
        """After ``changes`` are applied: a secret they edit may now use a key they name."""
        for c in changes:
            if c.target.startswith(_ONE_SECRET):
                for k in _named_keys(c):
                    self.users.setdefault(k, set()).add(c.resource_arn)
                    self.keys_of.setdefault(c.resource_arn, set()).add(k)


#: the condition operators (scanner.policy.parse ``ConditionClause.base``) whose values a
#: request's value must equal exactly (no wildcard)
_EXACT_OPERATORS = ("stringequals", "arnequals")


def _confined(change: PlannedChange, known: Collection[str]) -> frozenset[str] | None:
    """The secrets (``_copy_of``) whose reads a key-policy edit can change, when every
    statement it adds, removes or changes applies only to the Decrypt of named secrets and
    names only roles and users of ``known`` (read from IAM); None when any may apply to
    others (a change that is no policy edit too).

    A statement whose Condition requires ``kms:EncryptionContext:SecretARN`` to equal given
    ARNs (StringEquals / ArnEquals, no wildcard or policy variable) matches no other request:
    IAM User Guide, "IAM JSON policy elements: Condition operators": "If the key that you
    specify in a policy condition is not present in the request context, the values do not
    match" and the condition "evaluates to false", and every condition of a statement must be
    true for it to apply ("Creating a condition with multiple keys or values": "a logical AND
    operation"). Secrets Manager's Decrypt of a secret carries its own ARN as SecretARN
    (Secrets Manager User Guide, "Secret encryption and decryption"; the access analysis'
    context.SECRET_ARN_CONTEXT), so an Allow or a Deny so confined changes no other secret's
    read (grant-key-decrypt adds exactly such statements: one key policy, 1,782 of them on
    bench/synth.py's 10 accounts, each re-analysed every secret of the key).

    Whom the key policy names matters beyond its conditions, though: a role of an account
    whose IAM was not read that the key policy names becomes a reader of its own, beside its
    account's stand-in, of every secret of the key that lets its account in (scanner.access
    .secret_eval), and an account named whole brings its root user and stand-in; so a
    statement naming anything but roles and users the snapshot holds is not confined
    (a test holds the plans equal to whole-account re-analyses: the overbroad-actions
    fixture's grant to an unread account's role is refused there for such a listing)."""
    diff = change.policy_diff
    if not change.target.startswith("key-policy:") or diff is None:
        return None
    out: set[str] = set()
    for st in diff.statements:
        if st.op == "unchanged":
            continue
        for stmt in (st.before, st.after):
            if stmt is None:
                continue
            values = _confined_to(stmt, known)
            if values is None:
                return None
            out.update(_copy_of(v) for v in values)
    return frozenset(out)


def _confined_to(statement: Mapping[str, Any], known: Collection[str]) -> list[str] | None:
    """The SecretARNs one statement is confined to (``_confined``), read as the evaluator
    reads it (scanner.policy.parse); None when it is not so confined, names other principals
    than roles and users of ``known`` (no NotPrincipal, account, "*", service or federated
    entry), or is read with problems (a malformed statement may make the evaluator answer
    UNKNOWN beyond its own condition)."""
    from scanner.access.context import SECRET_ARN_CONTEXT
    from scanner.policy.parse import parse_policy

    policy = parse_policy(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    if policy.problems or len(policy.statements) != 1:
        return None
    (st,) = policy.statements
    who = st.principal
    if st.problems or st.not_principal is not None or who is None or who.star \
            or who.service or who.federated or who.canonical_user or not who.aws \
            or not all(a in known for a in who.aws):
        return None
    for c in st.conditions:
        if c.key == SECRET_ARN_CONTEXT and c.base in _EXACT_OPERATORS and not c.qualifier \
                and not c.if_exists and c.values \
                and not any(ch in v for v in c.values for ch in "*?$"):
            return list(c.values)
    return None


def _copy_of(arn: str) -> str:
    """A secret's ARN without its Region -- the same for the secret and each of its replicas
    (a replica's ARN is its primary's in its own Region) -- in lower case (more secrets than a
    case-sensitive match would: only slower)."""
    from scanner.policy.arn import with_region

    return with_region(arn, "").lower()


def _skips_aws_managed(applies_when: Mapping[str, Any] | None) -> bool:
    """The rule's applies_when excludes AWS-managed keys outright."""
    test = {"attribute": "aws_managed", "op": "is_false"}
    if not isinstance(applies_when, Mapping):
        return False
    if dict(applies_when) == test:
        return True
    every = applies_when.get("all")
    return isinstance(every, list) and any(isinstance(x, Mapping) and dict(x) == test
                                           for x in every)


#: what a rule may read (rule.schema.json ``inputs``) that no remediator changes: none holds an
#: ``iam:`` or ``organizations:`` permission (tests/remediate/test_judged_alike.py)
UNCHANGED_INPUTS = frozenset({"iam", "organizations"})


def judged_alike(rule: Rule) -> bool:
    """A rule that reads only IAM and the organization judges every resource the same before
    and after any planned change, so it tells a change's effect nothing and the predictor
    leaves it out of the before and after (identity-policy-secret-wildcard judged the
    estate's 20,000 principals twice per change: 5 of a change's 16 s at 1,000 accounts). A
    rule that declares no inputs is judged (what it reads is not said)."""
    inputs = frozenset(rule.inputs)
    return bool(inputs) and inputs <= UNCHANGED_INPUTS


def scoped(snapshot: Snapshot, scope: Scope) -> Snapshot:
    """The snapshot with the regional resources of other accounts left out, and within the
    scope's accounts the secrets and keys it does not keep."""
    from scanner.policy.arn import with_region

    def region(reg: Any) -> Any:
        if scope.secrets is None:
            return reg
        keep = scope.secrets
        # a replica listed here: its ARN is its primary's with this region (primary_arn_of)
        replicas = {with_region(a, reg.region) for a in keep}
        keys = scope.keys or frozenset()
        return replace(reg, secrets=tuple(
            s for s in reg.secrets if s.arn in keep or (s.arn in replicas and s.is_replica)),
            kms_keys=tuple(k for k in reg.kms_keys if k.arn in keys))

    return replace(snapshot, accounts=tuple(
        replace(a, regions=tuple(region(r) for r in a.regions))
        if a.account_id in scope.accounts else replace(a, regions=())
        for a in snapshot.accounts))


def _either(a: frozenset[str] | None, b: frozenset[str] | None) -> frozenset[str] | None:
    """The secrets judged by either (None: every secret)."""
    return None if a is None or b is None else a | b


def within(inner: Scope, outer: Scope) -> bool:
    """Everything ``inner`` re-analyses, ``outer`` does too."""
    if not inner.accounts <= outer.accounts:
        return False
    if outer.secrets is None:
        return True
    return inner.secrets is not None and inner.secrets <= outer.secrets and \
        (inner.keys or frozenset()) <= (outer.keys or frozenset())


class Predictor:
    """Admits the changes of a plan one by one, in plan order: each is simulated on the estate
    the changes admitted before it leave, and kept (with its effect) or refused.

    Each change is evaluated on its scope (``Scope``): before and after are analysed over the
    accounts it can affect (``scope_of``) and, for a change to one secret or one key, only over
    the secrets and keys it can affect (``KeyUse``), not the whole organization: a plan for
    1,000 accounts, or for 10,000 secrets in one central account, would otherwise re-analyse
    all of them once per change."""

    def __init__(self, snapshot: Snapshot, inputs: Any, table: Mapping[str, Remediator], *,
                 accepted: frozenset[str] = frozenset(),
                 companion: Companion | None = None) -> None:
        self.inputs = inputs
        #: what each change's before and after are judged with: every rule but those that read
        #: only what no remediator changes (``judged_alike``)
        self._view_inputs = replace(inputs, ruleset=replace(inputs.ruleset, rules=tuple(
            r for r in inputs.ruleset.rules if not judged_alike(r))))
        self.table = table
        self.accepted = accepted
        self.companion = companion
        self.snapshot = snapshot  # the estate with every admitted change applied
        #: the last scoped analysis of ``snapshot``: reused when the next change has the same
        #: scope (a plan is ordered by account, so neighbours usually do)
        self._cached: tuple[Scope, Snapshot, EstateView] | None = None
        self._key_use: KeyUse | None = None  # built at the first change

    def _keys(self) -> KeyUse:
        if self._key_use is None:
            from scanner.graph.builder import build_graph

            self._key_use = KeyUse(build_graph(self.snapshot), self.inputs.ruleset)
        return self._key_use

    def scope(self, changes: Sequence[PlannedChange]) -> Scope:
        accounts = scope_of(changes, self.snapshot)
        return self._keys().scope(changes, accounts)

    def secret_access(self, secret_arn: str) -> SecretAccess | None:
        """The access analysis of one secret (its primary ARN) on the estate the changes
        admitted so far leave (``PlanContext.secret_access``): the same analysis as a scan
        (scanner.access), over the secret's account and the accounts of its keys (IAM and the
        organization stay whole), with only that secret and its keys. None when the estate
        holds no such secret."""
        from scanner.access import analyze_access
        from scanner.graph.builder import build_graph
        from scanner.pipeline import access_settings
        from scanner.policy.arn import arn_account

        use = self._keys()
        keys = {f for k in use.keys_of.get(secret_arn, ()) for f in use.family.get(k, {k})}
        accounts = {a for a in [arn_account(secret_arn)] if a is not None}
        accounts.update(use.account[k] for k in keys if k in use.account)
        snap = scoped(self.snapshot, Scope(accounts=frozenset(accounts),
                                           secrets=frozenset({secret_arn}),
                                           keys=frozenset(keys)))
        # the analysis reads the principals from the snapshot, the secrets and keys from the
        # graph: a graph without the estate's IAM (20,000 principal nodes at 1,000 accounts,
        # 0.8 s a call) gives the same verdicts (tests/remediate/
        # test_predictor_secret_access.py)
        lean = replace(snap, accounts=tuple(replace(a, iam=None) for a in snap.accounts))
        graph = build_graph(lean)
        try:
            report = analyze_access(graph, snap, access_settings(snap, self.inputs.config),
                                    only=frozenset({secret_arn}))
        finally:
            graph.clear()  # done with (``_release``)
        return report.secrets.get(secret_arn)

    def _before(self, scope: Scope, made: list[EstateView]) -> EstateView:
        if self._cached is not None and self._cached[0] == scope \
                and self._cached[1] is self.snapshot:
            return self._cached[2]
        made.append(replace(view_of(scoped(self.snapshot, scope), self._view_inputs,
                                    scope.judged), snapshot=self.snapshot))
        return made[-1]

    def _simulate(self, changes: Sequence[PlannedChange], scope: Scope,
                  made: list[EstateView]) -> EstateView:
        snap = self.snapshot
        for c in changes:
            snap = self.table[c.remediation_id].simulate(snap, c)
        made.append(replace(view_of(scoped(snap, scope), self._view_inputs, scope.judged),
                            snapshot=snap))
        return made[-1]

    def admit(self, change: PlannedChange) -> tuple[list[PlannedChange], Refusal | None]:
        """(the changes to plan, in apply order: companions first, each with its effect;
        or a refusal)."""
        made: list[EstateView] = []  # the analyses this admission makes
        previous = self._cached
        try:
            return self._admit(change, made)
        finally:
            kept = self._cached[2].graph if self._cached is not None else None
            _release([v.graph for v in made] + ([previous[2].graph] if previous else []),
                     kept)

    def _admit(self, change: PlannedChange, made: list[EstateView]
               ) -> tuple[list[PlannedChange], Refusal | None]:
        try:
            group = [change]
            scope = self.scope(group)
            before = self._before(scope, made)
            after = self._simulate(group, scope, made)
            effect = effect_between(before, after)
            problems = violations(change, effect)
            threatened = [*effect["readers_lost"], *effect["readers_at_risk"]]
            if problems and self.companion is not None and threatened:
                extra = self.companion(change, self.snapshot, threatened)
                extra_scope = self.scope(extra) if extra else None
                if extra_scope is not None and within(extra_scope, scope):
                    # judged: the secrets the companions can change too (a key-policy
                    # statement: every secret of the key), before and after alike
                    wide = replace(scope, judged=_either(scope.judged, extra_scope.judged))
                    wide_before = before if wide == scope else self._before(wide, made)
                    with_extra = self._simulate([*extra, change], wide, made)
                    extra_effect = effect_between(wide_before, with_extra)
                    if not violations(change, extra_effect):
                        group, after, effect, problems = [*extra, change], with_extra, \
                            extra_effect, []
                        scope = wide
        except PlanRefused as exc:
            return [], Refusal(change=change, effect=None,
                               reason=f"cannot predict its effect: {exc}")
        accepted_here = bool(problems) and change.change_id in self.accepted
        if problems and not accepted_here:
            return [], Refusal(change=change, effect=effect, reason=(
                "breaks access: " + "; ".join(problems)
                + f" (to accept exactly this: --accept-access-change {change.change_id})"))
        record = dict(effect, accepted=sorted(problems) if accepted_here else [],
                      companions=[c.change_id for c in group if c is not change])
        proof = prove_after(change, after, self.inputs)
        if proof is not None:  # a field of its own: plans without --prove read as before
            record["proof"] = proof
        self.snapshot = after.snapshot
        self._cached = (scope, after.snapshot, after)
        if self._key_use is not None:
            self._key_use.admitted(group)
        return [replace(c, effect=record if c is change else {"companion_of": change.change_id})
                for c in group], None


def _release(graphs: Sequence[Any], kept: Any) -> None:
    """Empty the graphs of analyses a plan is done with (all but ``kept``, the one it reuses
    for the next change). A networkx graph is a reference cycle (the graph and the views it
    caches), so a dropped one lived until the next full collection, and a plan runs with the
    collector paused and what exists frozen (scanner.gcpause): at 1,000 accounts each held
    the organization's 20,000 principals, and 32 changes between two collections (planner
    ``_COLLECT_EVERY``) kept about 2 GB of them. Emptied, what is left of one is a few small
    objects."""
    for graph in graphs:
        if graph is not None and graph is not kept:
            graph.clear()
