"""Suppressions: mute with reason and expiry; expired entries stop muting and are reported;
malformed files are InputErrors, never ignored."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone
from pathlib import Path

import pytest

from helpers.engine_helpers import A, NOW, R
from scanner.engine import load_suppressions, suppress
from scanner.engine.suppressions import EXPIRED_RULE_ID
from scanner.errors import InputError
from scanner.findings import Finding, ResourceRef, Severity, Status, finding_id
from scanner.model import ScanMeta

ARN = f"arn:aws:secretsmanager:{R}:{A}:secret:legacy-db-AbCdEf"
META = ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z", accounts=(A,), central_account=A)


def finding(rule: str = "secret-unused", status: Status = Status.FAIL, arn: str = ARN,
            tags: dict[str, str] | None = None) -> Finding:
    return Finding(id=finding_id(rule, arn), rule_id=rule, title="t", severity=Severity.HIGH,
                   status=status, resource=ResourceRef(type="Secret", arn=arn, account_id=A,
                                                       region=R),
                   evidence={"resource_tags": tags} if tags else {})


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "mute.yaml"
    path.write_text(body)
    return path


def test_matching_entry_mutes_and_records_why(tmp_path: Path) -> None:
    sup = load_suppressions(write(tmp_path, f"""
suppressions:
  - rule: secret-*
    account: "{A}"
    resource: "arn:aws:secretsmanager:*:secret:legacy-*"
    reason: decommissioned in Q1, owner alice
    expires: 2027-03-31
"""))
    out = suppress([finding(), finding(rule="kms-key-policy-public")], sup, NOW, meta=META)
    assert [f.status for f in out] == [Status.MUTED, Status.FAIL]
    assert out[0].muted_by is not None
    assert out[0].muted_by["reason"] == "decommissioned in Q1, owner alice"
    assert out[0].muted_by["original_status"] == "FAIL"
    assert out[0].id == finding().id


def test_tags_must_all_match(tmp_path: Path) -> None:
    sup = load_suppressions(write(tmp_path, """
suppressions:
  - tags: {team: legacy, env: "dev*"}
    reason: legacy dev estate
    expires: 2027-01-01
"""))
    out = suppress([finding(tags={"team": "legacy", "env": "dev-2"}),
                    finding(tags={"team": "legacy", "env": "prod"}), finding()], sup, NOW,
                   meta=META)
    assert [f.status for f in out] == [Status.MUTED, Status.FAIL, Status.FAIL]


def test_pass_findings_are_left_alone(tmp_path: Path) -> None:
    sup = load_suppressions(write(tmp_path, "suppressions:\n  - rule: '*'\n    reason: all\n"
                                            "    expires: 2027-01-01\n"))
    assert suppress([finding(status=Status.PASS)], sup, NOW, meta=META)[0].status == Status.PASS


def test_expired_entry_stops_muting_and_is_reported(tmp_path: Path) -> None:
    sup = load_suppressions(write(tmp_path, """
suppressions:
  - rule: secret-unused
    reason: temporary exception
    expires: 2026-11-28
