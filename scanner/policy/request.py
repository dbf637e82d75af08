"""A request to evaluate: who asks, for what, on which resource, and what the context holds.

The context is explicit about what is known. A key is *known* (``context``: its values), *known
absent* (``absent``, or it starts with one of ``absent_prefixes``, or it is a key of
another service than the action's: ``foreign_key``), *known to differ* from some
values (``excluded``: e.g. an account outside the organization has an aws:PrincipalOrgID that
is not ours, or none; ``PRESENT``: in the request, its value not known), or else *unknown*: a
condition on an unknown key is never guessed.
Keys are lower-case (condition keys are case-insensitive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import Enum
from functools import lru_cache
from typing import AbstractSet, Mapping

from scanner.policy.matching import action_matches


#: keys of one service that other services' requests carry: the credential context of the
#: compute that signed the request (Lambda DG, "Using source function ARN": "Lambda injects
#: the source function ARN into the credentials context if the request is an AWS API request
#: that comes from within your execution environment"; EC2 UG, instance-role credentials:
#: ec2:SourceInstanceARN / SourceInstancePrivateIPv4 / RoleDelivery; the same for SSM-managed
#: instances, Glue and IAM Identity Center). A request may carry them whatever its service:
#: unknown, never absent.
CREDENTIAL_CONTEXT_KEYS = frozenset({
    "ec2:sourceinstancearn", "ec2:sourceinstanceprivateipv4", "ec2:roledelivery",
    "lambda:sourcefunctionarn", "ssm:sourceinstancearn", "glue:roleassumedby",
    "glue:credentialissuingservice", "identitystore:userid", "identitystore:identitystorearn"})
#: the keys that only role credentials carry: those above -- each rides on the credentials of a
#: role session (an EC2 instance role, a Lambda execution role, an SSM-managed instance's, a
#: Glue job's, an IAM Identity Center session) -- and the EC2 credential control properties
#: (AWS What's New, 2023-03-06, "IAM Roles for Amazon EC2 now provide Credential Control
#: Properties": "Each role credential now has two new properties, which are AWS global
#: condition keys", aws:Ec2InstanceSourceVpc and aws:Ec2InstanceSourcePrivateIPv4), and the
#: source identity (IAM User Guide, "Monitor and control actions taken with assumed roles":
#: "After a source identity is set, it is present in requests for any AWS action taken during
#: the role session"; aws:SourceIdentity, set when a role is assumed). An IAM user (its own
#: keys, or a GetSessionToken / GetFederationToken session of them) and the root user never
#: carry them: absent from their requests (scanner.access.context.principal_context). IAM
#: conformance trial round 27: the Security Blog's SCP keeping EC2
#: credentials on their instance (Deny * if Null ec2:SourceInstanceARN "false" and
#: StringNotEquals aws:ec2InstanceSourceVPC ${aws:SourceVpc}) left an IAM user's read
#: CONDITIONAL
ROLE_CREDENTIAL_KEYS = CREDENTIAL_CONTEXT_KEYS | frozenset({
    "aws:ec2instancesourcevpc", "aws:ec2instancesourceprivateipv4", "aws:sourceidentity"})
#: and the federation keys a SAML or web-identity session carries on every request (IAM User
#: Guide, "Available keys for SAML-based federation" / "for web identity federation": they
#: "are available when the temporary security credentials are used to make a request"):
#: ``saml:*``, and the provider-named keys (``cognito-identity.amazonaws.com:sub``,
#: ``accounts.google.com:aud``, an OIDC provider URL ``oidc.eks...:sub``): a prefix with a dot
_FEDERATION_PREFIX = "saml"


#: service keys that only some actions of their service carry: the KMS grant keys, which KMS
#: Developer Guide, "AWS KMS condition keys", documents for the grant operations only
#: (kms:GrantIsForAWSResource: "Allows or denies permission for the CreateGrant, ListGrants,
#: or RevokeGrant operations only when an AWS service integrated with AWS KMS calls the
#: operation"; kms:GrantOperations, kms:GranteePrincipal, kms:RetiringPrincipal,
#: kms:GrantConstraintType: CreateGrant), and the keys of Secrets Manager's request parameters
#: (below). On any other action (Decrypt, GetSecretValue) they are absent.
ACTION_ONLY_KEYS: dict[str, frozenset[str]] = {
    "kms:grantisforawsresource": frozenset({"kms:creategrant", "kms:listgrants",
                                            "kms:revokegrant"}),
    "kms:grantoperations": frozenset({"kms:creategrant"}),
    "kms:granteeprincipal": frozenset({"kms:creategrant"}),
    "kms:retiringprincipal": frozenset({"kms:creategrant", "kms:retiregrant"}),
    "kms:grantconstrainttype": frozenset({"kms:creategrant"}),
    "kms:grantconstraintsourcearn": frozenset({"kms:creategrant"}),
    "kms:granteeserviceprincipal": frozenset({"kms:creategrant"}),
    "kms:retiringserviceprincipal": frozenset({"kms:creategrant"}),
    # the keys of KMS request parameters, listed (Service Authorization Reference, "Actions,
    # resources, and condition keys for AWS Key Management Service"; KMS Developer Guide, "AWS
    # KMS condition keys") for the operations that take them only -- Decrypt takes
    # kms:CallerAccount, EncryptionAlgorithm, EncryptionContext:*, EncryptionContextKeys,
    # RecipientAttestation:*, RequestAlias and ViaService (and the key's properties). IAM
    # conformance trial round 20: a key policy's "Deny kms:* if Bool
    # kms:BypassPolicyLockoutSafetyCheck true" left every reader CONDITIONAL
    "kms:bypasspolicylockoutsafetycheck": frozenset({"kms:createkey", "kms:putkeypolicy"}),
    "kms:schedulekeydeletionpendingwindowindays": frozenset({"kms:schedulekeydeletion"}),
    "kms:trailingdayswithoutkeyusage": frozenset({"kms:disablekey", "kms:schedulekeydeletion"}),
    "kms:replicaregion": frozenset({"kms:replicatekey"}),
    "kms:primaryregion": frozenset({"kms:updateprimaryregion"}),
    "kms:signingalgorithm": frozenset({"kms:sign", "kms:verify"}),
    "kms:messagetype": frozenset({"kms:sign", "kms:verify"}),
    "kms:macalgorithm": frozenset({"kms:generatemac", "kms:verifymac"}),
    "kms:keyagreementalgorithm": frozenset({"kms:derivesharedsecret"}),
    "kms:datakeypairspec": frozenset({"kms:generatedatakeypair",
                                      "kms:generatedatakeypairwithoutplaintext"}),
    "kms:wrappingalgorithm": frozenset({"kms:getparametersforimport"}),
    "kms:wrappingkeyspec": frozenset({"kms:getparametersforimport"}),
    "kms:expirationmodel": frozenset({"kms:importkeymaterial"}),
    "kms:validto": frozenset({"kms:importkeymaterial"}),
    "kms:rotationperiodindays": frozenset({"kms:enablekeyrotation"}),
    "kms:reencryptonsamekey": frozenset({"kms:reencryptfrom", "kms:reencryptto"}),
    # Service Authorization Reference, "Actions, resources, and condition keys for AWS
    # Secrets Manager": the keys of a request parameter are listed for the actions that take
    # it -- BlockPublicPolicy for PutResourcePolicy; Name, Description, KmsKeyArn, KmsKeyId,
    # Type for CreateSecret (all but Name for UpdateSecret too); AddReplicaRegions and
    # ForceOverwriteReplicaSecret for CreateSecret and ReplicateSecretToRegions;
    # ForceDeleteWithoutRecovery and RecoveryWindowInDays for DeleteSecret; RotationLambdaARN,
    # RotateImmediately, ModifyRotationRules, ExternalSecretRotationRoleArn for RotateSecret.
    # GetSecretValue takes none of them (its keys: the resource tags, SecretId,
    # SecretPrimaryRegion, VersionId, VersionStage, resource/AllowRotationLambdaArn,
    # resource/Type): absent there (IAM conformance trial round 20: "Deny secretsmanager:* if
    # BoolIfExists secretsmanager:BlockPublicPolicy false" left every reader CONDITIONAL)
    "secretsmanager:blockpublicpolicy": frozenset({"secretsmanager:putresourcepolicy"}),
    "secretsmanager:name": frozenset({"secretsmanager:createsecret"}),
    "secretsmanager:description": frozenset({"secretsmanager:createsecret",
                                             "secretsmanager:updatesecret"}),
    "secretsmanager:kmskeyarn": frozenset({"secretsmanager:createsecret",
                                           "secretsmanager:updatesecret"}),
    "secretsmanager:kmskeyid": frozenset({"secretsmanager:createsecret",
                                          "secretsmanager:updatesecret"}),
    "secretsmanager:type": frozenset({"secretsmanager:createsecret",
                                      "secretsmanager:updatesecret"}),
    "secretsmanager:addreplicaregions": frozenset({"secretsmanager:createsecret",
                                                   "secretsmanager:replicatesecrettoregions"}),
    "secretsmanager:forceoverwritereplicasecret": frozenset({
        "secretsmanager:createsecret", "secretsmanager:replicatesecrettoregions"}),
    "secretsmanager:forcedeletewithoutrecovery": frozenset({"secretsmanager:deletesecret"}),
    "secretsmanager:recoverywindowindays": frozenset({"secretsmanager:deletesecret"}),
    "secretsmanager:rotationlambdaarn": frozenset({"secretsmanager:rotatesecret"}),
    "secretsmanager:rotateimmediately": frozenset({"secretsmanager:rotatesecret"}),
    "secretsmanager:modifyrotationrules": frozenset({"secretsmanager:rotatesecret"}),
    "secretsmanager:externalsecretrotationrolearn": frozenset({"secretsmanager:rotatesecret"}),
}


#: the request-tag keys (lower case): IAM User Guide, "AWS global condition context keys",
#: aws:RequestTag/tag-key: "This key is included in the request context when tags are passed
#: in the request"; aws:TagKeys: "This key is included in the request context if the operation
#: supports passing tags in the request". The Service Authorization Reference lists them for
#: the tagging and create actions (TagResource, CreateSecret, CreateKey, ...), not for
#: GetSecretValue or Decrypt.
TAG_KEYS = "aws:tagkeys"
REQUEST_TAG_PREFIX = "aws:requesttag/"
#: the actions (lower case) that take no tags, so carry neither request-tag key: the read and
#: the Decrypt Secrets Manager makes for it (IAM conformance trial round 11: left unknown, a
#: tag-governance SCP -- Deny * if ForAnyValue:StringNotEquals aws:TagKeys -- made every
#: reader CONDITIONAL). Other actions may pass tags: the keys stay unknown there.
UNTAGGED_ACTIONS = frozenset({"secretsmanager:getsecretvalue", "kms:decrypt"})


def request_tag_key(key: str) -> bool:
    """``key`` (lower case) is aws:TagKeys or an aws:RequestTag/... key."""
    return key == TAG_KEYS or key.startswith(REQUEST_TAG_PREFIX)


def action_dependent(key: str) -> bool:
    """``key`` (lower case) is in the request of some actions of its service and not others
    (``ACTION_ONLY_KEYS``, the request-tag keys: ``foreign_key``): what a condition on it says
    of one action (kms:Decrypt) does not hold of another (kms:CreateGrant). IAM conformance
    trial round 17: the --prove answer on Decrypt was carried to a public CreateGrant under
    Bool kms:GrantIsForAWSResource "true"."""
    return key in ACTION_ONLY_KEYS or request_tag_key(key)


@lru_cache(maxsize=4096)
def federation_key(key: str) -> bool:
    """A key a SAML or web-identity role session carries (``saml:sub``,
    ``cognito-identity.amazonaws.com:sub``, an OIDC provider's ``...:sub``,
    ``aws:FederatedProvider``). Unknown for a
    principal that may be such a session; absent for one that cannot be (``NO_FEDERATION``
    in the request's absent set: a user, a role its trust policy lets no identity provider
    assume)."""
    service = key.partition(":")[0]
    return service == _FEDERATION_PREFIX or "." in service or key == FEDERATED_PROVIDER


#: IAM User Guide, "AWS global condition context keys", aws:FederatedProvider: the identity
#: provider that issued a role session assumed through web identity (OIDC) or SAML; the key
#: is in the request context only for such a session, so it goes with the federation keys
#: (absent where NO_FEDERATION is: a user, a role no identity provider may assume)
FEDERATED_PROVIDER = "aws:federatedprovider"


#: in ``absent``: the principal is no SAML / web-identity session, its federation keys absent
NO_FEDERATION = "federation:*"


@lru_cache(maxsize=4096)
def foreign_key(key: str, action: str) -> bool:
    """``key`` (lower case) is a service-specific condition key of another service than the
    action's, so the request cannot carry it: a ``kms:`` key on GetSecretValue, a
    ``secretsmanager:`` key on the Decrypt Secrets Manager makes. IAM User Guide, "Condition
    keys": the request context holds the global keys (``aws:``) and the keys of the service the
    request is to; the Service Authorization Reference lists for each action the keys it takes
    (GetSecretValue: ``secretsmanager:SecretId``, ``secretsmanager:ResourceTag/...``,
    ``aws:ResourceTag/...``, no ``kms:`` key). And "If the key that you specify in a policy
    condition is not present in the request context, the values do not match" (the key is
    absent). ``CREDENTIAL_CONTEXT_KEYS`` and the federation keys excepted (a regression
    check of this rule: ``saml:sub`` on a SAML role's GetSecretValue was read as absent, a
    reader DENIED); ``ACTION_ONLY_KEYS`` are absent from the
    other actions of their own service too, and the request-tag keys (``aws:TagKeys``,
    ``aws:RequestTag/...``) from the actions that pass no tags (``UNTAGGED_ACTIONS``)."""
    service, sep, _ = key.partition(":")
    if service == "aws" and request_tag_key(key):
        # the request-tag keys, absent from an action that passes no tags (TAG_KEYS)
        return action.lower() in UNTAGGED_ACTIONS
    if not sep or service == "aws" or key in CREDENTIAL_CONTEXT_KEYS or \
            federation_key(key):
        return False
    only = ACTION_ONLY_KEYS.get(key)
    if only is not None:
        # ``action`` may be a pattern (a key policy's public ``kms:*`` grant, asked as its
        # Action names it: scanner.policy.exposure.key_granted_actions): absent only when no
        # action it covers takes the key (IAM conformance trial round 20: "Allow * kms:* if
        # Bool kms:GrantIsForAWSResource true" never held for "kms:*", read as one action)
        low = action.lower()
        if "*" in low or "?" in low:
            return not any(action_matches(low, a) for a in only)
        return low not in only
    return service != action.partition(":")[0].lower()


_PRINCIPAL_TAG = "aws:principaltag/"
#: in ``absent``: the principal's tag set is complete, a tag it does not carry is absent
#: (scanner.access.context.principal_context, PrincipalFacts.tags_final)
ALL_PRINCIPAL_TAGS = "aws:principaltag/*"
#: the markers an ``absent`` set may hold besides keys (a cache keyed on what a request
#: says of absent keys must see them: scanner.access.scp.Guardrails)
ABSENT_MARKERS = (ALL_PRINCIPAL_TAGS, NO_FEDERATION)


class _EveryLiteral(frozenset):  # type: ignore[type-arg]
    """An excluded set holding every literal value (no ``*`` or ``?``): the key's value is
    one that no policy names. "Anyone" of an account outside everything known stands for an
    account no statement names, so a comparison with a named account is false for it, and
    one with a pattern (``0*``) or an ordering (``NumericGreaterThan 0``) is unknown."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and "*" not in value and "?" not in value

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _EveryLiteral)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash("secretgraph.EVERY_LITERAL")

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_EveryLiteral, ())

    def __repr__(self) -> str:
        return "EVERY_LITERAL"


