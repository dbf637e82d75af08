"""The access analysis judges each rotated secret's rotation-function role as a reader
(scanner.access.rotation): the same verdict the role gets as any reader, its own account's IAM
unread leaves only its identity gate unknown, and one read that cannot be evaluated is data
(UNKNOWN for that secret), not a failed scan."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers.rule_fixture import load_fixture

from scanner.access import AccessSettings, analyze_access
from scanner.access import analyze as analyze_module
from scanner.access.pair_eval import PairEvaluator
from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.loader import Ruleset
from scanner.graph.builder import build_graph
from scanner.model import Snapshot

RULE = "secret-rotation-role-cannot-read"
FX = load_fixture(RULE)
A, M = "111111111111", "222222222222"


def secret(name: str) -> str:
    return f"arn:aws:secretsmanager:us-east-1:{A}:secret:{name}-AbCdEf"


def analysis(snapshot: Snapshot = FX.snapshot):  # type: ignore[no-untyped-def]
    graph = build_graph(snapshot)
    return graph, analyze_access(graph, snapshot, AccessSettings.from_snapshot(snapshot))


def test_only_rotated_secrets_with_a_known_function_are_judged() -> None:
    _, report = analysis()
    assert set(report.rotation) == {secret(n) for n in (
        "reads", "key-closed", "denied-by-role", "role-gone", "member-function",
        "member-function-not-granted", "key-disabled", "untrusted-role")}
    # rotation off, or a function the snapshot does not hold: no read to judge
    assert secret("not-rotated") not in report.rotation
    assert secret("function-gone") not in report.rotation


def test_the_role_read_is_the_verdict_it_gets_as_a_reader() -> None:
    """The member role is named by member-function's resource policy, so the analysis records
    its path among the secret's readers: the rotation read is that verdict, gate by gate."""
    _, report = analysis()
    read = report.rotation[secret("member-function")]
    recorded = [p for p in report.secrets[secret("member-function")].paths
                if p.principal == read.role_arn]
    assert len(recorded) == 1
    assert read.path is not None
    assert read.path.decision == recorded[0].decision
    assert dict(read.path.gates) == dict(recorded[0].gates)


def test_a_role_of_an_account_whose_iam_was_not_read_has_only_its_identity_unknown() -> None:
    _, report = analysis()
    granted = report.rotation[secret("member-function")].path
    assert granted is not None
    assert {g: v.status for g, v in granted.gates.items()} == {
        "resource_policy": "ALLOWED", "key_policy": "ALLOWED",
        "identity_policy": "UNKNOWN", "scp": "ALLOWED"}
    not_granted = report.rotation[secret("member-function-not-granted")]
    assert not_granted.path is not None and not_granted.path.decision == "DENIED"
    assert "resource_policy" in not_granted.blocking


def test_a_role_its_account_does_not_hold_is_missing_not_unknown() -> None:
    _, report = analysis()
    read = report.rotation[secret("role-gone")]
    assert read.role_missing and read.path is None and not read.missing


def test_a_role_whose_trust_policy_lets_lambda_in_is_trusted_and_one_that_does_not_is_not(
        ) -> None:
    """Lambda assumes the execution role as the service principal lambda.amazonaws.com: a
    trust policy naming only ec2.amazonaws.com leaves the function without credentials, a
    statement conditioned on what the snapshot cannot know is not held against it."""
    _, report = analysis()
    untrusted = report.rotation[secret("untrusted-role")]
    assert "its trust policy does not let lambda.amazonaws.com sts:AssumeRole it" \
        in untrusted.untrusted
    assert report.rotation[secret("reads")].untrusted == ""
    accounts = list(FX.snapshot.accounts)
    iam = accounts[0].iam
    assert iam is not None
    conditioned = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": A}}}]}
    principals = tuple(replace(p, trust_policy=conditioned) if p.name == "ec2-only" else
                       replace(p, trust_policy=None) if p.name == "rotator" else p
                       for p in iam.principals)
    accounts[0] = replace(accounts[0], iam=replace(iam, principals=principals))
    _, again = analysis(replace(FX.snapshot, accounts=tuple(accounts)))
    assert again.rotation[secret("untrusted-role")].untrusted == ""
    # not collected: not known
    assert again.rotation[secret("reads")].trust_unread


