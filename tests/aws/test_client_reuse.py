"""Clients are made once per account, Region and service, shared by the threads, released when
an account is done, and every one of them carries the guard, the counter and the pacing."""

from __future__ import annotations

import gc
import threading
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from scanner.aws.calls import CallCounter
from scanner.aws.executor import SynchronousExecutor
from scanner.aws.guard import ReadOnlyGuard
from scanner.aws.permissions import allowed_operations
from scanner.aws.session import AwsSessions
from scanner.collect import CollectOptions, collect
from scanner.errors import ReadOnlyViolation

REGION = "us-east-1"
HOME = "123456789012"
OTHER = "111122223333"
ROLE = "OrganizationAccountAccessRole"


class Recording:
    """A pacing bucket that only records the keys it was asked for."""

    def __init__(self) -> None:
        self.keys: list[str] = []

    def acquire(self, key: str) -> float:
        self.keys.append(key)
        return 0.0


def make(base: boto3.Session, **kwargs: Any) -> AwsSessions:
    return AwsSessions(base, guard=ReadOnlyGuard(allowed_operations()), role_name="Audit",
                       sts_region=REGION, **kwargs)


def fresh() -> boto3.Session:
    """A session with its own (empty) model loader."""
    return boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing",
                         region_name=REGION)