#: the excluded values of the outside caller's account keys (``_EveryLiteral``)
EVERY_LITERAL: frozenset[str] = _EveryLiteral()


class _NotUnder(frozenset):  # type: ignore[type-arg]
    """An excluded set holding every value that begins with ``prefix``: an account outside
    our organization has no aws:PrincipalOrgPaths under our organization id (it has none, or
    paths of another organization, which begin with that organization's id)."""

    prefix: str

    def __new__(cls, prefix: str) -> "_NotUnder":
        self = super().__new__(cls)
        self.prefix = prefix
        return self

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and value.startswith(self.prefix)

    def covers_pattern(self, pattern: str) -> bool:
        """Every value the StringLike ``pattern`` matches begins with the prefix."""
        head = pattern[:len(self.prefix)]
        return head == self.prefix and "*" not in head and "?" not in head

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _NotUnder) and other.prefix == self.prefix

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("secretgraph.NOT_UNDER", self.prefix))

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_NotUnder, (self.prefix,))

    def __repr__(self) -> str:
        return f"NOT_UNDER({self.prefix!r})"


def not_under(prefix: str) -> frozenset[str]:
    """The excluded values "every value beginning with ``prefix``" (``_NotUnder``)."""
    return _NotUnder(prefix)


class _Under(frozenset):  # type: ignore[type-arg]
    """A key *present* in the request with one value that begins with ``prefix``, the rest not
    known: the aws:PrincipalOrgPaths of a principal whose account is in our organization but
    whose place in it was not read (IAM User Guide, "AWS global condition context keys",
    aws:PrincipalOrgPaths: "This key is included in the request context only if the
    principal is a member of an organization"; a path begins with the organization's id,
    "o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/..."). ``Null`` on it is decided (present), a
    comparison the prefix decides is decided (conditions._under; IAM conformance trial round
    22). Also the aws:SourceArn of a Lambda function's request, its qualifier not known
    (scanner.access.context.service_requests). As an excluded set it excludes no literal
    (``in`` is always false)."""

    prefix: str

    def __new__(cls, prefix: str) -> "_Under":
        self = super().__new__(cls)
        self.prefix = prefix
        return self

    def __contains__(self, value: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _Under) and other.prefix == self.prefix

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("secretgraph.UNDER", self.prefix))

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_Under, (self.prefix,))

    def __repr__(self) -> str:
        return f"UNDER({self.prefix!r})"


