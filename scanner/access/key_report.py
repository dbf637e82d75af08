"""Per key: its kms:Decrypt grants, the secrets it encrypts, and the grants no secret policy
goes with (kms-key-policy-excess-grant reads them); and identity statements that grant every
secret or key (identity-policy-secret-wildcard)."""

from __future__ import annotations

from typing import Any, Iterator

from scanner.access.gates import KMS_GRANTS_NOT_READ
from scanner.access.context import (PrincipalFacts, ResourceContext, build_request,
                                    key_resource_context, principal_context)
from scanner.access.grants import policy_grants, standing_grants
from scanner.access.graph_io import SecretView, policy_input
from scanner.access.identity import PrincipalIndex, wildcard_grants
from scanner.access.settings import AccessSettings
from scanner.access.verdicts import Grant, IdentityWildcard, KeyAccess
from scanner.policy.arn import (account_entry, arn_partition, iam_entity, partition,
                                principal_account)
from scanner.policy.evaluate import PolicyKind, evaluate_policy
from scanner.policy.exposure import excess_key_grants
from scanner.policy.narrowing import is_organization
from scanner.policy.kms_grants import grants_unread, key_policy_with_grants
from scanner.policy.parse import Policy, parse_policy
from scanner.policy.principals import session_kind, session_role
from scanner.policy.request import PRINCIPAL_ARN, arn_of
from scanner.policy.tri import Tri


def key_access(key_id: str, attrs: dict[str, Any], views: list[SecretView],
               settings: AccessSettings, *, family: tuple[str, ...] = (),
               family_views: list[SecretView] | None = None,
               family_unread: tuple[str, ...] = ()) -> KeyAccess:
    """``views``: the secrets encrypted with the key. For a multi-Region key, ``family``: the
    other keys of its family in the snapshot (scanner.access.graph_io.key_families),
    ``family_views``: the secrets they encrypt, ``family_unread``: the keys of the family the
    snapshot does not hold (a region not scanned, a key not read), whose secrets are unknown.

    A multi-Region key's grants are compared with the secrets of its whole family: "Each set
    of related multi-Region keys has the same key material and key ID, so you can encrypt data
    in one AWS Region and decrypt it in a different AWS Region" (KMS Developer Guide,
    "Multi-Region keys in AWS KMS"), and a replica must grant what its primary grants
    (kms-replica-key-policy-drift: one that grants less breaks the readers of the replicated
    secrets after a failover). Judged against its own secrets only, a replica with its
    primary's policy got an excess grant for every principal only the primary's secrets grant,
    and no replica policy passed both rules (ground-truth trial round 6)."""
    # the key's KMS grants are Allow statements beside its policy's (scanner.policy.kms_grants):
    # a grant of kms:Decrypt to a principal no secret grants is an excess grant as a key-policy
    # statement is ("key grants decrypt to principals no secret policy grants", DESIGN.md;
    # IAM Access Analyzer "analyzes key policies and grants"; ground-truth trial round 18: an
    # unconstrained Decrypt grant to a vendor's role was reported by no rule)
    text = key_policy_with_grants(attrs.get("policy"), attrs.get("grants"))
    policy = parse_policy(text) if text else None
    region = attrs.get("region") or ""
    key_account = attrs.get("account_id") or ""
    # public as kms-key-policy-public reads it: not a statement the key policy withholds from
    # every caller outside (grants.standing_grants; IAM conformance trial round 13)
    grants = standing_grants(tuple(policy_grants(
        policy, source="key_policy", action=settings.decrypt_action, resource=key_id,
        settings=settings, extra_context={"kms:viaservice": (
            f"secretsmanager.{region}.amazonaws.com",)})), policy, resource=key_id,
        settings=settings, rctx=key_resource_context(account_id=key_account, region=region,
                                                     settings=settings, key=attrs), key=True)
    # a secret scheduled for deletion grants no one (it cannot be read, nor its policy), yet
    # the key still encrypts it: the key is judged, and its grants are compared with the other
    # secrets only (ground-truth trial round 13: a key whose one secret was scheduled for
    # deletion passed as "encrypts no secret" while it let an outside account decrypt)
    encrypted = views + list(family_views or ())
    views = [v for v in views if not v.scheduled_deletion]
    compared = views + [v for v in family_views or () if not v.scheduled_deletion]
    missing: list[str] = []
    excess: tuple[Grant, ...] = ()
    if encrypted:
        key_missing = policy_input(attrs, "policy", "key policy")[1]
        secrets_missing = list(dict.fromkeys(v.policy_missing for v in compared
                                             if v.policy_missing))
        # the secrets of a family key not in the snapshot were not listed: like an unread
        # secret policy, they can only cover more of the key's grants
        secrets_missing += [f"secrets encrypted with {k} (a key of its multi-Region family "
                            "the snapshot does not hold)" for k in family_unread]
        if key_missing:
            missing = [key_missing, *secrets_missing]
        elif policy is not None:
            excess = _excess(policy, list(grants), key_account, compared, settings,
                             partition(key_id), key_id=key_id,
                             rctx=key_resource_context(account_id=key_account, region=region,
                                                       settings=settings, key=attrs))
            # a secret policy not read can only cover more of the key's grants: with none in
            # excess over the policies read, none is over all of them (a definite PASS)
            if excess and secrets_missing:
                missing, excess = secrets_missing, ()
            # KMS grants not read (ListGrants failed) may hold one in excess: never a PASS
            elif not excess and grants_unread(attrs):
                missing = [KMS_GRANTS_NOT_READ]
    return KeyAccess(key_arn=key_id, account_id=key_account, region=region,
                     aws_managed=bool(attrs.get("aws_managed")),
                     collected=bool(attrs.get("collected", True)), grants=tuple(grants),
                     secrets=tuple(sorted(v.arn for v in views)),
                     primaries=tuple(sorted({v.primary_arn for v in encrypted})),
                     family=family, excess_grants=excess,
                     missing=tuple(missing),
                     problems=tuple(policy.problems) if policy else ())


