"""An HTTP 200 answer that is valid JSON but not what the API returns -- a listing without its
list, an entry without its id, a value of the wrong type, a next page that never ends -- is a
coverage gap naming the call, never "nothing exists" and never a guess.

Each test takes moto's real answer and rewrites it on the wire (a ``before-parse`` hook), so
the scanner's own hooks and botocore's parser see exactly what a faulty endpoint would send.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any, Callable

import boto3
import pytest

from helpers.answers import rewrite_answers
from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.collectors import base
from scanner.model import CoverageEntry, KmsKey, RegionSnapshot, Snapshot
from scanner.snapshot_io import read_snapshot

# as in tests/aws/conftest.py (not imported from it: another folder's conftest may be the
# module named ``conftest`` when folders are run together)
REGION = "us-east-1"
OTHER_REGION = "us-west-2"
ROLE = "OrganizationAccountAccessRole"


def fresh_session() -> boto3.Session:
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


def _collect(tmp_path: Path, session: boto3.Session, estate: Any) -> Snapshot:
    opts = CollectOptions(out=tmp_path / "snap.json.gz", regions=(REGION, OTHER_REGION),
                          role_name=ROLE, max_attempts=1, accounts=(estate.security,))
    return read_snapshot(collect(opts, executor=SynchronousExecutor(),
                                 session_factory=lambda _: session))


def _region(snapshot: Snapshot, region: str = REGION) -> RegionSnapshot:
    return next(r for a in snapshot.accounts for r in a.regions if r.region == region)


def _gap(snapshot: Snapshot, operation: str) -> CoverageEntry:
    gaps = [c for c in snapshot.coverage if c.operation == operation]
    assert gaps, f"no coverage entry for {operation}: {snapshot.coverage}"
    return gaps[0]


def _key(snapshot: Snapshot, arn: str) -> KmsKey:
    return next(k for k in _region(snapshot).kms_keys if k.arn == arn)


@pytest.mark.parametrize("answer", [{}, {"SecretList": None}])
def test_list_secrets_without_its_list_is_a_gap_not_an_account_without_secrets(
        answer: dict[str, Any], tmp_path: Path, estate: Any) -> None:
    session = fresh_session()

    def replace(body: dict[str, Any]) -> None:
        body.clear()
        body.update(answer)

    rewrite_answers(session, "secrets-manager", "ListSecrets", replace)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "ListSecrets")
    assert (gap.service, gap.error_kind) == ("secretsmanager", "fatal")
    assert "ListSecrets answered without SecretList" in gap.message
    assert "secretsmanager" in _region(snapshot).unread_services
    assert _region(snapshot).kms_keys, "the other services of the Region are still read"


def test_list_keys_with_a_null_list_leaves_kms_unread_not_every_key_gone(
        tmp_path: Path, estate: Any) -> None:
    session = fresh_session()
    rewrite_answers(session, "kms", "ListKeys", lambda body: body.update(Keys=None))
    snapshot = _collect(tmp_path, session, estate)
    assert "ListKeys answered without Keys" in _gap(snapshot, "ListKeys").message
    assert "kms" in _region(snapshot).unread_services


@pytest.mark.parametrize("service,operation,listing,field,services_left", [
    ("secrets-manager", "ListSecrets", "SecretList", "ARN", ("kms_keys", "vpcs")),
    ("lambda", "ListFunctions", "Functions", "FunctionArn", ("secrets", "kms_keys", "vpcs")),
])
def test_an_entry_without_its_id_costs_its_own_listing_and_is_named(
        service: str, operation: str, listing: str, field: str,
        services_left: tuple[str, ...], tmp_path: Path, estate: Any,
        caplog: pytest.LogCaptureFixture) -> None:
    session = fresh_session()

    def drop_id(body: dict[str, Any]) -> None:
        body[listing] = list(body.get(listing) or []) + [{"Name": "no-id"}]

    rewrite_answers(session, service, operation, drop_id)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, operation)
    assert f"{operation} answered an entry without {field}" in gap.message
    region = _region(snapshot)
    assert gap.service in region.unread_services
    for records in services_left:  # not the whole account-Region
        assert getattr(region, records), records
    assert "Traceback" not in caplog.text


def test_rotation_enabled_as_a_string_is_a_gap_not_rotation_on(
        tmp_path: Path, estate: Any) -> None:
    session = fresh_session()

    def stringly(body: dict[str, Any]) -> None:
        for entry in body.get("SecretList") or []:
            entry["RotationEnabled"] = "false"

    rewrite_answers(session, "secrets-manager", "ListSecrets", stringly)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "ListSecrets")
    assert "RotationEnabled as str, not a boolean" in gap.message
    assert "secretsmanager" in _region(snapshot).unread_services


def test_key_rotation_enabled_as_a_string_leaves_rotation_unread(
        tmp_path: Path, estate: Any) -> None:
    session = fresh_session()
    rewrite_answers(session, "kms", "GetKeyRotationStatus",
             lambda body: body.update(KeyRotationEnabled="false"))
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "GetKeyRotationStatus")
    assert "KeyRotationEnabled as str, not a boolean" in gap.message
    assert gap.resource_arn == estate.key_arn
    key = _key(snapshot, estate.key_arn)
    assert "rotation_enabled" in key.unread and key.rotation_enabled is None


@pytest.mark.parametrize("field", ["KeyManager", "KeyState"])
def test_describe_key_without_manager_or_state_is_a_gap_and_the_key_unread(
        field: str, tmp_path: Path, estate: Any) -> None:
    session = fresh_session()
    rewrite_answers(session, "kms", "DescribeKey", lambda body: body["KeyMetadata"].pop(field))
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "DescribeKey")
    assert f"DescribeKey answered without {field}" in gap.message
    key = _key(snapshot, estate.key_arn)
    assert {"key_manager", "key_state", "policy", "rotation_enabled"} <= set(key.unread)


def test_a_key_manager_kms_does_not_document_still_gets_its_policy_read(
        tmp_path: Path, estate: Any) -> None:
    session = fresh_session()
    rewrite_answers(session, "kms", "DescribeKey",
             lambda body: body["KeyMetadata"].update(KeyManager="PARTNER"))
    snapshot = _collect(tmp_path, session, estate)
    key = _key(snapshot, estate.key_arn)
    assert key.key_manager == "PARTNER" and key.policy, "read as a customer key, not skipped"
    assert key.rotation_enabled is not None


def test_a_key_state_kms_does_not_document_is_not_judged_for_rotation(
        tmp_path: Path, estate: Any) -> None:
    session = fresh_session()
    rewrite_answers(session, "kms", "DescribeKey",
             lambda body: body["KeyMetadata"].update(KeyState="Quarantined"))
    snapshot = _collect(tmp_path, session, estate)
    key = _key(snapshot, estate.key_arn)
    assert key.key_state == "Quarantined" and key.rotation_enabled is None
    assert key.policy


def test_a_next_page_that_never_ends_is_given_up_and_named(
        tmp_path: Path, estate: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "MAX_PAGES", 5)
    session = fresh_session()
    tokens = itertools.count(1000)  # a fresh token every page (moto reads it as an offset)
    rewrite_answers(session, "secrets-manager", "ListSecrets",
             lambda body: body.update(NextToken=str(next(tokens))))
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "ListSecrets")
    assert gap.error_code == "PaginationError"
    assert "ListSecrets still answered a next page after 5 pages" in gap.message
    assert "secretsmanager" in _region(snapshot).unread_services


def test_a_collector_that_crashes_costs_its_own_service_and_logs_no_traceback(
        tmp_path: Path, estate: Any, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    from scanner.collectors import lambda_

    def crash(*_: Any, **__: Any) -> None:
        raise KeyError("FunctionArn")

    monkeypatch.setattr(lambda_, "transform_functions", crash)
    caplog.set_level("INFO")
    snapshot = _collect(tmp_path, fresh_session(), estate)
    gap = _gap(snapshot, "(collector)")
    assert (gap.service, gap.region) == ("lambda", REGION)
    assert gap.message == "lambda collector failed on a record without FunctionArn (KeyError)"
    region = _region(snapshot)
    assert "lambda" in region.unread_services
    assert region.secrets and region.kms_keys and region.vpcs  # the other four services
    assert not {"secretsmanager", "kms", "ec2"} & set(region.unread_services)
    assert not [r for r in caplog.records if r.exc_info], "a traceback only with --debug"


def test_a_replica_status_without_its_region_is_a_gap_not_a_crash(
        tmp_path: Path, estate: Any) -> None:
    session = fresh_session()

    def drop_region(body: dict[str, Any]) -> None:
        for status in body.get("ReplicationStatus") or []:
            status.pop("Region", None)

    rewrite_answers(session, "secrets-manager", "DescribeSecret", drop_region)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "DescribeSecret")
    assert "DescribeSecret answered an entry without Region" in gap.message
    secret = next(s for s in _region(snapshot).secrets if s.arn == estate.shared_secret_arn)
    assert secret.replicas is None and "replicas" in secret.unread


@pytest.mark.parametrize("edit,named", [
    (lambda entry: entry.setdefault("Tags", []).append({"Key": "team", "Value": "a\ud800b"}),
     ".Value holding a lone surrogate"),
    (lambda entry: entry.update(Description="x\udfff"), ".Description holding a lone surrogate"),
    (lambda entry: entry.setdefault("SecretVersionsToStages", {}).update({"v\ud83d": []}),
     "SecretVersionsToStages['v\\ud83d'] (a key) holding a lone surrogate"),
])
def test_a_string_with_a_lone_surrogate_is_a_gap_not_a_failed_scan(
        tmp_path: Path, estate: Any, edit: Callable[[dict[str, Any]], None],
        named: str) -> None:
    """JSON text may escape half of a UTF-16 character ("\\ud800"), which no report, snapshot
    or history can carry: one such tag value in ListSecrets failed the whole scan after
    collecting ("error: .../.out.staging-xxxx/snapshot.json.gz: field ...tags.team: holds a
    lone surrogate", exit 2, nothing reported or recorded; fault-injection trial round 12).
    AWS's strings are text: such an answer is not the API's answer, a gap naming the field."""
    session = fresh_session()

    def hostile(body: dict[str, Any]) -> None:
        for entry in body.get("SecretList") or []:
            edit(entry)

    rewrite_answers(session, "secrets-manager", "ListSecrets", hostile)
    snapshot = _collect(tmp_path, session, estate)  # read back: no lone surrogate in it
    gap = _gap(snapshot, "ListSecrets")
    assert gap.error_kind == "fatal"
    assert named in gap.message, gap.message
    assert "secretsmanager" in _region(snapshot).unread_services
    gap.message.encode("utf-8")  # the message names it escaped


def _as_for_another_secret(estate: Any) -> Callable[[dict[str, Any]], None]:
    """An answer about the shared secret rewritten as one about the plain secret: another
    secret's answer to the question asked (a proxy's or cache's mix-up)."""
    def swap(body: dict[str, Any]) -> None:
        if body.get("ARN") == estate.shared_secret_arn:
            body.update(ARN=estate.plain_secret_arn, Name="plain")
            body.pop("ReplicationStatus", None)
    return swap


def test_describe_secret_answering_for_another_secret_is_a_gap_not_its_replicas(
        tmp_path: Path, estate: Any) -> None:
    """Fault-injection trial round 13: DescribeSecret of db/member-a answered with the plain
    secret's ARN and no ReplicationStatus was read as db/member-a having no replica
    (``replicas=()``): secret-not-replicated's verdict on what was never read."""
    session = fresh_session()
    rewrite_answers(session, "secrets-manager", "DescribeSecret", _as_for_another_secret(estate))
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "DescribeSecret")
    assert gap.resource_arn == estate.shared_secret_arn
    assert f"DescribeSecret answered for {estate.plain_secret_arn}" in gap.message
    secret = next(s for s in _region(snapshot).secrets if s.arn == estate.shared_secret_arn)
    assert secret.replicas is None and "replicas" in secret.unread