"""))
    out = suppress([finding()], sup, NOW, meta=META)
    assert out[0].status == Status.FAIL
    expired = [f for f in out if f.rule_id == EXPIRED_RULE_ID]
    assert len(expired) == 1
    assert expired[0].severity == Severity.LOW and expired[0].status == Status.FAIL
    assert "expired on 2026-11-28" in expired[0].message
    # counted from 1 (a user read "entry 1" as the first entry), with its file and line as
    # the matched-nothing note names an entry
    assert expired[0].message.startswith(f"{sup.entries[0].where(sup.path)} expired on ")
    assert sup.entries[0].where(sup.path).startswith("suppression 1 (")
    assert expired[0].evidence["would_match"] == 1
    again = suppress([finding()], sup, NOW, meta=META)
    assert [f.id for f in again] == [f.id for f in out]


def test_entry_is_active_through_its_expiry_day(tmp_path: Path) -> None:
    sup = load_suppressions(write(tmp_path, "suppressions:\n  - rule: secret-unused\n"
                                            "    reason: ok for now\n    expires: 2026-11-29\n"))
    late = datetime(2026, 11, 29, 23, 59, tzinfo=timezone.utc)
    assert suppress([finding()], sup, late, meta=META)[0].status == Status.MUTED


@pytest.mark.parametrize("body,field,words", [
    ("suppressions:\n  - rule: x\n    expires: 2027-01-01\n", "suppressions[0]",
     "'reason' is a required property"),
    ("suppressions:\n  - rule: x\n    reason: why\n", "suppressions[0]",
     "'expires' is a required property"),
    ("suppressions:\n  - rule: x\n    reason: why\n    expires: soon\n",
     "suppressions[0].expires", "'soon' is not a date YYYY-MM-DD"),
    ("suppressions:\n  - rule: x\n    reason: why\n    expires: '2027-02-30'\n",
     "suppressions[0].expires", "not a valid date"),
    ("suppressions:\n  - rule: x\n    reason: why\n    expires: 2027-01-01\n    acount: '1'\n",
     "suppressions[0]", "Additional properties"),
    ("suppressions:\n  - reason: why\n    expires: 2027-01-01\n", "suppressions[0]",
     "needs at least one of rule, account, region, resource, tags"),
    ("mutes: []\n", "(top level)", "'mutes' was unexpected"),
    ("suppressions:\n  - rule: x\n    reason: '   '\n    expires: 2027-01-01\n",
     "suppressions[0].reason", "at least 3 characters besides spaces"),
    # concept review round 2: inner spaces counted, " a b " (two characters) was accepted
    ("suppressions:\n  - rule: x\n    reason: ' a b '\n    expires: 2027-01-01\n",
     "suppressions[0].reason", "at least 3 characters besides spaces"),
])
def test_malformed_suppression_file_names_file_and_field(tmp_path: Path, body: str, field: str,
                                                         words: str) -> None:
    path = write(tmp_path, body)
    with pytest.raises(InputError) as info:
        load_suppressions(path)
    assert info.value.path == str(path)
    assert info.value.field == field
    assert words in str(info.value)


def test_empty_or_unreadable_file_is_an_error_not_an_empty_list(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty suppression file"):
        load_suppressions(write(tmp_path, ""))
    with pytest.raises(InputError, match="cannot read"):
        load_suppressions(tmp_path / "absent.yaml")
    with pytest.raises(InputError, match="not valid YAML"):
        load_suppressions(write(tmp_path, "suppressions: [\n"))


def test_muted_finding_serialises_muted_by() -> None:
    f = dataclasses.replace(finding(), status=Status.MUTED, muted_by={"reason": "r"})
    assert f.to_json()["muted_by"] == {"reason": "r"}


@pytest.mark.parametrize("entry, words", [
    ("rule: secret-rotaton-disabled", "matches no rule of the scan, so the entry would mute "
     "nothing; closest: secret-rotation-disabled"),
    ("rule: '*'", "every matcher of this entry matches everything (rule '*')"),
    ("rule: '*'\n    account: '*'", "every matcher of this entry matches everything"),
])
def test_an_entry_that_mutes_nothing_or_everything_is_refused_naming_the_file(
        tmp_path: Path, entry: str, words: str) -> None:
    """A new user's trial: a mistyped rule muted nothing without a word, and `rule: '*'` muted
    all 27 results and turned the scan's exit code to 0."""
    from scanner.errors import InputError
    from scanner.pipeline import ScanOptions, load_inputs

    path = write(tmp_path, f"suppressions:\n  - {entry}\n    reason: accepted risk\n    expires: 2099-01-01\n")
    with pytest.raises(InputError) as err:
        load_inputs(ScanOptions(suppressions_path=path))
    assert words in str(err.value) and str(path) in str(err.value)
    # a glob that names rules, and a wildcard narrowed by another matcher, are fine
    ok = write(tmp_path, "suppressions:\n  - rule: 'secret-rotation-*'\n    reason: accepted risk\n"
                         "    expires: 2099-01-01\n  - rule: '*'\n    account: '111111111111'\n"
                         "    reason: accepted risk\n    expires: 2099-01-01\n"
                         "  - rule: access-outside-baseline\n    reason: accepted risk\n"
                         "    expires: 2099-01-01\n")
    assert load_inputs(ScanOptions(suppressions_path=ok)).suppressions is not None


