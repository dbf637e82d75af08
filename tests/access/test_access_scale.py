"""Scale: principals are evaluated per equivalence class, an organization-wide grant is
reported per class (its breadth and the gate that stops it), and the result is the same as
evaluating every principal on its own."""

from __future__ import annotations

from dataclasses import replace

from helpers.access_estate import (
    CENTRAL,
    ORG_ID,
    REGION,
    SECRET_ARN,
    allow_read_identity,
    doc,
    estate,
    key_policy_for,
    role,
    secret_policy_for,
    text,
)

from scanner.access import AccessReport, AccessSettings, analyze_access
from scanner.access.identity import IdentityEvaluator, PrincipalIndex
from scanner.graph.builder import build_graph
from scanner.model import OrgAccount, Snapshot

MEMBERS = tuple(f"{300000000000 + i:012d}" for i in range(12))
ORG_STAR = {"Effect": "Allow", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
            "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}}
ORG_KEY = text({"Sid": "Root", "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}, "Action": "kms:*",
                "Resource": "*"},
               {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt", "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": ORG_ID}}})


def app(acct: str) -> str:
    return f"arn:aws:iam::{acct}:role/ApplicationRole"


def big_estate(secret_policy: str, key_policy: str, identity: dict[str, object]) -> Snapshot:
    return estate(secret_policy=secret_policy, key_policy=key_policy, members=MEMBERS,
                  principals=tuple(role(app(a), identity) for a in MEMBERS))


def _ops_and_app_estate() -> Snapshot:
    """Every third member has an OpsRole instead of its ApplicationRole (same documents); the
    org-wide grant is denied to any role not named Application*."""
    deny_others = {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                   "Resource": "*", "Condition": {"ArnNotLike": {
                       "aws:PrincipalArn": "arn:aws:iam::*:role/Application*"}}}
    principals = tuple(role(app(a) if i % 3 else f"arn:aws:iam::{a}:role/OpsRole",
                            allow_read_identity()) for i, a in enumerate(MEMBERS))
    return estate(secret_policy=text(ORG_STAR, deny_others), key_policy=ORG_KEY,
                  members=MEMBERS, principals=principals)


def run(snap: Snapshot, *, record_denied: bool = False) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings)


def test_org_wide_grant_blocked_by_the_key_is_one_class_naming_the_gate() -> None:
    # the key names one member's root: the other eleven members form one class
    snap = big_estate(text(ORG_STAR), key_policy_for(f"arn:aws:iam::{MEMBERS[0]}:root"),
                      allow_read_identity())
    sa = run(snap).for_secret(SECRET_ARN)
    assert sa is not None
    # that member's root user reads too: the key names its account whole
    assert {p.principal for p in sa.readers} == {app(MEMBERS[0]),
                                                 f"arn:aws:iam::{MEMBERS[0]}:root"}
    [cls] = sa.classes
    assert (cls.principals, cls.accounts, cls.decision) == (11, 11, "DENIED")
    assert cls.gates["key_policy"] == "DENIED" and cls.gates["resource_policy"] == "ALLOWED"
    # the identity names the central app/* secrets: intended, so each member is broken
    assert cls.broken_at == ("key_policy",) and cls.recorded
    assert {p.principal for p in sa.broken} == {app(a) for a in MEMBERS[1:]}


def test_org_wide_grant_and_org_wide_key_make_every_member_a_reader() -> None:
    sa = run(big_estate(text(ORG_STAR), ORG_KEY, allow_read_identity())).for_secret(SECRET_ARN)
    assert sa is not None
    assert {p.principal for p in sa.readers} == {app(a) for a in MEMBERS}
    assert sa.breadth.principals == 12 and sa.breadth.accounts == 12
    assert sa.breadth.organization_wide and not sa.breadth.public
    assert [(c.decision, c.principals) for c in sa.classes] == [("ALLOWED", 12)]


def test_closed_policy_has_no_classes() -> None:
    sa = run(big_estate(secret_policy_for(app(MEMBERS[0])), ORG_KEY,
                        allow_read_identity())).for_secret(SECRET_ARN)
    assert sa is not None and sa.classes == ()


def test_account_wildcard_identity_pattern_is_not_intended_access() -> None:
    # the resource policy names only MEMBERS[0]; the others' identity grants app/* in every
    # account: they are not meant to read this secret, so nothing is broken for them
    wildcard = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                    "Resource": "arn:aws:secretsmanager:*:*:secret:app/*"},
                   {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})
    sa = run(big_estate(secret_policy_for(app(MEMBERS[0])), ORG_KEY,
                        wildcard)).for_secret(SECRET_ARN)
    assert sa is not None
    assert {p.principal for p in sa.readers} == {app(MEMBERS[0])}
    assert sa.broken == ()
    # naming the central account's app/db secret is meant: every other member is broken
    exact = allow_read_identity(f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/db-??????")
    named = run(big_estate(secret_policy_for(app(MEMBERS[0])), ORG_KEY,
                           exact)).for_secret(SECRET_ARN)
    assert named is not None
    assert {p.principal for p in named.broken} == {app(a) for a in MEMBERS[1:]}
    assert {g for p in named.broken for g in p.broken_at} == {"resource_policy"}


def _without_ou_paths(snap: Snapshot) -> Snapshot:
    org = snap.organization
    assert org is not None
    accounts = tuple(OrgAccount(account_id=a.account_id) for a in org.accounts)
    # SCPs read (none attached in the data) and enabled: the unknown paths are what is
    # not assessed
    return replace(snap, organization=replace(org, accounts=accounts, policies_read=True,
                                              policy_types_enabled=("SERVICE_CONTROL_POLICY",)))


def _recorded(report: AccessReport) -> dict[tuple[str, str], tuple[object, ...]]:
    return {(p.principal, arn): (p.decision, p.gate_statuses(), p.conditions,
                                         p.reasons, p.intended, p.broken_at, p.in_zone)
            for arn, p in report.secret_paths() if p.decision != "DENIED" or p.broken_at}


def test_class_evaluation_equals_evaluating_every_principal() -> None:
    mixed = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                 "Resource": f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:*"},
                {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"})
    deny_vpce = {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue",
                 "Resource": "*", "Condition": {"StringNotEquals": {
                     "aws:SourceVpce": "vpce-0123456789abcdef0"}}}
    named = {"Effect": "Allow", "Principal": {"AWS": [app(MEMBERS[3])]},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    # a condition on the kms:Decrypt statement only: the read's identity answer is shared by
    # the group, the decrypt's is per principal
    via_service = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                       "Resource": f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:*"},
                      {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                       "Condition": {"StringEquals": {
                           "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com",
                           "aws:PrincipalTag/team": "app"}}})
    cases = [
        big_estate(text(ORG_STAR), key_policy_for(f"arn:aws:iam::{MEMBERS[0]}:root"),
                   allow_read_identity()),
        # a Deny on aws:PrincipalArn that some members' roles match: the ARN's view (which
        # patterns it matches), not the ARN, tells the classes apart
        _ops_and_app_estate(),
        estate(secret_policy=text(ORG_STAR), key_policy=ORG_KEY, members=MEMBERS,
               principals=tuple(replace(role(app(a), via_service),
                                        tags={"team": "app"} if i % 2 else {})
                                for i, a in enumerate(MEMBERS))),
        big_estate(text(ORG_STAR, named), ORG_KEY, mixed),
        big_estate(text(ORG_STAR, deny_vpce), ORG_KEY, allow_read_identity()),
        _without_ou_paths(big_estate(text(ORG_STAR), ORG_KEY, allow_read_identity())),
        big_estate(text({**ORG_STAR, "Principal": {"AWS": "*"}}),
                   key_policy_for(app(MEMBERS[5])), mixed),
    ]
    for snap in cases:
        fast, every = run(snap), run(snap, record_denied=True)
        assert _recorded(fast), "the case records something"
        assert _recorded(fast) == _recorded(every)


def test_accounts_with_unknown_ou_paths_share_one_class() -> None:
    snap = _without_ou_paths(big_estate(text(ORG_STAR), ORG_KEY, allow_read_identity()))
    sa = run(snap).for_secret(SECRET_ARN)
    assert sa is not None
    [cls] = sa.classes
    assert cls.principals == 12 and cls.decision == "CONDITIONAL"
    assert cls.gates["scp"] == "UNKNOWN"  # not read: not a condition of the request
    assert all("SCP path unknown" in p.conditions for p in sa.conditional_readers)


def test_conditions_of_a_statement_for_another_action_do_not_split_the_identity_answer() -> None:
    # the demo's member roles: a read statement without conditions, a decrypt statement with
    # kms:ViaService. The read's identity answer is shared by every principal with these
    # documents (one fingerprint); the decrypt's reads the context.
    identity = doc({"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                    "Resource": f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/*"},
                   {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*",
                    "Condition": {"StringEquals": {
                        "kms:ViaService": f"secretsmanager.{REGION}.amazonaws.com"}}},
                   {"Effect": "Deny", "NotAction": "s3:*", "Resource": "*",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}})
    snap = big_estate(text(ORG_STAR), ORG_KEY, identity)
    p = PrincipalIndex(snap).by_arn[app(MEMBERS[0])]
    ev = IdentityEvaluator()
    # the Deny's NotAction covers both actions: its key counts for both
    assert ev.condition_keys(p, "secretsmanager:GetSecretValue") == {
        "aws:multifactorauthpresent"}
    assert ev.condition_keys(p, "kms:Decrypt") == {"kms:viaservice",
                                                   "aws:multifactorauthpresent"}
    assert ev.condition_keys(p, "s3:GetObject") == frozenset()
    assert ev.patterns(p, "s3:GetObject") == ()
    assert ev.patterns(p, "secretsmanager:GetSecretValue") is None  # the Deny reads MFA
    no_deny = doc(*identity["Statement"][:2])
    q = PrincipalIndex(big_estate(text(ORG_STAR), ORG_KEY, no_deny)).by_arn[app(MEMBERS[0])]
    ev = IdentityEvaluator()  # signatures are numbered per index: one evaluator per index
    assert ev.condition_keys(q, "secretsmanager:GetSecretValue") == frozenset()
    assert ev.patterns(q, "secretsmanager:GetSecretValue") == (
        f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/*",)
    assert ev.patterns(q, "kms:Decrypt") is None


def test_a_condition_on_the_principal_arn_splits_members_by_what_it_matches_not_by_arn() -> None:
    sa = run(_ops_and_app_estate()).for_secret(SECRET_ARN)
    assert sa is not None
    # eight ApplicationRoles (one class), four OpsRoles (another): two classes, not twelve
    assert sorted((c.decision, c.principals) for c in sa.classes) == [
        ("ALLOWED", 8), ("DENIED", 4)]
    assert {p.principal for p in sa.readers} == {app(a) for i, a in enumerate(MEMBERS) if i % 3}


def test_outside_account_probe_is_keyed_by_the_patterns_it_matches() -> None:
    """Intent's probe "does the identity grant this secret's name in another account?"
    (``PairEvaluator._names_any_account``) is cached by which Resource patterns the probe ARN
    matches, for documents whose statements for the action read no condition keys: its
    answers equal evaluating each secret's probe on its own, with one cache entry per
    fingerprint instead of one per secret."""
    from scanner.access.analyze import make_evaluator
    from scanner.access.graph_io import secret_views
    from scanner.access.settings import OUTSIDER_ACCOUNT
    from scanner.model import Secret
    from scanner.policy.request import Request
    from scanner.policy.tri import Tri

    read = "secretsmanager:GetSecretValue"
    identities = {
        "AnyAccount": {"Resource": "arn:aws:secretsmanager:*:*:secret:app/*"},
        "Central": {"Resource": f"arn:aws:secretsmanager:*:{CENTRAL}:secret:app/*"},
        "Everything": {"Resource": "*"},
        "NotDb": {"NotResource": "arn:aws:secretsmanager:*:*:secret:db/*"},
        "Tagged": {"Resource": "arn:aws:secretsmanager:*:*:secret:app/*",
                   "Condition": {"StringEquals": {"aws:ResourceTag/team": "a"}}},
    }
    member = MEMBERS[0]
    snap = estate(secret_policy=None, members=(member,), principals=tuple(
        role(f"arn:aws:iam::{member}:role/{name}", doc(dict(st, Effect="Allow", Action=read)))
        for name, st in identities.items()))
    names = ("app/a", "app/b", "db/c", "other")
    central = snap.accounts[0]
    region = replace(central.regions[0], secrets=tuple(
        Secret(arn=f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:{n}-Ab12Cd", name=n,
               account_id=CENTRAL, region=REGION) for n in names))
    snap = replace(snap, accounts=(replace(central, regions=(region,)),) + snap.accounts[1:])
    settings = AccessSettings.from_snapshot(snap)
    views, _ = secret_views(build_graph(snap), settings)
    ev = make_evaluator(snap, settings, views)

    answers: dict[str, list[bool]] = {}
    for name in identities:
        p = ev.index.by_arn[f"arn:aws:iam::{member}:role/{name}"]
        got = [ev.pairs._names_any_account(p, sv) for sv in views]
        expected = []
        for sv in views:
            probe = sv.arn.replace(f":{CENTRAL}:", f":{OUTSIDER_ACCOUNT}:")
            req = Request(principal_arn=p.arn, principal_account=p.account_id, action=read,
                          resource=probe, principal_type="role")
            fresh = IdentityEvaluator().evaluate(p, read, probe, lambda: req, scope="probe")
            expected.append(fresh.allow is Tri.FALSE)
        assert got == expected, name
        answers[name] = got
    # app/a, app/b, db/c, other: True = the identity singles out this account's secret
    assert answers == {
        "AnyAccount": [False, False, True, True],
        "Central": [True, True, True, True],
        "Everything": [False, False, False, False],
        "NotDb": [False, False, True, False],
        "Tagged": [False, False, True, True],
    }
    everything = ev.index.by_arn[f"arn:aws:iam::{member}:role/Everything"]
    assert len([k for k in ev.pairs._probe
                if k[0] == everything.signature and k[1] == "other-account"]) == 1


def test_grants_are_shared_by_secrets_matching_the_same_resource_patterns() -> None:
    """Secrets with one resource policy document share its grants when their ARNs match the
    same of its Resource patterns; an org-wide statement scoped to one secret's ARN makes
    that secret's grant organization-wide and leaves the other's restricted, as evaluating
    each secret's grants on its own says."""
    from scanner.access.analyze import make_evaluator
    from scanner.access.grants import policy_grants
    from scanner.access.graph_io import secret_views
    from scanner.model import Secret

    scoped = dict(ORG_STAR, Resource=f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:app/a-*")
    policy = text(scoped)
    snap = estate(secret_policy=None, members=MEMBERS[:2])
    central = snap.accounts[0]
    region = replace(central.regions[0], secrets=tuple(
        Secret(arn=f"arn:aws:secretsmanager:{REGION}:{CENTRAL}:secret:{n}-Ab12Cd", name=n,
               account_id=CENTRAL, region=REGION, resource_policy=policy)
        for n in ("app/a", "app/b", "app/a-2")))
    snap = replace(snap, accounts=(replace(central, regions=(region,)),) + snap.accounts[1:])
    settings = AccessSettings.from_snapshot(snap)
    views, _ = secret_views(build_graph(snap), settings)
    ev = make_evaluator(snap, settings, views)
    got = [ev.secret_access(sv).grants for sv in views]
    assert got == [tuple(policy_grants(sv.policy, source="resource_policy",
                                       action=settings.action, resource=sv.arn,
                                       settings=settings, extra_context={}))
                   for sv in views]
    assert [[g.scope for g in grants] for grants in got] == [
        ["organization"], ["restricted"], ["organization"]]
    assert got[0] is got[2]  # one answer for the two secrets app/a-* matches