def under(prefix: str) -> frozenset[str]:
    """The "excluded" value of a key present with one value beginning with ``prefix``
    (``_Under``)."""
    return _Under(prefix)


RESOURCE_ORG_ID = "aws:resourceorgid"
RESOURCE_ORG_PATHS = "aws:resourceorgpaths"


def resource_excluded(context: Mapping[str, tuple[str, ...]]) -> dict[str, frozenset[str]]:
    """What a resource side's ``context`` (scanner.access.context.resource_context) says of a
    key it leaves unknown: the resource's account is in an organization (aws:ResourceOrgID
    known) whose place in it was not read (no aws:ResourceOrgPaths) -- IAM User Guide, "AWS
    global condition context keys", aws:ResourceOrgPaths: "This key is included in the
    request context only if the account that owns the resource is a member of an
    organization", its path beginning with the organization's id -- so the key is present
    with one path under ``<org id>/`` (``under``), as the principal's aws:PrincipalOrgPaths
    is (IAM conformance trial rounds 22 and 26). The one reading of every request built from a
    resource side (scanner.access.context.build_request, scanner.policy.exposure)."""
    org = context.get(RESOURCE_ORG_ID)
    if not org or len(org) != 1 or RESOURCE_ORG_PATHS in context:
        return {}
    return {RESOURCE_ORG_PATHS: under(f"{org[0]}/")}