def test_get_resource_policy_answering_for_another_secret_is_a_gap_not_its_policy(
        tmp_path: Path, estate: Any) -> None:
    """The same for GetResourcePolicy: another secret's answer (here: no policy at all) was
    taken as db/member-a's resource policy."""
    session = fresh_session()
    rewrite_answers(session, "secrets-manager", "GetResourcePolicy", _as_for_another_secret(estate))
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "GetResourcePolicy")
    assert gap.resource_arn == estate.shared_secret_arn
    assert f"GetResourcePolicy answered for {estate.plain_secret_arn}" in gap.message
    secret = next(s for s in _region(snapshot).secrets if s.arn == estate.shared_secret_arn)
    assert "resource_policy" in secret.unread


def test_a_grant_without_its_grantee_leaves_the_keys_grants_unread(
        tmp_path: Path, estate: Any) -> None:
    """KMS Developer Guide, "Grants in AWS KMS": "Each grant has one grantee principal" -- the
    one a grant lets use the key. An entry without it says a grant exists (here a Decrypt one)
    but not whom it lets decrypt: read as no grant, a reader it lets in was called broken at
    the key (a confident FAIL of secret-cross-account-access-broken); now the key's grants are
    unread, a coverage entry, and its gate UNKNOWN (conformance trial round 24)."""
    session = fresh_session()

    def drop_grantee(body: dict[str, Any]) -> None:
        body["Grants"] = list(body.get("Grants") or []) + [
            {"GrantId": "g-no-grantee", "Operations": ["Decrypt"]}]

    rewrite_answers(session, "kms", "ListGrants", drop_grantee)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "ListGrants")
    assert "ListGrants answered an entry without GranteePrincipal" in gap.message
    customer = [k for k in _region(snapshot).kms_keys if k.key_manager == "CUSTOMER"]
    assert customer
    for key in customer:
        assert key.grants is None and "grants" in key.unread, key


