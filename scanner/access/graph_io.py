"""The access analysis' graph I/O: what it reads of each secret (and its key) from the graph,
and the Principal nodes of readers it adds (no verdict goes into the graph: rules, reports and
``report`` read the typed verdicts)."""

from __future__ import annotations

from typing import Any, Callable, Iterator, Mapping

import networkx as nx

from scanner.policy.arn import arn_account, arn_region, parse_arn, partition, with_region
from scanner.access.context import SECRET_ARN_CONTEXT, ResourceContext, resource_context
from scanner.access.gates import RESOURCE_POLICY_NOT_COLLECTED, KeyFacts
from scanner.access.grants import NamedPrincipals, named_principals
from scanner.access.settings import AccessSettings
from scanner.access.verdicts import SecretAccess
from scanner.frozen import frozen
from scanner.graph.schema import (AWS_MANAGED_ALIAS, EdgeKind, NodeKind, aws_managed_key,
                                  replica_absent, scheduled_for_deletion)
from scanner.model import USABLE_KEY_STATES
from scanner.policy.evaluate import PolicyResult
from scanner.policy.kms_grants import (grants_only_policy, grants_read, grants_unread, left_out,
                                      key_policy_with_grants)
from scanner.policy.parse import Policy, parse_policy
from scanner.policy.principals import session_kind
from scanner.policy.tri import Tri

def policy_input(attrs: Mapping[str, Any], field: str, what: str,
                 parse: Callable[[str], Policy] = parse_policy) -> tuple[
                     Policy | None, str | None]:
    """A policy attribute of a graph node as an input: (policy, None); (None, None) when there
    is no policy at all; (None, what is missing) when it was not read, not collected or cannot
    be parsed. The one reading of "was this policy read" (rules and access analysis)."""
    unread = attrs.get("unread") or ()
    if attrs.get("collected") is False:
        return None, f"{what} (not collected)"
    if field in unread or "key" in unread:
        return None, f"{what} (not read: see coverage)"
    if field not in attrs:
        return None, f"{what} (not collected)"
    text = attrs.get(field)
    if text is None:
        return None, None
    policy = parse(text if isinstance(text, str) else str(text))
    if policy.problems:
        return None, f"{what} (unparseable: {'; '.join(policy.problems)[:200]})"
    return policy, None


#: the principals an unread resource policy may name: anyone (SecretView.named)
UNREAD_NAMED = NamedPrincipals(arns=frozenset(), accounts=frozenset(), star=True)

_ENCRYPTED_BY = EdgeKind.ENCRYPTED_BY.value
_SECRET = NodeKind.SECRET.value
_SECRET_REPLICA = NodeKind.SECRET_REPLICA.value
_KMS_KEY = NodeKind.KMS_KEY.value


def rotation_of(attrs: Mapping[str, Any]) -> tuple[bool | None, str | None]:
    """(rotation enabled, its function's ARN) of a primary secret's node, as ListSecrets
    gave them; (None, None) for a replica (it is not rotated on its own) or when the
    secret's record was not read."""
    if attrs.get("kind") != NodeKind.SECRET.value or attrs.get("primary_arn"):
        return None, None
    enabled = attrs.get("rotation_enabled")
    return (enabled if isinstance(enabled, bool) else None), attrs.get("rotation_lambda_arn")


def secret_resource_context(arn: str, attrs: Mapping[str, Any],
                            settings: AccessSettings) -> ResourceContext:
    """The resource side of a GetSecretValue on the secret (or replica) of graph node ``arn``
    (``attrs``): scanner.access.context.resource_context with its account, Region, tags and
    rotation -- what the access analysis evaluates its resource policy with
    (``SecretView.rctx_sm``) and what the exposure rules evaluate the policy's own Deny
    statements with (scanner.policy.exposure.taken_back): one resource side for both."""
    account, region, tags, rotation = _secret_side(arn, attrs)
    return resource_context(account_id=account, region=region, tags=tags, settings=settings,
                            kms=False, secret_arn=arn, rotation=rotation)