class _ArnOf(frozenset):  # type: ignore[type-arg]
    """The value of aws:PrincipalArn when only its account is known: an IAM ARN of
    ``partition`` and ``account`` -- ``arn:<partition>:iam::<account>:`` followed by a
    resource that is not known (the stand-in of an unread account's principals, a grant to a
    whole account: which role, user or root of it asks is not known). IAM User Guide, global
    condition keys, aws:PrincipalArn: "the Amazon Resource Name (ARN) of the principal that
    made the request" -- for a role the role's ARN, for a user the user's, for the root user
    ``arn:aws:iam::<account>:root``: always an ``iam`` ARN of the principal's account, with no
    Region. As an excluded set it excludes no literal (``in`` is always false);
    conditions._arn_of reads it. ``resource``: the head of the resource known (``role/`` for
    a role session named by its STS ARN: aws:PrincipalArn holds the role's ARN, "Do not
    specify the assumed role session ARN as a value for this condition key", its path not
    known; IAM conformance trial round 31); empty when not even the kind is known."""

    partition: str
    account: str
    resource: str

    def __new__(cls, partition: str, account: str, resource: str = "") -> "_ArnOf":
        self = super().__new__(cls)
        self.partition = partition
        self.account = account
        self.resource = resource
        return self

    @property
    def prefix(self) -> str:
        """What every value begins with."""
        return f"arn:{self.partition}:iam::{self.account}:{self.resource}"

    def __contains__(self, value: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _ArnOf) and other.prefix == self.prefix

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("secretgraph.ARN_OF", self.prefix))

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_ArnOf, (self.partition, self.account, self.resource))

    def __repr__(self) -> str:
        return f"ARN_OF({self.prefix!r})"