def _excess(policy: Policy, grants: list[Grant], key_account: str,
            views: list[SecretView], settings: AccessSettings,
            key_partition: str = "aws", *, key_id: str = "",
            rctx: ResourceContext | None = None) -> tuple[Grant, ...]:
    """The key's grants that scanner.policy.exposure.excess_key_grants matches (one home for
    "excess key grant": the rule, this report and remediation agree), one per principal. A
    principal named only by a condition of a ``*`` statement keeps the grant that statement
    gives it, or gets one of scope ``account``. Whom a secret covers: ``SecretCoverage``."""
    by_entry = {(g.statement, g.principal): g for g in grants}
    out: dict[str, Grant] = {}
    primaries: dict[str, SecretView] = {}
    for v in views:  # replicas carry their primary's policy: count each primary once
        primaries.setdefault(v.primary_arn, v)
    covered = SecretCoverage(list(primaries.values()), settings, key_partition)
    # a grant the key policy's own explicit Deny takes back is none (IAM conformance trial
    # round 12): exposure.excess_key_grants reads the Deny statements with the key's side of
    # the request (context.key_resource_context) and the trust zone
    for m in excess_key_grants(policy, covered, key_account=key_account,
                               key_partition=key_partition, key_arn=key_id,
                               zone=settings.trust_zone, resource_ctx=rctx):
        for p in m.principals:
            if p in out:
                continue
            out[p] = by_entry.get((m.label, p)) or Grant(
                source="key_policy", statement=m.label, principal=p, scope="account",
                account_id=principal_account(p), in_zone=False,
                conditions=(m.condition_key,) if m.condition_key else ())
    return tuple(out.values())


def _allows(policy: Policy, facts: PrincipalFacts, sv: SecretView,
            settings: AccessSettings, *, unnamed: bool = False) -> bool:
    """Whether the secret's resource policy grants GetSecretValue to the principal: some
    Allow applies or may apply, and no explicit Deny applies -- the resource-policy gate of
    the access analysis (scanner.access.pair_eval), with the same request context
    (scanner.access.context). IAM User Guide, "Policy evaluation logic": "An explicit deny in
    any policy overrides any allows." ``unnamed``: a principal of the account no ARN tells --
    which one is not known, but its aws:PrincipalArn is still an IAM ARN of its partition and
    account (request.arn_of, as the access analysis' stand-in of an unread account: context.
    principal_context). IAM User Guide, global condition keys, aws:PrincipalArn: "the Amazon
    Resource Name (ARN) of the principal that made the request"; "Amazon Resource Name (ARN)
    condition operators": "Each of the six colon-delimited components of the ARN is checked
    separately" -- so a condition naming another account's or partition's principals cannot
    hold for it (GovCloud ground-truth trial round 10: a ``*`` grant narrowed by ArnLike to
    777777777777's roles covered a kms:CallerAccount grant to another account)."""
    pctx = principal_context(facts, settings)
    if unnamed:
        pctx[0].pop("aws:principalarn", None)
        if facts.account_id:
            pctx[2][PRINCIPAL_ARN] = arn_of(arn_partition(facts.arn) or "aws", facts.account_id)
    request = build_request(facts, pctx, sv.rctx_sm, action=settings.action, resource=sv.arn)
    result = evaluate_policy(policy, request, PolicyKind.RESOURCE)
    return result.allow is not Tri.FALSE and result.deny is not Tri.TRUE