@pytest.mark.parametrize("trust_policy", [
    # what the IAM collector keeps of an AssumeRolePolicyDocument that is not JSON
    # (collectors.base.policy_document: a document cut short)
    {"_raw": '{"Version": "2012-10-17", "Statem'},
    {"Version": "2012-10-17"},  # no Statement
    {"Version": "2012-10-17", "Statement": [{  # an Effect IAM does not know
        "Effect": "Alow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]},
], ids=["not-json", "no-statement", "bad-effect"])
def test_a_trust_policy_that_cannot_be_parsed_leaves_the_read_unknown_not_allowed(
        trust_policy: dict[str, object]) -> None:
    """Whether Lambda may assume a role whose trust policy cannot be parsed is not known: the
    rule answers UNKNOWN, naming the policy and why, never PASS (it was ALLOWED, fault-injection
    trial round 24)."""
    accounts = list(FX.snapshot.accounts)
    iam = accounts[0].iam
    assert iam is not None
    principals = tuple(replace(p, trust_policy=trust_policy) if p.name == "rotator" else p
                       for p in iam.principals)
    accounts[0] = replace(accounts[0], iam=replace(iam, principals=principals))
    snapshot = replace(FX.snapshot, accounts=tuple(accounts))
    graph, report = analysis(snapshot)
    read = report.rotation[secret("reads")]
    assert read.decision == "UNKNOWN"
    assert read.untrusted == ""
    assert "could not be parsed" in read.trust_unread
    findings = evaluate(graph, snapshot, report, Ruleset(rules=(load_ruleset().get(RULE),)),
                        parse_config({"emit_pass": True}, path="test"), FX.now)
    found = {f.resource.arn: f for f in findings}[secret("reads")]
    assert found.status.value == "UNKNOWN"
    assert any(f"the trust policy of arn:aws:iam::{A}:role/rotator (could not be parsed"
               in m for m in found.missing)


def test_a_secret_scheduled_for_deletion_is_not_judged() -> None:
    accounts = list(FX.snapshot.accounts)
    region = accounts[0].regions[0]
    secrets = tuple(replace(s, deleted_date="2026-11-28T00:00:00Z") if s.arn == secret("key-closed")
                    else s for s in region.secrets)
    accounts[0] = replace(accounts[0], regions=(replace(region, secrets=secrets),))
    _, report = analysis(replace(FX.snapshot, accounts=tuple(accounts)))
    assert secret("key-closed") not in report.rotation
    assert secret("reads") in report.rotation


def test_a_read_that_raises_is_unknown_for_that_secret_alone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    original, reads = PairEvaluator.verdict, analyze_module.rotation_reads
    judging: list[bool] = []

    def verdict(self, p, sv):  # type: ignore[no-untyped-def]
        if judging and sv.arn == secret("key-closed"):
            raise KeyError("boom")
        return original(self, p, sv)

    def rotation_reads(*args):  # type: ignore[no-untyped-def]
        judging.append(True)  # the secrets' own analysis is done: only the rotation reads raise
        return reads(*args)

    monkeypatch.setattr(PairEvaluator, "verdict", verdict)
    monkeypatch.setattr(analyze_module, "rotation_reads", rotation_reads)
    graph, report = analysis()
    read = report.rotation[secret("key-closed")]
    assert read.path is None and "failed: KeyError: 'boom'" in read.missing
    findings = evaluate(graph, FX.snapshot, report, Ruleset(rules=(load_ruleset().get(RULE),)),
                        parse_config({"emit_pass": True}, path="test"), FX.now)
    status = {f.resource.arn: f.status.value for f in findings}
    assert status[secret("key-closed")] == "UNKNOWN"
    assert status[secret("denied-by-role")] == "FAIL"  # the others still judged


def test_access_shows_how_the_rotation_role_reads_each_secret() -> None:
    """`secretgraph access --secret` says what secret-rotation-role-cannot-read decided, in the
    words of its table (and its JSON): the function, its role and the decision."""
    import json

    from scanner.commands._access_render import render_json, render_table

    _, report = analysis()
    secrets = [report.secrets[secret(n)] for n in ("key-closed", "reads", "role-gone",
                                                   "member-function", "not-rotated")]
    text = render_table(secrets, None, why=False, rotation=report.rotation)
    rotate = f"arn:aws:lambda:us-east-1:{A}:function:rotate"
    assert (f"rotation: {rotate} as arn:aws:iam::{A}:role/rotator -> DENIED, blocked by "
            "key_policy") in text
    assert f"rotation: {rotate} as arn:aws:iam::{A}:role/rotator -> ALLOWED" in text
    assert "role/deleted-role -> DENIED (the role does not exist" in text
    assert text.count("rotation: ") == 4  # not-rotated has none
    data = {s["secret_arn"]: s for s in json.loads(
        render_json(secrets, None, rotation=report.rotation))["secrets"]}
    assert data[secret("key-closed")]["rotation"]["decision"] == "DENIED"
    assert data[secret("key-closed")]["rotation"]["blocking"] == ["key_policy"]
    assert data[secret("member-function")]["rotation"]["path"]["gates"]["identity_policy"][
        "status"] == "UNKNOWN"
    assert "rotation" not in data[secret("not-rotated")]
    # asked about another principal: its rows only
    other = render_table(secrets, frozenset({f"arn:aws:iam::{A}:role/KeyAdmin"}), why=False,
                         rotation=report.rotation)
    assert "rotation: " not in other