def test_an_expiry_with_a_time_of_day_is_refused_not_cut_to_its_date(tmp_path: Path) -> None:
    """`expires: 2027-03-31T10:00:00Z` was accepted as 2027-03-31; the documented form is
    YYYY-MM-DD (a time in another zone could fall on another day)."""
    from scanner.errors import InputError

    path = write(tmp_path, "suppressions:\n  - rule: secret-unused\n    reason: accepted risk\n"
                           "    expires: 2027-03-31T10:00:00Z\n")
    with pytest.raises(InputError, match=r"suppressions\[0\]\.expires"):
        load_suppressions(path)


@pytest.mark.parametrize("entry, field, words", [
    # globs judged by what they match, not by their text (hostile-input trial: each muted
    # every finding and turned the exit code to 0)
    ("rule: '*?'", "suppressions[0]", "matches everything (rule '*?')"),
    ("rule: '[a-z]*'", "suppressions[0]", "matches everything (rule '[a-z]*')"),
    ("resource: 'arn:*'", "suppressions[0]", "matches everything (resource 'arn:*')"),
    ("account: '????????????'", "suppressions[0]", "matches everything"),
    ("rule: '*-*'\n    region: '*-*'\n    resource: '*:*'", "suppressions[0]",
     "matches everything (rule '*-*', region '*-*', resource '*:*')"),
    # entries that could never match mute nothing, silently
    ("region: 'not a region!'", "suppressions[0].region", "matches no AWS Region"),
    ("region: us-east-9", "suppressions[0].region", "closest: us-east-2, us-east-1"),
    ("account: '99999999999'", "suppressions[0].account", "matches no 12-digit account id"),
    ("account: '12?'", "suppressions[0].account", "matches no 12-digit account id"),
])
def test_an_entry_is_judged_by_what_its_globs_can_match(tmp_path: Path, entry: str, field: str,
                                                        words: str) -> None:
    from scanner.pipeline import ScanOptions, load_inputs

    path = write(tmp_path, f"suppressions:\n  - {entry}\n    reason: accepted risk\n"
                           "    expires: 2099-01-01\n")
    with pytest.raises(InputError) as err:
        load_inputs(ScanOptions(suppressions_path=path))
    assert (err.value.path, err.value.field) == (str(path), field)
    assert words in str(err.value)


def test_narrow_globs_are_kept(tmp_path: Path) -> None:
    from scanner.pipeline import ScanOptions, load_inputs

    entries = ["rule: 'secret-rotation-*'", "rule: 'vpc-peering-route-*'", "region: 'eu-*'",
               "region: global", "account: '1111*'", "account: '11112222333?'",
               "resource: 'arn:aws:secretsmanager:*:111122223333:secret:legacy/*'",
               "resource: 'arn:aws:kms:*'", "rule: '*'\n    tags: {env: '*'}",
               "rule: '*'\n    region: us-east-1"]
    body = "suppressions:\n" + "".join(
        f"  - {e}\n    reason: accepted risk\n    expires: 2099-01-01\n" for e in entries)
    loaded = load_inputs(ScanOptions(suppressions_path=write(tmp_path, body))).suppressions
    assert loaded is not None and len(loaded.entries) == len(entries)


EXPIRED_YAML = """
suppressions:
  - rule: secret-unused
    reason: temporary exception
    expires: 2026-11-28
"""
B = "222222222222"


