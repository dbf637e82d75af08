"""Issue 15, use: the exposure rules take the solver's answer where the evaluator cannot decide.

Each rule has a fixture folder tests/rules/<rule_id>/prove/ (config ``prove: true``) whose
resources all FAIL without the solver (the statements match the rule's concept; but a grant the
policy takes back with an explicit Deny, which PASSes either way) and split into
FAIL-with-witness and PASS-with-proof with it.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from helpers.rule_fixture import FIXTURES, STATUSES, load_fixture

from scanner.engine import evaluate, load_ruleset, parse_config
from scanner.engine.context import GraphIndex, RuleContext
from scanner.engine.loader import Ruleset
from scanner.engine.predicates import PREDICATES
from scanner.engine.runner import is_rule_error
from scanner.errors import UsageError
from scanner.findings import Finding
from scanner.graph.builder import build_graph
from scanner.pipeline import ScanOptions, load_inputs
from scanner.policy.smt import questions, use

RULESET = load_ruleset()
PROVE_RULES = ("secret-policy-public", "kms-key-policy-public", "secret-policy-external-account")
SHOW = {"kms-key-policy-public": "key"}


def run(rule_id: str, *, prove: bool = True, folder: str = "prove") -> tuple[
        list[Finding], dict[str, set[str]]]:
    fx = load_fixture(f"{rule_id}/{folder}")
    rule = RULESET.get(rule_id)
    assert rule is not None
    # a generous solver time (a fixture's own prove_timeout wins): on a loaded machine the
    # default 10 s can run out, and a timeout is a different (UNKNOWN) answer
    config = parse_config({"prove_timeout": 120, **(fx.config or {}), "prove": prove,
                           "emit_pass": True},
                          path=f"tests/rules/{rule_id}/{folder}/expected.yaml")
    findings = evaluate(build_graph(fx.snapshot), fx.snapshot, None, Ruleset(rules=(rule,)),
                        config, fx.now)
    return findings, fx.expected


def proofs_of(f: Finding) -> dict[str, Any]:
    proof = f.evidence.get("proof")
    assert isinstance(proof, dict), f"{f.resource.arn}: no proof in the evidence"
    return proof


def test_every_prove_rule_has_a_prove_fixture_folder() -> None:
    for rule_id in PROVE_RULES:
        assert (FIXTURES / rule_id / "prove" / "snapshot.json").exists(), rule_id


@pytest.mark.parametrize("rule_id", PROVE_RULES)
def test_the_solver_decides_what_the_evaluator_cannot(rule_id: str) -> None:
    findings, expected = run(rule_id)
    got = {s: {f.resource.arn for f in findings if f.status.value == s} for s in STATUSES}
    assert got == expected
    assert expected["FAIL"] and expected["PASS"], "the fixture shows both outcomes"
    by_solver = 0
    for f in findings:
        if f.status.value != "FAIL":
            continue
        proof = proofs_of(f)
        assert proof["status"] == questions.WITNESS, (f.resource.arn, proof)
        witness = proof["witness"]
        assert witness["principal_account"] and witness["principal"]
        request = witness["request"]
        assert request["resource"] == f.resource.arn
        assert all(v != "DENIED" for v in proof["replay"].values()), \
            "the witness replays ALLOWED through the evaluator"
        if proof["decided_by"] == "solver":
            by_solver += 1
            assert proof["evaluator"] in ("CONDITIONAL", "DENIED"), proof
            assert "solver: WITNESS" in f.message
            # the witness names the request values the conditions looked at
            assert request["context"] or request["absent"], proof
        else:
            assert proof["evaluator"] == "ALLOWED"
    assert by_solver >= 2


def _taken_back(rule_id: str, arns: set[str]) -> set[str]:
    """The PASSes whose grant the policy's own explicit Deny takes back for certain
    (scanner.policy.exposure.taken_back): decided without the solver, with --prove or not."""
    return {a for a in arns if "taken_back" in _predicate_result(rule_id, a).evidence}


@pytest.mark.parametrize("rule_id", PROVE_RULES)
def test_without_prove_the_same_resources_all_fail_as_before(rule_id: str) -> None:
    """Every resource FAILs without the solver -- but a grant the policy takes back with an
    explicit Deny that applies for certain, which PASSes with --prove and without alike
    (ground-truth organization trial round 8: partner/denied FAILed without --prove only)."""
    findings, expected = run(rule_id, prove=False)
    failing = {f.resource.arn for f in findings if f.status.value == "FAIL"}
    assert failing == (expected["FAIL"] | expected["PASS"]) - _taken_back(rule_id,
                                                                           expected["PASS"])
    assert not any("proof" in f.evidence for f in findings)


def _predicate_result(rule_id: str, arn: str) -> Any:
    """The predicate's own Result for one resource (PASS findings carry no evidence: the
    proof of a PASS is in the Result)."""
    fx = load_fixture(f"{rule_id}/prove")
    rule = RULESET.get(rule_id)
    assert rule is not None
    graph = build_graph(fx.snapshot)
    config = parse_config({**(fx.config or {})}, path="prove")
    ctx = RuleContext(graph=graph, snapshot=fx.snapshot, access=None, config=config,
                      now=fx.now, index=GraphIndex(graph, fx.snapshot), params={}, cache={})
    fail = rule.fail_when
    spec = PREDICATES[fail["predicate"]]
    args = {k: (v if not isinstance(v, dict) else []) for k, v in
            (fail.get("args") or {}).items()}
    return spec.fn(ctx, arn, graph.nodes[arn], args)


@pytest.mark.parametrize("rule_id", PROVE_RULES)
def test_a_pass_carries_the_proof(rule_id: str) -> None:
    """A PASS carries the solver's proof, or (a grant the policy takes back: decided before
    the solver is asked, ground-truth organization trial round 8) names the Deny -- or the
    grant's own condition that never holds for the grantee (IAM conformance trial round 13:
    vendor-org-paths, our organization's paths on a role of an account outside it)."""
    expected = load_fixture(f"{rule_id}/prove").expected
    for arn in expected["PASS"]:
        result = _predicate_result(rule_id, arn)
        assert result.outcome == 0, arn  # FALSE
        if "taken_back" in result.evidence:
            assert all("takes it back (explicit Deny)" in t or "never holds for" in t
                       for _, t in result.facts), arn
            continue
        proofs = [result.evidence["proof"]] if "proof" in result.evidence else \
            list(result.evidence["proofs"].values())
        assert proofs and all(p["status"] == questions.PROVEN_NONE and
                              p["decided_by"] == "solver" for p in proofs), (arn, proofs)
        assert "(proven)" in result.facts[0][1]