def _secret_side(arn: str, attrs: Mapping[str, Any]) -> tuple[
        str, str, dict[str, str] | None, tuple[bool | None, str | None]]:
    """What ``secret_resource_context`` reads of a secret: (account, Region, tags -- None when
    they were not read, "tags" in its ``unread`` --, rotation) -- also what ``_Contexts``
    shares its contexts by."""
    tags = None if "tags" in (attrs.get("unread") or ()) else dict(attrs.get("tags") or {})
    return (attrs.get("account_id") or arn_account(arn) or "", copy_region(arn, attrs),
            tags, rotation_of(attrs))


class SecretView:
    """The facts about one secret (and its key) that every pair needs, computed once."""

    __slots__ = ("arn", "primary_arn", "name", "policy_missing", "account", "region", "tags",
                 "policy", "unread_result", "policy_unread", "key_arn", "aws_managed",
                 "key_account", "key_policy", "key_grants", "key_facts", "key_left_out",
                 "named", "key_named",
                 "uses_kms",
                 "decrypt_arn", "rctx_sm", "rctx_kms", "kms_scope", "policy_keys",
                 "scheduled_deletion", "partition")

    def __init__(self, arn: str, attrs: dict[str, Any], key_id: str | None,
                 key_attrs: dict[str, Any] | None, settings: AccessSettings,
                 named: Callable[[Policy | None, str, str], NamedPrincipals]
                 = named_principals,
                 managed_key: Callable[[str, str], str | None] | None = None,
                 contexts: "_Contexts | None" = None) -> None:
        self.arn = arn
        #: the secret whose resource policy this view carries (itself, or a replica's primary)
        self.primary_arn: str = str(attrs.get("primary_arn") or arn)
        self.name: str | None = attrs.get("name")
        #: what is missing of its resource policy as an input (None: read, or there is none)
        self.policy_missing = policy_input(attrs, "resource_policy",
                                           f"resource_policy of {self.primary_arn}")[1]
        self.account: str = attrs.get("account_id") or arn_account(arn) or ""
        self.region: str = copy_region(arn, attrs)
        #: the secret's partition (its Region's, else its ARN's): its readers are principals
        #: of this partition -- "You cannot use IAM credentials from one partition to interact
        #: with resources in a different partition" (AWS fault isolation boundaries
        #: whitepaper, "Partitions") -- the stand-ins for unread accounts too (concept review
        #: round 3)
        from scanner.aws.regions import partition_of

        self.partition: str = partition_of(self.region, arn)
        self.tags: dict[str, str] = dict(attrs.get("tags") or {})
        #: DeletedDate set: Secrets Manager refuses to read it or its policy until restored
        #: (scanner.graph.schema.scheduled_for_deletion): it has no readers
        self.scheduled_deletion = scheduled_for_deletion(attrs)
        text = attrs.get("resource_policy")
        self.policy: Policy | None = parse_policy(text) if text else None
        self.unread_result: PolicyResult | None = None
        #: the resource policy was not read (coverage): rules reading the view answer UNKNOWN
        self.policy_unread = self.policy is None and "resource_policy" in (
            attrs.get("unread") or ())
        if self.policy_unread:
            self.unread_result = PolicyResult(
                allow=Tri.UNKNOWN, allow_direct=Tri.UNKNOWN, deny=Tri.UNKNOWN,
                allow_session=Tri.UNKNOWN,
                unresolved=(RESOURCE_POLICY_NOT_COLLECTED,),
                reasons=("resource policy could not be read",))
        kms_ref = attrs.get("kms_key_id")
        self.key_arn = key_id
        ka = key_attrs or {}
        # the one reading of "is it the AWS-managed key" (the rule's and the remediators')
        self.aws_managed = aws_managed_key(str(kms_ref) if kms_ref else None,
                                           ka if key_attrs is not None else None)
        self.key_account: str = ka.get("account_id") or (
            arn_account(key_id) if key_id else None) or self.account
        # the key's grants are Allow statements of its resource side beside the key policy's
        # (scanner.policy.kms_grants); ``key_grants``: the grants alone, for the one rule
        # where they differ (another account's caller needs no identity Allow for a grant)
        contexts = contexts or _Contexts(settings)
        self.key_policy: Policy | None
        self.key_grants: Policy | None
        self.key_policy, self.key_grants = contexts.key_policies(ka)
        #: the key's Decrypt grants that never apply to Secrets Manager's Decrypt, by grantee
        self.key_left_out = left_out(ka.get("grants")) if ka.get("grants") else ()
        state = ka.get("key_state")
        unusable = state is not None and state not in USABLE_KEY_STATES
        usable = Tri.FALSE if unusable else Tri.TRUE
        reason: str | None = f"key is {state}" if unusable else None
        if state is None and "key_state" in (ka.get("unread") or ()):
            usable, reason = Tri.UNKNOWN, "key state not read"
        if not self.aws_managed and self.key_policy is None:
            reason = "key not collected" if key_attrs is None or not ka.get("collected", True) \
                else "key policy not collected"
        self.key_facts = KeyFacts(aws_managed=self.aws_managed, usable=usable,
                                  policy_result=None, reason=reason,
                                  grants_read=grants_read(ka if key_attrs is not None else None),
                                  grants_unread=not self.aws_managed and grants_unread(ka))
        # a policy that was not read may grant anyone, as one that cannot be parsed may
        # (grants.named_principals: ``star``): within the account "an identity-based policy or
        # a resource-based policy ... can grant access" (IAM User Guide, "Policy evaluation for
        # requests within a single account"), so every principal of the secret's account is a
        # candidate, CONDITIONAL on the unread policy, and outsiders are one class (fault
        # trial round 3: its same-account readers vanished and drift called them lost).
        # The principals of another partition than the secret's (and its key's) are left out:
        # they never read it (grants.named_principals)
        self.named = UNREAD_NAMED if self.policy_unread else named(
            self.policy, settings.action, self.partition)
        self.key_named = named(self.key_policy, settings.decrypt_action,
                               partition(key_id or arn))
        self.uses_kms = not self.aws_managed and bool(self.key_arn)
        #: the key ARN of the kms:Decrypt that Secrets Manager makes with the caller's
        #: credentials (forward access session), which the caller's identity policies and SCPs
        #: judge: the customer key's, or for aws/secretsmanager the ARN of that key as collected
        #: (``managed_key``) -- when it was not, a stand-in of the form of every key ARN of the
        #: account and region (a Deny on ``*`` or ``key/*`` sees it; one naming that key's id
        #: does not: docs/access.md). None: no key to decrypt with (not collected).
        self.decrypt_arn: str | None = self.key_arn if self.uses_kms else None
        if self.aws_managed:
            found = key_id if key_id and key_id.startswith("arn:") else \
                managed_key(self.key_account, self.region) if managed_key else None
            self.decrypt_arn = found or managed_key_stand_in(self.region, self.key_account)
        self.rctx_sm = contexts.sm(arn, attrs)
        # the key's own properties (kms:ResourceAliases, kms:KeySpec, ...) when the Decrypt
        # is on that collected key; the caches shared across secrets read them from rctx_kms
        # (pair_eval._rscope, guard_share.scope) or key on the key ARN (identity results,
        # secret_memo)
        self.rctx_kms = contexts.kms(
            arn, self.key_account, self.region,
            ka if key_attrs is not None and self.decrypt_arn == key_id else None)
        #: identity results for kms:Decrypt differ between secrets of one key only through the
        #: encryption context (SecretARN) and the region (kms:ViaService)
        self.kms_scope = (self.region, arn)
        keys: set[str] = set()
        for pol in (self.policy, self.key_policy):
            if pol is not None:
                keys |= pol.condition_keys
        self.policy_keys: frozenset[str] = frozen(keys)


