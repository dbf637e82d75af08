"""Organization guardrails: service control policies (caller side) and resource control
policies (resource side).

Organizations User Guide: an SCP never grants; at every level of the account's path (root, each
OU, the account) some attached SCP must allow the action, and an explicit Deny at any level
denies. SCPs do not apply to the management account. RCPs work the same way on the resource's
account (Secrets Manager and KMS are in scope), for every caller including external ones, and
do not apply to management-account resources. When a type's documents were not collected
(``not_read``) its half of the gate is UNKNOWN with allow and deny unknown wherever that type
would apply -- the caller's account path for SCPs, the secret's and the key's account for RCPs:
a read it would otherwise allow is CONDITIONAL ("if: SCPs not collected"), never ALLOWED; the
exemptions above hold whatever was read.

Without organization data (a scan without --org, or a snapshot without it) the gate follows
``OrgMembership``, the DescribeOrganization answer of the scan's home account: SCPs and RCPs are
an organization's policies, so an account in no organization has none (NOT_APPLICABLE), and the
management account is exempt; any other account may have an SCP that denies ("an explicit Deny
statement in an SCP at any level ... denies") that nobody read, so its gate is UNKNOWN and does
NOT allow -- never ALLOWED for want of data.

Service-linked roles are exempt from both (Organizations User Guide, SCPs: "SCPs do not affect
service-linked roles"; RCPs, "Resources and entities not restricted by RCPs": actions taken by
service-linked roles are not restricted by RCPs). A service-linked role is recognised by the
path AWS reserves for it, ``/aws-service-role/`` (IAM User Guide, "Using service-linked roles").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from scanner.model import (
    IN_ORGANIZATION,
    NOT_IN_ORGANIZATION,
    ControlPolicy,
    Organization,
    OrgMembership,
    UnreadControlPolicy,
)
from scanner.policy.evaluate import PolicyKind, evaluate_policy, resource_matches
from scanner.policy.narrowing import mentioned_accounts
from scanner.policy.parse import Policy, parse_policy
from scanner.policy.request import ABSENT_MARKERS, Request
from scanner.policy.tri import Tri, all3, any3

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"


@dataclass(frozen=True, kw_only=True, slots=True)
class GuardrailResult:
    status: str  # ALLOWED | DENIED | CONDITIONAL | NOT_APPLICABLE | UNKNOWN
    allow: Tri
    deny: Tri
    unresolved: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()


NOT_APPLICABLE = GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE)


def not_read(policy_type: str) -> GuardrailResult:
    """The gate of a policy type whose documents were not read (ListPolicies or DescribePolicy
    failed: a coverage entry says which), where they would apply.

    Organizations User Guide, "SCP evaluation": "an explicit Deny statement in an SCP at any
    level ... denies" (RCPs alike, on the resource's account): a document nobody read may deny
    or leave a level without an Allow, so allow and deny are unknown -- the read is CONDITIONAL
    on it ("if: SCPs not collected"), never ALLOWED for want of data, never DENIED on a guess;
    the gate's status is UNKNOWN (not assessed), which the rules read as UNKNOWN. Fault-
    injection trial round 5: this answered allow=TRUE, and an SCP-denied read was ALLOWED."""
    label = "SCPs" if policy_type == SCP else "RCPs"
    return GuardrailResult(status="UNKNOWN", allow=Tri.UNKNOWN, deny=Tri.UNKNOWN,
                           unresolved=(f"{label} not collected",),
                           reasons=(f"{label} were not collected: not assessed",))


def level_name(policy_type: str, depth: int, levels: int, target_id: str) -> str:
    """A level of an account's path as the reasons name it: the root by its id, an OU by its
    depth, the account as the caller's (SCPs) or the resource's (RCPs). Never an OU or account
    id: a guardrail answer is shared by every account with the same policies along its path
    (``Guardrails.signature``), so the text must hold for each of them, whichever was
    evaluated first (and so in any process of a sharded run)."""
    whose = "the caller's" if policy_type == SCP else "the resource's"
    if depth == 0:
        return f"the root {target_id}"
    if depth == levels - 1:
        return f"{whose} account"
    return f"{whose} OU at depth {depth}"


def is_service_linked_role(arn: str) -> bool:
    """A role under the path ``/aws-service-role/``: only AWS services create roles there."""
    return ":role/aws-service-role/" in arn


def _slr_exempt(policy_type: str) -> GuardrailResult:
    label = "SCPs" if policy_type == SCP else "RCPs"
    return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                           reasons=(f"{label} do not affect service-linked roles",))


class Guardrails:
    def __init__(self, org: Organization | None,
                 membership: OrgMembership | None = None,
                 scanned: frozenset[str] | None = None) -> None:
        self.org = org
        #: without organization data: the home account's DescribeOrganization answer
        self.membership = membership if org is None else None
        #: the scan's accounts (TrustZone.scanned): without organization data and with the
        #: home account in no organization, an account outside them shares no organization
        #: with us (``without_org``). None: not known (every other account UNKNOWN)
        self.scanned = scanned
        #: listed policies not read, per type (``Organization.unread_policies``): the type was
        #: listed, the rest of its policies read (a partial read)
        self._unread: dict[str, list[UnreadControlPolicy]] = {SCP: [], RCP: []}
        for missing in (org.unread_policies if org else ()):
            self._unread.setdefault(missing.policy_type, []).append(missing)
        #: SCPs assessed: all read, or read but for the policies in ``_unread``
        self.collected = bool(org and (org.policies_read or self._unread[SCP]))
        #: RCP documents present: read (also in snapshots that predate ``rcps_read``), or
        #: listed and not read
        self.rcps_listed = bool(org and (any(cp.policy_type == RCP for cp in org.policies)
                                         or self._unread[RCP]))
        self.rcps_collected = bool(org and (org.rcps_read or self._unread[RCP] or (
            org.policies_read and self.rcps_listed)))
        self._parents: dict[str, str | None] = {}
        self._by_target: dict[tuple[str, str], list[tuple[ControlPolicy, Policy]]] = {}
        self._sigs: dict[tuple[str, str | None], object] = {}
        #: per (policy type, account): the accounts its policies' conditions name
        self._mentioned: dict[tuple[str, str], frozenset[str]] = {}
        if org is None:
            return
        for a in org.accounts:
            self._parents[a.account_id] = a.parent_id
        for u in org.units:
            self._parents[u.ou_id] = u.parent_id
        for cp in org.policies:
            parsed = parse_policy(cp.content)
            for t in cp.targets:
                self._by_target.setdefault((cp.policy_type, t), []).append((cp, parsed))
        self._cache: dict[tuple[object, ...], GuardrailResult] = {}

    def signature(self, policy_type: str, account_id: str | None) -> object:
        """What decides this account's guardrails: the policies attached along its path (two
        accounts with the same signature get the same answer for the same request)."""
        key = (policy_type, account_id)
        hit = self._sigs.get(key)
        if hit is None:
            if self.org is None:
                # without organization data the answer depends on whether the account is
                # the one DescribeOrganization answered for, or its management account
                m = self.membership
                hit = ("no-org",) if m is None or account_id is None else (
                    "no-org", account_id == m.account_id,
                    account_id == m.management_account_id, self._outside_scan(account_id))
            elif account_id is None or account_id not in self._parents:
                hit = ("none",)
            elif account_id == self.org.management_account_id:
                hit = ("management",)
            else:
                chain = self.path(account_id)

                def ids(levels: list[str]) -> tuple[tuple[str, ...], ...]:
                    return tuple(tuple(sorted(
                        [cp.policy_id for cp, _ in self._by_target.get((policy_type, t), [])]
                        + [f"unread:{u.policy_id}" for u in self.unread_at(policy_type, t)]))
                        for t in levels)
                # an account whose place is unknown: decided by the levels that are known
                # (the account and the ancestors its links reach), the same for every account
                # with the same policies there
                hit = ("unknown-path",) + ids(self.known_levels(account_id)) \
                    if chain is None else ids(chain)
            self._sigs[key] = hit
        return hit

    def resource_matches(self, policy_type: str, account_id: str | None, action: str,
                         resource: str) -> tuple[object, ...]:
        """Which statements of the policies along the account's path match ``resource`` by
        their Resource / NotResource: with ``signature``, what tells two resources of one
        account apart for these policies (an RCP scoped to ``secret:rcp/*`` blocks one
        secret, not its neighbour: a memo of answers across secrets must see it)."""
        if self.org is None or account_id is None or account_id not in self._parents:
            return ()
        chain = self.path(account_id)
        if chain is None:
            return ("unknown-path",)
        kind = PolicyKind.SCP if policy_type == SCP else PolicyKind.RCP
        return tuple(resource_matches(parsed, action, resource, kind)
                     for t in chain for _, parsed in self._by_target.get((policy_type, t), []))

    def mentioned_accounts(self, policy_type: str, account_id: str | None) -> frozenset[str]:
        """Every account a condition of the policies of ``policy_type`` attached along
        ``account_id``'s path (the levels known) names, under any operator
        (narrowing.mentioned_accounts) -- an RCP's exception above all: the data perimeter's
        Deny unless ``StringNotEqualsIfExists aws:PrincipalAccount [<partner>]`` lets the
        partner's principals through where the access analysis' ``*`` stand-in, an account no
        policy names, is denied. Its principals are candidates of a ``*`` grant as an account
        the secret's own policy mentions is (scanner.access.secret_eval; IAM conformance
        trial round 27: the secret of a ``*`` grant had no outside reader, "public: DENIED,
        blocked by scp", while the partner's principals read)."""
        if self.org is None or account_id is None or account_id not in self._parents:
            return frozenset()
        key = (policy_type, account_id)
        hit = self._mentioned.get(key)
        if hit is None:
            hit = self._mentioned[key] = frozenset(
                acct for target in self.known_levels(account_id)
                for _, parsed in self._by_target.get((policy_type, target), [])
                for st in parsed.statements for _, acct in mentioned_accounts(st))
        return hit

    def unread_at(self, policy_type: str, target_id: str) -> list[UnreadControlPolicy]:
        """The policies of the type not read that are (or, their targets not read, may be)
        attached at ``target_id``."""
        return [u for u in self._unread.get(policy_type, ())
                if u.targets is None or target_id in u.targets]

    def known_levels(self, account_id: str) -> list[str]:
        """[account, its parent, ...] as far as the parent links are known (the account whose
        place in the tree is not: ``path`` is None)."""
        levels = [account_id]
        node = self._parents.get(account_id)
        while node is not None and node not in levels:
            levels.append(node)
            node = self._parents.get(node)
        return levels

    def path(self, account_id: str) -> list[str] | None:
        """[root, OU..., account] or None when the account's place is not known."""
        assert self.org is not None
        return org_chain(self._parents, self.org.root_id, account_id)

    def evaluate(self, policy_type: str, account_id: str | None, request: Request) -> \
            GuardrailResult:
        if self.org is None:
            return self.without_org(policy_type, account_id, request)
        label = "SCPs" if policy_type == SCP else "RCPs"
        enabled = self.org.policy_types_enabled
        if enabled is not None and policy_type not in enabled:
            # Organizations User Guide, "Enabling a policy type": a policy type that is not
            # enabled at the root has no effect
            return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                                   reasons=(f"{label} are not enabled in the organization",))
        if account_id is None or account_id not in self._parents:
            return NOT_APPLICABLE
        if request.principal_type == "role" and is_service_linked_role(request.principal_arn):
            return _slr_exempt(policy_type)
        if account_id == self.org.management_account_id:
            return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                                   reasons=("the management account is not subject to "
                                            f"{label}",))
        collected = self.collected if policy_type == SCP else self.rcps_collected
        if not collected:
            return not_read(policy_type)
        if policy_type == RCP and not self.rcps_listed:
            # read, and none exists: the type is not in use (enabling it attaches
            # RCPFullAWSAccess to the root, every OU and every account)
            return NOT_APPLICABLE
        key = (policy_type, account_id, request.action, request.resource,
               request.principal_arn if policy_type == RCP else "",
               request.projection(frozenset(request.context)),
               # what the absent set's markers say (a final tag set, no federation session)
               tuple(m in request.absent for m in ABSENT_MARKERS), request.time_floor)
        hit = self._cache.get(key)
        if hit is None:
            hit = self._evaluate(policy_type, account_id, request)
            self._cache[key] = hit
        return hit

    def without_org(self, policy_type: str, account_id: str | None,
                    request: Request) -> GuardrailResult:
        """The gate when the organization was not read (``membership`` says what is known).

        Organizations User Guide, "Service control policies": SCPs (and RCPs) are policies of
        an organization -- an account that is in none has none; "SCPs don't affect users or
        roles in the management account" (RCPs: nor its resources); "SCPs do not affect
        service-linked roles". Anywhere else an SCP nobody read may deny ("an explicit Deny
        statement in an SCP at any level ... denies"): the gate is UNKNOWN and does not allow
        (README: "never assumed to allow")."""
        label = "SCPs" if policy_type == SCP else "RCPs"
        if request.principal_type == "role" and is_service_linked_role(request.principal_arn):
            return _slr_exempt(policy_type)
        m = self.membership
        home = m is not None and account_id is not None and account_id == m.account_id
        if m is not None and home and m.status == NOT_IN_ORGANIZATION:
            return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                                   reasons=("the account is in no AWS Organization "
                                            f"(DescribeOrganization): {label} do not apply",))
        if m is not None and m.status == NOT_IN_ORGANIZATION and account_id is not None and \
                self._outside_scan(account_id):
            # the caller's account is outside the scan and ours is in no organization: no SCP
            # of ours can apply to it, and its own organization's (if it has one) are never
            # readable -- as its identity policies are not. The gate is what Guardrails.evaluate
            # gives an account outside our organization: NOT_APPLICABLE (new-user trial round
            # 7: UNKNOWN here, NOT_APPLICABLE with organization data, for the same partner)
            return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                                   reasons=(f"an account outside the scan and our account is "
                                            f"in no AWS Organization: no {label} of ours "
                                            "apply; its own organization's, if any, are never "
                                            "readable",))
        if m is not None and m.status == IN_ORGANIZATION and account_id is not None and \
                account_id == m.management_account_id:
            return GuardrailResult(status="NOT_APPLICABLE", allow=Tri.TRUE, deny=Tri.FALSE,
                                   reasons=("the management account is not subject to "
                                            f"{label}",))
        if m is None:
            why = f"no organization data: {label} not assessed"
        elif home and m.status == IN_ORGANIZATION:
            why = (f"the account is in organization {m.org_id or '(id not returned)'}, whose "
                   f"{label} were not read (scan with --org): not assessed")
        elif home:
            why = (f"whether the account is in an organization is not known "
                   f"(DescribeOrganization failed): {label} not assessed")
        else:
            why = (f"whether the account is in an organization was not read (DescribeOrganization "
                   f"answered for {m.account_id} only): {label} not assessed")
        return GuardrailResult(status="UNKNOWN", allow=Tri.UNKNOWN, deny=Tri.UNKNOWN,
                               unresolved=(why,), reasons=(why,))

    def _outside_scan(self, account_id: str) -> bool:
        """Whether the account is known to be outside the scan (and is not the home one)."""
        m = self.membership
        return self.scanned is not None and account_id not in self.scanned and (
            m is None or account_id != m.account_id)

    def _partial(self, policy_type: str, kind: PolicyKind, label: str, account_id: str,
                 request: Request) -> GuardrailResult:
        """The guardrails of an account whose place in the tree is not known (a listing of
        the organization failed): the levels that are known still decide a Deny -- an
        explicit Deny at any level denies (Organizations User Guide, "SCP evaluation": "an
        explicit Deny statement in an SCP at any level ... denies"), as does a known level
        without an Allow; the rest of the path is UNKNOWN (status UNKNOWN: not read)."""
        unresolved, why = _unknown_path(label)
        whose = "the caller's" if policy_type == SCP else "the resource's"
        root = self.org.root_id if self.org is not None else None
        levels = [(t, f"{whose} account" if t == account_id else f"the root {t}" if t == root
                   else f"an OU above {whose} account") for t in self.known_levels(account_id)]
        level_allows, denies, _unresolved, reasons = self._walk(policy_type, kind, label,
                                                                 levels, request)
        allow = all3([Tri.UNKNOWN, *level_allows])
        deny = any3([Tri.UNKNOWN, *denies])
        status = "DENIED" if deny is Tri.TRUE or allow is Tri.FALSE else "UNKNOWN"
        return GuardrailResult(status=status, allow=allow, deny=deny,
                               unresolved=(unresolved,) if status == "UNKNOWN" else (),
                               reasons=(why, *reasons))

    def _walk(self, policy_type: str, kind: PolicyKind, label: str,
              levels: list[tuple[str, str]], request: Request
              ) -> tuple[list[Tri], list[Tri], list[str], list[str]]:
        """(each level's Allow, every policy's Deny, what is unresolved, reasons) of the
        policies attached at ``levels`` ((target id, name in the reasons) each): every level
        needs an Allow, a Deny anywhere denies; a level with no policy in the collected data
        is UNKNOWN. A policy attached there that was not read (``unread_at``) may allow or
        deny: both unknown -- a Deny that was read still denies (Organizations User Guide,
        "SCP evaluation": "an explicit Deny statement in an SCP at any level ... denies")."""
        level_allows: list[Tri] = []
        denies: list[Tri] = []
        unresolved: list[str] = []
        reasons: list[str] = []
        for target_id, target in levels:
            attached = self._by_target.get((policy_type, target_id), [])
            missing = self.unread_at(policy_type, target_id)
            if not attached and not missing:
                level_allows.append(Tri.UNKNOWN)
                unresolved.append(f"no {label} attached at {target} in the collected data")
                continue
            allows = []
            for u in missing:
                allows.append(Tri.UNKNOWN)
                denies.append(Tri.UNKNOWN)
                unresolved.append(f"{label}s not collected")
                where = "may be attached at" if u.targets is None else "at"
                reasons.append(f"{label} {u.name or u.policy_id} {where} {target}: not read "
                               "(see coverage): may deny")
            for cp, parsed in attached:
                r = evaluate_policy(parsed, request, kind)
                allows.append(r.allow)
                denies.append(r.deny)
                if r.deny is not Tri.FALSE:
                    reasons.append(f"{label} {cp.name} at {target}: Deny "
                                   f"{'applies' if r.deny is Tri.TRUE else 'may apply'}")
                unresolved.extend(r.unresolved if r.allow is Tri.UNKNOWN or
                                  r.deny is Tri.UNKNOWN else ())
            level = any3(allows)
            level_allows.append(level)
            if level is Tri.FALSE:
                reasons.append(f"no {label} at {target} allows {request.action}")
        return level_allows, denies, unresolved, reasons

    def _evaluate(self, policy_type: str, account_id: str, request: Request) -> GuardrailResult:
        kind = PolicyKind.SCP if policy_type == SCP else PolicyKind.RCP
        label = "SCP" if policy_type == SCP else "RCP"
        chain = self.path(account_id)
        if chain is None:
            return self._partial(policy_type, kind, label, account_id, request)
        level_allows, denies, unresolved, reasons = self._walk(
            policy_type, kind, label,
            [(t, level_name(policy_type, depth, len(chain), t)) for depth, t in enumerate(chain)],
            request)
        allow = all3(level_allows)
        deny = any3(denies)
        if deny is Tri.TRUE or allow is Tri.FALSE:
            status = "DENIED"
        elif allow is Tri.TRUE and deny is Tri.FALSE:
            status = "ALLOWED"
        elif f"{label}s not collected" in unresolved:
            status = "UNKNOWN"  # a policy on the path not read: not assessed (not_read)
        else:
            status = "CONDITIONAL"
        return GuardrailResult(status=status, allow=allow, deny=deny,
                               unresolved=tuple(dict.fromkeys(unresolved)),
                               reasons=tuple(reasons))


#: how ``Guardrails._walk`` words a guardrail that blocks: a policy whose Deny applies, a level
#: (always named "the ...": ``level_name``) where no policy of the kind allows the action
_DENY_REASON = re.compile(r"^(SCP|RCP) (.+?) at (the .+): Deny applies$")
_NO_ALLOW_REASON = re.compile(r"^no (SCP|RCP) at (the .+) allows \S+$")


def guardrail_blockers(reasons: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """(kind, what) for each guardrail a DENIED ``scp`` gate's reasons name as blocking: kind
    "SCP" or "RCP"; what, the policy's name for a Deny that applies, or "(none allows at
    <level>)" for a level where no policy of the kind allows the action. The gate is named
    ``scp`` for both kinds (the findings' contract); this says which (conformance trial round
    8: a blocking RCP was reported, and remediated, as an SCP)."""
    out: list[tuple[str, str]] = []
    for r in reasons:
        m = _DENY_REASON.match(r)
        if m:
            out.append((m.group(1), m.group(2)))
            continue
        m = _NO_ALLOW_REASON.match(r)
        if m:
            out.append((m.group(1), f"(none allows at {m.group(2)})"))
    return tuple(dict.fromkeys(out))


def _unknown_path(label: str) -> tuple[str, str]:
    return (f"{label} path unknown",
            f"the account's OU path is not known: {label}s along it not assessed")


def org_chain(parents: Mapping[str, str | None], root_id: str | None,
              account_id: str) -> list[str] | None:
    """[root, OU..., account] from the organization's parent links, or None when the account's
    place is not known (not listed, a link missing, no root)."""
    if account_id not in parents:
        return None
    chain = [account_id]
    node: str | None = parents[account_id]
    while node is not None and node not in chain:
        chain.append(node)
        node = parents.get(node)
    if not root_id or chain[-1] != root_id:
        return None
    return list(reversed(chain))


def org_paths(org: Organization | None, org_id: str | None) -> dict[str, str]:
    """Account -> its ``aws:PrincipalOrgPaths`` value, ``o-id/r-root/ou-.../`` (IAM User
    Guide, global condition keys: "the AWS Organizations path for the principal who is making
    the request", e.g. ``o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/ou-ab12-22222222/``), for every
    account whose place in the organization is known."""
    if org is None or not org_id:
        return {}
    parents: dict[str, str | None] = {a.account_id: a.parent_id for a in org.accounts}
    parents.update({u.ou_id: u.parent_id for u in org.units})
    out: dict[str, str] = {}
    for a in org.accounts:
        chain = org_chain(parents, org.root_id, a.account_id)
        if chain is not None:
            out[a.account_id] = f"{org_id}/" + "".join(f"{node}/" for node in chain[:-1])
    return out