def test_answers_are_memoized_by_policy_shape() -> None:
    fx = load_fixture("secret-policy-public/prove")
    graph = build_graph(fx.snapshot)
    from scanner.access import AccessSettings

    prover = use.RuleProver(graph, fx.snapshot, AccessSettings.from_snapshot(fx.snapshot))
    arns = sorted(fx.expected["FAIL"])
    first, second = arns[0], arns[1]
    policy = prover.view(first).policy  # type: ignore[union-attr]
    assert policy is not None
    a = prover.secret_policy(first, policy, [0])
    b = prover.secret_policy(second, policy, [0])  # the same statements asked of another
    assert (prover.solved, prover.reused) == (1, 1)
    assert a.answer is b.answer and b.shared_with == first
    assert b.evidence(second, "secret")["witness"]["request"]["resource"] == second
    assert b.evidence(second, "secret")["same_shape_as"] == first


def test_a_solver_timeout_keeps_the_rules_fail_with_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def out_of_time(sv: Any, *args: Any, **kwargs: Any) -> questions.Answer:
        return questions.Answer(question="outside-read", subject=sv.arn,
                                status=questions.UNKNOWN,
                                reason="solver: out of time (10s per question: --prove-timeout)")

    monkeypatch.setattr(use, "outside_read", out_of_time)
    findings, expected = run("secret-policy-public")
    # a public grant the policy takes back from every outside caller PASSes before the solver
    # is asked (IAM conformance trial round 12: it FAILed without --prove only)
    assert {f.resource.arn for f in findings if f.status.value == "FAIL"} == \
        (expected["FAIL"] | expected["PASS"]) - _taken_back("secret-policy-public",
                                                            expected["PASS"])
    conditional = [f for f in findings if f.status.value == "FAIL"
                   and proofs_of(f)["evaluator"] != "ALLOWED"]
    assert conditional
    for f in conditional:
        proof = proofs_of(f)
        assert proof["status"] == questions.UNKNOWN and proof["decided_by"] == "none"
        assert "out of time" in proof["reason"] and "solver: UNKNOWN" in f.message