class _Contexts:
    """The resource sides of the secrets' requests, one object for equal ones (the analysis
    holds two per secret, each read-only: build_request and the exposure checks copy them).
    A GetSecretValue's side is the same for the secrets of one account and Region with equal
    tags and rotation (``secret_resource_context``: the secret's ARN is not in it); a
    Decrypt's differs between the secrets of one key only by the encryption context's
    SecretARN, so it is the key's side with that one value set (the rest of its values
    shared). At 100,000 secrets the two were about a fifth of the analysis' memory
    (docs/scale.md, the sixteenth session)."""

    def __init__(self, settings: AccessSettings) -> None:
        self.settings = settings
        self._sm: dict[tuple[object, ...], ResourceContext] = {}
        #: by id() of a key's record (alive as long as the views): (record, policy, grants)
        self._key_policies: dict[int, tuple[Mapping[str, Any], Policy | None,
                                            Policy | None]] = {}
        #: by (account, Region, id() of the key's record -- alive as long as the views --)
        self._kms: dict[tuple[str, str, int | None], tuple[Mapping[str, Any] | None,
                                                           ResourceContext]] = {}

    def sm(self, arn: str, attrs: Mapping[str, Any]) -> ResourceContext:
        account, region, tags, rotation = _secret_side(arn, attrs)
        key = (account, region, None if tags is None else tuple(sorted(tags.items())),
               rotation)
        hit = self._sm.get(key)
        if hit is None:
            hit = self._sm[key] = secret_resource_context(arn, attrs, self.settings)
        return hit

    def key_policies(self, ka: Mapping[str, Any]) -> tuple[Policy | None, Policy | None]:
        """The key's policy with its grants (``key_policy_with_grants``) and its grants alone,
        parsed once per key record (the secrets of one key share it: _Shared.key_of)."""
        if not ka.get("grants"):
            text = ka.get("policy")
            return (parse_policy(text) if text else None), None
        hit = self._key_policies.get(id(ka))
        if hit is None or hit[0] is not ka:
            grants = ka.get("grants")
            key_text = key_policy_with_grants(ka.get("policy"), grants)
            policy = parse_policy(key_text) if key_text else None
            grants_text = grants_only_policy(grants) if policy is not None else None
            hit = self._key_policies[id(ka)] = (
                ka, policy, parse_policy(grants_text) if grants_text else None)
        return hit[1], hit[2]

    def kms(self, arn: str, account: str, region: str,
            key: Mapping[str, Any] | None) -> ResourceContext:
        ck = (account, region, None if key is None else id(key))
        hit = self._kms.get(ck)
        if hit is None or hit[0] is not key:
            hit = self._kms[ck] = (key, resource_context(
                account_id=account, region=region, tags={}, settings=self.settings, kms=True,
                secret_arn="", key=key))
        base, prefixes, floor = hit[1]
        ctx = dict(base)
        ctx[SECRET_ARN_CONTEXT] = (arn,)  # in its place: resource_context sets it so
        return ctx, prefixes, floor


