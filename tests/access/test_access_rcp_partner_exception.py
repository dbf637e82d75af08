"""An account an RCP's condition names is a candidate reader of a ``*`` grant, as an account
the secret's own policy mentions is.

The data perimeter RCP (aws-samples/data-perimeter-policy-examples, identity_perimeter_rcp):
Deny secretsmanager:* and kms:* to everyone unless ``StringNotEqualsIfExists``
aws:PrincipalOrgID <ours> / aws:PrincipalAccount [<third-party-account>] -- the partner's
principals are let through. Organizations User Guide, RCPs: they "apply to ... principals
external to your organization"; IAM User Guide, "Policy evaluation logic": an explicit Deny
overrides any Allow, and where none applies the resource policy's ``*`` grant (and the
partner's own identity policies, never readable) decide. The access analysis' ``*`` stand-in
is an account no policy names, so the RCP denies it; the partner account, which the RCP
names, was never asked about. IAM conformance trial round 27: a secret granted to ``*`` with
its key's ``*`` Decrypt via Secrets Manager had no outside reader, "public: DENIED, blocked by
scp", while the partner's principals may read it.
"""

from __future__ import annotations

import json

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, MEMBER2, ORG_ID, REGION,
                                   SECRET_ARN, allow_read_identity, control, estate, role, text)

from scanner.access import AccessSettings, analyze_access
from scanner.graph.builder import build_graph

SCP, RCP = "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY"
LEVELS = ("r-root", CENTRAL, MEMBER, MEMBER2)
PARTNER = "555555555555"
ALLOW_ALL = {"Effect": "Allow", "Action": "*", "Resource": "*"}

def identity_perimeter(*partners: str) -> object:
    """The RCP, its aws:PrincipalAccount exception listing ``partners`` (none: the key left
    out)."""
    exception: dict[str, object] = {"aws:PrincipalOrgID": ORG_ID}
    if partners:
        exception["aws:PrincipalAccount"] = list(partners)
    return control("identity-perimeter", RCP, ("r-root",), {
        "Sid": "EnforceOrgIdentities", "Effect": "Deny", "Principal": "*",
        "Action": ["secretsmanager:*", "kms:*"], "Resource": "*",
        "Condition": {"StringNotEqualsIfExists": exception,
                      "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}}})


EVERYONE_READS = text({"Effect": "Allow", "Principal": "*",
                       "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
EVERYONE_DECRYPTS_VIA_SM = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
     "Action": "kms:*", "Resource": "*"},
    {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
     "Condition": {"StringEquals": {
         "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}}]})


def _secret(*extra: object):  # type: ignore[no-untyped-def]
    snap = estate(secret_policy=EVERYONE_READS, key_policy=EVERYONE_DECRYPTS_VIA_SM,
                  principals=(role(APP_ROLE, allow_read_identity()),),
                  scps=(control("full", SCP, LEVELS, ALLOW_ALL),
                        control("rfull", RCP, LEVELS, {**ALLOW_ALL, "Principal": "*"}),
                        *extra),  # type: ignore[arg-type]
                  management="444444444444")
    report = analyze_access(build_graph(snap), snap, AccessSettings.from_snapshot(snap))
    sa = report.for_secret(SECRET_ARN)
    assert sa is not None
    return sa


def test_the_partner_an_rcp_excepts_reads_a_secret_granted_to_everyone() -> None:
    sa = _secret(identity_perimeter(PARTNER))
    readers = {p.principal: p for p in sa.paths}
    partner = readers.get(f"arn:aws:iam::{PARTNER}:root")
    assert partner is not None, sorted(readers)
    # its own identity policies are never readable: what AWS answers depends on them
    assert partner.decision == "CONDITIONAL"
    assert partner.gates["scp"].status == "ALLOWED"  # the RCP's exception lets it through
    assert not partner.in_zone
    # anyone else outside the organization stays denied by the perimeter: the "*" stand-in
    # (an account no policy names) is no reader; everyone's reach is the partner's answer, one
    # of everyone (it was "DENIED, blocked by scp")
    assert "*" not in readers
    assert {r.subject: r.decision for r in sa.reach}["*"] == "CONDITIONAL"
    assert readers[APP_ROLE].decision == "ALLOWED"


def test_without_the_exception_everyone_outside_is_denied() -> None:
    sa = _secret(identity_perimeter())
    assert f"arn:aws:iam::{PARTNER}:root" not in {p.principal for p in sa.paths}
    public = {r.subject: r for r in sa.reach}["*"]
    assert (public.decision, public.blocked_by) == ("DENIED", ("scp",))


def test_without_an_rcp_naming_it_no_partner_path_is_made_up() -> None:
    readers = {p.principal for p in _secret().paths}
    assert f"arn:aws:iam::{PARTNER}:root" not in readers