def test_an_expired_entry_is_reported_in_the_scan_central_account(tmp_path: Path) -> None:
    """New-user trial: the suppression-expired finding had account_id "", so its ASFF went to
    ``product//default`` and every Security Hub export refused it. An entry without a literal
    account is about the scan's suppression file: it is reported in the central account."""
    sup = load_suppressions(write(tmp_path, EXPIRED_YAML))
    meta = ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z", accounts=(A, B),
                    central_account=B)
    expired = [f for f in suppress([finding()], sup, NOW, meta=meta)
               if f.rule_id == EXPIRED_RULE_ID]
    assert expired[0].resource.account_id == B


def test_an_expired_entry_for_one_scanned_account_is_reported_in_that_account(
        tmp_path: Path) -> None:
    """New-user trial: an entry naming one account (no glob) that the scan read is that
    account's; a glob, or an account the scan did not read, falls back to the central one."""
    sup = load_suppressions(write(tmp_path, f"""
suppressions:
  - {{rule: secret-unused, account: "{A}", reason: one account, expires: 2026-11-28}}
  - {{rule: secret-unused, account: "11111111111*", reason: a glob, expires: 2026-11-28}}
  - {{rule: secret-unused, account: "333333333333", reason: not scanned, expires: 2026-11-28}}
"""))
    meta = ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z", accounts=(A, B),
                    central_account=B)
    expired = [f for f in suppress([finding()], sup, NOW, meta=meta)
               if f.rule_id == EXPIRED_RULE_ID]
    assert [f.resource.account_id for f in expired] == [A, B, B]


def test_an_expired_entry_whose_resource_arn_names_one_scanned_account_is_that_accounts(
        tmp_path: Path) -> None:
    """Ground-truth trial round 15: two security accounts (one per business unit); an entry
    of the second one's team naming its key by ARN -- without an ``account:`` matcher --
    expired, and its suppression-expired finding went to the first (the inferred central
    account), so Security Hub showed it to the other business unit. A resource ARN whose
    account field is one literal scanned account names that account as ``account:`` does;
    a glob there, or an account not scanned, still falls back to the central one."""
    key = f"arn:aws:kms:us-east-1:{A}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    sup = load_suppressions(write(tmp_path, f"""
suppressions:
  - {{rule: kms-key-rotation-disabled, resource: "{key}", reason: by ARN, expires: 2026-11-28}}
  - {{rule: secret-unused, resource: "arn:aws:secretsmanager:*:{A}*:secret:x",
      reason: a glob in the account, expires: 2026-11-28}}
  - {{rule: secret-unused, resource: "arn:aws:secretsmanager:us-east-1:333333333333:secret:x",
      reason: not scanned, expires: 2026-11-28}}