def test_a_disagreement_is_a_rule_error_naming_both_answers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    def proven_none(sv: Any, *args: Any, **kwargs: Any) -> questions.Answer:
        return questions.Answer(question="outside-read", subject=sv.arn,
                                status=questions.PROVEN_NONE, reason="no request (unsat)")

    monkeypatch.setattr(use, "outside_read", proven_none)  # a wrong solver, for the test
    findings, _ = run("secret-policy-public")
    errors = [f for f in findings if is_rule_error(f)]
    assert len(errors) == 1
    assert "evaluator says ALLOWED" in errors[0].message and "PROVEN_NONE" in errors[0].message
    plain = "arn:aws:secretsmanager:us-east-1:111111111111:secret:plain-AbCdEf"
    assert plain not in {f.resource.arn for f in findings if f.status.value in ("FAIL", "PASS")}


def test_prove_without_z3_is_one_clear_line_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "z3", None)  # import z3 -> ImportError
    with pytest.raises(UsageError) as err:
        load_inputs(ScanOptions(prove=True))
    assert err.value.exit_code == 2
    assert "secretgraph[prove]" in str(err.value) and "\n" not in str(err.value)
    load_inputs(ScanOptions())  # off: z3 is never asked for


def test_scan_prove_flag_and_config_turn_it_on(tmp_path: Any) -> None:
    cfg = tmp_path / "secretgraph.yaml"
    cfg.write_text("prove: true\nprove_timeout: 3\n", encoding="utf-8")
    on = load_inputs(ScanOptions(config_path=cfg)).config
    assert on.prove and on.prove_timeout == 3
    flag = load_inputs(ScanOptions(prove=True, prove_timeout=2.5)).config
    assert flag.prove and flag.prove_timeout == 2.5
    assert not load_inputs(ScanOptions()).config.prove


def test_scan_cli_prove_runs_the_solver_on_a_snapshot(tmp_path: Any) -> None:
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    fx = load_fixture("secret-policy-public/prove")
    path = tmp_path / "snapshot.json.gz"
    write_snapshot(path, fx.snapshot)
    out = tmp_path / "out"
    code = main(["scan", "--snapshot", str(path), "--out", str(out), "--prove",
                 "--rules", "secret-policy-public", "--format", "json", "--quiet"])
    assert code == 1  # CRITICAL findings
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    failing = {f["resource"]["arn"] for f in doc["findings"] if f["status"] == "FAIL"}
    assert failing == fx.expected["FAIL"]
    assert all(f["evidence"]["proof"]["status"] == "WITNESS" for f in doc["findings"]
               if f["status"] == "FAIL")


def test_solver_and_evaluator_agree_on_the_prove_fixtures() -> None:
    """The cross-check of test_rule_fixtures_prove, on these folders too."""
    from helpers.prove_crosscheck import cross_check

    compared, failures = 0, []
    for rule_id in ("secret-policy-public", "secret-policy-external-account"):
        n, bad = cross_check(load_fixture(f"{rule_id}/prove").snapshot, rule_id)
        compared += n
        failures += bad
    assert not failures, "\n".join(failures)
    assert compared >= 10, compared


