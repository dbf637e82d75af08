"""collect(): a moto Organization scanned end to end through assume_role; failures as coverage;
bad input as exit-2 errors; the read-only promise checked on the wire."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError

from scanner.aws.calls import CallCounter
from scanner.aws.executor import SynchronousExecutor, ThreadPoolExecutor
from scanner.aws.permissions import allowed_operations
from scanner.collect import CollectOptions, collect
from scanner.errors import UsageError
from scanner.model import Snapshot
from scanner.snapshot_io import read_snapshot

# the same values as tests/aws/conftest.py (conftest modules are not importable by name when
# several test directories run together)
REGION = "us-east-1"
OTHER_REGION = "us-west-2"
ROLE = "OrganizationAccountAccessRole"


def options(tmp_path: Path, **kwargs: Any) -> CollectOptions:
    defaults: dict[str, Any] = {"out": tmp_path / "snapshot.json.gz", "regions": (REGION,),
                                "role_name": ROLE, "max_attempts": 1}
    return CollectOptions(**{**defaults, **kwargs})


def scan(tmp_path: Path, session: boto3.Session, counter: CallCounter | None = None,
         **kwargs: Any) -> Snapshot:
    path = collect(options(tmp_path, **kwargs), executor=SynchronousExecutor(),
                   session_factory=lambda _: session, counter=counter)
    return read_snapshot(path)


def coverage_rows(snapshot: Snapshot) -> set[tuple[Any, ...]]:
    return {(c.account_id, c.region, c.service, c.operation, c.error_code, c.error_kind,
             c.resource_arn) for c in snapshot.coverage}


def test_an_organization_is_scanned_through_assume_role(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    counter = CallCounter()
    pool = ThreadPoolExecutor(4)
    try:
        path = collect(options(tmp_path, org=True, regions=(REGION, OTHER_REGION)),
                       executor=pool, session_factory=lambda _: scan_session, counter=counter)
    finally:
        pool.close()
    snapshot = read_snapshot(path)
    assert snapshot.coverage == ()
    assert snapshot.meta.accounts == tuple(sorted((estate.management, estate.security,
                                                   estate.member)))
    assert (snapshot.meta.central_account, snapshot.meta.central_account_source) == (
        estate.security, "inferred")
    assert snapshot.organization is not None and snapshot.organization.policies_read
    assert {(a.account_id, a.name, a.assumed) for a in snapshot.accounts} == {
        (estate.management, "master", True), (estate.security, "security", True),
        (estate.member, "member-a", True)}
    security = snapshot.account(estate.security)
    assert security is not None
    secrets = {(s.region, s.name, s.kms_key_id, s.is_replica, s.resource_policy is not None)
               for r in security.regions for s in r.secrets}
    assert secrets == {(REGION, "db/member-a", estate.key_arn, False, True),
                       (REGION, "plain", None, False, False),
                       (OTHER_REGION, "db/member-a", estate.key_arn, True, False)}
    primary = next(s for s in security.regions[0].secrets if s.name == "db/member-a")
    assert [r.region for r in primary.replicas or ()] == [OTHER_REGION]
    counts = counter.counts()
    # no role is assumed in the management account (the scan's own credentials)
    assert counts["sts.AssumeRole"] == 2
    assert counts["secretsmanager.DescribeSecret"] == 1
    assert counts["secretsmanager.GetResourcePolicy"] == 2
    assert counts["organizations.ListAccounts"] == 1


def test_a_scan_sends_only_declared_reads_and_never_a_secret_value_read(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    sent: list[tuple[str, str]] = []

    def record(model: Any = None, **_: Any) -> None:  # session-level: sees every client
        sent.append((model.service_model.service_name, model.name))

    scan_session.events.register("before-call", record)
    scan(tmp_path, scan_session, org=True, regions=(REGION, OTHER_REGION))
    assert sent
    assert set(sent) <= allowed_operations()
    assert not {op for _, op in sent} & {"GetSecretValue", "BatchGetSecretValue"}
    assert all(op.startswith(("List", "Get", "Describe", "AssumeRole")) for _, op in sent)


def test_a_role_that_cannot_be_assumed_is_coverage_and_the_scan_goes_on(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Any]) -> None:
    fail_call("sts", "AssumeRole", "AccessDenied",
              when=lambda p: estate.member in p.get("RoleArn", ""))(scan_session)
    snapshot = scan(tmp_path, scan_session, accounts=(estate.security, estate.member))
    member = snapshot.account(estate.member)
    assert member is not None and (member.assumed, member.regions, member.iam) == (False, (), None)
    assert coverage_rows(snapshot) == {
        (estate.member, "global", "sts", "AssumeRole", "AccessDenied", "denied",
         f"arn:aws:iam::{estate.member}:role/{ROLE}")}
    security = snapshot.account(estate.security)
    assert security is not None and security.assumed
    assert {s.name for s in security.regions[0].secrets} == {"db/member-a", "plain"}


def test_a_role_refused_with_an_external_id_says_the_external_id_may_be_why(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Any]) -> None:
    """AWS answers an AssumeRole whose ExternalId the role's trust policy does not accept
    exactly as one the trust policy does not allow at all ("... is not authorized to perform:
    sts:AssumeRole on resource: ..."): with --external-id wrong for one account, its entry
    named only the trust (fault-injection trial round 12). The entry says an ExternalId was
    sent; without --external-id it says nothing of it."""
    refused = (f"User: arn:aws:iam::{estate.management}:user/auditor is not authorized to "
               f"perform: sts:AssumeRole on resource: arn:aws:iam::{estate.member}:role/{ROLE}")
    fail_call("sts", "AssumeRole", "AccessDenied", message=refused,
              when=lambda p: estate.member in p.get("RoleArn", ""))(scan_session)
    for external_id, hinted in ((None, False), ("audit-2026", True)):
        snapshot = scan(tmp_path / str(external_id), scan_session,
                        accounts=(estate.security, estate.member), external_id=external_id)
        [entry] = snapshot.coverage
        assert entry.message.startswith(refused)
        assert ("sent with the ExternalId of --external-id: a trust policy that requires "
                "another sts:ExternalId is refused so too" in entry.message) is hinted, \
            entry.message
        assert "audit-2026" not in entry.message  # the value itself is not written down


def test_a_full_temporary_disk_is_one_error_naming_the_folder_not_a_collector_crash(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """$TMPDIR on a full disk: the first account's working file failed inside the collector's
    guard ("collector crashed in ...: iam collector failed on OSError"), the crash entry's own
    write failed again, and the scan ended "internal error: OSError: [Errno 28] No space left
    on device", naming no folder -- with one process or several (fault-injection trial round
    12). Now: OutputError naming the working folder and $TMPDIR; no crash is recorded."""
    from helpers.full_disk import NearlyFullDisk

    from scanner.errors import OutputError

    work = tmp_path / "work"
    work.mkdir()
    NearlyFullDisk(work, free=0).install(monkeypatch)
    with pytest.raises(OutputError) as caught:
        scan(tmp_path, scan_session, accounts=(estate.security, estate.member), work_dir=work)
    said = str(caught.value)
    assert said.startswith(f"cannot write the collection's working files in {work}"), said
    assert "No space left on device" in said and "TMPDIR" in said
    assert "collector crashed" not in caplog.text
    assert list(work.iterdir()) == []  # the working folder was removed


def test_a_unit_failing_after_the_run_stopped_is_not_logged_as_a_collector_crash(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    """A run stopped by an error (a full $TMPDIR) or a signal exits without waiting for its
    workers; one still in a unit then met "RuntimeError: cannot schedule new futures after
    interpreter shutdown", and "ERROR scanner.collect: collector crashed in ...: (all)
    collector failed on RuntimeError" was printed after the scan's error line, under -q too
    (fault-injection trial round 12). Once the run is stopping, a unit's failure is its stop."""
    import scanner.collect as collect_module
    from scanner.errors import Cancelled

    class StoppedSessions:
        cancelled = True

    def fails(*_: Any, **__: Any) -> Any:
        raise RuntimeError("cannot schedule new futures after interpreter shutdown")

    monkeypatch.setattr(collect_module, "collect_region", fails)
    monkeypatch.setattr(collect_module, "collect_iam", fails)
    run = collect_module._Run(options(tmp_path), StoppedSessions(),  # type: ignore[arg-type]
                              collect_module.PartStore(tmp_path / "parts"))
    for region in (REGION, "global"):
        with pytest.raises(Cancelled):
            run.unit(("111122223333", region))
    assert "collector crashed" not in caplog.text
    assert not (tmp_path / "parts").exists()


