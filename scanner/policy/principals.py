"""Does a Principal / NotPrincipal element name the requesting principal?

A match is DIRECT (the principal itself, or ``*``), ACCOUNT (the principal's account: the policy
trusts that account, whose IAM policies must then allow the request too), NONE, or UNKNOWN.
"""

from __future__ import annotations

import re
from dataclasses import replace
from enum import Enum

from scanner.frozen import frozen
from scanner.policy.arn import arn_account, arn_partition, iam_entity, principal_account
from scanner.policy.matching import glob_match
from scanner.policy.parse import PrincipalSpec
from scanner.policy.request import Request
from scanner.policy.tri import Tri

_ACCOUNT_ID = re.compile(r"^\d{12}$", re.ASCII)
_ROOT = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):root$", re.ASCII)
_IAM_ENTITY = re.compile(r"^arn:aws[\w-]*:iam::(\d{12}):(role|user)/(.+)$", re.ASCII)
_ASSUMED = re.compile(r"^arn:aws[\w-]*:sts::(\d{12}):assumed-role/([^/]+)/(.+)$", re.ASCII)
#: IAM unique ids (AROA role, AIDA user, ...): shown when the named principal was deleted
_UNIQUE_ID = re.compile(r"^A[A-Z]{3}[A-Z0-9]{12,}$")
#: an STS federated user session (GetFederationToken): a principal of its own, never an IAM
#: role, user or account root
_FEDERATED_USER = re.compile(r"^arn:aws[\w-]*:sts::(\d{12}):federated-user/.+$", re.ASCII)


class Match(str, Enum):
    DIRECT = "DIRECT"
    ACCOUNT = "ACCOUNT"
    NONE = "NONE"
    UNKNOWN = "UNKNOWN"


def entry_account(entry: str) -> str | None:
    """The account an AWS principal entry belongs to (None for ``*``, services, unique ids)."""
    return principal_account(entry)


def session_role(entry: str) -> tuple[str, str] | None:
    """(account, role name) of an assumed-role session ARN, or None."""
    m = _ASSUMED.match(entry)
    return (m.group(1), m.group(2)) if m else None


def names_role(entry: str, role_arn: str) -> bool:
    """Whether a principal entry names the role ``role_arn``: its ARN, or an assumed-role
    session of it (IAM User Guide, "AWS JSON policy elements: Principal", role sessions: "you
    can specify role sessions" by "arn:aws:sts::AWS-account-ID:assumed-role/role-name/
    role-session-name" -- one session of the role, which can do no more than the role; the
    session ARN carries the role's name, not its path)."""
    if entry == role_arn:
        return True
    role = session_role(entry)
    return (role is not None and arn_partition(entry) == arn_partition(role_arn)
            and role == (arn_account(role_arn), _role_name(role_arn)))


def session_kind(arn: str) -> str | None:
    """"assumed-role" or "federated-user" for an STS session ARN, else None."""
    if _ASSUMED.match(arn):
        return "assumed-role"
    if _FEDERATED_USER.match(arn):
        return "federated-user"
    return None


def is_account_entry(entry: str) -> bool:
    return bool(_ACCOUNT_ID.match(entry) or _ROOT.match(entry))


def grantee_words(entry: str) -> str:
    """``entry`` as a grant's message names it: an account entry (its id or root ARN) with
    whom it reaches -- "When you specify an AWS account in the Principal element ... you
    delegate authority to that account", and every identity there whose identity-based
    policies allow the action gets it (IAM User Guide, "AWS JSON policy elements: Principal",
    AWS account principals), not its root user alone; any other entry as it is."""
    acct = entry_account(entry) if is_account_entry(entry) else None
    if acct is None:
        return entry
    return f"{entry} (account {acct}: every principal of it whose identity policies allow)"


def wildcard_entry(entry: str) -> bool:
    """An AWS principal entry with a wildcard inside it (not ``*`` alone): IAM User Guide, "AWS
    JSON policy elements: Principal": "You cannot use a wildcard to match part of a principal
    name or ARN" -- it names no principal of its own."""
    return entry != "*" and ("*" in entry or "?" in entry)