class _Shared:
    """What secrets sharing a key or a policy document share: the key node's attributes (one
    copy per key) and each policy's named principals (per parsed policy and action)."""

    def __init__(self, graph: nx.MultiDiGraph) -> None:
        self.graph = graph
        self._keys: dict[str, dict[str, Any]] = {}
        #: by id() of a parsed policy that a SecretView keeps alive for the whole analysis
        self._named: dict[tuple[int, str, str], tuple[Policy | None, NamedPrincipals]] = {}
        self._managed: dict[tuple[str, str], str] | None = None

    def key_of(self, node: str) -> tuple[str | None, dict[str, Any] | None]:
        graph = self.graph
        # the adjacency dict behind graph.succ (succ[node][dst] holds the edges' data by edge
        # key, in the order out_edges walks), read without its read-only view wrappers: this
        # runs once per secret
        for dst, edges in graph._succ[node].items():
            for data in edges.values():
                if data.get("kind") == _ENCRYPTED_BY:
                    attrs = self._keys.get(dst)
                    if attrs is None:
                        attrs = self._keys[dst] = dict(graph.nodes[dst])
                    return dst, attrs
        return None, None

    def managed_key(self, account: str, region: str) -> str | None:
        """The collected aws/secretsmanager key of an account and region (``managed_key_arns``,
        read from the graph the first time a secret on that key asks)."""
        if self._managed is None:
            self._managed = managed_key_arns(self.graph)
        return self._managed.get((account, region))

    def named(self, policy: Policy | None, action: str, partition: str = "aws") -> \
            NamedPrincipals:
        ck = (id(policy), action, partition)
        hit = self._named.get(ck)
        if hit is None or hit[0] is not policy:
            hit = self._named[ck] = (policy, named_principals(policy, action, partition))
        return hit[1]


