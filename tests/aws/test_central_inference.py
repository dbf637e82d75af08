"""Central-account inference with unread listings (fault trial round 3).

docs/collection.md: "An account with no secret is never chosen". An account whose Secrets
Manager listing (or whose resource policies) could not be read does not have *no* secret: its
figures are unknown. When such an account could have won, the inference is withheld (no
central account, ``central_account_source: "withheld"``) instead of naming the best of the
accounts that were read -- in `scan` and in `scan --from-parts` alike (one function).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

from scanner.aws.executor import SynchronousExecutor
from scanner.collect import CollectOptions, collect
from scanner.central_account import AccountStats, choose_central_account
from scanner.snapshot_io import read_snapshot

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"

A, B, C = "111111111111", "222222222222", "333333333333"


def test_an_account_whose_listing_was_unread_withholds_the_inference() -> None:
    """Fault trial round 3: the central account's ListSecrets throttled (page 3 of 5) left it
    with zero secrets and a member was "inferred" central."""
    stats = {A: AccountStats(listings_unread=1),
             B: AccountStats(secrets=3, cmk_secrets=1, shared_secrets=0)}
    choice = choose_central_account(stats, accounts=(A, B))
    assert (choice.account, choice.source) == (None, "withheld")
    assert A in (choice.reason or "") and "Secrets Manager" in (choice.reason or "")


def test_no_secret_read_anywhere_with_an_unread_listing_is_withheld_not_none() -> None:
    """Fault trial round 3: "none" says no scanned account holds a secret; with a listing
    unread that is not known."""
    choice = choose_central_account({A: AccountStats(listings_unread=1), B: AccountStats()},
                                    accounts=(A, B))
    assert (choice.account, choice.source) == (None, "withheld")
    assert choose_central_account({A: AccountStats(), B: AccountStats()},
                                  accounts=(A, B)).source == "none"


def test_an_account_without_stats_is_unread() -> None:
    """Fault trial round 3: `scan --from-parts` counted an account whose part is missing as
    holding nothing."""
    choice = choose_central_account({B: AccountStats(secrets=2, shared_secrets=2)},
                                    accounts=(A, B))
    assert (choice.account, choice.source) == (None, "withheld")


def test_unread_policies_withhold_only_when_they_could_change_the_winner() -> None:
    """Fault trial round 3: a secret whose resource policy was not read may or may not be
    shared; it decides nothing when even counting it as shared cannot beat the winner."""
    close = {A: AccountStats(secrets=5, cmk_secrets=5, shared_secrets=5),
             B: AccountStats(secrets=5, cmk_secrets=5, shared_secrets=3, policies_unread=3)}
    assert choose_central_account(close, accounts=(A, B)).source == "withheld"
    far = {A: AccountStats(secrets=5, cmk_secrets=5, shared_secrets=5),
           B: AccountStats(secrets=5, cmk_secrets=5, shared_secrets=1, policies_unread=2)}
    assert choose_central_account(far, accounts=(A, B)).account == A
    # the winner's own unread policies only make it win by more
    own = {A: AccountStats(secrets=9, shared_secrets=4, policies_unread=5),
           B: AccountStats(secrets=2, shared_secrets=2)}
    assert (choose_central_account(own, accounts=(A, B)).account,
            choose_central_account(own, accounts=(A, B)).source) == (A, "inferred")


def test_the_flag_wins_whatever_was_read() -> None:
    """Fault trial round 3: --central-account is the way out of a withheld inference."""
    choice = choose_central_account({A: AccountStats(listings_unread=1)}, accounts=(A, B),
                                    flag=B)
    assert (choice.account, choice.source, choice.reason) == (B, "flag", None)


def test_a_disabled_region_holds_no_secret_and_withholds_nothing() -> None:
    """Fault trial round 3: an opt-in Region not enabled for an account (region_disabled)
    cannot hold secrets; its refused listing is not an unread one."""
    from scanner.central_account import listing_unread
    from scanner.model import CoverageEntry, RegionSnapshot

    region = RegionSnapshot(region="ap-southeast-3", unread_services=("secretsmanager",))

    def entry(kind: str) -> CoverageEntry:
        return CoverageEntry(account_id=A, region="ap-southeast-3", service="secretsmanager",
                             operation="ListSecrets", error_code="X", error_kind=kind,
                             message="m")

    assert not listing_unread(region, [entry("region_disabled")])
    assert listing_unread(region, [entry("throttled")])
    assert not listing_unread(RegionSnapshot(region=REGION), [])


# --------------------------------------------------------------------------- on moto


def _member_secret(estate: Any) -> None:
    """A plain secret in the member account (the estate's member holds none), once."""
    creds = boto3.client("sts", region_name=REGION, aws_access_key_id="testing",
                         aws_secret_access_key="testing").assume_role(
        RoleArn=f"arn:aws:iam::{estate.member}:role/{ROLE}", RoleSessionName="setup",
    )["Credentials"]
    sm = boto3.client("secretsmanager", region_name=REGION,
                      aws_access_key_id=creds["AccessKeyId"],
                      aws_secret_access_key=creds["SecretAccessKey"],
                      aws_session_token=creds["SessionToken"])
    if not sm.list_secrets()["SecretList"]:
        sm.create_secret(Name="member/app", SecretString="x")


def _throttle_listing_of(account: str) -> Any:
    """A hook set on the scan's session: ListSecrets answered ThrottlingException in
    ``account`` (the account of a request is that of the role whose keys sign it)."""
    keys: dict[str, str] = {"testing": "123456789012"}

    def remember(params: Any = None, context: Any = None, model: Any = None, **_: Any) -> None:
        if model is not None and model.name == "AssumeRole" and context is not None:
            context["role"] = params.get("RoleArn")

    def learn(parsed: Any = None, context: Any = None, model: Any = None, **_: Any) -> None:
        if model is not None and model.name == "AssumeRole" and parsed and context:
            m = re.match(r"arn:[^:]+:iam::(\d{12}):", context.get("role") or "")
            if m:
                keys[parsed["Credentials"]["AccessKeyId"]] = m.group(1)

    def hook(model: Any = None, request_signer: Any = None, **_: Any) -> Any:
        if model.name != "ListSecrets" or request_signer is None:
            return None
        key = request_signer._credentials.get_frozen_credentials().access_key
        if keys.get(key) != account:
            return None
        return (AWSResponse("https://stub", 400, {}, None),
                {"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"},
                 "ResponseMetadata": {"HTTPStatusCode": 400}})

    def install(session: boto3.Session) -> None:
        session.events.register("provide-client-params", remember)
        session.events.register("after-call", learn)
        session.events.register("before-call", hook)

    return install