def _role_name(arn: str) -> str | None:
    entity = iam_entity(arn)
    return entity[1] if entity is not None and entity[0] == "role" else None


def _same_partition(entry: str, request: Request) -> bool:
    """An ARN entry names an account of the request's partition (a bare account id does: it
    is read in the policy's partition). IAM User Guide, "IAM identifiers": partitions are
    separate, the same account id in ``arn:aws-us-gov`` is another principal. Outside the
    commercial partition the index leaves root entries to this test (``_index``)."""
    ours = arn_partition(entry)
    theirs = arn_partition(request.principal_arn) if request.principal_arn else None
    return ours is None or theirs is None or ours == theirs


def match_aws_entry(entry: str, request: Request) -> tuple[Match, str | None]:
    """(match, reason when not a plain yes/no)."""
    if entry == "*":
        return Match.DIRECT, None
    if request.principal_type == "anonymous":
        return Match.NONE, None
    if _ACCOUNT_ID.match(entry) or _ROOT.match(entry):
        acct = principal_account(entry)
        if acct == request.principal_account and not _same_partition(entry, request):
            return Match.NONE, None  # an account of another partition (aws-us-gov, aws-cn)
        return (Match.ACCOUNT if acct == request.principal_account else Match.NONE), None
    if wildcard_entry(entry):
        return Match.UNKNOWN, f"wildcard inside principal {entry!r} is not valid IAM"
    if _UNIQUE_ID.match(entry):
        return Match.NONE, f"principal {entry} is a unique id: the principal it named was deleted"
    if _FEDERATED_USER.match(entry):
        # IAM User Guide, "AWS JSON policy elements: Principal", federated user sessions:
        # "arn:aws:sts::AWS-account-ID:federated-user/user-name" names the session that
        # GetFederationToken returned, which is not any role, user or root the snapshot holds;
        # a request made by that session itself (a named principal whose account's IAM was not
        # read: scanner.access.secret_eval) is named directly
        return (Match.DIRECT if entry == request.principal_arn else Match.NONE), None
    m = _ASSUMED.match(entry)
    if m:
        # IAM User Guide, "AWS JSON policy elements: Principal", role sessions: "you can
        # specify role sessions" by their assumed-role session ARN. The request of that very
        # session is named; a role's other session is not
        if entry == request.principal_arn:
            return Match.DIRECT, None
        if (m.group(1) == request.principal_account and request.principal_type == "role"
                and _role_name(request.principal_arn) == m.group(2)):
            return Match.UNKNOWN, f"{entry} names one session of the role"
        return Match.NONE, None
    if _IAM_ENTITY.match(entry):
        return (Match.DIRECT if entry == request.principal_arn else Match.NONE), None
    return Match.UNKNOWN, f"unrecognised principal {entry!r}"


_INDEX: dict[int, tuple[PrincipalSpec, frozenset[str], frozenset[str], tuple[str, ...]]] = {}


def _index(spec: PrincipalSpec) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """(account ids, exact role/user ARNs, other entries) of a Principal element, cached."""
    hit = _INDEX.get(id(spec))
    if hit is None or hit[0] is not spec:
        accounts, arns, other = set(), set(), []
        for e in spec.aws:
            if _ACCOUNT_ID.match(e):
                accounts.add(e)
            elif _ROOT.match(e) and e.startswith("arn:aws:"):
                accounts.add(str(principal_account(e)))
            elif _IAM_ENTITY.match(e) and "*" not in e and "?" not in e:
                arns.add(e)
            else:
                other.append(e)
        hit = (spec, frozen(accounts), frozen(arns), tuple(other))
        if len(_INDEX) > 100_000:
            _INDEX.clear()
        _INDEX[id(spec)] = hit
    return hit[1], hit[2], hit[3]


#: the public name of the index: (account ids, exact role/user ARNs, other entries) -- what
#: match_principal compares a request with (scanner.access.pair_eval keys results by it)
principal_index = _index