def test_a_denied_policy_read_marks_that_secret_unread(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Any]) -> None:
    fail_call("secretsmanager", "GetResourcePolicy", "AccessDeniedException",
              when=lambda p: True)(scan_session)
    snapshot = scan(tmp_path, scan_session, accounts=(estate.security,))
    secrets = {s.name: s for s in snapshot.accounts[0].regions[0].secrets}
    assert secrets["db/member-a"].unread == ("resource_policy",)
    assert secrets["db/member-a"].resource_policy is None
    assert coverage_rows(snapshot) == {
        (estate.security, REGION, "secretsmanager", "GetResourcePolicy",
         "AccessDeniedException", "denied", arn)
        for arn in (estate.shared_secret_arn, estate.plain_secret_arn)}


def test_throttling_past_retries_and_a_disabled_region_are_coverage(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        fail_call: Callable[..., Any]) -> None:
    fail_call("secretsmanager", "ListSecrets", "ThrottlingException", status=400)(scan_session)
    fail_call("ec2", "DescribeVpcs", "OptInRequired")(scan_session)
    snapshot = scan(tmp_path, scan_session, accounts=(estate.security,))
    region = snapshot.accounts[0].regions[0]
    assert region.secrets == () and region.vpcs == ()
    # "ec2" for every reader of the network, "ec2.vpcs" for the listing that failed
    assert set(region.unread_services) == {"secretsmanager", "ec2", "ec2.vpcs"}
    assert region.kms_keys  # the rest of the region was read
    assert coverage_rows(snapshot) == {
        (estate.security, REGION, "secretsmanager", "ListSecrets", "ThrottlingException",
         "throttled", None),
        (estate.security, REGION, "ec2", "DescribeVpcs", "OptInRequired", "region_disabled",
         None)}


