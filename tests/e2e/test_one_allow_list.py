"""One allow-list of external accounts, however it is configured.

Concept review round 3: ``rules.secret-policy-external-account.parameters.allowed_accounts``
(documented as "config allowed_external_accounts") silenced that rule only. The access analysis,
``secret-cross-account-access-broken``, the access report and remediation kept using the
config's top-level ``allowed_external_accounts``: a partner granted by the secret policy and
not by the key policy was "unintended ... outside the trust zone" in ``access`` and PASSed
``secret-cross-account-access-broken`` with the parameter, and was "BROKEN at key_policy" and
FAILed it with the top-level key. The parameter is now an alias of the config key: either sets
the one list (findings.json ``scan.trust_zone.allowed_external_accounts``) that every rule, the
access report and remediation read; both set and different is a config error (exit 2).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpers.access_estate import (APP_ROLE, OUTSIDER, SECRET_ARN, allow_read_identity,
                                   estate, key_policy_for, role, secret_policy_for)
from scanner.cli import main
from scanner.snapshot_io import write_snapshot

PARTNER_ROOT = f"arn:aws:iam::{OUTSIDER}:root"

TOP_LEVEL = f"allowed_external_accounts: ['{OUTSIDER}']\n"
PARAMETER = ("rules:\n  secret-policy-external-account:\n    parameters:\n"
             f"      allowed_accounts: ['{OUTSIDER}']\n")


def _scan(tmp_path: Path, config_text: str | None) -> tuple[int, Path]:
    """The secret's policy grants the partner account and a member's role; the key policy
    only the role (which reads)."""
    snap = estate(secret_policy=secret_policy_for(PARTNER_ROOT, APP_ROLE),
                  key_policy=key_policy_for(APP_ROLE),
                  principals=(role(APP_ROLE, allow_read_identity()),))
    path = tmp_path / "snapshot.json.gz"
    write_snapshot(path, snap)
    args = ["scan", "--snapshot", str(path), "--out", str(tmp_path / "scan"), "-q",
            "--emit-pass"]
    if config_text is not None:
        config = tmp_path / "config.yaml"
        config.write_text(config_text, encoding="utf-8")
        args += ["--config", str(config)]
    return main(args), tmp_path / "scan"


def _status(doc: dict[str, object], rule_id: str) -> set[tuple[str, str | None]]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return {(f["status"], f.get("principal")) for f in findings
            if f["rule_id"] == rule_id and f["resource"]["arn"] == SECRET_ARN}


@pytest.mark.parametrize("config_text", [TOP_LEVEL, PARAMETER, TOP_LEVEL + PARAMETER],
                         ids=["top-level key", "rule parameter", "both, the same"])
def test_every_way_to_allow_a_partner_gives_the_same_rules_report_and_remediation(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], config_text: str) -> None:
    """Concept review round 3: with the rule parameter, the partner was allowed for
    secret-policy-external-account only."""
    code, out = _scan(tmp_path, config_text)
    assert code in (0, 1), capsys.readouterr().err
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["trust_zone"]["allowed_external_accounts"] == [OUTSIDER]
    assert _status(doc, "secret-policy-external-account") == {("PASS", None)}
    (broken,) = [f for f in doc["findings"] if f["rule_id"] ==
                 "secret-cross-account-access-broken" and f["status"] == "FAIL"]
    assert broken["principal"] == PARTNER_ROOT
    assert "granted by the resource policy but denied by key_policy" in broken["message"]

    capsys.readouterr()
    assert main(["access", "--in", str(out), "--secret", SECRET_ARN]) == 0
    report = capsys.readouterr().out
    assert "BROKEN at key_policy" in report
    assert "unintended" not in report and "outside the trust zone" not in report

    # remediation reads the same zone: an allowed account stays outside it, so the broken
    # read is not completed (docs/remediation.md, grant-key-decrypt) -- the recorded zone
    # without --config, the same file with it
    for extra in ([], ["--config", str(tmp_path / "config.yaml")]):
        capsys.readouterr()
        assert main(["remediate", "--in", str(out), "--rule",
                     "secret-cross-account-access-broken", *extra]) == 0
        text = capsys.readouterr().out
        assert "Not planned (1)" in text and f"{PARTNER_ROOT} is outside the trust zone" in text
        assert not (out / "remediation-plan.json").exists()

def test_without_an_allow_list_the_partner_is_outside_everywhere(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Concept review round 3 (the other side): no allow-list, the grant is unintended for the
    rules and the access report alike, and remediation plans its removal."""
    code, out = _scan(tmp_path, None)
    assert code == 1
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert "allowed_external_accounts" not in doc["scan"]["trust_zone"]
    assert _status(doc, "secret-policy-external-account") == {("FAIL", PARTNER_ROOT)}
    assert _status(doc, "secret-cross-account-access-broken") == {("PASS", None)}
    capsys.readouterr()
    assert main(["access", "--in", str(out), "--secret", SECRET_ARN]) == 0
    report = capsys.readouterr().out
    assert f"unintended: {PARTNER_ROOT} [outside the trust zone]" in report
    assert main(["remediate", "--in", str(out), "--rule",
                 "secret-policy-external-account"]) == 0
    plan = json.loads((out / "remediation-plan.json").read_text(encoding="utf-8"))
    assert [c["remediation_id"] for c in plan["changes"]] == ["remove-external-grant"], \
        capsys.readouterr().out


def test_two_different_allow_lists_are_a_config_error_naming_both(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Concept review round 3: two lists that disagree cannot both be the allow-list; the scan
    refuses the file (exit 2) naming both fields, and writes nothing."""
    code, out = _scan(tmp_path, "allowed_external_accounts: ['888888888888']\n" + PARAMETER)
    err = capsys.readouterr().err
    assert code == 2, err
    [line] = err.splitlines()
    assert "allowed_external_accounts" in line
    assert "rules.secret-policy-external-account.parameters.allowed_accounts" in line
    assert not out.exists()
