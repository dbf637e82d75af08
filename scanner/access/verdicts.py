"""The typed verdicts of the access analysis: what each gate says for one (principal, secret)
pair, the grants of a secret or key policy, the classes of principals a ``*`` grant reaches,
and the per-secret and per-key summaries. Frozen, keyword-only dataclasses: the rule engine,
the reports, the ``access`` command and history read these (never dictionaries written into
the graph). ``scanner.access.report.AccessReport`` holds them and serialises them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, Mapping

from scanner.policy.principals import NOT_PRINCIPAL_BOUNDARY, NOT_PRINCIPAL_NO_SESSION

GATES = ("resource_policy", "key_policy", "identity_policy", "scp")


@dataclass(frozen=True, kw_only=True, slots=True)
class GateVerdict:
    status: str  # ALLOWED | DENIED | CONDITIONAL | NOT_APPLICABLE | UNKNOWN
    conditions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    #: an explicit Deny of this gate's policies applies (for certain): no Allow added to any
    #: policy lifts it (IAM User Guide, "Policy evaluation logic": "An explicit deny in any of
    #: these policies overrides the allow"); the reasons name the statement
    explicit_deny: bool = False
    #: key_policy only: why the key cannot decrypt whatever its policy says ("key is
    #: Disabled", "key is PendingDeletion"); empty when its state allows use or is unknown
    key_unusable: str = ""


#: the evaluator's words for a Deny statement that applies (scanner.policy.evaluate; with the
#: reason in parentheses after them for a NotPrincipal Deny that applies for a boundary)
DENY_APPLIES = "Deny applies"


def denied_for_boundary(gate: GateVerdict) -> bool:
    """The resource-policy gate is DENIED, an Allow of it applies (or may), and every Deny that
    applies is a NotPrincipal Deny that applies for the principal's permissions boundary alone
    (the evaluator's reason says so: principals.NOT_PRINCIPAL_BOUNDARY) -- a reader the policy
    names to keep, which AWS denies (IAM User Guide, NotPrincipal: "The NotPrincipal element
    with a Deny effect will always deny any IAM principal that has a permissions boundary
    policy attached, regardless of the values specified in the NotPrincipal element"). The one
    case in which the resource policy's own verdict breaks a read it grants: what the access
    analysis' intent (pair_eval) and secret-cross-account-access-broken read."""
    if gate.status != "DENIED":
        return False
    denies = [r for r in gate.reasons if f" {DENY_APPLIES}" in r and "applies only if" not in r]
    # and a role the NotPrincipal Deny lists without any of its sessions, which it denies for
    # that alone (principals.NOT_PRINCIPAL_NO_SESSION; IAM conformance trial round 36): the
    # owner named the role to keep, AWS denies its sessions
    return (any(" Allow applies" in r for r in gate.reasons) and bool(denies)
            and all(NOT_PRINCIPAL_BOUNDARY in r or NOT_PRINCIPAL_NO_SESSION in r
                    for r in denies))


@dataclass(frozen=True, kw_only=True, slots=True)
class AccessPath:
    """One (principal, secret) pair and the verdict of every gate. The secret is the one whose
    ``SecretAccess.paths`` hold the path: the path does not name it, so that secrets the
    analysis cannot tell apart but by their ARN and name share one tuple of paths
    (scanner.access.secret_memo: at 205 accounts of bench/grow.py's shape, 88 % of the paths
    were copies that differed from another secret's only in that ARN)."""

    principal: str
    principal_account: str | None
    principal_type: str
    secret_account: str
    decision: str  # ALLOWED | DENIED | CONDITIONAL
    cross_account: bool
    gates: Mapping[str, GateVerdict]
    conditions: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    intended: bool = False  # some policy names this principal (or its account) for this secret
    broken_at: tuple[str, ...] = ()  # gates that block an intended read
    in_zone: bool = True  # principal's account inside the organization (zone of trust)
    allow_listed: bool = False

    @property
    def broken(self) -> bool:
        return bool(self.broken_at)

    def gate_statuses(self) -> dict[str, str]:
        return {k: v.status for k, v in self.gates.items()}

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled as its values, rebuilt by the constructor: half the time of the default
        (per-field ``__setstate__``) for the paths a shard's process sends back."""
        return _access_path, _PATH_VALUES(self)


_PATH_VALUES = attrgetter(*(f.name for f in fields(AccessPath)))


class _PathSlots:
    """AccessPath's slots without its frozen ``__setattr__``: a path is built field by field,
    then becomes an AccessPath by assigning ``__class__`` (the layouts are identical), as
    scanner.findings.make_finding does. 0.3 us instead of the dataclass __init__'s 1.8 us,
    which sets each of the 13 fields through object.__setattr__; a 100,000-secret estate
    makes about a million paths."""

    __slots__ = AccessPath.__slots__  # type: ignore[attr-defined]


def make_path(principal: str, principal_account: str | None, principal_type: str,
              secret_account: str, decision: str, cross_account: bool,
              gates: Mapping[str, GateVerdict], conditions: tuple[str, ...],
              reasons: tuple[str, ...], intended: bool, broken_at: tuple[str, ...],
              in_zone: bool, allow_listed: bool) -> AccessPath:
    """AccessPath(...) for hot paths, every field given in declaration order: the same
    frozen AccessPath (equal to one the class builds, usable with ``dataclasses.replace``)."""
    p: Any = _PathSlots()
    p.principal = principal
    p.principal_account = principal_account
    p.principal_type = principal_type
    p.secret_account = secret_account
    p.decision = decision
    p.cross_account = cross_account
    p.gates = gates
    p.conditions = conditions
    p.reasons = reasons
    p.intended = intended
    p.broken_at = broken_at
    p.in_zone = in_zone
    p.allow_listed = allow_listed
    p.__class__ = AccessPath
    out: AccessPath = p
    return out


def path_with(path: AccessPath, **changes: Any) -> AccessPath:
    """``dataclasses.replace(path, **changes)`` through ``make_path``."""
    values = dict(zip(_PATH_FIELDS, _PATH_VALUES(path)))
    values.update(changes)
    return make_path(**values)


_PATH_FIELDS = tuple(f.name for f in fields(AccessPath))
#: the unpickler's constructor (``AccessPath.__reduce__``)
_access_path = make_path


@dataclass(frozen=True, kw_only=True, slots=True)
class Grant:
    """One principal entry of an Allow statement in a secret or key policy."""

    source: str  # resource_policy | key_policy
    statement: str
    principal: str  # the entry as written ("*", account id, ARN, service name)
    #: public | organization | restricted | account | principal | service | federated |
    #: other-organization (every account of an organization that is not ours)
    scope: str
    account_id: str | None = None
    in_zone: bool = False
    allow_listed: bool = False
    conditions: tuple[str, ...] = ()  # conditions that keep an outsider's access unresolved
    unintended: str | None = None  # public | outside-organization | not-allow-listed


@dataclass(frozen=True, kw_only=True, slots=True)
class ClassVerdict:
    """One equivalence class of principals that no policy of the secret singles out, reached
    through a ``*`` grant (typically organization-wide): evaluated once for all its members.
    Whatever the decision, it says how far the grant reaches and which gate stops it."""

    example: str  # one member's ARN (the representative that was evaluated)
    principal_type: str
    principals: int
    accounts: int
    decision: str
    gates: Mapping[str, str]
    broken_at: tuple[str, ...] = ()
    recorded: bool = False  # its members also have their own paths


@dataclass(frozen=True, kw_only=True, slots=True)
class Reach:
    """A class of readers a grant reaches without naming them one by one: everyone (a ``*``
    grant an outsider can use), the organization (a ``*`` grant: every principal of the zone
    of trust that no policy of the secret names), the principals under an OU's paths (a ``*``
    grant narrowed by aws:PrincipalOrgPaths), every IAM role and user of the secret's own
    account (a ``*`` grant lets them in without any identity policy), or the principals of an account
    the policy names as a whole (its root or id) or a ``*`` grant is narrowed to by a
    condition (aws:PrincipalAccount, ...). Its members that the snapshot holds are also
    individual paths; ``unassessed_accounts`` are accounts of the class whose IAM was not read
    (their principals are unknown, the class's decision covers them through a stand-in)."""

    #: "*" | "organization:<org id or 'zone'>" | "organization:<org paths>" (the
    #: aws:PrincipalOrgPaths patterns of an OU-narrowed grant, comma-separated) |
    #: "account:<id>" (stable: drift key)
    subject: str
    scope: str  # public | organization | organization-path | own-account | account
    decision: str  # ALLOWED | CONDITIONAL | DENIED: the best decision of any member
    #: principals of the snapshot in the class that read (ALLOWED) / read conditionally;
    #: None for everyone (not countable)
    principals: int | None = None
    conditional_principals: int | None = None
    accounts: int | None = None  # accounts with at least one (conditional) reader
    unassessed_accounts: tuple[str, ...] = ()
    #: those of ``unassessed_accounts`` whose stand-in reads (ALLOWED or CONDITIONAL): their
    #: place in the organization (aws:PrincipalOrgPaths, the SCPs along their path) can make
    #: one read where another cannot (ground-truth trial round 11)
    unassessed_reading: tuple[str, ...] = ()
    blocked_by: tuple[str, ...] = ()  # for DENIED: the gates that stop the class
    statements: tuple[str, ...] = ()  # the resource-policy statements that open it
    #: inputs not read that the class's decision depends on (the secret's resource policy:
    #: it may grant anyone, fault trial round 3): a CONDITIONAL on them, never a confirmed
    #: reader (the access baseline reads the class as UNKNOWN)
    missing: tuple[str, ...] = ()

    @property
    def reads(self) -> bool:
        return self.decision in ("ALLOWED", "CONDITIONAL")

    @property
    def label(self) -> str:
        kind, _, rest = self.subject.partition(":")
        if self.subject == "*":
            return "everyone (any AWS principal of any account)"
        if self.scope == "organization-path":
            return f"principals of the organization under {rest}"
        if kind == "organization":
            return f"the whole organization ({rest})" if rest != "zone" else \
                "every account of the zone of trust"
        if self.scope == "own-account":
            # its members are the account's IAM roles and users the snapshot holds (the root
            # user is not one: it needs no identity policy, so a class DENIED for want of one
            # said "every principal ... DENIED" where the root user reads -- IAM conformance
            # trial round 23)
            return f"every IAM role and user of the secret's own account {rest}"
        return f"principals of account {rest}"


def reach_counts(principals: int, conditional_principals: int, accounts: int,
                 unassessed_accounts: int = 0) -> str:
    """How many principals of a class of readers (``Reach``) read, in one wording for
    `secretgraph access`, report.html's reach table and the drift, terminal and HTML (each
    had its own: "0 read, ...; IAM not read in 1" beside "..., 1 account(s) not assessed" --
    new-user trial round 28): "N principal(s) of the snapshot read, N conditionally, in N
    account(s)", and "; IAM not read in N account(s)" for the accounts whose members are
    unknown (``Reach.unassessed_accounts``)."""
    words = (f"{principals} principal(s) of the snapshot read, {conditional_principals} "
             f"conditionally, in {accounts} account(s)")
    if unassessed_accounts:
        words += f"; IAM not read in {unassessed_accounts} account(s)"
    return words

@dataclass(frozen=True, kw_only=True, slots=True)
class Breadth:
    principals: int = 0
    accounts: int = 0
    conditional_principals: int = 0
    conditional_accounts: int = 0
    organization_wide: bool = False
    public: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class SecretAccess:
    secret_arn: str
    name: str | None
    account_id: str
    region: str
    key_arn: str | None
    aws_managed_key: bool
    paths: tuple[AccessPath, ...] = ()
    grants: tuple[Grant, ...] = ()
    breadth: Breadth = field(default_factory=Breadth)
    problems: tuple[str, ...] = ()  # parse problems of its resource / key policy
    #: for a secret whose resource policy has a ``*`` grant: the verdict of each class of
    #: principals no policy names (members of a recorded class also have their own paths)
    classes: tuple[ClassVerdict, ...] = ()
    #: the classes of readers its ``*`` and account-wide grants reach (see ``Reach``)
    reach: tuple[Reach, ...] = ()
    #: scheduled for deletion (scanner.graph.schema.scheduled_for_deletion): no paths, no
    #: grants, no reach -- Secrets Manager lets no one read it until it is restored
    scheduled_deletion: bool = False
    #: the analysis of this secret raised (``"KeyError: 'x' (at scanner/access/...py:123)"``):
    #: no path, grant or reach is known, and every verdict about its readers is UNKNOWN -- the
    #: other secrets' are not held back by it (secret_eval.failed_access)
    failed: str = ""

    @property
    def reader_classes(self) -> tuple[Reach, ...]:
        """The reach classes whose members read (ALLOWED or CONDITIONAL)."""
        return tuple(r for r in self.reach if r.reads)

    @property
    def readers(self) -> tuple[AccessPath, ...]:
        return tuple(p for p in self.paths if p.decision == "ALLOWED")

    @property
    def conditional_readers(self) -> tuple[AccessPath, ...]:
        return tuple(p for p in self.paths if p.decision == "CONDITIONAL")

    @property
    def broken(self) -> tuple[AccessPath, ...]:
        return tuple(p for p in self.paths if p.broken_at)

    @property
    def unintended(self) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.unintended)

    @property
    def unintended_paths(self) -> tuple[AccessPath, ...]:
        """Readers (or conditional readers) outside the zone of trust and the allow-list."""
        return tuple(p for p in self.paths if p.decision != "DENIED" and
                     (p.principal_type == "public" or
                      (not p.in_zone and not p.allow_listed)))


@dataclass(frozen=True, kw_only=True, slots=True)
class RotationRead:
    """A rotated secret's rotation function and whether its execution role can read the
    secret (scanner.access.rotation): ``path`` is the role's read as any reader's (every
    gate); none when ``missing`` says what could not be read (the role, or its account's IAM)
    or when ``role_missing`` (its account's IAM was read and holds no such role).
    ``untrusted``: the role's trust policy does not let Lambda assume it."""
    secret_arn: str
    function_arn: str
    role_arn: str | None = None
    path: AccessPath | None = None
    #: for a DENIED ``path``: the gates that deny it (scanner.access.gates ``Combined.blocking``)
    blocking: tuple[str, ...] = ()
    missing: str = ""
    role_missing: bool = False
    #: why Lambda may not assume the role (its trust policy), "" when it may
    untrusted: str = ""
    #: why whether Lambda may assume the role is not known ("" when it is): its trust policy
    #: was "not collected", or "could not be parsed: ..." (scanner.access.rotation)
    trust_unread: str = ""

    @property
    def decision(self) -> str:
        """ALLOWED | CONDITIONAL | DENIED | UNKNOWN: the role's read as a whole."""
        if self.missing or self.path is None and not self.role_missing:
            return "UNKNOWN"
        if self.role_missing or self.untrusted or (self.path is not None
                                                   and self.path.decision == "DENIED"):
            return "DENIED"
        assert self.path is not None
        return "UNKNOWN" if self.trust_unread else self.path.decision


@dataclass(frozen=True, kw_only=True, slots=True)
class KeyAccess:
    key_arn: str
    account_id: str
    region: str
    aws_managed: bool
    collected: bool
    grants: tuple[Grant, ...] = ()  # kms:Decrypt grants of the key policy and its KMS grants
    secrets: tuple[str, ...] = ()  # secrets encrypted with it
    #: the secrets whose resource policies its grants are compared with (a replica counts
    #: through its primary): those encrypted with it or, for a multi-Region key, with any key
    #: of its family
    primaries: tuple[str, ...] = ()
    #: the other keys of its multi-Region family in the snapshot (graph_io.key_families)
    family: tuple[str, ...] = ()
    #: key-policy decrypt grants to principals of other accounts that no secret encrypted with
    #: it (or with a key of its multi-Region family) grants GetSecretValue, as the access
    #: analysis evaluates the secret's resource policy for the grantee (its own grant, its
    #: account's, a ``*`` grant whose conditions let it in, no explicit Deny; a session as its
    #: role; never across partitions), for an account grantee anyone in that account
    #: (key_report.SecretCoverage; kms-key-policy-excess-grant). One grant per principal
    #: entry, in policy order.
    excess_grants: tuple[Grant, ...] = ()
    #: inputs the excess grants depend on that were not read (the key policy, a secret's
    #: resource policy): while not empty, excess_grants is not a verdict
    missing: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def public_grants(self) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.scope == "public")

    @property
    def external_grants(self) -> tuple[Grant, ...]:
        return tuple(g for g in self.grants if g.unintended in ("outside-organization",
                                                               "not-allow-listed"))


@dataclass(frozen=True, kw_only=True, slots=True)
class IdentityWildcard:
    principal: str
    account_id: str | None
    policy: str
    statement: str
    action: str