#: the key whose partial value ``arn_of`` gives
PRINCIPAL_ARN = "aws:principalarn"


class _ArnOfUnnamed(frozenset):  # type: ignore[type-arg]
    """The value of aws:PrincipalArn of "anyone of an account outside everything known" (the
    access analysis' ``*`` path: an account no policy names, as its aws:PrincipalAccount is
    ``EVERY_LITERAL``): an ARN whose account component is an account no policy names, all
    else unknown. IAM User Guide, global condition keys, aws:PrincipalArn: "the Amazon
    Resource Name (ARN) of the principal that made the request" -- the account component is
    the principal's account. As an excluded set it excludes no literal (``in`` is always
    false); conditions._arn_of_unnamed reads it (concept review round 3)."""

    def __contains__(self, value: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _ArnOfUnnamed)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash("secretgraph.ARN_OF_UNNAMED")

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_ArnOfUnnamed, ())

    def __repr__(self) -> str:
        return "ARN_OF_UNNAMED"


#: the "excluded" value of the ``*`` path's aws:PrincipalArn (``_ArnOfUnnamed``)
ARN_OF_UNNAMED: frozenset[str] = _ArnOfUnnamed()


def arn_of(partition: str, account: str, resource: str = "") -> frozenset[str]:
    """The "excluded" value of aws:PrincipalArn known only by its account and, where given,
    the head of its resource (``_ArnOf``)."""
    return _ArnOf(partition, account, resource)


#: the resource head of a role's ARN (``role_session_arn``)
ROLE_RESOURCE = "role/"


def role_session_arn(partition: str, account: str) -> frozenset[str]:
    """The "excluded" value of aws:PrincipalArn of a role session named by its STS ARN whose
    role is not in the snapshot: IAM User Guide, "AWS global condition context keys",
    aws:PrincipalArn, IAM role: "Do not specify the assumed role session ARN as a value for
    this condition key" -- the key holds ``arn:<partition>:iam::<account>:role/<path><name>``,
    the path not known. The one reading of it (scanner.access.context.principal_context, the
    exposure rules' grantee: scanner.policy.exposure; IAM conformance trial round 31)."""
    return _ArnOf(partition, account, ROLE_RESOURCE)


class _Present(frozenset):  # type: ignore[type-arg]
    """An excluded set holding no value, for a key that is *present* in the request with one
    value the snapshot does not know: ``Null`` on it is decided, a ``StringLike`` of ``*``
    alone matches it, every other comparison is unknown (conditions._present). The
    encryption-context keys of the Decrypt Secrets Manager makes (``build_request``:
    kms:EncryptionContext:SecretVersionId)."""

    def __contains__(self, value: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _Present)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash("secretgraph.PRESENT")

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_Present, ())

    def __repr__(self) -> str:
        return "PRESENT"


#: the "excluded" value of a key present with one unknown value (``_Present``)
PRESENT: frozenset[str] = _Present()


class _OneOf(frozenset):  # type: ignore[type-arg]
    """A key *present* in the request with one value, one of ``members`` (a known finite set)
    though which one is not known: the aws:PrincipalType of a caller that is an IAM principal
    of some kind (IAM User Guide, "AWS global condition context keys", aws:PrincipalType:
    "Account, User, FederatedUser, AssumedRole, Anonymous"; Secrets Manager and KMS take no
    anonymous calls, docs/access.md). ``Null`` on it is decided (present), a comparison whose
    answer is the same for every member is decided, any other is unknown
    (conditions._one_of; IAM conformance trial round 14). As an excluded set it excludes no
    literal (``in`` is always false)."""

    members: frozenset[str]

    def __new__(cls, members: AbstractSet[str]) -> "_OneOf":
        self = super().__new__(cls)
        self.members = frozenset(members)
        return self

    def __contains__(self, value: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _OneOf) and other.members == self.members

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("secretgraph.ONE_OF", self.members))

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_OneOf, (self.members,))

    def __repr__(self) -> str:
        return f"ONE_OF({sorted(self.members)!r})"


def one_of(members: AbstractSet[str]) -> frozenset[str]:
    """The "excluded" value of a key present with one value among ``members`` (``_OneOf``)."""
    return _OneOf(members)


#: STS AssumeRole, RoleSessionName: 2-64 characters of [\w+=,.@-]
_SESSION_NAME = r"[\w+=,.@-]{2,64}"