class SecretCoverage:
    """Whether some secret of a key grants a key grantee GetSecretValue (the question of
    kms-key-policy-excess-grant: docs/rules.md), answered for each secret's resource policy
    as the access analysis answers it for the pair, not by matching statements: a ``*`` grant
    narrowed by aws:PrincipalOrgID covers the organization's principals only, one narrowed by
    aws:PrincipalAccount that account only, and a grant the policy takes back with an
    explicit Deny covers no one (conformance trial round 8: every one of them covered every
    grantee). An account grantee (its id, its root, a kms:CallerAccount value) is covered
    when the secret grants anyone in that account.

    A secret in the grantee's own account covers it unless its resource policy's explicit Deny
    applies: there "an identity-based policy or a resource-based policy" can allow the read
    (IAM User Guide, "Policy evaluation logic"), so the secret needs no grant of its own,
    while its Decrypt with a key of another account needs this key policy's grant (IAM User
    Guide, "Cross-account policy evaluation logic"). Ground-truth trial round 13: a member's
    secret under the central account's key, read by the member's role, made the key's grant
    to that role a HIGH excess grant whose remediation (remove it) broke the read.

    A session ARN is its role: "A session ARN named in a policy is evaluated as its role"
    (docs/access.md), and IAM User Guide, "AWS JSON policy elements: Principal" -- a role ARN
    in a resource-based policy grants the role's sessions (conformance trial round 8: the
    secret granting the role and the key its session, or the reverse, was an excess grant).
    A role name is unique in its account whatever its path ("IAM object quotas" / "IAM
    identifiers": names are unique within the account), so the session's role is the role of
    that name the secret policy names, or one without a path.

    Partitions: "You cannot use IAM credentials from one partition to interact with resources
    in a different partition" (AWS fault isolation boundaries whitepaper, "Partitions"): a
    secret never covers a grantee of another partition, whatever the account id. A bare
    account id is read in the key policy's partition."""

    def __init__(self, views: list[SecretView], settings: AccessSettings,
                 key_partition: str = "aws") -> None:
        self._views = [v for v in views if v.policy is not None]
        #: per (partition, account): its own secrets (the account's IAM may grant them)
        self._own: dict[tuple[str, str], list[SecretView]] = {}
        for v in views:
            if v.account:
                self._own.setdefault((partition(v.arn), v.account), []).append(v)
        self._settings = settings
        self._partition = key_partition
        self._known: dict[str, bool] = {}
        #: per view: None when an Allow may reach any account (``*``, NotPrincipal, a policy
        #: with problems), else the accounts its Allow statements name (SecretView.named)
        self._reach: list[frozenset[str] | None] = []
        for v in self._views:
            named = v.named
            self._reach.append(None if named.star else named.accounts | frozenset(
                a for a in (principal_account(e) for e in named.arns) if a))

    def __call__(self, entry: str) -> bool:
        hit = self._known.get(entry)
        if hit is None and is_organization(entry):
            hit = self._known[entry] = any(self._covers_organization(entry, v, reach)
                                           for v, reach in zip(self._views, self._reach))
        if hit is None:
            acct = principal_account(entry)
            # an Allow matches a principal only through its Principal element: a policy that
            # names neither ``*`` nor anyone of the grantee's account grants it nothing (a
            # look-up before evaluating: a key of many secrets and many grantees)
            own = self._own.get((arn_partition(entry) or self._partition, acct or ""), ())
            hit = self._known[entry] = any(self._own_covers(entry, v) for v in own) or any(
                self._covers(entry, v) for v, reach in zip(self._views, self._reach)
                if reach is None or acct in reach)
        return hit

    def _covers_organization(self, entry: str, sv: SecretView,
                             reach: frozenset[str] | None) -> bool:
        """Another organization (an ``o-...`` id, or a path of it) a key statement lets in:
        covered when the secret's policy may grant a principal of it -- one of an account no
        policy names whose aws:PrincipalOrgID is that organization (its path within it
        unknown), or any account outside the zone the policy names (it may be one of that
        organization's: the snapshot cannot tell)."""
        if reach is not None:
            return any(not self._settings.in_zone(a) for a in reach)
        policy = sv.policy
        if policy is None:
            return False
        org = entry.split("/", 1)[0]
        facts = PrincipalFacts(arn="*", account_id=None, principal_type="public")
        ctx, absent, excluded = principal_context(facts, self._settings)
        excluded.pop("aws:principalorgid", None)
        excluded.pop("aws:principalorgpaths", None)
        ctx["aws:principalorgid"] = (org,)
        request = build_request(facts, (ctx, absent, excluded), sv.rctx_sm,
                                action=self._settings.action, resource=sv.arn)
        result = evaluate_policy(policy, request, PolicyKind.RESOURCE)
        return result.allow is not Tri.FALSE and result.deny is not Tri.TRUE

    def _own_covers(self, entry: str, sv: SecretView) -> bool:
        """A secret of the grantee's own account: covered unless the secret's resource policy
        explicitly denies it the read for certain (an account entry: anyone of the account)."""
        policy = sv.policy
        if policy is None:
            return True
        acct = sv.account
        part = partition(sv.arn)
        org_path = self._settings.org_paths.get(acct)
        facts = PrincipalFacts(arn=f"arn:{part}:iam::{acct}:role/any-principal", account_id=acct,
                               principal_type="role", org_path=org_path) \
            if account_entry(entry) is not None else self._facts(entry, acct, policy, org_path)
        pctx = principal_context(facts, self._settings)
        request = build_request(facts, pctx, sv.rctx_sm, action=self._settings.action,
                                resource=sv.arn)
        return evaluate_policy(policy, request, PolicyKind.RESOURCE).deny is not Tri.TRUE

    def _covers(self, entry: str, sv: SecretView) -> bool:
        policy = sv.policy
        acct = principal_account(entry)
        part = arn_partition(entry) or self._partition
        if policy is None or acct is None or part != partition(sv.arn):
            return False
        org_path = self._settings.org_paths.get(acct)
        if account_entry(entry) is not None:
            # anyone of the account: a principal no ARN tells (a role, a user), then each
            # principal of the account the policy names
            for ptype in ("role", "user"):
                facts = PrincipalFacts(arn=f"arn:{part}:iam::{acct}:{ptype}/any-principal",
                                       account_id=acct, principal_type=ptype,
                                       org_path=org_path)
                if _allows(policy, facts, sv, self._settings, unnamed=True):
                    return True
            return any(_allows(policy, self._facts(e, acct, policy, org_path), sv,
                               self._settings)
                       for e in _named(policy)
                       if principal_account(e) == acct and account_entry(e) is None
                       and (arn_partition(e) or part) == part)
        return _allows(policy, self._facts(entry, acct, policy, org_path), sv, self._settings)

    @staticmethod
    def _facts(entry: str, acct: str, policy: Policy, org_path: str | None) -> PrincipalFacts:
        """The requester an entry names: a session as its role, else the entry itself."""
        session = session_role(entry)
        if session is not None:
            part = partition(entry)
            name = session[1]
            role = next((e for e in _named(policy)
                         if e.startswith(f"arn:{part}:iam::{acct}:role/")
                         and e.rsplit("/", 1)[-1] == name),
                        f"arn:{part}:iam::{acct}:role/{name}")
            return PrincipalFacts(arn=role, account_id=acct, principal_type="role",
                                  name=name, org_path=org_path)
        user = session_kind(entry) == "federated-user" or \
            (iam_entity(entry) or ("",))[0] == "user"
        arn = _spelled_as_named(entry, policy)
        return PrincipalFacts(arn=arn, account_id=acct,
                              principal_type="user" if user else "role",
                              name=arn.rsplit("/", 1)[-1], org_path=org_path)