"""))
    meta = ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z", accounts=(A, B),
                    central_account=B)
    expired = [f for f in suppress([finding()], sup, NOW, meta=meta)
               if f.rule_id == EXPIRED_RULE_ID]
    assert [f.resource.account_id for f in expired] == [A, B, B]


def test_without_a_central_account_the_lowest_scanned_account_is_used(tmp_path: Path) -> None:
    """New-user trial: a scan whose accounts hold no secret infers no central account; the
    finding still goes to a real account (the lowest scanned id), never to ""."""
    sup = load_suppressions(write(tmp_path, EXPIRED_YAML))
    meta = ScanMeta(scan_id="t", started_at="2026-11-29T00:00:00Z", accounts=(B, A))
    expired = [f for f in suppress([finding()], sup, NOW, meta=meta)
               if f.rule_id == EXPIRED_RULE_ID]
    assert expired[0].resource.account_id == A


def test_a_tags_entry_mutes_a_secrets_findings_on_its_replicas_too(tmp_path: Path) -> None:
    """Concept review round 2: `tags: {secretgraph-demo: "true"}` muted the demo's primaries
    but left five replica rows FAIL, each with evidence.resource_tags None, and the scan
    exited 1. "Secrets Manager replicates the encrypted secret data and metadata such as tags
    and resource policies across the specified Regions" (Secrets Manager User Guide,
    "Replicate AWS Secrets Manager secrets across Regions"), and `tags` matches every listed
    tag of the resource (docs/configuration.md): the replicas, listed in their Region or
    known only from ReplicationStatus, carry the secret's tags and are muted with it."""
    from dataclasses import replace

    from helpers.access_estate import CENTRAL, SECRET_ARN, replica_estate
    from scanner.access import AccessSettings, analyze_access
    from scanner.engine import evaluate, load_ruleset, parse_config
    from scanner.graph.builder import build_graph
    from scanner.model import ReplicaStatus

    tags = {"secretgraph-demo": "true"}
    snap = replica_estate()
    accounts = []
    for account in snap.accounts:
        if account.account_id == CENTRAL:
            home, eu = account.regions
            primary = replace(home.secrets[0], tags=tags, replicas=(
                *(home.secrets[0].replicas or ()),  # eu-west-1, listed there
                ReplicaStatus(region="us-west-2", kms_key_id=None, status="InSync")))
            account = replace(account, regions=(
                replace(home, secrets=(primary,)),
                replace(eu, secrets=tuple(replace(s, tags=tags) for s in eu.secrets))))
        accounts.append(account)
    snap = replace(snap, accounts=tuple(accounts))
    graph = build_graph(snap)
    access = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    findings = evaluate(graph, snap, access, load_ruleset(), parse_config({}, path="(test)"),
                        NOW)
    on_replicas = [f for f in findings if f.resource.type == "SecretReplica"]
    assert {(f.rule_id, f.resource.node) for f in on_replicas} >= {
        ("secret-uses-aws-managed-key", f"{SECRET_ARN}#eu-west-1"),
        ("secret-uses-aws-managed-key", f"{SECRET_ARN}#us-west-2")}
    assert all(f.evidence.get("resource_tags") == tags for f in on_replicas)
    sup = load_suppressions(write(tmp_path, """
suppressions:
  - tags: {secretgraph-demo: "true"}
    reason: demo estate, all tagged
    expires: 2099-12-31
"""))
    out = suppress(findings, sup, NOW, meta=META)
    assert [(f.rule_id, f.resource.arn) for f in out
            if f.resource.type in ("Secret", "SecretReplica") and f.status != Status.MUTED
            and f.status != Status.PASS] == []


@pytest.mark.parametrize("body,said", [
    # the names findings.json gives the same things: rule_id, resource.arn
    ("suppressions:\n  - rule_id: secret-unused\n    reason: why\n    expires: 2027-01-01\n",
     "('rule_id' was unexpected); did you mean rule?"),
    ("suppressions:\n  - resource_arn: 'arn:aws:*'\n    reason: why\n    expires: 2027-01-01\n",
     "('resource_arn' was unexpected); did you mean resource?"),
    ("suppressions:\n  - acount: '111122223333'\n    reason: why\n    expires: 2027-01-01\n",
     "('acount' was unexpected); did you mean account?"),
    # two misnamed: each named with the key it stands for
    ("suppressions:\n  - rule_id: secret-unused\n    resource_arn: 'arn:aws:*'\n"
     "    reason: why\n    expires: 2027-01-01\n",
     "('resource_arn', 'rule_id' were unexpected); did you mean rule for rule_id, resource "
     "for resource_arn?"),
])
def test_a_misnamed_matcher_is_named_not_reported_as_missing(
        tmp_path: Path, body: str, said: str) -> None:
    """New-user trial round 17: an entry whose only matcher had the wrong name (rule_id, the
    name findings.json gives it) was refused as 'needs at least one of rule, account, region,
    resource, tags' -- the key the user wrote was not named, nor the one meant. The unknown
    key is named, with the closest known one (each, when several are); an entry with no
    matcher at all keeps the 'needs at least one' error
    (test_malformed_suppression_file_names_file_and_field)."""
    path = write(tmp_path, body)
    with pytest.raises(InputError) as info:
        load_suppressions(path)
    assert info.value.field == "suppressions[0]"
    assert said in str(info.value)
    assert "needs at least one" not in str(info.value)