class _UniqueIdOf(frozenset):  # type: ignore[type-arg]
    """aws:userid of a role session or an IAM user whose unique id the snapshot does not hold:
    present, one value of a known shape. IAM User Guide, "AWS global condition context keys",
    principal key values: aws:userid is "role-id:caller-specified-role-name" for a role, the
    user's unique id for an IAM user; "IAM identifiers", "Understanding unique ID prefixes":
    "AROA" is a role's prefix, "AIDA" an IAM user's. ``prefix``: AROA or AIDA; ``session``:
    the id is followed by ``:`` and the session name (a role). ``Null`` on it is decided
    (present); a string comparison is decided where the shape decides it
    (conditions._unique_id; IAM conformance trial round 22). As an excluded set it excludes
    no literal (``in`` is always false). ``known``: ``prefix`` is the whole unique id (a role
    whose RoleId the snapshot holds: ``role_userid``), only the session name is not known.
    ``taken``: the unique ids of other principals (the snapshot's), which this one's is not --
    IAM User Guide, "IAM identifiers": unique ids are unique; the same set for every
    principal of one analysis, so not compared (``taking``; ground-truth trial round 22)."""

    prefix: str
    session: bool
    known: bool
    taken: frozenset[str]

    def __new__(cls, prefix: str, session: bool, known: bool = False,
                taken: frozenset[str] = frozenset()) -> "_UniqueIdOf":
        self = super().__new__(cls)
        self.prefix = prefix
        self.session = session
        self.known = known
        self.taken = taken
        return self

    def taking(self, taken: frozenset[str]) -> "_UniqueIdOf":
        """This shape, its id none of ``taken``."""
        return _UniqueIdOf(self.prefix, self.session, self.known, taken)

    @property
    def head(self) -> str:
        """What every value of the shape begins with: the id and its colon when the id is
        known, else the prefix."""
        return f"{self.prefix}:" if self.known and self.session else self.prefix

    @property
    def regex(self) -> str:
        """Every value of the shape, as a regular expression (unique ids: upper-case letters
        and digits, as the IAM API's ``RoleId`` / ``UserId`` pattern ``[\\w]+`` shows them)."""
        ident = re.escape(self.prefix) if self.known else f"{self.prefix}[A-Z0-9]+"
        return ident + (f":{_SESSION_NAME}" if self.session else "")

    def __contains__(self, value: object) -> bool:
        return False

    def __eq__(self, other: object) -> bool:  # not the empty set it iterates as
        return isinstance(other, _UniqueIdOf) and \
            (other.prefix, other.session, other.known) == (self.prefix, self.session, self.known)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return hash(("secretgraph.UNIQUE_ID_OF", self.prefix, self.session, self.known))

    def __reduce__(self) -> tuple[object, ...]:  # one kind across processes
        return (_UniqueIdOf, (self.prefix, self.session, self.known, self.taken))

    def __repr__(self) -> str:
        return f"UNIQUE_ID_OF({self.prefix!r}, session={self.session}, known={self.known})"


#: the aws:userid of a role session and of an IAM user (``_UniqueIdOf``)
ROLE_USERID: frozenset[str] = _UniqueIdOf("AROA", True)
USER_USERID: frozenset[str] = _UniqueIdOf("AIDA", False)


def role_userid(role_id: str) -> frozenset[str]:
    """The aws:userid of a session of the role whose unique id (RoleId) is ``role_id``: IAM
    User Guide, principal key values, "role-id:caller-specified-role-name" -- the id known,
    the session name not (ground-truth trial round 22)."""
    return _UniqueIdOf(role_id, True, True)
USERID = "aws:userid"


#: IAM User Guide, "AWS global condition context keys", aws:PrincipalType: "Account, User,
#: FederatedUser, AssumedRole, Anonymous" -- the values of an IAM caller's request (Secrets
#: Manager and KMS take no anonymous calls: docs/access.md), the key "included in the request
#: context for all signed requests" (IAM conformance trial round 14)
IAM_CALLER_TYPES = frozenset({"Account", "User", "FederatedUser", "AssumedRole"})
#: the key whose value ``one_of(IAM_CALLER_TYPES)`` gives when the caller's kind is not known
PRINCIPAL_TYPE = "aws:principaltype"


def is_absent(key: str, absent: AbstractSet[str]) -> bool:
    """``key`` (lower case) is known absent by ``absent``: listed, or covered by a marker --
    the principal's tag set is final, or it is no federation session. The one reading of an
    absent set: Request.key_state, and the access analysis' context projections
    (scanner.access.classes.project)."""
    return key in absent or (key.startswith(_PRINCIPAL_TAG) and ALL_PRINCIPAL_TAGS in absent) \
        or (NO_FEDERATION in absent and federation_key(key))


#: keys in the request context of every request a role, user or root user signs, whatever
#: the snapshot knows of their values. IAM User Guide, "AWS global condition context keys":
#: aws:userid, aws:PrincipalArn, aws:PrincipalAccount, aws:PrincipalType -- "This key is
#: included in the request context for all signed requests. Anonymous requests do not include
#: this key"; aws:CurrentTime, aws:EpochTime -- "This key is always included in the request
#: context". ``Null`` on one of them is decided (IAM conformance trial round 17: a Deny "if
#: Null aws:userid true" beside an Allow left every reader CONDITIONAL)
SIGNED_REQUEST_KEYS = frozenset({"aws:userid", "aws:principalarn", "aws:principalaccount",
                                 "aws:principaltype"})