def match_principal(spec: PrincipalSpec, request: Request) -> tuple[Tri, Tri, tuple[str, ...]]:
    """For a Principal element: (matches directly, matches at all, reasons)."""
    if spec.star:
        return Tri.TRUE, Tri.TRUE, ()
    if request.principal_type == "anonymous":
        return Tri.FALSE, Tri.FALSE, ()
    if request.principal_type == "service":
        # an AWS service principal is named by a Service entry (IAM User Guide, "AWS JSON
        # policy elements: Principal", AWS service principals: "Principal": {"Service":
        # "<service>.amazonaws.com"}); an AWS entry -- an account, a role, a wildcard inside
        # an ARN -- names IAM principals, never a service (IAM conformance trial round 34)
        named = Tri.of(request.principal_arn in spec.service)
        return named, named, ()
    accounts, arns, others = _index(spec)
    direct = request.principal_arn in arns
    account = request.principal_account in accounts
    if account and arn_partition(request.principal_arn or "") not in (None, "aws"):
        # the index holds arn:aws roots with the bare ids: another partition's principal
        # matches only a bare id or a root of its own partition (_same_partition)
        account = any(match_aws_entry(e, request)[0] is Match.ACCOUNT for e in spec.aws
                      if _ACCOUNT_ID.match(e) or _ROOT.match(e))
    unknown = False
    reasons: list[str] = []
    for entry in others:
        m, why = match_aws_entry(entry, request)
        if why:
            reasons.append(why)
        direct |= m is Match.DIRECT
        account |= m is Match.ACCOUNT
        unknown |= m is Match.UNKNOWN
    if direct:
        return Tri.TRUE, Tri.TRUE, ()
    if account:
        return (Tri.UNKNOWN if unknown else Tri.FALSE), Tri.TRUE, ()
    if unknown:
        return Tri.UNKNOWN, Tri.UNKNOWN, tuple(reasons)
    return Tri.FALSE, Tri.FALSE, ()


def deleted_principals(spec: PrincipalSpec) -> tuple[str, ...]:
    """The entries of a Principal element that are IAM unique ids (``AROA...``, ``AIDA...``).
    IAM User Guide, "IAM JSON policy elements: Principal": "If the principal ... is deleted
    ... the principal ARN in the policy is replaced with the principal ID" -- such an entry
    names no one any more; the statement it stands in is the one to fix."""
    if spec.star:
        return ()
    return tuple(e for e in _index(spec)[2] if _UNIQUE_ID.match(e))


def session_match(spec: PrincipalSpec, request: Request) -> Tri:
    """Does a Principal element grant to the requesting role's *session* (the assumed-role
    session ARN) rather than to the role?

    IAM User Guide, "Permissions boundaries for IAM entities" / "Policy evaluation logic": within
    one account, a resource-based policy that grants to the role ARN is limited by the role's
    permissions boundary, one that grants to the assumed-role session ARN is not. The session
    name is not in the snapshot, so an entry naming a session of this role is UNKNOWN, and so is
    ``*`` (it names every session too). FALSE for users, roots and anything else.
    """
    if request.principal_type != "role":
        return Tri.FALSE
    if spec.star:
        return Tri.UNKNOWN
    role = _role_name(request.principal_arn)
    _accounts, _arns, others = _index(spec)  # session entries are never account / IAM ARNs
    if request.principal_arn in others and _ASSUMED.match(request.principal_arn):
        return Tri.TRUE  # the request is that session's own (match_aws_entry: DIRECT)
    for e in others:
        m = _ASSUMED.match(e)
        if m and m.group(1) == request.principal_account and role is not None and \
                glob_match(m.group(2), role):
            return Tri.UNKNOWN
    return Tri.FALSE


#: why a Deny with NotPrincipal applies to a principal with a permissions boundary whatever the
#: element lists. IAM User Guide, "AWS JSON policy elements: NotPrincipal" (and "Permissions
#: boundaries for IAM entities"): "The NotPrincipal element with a Deny effect will always deny
#: any IAM principal that has a permissions boundary policy attached, regardless of the values
#: specified in the NotPrincipal element." The evaluator's reason for such a Deny carries it
#: (ground-truth trial round 12: "Deny applies", the boundary unsaid), and
#: secret-cross-account-access-broken reads it back
NOT_PRINCIPAL_BOUNDARY = ("Deny with NotPrincipal always applies to a principal with a "
                          "permissions boundary")