def test_a_client_is_made_once_per_account_region_and_service(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        sessions = make(mgmt_session)
        first = sessions.client("kms", account_id=OTHER, region=REGION)
        assert sessions.client("kms", account_id=OTHER, region=REGION) is first
        others = [sessions.client("kms", account_id=OTHER, region="eu-west-1"),
                  sessions.client("secretsmanager", account_id=OTHER, region=REGION),
                  sessions.client("kms", account_id=HOME, region=REGION)]
        assert all(client is not first for client in others)
        assert len({id(client) for client in others}) == 3


def test_release_forgets_one_accounts_clients_and_keeps_the_others(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        counter = CallCounter()
        sessions = make(mgmt_session, counter=counter)
        other = sessions.client("kms", account_id=OTHER, region=REGION)
        home = sessions.client("kms", account_id=HOME, region=REGION)
        sessions.release(OTHER)
        again = sessions.client("kms", account_id=OTHER, region=REGION)
        assert again is not other
        assert sessions.client("kms", account_id=HOME, region=REGION) is home
        # the credentials outlive the release: the role is not assumed a second time
        assert counter.counts()["sts.AssumeRole"] == 1
        assert again.list_keys()["Keys"] == []


def test_a_reused_client_still_refuses_secret_value_reads(mgmt_session: boto3.Session) -> None:
    with mock_aws():
        sessions = make(mgmt_session)
        for _ in range(2):
            client = sessions.client("secretsmanager", account_id=HOME, region=REGION)
            with pytest.raises(ReadOnlyViolation, match="GetSecretValue"):
                client.get_secret_value(SecretId="db")


def test_every_secrets_manager_client_paces_its_policy_reads(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        mgmt_session.client("secretsmanager").create_secret(Name="db", SecretString="x")
        bucket = Recording()
        sessions = make(mgmt_session, pacing=bucket)
        for region in (REGION, REGION):
            client = sessions.client("secretsmanager", account_id=HOME, region=region)
            client.get_resource_policy(SecretId="db")
            client.list_secrets()
        sessions.release(HOME)
        sessions.client("secretsmanager", account_id=HOME,
                        region=REGION).get_resource_policy(SecretId="db")
    # once per GetResourcePolicy (the reused client is not paced twice per call), nothing else
    assert bucket.keys == [f"{HOME}/{REGION}/secretsmanager-policy"] * 3


def test_threads_asking_at_once_share_one_client_and_one_parse_of_the_model() -> None:
    base = fresh()
    loader = base._session.get_component("data_loader")
    parsed: list[str] = []
    load_file = loader.file_loader.load_file

    def counting(path: str) -> Any:
        parsed.append(path)
        return load_file(path)

    loader.file_loader.load_file = counting
    sessions = make(base)
    sessions._home = HOME  # no call is made: skip GetCallerIdentity
    start = threading.Barrier(8)
    made: list[Any] = []

    def worker() -> None:
        start.wait()
        made.append(sessions.client("ec2", account_id=HOME, region=REGION))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(made) == 8 and len({id(client) for client in made}) == 1
    ec2_models = [p for p in parsed if "/ec2/" in p and p.endswith("service-2")]
    assert len(ec2_models) == 1, parsed


def test_the_heap_is_frozen_only_inside_the_settled_block(mgmt_session: boto3.Session) -> None:
    sessions = make(mgmt_session)
    before = gc.get_freeze_count()
    with sessions.settled_heap(("ec2", "kms")):
        assert gc.get_freeze_count() > before
        # the models are loaded: the first client of the service parses nothing more
        loader = sessions._loader
        assert any(key[1:3] == ("ec2", "service-2") for key in loader._cache)
    assert gc.get_freeze_count() == before == 0


def test_collect_releases_every_account_once_its_work_is_done(
        tmp_path: Path, estate: Any, scan_session: boto3.Session,
        monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[str] = []
    live_after: list[int] = []
    original = AwsSessions.release

    def spy(self: AwsSessions, account_id: str) -> int:
        alive = original(self, account_id)
        released.append(account_id)
        live_after.append(sum(1 for key in self._clients if key[1] == account_id))
        return alive

    monkeypatch.setattr(AwsSessions, "release", spy)
    collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(REGION,), role_name=ROLE,
                           org=True, max_attempts=1), executor=SynchronousExecutor(),
            session_factory=lambda _: scan_session)
    accounts = {estate.management, estate.security, estate.member}
    # after its units of work (IAM and every Region), and again after its replication reads
    assert accounts <= set(released)
    assert set(live_after) == {0}
    assert gc.get_freeze_count() == 0


def test_clients_share_one_cache_of_event_name_aliases(mgmt_session: boto3.Session) -> None:
    with mock_aws():
        sessions = make(mgmt_session)
        kms = sessions.client("kms", account_id=HOME, region=REGION)
        ec2 = sessions.client("ec2", account_id=HOME, region="eu-west-1")
        kms.list_keys()
        # what one client aliased, the next one finds (botocore's copies start empty)
        assert ec2.meta.events._alias_name_cache is kms.meta.events._alias_name_cache
        assert "before-call.kms.ListKeys" in ec2.meta.events._alias_name_cache


def test_clients_of_one_service_share_its_class_and_model_and_keep_their_own_hooks(
        mgmt_session: boto3.Session) -> None:
    import botocore.client

    creator = botocore.client.ClientCreator
    with mock_aws():
        counter = CallCounter()
        sessions = make(mgmt_session, counter=counter)
        home = sessions.client("secretsmanager", account_id=HOME, region=REGION)
        other = sessions.client("secretsmanager", account_id=OTHER, region="eu-west-1")
        kms = sessions.client("kms", account_id=OTHER, region="eu-west-1")
        assert type(other) is type(home) and type(kms) is not type(home)
        assert other.meta.service_model is home.meta.service_model
        # per-client values stay per client: Region, credentials, the handlers
        assert (home.meta.region_name, other.meta.region_name) == (REGION, "eu-west-1")
        assert home._request_signer._credentials is not other._request_signer._credentials
        assert home.meta.events is not other.meta.events
        for client in (home, other):
            with pytest.raises(ReadOnlyViolation, match="GetSecretValue"):
                client.get_secret_value(SecretId="db")
        other.list_secrets()
        assert counter.counts()["secretsmanager.ListSecrets"] == 1
    # botocore's own ClientCreator is back once a client is made
    assert botocore.client.ClientCreator is creator
    plain = fresh().client("secretsmanager")
    assert type(plain) is not type(home)


def test_clients_copy_only_their_services_handlers_and_see_later_registrations(
        mgmt_session: boto3.Session) -> None:
    with mock_aws():
        sessions = make(mgmt_session)
        seen: list[str] = []
        mgmt_session.events.register("before-call.kms", lambda **_: seen.append("kms"))
        mgmt_session.events.register("before-call", lambda **_: seen.append("any"))
        first = sessions.client("kms", account_id=HOME, region=REGION)
        seen.clear()  # the GetCallerIdentity of the home account
        first.list_keys()
        assert seen == ["kms", "any"]
        # registered after the first kms client: the next one has it, for kms only
        mgmt_session.events.register("before-call.kms.ListKeys",
                                     lambda **_: seen.append("later"))
        mgmt_session.events.register("before-call.secrets-manager",
                                     lambda **_: seen.append("secrets"))
        seen.clear()
        sessions.client("kms", account_id=HOME, region="eu-west-1").list_keys()
        assert seen == ["later", "kms", "any"]
        seen.clear()
        sessions.client("secretsmanager", account_id=HOME, region=REGION).list_secrets()
        assert seen == ["secrets", "any"]
        # the other services' branches are not copied into a client (S3's, for one)
        base = mgmt_session._session.get_component("event_emitter")._emitter
        assert "s3" in base._handlers._root["children"]["before-call"]["children"]
        events = first.meta.events._emitter._handlers._root["children"]
        assert set(events["before-call"]["children"]) == {"kms"}


def test_a_released_client_is_freed_at_once_without_a_garbage_collection(
        mgmt_session: boto3.Session) -> None:
    import weakref

    with mock_aws():
        sessions = make(mgmt_session)
        client = sessions.client("secretsmanager", account_id=OTHER, region=REGION)
        list(client.get_paginator("list_secrets").paginate())
        with pytest.raises(ReadOnlyViolation):
            client.get_secret_value(SecretId="db")
        gone = weakref.ref(client)
        del client
        gc.disable()
        try:
            # nothing left alive: the collection after a release is not needed
            assert sessions.release(OTHER) == 0
            assert gone() is None
            # the account's botocore session waits for a collection (it is in cycles)
            assert sessions.lingering() == 1
            gc.collect()
            assert sessions.lingering() == 0
        finally:
            gc.enable()
        held = sessions.client("kms", account_id=OTHER, region=REGION)
        assert sessions.release(OTHER) == 1  # a thread still holds it
        assert held.list_keys()["Keys"] == []