def test_a_throttled_central_listing_does_not_make_a_member_central(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    """Fault trial round 3 (repro_central_inference.sh): the central account's ListSecrets
    throttled; the night said `<member> inferred` with no caveat, and `export securityhub
    --mode central` would have sent every finding to that member's Security Hub."""
    _member_secret(estate)
    _throttle_listing_of(estate.security)(scan_session)
    path = collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(REGION,),
                                  role_name=ROLE, max_attempts=1, org=True),
                   executor=SynchronousExecutor(), session_factory=lambda _: scan_session)
    snapshot = read_snapshot(path)
    assert any(c.account_id == estate.security and c.operation == "ListSecrets"
               for c in snapshot.coverage)
    assert (snapshot.meta.central_account, snapshot.meta.central_account_source) == (
        None, "withheld")


def test_the_same_scan_undisturbed_still_infers_the_central_account(
        tmp_path: Path, estate: Any, scan_session: boto3.Session) -> None:
    """Fault trial round 3: the control -- nothing throttled, the security account wins."""
    _member_secret(estate)
    path = collect(CollectOptions(out=tmp_path / "s.json.gz", regions=(REGION,),
                                  role_name=ROLE, max_attempts=1, org=True),
                   executor=SynchronousExecutor(), session_factory=lambda _: scan_session)
    meta = read_snapshot(path).meta
    assert (meta.central_account, meta.central_account_source) == (estate.security, "inferred")


def test_merge_withholds_the_inference_when_a_part_is_missing(tmp_path: Path) -> None:
    """Fault trial round 3: the merge of `scan --from-parts` had its own copy of the inference
    and counted an account without a part as holding nothing."""
    from scanner.shards import LocalParts, ShardManifest, encode_part, merge_parts, part_key, \
        write_manifest

    store = LocalParts(tmp_path / "parts")
    write_manifest(store, ShardManifest(run_id="r", shard="1/1", accounts=(A, B),
                                        expected_accounts=(A, B),
                                        regions=(REGION,)), "0001-of-0001")
    account = {"account_id": B, "name": None, "regions": [], "iam": None, "assumed": True}
    store.write(part_key("r", B), encode_part(
        run_id="r", account=account, coverage=(),
        stats={"secrets": 4, "cmk_secrets": 4, "shared_secrets": 4},
        collected_at="2026-11-28T01:00:00Z", seconds=1.0))
    result = merge_parts(store, "r", tmp_path / "out.json.gz")
    assert result.missing == (A,)
    meta = read_snapshot(result.path).meta
    assert (meta.central_account, meta.central_account_source) == (None, "withheld")