#: why an Allow with NotPrincipal is not decided for a principal it does not list: the
#: condition the read depends on, as it follows "Allow applies only if:", "? unresolved:" and
#: the notes' "if:" (it read "only if: Allow with NotPrincipal is not supported (...)", 'not
#: supported' twice, quotes in quotes: new-user trial round 21, left open by round 20)
ALLOW_NOT_PRINCIPAL = ("AWS honours this Allow with NotPrincipal (IAM User Guide, NotPrincipal: "
                       "not supported with Effect Allow; what it grants is not documented)")


#: why a Deny with NotPrincipal listing a role or user (or a session) but not its account is
#: not decided for that principal (not_principal_applies)
NOT_PRINCIPAL_NO_ACCOUNT = ("NotPrincipal lists the principal but not its account: AWS "
                            "\"might deny access to the entire account\" (it may validate the "
                            "account first, depending on the service)")


#: why a Deny with NotPrincipal applies to a role that it lists but none of whose sessions it
#: lists. IAM User Guide, "AWS JSON policy elements: NotPrincipal": the example that exempts
#: "the assumed-role user named cross-account-audit-app" lists the session ARN beside the role
#: and the account, and "When you specify an assumed-role session in a NotPrincipal element,
#: you cannot use a wildcard (*) to mean "all sessions". Principals must always name a specific
#: session." A role calls only through a session, so no session of it escapes (IAM conformance
#: trial round 36: "depends on the session name", CONDITIONAL, where no name could escape)
NOT_PRINCIPAL_NO_SESSION = ("NotPrincipal names no session of the role, and a role acts only "
                            "through its sessions: \"Principals must always name a specific "
                            "session\"")


def denied_for_boundary(spec: PrincipalSpec, request: Request) -> bool:
    """Whether a Deny with NotPrincipal ``spec`` applies to ``request``'s principal for its
    permissions boundary alone: it has one, and without it the principal would escape the
    Deny (or might: NotPrincipal lists it, NOT_PRINCIPAL_BOUNDARY)."""
    if not request.has_permissions_boundary or spec.star:
        return False
    free = replace(request, has_permissions_boundary=False)
    applies, why = not_principal_applies(spec, free, "Deny")
    # a role it lists without a session of it is denied for that too
    # (NOT_PRINCIPAL_NO_SESSION): the boundary, which denies it whatever is listed, is said
    return applies is not Tri.TRUE or NOT_PRINCIPAL_NO_SESSION in why


