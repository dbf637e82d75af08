"""The exposure questions on small estates: a proof where no outsider gets through, a witness
(replayed through the evaluator: ALLOWED) where one does, UNKNOWN with the reason where a
policy part is not encoded."""

from __future__ import annotations

import json
from typing import Any

from helpers.access_estate import (
    APP_ROLE,
    CENTRAL,
    KEY_ARN,
    ORG_ID,
    OUTSIDER,
    REGION,
    SECRET_ARN,
    allow_read_identity,
    estate,
    key_policy_for,
    role,
    text,
)

from scanner.access import AccessSettings
from scanner.graph.builder import build_graph
from scanner.model import ControlPolicy
from scanner.policy import PolicyKind, Request, evaluate_policy, parse_policy
from scanner.policy.smt.questions import Prover, SecretProof
from scanner.policy.smt.solve import PROVEN_NONE, UNKNOWN, WITNESS

GSV = "secretsmanager:GetSecretValue"
VIA = f"secretsmanager.{REGION}.amazonaws.com"
ZONE = {CENTRAL, "222222222222", "333333333333"}


def public(condition: dict[str, Any] | None = None, **extra: Any) -> str:
    st: dict[str, Any] = {"Effect": "Allow", "Principal": "*", "Action": GSV, "Resource": "*"}
    if condition:
        st["Condition"] = condition
    st.update(extra)
    return text(st)