def test_an_endpoint_error_is_coverage(tmp_path: Path, estate: Any,
                                       scan_session: boto3.Session) -> None:
    def unreachable(model: Any = None, **_: Any) -> None:
        if model.name == "ListKeys":
            raise EndpointConnectionError(endpoint_url="https://kms.us-east-1.amazonaws.com")

    scan_session.events.register("before-call", unreachable)
    snapshot = scan(tmp_path, scan_session, accounts=(estate.security,))
    assert coverage_rows(snapshot) == {
        (estate.security, REGION, "kms", "ListKeys", "EndpointConnectionError", "fatal", None)}
    assert "kms" in snapshot.accounts[0].regions[0].unread_services


def test_a_named_central_account_is_recorded_as_flagged(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    snapshot = scan(tmp_path, scan_session, accounts=(estate.security, estate.member),
                    central_account=estate.member)
    assert (snapshot.meta.central_account, snapshot.meta.central_account_source) == (
        estate.member, "flag")


def test_without_accounts_or_org_the_home_account_is_scanned_without_a_role(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    counter = CallCounter()
    snapshot = scan(tmp_path, scan_session, counter=counter, role_name=None)
    assert snapshot.meta.accounts == (estate.management,)
    assert "sts.AssumeRole" not in counter.counts()
    assert snapshot.organization is None


def test_other_accounts_need_a_role_name(tmp_path: Path, estate: Any,
                                         scan_session: boto3.Session) -> None:
    with pytest.raises(UsageError, match="--role-name is required"):
        scan(tmp_path, scan_session, accounts=(estate.security,), role_name=None)


def read_times_dropped(snapshot: Snapshot) -> Any:
    """The accounts as JSON without ``read_at`` (when each policy was read: a clock value)."""
    from scanner.model import to_jsonable

    accounts = to_jsonable(snapshot.accounts)
    for account in accounts:
        for region in account["regions"]:
            for secret in region["secrets"]:
                secret.pop("read_at")
    return accounts


def test_the_snapshot_does_not_depend_on_the_executor(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    accounts = (estate.security, estate.member)
    synchronous = scan(tmp_path / "sync", scan_session, accounts=accounts,
                       regions=(REGION, OTHER_REGION))
    pool = ThreadPoolExecutor(3)
    try:
        threaded = read_snapshot(collect(
            options(tmp_path / "threads", accounts=accounts, regions=(REGION, OTHER_REGION)),
            executor=pool, session_factory=lambda _: scan_session))
    finally:
        pool.close()
    assert read_times_dropped(threaded) == read_times_dropped(synchronous)
    assert threaded.coverage == synchronous.coverage
    assert (threaded.meta.central_account, threaded.meta.accounts) == (
        synchronous.meta.central_account, synchronous.meta.accounts)


def test_a_required_region_outside_the_scan_is_read_from_describe_secret(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    counter = CallCounter()
    snapshot = scan(tmp_path, scan_session, counter=counter, accounts=(estate.security,),
                    required_replica_regions=(OTHER_REGION,))
    secrets = {s.name: s for s in snapshot.accounts[0].regions[0].secrets}
    assert [r.region for r in secrets["db/member-a"].replicas or ()] == [OTHER_REGION]
    assert (secrets["plain"].replicas, secrets["plain"].unread) == ((), ())
    # one per primary missing a listed replica in the required region (both: it is not scanned)
    assert counter.counts()["secretsmanager.DescribeSecret"] == 2


def test_without_required_regions_a_partial_scan_claims_no_replica_and_sends_no_describe(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    counter = CallCounter()
    snapshot = scan(tmp_path, scan_session, counter=counter, accounts=(estate.security,))
    secrets = {s.name: s for s in snapshot.accounts[0].regions[0].secrets}
    # the documented meaning of (): no replica in any scanned region, and none required
    assert (secrets["db/member-a"].replicas, secrets["db/member-a"].unread) == ((), ())
    assert "secretsmanager.DescribeSecret" not in counter.counts()


def test_a_failed_listing_in_another_region_makes_undescribed_replicas_unread(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    def west_listing_denied(model: Any = None, params: Any = None, **_: Any) -> Any:
        if model.name == "ListSecrets" and f".{OTHER_REGION}." in params["url"]:
            return (AWSResponse("https://stub", 400, {}, None),
                    {"Error": {"Code": "AccessDeniedException", "Message": "stubbed"},
                     "ResponseMetadata": {"HTTPStatusCode": 400}})
        return None

    scan_session.events.register("before-call", west_listing_denied)
    snapshot = scan(tmp_path, scan_session, accounts=(estate.security,),
                    regions=(REGION, OTHER_REGION))
    east, west = snapshot.accounts[0].regions
    assert west.unread_services == ("secretsmanager",)
    for secret in east.secrets:
        assert (secret.replicas, secret.unread) == (None, ("replicas",)), secret.name


def test_an_unknown_required_replica_region_is_a_usage_error(
        tmp_path: Path, scan_session: boto3.Session) -> None:
    with pytest.raises(UsageError, match="'us-nowhere-1' in required_replica_regions"):
        scan(tmp_path, scan_session, required_replica_regions=("us-nowhere-1",))