def not_principal_applies(spec: PrincipalSpec, request: Request,
                          effect: str) -> tuple[Tri, tuple[str, ...]]:
    """Whether a NotPrincipal statement applies to the requester (IAM User Guide, NotPrincipal).

    With Deny, a principal escapes only when its own ARN *and* its account are listed (AWS checks
    the account first, then the principal). A role acts through a session, and AWS may check the
    assumed-role session too, identified by a session name the scanner does not know: a role
    listed with its account is UNKNOWN, not exempt. A principal with a permissions boundary
    never escapes.
    """
    if spec.star:
        return Tri.FALSE, ()
    if request.principal_type == "service":
        # an AWS service principal is named by its service entry (IAM User Guide, "AWS JSON
        # policy elements: NotPrincipal": it specifies "the IAM user, federated user, IAM
        # role, AWS account, AWS service, or other principal that is not denied or allowed
        # access"), as match_principal reads a Principal element; an account or role entry
        # names IAM principals, never a service (IAM conformance trial round 34: a trust
        # policy's Deny to everyone but lambda.amazonaws.com was read as denying Lambda)
        listed = request.principal_arn in spec.service
        if effect != "Deny":
            return (Tri.FALSE, ()) if listed else (Tri.UNKNOWN, (ALLOW_NOT_PRINCIPAL,))
        return Tri.of(not listed), ()
    results = [match_aws_entry(e, request) for e in spec.aws]
    reasons = tuple(why for _, why in results if why)
    if effect != "Deny":
        # Allow + NotPrincipal: IAM User Guide, "AWS JSON policy elements: NotPrincipal":
        # "NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is
        # not supported." -- what such a statement grants is not documented (it once meant
        # everyone but the listed): it grants no one listed, and may grant anyone else
        # (ALLOW_NOT_PRINCIPAL; IAM conformance trial round 21, item 3 of round 20). The
        # exposure rules still report it as a grant to everyone (exposure.everyone)
        if any(m is Match.DIRECT or m is Match.ACCOUNT for m, _ in results):
            return Tri.FALSE, ()
        return Tri.UNKNOWN, reasons + (ALLOW_NOT_PRINCIPAL,)
    if request.has_permissions_boundary:
        return Tri.TRUE, (NOT_PRINCIPAL_BOUNDARY,)
    account_listed = any(m is Match.ACCOUNT for m, _ in results)
    self_listed = any(m is Match.DIRECT for m, _ in results)
    session_listed = any(m is Match.UNKNOWN and why and "session" in why for m, why in results)
    # entries not read (a wildcard inside an ARN, an unrecognised form: match_aws_entry's
    # UNKNOWN, as in a Principal element -- IAM User Guide, NotPrincipal: "The syntax for
    # specifying NotPrincipal is the same as for specifying ... Principal"): one may be the
    # account entry (unless it names a role or user) or the requester's own (unless it is a
    # root); where it may be the missing one, the exemption is not known (IAM conformance
    # trial round 18: ``arn:aws:iam::*:user/alice`` beside alice's account was a confident
    # Deny of alice)
    unread = [(e, why) for e, (m, why) in zip(spec.aws, results)
              if m is Match.UNKNOWN and not (why and "session" in why)]
    may_be_account = tuple(why or e for e, why in unread if iam_entity(e) is None)
    may_be_self = tuple(why or e for e, why in unread if not e.lower().endswith(":root"))
    if request.principal_type == "root":
        if not account_listed and may_be_account:
            return Tri.UNKNOWN, may_be_account
        return Tri.of(not account_listed), ()
    if request.principal_type == "role" and _role_name(request.principal_arn) is not None \
            and not session_listed and not any(iam_entity(e) is None for e, _ in unread
                                               if not e.lower().endswith(":root")):
        # the role (not one session of it: a request made by a listed session is its own)
        # with no session of it listed, nor an unread entry that may be one: its every
        # session is denied, the role listed or not (NOT_PRINCIPAL_NO_SESSION)
        return Tri.TRUE, ((NOT_PRINCIPAL_NO_SESSION,) if self_listed else ())
    if not account_listed and not may_be_account:
        if self_listed or session_listed or may_be_self:
            # IAM User Guide, NotPrincipal: "you must also specify the account ARN of the
            # not-denied principal. Otherwise, the policy might deny access to the entire
            # account containing the principal. Depending on the service that you include in
            # your policy, AWS might validate the account first and then the user" -- might:
            # whether the principal listed without its account escapes is not documented
            # for Secrets Manager or KMS (IAM conformance trial round 19: a confident Deny)
            return Tri.UNKNOWN, (NOT_PRINCIPAL_NO_ACCOUNT,)
        return Tri.TRUE, ()
    if request.principal_type == "role":
        if self_listed and session_listed:
            return Tri.UNKNOWN, ("NotPrincipal lists a session of the role: exempt only for that "
                                 "session",)
        if session_listed:
            return Tri.UNKNOWN, reasons
        if self_listed:
            return Tri.UNKNOWN, ("NotPrincipal lists the role and its account: whether its "
                                 "sessions are exempt depends on the session name",)
        if may_be_self:
            return Tri.UNKNOWN, may_be_self
        return Tri.TRUE, ()
    if not self_listed and not may_be_self:
        return Tri.TRUE, ()
    if account_listed and self_listed:
        return Tri.FALSE, ()
    return Tri.UNKNOWN, (may_be_account if not account_listed else ()) + \
        (may_be_self if not self_listed else ())