PUBLIC_KEY = text({"Sid": "Root", "Effect": "Allow",
                   "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                   "Resource": "*"},
                  {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                   "Condition": {"StringEquals": {"kms:ViaService": VIA}}})


def prove(secret_policy: str | None, key_policy: str | None = PUBLIC_KEY,
          **kw: Any) -> SecretProof:
    snap = estate(secret_policy=secret_policy, key_policy=key_policy, **kw)
    settings = AccessSettings.from_snapshot(snap)
    return Prover(build_graph(snap), snap, settings, timeout_s=20).secret(SECRET_ARN)


def _replay(proof: SecretProof, secret_policy: str, key_policy: str) -> None:
    """The witness's two requests, rebuilt from its JSON form, are ALLOWED by the evaluator."""
    w = proof.read.witness
    assert w is not None
    assert w["principal_account"] not in ZONE
    for name, policy, action in (("secret", secret_policy, GSV),
                                 ("key", key_policy, "kms:Decrypt")):
        r = w["requests"][name]
        req = Request(principal_arn=w["principal"], principal_account=w["principal_account"],
                      principal_type=w["principal_type"], action=r["action"],
                      resource=r["resource"], has_permissions_boundary=w["permissions_boundary"],
                      context={k: tuple(v) for k, v in r["context"].items()},
                      absent=frozenset(r["absent"]))
        assert req.action == action
        decision = evaluate_policy(parse_policy(policy), req, PolicyKind.RESOURCE).decision
        assert decision.value == "ALLOWED", (name, req)


def test_org_condition_is_proven_to_keep_outsiders_out() -> None:
    p = prove(public({"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}))
    assert p.read.status == PROVEN_NONE, p.read
    assert not p.read.not_encoded


def test_org_paths_condition_is_proven_too() -> None:
    p = prove(public({"ForAnyValue:StringLike": {"aws:PrincipalOrgPaths": f"{ORG_ID}/*"}}))
    assert p.read.status == PROVEN_NONE, p.read


def test_source_ip_condition_has_a_witness_inside_the_range() -> None:
    policy = public({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    p = prove(policy)
    assert p.read.status == WITNESS, p.read
    ip = p.read.witness["requests"]["secret"]["context"]["aws:sourceip"][0]  # type: ignore[index]
    assert ip.startswith("203.0.113."), ip
    assert p.read.replay["secret"] == p.read.replay["key"] == "ALLOWED"
    _replay(p, policy, PUBLIC_KEY)


def test_principal_tag_and_time_conditions_get_a_concrete_witness() -> None:
    policy = public({"StringEquals": {"aws:PrincipalTag/team": "payments"},
                     "DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"},
                     "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/deploy-*"}})
    p = prove(policy)
    assert p.read.status == WITNESS, p.read
    w = p.read.witness
    assert w["principal_type"] == "role" and ":role/" in w["principal"]  # type: ignore[index]
    ctx = w["requests"]["secret"]["context"]  # type: ignore[index]
    assert ctx["aws:principaltag/team"] == ["payments"]
    _replay(p, policy, PUBLIC_KEY)


def test_a_key_that_does_not_trust_outsiders_proves_the_read_impossible() -> None:
    p = prove(public(), key_policy=key_policy_for(f"arn:aws:iam::{CENTRAL}:root"))
    assert p.read.status == PROVEN_NONE, p.read


def test_an_explicit_deny_outside_the_account_list_is_a_proof() -> None:
    zone = sorted(ZONE)
    policy = text({"Effect": "Allow", "Principal": "*", "Action": GSV, "Resource": "*"},
                  {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*",
                   "Condition": {"StringNotEquals": {"aws:PrincipalAccount": zone}}})
    assert prove(policy).read.status == PROVEN_NONE


def test_a_named_outside_account_is_the_witness() -> None:
    policy = text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:root"},
                   "Action": GSV, "Resource": "*"})
    p = prove(policy)
    assert p.read.status == WITNESS
    assert p.read.witness["principal_account"] == OUTSIDER  # type: ignore[index]
    _replay(p, policy, PUBLIC_KEY)


def test_aws_managed_key_and_no_policy_are_proofs_without_solving() -> None:
    assert prove(public(), kms_key_id=None).read.status == PROVEN_NONE
    assert prove(None).read.status == PROVEN_NONE


def test_an_rcp_that_keeps_outsiders_out_is_part_of_the_proof() -> None:
    full = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
    deny = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": ["secretsmanager:*", "kms:*"],
         "Resource": "*",
         "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}}}]})
    rcps = (ControlPolicy(policy_id="p-full", name="RCPFullAWSAccess",
                          policy_type="RESOURCE_CONTROL_POLICY", content=full,
                          targets=("r-root", CENTRAL)),
            ControlPolicy(policy_id="p-deny", name="outsiders", policy_type=
                          "RESOURCE_CONTROL_POLICY", content=deny, targets=("r-root",)))
    p = prove(public(), scps=rcps, management="999999999990")
    assert p.read.status == PROVEN_NONE, p.read


def test_a_part_that_is_not_encoded_is_unknown_never_a_guess() -> None:
    policy = public({"BinaryEquals": {"k:bin": "QmluYXJ5"}})
    p = prove(policy)
    assert p.read.status == UNKNOWN, p.read
    assert any("BinaryEquals" in n for n in p.read.not_encoded)


def test_outside_decrypt_of_the_key() -> None:
    p = prove(public({"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}))
    assert p.decrypt is not None
    assert p.decrypt.status == WITNESS, p.decrypt  # the key itself trusts "*" via SM
    ctx = p.decrypt.witness["requests"]["key"]["context"]  # type: ignore[index]
    assert ctx["kms:viaservice"] == [VIA]
    locked = prove(public(), key_policy=key_policy_for(f"arn:aws:iam::{CENTRAL}:root"))
    assert locked.decrypt is not None and locked.decrypt.status == PROVEN_NONE
    assert KEY_ARN == locked.key_arn


def test_a_question_out_of_time_is_unknown_with_the_reason() -> None:
    snap = estate(secret_policy=public({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                                        "ArnLike": {"aws:PrincipalArn":
                                                    "arn:aws:iam::*:role/a*b*c*"}}),
                  key_policy=PUBLIC_KEY)
    settings = AccessSettings.from_snapshot(snap)
    answer = Prover(build_graph(snap), snap, settings, timeout_s=0.001).secret(SECRET_ARN).read
    assert answer.status == UNKNOWN, answer
    assert "out of time" in answer.reason, answer.reason


def test_a_proof_is_shared_by_secrets_of_the_same_shape_a_witness_is_not() -> None:
    from dataclasses import replace as dc_replace

    org_only = public({"StringEquals": {"aws:PrincipalOrgID": ORG_ID}})
    snap = estate(secret_policy=org_only, key_policy=PUBLIC_KEY)
    central = next(a for a in snap.accounts if a.account_id == CENTRAL)
    region = central.regions[0]
    base = region.secrets[0]
    twin = dc_replace(base, arn=SECRET_ARN.replace("app/db", "app/twin"), name="app/twin")
    ip_only = public({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}})
    open1 = dc_replace(base, arn=SECRET_ARN.replace("app/db", "app/open1"), name="app/open1",
                       resource_policy=ip_only)
    open2 = dc_replace(base, arn=SECRET_ARN.replace("app/db", "app/open2"), name="app/open2",
                       resource_policy=ip_only)
    region = dc_replace(region, secrets=(base, twin, open1, open2))
    central = dc_replace(central, regions=(region,))
    snap = dc_replace(snap, accounts=tuple(central if a.account_id == CENTRAL else a
                                           for a in snap.accounts))
    prover = Prover(build_graph(snap), snap, AccessSettings.from_snapshot(snap), timeout_s=20)
    first = prover.secret(base.arn).read
    solved = prover.solved
    second = prover.secret(twin.arn).read
    assert first.status == second.status == PROVEN_NONE
    assert prover.solved == solved, "the twin's proof is the first secret's"
    assert second.subject == twin.arn and base.arn in second.reason
    w1, w2 = prover.secret(open1.arn).read, prover.secret(open2.arn).read
    assert w1.status == w2.status == WITNESS
    assert w2.witness["requests"]["secret"]["resource"] == open2.arn  # type: ignore[index]
    assert w2.witness["requests"]["key"]["context"][  # type: ignore[index]
        "kms:encryptioncontext:secretarn"] == [open2.arn]


def test_hostile_text_in_policies_never_crashes_the_prover() -> None:
    weird = "\u0000\u202e\U0001f600'\"<script>\\u{41}*?"
    policy = text({"Effect": "Allow", "Principal": "*", "Action": GSV, "Resource": "*",
                   "Condition": {"StringLike": {f"aws:PrincipalTag/{weird}": weird},
                                 "StringEqualsIgnoreCase": {"aws:SourceVpce": weird},
                                 "ArnLike": {"aws:SourceArn": f"arn:aws:{weird}:*"}}},
                  {"Effect": "Deny", "Principal": {"AWS": f"arn:aws:iam::{OUTSIDER}:role/{weird}"},
                   "Action": "*", "Resource": "*",
                   "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "1e400"}}})
    p = prove(policy)
    assert p.read.status in (PROVEN_NONE, WITNESS, UNKNOWN)
    assert p.read.reason


def test_backslashes_in_policies_are_literal_for_the_solver() -> None:
    """z3 reads \\u{..} escapes in string literals: a policy's backslash must stay one."""
    policy = public({"StringEquals": {"aws:PrincipalTag/team": "a\\u{41}"}})
    p = prove(policy)
    assert p.read.status == WITNESS, p.read
    ctx = p.read.witness["requests"]["secret"]["context"]  # type: ignore[index]
    assert ctx["aws:principaltag/team"] == ["a\\u{41}"]
    _replay(p, policy, PUBLIC_KEY)


def test_a_same_account_reader_is_proven_out_or_gets_its_exact_context() -> None:
    """Same account, no resource policy: the identity policy grants, the key policy trusts the
    account from 10.0.0.0/8 only -- the read's exact context is a source IP in that range (the
    identity side is encoded: a witness, replayed ALLOWED, no longer a candidate)."""
    from helpers.access_estate import CENTRAL_ROLE, allow_read_identity, role

    def reader(key_policy: str) -> Any:
        snap = estate(secret_policy=None, key_policy=key_policy,
                      principals=(role(CENTRAL_ROLE, allow_read_identity()),))
        settings = AccessSettings.from_snapshot(snap)
        from scanner.access import analyze_access

        graph = build_graph(snap)
        report = analyze_access(graph, snap, settings)
        sa = report.secrets[SECRET_ARN]
        [path] = [p for p in sa.paths if p.principal == CENTRAL_ROLE]
        assert path.decision == "CONDITIONAL", path
        [answer] = [a for a in Prover(graph, snap, settings, timeout_s=20).readers(snap, sa)
                    if a.subject.startswith(CENTRAL_ROLE)]
        return answer

    def key(*statements: dict[str, Any]) -> str:
        return text({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"},
                     "Action": "kms:*", "Resource": "*",
                     "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}, *statements)

    contradiction = reader(key({"Effect": "Deny", "Principal": "*", "Action": "kms:*",
                                "Resource": "*",
                                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}))
    assert contradiction.status == PROVEN_NONE, contradiction
    possible = reader(key())
    assert possible.status == WITNESS, possible
    assert possible.replay["decision"] == "ALLOWED"
    ip = possible.witness["requests"]["key"]["context"]["aws:sourceip"][0]  # type: ignore[index]
    assert ip.startswith("10."), ip


def test_an_rcp_reads_the_same_request_as_the_resource_policy() -> None:
    """The RCPs of the secret's account are evaluated on the GetSecretValue request itself: an
    RCP allowing only from 10.0.0.0/8 and a resource policy allowing only from
    203.0.113.0/24 leave no request -- a proof, not a candidate the replay rejects."""
    full = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
    perimeter = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*", "Resource": "*",
         "Condition": {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}}}]})
    rcps = (ControlPolicy(policy_id="p-full", name="RCPFullAWSAccess",
                          policy_type="RESOURCE_CONTROL_POLICY", content=full,
                          targets=("r-root", CENTRAL)),
            ControlPolicy(policy_id="p-ip", name="network-perimeter",
                          policy_type="RESOURCE_CONTROL_POLICY", content=perimeter,
                          targets=("r-root",)))
    p = prove(public({"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}), scps=rcps,
              management="999999999990")
    assert p.read.status == PROVEN_NONE, p.read
    assert not p.read.not_encoded


ONE_ROLE_ID = "AROAEXAMPLEID1234567"


def test_a_roles_unique_id_is_no_witness_for_a_random_accounts_role() -> None:
    """Conformance trial round 7 (u1): for aws:userid AROA<id>:* the solver answered WITNESS
    with a role of a random outside account and aws:userid "AROA<id>:" -- impossible, a
    role's aws:userid begins with its own unique id (IAM User Guide, global condition keys,
    aws:userid: "role-id:caller-specified-role-name"). Which account the role with that id
    is in, the snapshot does not hold: UNKNOWN, not WITNESS, not PROVEN_NONE."""
    p = prove(public({"StringLike": {"aws:userid": f"{ONE_ROLE_ID}:*"}}))
    assert p.read.status == UNKNOWN, p.read
    assert ONE_ROLE_ID in p.read.reason, p.read.reason


def test_a_session_named_alice_in_any_account_is_still_a_witness() -> None:
    """Conformance trial round 2 / round 7: ``*:alice`` lets in any account's session named
    alice; the witness's aws:userid is its role's id and that session name."""
    p = prove(public({"StringLike": {"aws:userid": "*:alice"}}))
    assert p.read.status == WITNESS, p.read
    ctx = p.read.witness["requests"]["secret"]["context"]  # type: ignore[index]
    assert ctx["aws:userid"][0].endswith(":alice")
    assert not ctx["aws:userid"][0].startswith(ONE_ROLE_ID)


def test_a_named_roles_read_that_needs_a_unique_id_is_unknown() -> None:
    """Conformance trial round 7 (u1): the named role's read under aws:userid AROA<id>:* is
    allowed exactly when the role's unique id is that id, which the snapshot does not hold:
    UNKNOWN naming the id, not a WITNESS that invents it."""
    snap = estate(secret_policy=public({"StringLike": {"aws:userid": f"{ONE_ROLE_ID}:*"}}),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    settings = AccessSettings.from_snapshot(snap)
    answer = Prover(build_graph(snap), snap, settings, timeout_s=20).principal(SECRET_ARN,
                                                                               APP_ROLE)
    assert answer.status == UNKNOWN, answer
    assert ONE_ROLE_ID in answer.reason, answer.reason