REQUEST_TIME_KEYS = frozenset({"aws:currenttime", "aws:epochtime"})
#: keys in the request context of every request, whoever makes it: the time keys, and
#: aws:UserAgent -- IAM User Guide, "AWS global condition context keys": "This key is always
#: included in the request context" (its value, an HTTP header the caller sets, is not known;
#: IAM conformance trial round 18)
ALWAYS_INCLUDED_KEYS = REQUEST_TIME_KEYS | {"aws:useragent"}
#: the key holding when the request's temporary credentials were issued
TOKEN_ISSUE_TIME = "aws:tokenissuetime"
#: keys in the request context of every request signed with temporary credentials, which is
#: every request a role session (or an STS federated user session) signs. IAM User Guide, "AWS
#: global condition context keys", aws:TokenIssueTime and aws:MultiFactorAuthPresent: "This
#: key is included in the request context only when the principal uses temporary credentials
#: to make the request"; "Temporary credentials are used to authenticate IAM roles, federated
#: users, IAM users with temporary tokens from sts:GetSessionToken, and users of the AWS
#: Management Console". An IAM user or the root user may sign with long-term access keys
#: ("The key is not present in ... requests that are made using long-term credentials"): for
#: them the keys stay unknown. Their values are not in the snapshot (scanner.access.context.
#: principal_context gives them as PRESENT; IAM conformance trial round 18: "Deny if Null
#: aws:TokenIssueTime true", the usual guard against long-term keys, left every role's read
#: CONDITIONAL)
TEMPORARY_CREDENTIAL_KEYS = frozenset({TOKEN_ISSUE_TIME, "aws:multifactorauthpresent"})
#: the key of a centralized root access session: IAM User Guide, "AWS global condition context
#: keys", aws:AssumedRoot -- in the request context only when the principal uses credentials
#: from AssumeRoot. STS API Reference, AssumeRoot, TaskPolicyArn: "The identity based policy
#: that scopes the session to the privileged tasks that can be performed. You must use one of
#: following AWS managed policies to scope root session actions: IAMAuditRootUserCredentials,
#: IAMCreateRootUserPassword, IAMDeleteRootUserCredentials, S3UnlockBucketPolicy,
#: SQSUnlockQueuePolicy" -- iam:, s3: and sqs: tasks, no secretsmanager: or kms: action. So a
#: request that carries the key never reads a secret or decrypts with a key, whatever the
#: other policies say: the key is absent from every request the scanner asks about that can
#: succeed -- a role's, a user's, the root user's, an unread account's, the ``*`` path's
#: (scanner.access.context.principal_context; scanner.policy.exposure.NOT_A_SERVICE_ABSENT).
#: IAM conformance trial round 27: the "restrict the root user" SCP (Deny * if ArnLike
#: aws:PrincipalArn arn:*:iam::*:root and Null aws:AssumedRoot "true") left a member root
#: user's read CONDITIONAL "if: aws:assumedroot"
ASSUMED_ROOT = "aws:assumedroot"
#: IAM User Guide, "Disabling permissions for temporary security credentials": temporary
#: security credentials "are valid for the specified duration, from 900 seconds (15 minutes) up
#: to a maximum of 129,600 seconds (36 hours)" -- a request's aws:TokenIssueTime is at most
#: this long before the request (IAM conformance trial round 26: the console's
#: AWSRevokeOlderSessions, Deny * if DateLessThan aws:TokenIssueTime <when revoked>, left a role
#: revoked years before the scan CONDITIONAL on every read)
TEMPORARY_CREDENTIAL_MAX_SECONDS = 129_600


def token_issue_floor(request: "Request") -> float | None:
    """The earliest aws:TokenIssueTime a request from ``request.time_floor`` on can carry
    (``TEMPORARY_CREDENTIAL_MAX_SECONDS`` before it); None: no floor known. The evaluator's
    (conditions._issued) and the solver's one reading."""
    floor = request.time_floor
    return None if floor is None else floor - TEMPORARY_CREDENTIAL_MAX_SECONDS


#: the context keys AWS documents as multivalued (IAM User Guide, "AWS global condition
#: context keys", Value type "Multivalued": aws:CalledVia, aws:PrincipalOrgPaths,
#: aws:ResourceOrgPaths, aws:SourceOrgPaths, aws:TagKeys, aws:PrincipalServiceNamesList; KMS
#: Developer Guide, "AWS KMS condition keys": kms:EncryptionContextKeys, kms:ResourceAliases,
#: kms:GrantOperations; Service Authorization Reference, Secrets Manager:
#: secretsmanager:AddReplicaRegions, ArrayOfString). "Single-valued vs. multivalued context
#: keys": "Multivalued context keys require a condition set operator" -- what a plain
#: operator does on one is not documented (conditions.evaluate_clause; the solver's bound)
MULTIVALUED_KEYS = frozenset({
    "aws:calledvia", "aws:principalorgpaths", "aws:resourceorgpaths", "aws:sourceorgpaths",
    "aws:tagkeys", "aws:principalservicenameslist", "kms:encryptioncontextkeys",
    "kms:resourcealiases", "kms:grantoperations", "secretsmanager:addreplicaregions"})
#: the principal types of a signed request by an IAM principal (the ``*`` path included)
_SIGNED_TYPES = frozenset({"role", "user", "root", "public"})


def always_present(key: str, request: "Request") -> bool:
    """``key`` (lower case) is in ``request``'s context though its value may not be known
    (``SIGNED_REQUEST_KEYS`` for an IAM caller, ``ALWAYS_INCLUDED_KEYS`` for any): what
    conditions._null and the solver (scanner/policy/smt) read for a key left unknown."""
    return key in ALWAYS_INCLUDED_KEYS or (key in SIGNED_REQUEST_KEYS
                                          and request.principal_type in _SIGNED_TYPES)