def secret_copies(graph: nx.MultiDiGraph) -> Iterator[tuple[str, str, dict[str, Any], bool]]:
    """(ARN, graph node, attributes, is a replica) of every secret and replica, in graph order.
    A replica's attributes are its primary's with the replica's region, key, tags and primary
    ARN (it carries its primary's resource policy; its tags are the replica node's:
    ``scanner.graph.builder``); a replica whose primary is not in the
    graph, or whose replication Failed (``replica_absent``), is left out."""
    for node, attrs in graph.nodes(data=True):
        kind = attrs.get("kind")
        if kind == _SECRET:
            yield node, node, attrs, False
        elif kind == _SECRET_REPLICA:
            primary = attrs.get("primary_arn")
            if not primary or primary not in graph or replica_absent(attrs):
                continue  # (a replication that Failed made no copy to read)
            merged = dict(graph.nodes[primary])
            merged["primary_arn"] = primary
            region = attrs.get("region") or ""
            # the replica node's own tags (the builder's one reading: its listing's, else
            # its primary's), as rules, suppressions and reports see them
            merged.update(region=region, kms_key_id=attrs.get("kms_key_id"),
                          tags=attrs.get("tags", merged.get("tags")))
            # whether those tags were read is the replica node's say too
            merged["unread"] = [u for u in merged.get("unread") or () if u != "tags"] + (
                ["tags"] if "tags" in (attrs.get("unread") or ()) else [])
            yield replica_arn(node, attrs), node, merged, True


def replica_arn(node: str, attrs: Mapping[str, Any]) -> str:
    """The ARN of a replica node (``primary#region`` in the graph): as listed in its region,
    else its primary's ARN in the replica's region (how Secrets Manager names replicas) -- the
    key of ``AccessReport.replicas``."""
    primary = attrs.get("primary_arn")
    region = attrs.get("region") or ""
    return str(attrs.get("replica_arn") or (with_region(str(primary), region)
                                            if primary and parse_arn(str(primary)) else node))


def copy_region(arn: str, attrs: Mapping[str, Any]) -> str:
    """The region of a secret or replica (``secret_copies``), as SecretView has it."""
    return attrs.get("region") or arn_region(arn) or ""


def secret_views(graph: nx.MultiDiGraph, settings: AccessSettings) -> tuple[
        list[SecretView], list[SecretView]]:
    """(primary secrets, replicas). A replica carries its primary's resource policy and tags,
    and is encrypted by its own key in its own region."""
    views: list[SecretView] = []
    replicas: list[SecretView] = []
    shared = _Shared(graph)
    contexts = _Contexts(settings)
    for arn, node, attrs, is_replica in secret_copies(graph):
        key_id, key_attrs = shared.key_of(node)
        (replicas if is_replica else views).append(
            SecretView(arn, attrs, key_id, key_attrs, settings, shared.named,
                       shared.managed_key, contexts))
    return views, replicas