def test_scan_prove_without_z3_exits_2_with_one_line(tmp_path: Any, capsys: Any,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    path = tmp_path / "snapshot.json.gz"
    write_snapshot(path, load_fixture("secret-policy-public/prove").snapshot)
    monkeypatch.setitem(sys.modules, "z3", None)
    assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "out"), "--prove",
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "secretgraph[prove]" in err[0]
    assert not (tmp_path / "out" / "findings.json").exists()


def test_the_same_inputs_give_the_same_findings_with_prove() -> None:
    first, _ = run("secret-policy-external-account")
    again, _ = run("secret-policy-external-account")
    assert [f.to_json() for f in first] == [f.to_json() for f in again]


def test_a_proof_shared_between_secrets_sees_the_rcps_resource() -> None:
    """Access ground-truth trial: two secrets with the same external grant, one under an RCP
    scoped to secret:rcp/* that shuts outsiders out. The proof memo ignored the RCPs' Resource:
    the blocked secret's PROVEN_NONE was reused for its twin, the evaluator's ALLOWED
    contradicted it, and the rule lost both findings to a rule error. Since ground-truth trial
    round 12 the rule's question asks no RCP (another gate: the grant is reported even when it
    blocks), so both secrets FAIL, on the evaluator's ALLOWED, and no rule error."""
    from dataclasses import replace

    from helpers.access_estate import CENTRAL, MEMBER, MEMBER2, ORG_ID, SECRET_ARN, estate, text
    from scanner.model import ControlPolicy

    def policy(pid: str, kind: str, doc: dict[str, Any], *targets: str) -> ControlPolicy:
        return ControlPolicy(policy_id=pid, name=pid, policy_type=kind, content=text(doc),
                             targets=targets)

    everything = {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}
    scps = (policy("p-full", "SERVICE_CONTROL_POLICY",
                   {"Effect": "Allow", "Action": "*", "Resource": "*"}, "r-root"),
            policy("p-rcp-full", "RESOURCE_CONTROL_POLICY", everything, "r-root",
                   CENTRAL, MEMBER, MEMBER2),
            policy("p-rcp-guard", "RESOURCE_CONTROL_POLICY", {
                "Effect": "Deny", "Principal": "*", "Action": "secretsmanager:*",
                "Resource": "arn:aws:secretsmanager:*:*:secret:rcp/*",
                "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}}},
                "r-root"))
    vendor = "arn:aws:iam::999999999999:role/vendor"
    grant = text({"Effect": "Allow", "Principal": {"AWS": vendor},
                  "Action": "secretsmanager:GetSecretValue", "Resource": "*"})
    snap = estate(secret_policy=grant, management="444444444444", scps=scps)
    guarded = SECRET_ARN.replace("app/db", "rcp/db")
    accounts = []
    for acct in snap.accounts:
        if acct.account_id == CENTRAL:
            region = acct.regions[0]
            twin = replace(region.secrets[0], arn=guarded, name="rcp/db")
            acct = replace(acct, regions=(replace(region, secrets=(twin,) + region.secrets),))
        accounts.append(acct)
    snap = replace(snap, accounts=tuple(accounts))
    rule = RULESET.get("secret-policy-external-account")
    assert rule is not None
    config = parse_config({"prove": True, "prove_timeout": 120, "emit_pass": True}, path="-")
    found = {f.resource.arn: f for f in evaluate(build_graph(snap), snap, None,
                                                 Ruleset(rules=(rule,)), config)}
    assert not any(is_rule_error(f) for f in found.values())
    for arn in (SECRET_ARN, guarded):
        assert found[arn].status.value == "FAIL", arn
        proof = found[arn].evidence["proof"]
        assert proof["evaluator"] == "ALLOWED" and proof["status"] == questions.WITNESS, proof
