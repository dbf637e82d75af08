"""The request context of a cross- or same-account GetSecretValue, as far as it is known.

Known: the principal (aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalOrgID when the
organization is known, aws:PrincipalOrgPaths when its account's place in it is,
aws:PrincipalType, aws:username for users, aws:PrincipalTag/* that the role or user carries;
for the stand-in of an unread account's principals its account only: PrincipalFacts.
account_stand_in), the resource (aws:ResourceAccount, aws:ResourceOrgID,
aws:ResourceOrgPaths when its account's place in the organization is known, aws:ResourceTag/*
and secretsmanager:ResourceTag/* of the secret, aws:RequestedRegion), and for the kms:Decrypt
that Secrets Manager makes on the caller's behalf: kms:ViaService =
secretsmanager.<region>.amazonaws.com, kms:CallerAccount, kms:EncryptionContext:SecretARN,
kms:EncryptionContextKeys = SecretARN, SecretVersionId (and so
kms:EncryptionContext:SecretVersionId present, its value unknown: request.PRESENT),
aws:ViaAWSService, aws:CalledVia/First/Last = secretsmanager.amazonaws.com (absent on the
GetSecretValue), and the key's own properties (key_property_context: kms:ResourceAliases,
kms:KeyOrigin, kms:KeySpec, kms:KeyUsage, kms:MultiRegion, kms:MultiRegionKeyType, and
aws:ResourceTag/* -- on the Decrypt the key's tags from ListResourceTags, never the secret's).
aws:SecureTransport is true (both endpoints are HTTPS-only).
Present with a value not known (request.PRESENT): secretsmanager:SecretId on the GetSecretValue
(SECRET_ID), aws:TokenIssueTime and aws:MultiFactorAuthPresent for a role or an STS session
(request.TEMPORARY_CREDENTIAL_KEYS). aws:username is absent for a role and for the root user.
aws:SourceAccount / aws:SourceArn / aws:SourceOrgID / aws:SourceOrgPaths are absent (only a
service principal acting for a resource carries them: SOURCE_KEYS), as are
aws:PrincipalServiceName(sList) and aws:AssumedRoot. Everything else (aws:SourceIp,
aws:SourceVpce, aws:CurrentTime, session tags, ...) is unknown: a condition on it is reported,
never guessed.
A key of another service than the request's (kms:* on the GetSecretValue, secretsmanager:* on
the Decrypt) is absent (scanner.policy.request.foreign_key).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

from scanner.access.settings import OUTSIDER_ACCOUNT, AccessSettings
from scanner.policy.arn import arn_partition
from scanner.policy.principals import session_kind
from scanner.policy.request import (
    ALL_PRINCIPAL_TAGS,
    ARN_OF_UNNAMED,
    ASSUMED_ROOT,
    EVERY_LITERAL,
    IAM_CALLER_TYPES,
    NO_FEDERATION,
    PRESENT,
    PRINCIPAL_ARN,
    PRINCIPAL_TYPE,
    ROLE_CREDENTIAL_KEYS,
    ROLE_USERID,
    TEMPORARY_CREDENTIAL_KEYS,
    USER_USERID,
    USERID,
    Request,
    arn_of,
    not_under,
    one_of,
    resource_excluded,
    role_session_arn,
    role_userid,
    under,
)
from scanner.policy.request import any_route as route_free


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalFacts:
    arn: str
    account_id: str | None
    #: role | user | root | public ("*": any principal of an account outside everything known)
    principal_type: str
    name: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    has_boundary: bool = False
    #: ``aws:PrincipalOrgPaths`` of its account (scanner.access.scp.org_paths; None: its
    #: place in the organization is not known)
    org_path: str | None = None
    #: ``tags`` are every aws:PrincipalTag/* of its requests (identity.tags_are_final: a user;
    #: a role whose trust policy allows no sts:TagSession): a tag it does not carry is absent
    tags_final: bool = False
    #: it may be a SAML or web-identity session (its federation keys unknown); False: a user,
    #: or a role whose trust policy was read and lets no identity provider assume it
    may_federate: bool = True
    #: the stand-in for the principals of an account whose IAM was not read (docs/access.md
    #: "account:<id>"; scanner.access.identity.account_stand_in): any role, user or the root
    #: user of ``account_id`` that no policy names. ``arn`` is the account's root ARN (how the
    #: policies' account entries match it), but its principal-identity keys are unknown
    account_stand_in: bool = False
    #: the unique id IAM gave it (model.IamPrincipal.unique_id; None: not known)
    unique_id: str | None = None


_PRINCIPAL_TYPES = {"role": "AssumedRole", "user": "User", "root": "Account"}
#: the aws:PrincipalType of an IAM caller whose kind is not known (``principal_context``): in
#: the request, one of Account, User, FederatedUser, AssumedRole (request.IAM_CALLER_TYPES) --
#: never Anonymous, never Service, never absent (IAM conformance trial round 14)
AN_IAM_CALLER_TYPE = one_of(IAM_CALLER_TYPES)

#: keys with one value in both requests of a read: the caller's GetSecretValue and the
#: kms:Decrypt Secrets Manager makes for it with a forward access session. IAM User Guide,
#: "Forward access sessions": FAS passes "your identity, permissions, and session attributes
#: when an AWS service makes a request on your behalf" (the principal keys, its tags, MFA,
#: token issue time, source identity); and ("AWS: Denies access to AWS based on the source
#: IP") "The policy does not deny requests made by AWS services using Forward access
#: sessions as the original requester's IP address is preserved" (aws:SourceIp).
#: kms:CallerAccount is not among them: the GetSecretValue does not carry it
#: (scanner.policy.request.foreign_key). The solver (scanner/policy/smt) gives these one
#: variable across the requests; other unknown keys (aws:CurrentTime, aws:SourceVpc, ...)
#: may differ between them.
FAS_SHARED_KEYS = frozenset({
    "aws:principalarn", "aws:principalaccount", "aws:principaltype", "aws:username",
    "aws:principalisawsservice", "aws:principalorgid", "aws:principalorgpaths", "aws:userid",
    "aws:sourceip", "aws:multifactorauthpresent", "aws:multifactorauthage",
    "aws:tokenissuetime", "aws:sourceidentity"})
FAS_SHARED_PREFIXES = ("aws:principaltag/",)


def principal_context(p: PrincipalFacts, settings: AccessSettings) -> tuple[
        dict[str, tuple[str, ...]], set[str], dict[str, frozenset[str]]]:
    ctx: dict[str, tuple[str, ...]] = {}
    # IAM User Guide, "AWS global condition context keys": aws:PrincipalServiceName and
    # aws:PrincipalServiceNamesList are in the request context only when an AWS service
    # principal makes the request (no IAM role, user or root does); aws:SourceAccount /
    # SourceArn / SourceOrgID / SourceOrgPaths only when a service acts for a resource
    # aws:AssumedRoot only when a centralized root access session signs, which no read can
    # be (request.ASSUMED_ROOT: its task policies allow no secretsmanager: or kms: action)
    absent: set[str] = {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid",
                        "aws:sourceorgpaths", "aws:principalservicename",
                        "aws:principalservicenameslist", ASSUMED_ROOT}
    excluded: dict[str, frozenset[str]] = {}
    session = session_kind(p.arn)
    # the stand-in for an unread account's principals (PrincipalFacts.account_stand_in) is
    # any of them: IAM User Guide, global condition keys, aws:PrincipalArn is "the ARN of the
    # principal that made the request" (for a role, the role's ARN; the root user's
    # arn:aws:iam::<acct>:root), aws:PrincipalType is AssumedRole, User, FederatedUser or
    # Account, aws:username is in the request of an IAM user only: which member made the
    # request is what the snapshot cannot know, so these keys (and aws:userid,
    # aws:PrincipalTag/*, never set here) stay unknown -- not absent, a member has them.
    # docs/access.md, Reach: a class's decision is the best decision of any member (IAM
    # conformance trial round 10: judged as the root user, a condition selecting the
    # account's roles made its whole reach DENIED). Its account is known
    stand_in = p.account_stand_in
    if p.principal_type != "public" and session is None and not stand_in:
        # "*": which principal of the outside account: unknown. A session named by its STS
        # ARN (an outside role's session, a federated user): IAM User Guide, global condition
        # keys, aws:PrincipalArn holds the ARN of the role ("Do not specify the assumed role
        # session ARN as a value for this condition key"), whose path the session ARN does
        # not show, or of the IAM user behind the federated user session: unknown
        ctx["aws:principalarn"] = (p.arn,)
    elif stand_in and p.account_id:
        # its aws:PrincipalArn is still an IAM ARN of its account (request.arn_of): an ARN
        # condition on another account's principals is decided for it (IAM conformance trial
        # round 12: Deny unless ArnNotLike arn:aws:iam::<ours>:role/* left it CONDITIONAL)
        excluded[PRINCIPAL_ARN] = arn_of(arn_partition(p.arn) or "aws", p.account_id)
    elif session == "assumed-role" and p.account_id:
        # a role session: its aws:PrincipalArn is its role's ARN (aws:PrincipalArn, IAM role:
        # "Do not specify the assumed role session ARN as a value for this condition key"),
        # arn:<partition>:iam::<account>:role/<path><name>, the path not known -- never the
        # session ARN, another account's or a user's (IAM conformance trial round 31: ArnEquals
        # the session ARN left the session CONDITIONAL)
        excluded[PRINCIPAL_ARN] = role_session_arn(arn_partition(p.arn) or "aws", p.account_id)
    ctx["aws:principalisawsservice"] = ("false",)
    if p.principal_type == "public":
        # anyone of an account no policy names (settings.OUTSIDER_ACCOUNT stands for it, but
        # is not its value): a pattern like "0*" may match it (conformance trial)
        excluded["aws:principalaccount"] = EVERY_LITERAL
        excluded["kms:calleraccount"] = EVERY_LITERAL
        # which of its principals asks is not known, but it is an IAM caller: IAM User Guide,
        # global condition keys, aws:PrincipalType is Account, User, FederatedUser,
        # AssumedRole or Anonymous, and Secrets Manager and KMS take no anonymous calls
        # (docs/access.md, the ``*`` path) -- never "Anonymous", never "Service" (no such
        # value: a service principal is no IAM role or user), and never absent ("This key is
        # included in the request context for all signed requests"). IAM conformance trial
        # round 13: Allow * under StringEquals aws:PrincipalType "Service" was public without
        # --prove; round 14: under Null aws:PrincipalType "true", ForAllValues:StringEquals
        # "Service" or StringNotEquals of the four, too (a plain excluded set left the key
        # possibly absent)
        excluded[PRINCIPAL_TYPE] = AN_IAM_CALLER_TYPE
        # its aws:PrincipalArn names its account, one no policy names: an ARN condition
        # whose values all name their account literally is decided for it (request.
        # ARN_OF_UNNAMED; concept review round 3: Deny unless ArnNotLike arn:aws:iam::<ours>:*
        # left the `*` path CONDITIONAL, the solver DENIED)
        excluded[PRINCIPAL_ARN] = ARN_OF_UNNAMED
    elif p.account_id:
        ctx["aws:principalaccount"] = (p.account_id,)
        ctx["kms:calleraccount"] = (p.account_id,)
    if settings.org_id and settings.in_org(p.account_id):
        ctx["aws:principalorgid"] = (settings.org_id,)
        if p.org_path:
            ctx["aws:principalorgpaths"] = (p.org_path,)
        else:
            # its place in the organization was not read: the key is present ("included in
            # the request context only if the principal is a member of an organization") with
            # one path beginning with our organization's id (request.under; IAM conformance
            # trial round 22: Null "false" and ForAnyValue:StringLike "<org>/*" were unknown)
            excluded["aws:principalorgpaths"] = under(f"{settings.org_id}/")
    elif settings.org_id and settings.org_account_ids:
        excluded["aws:principalorgid"] = frozenset({settings.org_id})
        # IAM User Guide, global condition keys, aws:PrincipalOrgPaths: "This key is included
        # in the request context only if the principal is a member of an organization", and
        # a path begins with the principal's organization id (o-id/r-root/ou-.../): an
        # account outside ours has none under our id (it may have another organization's)
        excluded["aws:principalorgpaths"] = not_under(f"{settings.org_id}/")
    home = settings.home_org
    if home is not None and p.account_id == home[0] and "aws:principalorgid" not in ctx \
            and "aws:principalorgid" not in excluded:
        # IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgID: "Compare
        # the identifier of the organization in AWS Organizations to which the requesting
        # principal belongs with the identifier specified in the policy". The home account's
        # DescribeOrganization named its organization, so every principal of that account
        # belongs to it (safe-fixes trial round 20: restrict-public-secret-policy's
        # aws:PrincipalOrgID left the account's own roles "if: aws:principalorgid" in a scan
        # without --org, and the plan refused the change as putting them at risk)
        ctx["aws:principalorgid"] = (home[1],)
        # its place in the organization was not read: a path under its organization's id
        excluded["aws:principalorgpaths"] = under(f"{home[1]}/")
    if p.account_id is not None and p.account_id in settings.no_org_accounts and \
            "aws:principalorgid" not in ctx:
        # IAM User Guide, "AWS global condition context keys", aws:PrincipalOrgID: "This key
        # is included in the request context only if the principal is a member of an
        # organization" (aws:PrincipalOrgPaths: the same sentence). The account is known to be
        # in none (DescribeOrganization: not in use): both are absent -- StringEquals on them
        # does not match (new-user trial round 7: a role with no policy was a CONDITIONAL
        # reader "if: aws:principalorgid"). An account whose membership is not known keeps
        # them unknown
        absent.update(("aws:principalorgid", "aws:principalorgpaths"))
    if session == "federated-user":
        # IAM User Guide, global condition keys, aws:PrincipalType: "FederatedUser" for a
        # federated user session (GetFederationToken), not "User"
        ctx["aws:principaltype"] = ("FederatedUser",)
    elif p.principal_type in _PRINCIPAL_TYPES and not stand_in:
        ctx["aws:principaltype"] = (_PRINCIPAL_TYPES[p.principal_type],)
    elif stand_in:
        # any member of the account: its kind is not known, but it is an IAM caller's
        # (AN_IAM_CALLER_TYPE; IAM conformance trial round 14) -- a condition selecting one
        # kind (StringEquals AssumedRole) stays CONDITIONAL for it
        excluded[PRINCIPAL_TYPE] = AN_IAM_CALLER_TYPE
    root_user = p.principal_type == "root" and not stand_in and session is None
    if root_user and p.account_id:
        # IAM User Guide, "IAM policy elements: Variables and tags", principal key values:
        # for the AWS account root user aws:userid is the account ID (as the solver encodes
        # it). It carries no principal tag (aws:PrincipalTag: "included ... if the principal
        # is using an IAM user with attached tags ... an IAM role with attached tags or
        # session tags") and no federation key (a SAML / web-identity role session's). IAM
        # conformance trial round 18: each was unknown for it
        ctx["aws:userid"] = (p.account_id,)
        absent.update((ALL_PRINCIPAL_TAGS, NO_FEDERATION))
    if session == "federated-user" and p.account_id:
        # principal key values, AWS STS federated user: aws:userid "account:caller-specified-
        # name" (the name GetFederationToken was given: its ARN's last part), aws:username
        # not present; no SAML / web-identity federation key (IAM conformance trial round 18)
        ctx["aws:userid"] = (f"{p.account_id}:{p.arn.split('federated-user/', 1)[1]}",)
        absent.add(NO_FEDERATION)
    if not stand_in and USERID not in ctx:
        # IAM User Guide, principal key values: aws:userid is "role-id:caller-specified-role-
        # name" for a role, the user's unique id for an IAM user; "Understanding unique ID
        # prefixes": a role's id begins AROA, a user's AIDA. The id is not in the snapshot,
        # its shape is (request.ROLE_USERID; IAM conformance trial round 22: StringLike
        # aws:userid "AIDA*" left a role CONDITIONAL, and --prove gave it the userid "AIDA")
        # -- unless the snapshot holds the id (IAM's RoleId / UserId; ground-truth trial round
        # 22: "<RoleId>:*" left the role it names CONDITIONAL): a user's aws:userid is then
        # known, a role's is the id, a colon and a session name not known (request.
        # role_userid)
        # An id not known is none of the snapshot's principals' ids (unique ids are unique:
        # a policy naming AppRole's id names no role of an unread account)
        if p.principal_type == "role" and session in (None, "assumed-role"):
            excluded[USERID] = role_userid(p.unique_id) if p.unique_id else \
                ROLE_USERID.taking(settings.unique_ids)  # type: ignore[attr-defined]
        elif p.principal_type == "user" and session is None:
            if p.unique_id:
                ctx[USERID] = (p.unique_id,)
            else:
                excluded[USERID] = USER_USERID.taking(  # type: ignore[attr-defined]
                    settings.unique_ids)
    if session is None and p.principal_type == "user" and p.name:
        ctx["aws:username"] = (p.name,)
    elif p.principal_type == "role" or session is not None or root_user:
        # IAM User Guide, global condition keys, aws:username: "Anonymous requests and
        # requests that are made using the AWS account root user or IAM roles do not include
        # this key" (IAM conformance trial round 18: the root user's was unknown); the
        # stand-in of an unread account may be a user: unknown
        absent.add("aws:username")
    if (p.principal_type == "role" or session is not None) and not stand_in:
        # a role acts through a session, signed with temporary credentials: aws:TokenIssueTime
        # and aws:MultiFactorAuthPresent are in its requests, with values the snapshot does not
        # know (request.TEMPORARY_CREDENTIAL_KEYS); FAS passes them to the Decrypt too
        excluded.update({k: PRESENT for k in TEMPORARY_CREDENTIAL_KEYS if k not in ctx})
    for k, v in p.tags.items():
        ctx[f"aws:principaltag/{k.lower()}"] = (v,)
    if not p.may_federate:
        # IAM User Guide, "Available keys for SAML-based federation": the saml: keys come with
        # a role assumed through AssumeRoleWithSAML (web identity alike): no one else sends
        # them; aws:FederatedProvider too (request.federation_key)
        absent.add(NO_FEDERATION)
    if p.principal_type in ("user", "root") and not stand_in:
        # no role session signs: an IAM user's (or its STS federated user session's) or the
        # root user's request carries none of the keys role credentials carry
        # (request.ROLE_CREDENTIAL_KEYS: EC2 instance role, Lambda execution role, ...)
        absent.update(ROLE_CREDENTIAL_KEYS)
    if p.tags_final:
        # IAM User Guide, "Condition element": "the aws:PrincipalTag/job-category key is present
        # in the request context if the principal is using an IAM user with attached tags";
        # "If a user without the tag attempts to ..., the condition returns false"
        absent.add(ALL_PRINCIPAL_TAGS)
    return ctx, absent, excluded


#: the Decrypt request's encryption-context key that names the secret (the one value of a
#: Decrypt request that differs between the secrets of one key and region)
SECRET_ARN_CONTEXT = "kms:encryptioncontext:secretarn"
#: the condition key of one encryption-context pair: kms:EncryptionContext:<context key>
ENCRYPTION_CONTEXT_PREFIX = "kms:encryptioncontext:"


#: the condition key of GetSecretValue's SecretId parameter: Service Authorization Reference,
#: Secrets Manager, GetSecretValue lists secretsmanager:SecretId ("Filters access by the
#: SecretID value in the request"), and the Secrets Manager permissions reference: "callers to
#: Secrets Manager must pass the matching parameter"; SecretId is a required parameter of
#: GetSecretValue (API Reference: "Required: Yes"), so the key is in every such request, with
#: the value the caller passed -- a name, a complete or a partial ARN: not known (IAM
#: conformance trial round 18: "Deny if Null secretsmanager:SecretId true" left every reader
#: CONDITIONAL, and the solver left the key absent)
SECRET_ID = "secretsmanager:secretid"
GET_SECRET_VALUE = "secretsmanager:getsecretvalue"


#: the keys of a request made through a VPC endpoint, absent from the kms:Decrypt Secrets
#: Manager makes for its caller. IAM User Guide, "AWS global condition context keys",
#: aws:SourceVpc, aws:SourceVpce, aws:SourceVpcArn, aws:VpcSourceIp, aws:VpceAccount,
#: aws:VpceOrgID, aws:VpceOrgPaths: "This key is included in the request context only if the
#: requester uses a VPC endpoint to make the request" (VpcSourceIp: "only if the request is
#: made using a VPC endpoint"); the Decrypt is a forward access session request the service
#: sends to KMS ("Forward access sessions"), not one through the caller's endpoint -- KMS
#: Developer Guide, "Use VPC endpoints to control access to AWS KMS resources": "If a policy
#: statement requires that requests come from a particular VPC or VPC endpoint, requests from
#: integrated AWS services that use an AWS KMS resource on your behalf might fail". On the
#: caller's own GetSecretValue they stay unknown (IAM conformance trial round 21: a key
#: policy's Deny unless aws:SourceVpce left every reader CONDITIONAL)
FAS_NETWORK_ABSENT = ("aws:sourcevpc", "aws:sourcevpce", "aws:sourcevpcarn",
                      "aws:vpcsourceip", "aws:vpceaccount", "aws:vpceorgid",
                      "aws:vpceorgpaths")


#: Secrets Manager's condition key on the rotation function attached to a secret
ROTATION_LAMBDA_KEY = "secretsmanager:resource/allowrotationlambdaarn"


#: what the resource side of a request gives: (its context, prefixes of keys known absent,
#: the earliest time of a request: AccessSettings.time_floor)
ResourceContext = tuple[dict[str, tuple[str, ...]], tuple[str, ...], float | None]


def key_property_context(key: Mapping[str, Any] | None) -> tuple[dict[str, tuple[str, ...]],
                                                                   tuple[str, ...]]:
    """The condition keys of a KMS key's own properties, from its collected record (a graph
    node's attributes): (known values, keys known absent). KMS Developer Guide, "AWS KMS
    condition keys": kms:ResourceAliases ("the aliases associated with the KMS key", a
    multivalued key: a key without aliases has none), aws:ResourceTag/* (the key's tags, when
    ListResourceTags was read: a tag key it does not list is absent), kms:KeyOrigin, kms:KeySpec,
    kms:KeyUsage, kms:MultiRegion and kms:MultiRegionKeyType filter a request by the
    properties of the KMS key it is on. Only what was read is given: the aliases when the
    account-region's ListAliases was read, the rest when DescribeKey answered for this
    customer key (a key not collected, an AWS managed key known from the listings only: its
    properties stay unknown). kms:MultiRegionKeyType only for a multi-Region key whose type
    the ARNs gave (scanner.collectors.kms.multi_region_topology)."""
    ctx: dict[str, tuple[str, ...]] = {}
    absent: tuple[str, ...] = ()
    if not key or not key.get("collected", True):
        return ctx, absent
    unread = set(key.get("unread") or ())
    if "key" in unread:
        return ctx, absent
    if "aliases" in key and "aliases" not in unread:
        aliases = tuple(str(a) for a in key.get("aliases") or ())
        if aliases:
            ctx["kms:resourcealiases"] = aliases
        else:
            absent = ("kms:resourcealiases",)
    tags = key.get("tags")
    if isinstance(tags, Mapping) and "tags" not in unread:
        # "You can control access to AWS KMS keys based on the tags on the KMS key" (KMS
        # Developer Guide, "Use tags to control access to KMS keys"): on a request on the
        # key, aws:ResourceTag/<tag-key> is the key's tag (the secret's are the secret's).
        # The tag part is not case-sensitive (as the secret's: resource_context); a key
        # holding two tags that differ only in case leaves that key unknown, and then every
        # other tag key too (not marked absent)
        values: dict[str, set[str]] = {}
        for k, v in tags.items():
            values.setdefault(str(k).lower(), set()).add(str(v))
        for k, vs in values.items():
            if len(vs) == 1:
                ctx[f"aws:resourcetag/{k}"] = (next(iter(vs)),)
        if all(len(vs) == 1 for vs in values.values()):
            absent += ("aws:resourcetag/",)
    described = key.get("key_manager") == "CUSTOMER" and key.get("key_state") is not None
    if not described:
        return ctx, absent
    for name, attr in (("kms:keyorigin", "origin"), ("kms:keyspec", "key_spec"),
                       ("kms:keyusage", "key_usage")):
        value = key.get(attr)
        if value and attr not in unread:
            ctx[name] = (str(value),)
    if "multi_region" in key:
        multi = bool(key.get("multi_region"))
        ctx["kms:multiregion"] = ("true" if multi else "false",)
        kind = key.get("multi_region_type")
        if multi and kind in ("PRIMARY", "REPLICA"):
            ctx["kms:multiregionkeytype"] = (str(kind),)
    return ctx, absent


def _resource_base(account_id: str, region: str, settings: AccessSettings) -> tuple[
        dict[str, tuple[str, ...]], tuple[str, ...]]:
    """The keys every request on a resource of ``account_id`` in ``region`` carries, whatever
    the resource and the route: (context, keys known absent). The one place that gives a
    resource's account and organization (``resource_context``, ``key_resource_context``)."""
    ctx: dict[str, tuple[str, ...]] = {
        "aws:securetransport": ("true",),
        "aws:requestedregion": (region,),
        "aws:resourceaccount": (account_id,),
    }
    if settings.org_id and settings.in_org(account_id):
        ctx["aws:resourceorgid"] = (settings.org_id,)
        # IAM User Guide, global condition keys, aws:ResourceOrgPaths: "the AWS Organizations
        # path of the resource that is being accessed" (its account's place, as
        # aws:PrincipalOrgPaths is the principal's)
        path = settings.org_paths.get(account_id)
        if path:
            ctx["aws:resourceorgpaths"] = (path,)
    # IAM User Guide, global condition keys, aws:ResourceOrgID: "This key is included in the
    # request context only if the account that owns the resource is a member of an
    # organization" (aws:ResourceOrgPaths: the same). An account known to be in none
    # (DescribeOrganization: not in use): both absent, as the principal's are; one whose
    # membership was not read keeps them unknown
    home = settings.home_org
    if home is not None and account_id == home[0] and "aws:resourceorgid" not in ctx:
        # IAM User Guide, global condition keys, aws:ResourceOrgID: "Use this key to compare
        # the identifier of the organization in AWS Organizations to which the requested
        # resource belongs with the identifier specified in the policy" -- the home account's,
        # as DescribeOrganization named it (principal_context, aws:PrincipalOrgID)
        ctx["aws:resourceorgid"] = (home[1],)
    no_org = ("aws:resourceorgid", "aws:resourceorgpaths") \
        if account_id in settings.no_org_accounts and "aws:resourceorgid" not in ctx else ()
    return ctx, no_org


def resource_context(*, account_id: str, region: str, tags: Mapping[str, str] | None,
                     settings: AccessSettings, kms: bool, secret_arn: str,
                     rotation: tuple[bool | None, str | None] = (None, None),
                     key: Mapping[str, Any] | None = None) -> ResourceContext:
    """(the request context the resource gives, prefixes of keys known absent, the time
    floor). ``rotation``: (rotation enabled, the rotation function's ARN) as listed, (None,
    ...) when not read. ``key``: the record of the key the Decrypt is on (its properties:
    ``key_property_context``), None when not collected. ``tags`` None: the secret's tags
    were not read (coverage): no tag key is known, present or absent."""
    ctx, no_org = _resource_base(account_id, region, settings)
    prefixes: tuple[str, ...] = ()
    if kms:
        ctx["kms:viaservice"] = (f"secretsmanager.{region}.amazonaws.com",)
        ctx[SECRET_ARN_CONTEXT] = (secret_arn,)
        # Secrets Manager User Guide, "Secret encryption and decryption": the encryption
        # context of its KMS calls is SecretARN and SecretVersionId (the version's id is not
        # known here: build_request makes its key PRESENT)
        ctx["kms:encryptioncontextkeys"] = ("SecretARN", "SecretVersionId")
        ctx["aws:viaawsservice"] = ("true",)
        # IAM User Guide, "Forward access sessions": "When FAS requests are made,
        # aws:CalledVia, aws:CalledViaFirst, and aws:CalledViaLast condition keys are populated
        # with the service principal of the service that initiated the FAS call."
        via = ("secretsmanager.amazonaws.com",)
        ctx["aws:calledvia"] = via
        ctx["aws:calledviafirst"] = via
        ctx["aws:calledvialast"] = via
        ctx["kms:encryptionalgorithm"] = ("SYMMETRIC_DEFAULT",)
        props, prefixes = key_property_context(key)
        ctx.update(props)
        # the FAS Decrypt goes from Secrets Manager to KMS, not through the caller's VPC
        # endpoint: its network keys are absent (FAS_NETWORK_ABSENT; IAM conformance trial
        # round 21)
        prefixes += FAS_NETWORK_ABSENT
    else:
        ctx["aws:viaawsservice"] = ("false",)
        # IAM User Guide, "IAM JSON policy elements: Condition": the tag part of
        # aws:ResourceTag/tag-key is not case-sensitive ("matches a resource tag key named
        # either TagKey1 or tagkey1, but not both"); of tags that differ only in case "the
        # key name matches both tags, but only one value matches" -- which one is not
        # documented: such a key (values differing) is left unknown, and so, as the request
        # context cannot say "present, value unknown" for a resource key, is every tag key
        # the secret does not list (not marked absent). IAM conformance trial round 19: the
        # last of the two tags was read, a confident answer by dict order
        values: dict[str, set[str]] = {}
        for k, v in (tags or {}).items():
            values.setdefault(k.lower(), set()).add(v)
        for k, vs in values.items():
            if len(vs) == 1:
                (v,) = vs
                ctx[f"aws:resourcetag/{k}"] = (v,)
                ctx[f"secretsmanager:resourcetag/{k}"] = (v,)
        prefixes = () if tags is None or any(len(vs) > 1 for vs in values.values()) else \
            ("aws:resourcetag/", "secretsmanager:resourcetag/")
        # Secrets Manager UG, condition keys, secretsmanager:resource/AllowRotationLambdaArn:
        # "Filters the request based on the ARN of the Lambda rotation function attached to
        # the resource ... Secrets that do not have rotation enabled or that have a different
        # rotation Lambda ARN do not match." Not read (a replica, an unread listing): unknown
        enabled, function = rotation
        if enabled and function:
            ctx[ROTATION_LAMBDA_KEY] = (function,)
        elif enabled is False:
            prefixes += (ROTATION_LAMBDA_KEY,)
    return ctx, prefixes + no_org, settings.time_floor


def key_resource_context(*, account_id: str, region: str, settings: AccessSettings,
                         key: Mapping[str, Any] | None = None) -> ResourceContext:
    """The resource side of a kms:Decrypt on a key by any route -- directly or through a
    service, for any secret: its account, organization and Region (``_resource_base``) and
    the key's own properties (``key_property_context``); the route's keys (kms:ViaService,
    aws:CalledVia, aws:ViaAWSService, the encryption context) stay unknown. What a key
    policy's explicit Deny of a principal's Decrypt grant is evaluated with
    (scanner.policy.exposure.excess_key_grants): taken back only where it applies whatever
    the route (IAM conformance trial round 12)."""
    ctx, no_org = _resource_base(account_id, region, settings)
    props, prefixes = key_property_context(key)
    ctx.update(props)
    return ctx, prefixes + no_org, settings.time_floor


#: "anyone of an account outside everything known": the access analysis' ``*`` path
#: (scanner.access.pair_eval.PUBLIC; docs/access.md), whose account is one no policy names
PUBLIC_FACTS = PrincipalFacts(arn="*", account_id=OUTSIDER_ACCOUNT, principal_type="public")


def public_request(settings: AccessSettings, rctx: ResourceContext, *, action: str,
                   resource: str, any_route: bool = False) -> Request:
    """The request of the ``*`` path (``PUBLIC_FACTS``) on a resource: what the exposure rules
    ask a policy's Deny statements about for a public grant (scanner.policy.exposure.
    public_withheld), as the access analysis does. ``any_route``: a call made through a
    service or directly -- the route's keys (``request.ROUTE_KEYS``) stay unknown, not absent:
    KMS Developer Guide, kms:ViaService: "limits use of a KMS key to requests from specified
    AWS services", a key a caller outside may also call itself; and a secret's reader may call
    GetSecretValue through a service (aws:ViaAWSService, aws:CalledVia: IAM conformance trial
    round 17) -- so a Deny that reads them is undecided and takes nothing back
    (``request.any_route``)."""
    request = build_request(PUBLIC_FACTS, principal_context(PUBLIC_FACTS, settings), rctx,
                            action=action, resource=resource)
    return route_free(request) if any_route else request


def build_request(p: PrincipalFacts, pctx: tuple[dict[str, tuple[str, ...]], set[str],
                  dict[str, frozenset[str]]], rctx: ResourceContext, *, action: str,
                  resource: str) -> Request:
    ctx = dict(rctx[0])
    ctx.update(pctx[0])
    absent = set(pctx[1])
    if "kms:viaservice" not in ctx:  # the caller's own GetSecretValue: no service between
        absent |= {"aws:calledvia", "aws:calledviafirst", "aws:calledvialast",
                   "kms:viaservice"}
    excluded = pctx[2]
    # the resource's aws:ResourceOrgPaths, present under our organization id where its
    # account's place in it was not read (request.resource_excluded)
    for_resource = resource_excluded(ctx)
    if for_resource:
        excluded = {**excluded, **for_resource}
    # KMS Developer Guide, "AWS KMS condition keys": kms:EncryptionContextKeys holds the keys
    # of the request's encryption context, and kms:EncryptionContext:context-key the value of
    # each: a key the context holds is present. Secrets Manager User Guide, "Secret encryption
    # and decryption": its encryption context is SecretARN and SecretVersionId -- the
    # version's id is in every Decrypt it makes, with a value the snapshot does not know
    # (which version a read decrypts): PRESENT, so Null and StringLike "*" on it are decided
    # (IAM conformance trial round 13: a key policy's "Deny if Null ...SecretVersionId" made
    # every reader CONDITIONAL)
    held = [f"{ENCRYPTION_CONTEXT_PREFIX}{k.lower()}"
            for k in ctx.get("kms:encryptioncontextkeys", ())]
    if any(k not in ctx and k not in excluded for k in held):
        excluded = {**excluded, **{k: PRESENT for k in held
                                   if k not in ctx and k not in excluded}}
    if action.lower() == GET_SECRET_VALUE and SECRET_ID not in ctx and SECRET_ID not in excluded:
        # the SecretId parameter of the call: in every GetSecretValue, its value a name or
        # an ARN, complete or partial, as the caller passed it (SECRET_ID)
        excluded = {**excluded, SECRET_ID: PRESENT}
    prefixes = rctx[1]
    if held:
        # and those are its only pairs ("Secrets Manager uses an encryption context with two
        # key-value pairs that identify the secret and its version"): any other
        # kms:EncryptionContext:<key> is absent from the request (Request.key_state reads a
        # known or PRESENT key before the prefix; IAM conformance trial round 17: a key
        # policy's Deny unless kms:EncryptionContext:Project = x left every reader CONDITIONAL)
        prefixes = prefixes + (ENCRYPTION_CONTEXT_PREFIX,)
    return Request(
        principal_arn=p.arn, principal_account=p.account_id, action=action, resource=resource,
        principal_type=p.principal_type, has_permissions_boundary=p.has_boundary,
        context=ctx, absent=frozenset(absent), absent_prefixes=prefixes, excluded=excluded,
        time_floor=rctx[2],
    )


#: the keys of a service principal's request made for a resource (IAM User Guide, "AWS global
#: condition context keys", aws:SourceAccount: "This key is included in the request context
#: only if accessing a resource triggers an AWS service to call another service on behalf of
#: the resource owner"; aws:SourceArn, aws:SourceOrgID, aws:SourceOrgPaths alike)
SOURCE_KEYS = frozenset({"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid",
                         "aws:sourceorgpaths"})
#: the principal keys a service principal's request does not carry (IAM User Guide, "AWS
#: global condition context keys"): aws:PrincipalOrgID and aws:PrincipalOrgPaths -- "This key
#: is included in the request context only if the principal is a member of an organization"
#: (a service principal belongs to no organization: docs/remediation.md, the org condition
#: would cut the services off); aws:PrincipalTag/* -- "included ... if the principal is using
#: an IAM user with attached tags ... an IAM role with attached tags or session tags";
#: aws:username -- "always included in the request context for IAM users" (and only for
#: them); no SAML / web-identity federation key; aws:AssumedRoot (request.ASSUMED_ROOT)
_SERVICE_ABSENT = frozenset({"aws:principalorgid", "aws:principalorgpaths", "aws:username",
                             ALL_PRINCIPAL_TAGS, NO_FEDERATION, ASSUMED_ROOT})


def service_requests(service: str, *, action: str, resource: str, source_account: str | None,
                     source_arn: str | None = None) -> tuple[Request, ...]:
    """The request the AWS service principal ``service`` (``lambda.amazonaws.com``) makes of
    ``action`` on ``resource``, as far as it is known, in each reading the snapshot cannot
    tell apart: a policy denies it for certain only if it denies every reading.

    Known (IAM User Guide, "AWS global condition context keys"): aws:PrincipalIsAWSService
    true ("Use this key to check whether the call to your resource is being made directly by
    an AWS service principal"), aws:PrincipalServiceName ``service`` ("This key is present in
    the request when the call is made by an AWS service principal"); absent: the keys of
    ``_SERVICE_ABSENT``. The source keys (``SOURCE_KEYS``): a service passes them when it
    acts on behalf of a resource's owner, and which services do for which calls is not
    documented for each (Lambda assuming a function's execution role: not) -- so one reading
    without them and, when the resource it acts for is in ``source_account``, one with
    aws:SourceAccount that account and aws:SourceArn ("the ARN of the resource making a
    service-to-service request") a value beginning with ``source_arn`` where given (a Lambda
    function's unqualified ARN: the request may name its version or alias after it:
    request.under), aws:SourceOrgID / OrgPaths not known. Every other key (aws:PrincipalArn,
    aws:SourceIp, ...) is unknown. IAM conformance trial round 34: the execution role's trust
    policy was asked with no context at all, so a Deny unless aws:PrincipalOrgID -- which
    keeps Lambda out -- was not held against a rotation role."""
    context = {"aws:principalisawsservice": ("true",), "aws:principalservicename": (service,)}
    bare = Request(principal_arn=service, principal_account=None, action=action,
                   resource=resource, principal_type="service", context=context,
                   absent=_SERVICE_ABSENT | SOURCE_KEYS)
    if source_account is None:
        return (bare,)
    return (bare, replace(bare, context={**context, "aws:sourceaccount": (source_account,)},
                          absent=_SERVICE_ABSENT,
                          excluded={"aws:sourcearn": under(source_arn)} if source_arn else {}))