class KeyState(str, Enum):
    KNOWN = "known"
    ABSENT = "absent"
    EXCLUDED = "excluded"
    UNKNOWN = "unknown"


@dataclass(frozen=True, kw_only=True, slots=True)
class Request:
    principal_arn: str  # role / user ARN, account root ARN, or "*" for anonymous
    principal_account: str | None
    action: str
    resource: str
    #: role | user | root | anonymous | service
    principal_type: str = "role"
    has_permissions_boundary: bool = False
    context: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    absent_prefixes: tuple[str, ...] = ()
    excluded: Mapping[str, frozenset[str]] = field(default_factory=dict)
    #: the earliest time (epoch seconds) the request can be made: aws:CurrentTime and
    #: aws:EpochTime are unknown but not earlier (None: no floor known)
    time_floor: float | None = None

    def key_state(self, key: str) -> KeyState:
        key = key.lower()
        if foreign_key(key, self.action):
            return KeyState.ABSENT
        if key in self.context:
            return KeyState.KNOWN
        if is_absent(key, self.absent):
            return KeyState.ABSENT
        if key in self.excluded:
            return KeyState.EXCLUDED
        if any(key.startswith(p) for p in self.absent_prefixes):
            return KeyState.ABSENT
        return KeyState.UNKNOWN

    def values(self, key: str) -> tuple[str, ...]:
        key = key.lower()
        return () if foreign_key(key, self.action) else self.context.get(key, ())

    def projection(self, keys: frozenset[str]) -> tuple[object, ...]:
        """What the request says about ``keys``: a cache key for policies that use only them."""
        out: list[object] = []
        for k in sorted(keys):
            state = self.key_state(k)
            if state is KeyState.KNOWN:
                out.append(self.context[k])
            elif state is KeyState.EXCLUDED:
                excluded = self.excluded[k]
                out.append(("!", "every literal") if isinstance(excluded, _EveryLiteral)
                           else ("!", "present") if isinstance(excluded, _Present)
                           else ("!", "one of", tuple(sorted(excluded.members)))
                           if isinstance(excluded, _OneOf)
                           else ("!", "under", excluded.prefix)
                           if isinstance(excluded, _NotUnder)
                           else ("!", "present under", excluded.prefix)
                           if isinstance(excluded, _Under)
                           else ("!", "arn of", excluded.prefix)
                           if isinstance(excluded, _ArnOf)
                           else ("!", "arn of an account no policy names")
                           if isinstance(excluded, _ArnOfUnnamed)
                           else ("!", "unique id", excluded.prefix, excluded.session)
                           if isinstance(excluded, _UniqueIdOf)
                           else ("!", tuple(sorted(excluded))))
            else:
                out.append(state.value)
        return tuple(out)


#: the keys that tell a request an AWS service makes for its caller with a forward access
#: session from the caller's own call: IAM User Guide, "AWS global condition context keys",
#: aws:ViaAWSService ("whether an AWS service makes a request to another service on your behalf
#: using forward access sessions (FAS)"), aws:CalledVia / CalledViaFirst / CalledViaLast ("the
#: services that made requests on behalf of the IAM principal"); KMS Developer Guide,
#: kms:ViaService. Absent (or false) on the caller's own call (scanner.access.context.
#: build_request)
ROUTE_KEYS = frozenset({"kms:viaservice", "aws:calledvia", "aws:calledviafirst",
                        "aws:calledvialast", "aws:viaawsservice"})


def any_route(request: Request) -> Request:
    """``request`` as its caller may make it directly or through an AWS service (FAS keeps the
    caller's identity: "Forward access sessions"): the route keys unknown. What an exposure
    question asks -- a grant is withheld from a caller only if it is whatever the route (IAM
    conformance trial round 17: "Allow * if Bool aws:ViaAWSService true" was "never in effect
    for a caller outside")."""
    context = {k: v for k, v in request.context.items() if k not in ROUTE_KEYS}
    return replace(request, context=context, absent=request.absent - ROUTE_KEYS)


#: the keys of the principal's organization: IAM User Guide, "AWS global condition context
#: keys", aws:PrincipalOrgID ("the identifier of an organization in AWS Organizations to which
#: the requesting principal belongs") and aws:PrincipalOrgPaths
PRINCIPAL_ORG_KEYS = frozenset({"aws:principalorgid", "aws:principalorgpaths"})


def any_organization(request: Request) -> Request:
    """``request`` as a principal of its account may make it whether that account is in our
    organization or not: its organization keys unknown (``PRINCIPAL_ORG_KEYS``). What an
    exposure question asks of "any principal of another account than the resource's" (the
    ``*`` request of an account no policy names, which the access analysis places outside the
    organization): a grant is withheld from every other account only by a Deny that applies
    whatever the organization (IAM conformance trial round 30)."""
    return replace(
        request, context={k: v for k, v in request.context.items()
                          if k not in PRINCIPAL_ORG_KEYS},
        absent=request.absent - PRINCIPAL_ORG_KEYS,
        excluded={k: v for k, v in request.excluded.items() if k not in PRINCIPAL_ORG_KEYS})


def reads_route(keys: AbstractSet[str]) -> bool:
    """Condition keys (lower case) of which one is a route key (``ROUTE_KEYS``)."""
    return not ROUTE_KEYS.isdisjoint(keys)