def test_a_grant_to_a_service_principal_is_a_grant_read(tmp_path: Path, estate: Any) -> None:
    """KMS Developer Guide, "Examining grants": "For grants created with
    GranteeServicePrincipal, look for the GranteeServicePrincipal field" -- such a grant has no
    GranteePrincipal and is no malformed entry: the key's grants are read (it names no IAM
    caller), no coverage entry. Before: every key with a service grant was a coverage gap."""
    session = fresh_session()

    def add_service_grant(body: dict[str, Any]) -> None:
        body["Grants"] = list(body.get("Grants") or []) + [
            {"GrantId": "g-service", "Operations": ["Decrypt"],
             "GranteeServicePrincipal": "logs.amazonaws.com"}]

    rewrite_answers(session, "kms", "ListGrants", add_service_grant)
    snapshot = _collect(tmp_path, session, estate)
    assert not [c for c in snapshot.coverage if c.operation == "ListGrants"]
    customer = [k for k in _region(snapshot).kms_keys if k.key_manager == "CUSTOMER"]
    assert customer
    for key in customer:
        assert key.grants is not None and "grants" not in key.unread, key
        [service] = [g for g in key.grants if g.grant_id == "g-service"]
        assert service.grantee_principal == "logs.amazonaws.com"


@pytest.mark.parametrize("operation", ["ListGrants", "ListKeys"])
def test_a_page_truncated_without_its_next_marker_is_a_gap_not_the_whole_listing(
        operation: str, tmp_path: Path, estate: Any) -> None:
    """KMS API Reference, ListGrants / ListKeys: Truncated "a flag that indicates whether there
    are more items in the list. When this value is true, the list in this response is
    truncated. To get more items, pass the value of the NextMarker element". A page that says
    there is more and gives no NextMarker is not the whole list: botocore's paginator stops
    there without a word, and the grants never read were "none" (a cross-account reader only
    a later grant lets decrypt was a confident FAIL; fault-injection trial round 14)."""
    session = fresh_session()

    def cut(body: dict[str, Any]) -> None:
        body["Truncated"] = True
        body.pop("NextMarker", None)

    rewrite_answers(session, "kms", operation, cut)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, operation)
    assert f"{operation} answered Truncated true without NextMarker" in gap.message
    if operation == "ListGrants":
        key = _key(snapshot, estate.key_arn)
        assert key.grants is None and "grants" in key.unread, key
    else:
        assert "kms" in _region(snapshot).unread_services