def managed_key_arns(graph: nx.MultiDiGraph) -> dict[tuple[str, str], str]:
    """(account, region) -> the ARN of the collected key that ``alias/aws/secretsmanager``
    targets (ListAliases' TargetKeyId, listed by ListKeys: scanner.collectors.kms)."""
    out: dict[tuple[str, str], str] = {}
    for node, attrs in graph.nodes(data=True):
        if attrs.get("kind") == _KMS_KEY and attrs.get("aws_managed") and \
                AWS_MANAGED_ALIAS in (attrs.get("aliases") or ()) and \
                str(attrs.get("arn") or node).startswith("arn:"):
            out[(str(attrs.get("account_id") or ""), str(attrs.get("region") or ""))] = \
                str(attrs.get("arn") or node)
    return out


def managed_key_stand_in(region: str, account: str) -> str:
    """The key ARN a Decrypt with aws/secretsmanager names when that key was not collected."""
    from scanner.aws.regions import partition_of

    return f"arn:{partition_of(region)}:kms:{region}:{account}:key/" \
        "aws-secretsmanager-key-not-collected"


def key_nodes(graph: nx.MultiDiGraph) -> list[tuple[str, dict[str, Any]]]:
    return [(node, dict(attrs)) for node, attrs in graph.nodes(data=True)
            if attrs.get("kind") == NodeKind.KMS_KEY.value]


def key_families(graph: nx.MultiDiGraph) -> dict[str, frozenset[str]]:
    """Each collected multi-Region key's family: the key nodes its ``REPLICA_OF`` edges join
    (replica -> primary; the builder draws one for every collected replica whose primary was
    collected too), itself included; a key in no family is absent. "Each set of related
    multi-Region keys has the same key material and key ID, so you can encrypt data in one AWS
    Region and decrypt it in a different AWS Region" (KMS Developer Guide, "Multi-Region keys
    in AWS KMS"). The one reading of a family: access analysis' key report
    (kms-key-policy-excess-grant) and remediation's re-analysis scope
    (scanner.remediate.effects.KeyUse)."""
    kms = NodeKind.KMS_KEY.value
    replica_of = EdgeKind.REPLICA_OF.value
    family: dict[str, frozenset[str]] = {}
    # the keys' own edges, not every edge of the graph (0.2 s at 1,000 accounts, and
    # remediation planning asks once per change it weighs)
    for src, attrs in graph.nodes(data=True):
        if attrs.get("kind") != kms:
            continue
        for _, dst, kind in graph.out_edges(src, data="kind"):
            if kind != replica_of or graph.nodes[dst].get("kind") != kms:
                continue
            fam = family.get(dst, frozenset((dst,))) | family.get(src, frozenset((src,)))
            for k in fam:
                family[k] = fam
    return family


def add_reader_nodes(graph: nx.MultiDiGraph, report: Mapping[str, SecretAccess]) -> None:
    """A Principal node for every recorded reader the graph does not hold yet (a principal of
    an account whose IAM was not read, an outsider, ``*``, an STS session a policy names), so
    rules over principals see it. The verdicts themselves stay in the typed report: no edge is
    written. A session's node says what it is (principal_type ``assumed-role`` or
    ``federated-user``, whatever type its path evaluates it as): IAM User Guide, "AWS JSON
    policy elements: Principal" -- role sessions and federated user sessions are STS
    principals, not the IAM roles and users whose identity policies rules over IAM judge
    (conformance trial round 8: a federated user was "not assessed: ... IAM of account ...
    not read" by identity-policy-secret-wildcard)."""
    for sa in report.values():
        for p in sa.paths:
            if p.principal not in graph:
                graph.add_node(p.principal, kind=NodeKind.PRINCIPAL.value,
                               account_id=p.principal_account, region="global",
                               principal_type=session_kind(p.principal) or p.principal_type,
                               external=not p.in_zone)
