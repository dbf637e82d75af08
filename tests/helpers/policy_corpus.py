"""The policy-evaluation corpus: one row per rule, each citing the AWS documentation it pins.

Sources (AWS IAM User Guide unless noted):
  EVAL   reference_policies_evaluation-logic.html (explicit deny > allow > implicit deny)
  ACT    reference_policies_elements_action.html / _notaction.html
  RES    reference_policies_elements_resource.html / _notresource.html
  PRIN   reference_policies_elements_principal.html
  NOTP   reference_policies_elements_notprincipal.html
  COND   reference_policies_elements_condition_operators.html
  MULTI  reference_policies_condition-single-vs-multi-valued-context-keys.html
  LOGIC  reference_policies_condition-logic-multiple-context-keys-or-values.html
  VARS   reference_policies_variables.html
  KEYS   reference_policies_condition-keys.html (aws:PrincipalOrgID, aws:PrincipalAccount, ...)
  KMS    KMS Developer Guide, conditions-kms.html (kms:ViaService, kms:CallerAccount)
  GRAMMAR reference_policies_grammar.html (Statement object or array; elements)
  SG     secretgraph rule: malformed or unknown input is never a confident answer
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from scanner.policy.principals import NOT_PRINCIPAL_NO_ACCOUNT

CENTRAL = "111111111111"
MEMBER = "222222222222"
SECRET = f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db-AbCdEf"
KEY = f"arn:aws:kms:us-east-1:{CENTRAL}:key/1234abcd-0000"
ROLE = f"arn:aws:iam::{MEMBER}:role/ApplicationRole"
USER = f"arn:aws:iam::{MEMBER}:user/alice"
GSV = "secretsmanager:GetSecretValue"

EVAL = "EVAL: explicit Deny overrides any Allow; no applicable Allow = implicit deny"
ACT = "ACT: Action/NotAction match case-insensitively with * and ? wildcards"
RES = "RES: Resource/NotResource ARNs match with * and ? wildcards, case-sensitively"
PRIN = "PRIN: Principal names an account (id or root ARN), a role/user ARN, a session, or *"
NOTP = "NOTP: Deny+NotPrincipal exempts a principal only if its ARN and its account are listed"
#: IAM User Guide, NotPrincipal: "you must also specify the account ARN of the not-denied
#: principal. Otherwise, the policy might deny access to the entire account containing the
#: principal. Depending on the service ..., AWS might validate the account first" (IAM
#: conformance trial round 19: "might" -- listed without its account, not decided)
NOTP_NO_ACCOUNT = "NOTP: a principal listed without its account 'might' be denied: not decided"
#: IAM User Guide, NotPrincipal, the assumed-role example (session, role and account listed)
#: and "When you specify an assumed-role session in a NotPrincipal element, you cannot use a
#: wildcard (*) to mean "all sessions". Principals must always name a specific session."
NOTP_SESSION = "NOTP: a role's session escapes only when that session is listed"
COND = "COND: a key absent from the context makes a positive operator false, a negated one true"
IFEX = "COND: ...IfExists is true when the key is absent"
NULL = "COND: Null true = key absent, false = key present"
MULTI = "MULTI: ForAnyValue true if any value matches (false if absent); ForAllValues true if " \
    "every value matches (true if absent)"
LOGIC = "LOGIC: values of one key are ORed; keys and operators are ANDed"
VARS = "VARS: ${...} policy variables are substituted only under Version 2012-10-17"
KEYS = "KEYS: aws:PrincipalOrgID / aws:PrincipalAccount / aws:PrincipalArn come from the principal"
KMS = "KMS: kms:ViaService is secretsmanager.<region>.amazonaws.com when SM decrypts for a caller"
GRAMMAR = "GRAMMAR: Statement is an object or an array; Effect is Allow or Deny"
FOREIGN = "FOREIGN: a request carries the global keys and its own service's; another " \
    "service's key is absent (IAM UG, 'Condition keys'; Service Authorization Reference), " \
    "except the credential context (lambda:SourceFunctionArn, ec2:SourceInstanceARN, ...)"
SG = "SG: malformed or unknown input is never a confident answer (CONDITIONAL with the reason)"


@dataclass(frozen=True, kw_only=True)
class Case:
    id: str
    cite: str
    policy: Any  # document (dict / list / anything) or raw text (str)
    expect: str  # ALLOWED | DENIED | CONDITIONAL
    kind: str = "identity"
    principal: str = ROLE
    account: str = MEMBER
    principal_type: str = "role"
    action: str = GSV
    resource: str = SECRET
    context: dict[str, Any] = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    excluded: dict[str, tuple[str, ...]] = field(default_factory=dict)
    boundary: bool = False
    unresolved: tuple[str, ...] = ()  # must be named when CONDITIONAL
    explicit: bool | None = None  # DENIED by an explicit Deny?
    session: str | None = None  # expected allow_session (a grant a boundary does not cap)
    time_floor: float | None = None  # the scan's start: requests are not earlier


def st(effect: str = "Allow", action: Any = GSV, resource: Any = "*", **extra: Any) -> dict:
    s: dict[str, Any] = {"Effect": effect, "Resource": resource}
    if action is not None:
        s["Action"] = action
    if resource is None:
        s.pop("Resource")
    for k, v in extra.items():
        s[{"principal": "Principal", "not_principal": "NotPrincipal", "condition": "Condition",
           "not_action": "NotAction", "not_resource": "NotResource", "sid": "Sid"}.get(k, k)] = v
    return s


def pol(*statements: dict, version: str | None = "2012-10-17") -> dict:
    d: dict[str, Any] = {"Statement": list(statements)}
    if version:
        d["Version"] = version
    return d


def cond(op: str, key: str, value: Any, **more: Any) -> dict:
    return {"Condition": {op: {key: value}}}


def allow_if(op: str, key: str, value: Any) -> dict:
    return pol(st(condition={op: {key: value}}))


def rp(principal: Any, **extra: Any) -> dict:
    return pol(st(principal=principal, **extra))


CASES: list[Case] = []


def case(**kw: Any) -> None:
    CASES.append(Case(**kw))


# ---------------------------------------------------------------- evaluation logic (EVAL)
case(id="eval-allow", cite=EVAL, policy=pol(st()), expect="ALLOWED")
case(id="eval-empty-statements-implicit-deny", cite=EVAL, policy=pol(), expect="DENIED",
     explicit=False)
case(id="eval-other-action-implicit-deny", cite=EVAL, policy=pol(st(action="s3:GetObject")),
     expect="DENIED", explicit=False)
case(id="eval-deny-overrides-allow", cite=EVAL, policy=pol(st(), st("Deny")), expect="DENIED",
     explicit=True)
case(id="eval-deny-first-still-wins", cite=EVAL, policy=pol(st("Deny"), st()), expect="DENIED",
     explicit=True)
case(id="eval-deny-only", cite=EVAL, policy=pol(st("Deny")), expect="DENIED", explicit=True)
case(id="eval-deny-other-action-allow-stands", cite=EVAL,
     policy=pol(st(), st("Deny", action="secretsmanager:DeleteSecret")), expect="ALLOWED")
case(id="eval-deny-other-resource-allow-stands", cite=EVAL,
     policy=pol(st(), st("Deny", resource=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:other-*")),
     expect="ALLOWED")
case(id="eval-conditional-deny-makes-allow-conditional", cite=EVAL,
     policy=pol(st(), st("Deny", condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
     expect="CONDITIONAL", unresolved=("aws:sourceip",))
case(id="eval-conditional-deny-without-allow-is-denied", cite=EVAL,
     policy=pol(st("Deny", condition={"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
     expect="DENIED", explicit=False)
case(id="eval-conditional-allow-and-definite-deny", cite=EVAL,
     policy=pol(st(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), st("Deny")),
     expect="DENIED", explicit=True)
case(id="eval-two-allows-one-conditional", cite=EVAL,
     policy=pol(st(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}), st()),
     expect="ALLOWED")
case(id="eval-two-conditional-allows", cite=EVAL,
     policy=pol(st(condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}),
                st(condition={"StringEquals": {"aws:SourceVpce": "vpce-1"}})),
     expect="CONDITIONAL", unresolved=("aws:sourceip", "aws:sourcevpce"))
case(id="eval-resolved-false-condition-allow", cite=EVAL,
     policy=allow_if("StringEquals", "aws:PrincipalAccount", CENTRAL),
     context={"aws:principalaccount": [MEMBER]}, expect="DENIED")

# ---------------------------------------------------------------- grammar shapes
case(id="grammar-statement-object", cite=GRAMMAR,
     policy={"Version": "2012-10-17", "Statement": st()}, expect="ALLOWED")
case(id="grammar-action-list", cite=GRAMMAR,
     policy=pol(st(action=["s3:GetObject", GSV])), expect="ALLOWED")
case(id="grammar-resource-list", cite=GRAMMAR,
     policy=pol(st(resource=["arn:aws:s3:::b", SECRET])), expect="ALLOWED")
case(id="grammar-effect-lowercase-invalid", cite=GRAMMAR + "; " + SG,
     policy=pol(st("allow")), expect="CONDITIONAL")
case(id="grammar-no-version-still-evaluates", cite=GRAMMAR, policy=pol(st(), version=None),
     expect="ALLOWED")
case(id="grammar-sid-ignored", cite=GRAMMAR, policy=pol(st(sid="ReadIt")), expect="ALLOWED")
case(id="grammar-json-text", cite=GRAMMAR,
     policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}',
     expect="ALLOWED")

# ---------------------------------------------------------------- malformed input (SG)
case(id="malformed-json", cite=SG, policy='{"Version": "2012-10-17", "Statement": [', expect="CONDITIONAL",
     unresolved=("policy could not be parsed",))
case(id="malformed-not-object", cite=SG, policy="[1, 2]", expect="CONDITIONAL")
case(id="malformed-statement-not-list", cite=SG, policy={"Statement": 5}, expect="CONDITIONAL")
case(id="malformed-missing-statement", cite=SG, policy={"Version": "2012-10-17"},
     expect="CONDITIONAL")
case(id="malformed-unknown-policy-element", cite=SG,
     policy={"Version": "2012-10-17", "Statement": [st()], "Extra": 1}, expect="CONDITIONAL")
case(id="malformed-unknown-version", cite=SG, policy=pol(st(), version="2099-01-01"),
     expect="CONDITIONAL")
case(id="malformed-unknown-statement-element", cite=SG, policy=pol(st(Bogus=1)),
     expect="CONDITIONAL", unresolved=("statement 0: unknown element(s) Bogus",))
case(id="malformed-bad-deny-never-confident", cite=SG, policy=pol(st(), st("Deny", Bogus=1)),
     expect="CONDITIONAL")
case(id="malformed-statement-is-string", cite=SG, policy={"Statement": ["nope"]},
     expect="CONDITIONAL")
case(id="malformed-action-and-notaction", cite=SG,
     policy=pol(st(not_action="s3:*")), expect="CONDITIONAL")
case(id="malformed-missing-action", cite=SG, policy=pol(st(action=None)), expect="CONDITIONAL")
case(id="malformed-action-number", cite=SG, policy=pol(st(action=5)), expect="CONDITIONAL")
case(id="malformed-condition-not-object", cite=SG, policy=pol(st(condition="x")),
     expect="CONDITIONAL")
case(id="malformed-condition-value-object", cite=SG,
     policy=allow_if("StringEquals", "aws:PrincipalAccount", {"a": 1}), expect="CONDITIONAL")
case(id="unknown-operator", cite=SG, policy=allow_if("StringSortOf", "aws:PrincipalAccount", MEMBER),
     expect="CONDITIONAL", unresolved=("unsupported operator StringSortOf",))
case(id="unknown-operator-in-deny", cite=SG,
     policy=pol(st(), st("Deny", condition={"Fuzzy": {"aws:PrincipalAccount": MEMBER}})),
     expect="CONDITIONAL")
case(id="malformed-numeric-value", cite=SG,
     policy=allow_if("NumericLessThan", "aws:MultiFactorAuthAge", "soon"),
     context={"aws:multifactorauthage": ["10"]}, expect="CONDITIONAL")
case(id="malformed-date-value", cite=SG,
     policy=allow_if("DateLessThan", "aws:CurrentTime", "tomorrow"),
     context={"aws:currenttime": ["2026-01-01T00:00:00Z"]}, expect="CONDITIONAL")
case(id="malformed-ip-value", cite=SG, policy=allow_if("IpAddress", "aws:SourceIp", "10.0.0.0/99"),
     context={"aws:sourceip": ["10.1.2.3"]}, expect="CONDITIONAL")
case(id="malformed-null-value", cite=SG, policy=allow_if("Null", "aws:SourceVpce", "maybe"),
     absent=("aws:sourcevpce",), expect="CONDITIONAL")
case(id="malformed-identity-with-principal", cite=SG, policy=rp("*"), expect="CONDITIONAL")

# ---------------------------------------------------------------- actions (ACT)
case(id="action-exact", cite=ACT, policy=pol(st(action=GSV)), expect="ALLOWED")
case(id="action-case-insensitive", cite=ACT,
     policy=pol(st(action="SecretsManager:getsecretvalue")), expect="ALLOWED")
case(id="action-service-wildcard", cite=ACT, policy=pol(st(action="secretsmanager:*")),
     expect="ALLOWED")
case(id="action-star", cite=ACT, policy=pol(st(action="*")), expect="ALLOWED")
case(id="action-prefix-wildcard", cite=ACT, policy=pol(st(action="secretsmanager:Get*")),
     expect="ALLOWED")
case(id="action-prefix-wildcard-miss", cite=ACT, policy=pol(st(action="secretsmanager:List*")),
     expect="DENIED")
case(id="action-question-mark", cite=ACT,
     policy=pol(st(action="secretsmanager:GetSecretValu?")), expect="ALLOWED")
case(id="action-question-mark-one-char-only", cite=ACT,
     policy=pol(st(action="secretsmanager:GetSecretVal?")), expect="DENIED")
case(id="action-other-service", cite=ACT, policy=pol(st(action="kms:*")), expect="DENIED")
case(id="action-service-prefix-not-substring", cite=ACT,
     policy=pol(st(action="secrets:GetSecretValue")), expect="DENIED")
case(id="action-middle-wildcard", cite=ACT, policy=pol(st(action="secretsmanager:*Value")),
     expect="ALLOWED")
case(id="action-kms-decrypt", cite=ACT, policy=pol(st(action="kms:Decrypt")),
     action="kms:Decrypt", resource=KEY, expect="ALLOWED")
case(id="notaction-excludes", cite=ACT,
     policy=pol(st(action=None, not_action="secretsmanager:GetSecretValue")), expect="DENIED")
case(id="notaction-includes-others", cite=ACT,
     policy=pol(st(action=None, not_action="iam:*")), expect="ALLOWED")
case(id="notaction-wildcard-excludes", cite=ACT,
     policy=pol(st(action=None, not_action="secretsmanager:*")), expect="DENIED")
case(id="notaction-deny-everything-but-iam", cite=ACT + "; " + EVAL,
     policy=pol(st(), st("Deny", action=None, not_action="iam:*")), expect="DENIED",
     explicit=True)
case(id="notaction-deny-exempts-listed", cite=ACT + "; " + EVAL,
     policy=pol(st(), st("Deny", action=None, not_action="secretsmanager:Get*")),
     expect="ALLOWED")

# ---------------------------------------------------------------- resources (RES)
case(id="resource-exact", cite=RES, policy=pol(st(resource=SECRET)), expect="ALLOWED")
case(id="resource-star", cite=RES, policy=pol(st(resource="*")), expect="ALLOWED")
case(id="resource-name-prefix", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/*")),
     expect="ALLOWED")
case(id="resource-random-suffix-questionmarks", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db-??????")),
     expect="ALLOWED")
case(id="resource-suffix-too-short", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db-?????")),
     expect="DENIED")
case(id="resource-region-wildcard", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:*")), expect="ALLOWED")
case(id="resource-other-account", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:*:{MEMBER}:secret:*")), expect="DENIED")
case(id="resource-other-region", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:eu-west-1:{CENTRAL}:secret:*")),
     expect="DENIED")
case(id="resource-case-sensitive", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:APP/*")),
     expect="DENIED")
case(id="resource-wildcard-account-segment", cite=RES,
     policy=pol(st(resource="arn:aws:secretsmanager:us-east-1:*:secret:app/*")),
     expect="ALLOWED")
case(id="resource-other-service", cite=RES, policy=pol(st(resource="arn:aws:s3:::*")),
     expect="DENIED")
case(id="resource-exact-name-without-suffix-misses", cite=RES,
     policy=pol(st(resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/db")),
     expect="DENIED")
case(id="notresource-excludes", cite=RES,
     policy=pol(st(resource=None, not_resource=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:*")),
     expect="DENIED")
case(id="notresource-includes", cite=RES,
     policy=pol(st(resource=None, not_resource="arn:aws:s3:::*")), expect="ALLOWED")
case(id="notresource-deny-all-but-app", cite=RES + "; " + EVAL,
     policy=pol(st(), st("Deny", resource=None,
                         not_resource=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*")),
     expect="ALLOWED")
case(id="notresource-deny-catches-others", cite=RES + "; " + EVAL,
     policy=pol(st(), st("Deny", resource=None,
                         not_resource=f"arn:aws:secretsmanager:*:{CENTRAL}:secret:other/*")),
     expect="DENIED", explicit=True)
case(id="identity-statement-without-resource", cite=GRAMMAR + "; " + SG,
     policy=pol(st(resource=None)), expect="CONDITIONAL")
case(id="resource-policy-without-resource-is-this-resource", cite=GRAMMAR, kind="resource",
     policy=pol(st(resource=None, principal="*")), expect="ALLOWED")

# ---------------------------------------------------------------- principals (PRIN)
case(id="principal-star", cite=PRIN, kind="resource", policy=rp("*"), expect="ALLOWED")
case(id="principal-aws-star", cite=PRIN, kind="resource", policy=rp({"AWS": "*"}),
     expect="ALLOWED")
case(id="principal-role-arn", cite=PRIN, kind="resource", policy=rp({"AWS": ROLE}),
     expect="ALLOWED")
case(id="principal-role-arn-list", cite=PRIN, kind="resource",
     policy=rp({"AWS": [f"arn:aws:iam::{MEMBER}:role/Other", ROLE]}), expect="ALLOWED")
case(id="principal-other-role", cite=PRIN, kind="resource",
     policy=rp({"AWS": f"arn:aws:iam::{MEMBER}:role/Other"}), expect="DENIED")
case(id="principal-account-id", cite=PRIN, kind="resource", policy=rp({"AWS": MEMBER}),
     expect="ALLOWED")
case(id="principal-account-root", cite=PRIN, kind="resource",
     policy=rp({"AWS": f"arn:aws:iam::{MEMBER}:root"}), expect="ALLOWED")
case(id="principal-other-account", cite=PRIN, kind="resource",
     policy=rp({"AWS": "333333333333"}), expect="DENIED")
case(id="principal-gov-caller-against-a-commercial-root",
     cite=PRIN + "; IAM UG, IAM identifiers: partitions are separate", kind="resource",
     policy=rp({"AWS": f"arn:aws:iam::{MEMBER}:root"}),
     principal=f"arn:aws-us-gov:iam::{MEMBER}:role/ApplicationRole", expect="DENIED")
case(id="principal-account-root-of-another-partition",
     cite=PRIN + "; IAM UG, IAM identifiers: partitions are separate (arn:aws-us-gov is not "
     "arn:aws)", kind="resource",
     policy=rp({"AWS": f"arn:aws-us-gov:iam::{MEMBER}:root"}), expect="DENIED")
case(id="principal-user-arn", cite=PRIN, kind="resource", policy=rp({"AWS": USER}),
     principal=USER, principal_type="user", expect="ALLOWED")
case(id="principal-user-arn-not-role", cite=PRIN, kind="resource", policy=rp({"AWS": USER}),
     expect="DENIED")
case(id="principal-assumed-role-session", cite=PRIN, kind="resource",
     policy=rp({"AWS": f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/s1"}),
     expect="CONDITIONAL")
case(id="principal-assumed-role-other-role", cite=PRIN, kind="resource",
     policy=rp({"AWS": f"arn:aws:sts::{MEMBER}:assumed-role/Other/s1"}), expect="DENIED")
# conformance trial round 6: a federated user session and a session of a role whose account's
# IAM was not read, named directly, were denied by the very statement naming them (IAM UG,
# "AWS JSON policy elements: Principal": "You can specify federated user sessions" / "role
# sessions" in the Principal element). The request comes from that session itself.
FED_BOB = f"arn:aws:sts::{MEMBER}:federated-user/bob"
SESSION_ETL = f"arn:aws:sts::{MEMBER}:assumed-role/PartnerRole/etl"
case(id="principal-federated-user-session-is-the-caller", cite=PRIN, kind="resource",
     policy=rp({"AWS": FED_BOB}), principal=FED_BOB, principal_type="user", expect="ALLOWED")
case(id="principal-federated-user-session-of-another-name", cite=PRIN, kind="resource",
     policy=rp({"AWS": FED_BOB}), principal=f"arn:aws:sts::{MEMBER}:federated-user/eve",
     principal_type="user", expect="DENIED")
case(id="principal-federated-user-session-deny-names-the-caller", cite=PRIN + "; " + EVAL,
     kind="resource", policy=pol(st(principal="*"), st("Deny", principal={"AWS": FED_BOB})),
     principal=FED_BOB, principal_type="user", expect="DENIED", explicit=True)
case(id="principal-assumed-role-session-is-the-caller", cite=PRIN, kind="resource",
     policy=rp({"AWS": SESSION_ETL}), principal=SESSION_ETL, expect="ALLOWED")
case(id="principal-assumed-role-session-another-session-of-the-role", cite=PRIN,
     kind="resource", policy=rp({"AWS": SESSION_ETL}),
     principal=f"arn:aws:sts::{MEMBER}:assumed-role/PartnerRole/batch", expect="DENIED")
case(id="principal-service-not-iam-role", cite=PRIN, kind="resource",
     policy=rp({"Service": "lambda.amazonaws.com"}), expect="DENIED")
case(id="principal-federated-not-iam-role", cite=PRIN, kind="resource",
     policy=rp({"Federated": "cognito-identity.amazonaws.com"}), expect="DENIED")
case(id="principal-partial-wildcard-invalid", cite=PRIN + "; " + SG, kind="resource",
     policy=rp({"AWS": f"arn:aws:iam::{MEMBER}:role/*"}), expect="CONDITIONAL")
case(id="principal-unique-id-deleted", cite=PRIN, kind="resource",
     policy=rp({"AWS": "AROAEXAMPLEID1234567"}), expect="DENIED")
case(id="principal-unknown-type", cite=PRIN + "; " + SG, kind="resource",
     policy=rp({"Robot": "x"}), expect="CONDITIONAL")
case(id="principal-missing-in-resource-policy", cite=PRIN + "; " + SG, kind="resource",
     policy=pol(st()), expect="CONDITIONAL")
case(id="principal-path-role-exact", cite=PRIN, kind="resource",
     policy=rp({"AWS": f"arn:aws:iam::{MEMBER}:role/team/App"}),
     principal=f"arn:aws:iam::{MEMBER}:role/team/App", expect="ALLOWED")
case(id="principal-deny-account-denies-role", cite=PRIN + "; " + EVAL, kind="resource",
     policy=pol(st(principal="*"), st("Deny", principal={"AWS": MEMBER})), expect="DENIED",
     explicit=True)
case(id="principal-anonymous-only-star", cite=PRIN, kind="resource",
     policy=rp({"AWS": MEMBER}), principal="*", principal_type="anonymous", account="",
     expect="DENIED")
case(id="principal-anonymous-star", cite=PRIN, kind="resource", policy=rp("*"),
     principal="*", principal_type="anonymous", account="", expect="ALLOWED")

# ---------------------------------------------------------------- NotPrincipal (NOTP)
NP_ALL = {"AWS": [ROLE, f"arn:aws:iam::{MEMBER}:root"]}
# a role acts only through its sessions, and NotPrincipal exempts a session only when it names
# it: "Principals must always name a specific session" -- listed with or without its account,
# a role none of whose sessions is listed is denied (IAM conformance trial round 36: both were
# CONDITIONAL, "depends on the session name", where no session name escapes)
case(id="notprincipal-deny-role-only-listed-sessions-denied", cite=NOTP_SESSION,
     kind="resource", policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": ROLE})),
     expect="DENIED", explicit=True)
case(id="notprincipal-deny-other-role-only-listed-denied", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={
         "AWS": f"arn:aws:iam::{MEMBER}:role/Other"})), expect="DENIED", explicit=True)
case(id="notprincipal-deny-session-only-listed-not-decided", cite=NOTP_NO_ACCOUNT,
     kind="resource", policy=pol(st(principal="*"), st("Deny", not_principal={
         "AWS": f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/app"})),
     expect="CONDITIONAL", unresolved=(NOT_PRINCIPAL_NO_ACCOUNT,))
case(id="notprincipal-deny-role-and-account-sessions-denied", cite=NOTP_SESSION,
     kind="resource", policy=pol(st(principal="*"), st("Deny", not_principal=NP_ALL)),
     expect="DENIED", explicit=True)
case(id="notprincipal-deny-account-only-exempts-nobody-specific", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": f"arn:aws:iam::{MEMBER}:root"})),
     expect="DENIED", explicit=True)
case(id="notprincipal-deny-root-exempt-when-account-listed", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": f"arn:aws:iam::{MEMBER}:root"})),
     principal=f"arn:aws:iam::{MEMBER}:root", principal_type="root", expect="ALLOWED")
case(id="notprincipal-deny-with-session-listed-unknown", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": NP_ALL["AWS"] + [
         f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/app"]})),
     expect="CONDITIONAL")
case(id="notprincipal-deny-user-and-account-exempt", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": [
         USER, f"arn:aws:iam::{MEMBER}:root"]})),
     principal=USER, principal_type="user", expect="ALLOWED")
case(id="notprincipal-deny-user-without-account", cite=NOTP_NO_ACCOUNT, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": USER})),
     principal=USER, principal_type="user", expect="CONDITIONAL",
     unresolved=(NOT_PRINCIPAL_NO_ACCOUNT,))
case(id="notprincipal-deny-user-without-account-other-user-denied", cite=NOTP,
     kind="resource", policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": USER})),
     principal=f"arn:aws:iam::{MEMBER}:user/mallory", principal_type="user", expect="DENIED",
     explicit=True)
case(id="notprincipal-deny-boundary-always-denied", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": [
         USER, f"arn:aws:iam::{MEMBER}:root"]})),
     principal=USER, principal_type="user", boundary=True, expect="DENIED", explicit=True)
case(id="notprincipal-deny-other-principal-denied", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal={"AWS": [
         f"arn:aws:iam::{CENTRAL}:role/Admin", f"arn:aws:iam::{CENTRAL}:root"]})),
     expect="DENIED", explicit=True)
case(id="notprincipal-deny-star-exempts-all", cite=NOTP, kind="resource",
     policy=pol(st(principal="*"), st("Deny", not_principal="*")), expect="ALLOWED")
# "NotPrincipal must be used with "Effect":"Deny". Using it with "Effect":"Allow" is not
# supported": what it grants anyone not listed is not documented (IAM conformance trial
# round 21; it was ALLOWED, the pre-2024 "everyone but the listed")
case(id="notprincipal-allow-everyone-but-listed", cite=NOTP, kind="resource",
     policy=pol(st(not_principal={"AWS": f"arn:aws:iam::{CENTRAL}:role/Admin"})),
     expect="CONDITIONAL")
case(id="notprincipal-allow-excludes-listed", cite=NOTP, kind="resource",
     policy=pol(st(not_principal={"AWS": ROLE})), expect="DENIED")

# ---------------------------------------------------------------- string conditions (COND)
case(id="stringequals-match", cite=COND, policy=allow_if("StringEquals", "aws:PrincipalAccount", MEMBER),
     context={"aws:principalaccount": [MEMBER]}, expect="ALLOWED")
case(id="stringequals-no-match", cite=COND,
     policy=allow_if("StringEquals", "aws:PrincipalAccount", CENTRAL),
     context={"aws:principalaccount": [MEMBER]}, expect="DENIED")
case(id="stringequals-case-sensitive", cite=COND,
     policy=allow_if("StringEquals", "aws:PrincipalTag/team", "Payments"),
     context={"aws:principaltag/team": ["payments"]}, expect="DENIED")
case(id="stringequalsignorecase", cite=COND,
     policy=allow_if("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "Payments"),
     context={"aws:principaltag/team": ["payments"]}, expect="ALLOWED")
case(id="stringnotequalsignorecase", cite=COND,
     policy=allow_if("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "Payments"),
     context={"aws:principaltag/team": ["payments"]}, expect="DENIED")
case(id="condition-key-case-insensitive", cite=COND,
     policy=allow_if("StringEquals", "AWS:PRINCIPALACCOUNT", MEMBER),
     context={"aws:principalaccount": [MEMBER]}, expect="ALLOWED")
case(id="operator-case-insensitive", cite=COND,
     policy=allow_if("stringequals", "aws:PrincipalAccount", MEMBER),
     context={"aws:principalaccount": [MEMBER]}, expect="ALLOWED")
case(id="stringnotequals-match-false", cite=COND,
     policy=allow_if("StringNotEquals", "aws:PrincipalAccount", MEMBER),
     context={"aws:principalaccount": [MEMBER]}, expect="DENIED")
case(id="stringnotequals-other-true", cite=COND,
     policy=allow_if("StringNotEquals", "aws:PrincipalAccount", CENTRAL),
     context={"aws:principalaccount": [MEMBER]}, expect="ALLOWED")
case(id="stringlike-wildcard", cite=COND,
     policy=allow_if("StringLike", "aws:PrincipalArn", f"arn:aws:iam::{MEMBER}:role/App*"),
     context={"aws:principalarn": [ROLE]}, expect="ALLOWED")
case(id="stringlike-miss", cite=COND,
     policy=allow_if("StringLike", "aws:PrincipalArn", f"arn:aws:iam::{MEMBER}:role/Ops*"),
     context={"aws:principalarn": [ROLE]}, expect="DENIED")
case(id="stringnotlike", cite=COND,
     policy=allow_if("StringNotLike", "aws:PrincipalArn", f"arn:aws:iam::{MEMBER}:role/Ops*"),
     context={"aws:principalarn": [ROLE]}, expect="ALLOWED")
case(id="absent-key-positive-false", cite=COND,
     policy=allow_if("StringEquals", "aws:SourceAccount", CENTRAL), absent=("aws:sourceaccount",),
     expect="DENIED")
case(id="absent-key-negated-true", cite=COND,
     policy=allow_if("StringNotEquals", "aws:SourceAccount", CENTRAL),
     absent=("aws:sourceaccount",), expect="ALLOWED")
case(id="absent-key-stringnotlike-true", cite=COND,
     policy=allow_if("StringNotLike", "aws:SourceArn", "arn:aws:*"), absent=("aws:sourcearn",),
     expect="ALLOWED")
case(id="absent-key-arnnotequals-true", cite=COND,
     policy=allow_if("ArnNotEquals", "aws:SourceArn", "arn:aws:s3:::b"),
     absent=("aws:sourcearn",), expect="ALLOWED")
case(id="absent-key-notipaddress-true", cite=COND,
     policy=allow_if("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"), absent=("aws:sourceip",),
     expect="ALLOWED")
case(id="unknown-key-named", cite=COND,
     policy=allow_if("StringEquals", "aws:SourceVpce", "vpce-123"), expect="CONDITIONAL",
     unresolved=("aws:sourcevpce",))
case(id="unknown-key-negated-named", cite=COND,
     policy=allow_if("StringNotEquals", "aws:SourceVpce", "vpce-123"), expect="CONDITIONAL",
     unresolved=("aws:sourcevpce",))
case(id="unknown-key-deny-named", cite=COND + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"StringNotEquals": {"aws:SourceVpce": "vpce-1"}})),
     expect="CONDITIONAL", unresolved=("aws:sourcevpce",))

# ---------------------------------------------------------------- IfExists
case(id="ifexists-absent-true", cite=IFEX,
     policy=allow_if("StringEqualsIfExists", "aws:SourceVpce", "vpce-1"),
     absent=("aws:sourcevpce",), expect="ALLOWED")
case(id="ifexists-present-match", cite=IFEX,
     policy=allow_if("StringEqualsIfExists", "aws:SourceVpce", "vpce-1"),
     context={"aws:sourcevpce": ["vpce-1"]}, expect="ALLOWED")
case(id="ifexists-present-mismatch", cite=IFEX,
     policy=allow_if("StringEqualsIfExists", "aws:SourceVpce", "vpce-1"),
     context={"aws:sourcevpce": ["vpce-2"]}, expect="DENIED")
case(id="ifexists-unknown-named", cite=IFEX,
     policy=allow_if("StringEqualsIfExists", "aws:SourceVpce", "vpce-1"), expect="CONDITIONAL",
     unresolved=("aws:sourcevpce",))
case(id="ifexists-deny-absent-applies", cite=IFEX + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"StringNotEqualsIfExists": {
         "aws:SourceVpce": "vpce-1"}})), absent=("aws:sourcevpce",), expect="DENIED",
     explicit=True)
case(id="ifexists-numeric-absent", cite=IFEX,
     policy=allow_if("NumericLessThanIfExists", "aws:MultiFactorAuthAge", "3600"),
     absent=("aws:multifactorauthage",), expect="ALLOWED")
case(id="ifexists-arnlike-present-match", cite=IFEX,
     policy=allow_if("ArnLikeIfExists", "aws:PrincipalArn", f"arn:aws:iam::{MEMBER}:role/*"),
     context={"aws:principalarn": [ROLE]}, expect="ALLOWED")
case(id="ifexists-bool-absent", cite=IFEX,
     policy=allow_if("BoolIfExists", "aws:MultiFactorAuthPresent", "true"),
     absent=("aws:multifactorauthpresent",), expect="ALLOWED")

# ---------------------------------------------------------------- Null
case(id="null-true-absent", cite=NULL, policy=allow_if("Null", "aws:SourceVpce", "true"),
     absent=("aws:sourcevpce",), expect="ALLOWED")
case(id="null-true-present", cite=NULL, policy=allow_if("Null", "aws:SourceVpce", "true"),
     context={"aws:sourcevpce": ["vpce-1"]}, expect="DENIED")
case(id="null-false-present", cite=NULL, policy=allow_if("Null", "aws:SourceVpce", "false"),
     context={"aws:sourcevpce": ["vpce-1"]}, expect="ALLOWED")
case(id="null-false-absent", cite=NULL, policy=allow_if("Null", "aws:SourceVpce", "false"),
     absent=("aws:sourcevpce",), expect="DENIED")
case(id="null-unknown-named", cite=NULL, policy=allow_if("Null", "aws:SourceVpce", "true"),
     expect="CONDITIONAL", unresolved=("aws:sourcevpce",))
case(id="null-bool-literal", cite=NULL, policy=allow_if("Null", "aws:SourceVpce", True),
     absent=("aws:sourcevpce",), expect="ALLOWED")
#: IAM User Guide, "Conditions with multiple context keys or values": "If a single
#: condition operator includes multiple values for a context key, those values are evaluated
#: using a logical OR" -- Null "true" OR "false" holds whether or not the key is in the request,
#: so the key's value need not be known (IAM conformance trial round 28: CONDITIONAL on the
#: key, while the solver read it as always true)
NULL_BOTH = NULL + "; " + LOGIC + ": Null [\"true\", \"false\"] holds whatever the request"
case(id="null-true-or-false-unknown-key", cite=NULL_BOTH,
     policy=allow_if("Null", "aws:SourceVpce", ["true", "false"]), expect="ALLOWED")
case(id="null-false-or-true-deny-unknown-key", cite=NULL_BOTH + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"Null": {"aws:SourceVpce": ["false", "TRUE"]}})),
     expect="DENIED", explicit=True)
#: IAM User Guide, "Condition operators": StringLike takes "multi-character match wildcards (*)
#: ... anywhere in the string" -- ``*`` alone matches every value -- and "...IfExists" is true
#: when the key is absent; "Multivalued context keys": ForAllValues "also returns true if
#: there are no context keys in the request", ForAnyValue "returns false" then. Where the key
#: absent and the key present with any value give one answer, the value need not be known
#: (IAM conformance trial round 28: CONDITIONAL on the key)
STAR_EITHER_WAY = IFEX + "; " + MULTI + "; StringLike '*' matches every value: absent " \
    "and present agree"
case(id="stringlikeifexists-star-unknown-key", cite=STAR_EITHER_WAY,
     policy=allow_if("StringLikeIfExists", "aws:SourceVpce", "*"), expect="ALLOWED")
case(id="forallvalues-stringlike-star-unknown-key", cite=STAR_EITHER_WAY,
     policy=allow_if("ForAllValues:StringLike", "aws:SourceVpce", "*"), expect="ALLOWED")
case(id="foranyvalue-stringnotlike-star-unknown-key-deny", cite=STAR_EITHER_WAY + "; " + EVAL,
     policy=pol(st(), st("Deny", resource="*", action="*",
                         condition={"ForAnyValue:StringNotLike": {"aws:SourceVpce": "*"}})),
     expect="ALLOWED")
case(id="stringlike-star-unknown-key-still-depends", cite=STAR_EITHER_WAY,
     policy=allow_if("StringLike", "aws:SourceVpce", "*"), expect="CONDITIONAL",
     unresolved=("aws:sourcevpce",))
case(id="stringnotlikeifexists-star-unknown-key-still-depends", cite=STAR_EITHER_WAY,
     policy=allow_if("StringNotLikeIfExists", "aws:SourceVpce", "*"), expect="CONDITIONAL",
     unresolved=("aws:sourcevpce",))
case(id="foranyvalue-stringlike-star-unknown-key-still-depends", cite=STAR_EITHER_WAY,
     policy=allow_if("ForAnyValue:StringLike", "aws:PrincipalServiceNamesList", "*"),
     expect="CONDITIONAL", unresolved=("aws:principalservicenameslist",))
#: IAM User Guide, "String condition operators": StringEquals is "Exact matching" -- a ``*`` in
#: its value is the character -- and no aws:userid holds one (a unique id, an account id, a
#: session name "[\w+=,.@-]*": STS API Reference, AssumeRole RoleSessionName): the value
#: matches no request, whether the caller's id is known or not (IAM conformance trial round 28)
NEVER_A_USERID = COND + "; StringEquals compares exactly: no aws:userid holds '*' or '?'"
case(id="stringequals-userid-star-matches-no-caller", cite=NEVER_A_USERID,
     policy=allow_if("StringEquals", "aws:userid", ["*", "AROA*:*"]), expect="DENIED")
case(id="stringnotequals-userid-star-deny-applies", cite=NEVER_A_USERID + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"StringNotEquals": {"aws:userid": "AIDA?"}})),
     principal=USER, principal_type="user", expect="DENIED", explicit=True)
case(id="null-deny-missing-tag", cite=NULL + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"Null": {"aws:ResourceTag/owner": "true"}})),
     absent=("aws:resourcetag/owner",), expect="DENIED", explicit=True)

# ---------------------------------------------------------------- ForAnyValue / ForAllValues
TAGKEYS = "aws:TagKeys"
#: aws:TagKeys is in a request "if the operation supports passing tags in the request" (IAM
#: User Guide, global condition keys): these cases ask of TagResource, which takes tags --
#: on GetSecretValue the key is absent (IAM conformance trial round 11)
TAG = "secretsmanager:TagResource"


def tag_if(op: str, key: str, value: Any) -> dict:
    return pol(st(action=TAG, condition={op: {key: value}}))


case(id="foranyvalue-one-matches", cite=MULTI,
     policy=tag_if("ForAnyValue:StringEquals", TAGKEYS, ["env", "team"]),
     context={"aws:tagkeys": ["team", "cost"]}, action=TAG, expect="ALLOWED")
case(id="foranyvalue-none-match", cite=MULTI,
     policy=tag_if("ForAnyValue:StringEquals", TAGKEYS, ["env"]),
     context={"aws:tagkeys": ["team", "cost"]}, action=TAG, expect="DENIED")
case(id="foranyvalue-absent-false", cite=MULTI,
     policy=tag_if("ForAnyValue:StringEquals", TAGKEYS, ["env"]), absent=("aws:tagkeys",),
     action=TAG, expect="DENIED")
case(id="forallvalues-all-match", cite=MULTI,
     policy=tag_if("ForAllValues:StringEquals", TAGKEYS, ["env", "team", "cost"]),
     context={"aws:tagkeys": ["team", "cost"]}, action=TAG, expect="ALLOWED")
case(id="forallvalues-one-outside", cite=MULTI,
     policy=tag_if("ForAllValues:StringEquals", TAGKEYS, ["env", "team"]),
     context={"aws:tagkeys": ["team", "cost"]}, action=TAG, expect="DENIED")
case(id="forallvalues-absent-true", cite=MULTI,
     policy=tag_if("ForAllValues:StringEquals", TAGKEYS, ["env"]), absent=("aws:tagkeys",),
     action=TAG, expect="ALLOWED")
case(id="forallvalues-unknown-named", cite=MULTI,
     policy=tag_if("ForAllValues:StringEquals", TAGKEYS, ["env"]), action=TAG,
     expect="CONDITIONAL", unresolved=("aws:tagkeys",))
case(id="foranyvalue-stringlike", cite=MULTI,
     policy=allow_if("ForAnyValue:StringLike", "aws:CalledVia", "secretsmanager.*"),
     context={"aws:calledvia": ["secretsmanager.amazonaws.com"]}, expect="ALLOWED")
case(id="forallvalues-stringnotequals", cite=MULTI,
     policy=tag_if("ForAllValues:StringNotEquals", TAGKEYS, ["secret"]),
     context={"aws:tagkeys": ["team", "cost"]}, action=TAG, expect="ALLOWED")
case(id="forallvalues-stringnotequals-hit", cite=MULTI,
     policy=tag_if("ForAllValues:StringNotEquals", TAGKEYS, ["cost"]),
     context={"aws:tagkeys": ["team", "cost"]}, action=TAG, expect="DENIED")
case(id="foranyvalue-stringnotequals", cite=MULTI,
     policy=tag_if("ForAnyValue:StringNotEquals", TAGKEYS, ["cost"]),
     context={"aws:tagkeys": ["team", "cost"]}, action=TAG, expect="ALLOWED")
case(id="foranyvalue-case-insensitive-prefix", cite=MULTI,
     policy=tag_if("forAnyValue:StringEquals", TAGKEYS, ["team"]),
     context={"aws:tagkeys": ["team"]}, action=TAG, expect="ALLOWED")
case(id="foranyvalue-ifexists-absent", cite=MULTI + "; " + IFEX,
     policy=tag_if("ForAnyValue:StringEqualsIfExists", TAGKEYS, ["team"]),
     absent=("aws:tagkeys",), action=TAG, expect="ALLOWED")

# ---------------------------------------------------------------- logic (LOGIC)
case(id="logic-values-ored", cite=LOGIC,
     policy=allow_if("StringEquals", "aws:PrincipalAccount", [CENTRAL, MEMBER]),
     context={"aws:principalaccount": [MEMBER]}, expect="ALLOWED")
case(id="logic-keys-anded-one-false", cite=LOGIC,
     policy=pol(st(condition={"StringEquals": {"aws:PrincipalAccount": MEMBER,
                                               "aws:PrincipalOrgID": "o-other"}})),
     context={"aws:principalaccount": [MEMBER], "aws:principalorgid": ["o-abc"]},
     expect="DENIED")
case(id="logic-operators-anded", cite=LOGIC,
     policy=pol(st(condition={"StringEquals": {"aws:PrincipalAccount": MEMBER},
                              "Bool": {"aws:SecureTransport": "true"}})),
     context={"aws:principalaccount": [MEMBER], "aws:securetransport": ["true"]},
     expect="ALLOWED")
case(id="logic-false-beats-unknown", cite=LOGIC,
     policy=pol(st(condition={"StringEquals": {"aws:PrincipalAccount": CENTRAL},
                              "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
     context={"aws:principalaccount": [MEMBER]}, expect="DENIED")
case(id="logic-true-and-unknown-is-unknown", cite=LOGIC,
     policy=pol(st(condition={"StringEquals": {"aws:PrincipalAccount": MEMBER},
                              "IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})),
     context={"aws:principalaccount": [MEMBER]}, expect="CONDITIONAL",
     unresolved=("aws:sourceip",))

# ---------------------------------------------------------------- typed operators
case(id="numeric-less-than", cite=COND,
     policy=allow_if("NumericLessThan", "aws:MultiFactorAuthAge", "3600"),
     context={"aws:multifactorauthage": ["10"]}, expect="ALLOWED")
case(id="numeric-greater-than-false", cite=COND,
     policy=allow_if("NumericGreaterThan", "aws:MultiFactorAuthAge", "3600"),
     context={"aws:multifactorauthage": ["10"]}, expect="DENIED")
case(id="numeric-equals-int-value", cite=COND,
     policy=allow_if("NumericEquals", "aws:MultiFactorAuthAge", 10),
     context={"aws:multifactorauthage": ["10"]}, expect="ALLOWED")
case(id="numeric-not-equals", cite=COND,
     policy=allow_if("NumericNotEquals", "aws:MultiFactorAuthAge", 10),
     context={"aws:multifactorauthage": ["10"]}, expect="DENIED")
case(id="numeric-lte-boundary", cite=COND,
     policy=allow_if("NumericLessThanEquals", "aws:MultiFactorAuthAge", "10"),
     context={"aws:multifactorauthage": ["10"]}, expect="ALLOWED")
case(id="numeric-gte", cite=COND,
     policy=allow_if("NumericGreaterThanEquals", "aws:MultiFactorAuthAge", "11"),
     context={"aws:multifactorauthage": ["10"]}, expect="DENIED")
case(id="date-less-than", cite=COND,
     policy=allow_if("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
     context={"aws:currenttime": ["2026-11-29T00:00:00Z"]}, expect="ALLOWED")
case(id="date-greater-than-false", cite=COND,
     policy=allow_if("DateGreaterThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
     context={"aws:currenttime": ["2026-11-29T00:00:00Z"]}, expect="DENIED")
case(id="date-epoch", cite=COND,
     policy=allow_if("DateGreaterThanEquals", "aws:EpochTime", "1700000000"),
     context={"aws:epochtime": ["1800000000"]}, expect="ALLOWED")
case(id="date-unknown-current-time", cite=COND,
     policy=allow_if("DateLessThan", "aws:CurrentTime", "2030-01-01T00:00:00Z"),
     expect="CONDITIONAL", unresolved=("aws:currenttime",))
case(id="date-equals", cite=COND,
     policy=allow_if("DateEquals", "aws:CurrentTime", "2026-11-29T00:00:00Z"),
     context={"aws:currenttime": ["2026-11-29T00:00:00+00:00"]}, expect="ALLOWED")
case(id="date-not-equals", cite=COND,
     policy=allow_if("DateNotEquals", "aws:CurrentTime", "2026-11-29T00:00:00Z"),
     context={"aws:currenttime": ["2026-11-29T00:00:00Z"]}, expect="DENIED")
case(id="bool-true", cite=COND, policy=allow_if("Bool", "aws:SecureTransport", "true"),
     context={"aws:securetransport": ["true"]}, expect="ALLOWED")
case(id="bool-json-true", cite=COND, policy=allow_if("Bool", "aws:SecureTransport", True),
     context={"aws:securetransport": ["true"]}, expect="ALLOWED")
case(id="bool-false-mismatch", cite=COND, policy=allow_if("Bool", "aws:SecureTransport", "false"),
     context={"aws:securetransport": ["true"]}, expect="DENIED")
case(id="bool-deny-insecure-transport", cite=COND + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"Bool": {"aws:SecureTransport": "false"}})),
     context={"aws:securetransport": ["true"]}, expect="ALLOWED")
case(id="ip-in-range", cite=COND, policy=allow_if("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
     context={"aws:sourceip": ["10.1.2.3"]}, expect="ALLOWED")
case(id="ip-out-of-range", cite=COND, policy=allow_if("IpAddress", "aws:SourceIp", "10.0.0.0/8"),
     context={"aws:sourceip": ["192.168.1.1"]}, expect="DENIED")
case(id="notip-out-of-range", cite=COND,
     policy=allow_if("NotIpAddress", "aws:SourceIp", "10.0.0.0/8"),
     context={"aws:sourceip": ["192.168.1.1"]}, expect="ALLOWED")
case(id="ip-list-ored", cite=COND,
     policy=allow_if("IpAddress", "aws:SourceIp", ["10.0.0.0/8", "192.168.0.0/16"]),
     context={"aws:sourceip": ["192.168.1.1"]}, expect="ALLOWED")
case(id="ip-v6", cite=COND, policy=allow_if("IpAddress", "aws:SourceIp", "2001:db8::/32"),
     context={"aws:sourceip": ["2001:db8::1"]}, expect="ALLOWED")
case(id="ip-unknown-named", cite=COND,
     policy=allow_if("IpAddress", "aws:SourceIp", "10.0.0.0/8"), expect="CONDITIONAL",
     unresolved=("aws:sourceip",))
case(id="arnequals-wildcard", cite=COND,
     policy=allow_if("ArnEquals", "aws:PrincipalArn", f"arn:aws:iam::{MEMBER}:role/*"),
     context={"aws:principalarn": [ROLE]}, expect="ALLOWED")
case(id="arnlike-other-account", cite=COND,
     policy=allow_if("ArnLike", "aws:PrincipalArn", f"arn:aws:iam::{CENTRAL}:role/*"),
     context={"aws:principalarn": [ROLE]}, expect="DENIED")
case(id="arnnotlike", cite=COND,
     policy=allow_if("ArnNotLike", "aws:PrincipalArn", f"arn:aws:iam::{CENTRAL}:role/*"),
     context={"aws:principalarn": [ROLE]}, expect="ALLOWED")
case(id="arnnotequals-match-false", cite=COND,
     policy=allow_if("ArnNotEquals", "aws:PrincipalArn", ROLE),
     context={"aws:principalarn": [ROLE]}, expect="DENIED")
case(id="binary-equals", cite=COND,
     policy=allow_if("BinaryEquals", "secretsmanager:bin", "QUJD"),
     context={"secretsmanager:bin": ["QUJD"]}, expect="ALLOWED")
case(id="binary-not-equal", cite=COND,
     policy=allow_if("BinaryEquals", "secretsmanager:bin", "QUJD"),
     context={"secretsmanager:bin": ["QUJE"]}, expect="DENIED")

# ---------------------------------------------------------------- principal keys (KEYS)
case(id="orgid-match", cite=KEYS, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
     context={"aws:principalorgid": ["o-abc"]}, expect="ALLOWED")
case(id="orgid-other-org", cite=KEYS, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
     context={"aws:principalorgid": ["o-zzz"]}, expect="DENIED")
case(id="orgid-outside-org-excluded", cite=KEYS, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED")
case(id="orgid-outside-org-notequals", cite=KEYS, kind="resource",
     policy=pol(st(principal="*"), st("Deny", principal="*", condition={
         "StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}})),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED", explicit=True)
case(id="orgid-unknown-org", cite=KEYS, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
     expect="CONDITIONAL", unresolved=("aws:principalorgid",))
case(id="orgid-excluded-stringlike-unknown", cite=KEYS, kind="resource",
     policy=rp("*", condition={"StringLike": {"aws:PrincipalOrgID": "o-*"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="CONDITIONAL")
ORGID_EXCLUDED = KEYS + "; IAM UG, Condition operators: StringLike without * or ? matches " \
    "literally, a missing key makes positive operators (ForAnyValue too) false; " \
    "Organizations API: an organization id is ^o-[a-z0-9]{10,32}$ (lower case)"
case(id="orgid-excluded-stringlike-literal", cite=ORGID_EXCLUDED, kind="resource",
     policy=rp("*", condition={"StringLike": {"aws:PrincipalOrgID": "o-abc"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED")
case(id="orgid-excluded-ignorecase", cite=ORGID_EXCLUDED, kind="resource",
     policy=rp("*", condition={"StringEqualsIgnoreCase": {"aws:PrincipalOrgID": "O-ABC"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED")
case(id="orgid-excluded-foranyvalue", cite=ORGID_EXCLUDED, kind="resource",
     policy=rp("*", condition={"ForAnyValue:StringEquals": {"aws:PrincipalOrgID": "o-abc"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED")
case(id="orgid-excluded-forallvalues-notequals", cite=ORGID_EXCLUDED, kind="resource",
     policy=pol(st(principal="*"), st("Deny", principal="*", condition={
         "ForAllValues:StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}})),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED", explicit=True)
#: IAM User Guide, "Condition operators", ...IfExists: "If the key is not present, evaluate the
#: condition element as true" -- with a set qualifier too. An outsider's aws:PrincipalOrgID
#: is absent (no organization) or another organization's: ForAnyValue of a negated operator
#: holds either way once IfExists makes the absent case true (IAM conformance trial round 31:
#: CONDITIONAL, the solver DENIED); without IfExists ForAnyValue is false when absent
ORGID_IFEXISTS = ORGID_EXCLUDED + "; IfExists: \"If the key is not present, evaluate the " \
    "condition element as true\""
case(id="orgid-excluded-foranyvalue-notequals-ifexists", cite=ORGID_IFEXISTS, kind="resource",
     policy=pol(st(principal="*"), st("Deny", principal="*", condition={
         "ForAnyValue:StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED", explicit=True)
case(id="orgid-excluded-foranyvalue-notlike-ifexists", cite=ORGID_IFEXISTS, kind="resource",
     policy=pol(st(principal="*"), st("Deny", principal="*", condition={
         "ForAnyValue:StringNotLikeIfExists": {"aws:PrincipalOrgID": "o-abc"}})),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED", explicit=True)
case(id="orgid-excluded-foranyvalue-notequals-may-be-absent", cite=ORGID_IFEXISTS,
     kind="resource", policy=pol(st(principal="*"), st("Deny", principal="*", condition={
         "ForAnyValue:StringNotEquals": {"aws:PrincipalOrgID": "o-abc"}})),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="CONDITIONAL",
     unresolved=("aws:principalorgid",))
case(id="orgid-excluded-foranyvalue-equals-ifexists-may-be-absent", cite=ORGID_IFEXISTS,
     kind="resource", policy=rp("*", condition={
         "ForAnyValue:StringEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="CONDITIONAL",
     unresolved=("aws:principalorgid",))
case(id="orgid-excluded-foranyvalue-ifexists-unknown", cite=ORGID_EXCLUDED, kind="resource",
     policy=rp("*", condition={"ForAnyValue:StringEqualsIfExists": {
         "aws:PrincipalOrgID": "o-abc"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="CONDITIONAL")
case(id="orgid-excluded-notlike-literal", cite=ORGID_EXCLUDED, kind="resource",
     policy=pol(st(principal="*"), st("Deny", principal="*", condition={
         "StringNotLike": {"aws:PrincipalOrgID": "o-abc"}})),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED", explicit=True)
case(id="principalaccount-list", cite=KEYS, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:PrincipalAccount": [CENTRAL, MEMBER]}}),
     context={"aws:principalaccount": [MEMBER]}, expect="ALLOWED")
case(id="principalarn-deny-others", cite=KEYS + "; " + EVAL, kind="resource",
     policy=pol(st(principal={"AWS": MEMBER}), st("Deny", principal="*", condition={
         "ArnNotEquals": {"aws:PrincipalArn": ROLE}})),
     context={"aws:principalarn": [ROLE]}, expect="ALLOWED")
case(id="principalarn-deny-catches-other-role", cite=KEYS + "; " + EVAL, kind="resource",
     policy=pol(st(principal={"AWS": MEMBER}), st("Deny", principal="*", condition={
         "ArnNotEquals": {"aws:PrincipalArn": f"arn:aws:iam::{MEMBER}:role/Other"}})),
     context={"aws:principalarn": [ROLE]}, expect="DENIED", explicit=True)
case(id="sourceaccount-absent-for-principal-call", cite=KEYS + "; " + COND, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:SourceAccount": CENTRAL}}),
     absent=("aws:sourceaccount",), expect="DENIED")

# ---------------------------------------------------------------- KMS keys (KMS)
VIA = "secretsmanager.us-east-1.amazonaws.com"
case(id="kms-viaservice-match", cite=KMS, kind="resource", action="kms:Decrypt", resource=KEY,
     policy=rp({"AWS": MEMBER}, action="kms:Decrypt",
               condition={"StringEquals": {"kms:ViaService": VIA}}),
     context={"kms:viaservice": [VIA]}, expect="ALLOWED")
case(id="kms-viaservice-other-region", cite=KMS, kind="resource", action="kms:Decrypt",
     resource=KEY, policy=rp({"AWS": MEMBER}, action="kms:Decrypt", condition={
         "StringEquals": {"kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com"}}),
     context={"kms:viaservice": [VIA]}, expect="DENIED")
case(id="kms-viaservice-like", cite=KMS, kind="resource", action="kms:Decrypt", resource=KEY,
     policy=rp({"AWS": MEMBER}, action="kms:Decrypt",
               condition={"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}}),
     context={"kms:viaservice": [VIA]}, expect="ALLOWED")
case(id="kms-viaservice-absent-direct-call", cite=KMS + "; " + COND, kind="resource",
     action="kms:Decrypt", resource=KEY,
     policy=rp({"AWS": MEMBER}, action="kms:Decrypt",
               condition={"StringEquals": {"kms:ViaService": VIA}}),
     absent=("kms:viaservice",), expect="DENIED")
case(id="kms-calleraccount", cite=KMS, kind="resource", action="kms:Decrypt", resource=KEY,
     policy=rp("*", action="kms:Decrypt",
               condition={"StringEquals": {"kms:CallerAccount": MEMBER, "kms:ViaService": VIA}}),
     context={"kms:calleraccount": [MEMBER], "kms:viaservice": [VIA]}, expect="ALLOWED")
case(id="kms-encryption-context-secretarn", cite=KMS, kind="resource", action="kms:Decrypt",
     resource=KEY, policy=rp({"AWS": MEMBER}, action="kms:Decrypt", condition={
         "StringLike": {"kms:EncryptionContext:SecretARN":
                        f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:app/*"}}),
     context={"kms:encryptioncontext:secretarn": [SECRET]}, expect="ALLOWED")
case(id="kms-action-star-grant", cite=KMS + "; " + ACT, kind="resource", action="kms:Decrypt",
     resource=KEY, policy=rp({"AWS": f"arn:aws:iam::{MEMBER}:root"}, action="kms:*"),
     expect="ALLOWED")
case(id="kms-encrypt-only-grant", cite=KMS + "; " + ACT, kind="resource", action="kms:Decrypt",
     resource=KEY, policy=rp({"AWS": MEMBER}, action=["kms:Encrypt", "kms:GenerateDataKey*"]),
     expect="DENIED")

# ---------------------------------------------------------------- policy variables (VARS)
case(id="variable-principal-account-resource", cite=VARS,
     policy=pol(st(resource="arn:aws:secretsmanager:*:*:secret:${aws:PrincipalAccount}/*")),
     resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:{MEMBER}/db-AbCdEf",
     context={"aws:principalaccount": [MEMBER]}, expect="ALLOWED")
case(id="variable-resolved-mismatch", cite=VARS,
     policy=pol(st(resource="arn:aws:secretsmanager:*:*:secret:${aws:PrincipalAccount}/*")),
     context={"aws:principalaccount": [MEMBER]}, expect="DENIED")
case(id="variable-unknown-never-guessed", cite=VARS,
     policy=pol(st(resource="arn:aws:secretsmanager:*:*:secret:${aws:userid}/*")),
     expect="CONDITIONAL", unresolved=("${aws:userid}",))
case(id="variable-in-condition", cite=VARS,
     policy=allow_if("StringEquals", "aws:ResourceTag/owner", "${aws:username}"),
     principal=USER, principal_type="user",
     context={"aws:username": ["alice"], "aws:resourcetag/owner": ["alice"]}, expect="ALLOWED")
case(id="variable-in-condition-mismatch", cite=VARS,
     policy=allow_if("StringEquals", "aws:ResourceTag/owner", "${aws:username}"),
     principal=USER, principal_type="user",
     context={"aws:username": ["alice"], "aws:resourcetag/owner": ["bob"]}, expect="DENIED")
case(id="variable-literal-under-2008", cite=VARS,
     policy=pol(st(resource="arn:aws:secretsmanager:*:*:secret:${aws:PrincipalAccount}/*"),
                version="2008-10-17"),
     resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:{MEMBER}/db-AbCdEf",
     context={"aws:principalaccount": [MEMBER]}, expect="DENIED")
# "${*} - use where you need an * (asterisk) character": in StringLike the character itself,
# not a wildcard (IAM conformance trial round 19: was CONDITIONAL, "not modelled"); on a
# resource tag, whose value may hold one (a principal tag's never does: round 35)
case(id="variable-escape-is-the-character", cite=VARS + "; " + SG,
     policy=allow_if("StringLike", "aws:ResourceTag/x", "${*}"),
     context={"aws:resourcetag/x": ["*"]}, expect="ALLOWED")
case(id="variable-escape-is-no-wildcard", cite=VARS + "; " + SG,
     policy=allow_if("StringLike", "aws:ResourceTag/x", "${*}"),
     context={"aws:resourcetag/x": ["x"]}, expect="DENIED")

VARS_ABSENT = "VARS: \"If the key that you specify in a policy condition is not present in the " \
    "request context, the values do not match\" (IAM UG, IAM policy elements: Variables and " \
    "tags) -- a definite answer, not UNKNOWN"
VARS_DEFAULT = "VARS: \"${aws:PrincipalTag/team, 'company-wide'}\": a default value replaces a " \
    "variable whose key is absent (IAM UG, Variables and tags, Specifying default values)"
VARS_WILD = "VARS: a variable can sit next to the policy's own wildcard in StringLike / Resource " \
    "(IAM UG, Variables and tags: \"arn:aws:s3:::amzn-s3-demo-bucket/${aws:username}/*\")"
ABAC = "VARS+COND: the condition key's own absence is checked first: an untagged secret under " \
    "an ABAC policy (ResourceTag = ${aws:PrincipalTag/..}) does not match, whatever the variable"
OWNER_TAG = "aws:ResourceTag/owner"
case(id="variable-condition-key-absent-decides-first", cite=ABAC,
     policy=allow_if("StringEquals", "secretsmanager:ResourceTag/team", "${aws:PrincipalTag/team}"),
     absent=("secretsmanager:resourcetag/team",), expect="DENIED")
case(id="variable-condition-key-absent-ifexists-first", cite=ABAC + "; " + IFEX,
     policy=allow_if("StringEqualsIfExists", "secretsmanager:ResourceTag/team",
                     "${aws:PrincipalTag/team}"),
     absent=("secretsmanager:resourcetag/team",), expect="ALLOWED")
case(id="variable-key-absent-stringequals", cite=VARS_ABSENT,
     policy=allow_if("StringEquals", OWNER_TAG, "${aws:username}"),
     context={"aws:resourcetag/owner": ["alice"]}, absent=("aws:username",), expect="DENIED",
     explicit=False)
case(id="variable-key-absent-stringlike", cite=VARS_ABSENT,
     policy=allow_if("StringLike", OWNER_TAG, "${aws:username}-*"),
     context={"aws:resourcetag/owner": ["alice-x"]}, absent=("aws:username",), expect="DENIED")
case(id="variable-key-absent-other-value-still-matches", cite=VARS_ABSENT + "; " + LOGIC,
     policy=allow_if("StringEquals", OWNER_TAG, ["${aws:username}", "shared"]),
     context={"aws:resourcetag/owner": ["shared"]}, absent=("aws:username",), expect="ALLOWED")
case(id="variable-key-absent-negated-holds", cite=VARS_ABSENT + "; " + COND,
     policy=allow_if("StringNotEquals", OWNER_TAG, "${aws:username}"),
     context={"aws:resourcetag/owner": ["alice"]}, absent=("aws:username",), expect="ALLOWED")
case(id="variable-key-absent-deny-does-not-apply", cite=VARS_ABSENT + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"StringEquals": {OWNER_TAG: "${aws:username}"}})),
     context={"aws:resourcetag/owner": ["alice"]}, absent=("aws:username",), expect="ALLOWED")
case(id="variable-key-absent-condition-key-unknown", cite=VARS_ABSENT,
     policy=allow_if("StringEquals", "aws:SourceVpce", "${aws:username}"),
     absent=("aws:username",), expect="DENIED")
case(id="variable-key-absent-in-resource", cite=VARS_ABSENT,
     policy=pol(st(resource="arn:aws:secretsmanager:*:*:secret:${aws:username}/*")),
     absent=("aws:username",), expect="DENIED", explicit=False)
# "If a variable that has no value in the authorization context is used as part of the
# Resource or NotResource element of a policy, the resource that includes a policy variable
# with no value will not match any resource": the NotResource entry excludes nothing (IAM
# conformance trial round 35: was CONDITIONAL, "not guessed")
case(id="variable-key-absent-in-notresource-excludes-nothing", cite=VARS_ABSENT,
     policy=pol(st("Deny", resource=None, not_resource="arn:aws:secretsmanager:*:*:secret:"
                   "${aws:username}/*"), st()),
     absent=("aws:username",), expect="DENIED", explicit=True)
case(id="variable-default-when-absent", cite=VARS_DEFAULT,
     policy=allow_if("StringEquals", OWNER_TAG, "${aws:username, 'nobody'}"),
     context={"aws:resourcetag/owner": ["nobody"]}, absent=("aws:username",), expect="ALLOWED")
case(id="variable-default-ignored-when-present", cite=VARS_DEFAULT,
     policy=allow_if("StringEquals", OWNER_TAG, "${aws:username, 'nobody'}"),
     principal=USER, principal_type="user",
     context={"aws:username": ["alice"], "aws:resourcetag/owner": ["nobody"]}, expect="DENIED")
case(id="variable-next-to-own-wildcard-condition", cite=VARS_WILD,
     policy=allow_if("StringLike", OWNER_TAG, "test${aws:username}*"),
     principal=USER, principal_type="user",
     context={"aws:username": ["alice"], "aws:resourcetag/owner": ["testalice-1"]},
     expect="ALLOWED")
case(id="variable-next-to-own-wildcard-condition-mismatch", cite=VARS_WILD,
     policy=allow_if("StringLike", OWNER_TAG, "test${aws:username}*"),
     principal=USER, principal_type="user",
     context={"aws:username": ["alice"], "aws:resourcetag/owner": ["testbob-1"]},
     expect="DENIED")
case(id="variable-next-to-own-wildcard-resource", cite=VARS_WILD,
     policy=pol(st(resource="arn:aws:secretsmanager:*:*:secret:test${aws:username}*")),
     resource=f"arn:aws:secretsmanager:us-east-1:{CENTRAL}:secret:testalice-AbCdEf",
     principal=USER, principal_type="user", context={"aws:username": ["alice"]},
     expect="ALLOWED")
case(id="variable-value-with-wildcard-not-guessed", cite=VARS_WILD + "; " + SG,
     policy=allow_if("StringLike", OWNER_TAG, "test${aws:PrincipalTag/x}"),
     context={"aws:principaltag/x": ["a*"], "aws:resourcetag/owner": ["testabc"]},
     expect="CONDITIONAL")
case(id="variable-multivalued-key-not-substituted", cite=VARS + "; " + SG,
     policy=allow_if("StringEquals", OWNER_TAG, "${aws:PrincipalTag/x}"),
     context={"aws:principaltag/x": ["a", "b"], "aws:resourcetag/owner": ["a"]},
     expect="CONDITIONAL")

PB_SESSION = "PB: IAM UG, Permissions boundaries / Policy evaluation logic: a resource policy " \
    "granting to the assumed-role session ARN is not capped by the role's boundary; the " \
    "session name is unknown, so a session entry of the role (or *) is UNKNOWN"
SESSION = f"arn:aws:sts::{MEMBER}:assumed-role/ApplicationRole/batch"
case(id="session-entry-of-the-role", cite=PB_SESSION + "; " + PRIN, kind="resource",
     policy=rp({"AWS": SESSION}), expect="CONDITIONAL", session="UNKNOWN")
case(id="session-entry-of-another-role", cite=PB_SESSION + "; " + PRIN, kind="resource",
     policy=rp({"AWS": f"arn:aws:sts::{MEMBER}:assumed-role/OtherRole/batch"}),
     expect="DENIED", session="FALSE")
case(id="session-star-may-name-the-session", cite=PB_SESSION, kind="resource",
     policy=rp("*"), expect="ALLOWED", session="UNKNOWN")
case(id="session-role-arn-is-not-a-session-grant", cite=PB_SESSION, kind="resource",
     policy=rp({"AWS": ROLE}), expect="ALLOWED", session="FALSE")
case(id="session-user-never-has-one", cite=PB_SESSION, kind="resource", policy=rp("*"),
     principal=USER, principal_type="user", expect="ALLOWED", session="FALSE")
case(id="session-grant-false-condition", cite=PB_SESSION + "; " + COND, kind="resource",
     policy=rp({"AWS": SESSION}, condition={"StringEquals": {"aws:PrincipalAccount": CENTRAL}}),
     context={"aws:principalaccount": [MEMBER]}, expect="DENIED", session="FALSE")

ARN_OPS = "COND: ARN operators compare ARNs; a request value that is not an ARN matches neither " \
    "ArnLike nor ArnNotLike (measured: cloud-copilot/iam-simulate \"should return false if not " \
    "a valid request arn\"; principalmapper, validated against the IAM policy simulator)"
NULL_SET = "COND: \"Use a Null condition operator to check if a condition key is absent at the " \
    "time of authorization\"; Null compares no values, so ForAnyValue:/ForAllValues:Null " \
    "answer as Null (measured: iam-simulate \"should treat ForAnyValue:Null the same as Null\")"
SRC_ARN = "aws:SourceArn"
case(id="arnlike-value-not-an-arn", cite=ARN_OPS, policy=allow_if("ArnLike", SRC_ARN, "*"),
     context={"aws:sourcearn": ["test2"]}, expect="DENIED")
case(id="arnnotlike-value-not-an-arn", cite=ARN_OPS,
     policy=allow_if("ArnNotLike", SRC_ARN, "arn:aws:iam::*:user/test1"),
     context={"aws:sourcearn": ["test2"]}, expect="DENIED")
case(id="arnnotequals-value-not-an-arn", cite=ARN_OPS,
     policy=allow_if("ArnNotEquals", SRC_ARN, "arn:aws:iam::123456789012:user/test1"),
     context={"aws:sourcearn": ["arn:::bucket-name"]}, expect="DENIED")
case(id="arnlike-value-too-few-parts", cite=ARN_OPS,
     policy=allow_if("ArnLike", SRC_ARN, "arn:*"),
     context={"aws:sourcearn": ["arn:::bucket-name"]}, expect="DENIED")
case(id="arnnotlike-deny-on-non-arn-does-not-apply", cite=ARN_OPS + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"ArnNotLike": {SRC_ARN: "arn:aws:iam::*:role/*"}})),
     context={"aws:sourcearn": ["not-an-arn"]}, expect="ALLOWED")
case(id="arnnotlike-valid-arn-still-negates", cite=ARN_OPS,
     policy=allow_if("ArnNotLike", SRC_ARN, "arn:aws:iam::*:user/test1"),
     context={"aws:sourcearn": ["arn:aws:iam::000000000000:user/test2"]}, expect="ALLOWED")
case(id="arnnotlike-ifexists-absent-still-true", cite=ARN_OPS + "; " + IFEX,
     policy=allow_if("ArnNotLikeIfExists", SRC_ARN, "arn:aws:iam::*:user/test1"),
     absent=("aws:sourcearn",), expect="ALLOWED")
case(id="forallvalues-arnnotlike-one-value-not-an-arn", cite=ARN_OPS + "; " + MULTI,
     policy=allow_if("ForAllValues:ArnNotLike", SRC_ARN, "arn:aws:iam::*:user/test1"),
     context={"aws:sourcearn": ["arn:aws:iam::000000000000:user/x", "junk"]}, expect="DENIED")
TYPED_OPS = "COND: a request value that is no number / date / IP address matches neither the " \
    "positive nor the negated numeric / date / IP address operator (measured: iam-simulate " \
    "\"should return false if the test value is not a number\", \"... is not a date\", " \
    "\"should be false if the key value is not a valid IP address\")"
LEVEL = "aws:ResourceTag/level"
for _op, _expect in (("NumericLessThan", "DENIED"), ("NumericNotEquals", "DENIED"),
                     ("NumericGreaterThanEquals", "DENIED")):
    case(id=f"{_op.lower()}-tag-not-a-number", cite=TYPED_OPS, policy=allow_if(_op, LEVEL, "3"),
         context={"aws:resourcetag/level": ["high"]}, expect=_expect)
case(id="numericnotequals-deny-on-tag-not-a-number-does-not-apply", cite=TYPED_OPS + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"NumericNotEquals": {LEVEL: "3"}})),
     context={"aws:resourcetag/level": ["high"]}, expect="ALLOWED")
case(id="numericlessthan-tag-a-number-still-compares", cite=TYPED_OPS,
     policy=allow_if("NumericLessThan", LEVEL, "3"), context={"aws:resourcetag/level": ["2"]},
     expect="ALLOWED")
case(id="datenotequals-tag-not-a-date", cite=TYPED_OPS,
     policy=allow_if("DateNotEquals", "aws:ResourceTag/expires", "2030-01-01T00:00:00Z"),
     context={"aws:resourcetag/expires": ["never"]}, expect="DENIED")
case(id="datelessthan-deny-on-tag-not-a-date-does-not-apply", cite=TYPED_OPS + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={
         "DateLessThan": {"aws:ResourceTag/expires": "2030-01-01T00:00:00Z"}})),
     context={"aws:resourcetag/expires": ["never"]}, expect="ALLOWED")
case(id="date-tag-bad-month-stays-unknown", cite=TYPED_OPS + "; " + SG,
     policy=allow_if("DateLessThan", "aws:ResourceTag/expires", "2030-01-01T00:00:00Z"),
     context={"aws:resourcetag/expires": ["2020-13-01"]}, expect="CONDITIONAL")
case(id="notipaddress-tag-not-an-address", cite=TYPED_OPS,
     policy=allow_if("NotIpAddress", "aws:PrincipalTag/net", "10.0.0.0/8"),
     context={"aws:principaltag/net": ["office"]}, expect="DENIED")
case(id="forallvalues-numericnotequals-one-value-not-a-number", cite=TYPED_OPS + "; " + MULTI,
     policy=allow_if("ForAllValues:NumericNotEquals", "kms:EncryptionContextKeys", "3"),
     action="kms:Decrypt", resource=KEY,
     context={"kms:encryptioncontextkeys": ["4", "SecretARN"]}, expect="DENIED")
case(id="numeric-policy-value-not-a-number-stays-unknown", cite=TYPED_OPS + "; " + SG,
     policy=allow_if("NumericLessThan", LEVEL, "three"),
     context={"aws:resourcetag/level": ["2"]}, expect="CONDITIONAL")
case(id="null-foranyvalue-absent", cite=NULL_SET,
     policy=allow_if("ForAnyValue:Null", "aws:CalledVia", "true"), absent=("aws:calledvia",),
     expect="ALLOWED")
case(id="null-forallvalues-absent", cite=NULL_SET,
     policy=allow_if("ForAllValues:Null", "aws:CalledVia", "true"), absent=("aws:calledvia",),
     expect="ALLOWED")
case(id="null-foranyvalue-present-false", cite=NULL_SET,
     policy=allow_if("ForAnyValue:Null", "aws:CalledVia", "false"),
     context={"aws:calledvia": ["secretsmanager.amazonaws.com"]}, expect="ALLOWED")
case(id="null-forallvalues-present-true", cite=NULL_SET,
     policy=allow_if("ForAllValues:Null", "aws:CalledVia", "true"),
     context={"aws:calledvia": ["secretsmanager.amazonaws.com"]}, expect="DENIED")
case(id="null-foranyvalue-deny-missing-tag", cite=NULL_SET + "; " + EVAL,
     policy=pol(st(), st("Deny", condition={"ForAnyValue:Null": {"aws:ResourceTag/owner":
                                                                  "true"}})),
     absent=("aws:resourcetag/owner",), expect="DENIED", explicit=True)
case(id="null-ifexists-not-an-operator", cite=NULL_SET + "; " + SG,
     policy=allow_if("NullIfExists", "aws:CalledVia", "true"), absent=("aws:calledvia",),
     expect="CONDITIONAL")

case(id="variable-value-with-wildcard-in-arnequals-not-guessed", cite=VARS_WILD + "; " + SG,
     policy=allow_if("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:role/${aws:PrincipalTag/r}"),
     context={"aws:principaltag/r": ["*"], "aws:principalarn": [ROLE]}, expect="CONDITIONAL")
case(id="variable-value-with-wildcard-in-stringequals-is-literal", cite=VARS_WILD,
     policy=allow_if("StringEquals", OWNER_TAG, "${aws:PrincipalTag/x}"),
     context={"aws:principaltag/x": ["a*"], "aws:resourcetag/owner": ["abc"]}, expect="DENIED")

# ---------------------------------------------------------------- SCP / RCP shapes
case(id="scp-allow-star", cite="Organizations UG: SCPs use Allow/Deny with Action/Resource, "
     "no Principal", kind="scp", policy=pol(st(action="*")), expect="ALLOWED")
case(id="scp-deny-secretsmanager", cite="Organizations UG: SCP Deny statements", kind="scp",
     policy=pol(st(action="*"), st("Deny", action="secretsmanager:*")), expect="DENIED",
     explicit=True)
case(id="scp-deny-outside-region", cite="Organizations UG: SCP conditions (aws:RequestedRegion)",
     kind="scp", policy=pol(st(action="*"), st("Deny", action="*", condition={
         "StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}})),
     context={"aws:requestedregion": ["us-east-1"]}, expect="DENIED", explicit=True)
case(id="scp-with-principal-invalid", cite="Organizations UG: SCPs have no Principal; " + SG,
     kind="scp", policy=pol(st(action="*", principal="*")), expect="CONDITIONAL")
case(id="rcp-principal-star-deny-outside-org",
     cite="Organizations UG: RCPs (Principal *) deny outside-org access", kind="rcp",
     policy=pol(st(action="*", principal="*"), st("Deny", action="secretsmanager:*",
                                                   principal="*", condition={
         "StringNotEqualsIfExists": {"aws:PrincipalOrgID": "o-abc"}})),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED", explicit=True)

# ---------------------------------------------------------------- keys of another service
case(id="foreign-kms-key-on-getsecretvalue-is-absent", cite=FOREIGN,
     policy=allow_if("StringLike", "kms:EncryptionContext:SecretARN", SECRET), expect="DENIED")
case(id="foreign-kms-caller-account-on-getsecretvalue-is-absent", cite=FOREIGN,
     policy=allow_if("StringEquals", "kms:CallerAccount", MEMBER),
     context={"kms:calleraccount": [MEMBER]}, expect="DENIED")
case(id="foreign-key-negated-operator-is-true", cite=FOREIGN,
     policy=allow_if("StringNotEquals", "s3:prefix", "home/"), expect="ALLOWED")
case(id="foreign-secretsmanager-key-on-decrypt-is-absent", cite=FOREIGN,
     policy=pol(st(action="kms:Decrypt", resource=KEY,
                   condition={"StringEquals": {"secretsmanager:ResourceTag/env": "prod"}})),
     action="kms:Decrypt", resource=KEY, expect="DENIED")
case(id="own-service-key-stays-unknown", cite=FOREIGN,
     policy=allow_if("StringEquals", "secretsmanager:VersionStage", "AWSCURRENT"),
     expect="CONDITIONAL", unresolved=("secretsmanager:versionstage",))
#: Service Authorization Reference, Secrets Manager: the condition keys of GetSecretValue are
#: aws:ResourceTag/${TagKey}, secretsmanager:ResourceTag/tag-key, SecretId, SecretPrimaryRegion,
#: VersionId, VersionStage, resource/AllowRotationLambdaArn, resource/Type; the keys of another
#: action's request parameters (BlockPublicPolicy: PutResourcePolicy; KmsKeyArn, KmsKeyId,
#: Name, Description: CreateSecret / UpdateSecret; RotationLambdaARN: RotateSecret; ...) are not
#: in its request context (IAM conformance trial round 20)
SM_ACTION_KEYS = FOREIGN + "; SAR, Secrets Manager: GetSecretValue takes none of the " \
    "request-parameter keys of CreateSecret, UpdateSecret, PutResourcePolicy, RotateSecret, " \
    "DeleteSecret, ReplicateSecretToRegions"
case(id="sm-block-public-policy-on-getsecretvalue-is-absent", cite=SM_ACTION_KEYS,
     policy=allow_if("Bool", "secretsmanager:BlockPublicPolicy", "true"), expect="DENIED")
case(id="sm-block-public-policy-deny-if-exists-applies-to-getsecretvalue", cite=SM_ACTION_KEYS,
     policy=pol(st(), st(effect="Deny", action="secretsmanager:*", condition={
         "BoolIfExists": {"secretsmanager:BlockPublicPolicy": "false"}})),
     expect="DENIED", explicit=True)
case(id="sm-kms-key-arn-on-getsecretvalue-is-absent", cite=SM_ACTION_KEYS,
     policy=allow_if("ArnEquals", "secretsmanager:KmsKeyArn", KEY), expect="DENIED")
case(id="sm-name-negated-on-getsecretvalue-is-true", cite=SM_ACTION_KEYS,
     policy=allow_if("StringNotLike", "secretsmanager:Name", "prod/*"), expect="ALLOWED")
case(id="sm-rotation-lambda-on-getsecretvalue-is-absent", cite=SM_ACTION_KEYS,
     policy=allow_if("ArnLike", "secretsmanager:RotationLambdaARN",
                     f"arn:aws:lambda:us-east-1:{CENTRAL}:function:*"), expect="DENIED")
case(id="sm-block-public-policy-on-putresourcepolicy-stays-unknown", cite=SM_ACTION_KEYS,
     policy=pol(st(action="secretsmanager:PutResourcePolicy", condition={
         "Bool": {"secretsmanager:BlockPublicPolicy": "true"}})),
     action="secretsmanager:PutResourcePolicy", expect="CONDITIONAL",
     unresolved=("secretsmanager:blockpublicpolicy",))
case(id="sm-primary-region-on-getsecretvalue-stays-unknown", cite=SM_ACTION_KEYS,
     policy=allow_if("StringEquals", "secretsmanager:SecretPrimaryRegion", "us-east-1"),
     expect="CONDITIONAL", unresolved=("secretsmanager:secretprimaryregion",))
KMS_ACTION_KEYS = FOREIGN + "; SAR / KMS DG, AWS KMS condition keys: Decrypt takes " \
    "kms:CallerAccount, EncryptionAlgorithm, EncryptionContext:*, EncryptionContextKeys, " \
    "RecipientAttestation:*, RequestAlias, ViaService -- not the request-parameter keys of " \
    "CreateKey / PutKeyPolicy, ScheduleKeyDeletion, ReplicateKey, Sign / Verify, ..."
KEY_DENY = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}
for key, op, value in (("kms:BypassPolicyLockoutSafetyCheck", "Bool", "true"),
                       ("kms:ScheduleKeyDeletionPendingWindowInDays", "NumericLessThan", "30"),
                       ("kms:ReplicaRegion", "StringEquals", "eu-west-1"),
                       ("kms:SigningAlgorithm", "StringEquals", "RSASSA_PSS_SHA_256"),
                       ("kms:RotationPeriodInDays", "NumericLessThan", "90"),
                       ("kms:ExpirationModel", "StringEquals", "KEY_EXPIRES")):
    case(id=f"kms-{key.split(':')[1].lower()}-deny-does-not-apply-to-decrypt",
         cite=KMS_ACTION_KEYS, kind="resource",
         policy=pol(st(action="kms:Decrypt", resource="*", principal={"AWS": ROLE}),
                    dict(KEY_DENY, Condition={op: {key: value}})),
         action="kms:Decrypt", resource=KEY, expect="ALLOWED")
case(id="kms-bypass-lockout-on-putkeypolicy-stays-unknown", cite=KMS_ACTION_KEYS,
     kind="resource", policy=pol(st(action="kms:PutKeyPolicy", resource="*",
                                    principal={"AWS": ROLE}, condition={"Bool": {
                                        "kms:BypassPolicyLockoutSafetyCheck": "false"}})),
     action="kms:PutKeyPolicy", resource=KEY, expect="CONDITIONAL",
     unresolved=("kms:bypasspolicylockoutsafetycheck",))
case(id="kms-request-alias-on-decrypt-stays-unknown", cite=KMS_ACTION_KEYS, kind="resource",
     policy=pol(st(action="kms:Decrypt", resource="*", principal={"AWS": ROLE},
                   condition={"StringLike": {"kms:RequestAlias": "alias/app*"}})),
     action="kms:Decrypt", resource=KEY, expect="CONDITIONAL",
     unresolved=("kms:requestalias",))
case(id="credential-context-key-stays-unknown", cite=FOREIGN,
     policy=allow_if("ArnEquals", "lambda:SourceFunctionArn",
                     f"arn:aws:lambda:us-east-1:{MEMBER}:function:reader"),
     expect="CONDITIONAL", unresolved=("lambda:sourcefunctionarn",))
case(id="kms-grant-key-on-decrypt-is-absent", cite=FOREIGN + "; KMS DG: kms:GrantIsForAWSResource "
     "applies to CreateGrant, ListGrants and RevokeGrant only",
     policy=pol(st(action="kms:Decrypt", resource=KEY,
                   condition={"Bool": {"kms:GrantIsForAWSResource": "true"}})),
     action="kms:Decrypt", resource=KEY, expect="DENIED")
case(id="kms-grant-key-on-create-grant-stays-unknown", cite=FOREIGN,
     policy=pol(st(action="kms:CreateGrant", resource=KEY,
                   condition={"Bool": {"kms:GrantIsForAWSResource": "true"}})),
     action="kms:CreateGrant", resource=KEY, expect="CONDITIONAL",
     unresolved=("kms:grantisforawsresource",))
case(id="saml-key-on-getsecretvalue-stays-unknown", cite=FOREIGN + "; IAM UG: SAML keys are "
     "available when the session's credentials make a request",
     policy=allow_if("StringEquals", "saml:sub", "alice@example.com"),
     expect="CONDITIONAL", unresolved=("saml:sub",))
case(id="web-identity-key-on-getsecretvalue-stays-unknown", cite=FOREIGN,
     policy=allow_if("StringLike", "cognito-identity.amazonaws.com:sub", "us-east-1:*"),
     expect="CONDITIONAL", unresolved=("cognito-identity.amazonaws.com:sub",))
case(id="identity-center-store-key-stays-unknown", cite=FOREIGN,
     policy=allow_if("ArnEquals", "identitystore:IdentityStoreArn",
                     "arn:aws:identitystore::111111111111:identitystore/d-1234567890"),
     expect="CONDITIONAL", unresolved=("identitystore:identitystorearn",))

RESOURCE_ORG_VARIABLE = KEYS + "; IAM UG, Variables and tags: \"the policy variables are " \
    "replaced with values that come from the conditional context keys passed in the request\""
case(id="orgid-excluded-resource-org-variable", cite=RESOURCE_ORG_VARIABLE, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}}),
     context={"aws:resourceorgid": ["o-abc"]},
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED")
case(id="orgid-excluded-resource-org-variable-deny", cite=RESOURCE_ORG_VARIABLE,
     kind="resource",
     policy=pol(st(principal="*"), st("Deny", principal="*", condition={
         "StringNotEquals": {"aws:PrincipalOrgID": "${aws:ResourceOrgID}"}})),
     context={"aws:resourceorgid": ["o-abc"]},
     excluded={"aws:principalorgid": ("o-abc",)}, expect="DENIED", explicit=True)
case(id="orgid-excluded-other-variable-unknown", cite=RESOURCE_ORG_VARIABLE, kind="resource",
     policy=rp("*", condition={"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalTag/org}"}}),
     excluded={"aws:principalorgid": ("o-abc",)}, expect="CONDITIONAL")

TIME_FLOOR = "IAM UG, global condition keys, aws:CurrentTime: \"compare the date and time of " \
    "the request\", \"always included in the request context\"; requests are not earlier " \
    "than the scan"
SCAN_START = 1796169600.0  # 2026-12-01T00:00:00Z
for cid, operator, key, value, expect in [
        ("time-window-closed-before-scan", "DateLessThan", "aws:CurrentTime",
         "2020-01-01T00:00:00Z", "DENIED"),
        ("time-window-opened-before-scan", "DateGreaterThan", "aws:CurrentTime",
         "2020-01-01T00:00:00Z", "ALLOWED"),
        ("time-window-opens-after-scan", "DateGreaterThan", "aws:CurrentTime",
         "2030-01-01T00:00:00Z", "CONDITIONAL"),
        ("time-window-closes-after-scan", "DateLessThan", "aws:CurrentTime",
         "2030-01-01T00:00:00Z", "CONDITIONAL"),
        ("time-equals-a-past-moment", "DateEquals", "aws:CurrentTime", "2020-01-01T00:00:00Z",
         "DENIED"),
        ("time-not-equals-a-past-moment", "DateNotEquals", "aws:CurrentTime",
         "2020-01-01T00:00:00Z", "ALLOWED"),
        ("epoch-time-numeric-past", "NumericLessThan", "aws:EpochTime", "1577836800",
         "DENIED"),
        ("epoch-time-date-future", "DateLessThanEquals", "aws:EpochTime", "1893456000",
         "CONDITIONAL")]:
    case(id=cid, cite=TIME_FLOOR, policy=allow_if(operator, key, value), expect=expect,
         time_floor=SCAN_START, unresolved=(key.lower(),) if expect == "CONDITIONAL" else ())
case(id="time-without-a-floor-stays-unknown", cite=TIME_FLOOR,
     policy=allow_if("DateLessThan", "aws:CurrentTime", "2020-01-01T00:00:00Z"),
     expect="CONDITIONAL", unresolved=("aws:currenttime",))
