"""Exposure concepts of resource policies, each defined once, each returning the statements it
matched (index and Sid), so that a rule, the access report and a remediator talk about -- and
edit -- exactly the same statements.

* ``public_statements``: Allow to everyone (``Principal: "*"``, ``{"AWS": "*"}`` or
  ``NotPrincipal``) that no condition narrows to a known population.
* ``outside_zone_grants``: Allow to principals of accounts outside the trust zone
  (scanner/policy/trust_zone.py) and the allow-list -- named in Principal, or named in a
  narrowing condition of a ``*`` statement (``aws:PrincipalAccount``, ``kms:CallerAccount``,
  ``aws:PrincipalArn``, ...), or a whole other organization named by ``aws:PrincipalOrgID``
  or ``aws:PrincipalOrgPaths`` (the value itself is the principal).
* ``overbroad_grants``: Allow to other accounts (or everyone) of Secrets Manager actions beyond
  the allowed read actions, or Allow with NotAction; a ``*`` statement grants whom its
  narrowing conditions let in (``confined_accounts``: none but the own account -> no one else).
  Whom a condition lets in -- ``narrows``, ``condition_accounts``, ``confined_accounts``,
  ``condition_organizations`` -- is scanner.policy.narrowing.
* ``overbroad_left``: what of those grants the policy's own explicit Deny does not take back.
* ``excess_key_grants``: a key policy's kms:Decrypt to principals of other accounts that no
  secret encrypted with the key grants GetSecretValue (whom a secret grants: the access
  analysis' answer, passed in).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, AbstractSet, Any, Callable, Iterable, Sequence

from scanner.policy.arn import (arn_partition, arn_region, is_account_id, parse_arn,
                                principal_account, resource_account, root_arn)
from scanner.policy.conditions import evaluate_clause
from scanner.policy.evaluate import PolicyKind, evaluate_statement, resource_part
from scanner.policy.matching import action_matches, arn_pattern_segments, glob_match, matches_every
from scanner.policy.narrowing import (ARN_KEYS, RESOURCE_ACCOUNT, USERID_KEY, condition_accounts,
                                      condition_organizations, confined_accounts,
                                      is_narrowed, is_organization, mentioned_accounts,
                                      narrows, resource_facts, userid_account, userid_head)
from scanner.policy.parse import Policy, Statement, statement_label
from scanner.policy.principals import names_role, session_kind
from scanner.policy.request import (ASSUMED_ROOT, IAM_CALLER_TYPES, PRINCIPAL_ARN, PRINCIPAL_TYPE,
                                    ROLE_CREDENTIAL_KEYS, Request, any_organization, any_route,
                                    arn_of, not_under, one_of, resource_excluded,
                                    role_session_arn)
from scanner.policy.tri import Tri
from scanner.policy.trust_zone import TrustZone

if TYPE_CHECKING:  # pragma: no cover
    from scanner.access.context import ResourceContext


READ_ACTION = "secretsmanager:GetSecretValue"
DECRYPT_ACTION = "kms:Decrypt"
EVERYONE = "*"

SECRETSMANAGER_ACTIONS = tuple(f"secretsmanager:{a}" for a in (
    "BatchGetSecretValue", "CancelRotateSecret", "CreateSecret", "DeleteResourcePolicy",
    "DeleteSecret", "DescribeSecret", "GetRandomPassword", "GetResourcePolicy", "GetSecretValue",
    "ListResourcePolicies", "ListSecretVersionIds", "ListSecrets", "PutResourcePolicy",
    "PutSecretValue", "RemoveRegionsFromReplication", "ReplicateSecretToRegions",
    "RestoreSecret", "RotateSecret", "StopReplicationToReplica", "TagResource",
    "UntagResource", "UpdateSecret", "UpdateSecretVersionStage", "ValidateResourcePolicy"))
#: The Secrets Manager actions with no resource type in the Service Authorization Reference
#: (Actions, resources, and condition keys for AWS Secrets Manager): "If there is no value for
#: this column, you must specify all resources ("*") in the Resource element of your policy
#: statement." A secret's resource policy therefore never grants them, whatever it names.
NON_RESOURCE_ACTIONS = frozenset(f"secretsmanager:{a}" for a in (
    "BatchGetSecretValue", "GetRandomPassword", "ListSecrets"))
#: What a resource policy on a secret can grant: the actions with the Secret resource type.
SECRET_RESOURCE_ACTIONS = tuple(a for a in SECRETSMANAGER_ACTIONS
                                if a not in NON_RESOURCE_ACTIONS)


@dataclass(frozen=True, kw_only=True, slots=True)
class StatementMatch:
    """One statement a concept matched.

    ``principals``: the principal entries concerned (``*`` for everyone); ``via``: where they are
    named -- ``principal`` (Principal element), ``everyone`` (``*`` or NotPrincipal) or
    ``condition`` (the values of ``condition_key`` in a ``*`` statement); ``actions``: for
    over-broad grants, the actions granted beyond the allowed ones.
    """

    index: int
    sid: str | None
    principals: tuple[str, ...] = ()
    via: str = "principal"
    condition_key: str | None = None
    actions: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return statement_label(self.index, self.sid)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"index": self.index, "sid": self.sid,
                               "principals": list(self.principals), "via": self.via}
        if self.condition_key:
            out["condition_key"] = self.condition_key
        if self.actions:
            out["actions"] = list(self.actions)
        return out


def _match(st: Statement, **kw: Any) -> StatementMatch:
    return StatementMatch(index=st.index, sid=st.sid, **kw)


def statement_indexes(matches: Iterable[StatementMatch]) -> list[int]:
    return sorted({m.index for m in matches})


# --------------------------------------------------------------------------- building blocks


def everyone(st: Statement) -> bool:
    """Principal ``*`` / ``{"AWS": "*"}``, or NotPrincipal (everyone but those listed)."""
    return (st.principal is not None and st.principal.star) or st.not_principal is not None


def acts_on(st: Statement, patterns: Iterable[str]) -> bool:
    """Could the statement cover any action matching one of ``patterns`` (concrete names)?"""
    pats = list(patterns)
    if st.actions is not None:
        return any(action_matches(a, p) for a in st.actions for p in pats)
    if st.not_actions is not None:
        return any(not any(action_matches(n, p) for n in st.not_actions) for p in pats)
    return False


def _allows(st: Statement) -> bool:
    return st.effect == "Allow"


def granted_partition(value: str, own_partition: str | None) -> str | None:
    """The partition of a principal entry or an ARN condition value, as a grant reads it: its
    ARN's partition (None: a bare account id), or -- a pattern whose partition segment holds
    a wildcard (``arn:*:iam::<id>:role/*``, which docs/access.md counts among the values that
    name their account literally) -- ``own_partition`` when the wildcard matches it: such a
    pattern lets in principals of the partition the resource is in, the only ones whose
    credentials reach it ("You cannot use IAM credentials from one partition to interact with
    resources in a different partition", AWS fault isolation boundaries whitepaper,
    "Partitions"). GovCloud ground-truth trial round 10: arn:*:iam::<own id>:role/* was "a
    principal of another partition" and FAILed secret-policy-external-account and
    -overbroad-actions for the secret's own account."""
    partition = arn_partition(value)
    if partition is None or own_partition is None or \
            ("*" not in partition and "?" not in partition):
        return partition
    return own_partition if glob_match(partition, own_partition) else partition


def another_account(account: str | None, partition: str | None, *, own_account: str | None,
                    own_partition: str | None) -> bool:
    """Whether ``account`` (of ``partition``, None: not said -- a bare account id, read in the
    policy's own partition) is another account than ``own_account`` of ``own_partition``: a
    different id, or the same id in another partition. "You cannot use IAM credentials from one
    partition to interact with resources in a different partition" (AWS fault isolation
    boundaries whitepaper, "Partitions"): arn:aws-us-gov:iam::<our id>:root is not us. The one
    test of outside_zone_grants, overbroad_grants and excess_key_grants (concept review round
    3: secret-policy-overbroad-actions compared the id alone and PASSed a GovCloud root of the
    secret's own id that secret-policy-external-account FAILed). None: no account named."""
    if account is None:
        return False
    other_partition = partition is not None and own_partition is not None and \
        partition != own_partition
    return other_partition or account != own_account


# --------------------------------------------------------------------------- concepts


def public_statements(policy: Policy | None) -> tuple[StatementMatch, ...]:
    """Allow statements to everyone that no condition narrows."""
    if policy is None:
        return ()
    variables = policy.variables_enabled
    return tuple(_match(st, principals=(EVERYONE,), via="everyone")
                 for st in policy.statements
                 if _allows(st) and everyone(st) and not is_narrowed(st, variables=variables))


def unreadable_grantees(policy: Policy | None) -> tuple[str, ...]:
    """Why whom an Allow statement grants is not known, one line per such statement: its
    Principal (or NotPrincipal) element is not valid IAM -- IAM User Guide, "Grammar of the
    IAM JSON policy language": ``<principal_block> = ("Principal" | "NotPrincipal") : ("*" |
    <principal_map>)``, so a string naming an ARN (``"Principal": "arn:aws:iam::...:root"``),
    a value that is not a string, an unknown principal type. What AWS would let in is not
    known, so the rules asking whom the policy grants (public, external, over-broad) answer
    UNKNOWN where they would otherwise PASS (safe-fixes trial round 18: such a grant to
    another account PASSed all of them)."""
    if policy is None:
        return ()
    out: list[str] = []
    for st in policy.statements:
        if not _allows(st):
            continue
        for spec, element in ((st.principal, "Principal"), (st.not_principal, "NotPrincipal")):
            if spec is not None and spec.problems:
                out.append(f"whom {statement_label(st.index, st.sid)} grants: its {element} "
                           f"element is not valid IAM ({'; '.join(spec.problems)})")
    return tuple(out)


def unknown_account_grants(policy: Policy | None, known_ids: AbstractSet[str] = frozenset()
                           ) -> tuple[StatementMatch, ...]:
    """Allow statements to everyone narrowed only by aws:userid values that name a role or
    user by its unique id (``AROA<id>:*``): one principal, whose account the snapshot cannot
    tell, so neither public nor a known external grant -- an unknown one (conformance trial
    round 7). ``known_ids``: the unique ids of the principals the snapshot holds (IAM's
    RoleId / UserId, of scanned accounts: inside the trust zone) -- a value naming one of them
    is no unknown grant (ground-truth trial round 22). A statement that another condition narrows
    (an account, an organization, ...) is judged by that condition instead. And Allow
    statements whose Principal names an ARN with a wildcard in its account
    (``arn:aws:iam::*:root``, not valid IAM: ``_wildcard_account``; round 17)."""
    if policy is None:
        return ()
    variables = policy.variables_enabled
    out: list[StatementMatch] = []
    for st in policy.statements:
        if _allows(st) and st.principal is not None:
            # a wildcard in the account field of a principal ARN (arn:aws:iam::*:root): IAM
            # User Guide, Principal: "You cannot use a wildcard to match part of a principal
            # name or ARN" -- AWS refuses the policy; what it would let in is not known, so
            # the grantee's account is not either (IAM conformance trial round 17: PASS)
            wild = tuple(e for e in st.principal.aws if _wildcard_account(e))
            if wild:
                out.append(_match(st, principals=wild))
        if not _allows(st) or not everyone(st):
            continue
        narrowing = [c for c in st.conditions if narrows(c, variables=variables)]
        if not narrowing or any(c.key != USERID_KEY for c in narrowing):
            continue
        for c in narrowing:
            # ``${aws:ResourceAccount}:*`` heads the value with the secret's own account
            # (narrowing.resource_facts): that account's federated users, no unknown one
            ids = tuple(v for v in c.values
                        if userid_account(resource_facts(v.strip()) if variables
                                          else v.strip()) is None
                        and userid_head(v.strip()) not in known_ids)
            if ids:
                out.append(_match(st, principals=ids, via="condition", condition_key=c.key))
    return tuple(out)


def _wildcard_account(entry: str) -> bool:
    """A principal ARN whose account field holds a wildcard (or is empty)."""
    parts = arn_pattern_segments(entry.strip())
    return parts is not None and parts[0] == "arn" and (
        not parts[4] or any(ch in parts[4] for ch in "*?"))


def outside_zone_grants(policy: Policy | None, *, own_account: str | None, zone: TrustZone,
                        allowed: Iterable[str] = ()) -> tuple[StatementMatch, ...]:
    """Allow statements naming principals of accounts outside the zone and ``allowed``.

    A principal entry names its account (an account id or root ARN: anyone there the account
    lets in). A ``*`` statement narrowed by a condition to listed accounts grants each of them.
    """
    if policy is None:
        return ()
    ok = frozenset(allowed)

    def outside(acct: str | None, partition: str | None = None) -> bool:
        # an account of another partition than the zone's is another account, whatever its
        # id (TrustZone.contains; conformance trial round 8): another_account
        other = partition is not None and partition != zone.partition
        return (another_account(acct, partition, own_account=own_account,
                                own_partition=zone.partition)
                and not zone.contains(acct, partition) and (other or acct not in ok))

    out: list[StatementMatch] = []
    for st in policy.statements:
        if not _allows(st):
            continue
        if st.principal is not None:
            named = tuple(e for e in st.principal.aws
                          if outside(principal_account(e),
                                     granted_partition(e, zone.partition)))
            if named:
                out.append(_match(st, principals=named))
        if everyone(st):
            own: set[str] = set()
            for c in st.conditions:
                pairs = condition_accounts(c)
                own.update(acct for _, acct in pairs)
                named = tuple(v for v, acct in pairs
                              if outside(acct, granted_partition(v, zone.partition)))
                named += condition_organizations(c, zone.org_id,
                                                 none_ours=zone.no_organization)
                if named:
                    out.append(_match(st, principals=named, via="condition",
                                      condition_key=c.key))
            # an outside account another condition of the policy names -- a Deny's exception
            # above all (Deny * unless ArnNotLike aws:PrincipalArn arn:aws:iam::999999999999:*)
            # -- may be let in by the "*" where an account no policy names is not: a grantee
            # of the "*" grant, whose request the callers (grant_left, the solver) put to the
            # policy; one the policy withholds from it is no grant (IAM conformance trial
            # round 15: 999's principals read, and neither rule reported it)
            mentioned: dict[str, str] = {}
            for other in policy.statements:
                for v, acct in mentioned_accounts(other):
                    if acct in own or acct in mentioned or \
                            not outside(acct, granted_partition(v, zone.partition)):
                        continue
                    mentioned[acct] = v if principal_account(v) is not None else \
                        root_arn(acct, granted_partition(v, zone.partition) or zone.partition)
            if mentioned:
                out.append(_match(st, principals=tuple(mentioned.values()), via="mentioned"))
    return tuple(out)


def granted_actions(st: Statement) -> tuple[str, ...]:
    """The actions on a secret an Allow statement of its resource policy grants: those of
    SECRET_RESOURCE_ACTIONS its Action / NotAction covers."""
    return _granted_actions(st.actions, st.not_actions)


@lru_cache(maxsize=4096)
def _granted_actions(actions: tuple[str, ...] | None,
                     not_actions: tuple[str, ...] | None) -> tuple[str, ...]:
    """``granted_actions`` by the statement's Action / NotAction (all ``acts_on`` reads):
    computed once per list, not once per grant asked about."""
    st = Statement(index=0, sid=None, effect="Allow", actions=actions, not_actions=not_actions)
    return tuple(a for a in SECRET_RESOURCE_ACTIONS if acts_on(st, (a,)))


#: the keys of a request that no IAM role, user or root user sends: IAM User Guide, "AWS global
#: condition context keys": aws:PrincipalServiceName and aws:PrincipalServiceNamesList are in
#: the request context only when an AWS service principal makes the request, aws:SourceAccount
#: / SourceArn / SourceOrgID / SourceOrgPaths only when a service acts for a resource (the
#: access analysis reads them as absent too: scanner.access.context.principal_context); and
#: aws:AssumedRoot, in no request that can read a secret or decrypt (request.ASSUMED_ROOT)
NOT_A_SERVICE_ABSENT = frozenset({
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths",
    "aws:principalservicename", "aws:principalservicenameslist", ASSUMED_ROOT})


#: the keys absent from a request made without a service in between (the caller's own
#: GetSecretValue), as scanner.access.context.build_request reads them: aws:CalledVia and its
#: First / Last forms are populated only when a service makes the request with the caller's
#: credentials (IAM User Guide, "Forward access sessions": "When FAS requests are made,
#: aws:CalledVia, aws:CalledViaFirst, and aws:CalledViaLast condition keys are populated with
#: the service principal of the service that initiated the FAS call")
_DIRECT_ABSENT = frozenset({"aws:calledvia", "aws:calledviafirst", "aws:calledvialast"})


def _grantee_request(entry: str, account: str, whole: bool, action: str, resource: str,
                     zone: TrustZone, resource_ctx: "ResourceContext", *,
                     direct: bool = True) -> Request:
    """What the snapshot knows of a request of ``entry`` (a principal outside the zone: its
    IAM is never read): its account; its ARN and type when it names a role or user (not when
    it names the whole account: which principal of it asks is not known -- but its ARN is an
    IAM ARN of the account, ``request.arn_of``); not a member of our
    organization when the organization was read (IAM User Guide, aws:PrincipalOrgID: the
    organization "to which the requesting principal belongs"; an account outside ours has
    none, or another's). The resource side is ``resource_ctx``, as the access analysis builds
    it (scanner.access.context.resource_context): the secret's account, and its organization
    when Organizations was read -- so the data perimeter ``aws:PrincipalOrgID !=
    ${aws:ResourceOrgID}`` compares the outsider with our organization (IAM User Guide,
    "Variables and tags": "the policy variables are replaced with values that come from the
    conditional context keys passed in the request"; IAM conformance trial round 12: only
    aws:ResourceAccount was given, and the perimeter by variable took nothing back).
    ``direct``: the caller's own call (no service in between: ``_DIRECT_ABSENT``). Every other
    key is unknown, so a Deny that reads one is undecided -- CONDITIONAL -- and takes nothing
    back."""
    context: dict[str, tuple[str, ...]] = dict(resource_ctx[0])
    # kms:CallerAccount is the caller's account too (absent from a GetSecretValue:
    # request.foreign_key), as scanner.access.context.principal_context gives it
    context.update({"aws:principalaccount": (account,), "kms:calleraccount": (account,),
                    "aws:principalisawsservice": ("false",)})
    kind = "root"
    # the resource's aws:ResourceOrgPaths where its account's place was not read (present,
    # under our organization id: request.resource_excluded, as the access analysis reads it)
    excluded: dict[str, frozenset[str]] = resource_excluded(context)
    # which principal of the account asks is not known (the whole account, a session): its
    # aws:PrincipalArn is still an IAM ARN of the account (request.arn_of), so an ARN
    # condition whose account differs is decided (IAM conformance trial round 12)
    excluded[PRINCIPAL_ARN] = arn_of(arn_partition(entry) or zone.partition, account)
    if not whole:
        parsed = parse_arn(entry)
        head = parsed.resource.split("/", 1)[0] if parsed is not None else ""
        if parsed is not None and parsed.service == "iam" and head in ("role", "user"):
            kind = head
            context["aws:principalarn"] = (entry,)
            context["aws:principaltype"] = ("AssumedRole" if head == "role" else "User",)
        else:
            kind = "role"  # a session or another entry: its ARN keys stay unknown
            if session_kind(entry) == "assumed-role":
                # a role session: the ARN is its role's (request.role_session_arn)
                excluded[PRINCIPAL_ARN] = role_session_arn(
                    arn_partition(entry) or zone.partition, account)
    if PRINCIPAL_TYPE not in context:
        # which principal of the account asks is not known, but an IAM caller's: IAM User
        # Guide, global condition keys, aws:PrincipalType: "Account, User, FederatedUser,
        # AssumedRole, Anonymous" (Secrets Manager and KMS take no anonymous calls), "included
        # in the request context for all signed requests" -- present, one of the four
        # (request.IAM_CALLER_TYPES; IAM conformance trial round 14: Allow {"AWS":
        # "999999999999"} under Null aws:PrincipalType "true" was an external grant)
        excluded[PRINCIPAL_TYPE] = one_of(IAM_CALLER_TYPES)
    if zone.organization is not None and zone.org_id and account not in zone.organization:
        excluded["aws:principalorgid"] = frozenset({zone.org_id})
        excluded["aws:principalorgpaths"] = not_under(f"{zone.org_id}/")
    request = Request(principal_arn=root_arn(account, arn_partition(entry) or zone.partition)
                      if whole else entry, principal_account=account, action=action,
                      resource=resource, principal_type=kind, context=context,
                      absent=NOT_A_SERVICE_ABSENT | (_DIRECT_ABSENT if direct else frozenset())
                      # an IAM user carries no role credential's keys (ROLE_CREDENTIAL_KEYS, as
                      # scanner.access.context.principal_context reads them)
                      | (ROLE_CREDENTIAL_KEYS if kind == "user" else frozenset()),
                      absent_prefixes=resource_ctx[1], excluded=excluded,
                      time_floor=resource_ctx[2])
    # not direct: through an AWS service or not, the route keys unknown (request.any_route:
    # the secret's aws:ViaAWSService "false" too; IAM conformance trial round 17)
    return request if direct else any_route(request)


def taken_back(policy: Policy, match: StatementMatch, principal: str, *, resource: str,
               zone: TrustZone, resource_ctx: "ResourceContext") -> tuple[str, ...]:
    """The Deny statements of ``policy`` that take back the grant ``match`` makes to
    ``principal`` on ``resource`` -- for every action the Allow grants on the secret a Deny
    statement applies to the principal for certain -- or () when some action stays granted
    (``grant_left``). IAM User Guide, "Policy evaluation logic": "An explicit deny in any of
    these policies overrides the allow." The one reading for the rule
    (secret-policy-external-account), the remediation planner (remove-external-grant) and the
    --prove path: the grants they see are the same. ``resource_ctx``: the secret's side of the
    request (scanner.access.graph_io.secret_resource_context). Among the labels, the Allow's
    own condition when it never holds for the principal (``own_condition_label``;
    ``withheld_text`` says them)."""
    left, labels = grant_left(policy, match, principal, resource=resource, zone=zone,
                              resource_ctx=resource_ctx)
    return () if left else labels


def grant_left(policy: Policy, match: StatementMatch, principal: str, *, resource: str,
               zone: TrustZone, resource_ctx: "ResourceContext",
               actions: tuple[str, ...] | None = None,
               direct: bool = False) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the actions on the secret the grant ``match`` makes to ``principal`` that no Deny
    statement of the policy takes back for certain, the labels of the Deny statements that
    take back the others -- or ``own_condition_label`` when the Allow's own condition is
    false for the principal's request of an action: it grants that action nothing,
    ``never_holds``). A Deny that applies only under a condition the snapshot cannot
    decide (CONDITIONAL) takes nothing back, nor does such an own condition. ``actions``: the actions asked about (default:
    those the statement grants on a secret, ``granted_actions``); ``direct``: see
    ``_grantee_request`` -- by default the grantee's request by any route: directly or
    through an AWS service (a Deny of the caller's own calls, Bool aws:ViaAWSService
    "false", takes back no grant; IAM conformance trial round 17).

    A grant to a whole account (an account id, its root ARN, an account a condition names)
    goes to every principal the account lets in: taken back only by a Deny naming everyone
    (``*``) or the account itself -- a Deny naming one role of it, or a NotPrincipal that
    spares one, leaves the others their grant. Another organization (``o-...``) and an
    aws:userid value are no one principal: nothing is taken back here."""
    st = next((s for s in policy.statements if s.index == match.index), None)
    if actions is None:
        actions = granted_actions(st) if st is not None else ()
        if st is not None and not actions:
            # no action on a secret (ListSecrets, GetRandomPassword, a kms: action): the
            # statement grants it nothing, as public_withheld says of a public one (IAM
            # conformance trial round 23: secret-policy-external-account FAILed it)
            return (), (own_condition_label(st, ("NotAction" if st.not_actions is not None
                                                 else "Action",)),)
    account = principal_account(principal) or (
        principal if match.via == "condition" and is_account_id(principal) else None)
    if is_organization(principal) or account is None or not actions:
        return actions or ("(the statement's actions)",), ()
    whole = principal == account or principal == root_arn(account, arn_partition(principal)
                                                          or zone.partition)
    denies = [d for d in policy.statements if d.effect == "Deny" and not d.problems and not (
        whole and d.not_principal is not None and any(
            principal_account(e) == account for e in d.not_principal.aws))]
    left: list[str] = []
    labels: dict[str, None] = {}
    for action in actions:
        request = _grantee_request(principal, account, whole, action, resource, zone,
                                   resource_ctx, direct=direct)
        # the Allow's own condition false for the grantee's request: it grants that action
        # nothing (never_holds; IAM conformance trial round 13: Allow {"AWS": "9999..."}
        # under Bool aws:PrincipalIsAWSService "true" FAILed without --prove only)
        own = never_holds(policy, st, request) if st is not None else ()
        if own:
            assert st is not None
            labels.setdefault(own_condition_label(st, own), None)
            continue
        hit = next((d for d in denies if evaluate_statement(
            d, request, policy, PolicyKind.RESOURCE)[0] is Tri.TRUE), None)
        if hit is None:
            left.append(action)
        else:
            labels.setdefault(hit.label, None)
    return tuple(left), tuple(labels)


def key_granted_actions(st: Statement | None) -> tuple[str, ...]:
    """The KMS actions a key policy's Allow statement grants, as its Action element names them
    (patterns kept: ``kms:*`` is asked as ``kms:*``, so only a Deny of every KMS action takes
    it back; a Deny of kms:Decrypt alone leaves a public ``kms:*`` grant its kms:PutKeyPolicy)
    -- what kms-key-policy-public asks the key policy's Deny statements about
    (``public_withheld``). KMS Developer Guide, "Key policies in AWS KMS": "A key policy is
    a resource policy for an AWS KMS key" -- its resource is the key, on which only KMS actions
    are called: ``*`` and a NotAction are every KMS action not excluded, asked as ``kms:*``;
    an entry of another service grants nothing on the key and is not asked. A NotAction that
    covers every KMS action (``kms:*``, ``*``: IAM User Guide, "IAM JSON policy elements:
    NotAction", it "explicitly matches everything except the specified list of actions") leaves
    none: () -- the statement grants nothing on the key (``public_withheld``; IAM conformance
    trial round 29: reported public)."""
    if st is None:
        return ()
    if st.actions is None:
        if st.not_actions is None or _covers(st.not_actions, "kms:*"):
            return ()
        return ("kms:*",)
    out: dict[str, None] = {}
    for entry in st.actions:
        service, sep, name = entry.strip().partition(":")
        if not sep:
            if glob_match(service, "kms:x", ignore_case=True):  # "*"
                out.setdefault("kms:*", None)
            elif "*" in service or "?" in service:
                # a wildcard that spans the colon ("*crypt" matches kms:Decrypt, as the
                # evaluator's action_matches reads it): asked as itself
                out.setdefault(service, None)
        elif glob_match(service, "kms", ignore_case=True):
            out.setdefault(f"kms:{name}", None)
    return tuple(out)


def covers_action_pattern(deny: Statement, pattern: str) -> bool:
    """Does ``deny`` name every action the action pattern ``pattern`` matches? Only through its
    Action element (a NotAction spares some action the pattern may match) and when one of its
    entries matches the pattern's text with ``*`` only: IAM User Guide, "IAM JSON policy
    elements: Action": "You can use wildcards (* or ?) as part of the action name"; a ``*``
    of the Deny absorbs whatever the pattern's ``*`` stands for, a ``?`` of either does not."""
    return deny.actions is not None and _covers(deny.actions, pattern)


def _covers(entries: Iterable[str], pattern: str) -> bool:
    """Does one of the Action / NotAction ``entries`` name every action ``pattern`` matches
    (``covers_action_pattern``)? ``?`` on either side is not read as covering."""
    return "?" not in pattern and any("?" not in a and action_matches(a, pattern)
                                      for a in entries)


#: the service and the resource-id prefix of every resource each read action names (Service
#: Authorization Reference: GetSecretValue on the Secret resource type, arn:...:secret:<id>;
#: Decrypt on the key resource type, arn:...:key/<key-id>)
READ_SPACES = {"secretsmanager:GetSecretValue": ("secretsmanager", "secret:"),
               "kms:Decrypt": ("kms", "key/")}


def on_every_resource(pattern: str, action: str, partition: str) -> bool:
    """Does the Resource / NotResource pattern match every resource ``action`` (one of
    READ_SPACES) can name -- every secret (key) of every account and Region of the partition?
    ``*`` does; so does an ARN pattern whose wildcards cover the Region, the account and the
    resource id (``arn:aws:kms:*:*:key/*``, ``arn:*:secretsmanager:*:*:*``, and -- a ``*``
    that ends its segment spans colons (IAM User Guide, "IAM JSON policy elements: Resource")
    -- ``arn:aws:secretsmanager:*:secret:*``). The account is a free field too: a pattern
    spelling an account of twelve ``?`` is not read as every account (for an Allow, a
    stricter reading, never a wider one)."""
    service, prefix = READ_SPACES[action]
    return matches_every(pattern, f"arn:{partition}:{service}:{{}}:{{}}:{prefix}{{}}")


def not_resource_spares_some(not_resources: Iterable[str], action: str,
                             partition: str) -> bool:
    """Does a statement with these NotResource patterns match some resource of ``action``'s
    space -- some secret (key) of some account? IAM User Guide, "IAM JSON policy elements:
    NotResource": the statement "explicitly matches every resource except those specified".
    So it matches some resource unless a pattern covers every one (``on_every_resource``):
    NotResource ``arn:aws:secretsmanager:*:*:secret:*`` (or ``*``) leaves no secret, one naming
    a name prefix or one secret leaves every other. Patterns that only together cover every
    resource (``secret:?`` with ``secret:??*``) are read as leaving some: for an Allow the
    stricter reading (IAM conformance trial round 13, concept review round 3)."""
    return not any(on_every_resource(r, action, partition) for r in not_resources)


#: how ``grant_left`` and ``public_withheld`` name an Allow's own condition that never holds for
#: the caller (a Deny that takes the grant back is named by its label, ``statement 2 (Sid)``;
#: ``withheld_text`` tells them apart)
OWN_CONDITION = "the condition "


def never_holds(policy: Policy, st: Statement, request: Request) -> tuple[str, ...]:
    """The clauses of ``st``'s Condition element that are false for ``request`` for certain
    (``Bool aws:principalisawsservice``); () when each may hold. IAM User Guide, "IAM JSON
    policy elements: Condition": "The Condition element (or Condition block) lets you specify
    conditions for when a policy is in effect", and "If you specify multiple condition
    operators in the Condition element, or multiple keys in a single condition operator, the
    conditions are evaluated using a logical AND" -- one false clause and the statement is in
    effect for no such request. Only a definitely false clause counts: one on a key the
    snapshot cannot know (UNKNOWN, CONDITIONAL in the access analysis) keeps the grant (IAM
    conformance trial round 13: Allow * under Bool aws:PrincipalIsAWSService "true" was
    reported public although the access analysis' ``*`` path was DENIED by it)."""
    # and its Resource / NotResource element: IAM User Guide, "IAM JSON policy elements:
    # Resource": it "defines the object or objects that the statement applies to" -- a
    # statement of a secret's policy that names another secret (or NotResource-excepts this
    # one) applies to no request on this secret (IAM conformance trial round 23: reported
    # public without --prove, not with it)
    element = () if resource_part(st, request, policy, PolicyKind.RESOURCE) is not Tri.FALSE \
        else ("NotResource" if st.not_resources is not None else "Resource",)
    return element + tuple(f"{c.operator} {c.key}" for c in st.conditions
                           if evaluate_clause(c, request, policy.variables_enabled)[0]
                           is Tri.FALSE)


def own_condition_label(st: Statement, clauses: Sequence[str]) -> str:
    """How a grant's own never-holding conditions are named among the labels of the Deny
    statements that take grants back (``OWN_CONDITION``)."""
    return f"{OWN_CONDITION}{', '.join(clauses)} of {st.label}"


def withheld_text(labels: Iterable[str], whom: str = "it") -> str:
    """``labels`` (``grant_left``, ``public_withheld``) in words: "the condition ... of
    statement 1 never holds for it", "statement 2 (X) takes it back (explicit Deny)"."""
    own = [x for x in labels if x.startswith(OWN_CONDITION)]
    denies = [x for x in labels if not x.startswith(OWN_CONDITION)]
    parts = ([f"{'; '.join(own)} never holds for {whom}"] if own else []) + \
        ([f"{', '.join(denies)} takes it back (explicit Deny)"] if denies else [])
    return " and ".join(parts)


def public_withheld(policy: Policy, match: StatementMatch,
                    outsider: Callable[[str], Request], *,
                    actions: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """Why the public grant ``match`` (an Allow to everyone) lets no caller outside in after
    all, or () when some action stays granted. For every action the Allow grants on the
    resource, asked of ``outsider(action)`` -- the access analysis' request of "anyone of an
    account outside everything known" (its ``*`` path: scanner.access.context.public_request),
    the caller the --prove question asks about: either a clause of the Allow's own Condition
    is false for it (``never_holds``; IAM conformance trial round 13), or a Deny of the policy
    applies to it for certain -- IAM User Guide, "Policy evaluation logic": "An explicit deny
    in any of these policies overrides the allow" (IAM conformance trial round 12: a Deny
    unless ArnNotLike aws:PrincipalArn "arn:aws:iam::*", which no ARN matches, took the `*`
    path's read back; secret-policy-public still FAILed without --prove). The labels: the Deny
    statements', and ``own_condition_label`` for the Allow's own condition
    (``withheld_text`` says them).

    ``actions``: the actions asked about (default: those the statement grants on a secret,
    ``granted_actions``; for a key policy ``key_granted_actions``, whose entries may be
    patterns). An action pattern is covered only by a Deny whose Action patterns match it as a
    whole (``covers_action_pattern``). No action: a statement of a secret's policy that
    grants no action on a secret (ListSecrets, BatchGetSecretValue, GetRandomPassword:
    ``NON_RESOURCE_ACTIONS``; a kms: action) grants it nothing (IAM conformance trial round
    23: reported public without --prove, not with it), nor does a statement of a key policy
    that grants no KMS action (NotAction ``kms:*``, an s3: action; round 29): its Action
    element is named as never holding (``own_condition_label``)."""
    st = next((s for s in policy.statements if s.index == match.index), None)
    if st is None:
        return ()
    if actions is None:
        actions = granted_actions(st)
    if not actions:
        return (own_condition_label(st, ("NotAction" if st.not_actions is not None
                                         else "Action",)),)
    denies = [d for d in policy.statements if d.effect == "Deny" and not d.problems]
    labels: dict[str, None] = {}
    for action in actions:
        request = outsider(action)
        own = never_holds(policy, st, request)
        if own:
            labels.setdefault(own_condition_label(st, own), None)
            continue
        pattern = any(ch in action for ch in "*?")
        hit = next((d for d in denies if (not pattern or covers_action_pattern(d, action))
                    and evaluate_statement(d, request, policy,
                                           PolicyKind.RESOURCE)[0] is Tri.TRUE), None)
        if hit is None:
            return ()
        labels.setdefault(hit.label, None)
    return tuple(labels)


def standing_public(policy: Policy | None, outsider: Callable[[str], Request], *,
                    actions_of: Callable[[int], tuple[str, ...] | None] = lambda index: None
                    ) -> tuple[tuple[StatementMatch, ...], dict[str, tuple[str, ...]]]:
    """(the public statements -- ``public_statements`` -- that some caller outside gets
    through, {each public statement's label: why it lets none in, () when it does}):
    ``public_withheld`` asked of ``outsider`` for each, for the actions ``actions_of(index)``
    names (None: those it grants on a secret). What secret-policy-public and
    kms-key-policy-public report, and the statements restrict-public-secret-policy narrows --
    one reading (IAM conformance trial round 28: the remediation narrowed every public
    statement, a grant to AWS services the rule leaves out too)."""
    matches = public_statements(policy)
    if policy is None:
        return (), {}
    back = {m.label: public_withheld(policy, m, outsider, actions=actions_of(m.index))
            for m in matches}
    return tuple(m for m in matches if not back[m.label]), back


def taken_back_principals(policy: Policy, matches: Iterable[StatementMatch], *, resource: str,
                          zone: TrustZone, resource_ctx: "ResourceContext"
                          ) -> dict[str, tuple[str, ...]]:
    """{principal: the Deny statements that take back every grant ``matches`` make to it}
    (``taken_back`` for each statement naming it; a principal one of whose grants stands is
    not in it)."""
    found: dict[str, dict[str, None]] = {}
    standing: set[str] = set()
    for m in matches:
        for e in m.principals:
            if e in standing:
                continue
            labels = taken_back(policy, m, e, resource=resource, zone=zone,
                                resource_ctx=resource_ctx)
            if labels:
                found.setdefault(e, {}).update(dict.fromkeys(labels))
            else:
                standing.add(e)
                found.pop(e, None)
    return {e: tuple(v) for e, v in found.items()}


@lru_cache(maxsize=4096)
def excess_actions(patterns: tuple[str, ...], allowed: tuple[str, ...]) -> tuple[str, ...]:
    """Concrete Secrets Manager actions the patterns grant on a secret beyond ``allowed`` (and
    unknown ``secretsmanager:`` names that ``allowed`` does not cover). Actions without a
    resource type (NON_RESOURCE_ACTIONS) are never granted by a secret's policy: neither a
    wildcard reaching them nor naming them grants more."""
    granted = [a for a in SECRET_RESOURCE_ACTIONS
               if any(action_matches(p, a) for p in patterns)]
    extra = [a for a in granted if not any(action_matches(x, a) for x in allowed)]
    unknown_names = [p for p in patterns if "*" not in p and "?" not in p
                     and p.lower().startswith("secretsmanager:")
                     and not any(p.lower() == a.lower() for a in SECRETSMANAGER_ACTIONS)
                     and not any(action_matches(x, p) for x in allowed)]
    return tuple(extra + unknown_names)


#: what a secret's rotation function writes beyond reading it. Secrets Manager User Guide,
#: "Lambda rotation function execution role permissions": the execution role needs
#: secretsmanager:DescribeSecret, GetSecretValue, PutSecretValue and UpdateSecretVersionStage on
#: the secret -- from another account, the secret's resource policy grants them
ROTATION_WRITE_ACTIONS = ("secretsmanager:PutSecretValue",
                          "secretsmanager:UpdateSecretVersionStage")


def overbroad_grants(policy: Policy | None, *, own_account: str | None,
                     allowed_actions: Sequence[str],
                     own_partition: str | None = None,
                     rotation_role: str | None = None,
                     resource: str | None = None) -> tuple[StatementMatch, ...]:
    """Allow statements granting other accounts or everyone more than ``allowed_actions``.
    ``own_partition``: the secret's partition -- a principal of another one is of another
    account whatever its id (``another_account``; None: not known, the id alone decides).
    ``rotation_role``: the execution role of the secret's own rotation function; named by its
    ARN (or an assumed-role session of it: ``principals.names_role``) in a statement whose actions beyond ``allowed_actions`` are only what rotation writes
    (``ROTATION_WRITE_ACTIONS``), it is granted what rotating the secret needs, not more
    (ground-truth trial round 13: cross-account rotation was an over-broad grant). A wildcard
    or any other write still counts for it. ``resource``: the secret's ARN -- a statement
    whose Resource / NotResource element leaves it out grants nothing on it (IAM User Guide,
    "IAM JSON policy elements: Resource"; IAM conformance trial round 23); None: not asked."""
    if policy is None:
        return ()
    allowed = tuple(allowed_actions)
    probe = Request(principal_arn="", principal_account=None, action=READ_ACTION,
                    resource=resource) if resource is not None else None
    variables = policy.variables_enabled
    out: list[StatementMatch] = []
    for st in policy.statements:
        if not _allows(st) or not st.has_principal_element:
            continue
        if probe is not None and resource_part(st, probe, policy,
                                               PolicyKind.RESOURCE) is Tri.FALSE:
            continue
        named = [e for e in (st.principal.aws if st.principal is not None else ())
                 if another_account(principal_account(e),
                                    granted_partition(e, own_partition),
                                    own_account=own_account, own_partition=own_partition)]
        # a "*" statement grants other accounts as far as its conditions let them in, by the
        # narrowing concept of public_statements and outside_zone_grants (concept review
        # round 1: "*" + aws:PrincipalAccount = the own account was reported as everyone)
        confined = confined_accounts(st, variables=variables) if everyone(st) else None
        others = tuple(v for v, acct in confined or ()
                       if acct != RESOURCE_ACCOUNT and another_account(
                           acct, granted_partition(v, own_partition), own_account=own_account,
                           own_partition=own_partition))
        if st.not_actions is not None:
            # a NotAction that covers every Secrets Manager action (secretsmanager:*, *)
            # grants nothing on the secret (granted_actions; IAM conformance trial round 29);
            # any other may grant an action not listed, a new one too
            extra: tuple[str, ...] = () if _covers(st.not_actions, "secretsmanager:*") else (
                "NotAction (everything except " + ", ".join(st.not_actions) + ")",)
        else:
            extra = excess_actions(st.actions or (), allowed)
        if not extra:
            continue
        if rotation_role is not None and st.not_actions is None \
                and any(names_role(e, rotation_role) for e in named) \
                and all(any(a.lower() == r.lower() for r in ROTATION_WRITE_ACTIONS)
                        for a in extra):
            # the role, or a session of it (no broader: ground-truth trial round 27)
            named = [e for e in named if not names_role(e, rotation_role)]
            if not named and not (everyone(st) or others):
                continue
        if everyone(st) and confined is None:
            # everyone, or narrowed to a population that spans accounts (the organization,
            # an endpoint): other accounts are among those granted
            # the narrowing key, when there is one, says who "*" is (the organization, an
            # endpoint's callers): "*" alone read as everyone (ground-truth trial round 6)
            key = next((c.key for c in st.conditions if narrows(c, variables=variables)), None)
            out.append(_match(st, principals=(EVERYONE, *named), actions=extra,
                              condition_key=key))
            continue
        if named:
            out.append(_match(st, principals=tuple(named), actions=extra))
        if others:
            key = next((c.key for c in st.conditions if narrows(c, variables=variables)
                        and any(v in c.values for v in others)), None)
            out.append(_match(st, principals=others, via="condition", condition_key=key,
                              actions=extra))
    return tuple(out)


def overbroad_left(policy: Policy, matches: tuple[StatementMatch, ...], *, resource: str,
                   zone: TrustZone, resource_ctx: "ResourceContext",
                   allowed: tuple[str, ...],
                   outsider: Callable[[str], Request] | None = None
                   ) -> tuple[StatementMatch, ...]:
    """``matches`` (``overbroad_grants``) without the actions the policy's own explicit Deny
    takes back from the grantee for certain (``grant_left``, the reading of
    secret-policy-external-account: IAM User Guide, "Policy evaluation logic": "An explicit
    deny in any of these policies overrides the allow"), and without a grantee left none
    beyond ``allowed`` (IAM conformance trial round 25: Allow 999999999999 secretsmanager:*
    beside Deny it NotAction [GetSecretValue, DescribeSecret] FAILed). Everyone (``*``) loses
    what a Deny takes back from every principal of every other account (``_every_other``:
    a Deny of everyone without a Condition; with ``outsider``, one that applies for certain
    to the ``*`` request in or out of the organization and to each other account a statement
    names -- Deny unless aws:PrincipalAccount is the secret's own; IAM conformance trial
    round 30); a data perimeter's Deny leaves the grant to those it spares. An organization
    is no one principal: kept as it is. ``resource_ctx``: the secret's side of the request
    (scanner.access.graph_io.secret_resource_context); ``outsider``: the request of the
    access analysis' ``*`` path by any route for an action (scanner.access.context.
    public_request, as secret-policy-public asks it)."""
    out: list[StatementMatch] = []
    for m in matches:
        st = next((x for x in policy.statements if x.index == m.index), None)
        # the concrete actions beyond ``allowed`` the statement grants on the secret, and an
        # unknown secretsmanager: name it grants (excess_actions), which no Deny is asked about
        concrete = tuple(a for a in (granted_actions(st) if st is not None else ())
                         if not any(action_matches(x, a) for x in allowed))
        unknown = tuple(a for a in m.actions if a.lower().startswith("secretsmanager:")
                        and a not in SECRET_RESOURCE_ACTIONS)
        kept: dict[str, tuple[str, ...]] = {}
        for g in m.principals:
            if g == EVERYONE and concrete:
                # everyone: taken back only by a Deny of everyone that holds for every
                # request -- Principal "*", no Condition, its Resource the secret's (a data
                # perimeter's Deny leaves those it spares the grant)
                left = tuple(a for a in concrete if not _every_other(
                    policy, a, resource=resource, zone=zone, resource_ctx=resource_ctx,
                    outsider=outsider)) + unknown
                if left:
                    kept[g] = m.actions if left == concrete + unknown else left
                continue
            if g == EVERYONE or is_organization(g) or not concrete:
                kept[g] = m.actions
                continue
            left = grant_left(policy, m, g, resource=resource, zone=zone,
                              resource_ctx=resource_ctx, actions=concrete)[0] + unknown
            if left:
                kept[g] = m.actions if st is not None and st.not_actions is not None \
                    and left == concrete else left
        # one match per set of actions left (the grantees of a statement usually share one)
        for actions in dict.fromkeys(kept.values()):
            out.append(replace(m, principals=tuple(g for g, a in kept.items() if a == actions),
                               actions=actions))
    return tuple(out)


def _every_other(policy: Policy, action: str, *, resource: str, zone: TrustZone,
                 resource_ctx: "ResourceContext",
                 outsider: Callable[[str], Request] | None) -> bool:
    """Some Deny statement of ``policy`` takes ``action`` on ``resource`` back from every
    principal of every account other than the resource's, for certain: IAM User Guide,
    "Policy evaluation logic": "An explicit deny in any of these policies overrides the
    allow". A Deny of everyone (Principal ``*``) without a Condition does; with ``outsider``
    (the ``*`` request of an account no policy names), so does one that applies to that
    request whatever its organization (``request.any_organization``: another account may be
    in ours) and to a request of each other account a statement of the policy names (one it
    may spare by name: ``mentioned_accounts``, ``_grantee_request``) -- Deny unless
    aws:PrincipalAccount is the secret's account, NotPrincipal of that account."""
    denies = [d for d in policy.statements if d.effect == "Deny" and not d.problems]
    if not denies:  # (nothing to take the grant back: no request needs building)
        return False
    if any(d.principal is not None and d.principal.star and not d.conditions
           and acts_on(d, (action,)) and resource_part(
               d, _resource_probe(resource, action), policy, PolicyKind.RESOURCE) is Tri.TRUE
           for d in denies):
        return True
    if outsider is None:
        return False
    own = resource_account(resource)
    requests = [any_organization(outsider(action))]
    for st in policy.statements:
        for value, account in mentioned_accounts(st):
            partition = granted_partition(value, zone.partition) or zone.partition
            if another_account(account, partition, own_account=own,
                               own_partition=zone.partition):
                requests.append(_grantee_request(root_arn(account, partition), account, True,
                                                 action, resource, zone, resource_ctx,
                                                 direct=False))
    return all(any(evaluate_statement(d, r, policy, PolicyKind.RESOURCE)[0] is Tri.TRUE
                   for d in denies) for r in requests)


def _resource_probe(resource: str, action: str) -> Request:
    """A request for ``action`` on ``resource``, for a Resource element alone."""
    return Request(principal_arn="", principal_account=None, action=action, resource=resource)


#: kms:ViaService of Secrets Manager in a Region: "secretsmanager.<region>.amazonaws.com"
_SECRETS_MANAGER_VIA = re.compile(r"secretsmanager\.([a-z0-9-]+)\.amazonaws\.com")


def via_secrets_manager_elsewhere(st: Statement, key_region: str | None) -> bool:
    """The statement holds only for requests through Secrets Manager in Regions other than
    the key's (a kms:ViaService clause whose every value names one, compared for equality
    or literally): it never applies to a request on the key. A secret's key is in the
    secret's Region -- "you can choose any symmetric encryption customer managed key in the
    AWS account and Region" (Secrets Manager User Guide, "Secret encryption and decryption")
    -- and kms:ViaService "limits use of a KMS key to requests from specified AWS services"
    (KMS Developer Guide, "AWS KMS condition keys"), so Secrets Manager elsewhere never sends
    one on this key, and nothing else carries its name (ground-truth trial round 21: a
    us-west-1 key's Decrypt for SandboxRole via secretsmanager.eu-west-2 was an excess
    grant, while the access analysis denied that very read at the key). IfExists and
    ForAllValues hold without the key (a direct call): never dead."""
    if not key_region:
        return False
    for c in st.conditions:
        if c.key != "kms:viaservice" or c.if_exists or c.qualifier == "forallvalues" or \
                not c.values:
            continue
        literal = c.base in ("stringequals", "stringequalsignorecase") or (
            c.base in ("stringlike",) and not any(ch in v for v in c.values for ch in "*?$"))
        if not literal:
            continue
        regions = [m.group(1) if (m := _SECRETS_MANAGER_VIA.fullmatch(v.lower())) else None
                   for v in c.values]
        if all(r is not None and r != key_region.lower() for r in regions):
            return True
    return False


def excess_key_grants(key_policy: Policy | None, covered: Callable[[str], bool], *,
                      key_account: str | None, key_partition: str = "aws",
                      action: str = DECRYPT_ACTION, key_arn: str = "",
                      zone: TrustZone | None = None,
                      resource_ctx: "ResourceContext | None" = None
                      ) -> tuple[StatementMatch, ...]:
    """Key statements letting principals of other accounts ``action`` (kms:Decrypt) that no
    secret encrypted with the key grants GetSecretValue -- named in Principal, or named by a
    condition of a ``*`` statement (``kms:CallerAccount``, ``aws:PrincipalAccount``, ...; with
    ``zone``, another organization by ``aws:PrincipalOrgID`` / ``aws:PrincipalOrgPaths``:
    ``condition_organizations``, its id or path the principal).

    ``covered(entry)``: whether some secret of the key grants the principal (or, for an
    account, some principal of the account) -- the access analysis' answer for the secrets'
    resource policies (scanner.access.key_report.SecretCoverage), not a second reading of
    their statements here: a ``*`` grant covers only whom its conditions let in, and an
    explicit Deny takes a grant back (conformance trial round 8).

    A principal of another partition than the key's is of another account, whatever its id:
    "You cannot use IAM credentials from one partition to interact with resources in a
    different partition" (AWS fault isolation boundaries whitepaper, "Partitions").

    A grant the key policy takes back is no grant: when an explicit Deny statement of the key
    policy applies for certain to the principal's ``action`` on the key (``grant_left``, the
    reading of secret-policy-external-account; IAM User Guide, "Policy evaluation logic": "An
    explicit deny in any of these policies overrides the allow"), evaluated with
    ``resource_ctx`` -- the key's side of the request by any route
    (scanner.access.context.key_resource_context) -- and ``zone`` (IAM conformance trial round
    12: a Decrypt grant the key policy denied again was reported as in excess). Without them
    no Deny is read."""
    if key_policy is None:
        return ()
    policy = key_policy

    def own(entry: str) -> bool:
        return principal_account(entry) is not None and not another_account(
            principal_account(entry), arn_partition(entry), own_account=key_account,
            own_partition=key_partition)

    def standing(m: StatementMatch) -> StatementMatch | None:
        """``m`` with the principals whose grant a Deny takes back left out (None: all)."""
        if zone is None or resource_ctx is None:
            return m
        kept = tuple(e for e in m.principals if grant_left(
            policy, m, e, resource=key_arn, zone=zone, resource_ctx=resource_ctx,
            actions=(action,), direct=False)[0])
        return None if not kept else m if kept == m.principals else \
            StatementMatch(index=m.index, sid=m.sid, principals=kept, via=m.via,
                           condition_key=m.condition_key, actions=m.actions)

    out: list[StatementMatch] = []
    key_region = arn_region(key_arn) if key_arn else None
    for st in key_policy.statements:
        if not _allows(st) or not acts_on(st, (action,)) or \
                via_secrets_manager_elsewhere(st, key_region):
            continue
        if st.principal is not None:
            excess = tuple(e for e in st.principal.aws
                           if principal_account(e) is not None and not own(e)
                           and not covered(e))
            if excess:
                out.append(_match(st, principals=excess))
        if everyone(st):
            named_here: set[str] = set()
            for c in st.conditions:
                pairs = condition_accounts(c)
                named_here.update(acct for _, acct in pairs)
                excess = tuple(v for v, acct in pairs
                               if not own(v if c.key in ARN_KEYS else acct)
                               and not covered(v if c.key in ARN_KEYS else acct))
                if excess:
                    out.append(_match(st, principals=excess, via="condition",
                                      condition_key=c.key))
                # another organization its aws:PrincipalOrgID / aws:PrincipalOrgPaths names:
                # every account of it may decrypt ("the identifier of the organization ... to
                # which the requesting principal belongs", IAM User Guide, global condition
                # keys), as secret-policy-external-account reads the secret's side
                # (ground-truth trial round 18: a key kept for the acquired company's former
                # organization passed)
                orgs = tuple(o for o in condition_organizations(
                    c, zone.org_id, none_ours=zone.no_organization) if not covered(o)) \
                    if zone is not None else ()
                if orgs:
                    out.append(_match(st, principals=orgs, via="condition",
                                      condition_key=c.key))
            # an account another statement's condition names -- a Deny's exception above
            # all (Deny kms:Decrypt unless ArnNotLike aws:PrincipalArn arn:aws:iam::999...:*)
            # -- is let in by this "*" where an account no policy names is not, as
            # outside_zone_grants reads the secret's side; ``standing`` drops it where the
            # policy withholds the grant from it (IAM conformance trial round 16: the key
            # side PASSed kms-key-policy-excess-grant while 999 could decrypt)
            spared: dict[str, str] = {}
            for other in policy.statements:
                for v, acct in mentioned_accounts(other):
                    entry = root_arn(acct, granted_partition(v, key_partition) or
                                     key_partition or "aws")
                    if acct in named_here or acct in spared or own(entry) or covered(entry):
                        continue
                    spared[acct] = entry
            if spared:
                out.append(_match(st, principals=tuple(spared.values()), via="mentioned"))
    return tuple(m for m in map(standing, out) if m is not None)


def principals_of(matches: Iterable[StatementMatch]) -> list[str]:
    """The principals of the matches, each once, in order."""
    seen: dict[str, None] = {}
    for m in matches:
        for p in m.principals:
            seen.setdefault(p, None)
    return list(seen)