def _named(policy: Policy) -> Iterator[str]:
    """The AWS principal entries of the policy's statements."""
    for st in policy.statements:
        if st.principal is not None:
            yield from st.principal.aws


def _spelled_as_named(entry: str, policy: Policy) -> str:
    """A role or user ARN as the secret's policy spells it -- in a Principal element or as a
    literal aws:PrincipalArn value -- where the two differ only in case; else ``entry``. IAM
    API Reference, CreateRole, RoleName: "IAM user, group, role, and policy names must be
    unique within the account. Names are not distinguished by case": two such spellings name
    one principal. A key grant whose grantee a case-insensitive condition names
    (StringEqualsIgnoreCase aws:PrincipalArn) is reported case-folded
    (narrowing.condition_accounts), and the principal it lets in is the one the secret grants
    (IAM conformance trial round 31: ``role/applicationrole`` was an excess grant beside a
    secret granting ``role/ApplicationRole``)."""
    if iam_entity(entry) is None:
        return entry
    spelled = set(_named(policy))
    for st in policy.statements:
        for c in st.conditions:
            if c.key == PRINCIPAL_ARN:
                spelled.update(v for v in c.values if "*" not in v and "?" not in v)
    if entry in spelled:
        return entry
    folded = entry.lower()
    return next((e for e in sorted(spelled) if e.lower() == folded and iam_entity(e)), entry)


def identity_wildcards(index: PrincipalIndex) -> list[IdentityWildcard]:
    out: list[IdentityWildcard] = []
    for p in index.principals():
        for np in p.policies:
            if np.policy is None:
                continue
            for label, action in wildcard_grants(np.policy, partition(p.arn)):
                out.append(IdentityWildcard(principal=p.arn, account_id=p.account_id,
                                            policy=np.name, statement=label, action=action))
    return out