@pytest.mark.parametrize("fields,named", [
    ({"Operations": "Decrypt"}, "Grants[0].Operations as str, not a list"),
    ({}, "an entry without Operations"),
    ({"Operations": {"Decrypt": True}}, "Grants[0].Operations as dict, not a list"),
    ({"Operations": ["Decrypt"], "Constraints": ["SecretARN"]},
     "Grants[0].Constraints as list, not an object"),
    ({"Operations": ["Decrypt"], "Constraints": {"EncryptionContextSubset": ["SecretARN"]}},
     "Grants[0].Constraints.EncryptionContextSubset as list, not an object"),
    ({"Operations": ["Decrypt"], "Constraints": {"EncryptionContextEquals": {"SecretARN": 5}}},
     "Grants[0].Constraints.EncryptionContextEquals['SecretARN'] as int, not a string"),
])
def test_a_grant_not_of_the_shape_kms_answers_leaves_that_keys_grants_unread(
        fields: dict[str, Any], named: str, tmp_path: Path, estate: Any) -> None:
    """KMS API Reference, GrantListEntry: Operations is "Array of strings", Constraints a
    GrantConstraints object whose EncryptionContextEquals / EncryptionContextSubset are
    "String to string map". Before: Operations "Decrypt" was read as the operations D, e, c,
    r, y, p, t (botocore's JSON parser iterates the string; the grant let no one decrypt),
    an object as its keys, and a missing Operations as none, all without a word; a
    Constraints list crashed the KMS collector of the whole account-Region ("'list' object
    has no attribute 'get'"; fault-injection trial round 14). Now that key's grants are
    unread, named in one coverage entry, and the rest of KMS is read."""
    session = fresh_session()

    def add_grant(body: dict[str, Any]) -> None:
        body["Grants"] = list(body.get("Grants") or []) + [dict(
            {"GrantId": "g-odd", "GranteePrincipal": "arn:aws:iam::111122223333:role/R"},
            **fields)]

    rewrite_answers(session, "kms", "ListGrants", add_grant)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "ListGrants")
    assert (gap.resource_arn, gap.error_kind) == (estate.key_arn, "fatal")
    assert f"ListGrants answered {named}" in gap.message, gap.message
    key = _key(snapshot, estate.key_arn)
    assert key.grants is None and "grants" in key.unread, key
    assert key.policy is not None and key.key_state == "Enabled"
    assert "kms" not in _region(snapshot).unread_services
    assert not [c for c in snapshot.coverage if c.operation == "(collector)"]


def test_a_next_marker_that_comes_back_is_a_loop_given_up_at_once(
        tmp_path: Path, estate: Any) -> None:
    """A NextMarker answered on an earlier page of the same listing (A, B, A, B, ...) never
    ends: botocore only sees a token repeated on the very next page, so each key's ListGrants
    went on for MAX_PAGES (10,000) pages before it was given up -- some 10,000 calls per key
    of KMS's 100 a second shared with the rest of the scan (fault-injection trial round 14).
    Now the first marker that comes back ends the listing, a coverage entry naming it."""
    session = fresh_session()
    markers = itertools.cycle(["A", "B"])
    calls = {"n": 0}

    def loop(body: dict[str, Any]) -> None:
        calls["n"] += 1
        body.update(Truncated=True, NextMarker=next(markers))

    rewrite_answers(session, "kms", "ListGrants", loop)
    snapshot = _collect(tmp_path, session, estate)
    gap = _gap(snapshot, "ListGrants")
    assert gap.error_code == "PaginationError"
    assert "ListGrants answered the NextMarker of page 1 again on page 3" in gap.message
    assert calls["n"] == 3
    key = _key(snapshot, estate.key_arn)
    assert key.grants is None and "grants" in key.unread
