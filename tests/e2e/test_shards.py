"""The shard protocol end to end (DESIGN.md contract), against a moto server on 127.0.0.1.

`scan`, `scan --processes 2` and 3 x `collect --shard I/3` + `scan --from-parts` must give the
same findings (rule, resource, principal, status), on the demo estate and on a 50-account
organization; the sharded path may send more requests than one scan only for the organization
discovery each shard repeats. A shard that never ran leaves its accounts as coverage entries:
the merged scan is incomplete and exits 3.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, Iterable, Mapping

import boto3
import pytest

from scanner.cli import main
from scanner.demo.estate import seed
from scanner.demo.fidelity import replica_keys_kept
from scanner.demo.run import CONFIG, scan_options
from scanner.demo.server import SKIP_AMIS_ENV
from scanner.findings import Finding
from scanner.pipeline import ScanOptions, run_scan
from scanner.progress import Progress
from scanner.scan_result import Analysis
from scanner.shards import LocalParts, partition, read_manifests, shard_of, Shard

pytestmark = pytest.mark.e2e

REGION = "us-east-1"
ROLE = "OrganizationAccountAccessRole"

Key = tuple[str, str, str | None, str]


def keys(findings: Iterable[Finding]) -> set[Key]:
    return {(f.rule_id, f.resource.arn, f.principal, f.status.value) for f in findings}


def discovery(operation: str) -> bool:
    """What every shard repeats: who am I, and which accounts does the organization hold."""
    return operation.startswith("organizations.") or operation == "sts.GetCallerIdentity"


def assert_only_discovery_repeated(single: Mapping[str, int], sharded: Mapping[str, int],
                                   shards: int) -> None:
    assert set(sharded) == set(single)
    for operation, count in single.items():
        extra = (shards - 1) * count if discovery(operation) else 0
        assert sharded[operation] == count + extra, operation


class Bar(Progress):
    """The scan's progress bar, off, keeping what it was told of the collection: each phase
    with its total, and the units done when the next began."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, int | None, int]] = []

    def phase(self, name: str, *, total: int | None = None, unit: str = "") -> None:
        if self.seen:
            self.seen[-1] = (*self.seen[-1][:2], self.done)
        super().phase(name, total=total, unit=unit)
        self.seen.append((name, total, 0))

    def collection(self) -> list[tuple[str, int | None, int]]:
        return [s for s in self.seen if s[0] in ("discover", "assume", "collect")]


def three_ways(options: ScanOptions, tmp_path: Path, collect_args: list[str],
               bars: tuple[Bar, Bar] | None = None
               ) -> tuple[Analysis, Analysis, Analysis, dict[str, int]]:
    """(scan, scan --processes 2, 3 x collect --shard + scan --from-parts, the shards' calls);
    ``bars``: the progress of the first two."""
    single = run_scan(dataclasses.replace(options, out_dir=tmp_path / "single", quiet=True,
                                          formats=("json",)),
                      progress=bars[0] if bars else None)
    processes = run_scan(dataclasses.replace(options, out_dir=tmp_path / "processes",
                                             processes=2, quiet=True, formats=("json",)),
                         progress=bars[1] if bars else None)
    parts = tmp_path / "parts"
    for i in (1, 2, 3):
        assert main(["collect", *collect_args, "--shard", f"{i}/3", "--run-id", "night-1",
                     "--parts", str(parts)]) in (0, 3)
    merged = run_scan(dataclasses.replace(options, out_dir=tmp_path / "merged", quiet=True,
                                          formats=("json",), parts_in=str(parts),
                                          run_id="night-1", org=False, regions=()))
    manifests = read_manifests(LocalParts(parts), "night-1")
    assert sorted(m.shard for m in manifests) == ["1/3", "2/3", "3/3"]
    calls: dict[str, int] = {}
    for m in manifests:
        for op, n in (m.api_calls or {}).items():
            calls[op] = calls.get(op, 0) + n
    return single, processes, merged, calls


def test_partition_is_stable_and_covers_every_account_once() -> None:
    accounts = [f"{n:012d}" for n in range(1000, 1400)]
    shards = [partition(accounts, Shard(index=i, count=3)) for i in (1, 2, 3)]
    assert sorted(a for s in shards for a in s) == sorted(accounts)
    assert all(len(s) > 100 for s in shards)  # roughly even
    # an account's shard does not depend on which other accounts exist
    assert partition(accounts[:10], Shard(index=2, count=3)) == \
        tuple(a for a in sorted(accounts[:10]) if shard_of(a, 3) == 2)


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0"])
def test_bad_shard_is_usage_error(text: str, capsys: pytest.CaptureFixture[str],
                                  tmp_path: Path) -> None:
    assert main(["collect", "--regions", REGION, "--shard", text, "--run-id", "r",
                 "--parts", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--shard" in err and "Traceback" not in err


def test_collect_history_problems_are_usage_errors_before_anything_is_read(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    foreign = tmp_path / "notes.db"
    foreign.write_text("not a history")
    base = ["collect", "--regions", REGION, "--shard", "1/2", "--run-id", "r",
            "--parts", str(tmp_path / "parts")]
    assert main([*base, "--history", str(foreign)]) == 2
    err = capsys.readouterr().err
    assert str(foreign) in err and "not a secretgraph history file" in err
    assert "Traceback" not in err
    assert main([*base, "--history", str(tmp_path / "h.db"), "--full-refresh-days", "0"]) == 2
    assert "--full-refresh-days must be from 1 to 3650" in capsys.readouterr().err
    assert not (tmp_path / "parts").exists()


def test_demo_estate_same_findings_three_ways(moto_endpoint: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SKIP_AMIS_ENV, "false")
    with replica_keys_kept():
        estate = seed(moto_endpoint)
        options = dataclasses.replace(scan_options(estate, tmp_path), max_attempts=2,
                                      emit_pass=True)  # compare PASS results too
        collect_args = ["--org", "--role-name", estate.role_name, "--regions",
                        ",".join(estate.regions), "--endpoint-url", moto_endpoint,
                        "--central-account", estate.central_account, "--config", str(CONFIG)]
        bars = (Bar(), Bar())
        single, processes, merged, calls = three_ways(options, tmp_path, collect_args, bars)
    assert single.snapshot.complete
    assert keys(single.findings) == keys(processes.findings) == keys(merged.findings)
    assert len(keys(single.findings)) > 50
    # scan --processes 2 shows its shards' collect phase counted to the end, with the total a
    # scan in one process shows (it named the phase and showed no count); their assume phase
    # too, when it lasts longer than a look (a quarter of a second), drawn as it ended
    alone, sharded = bars[0].collection(), bars[1].collection()
    assert sharded[-1] == alone[-1] == ("collect", 15, 15), (alone, sharded)
    assert all(s in alone for s in sharded if s[0] != "discover"), (alone, sharded)
    assert single.exit_code == processes.exit_code == merged.exit_code
    assert merged.snapshot.meta.central_account == estate.central_account
    assert merged.snapshot.meta.accounts == single.snapshot.meta.accounts
    assert_only_discovery_repeated(single.api_calls, calls, 3)
    assert_only_discovery_repeated(single.api_calls, processes.api_calls, 2)


# --------------------------------------------------------------------------- 50 accounts


def _client(endpoint: str, service: str, creds: Mapping[str, str] | None = None) -> Any:
    keys_ = dict(creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"})
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint, **keys_)


def seed_wide(endpoint: str, members: int) -> list[str]:
    """An organization of ``members`` member accounts; every fifth one holds a CMK secret
    shared with the next account, the others one default-key secret."""
    org = _client(endpoint, "organizations")
    org.create_organization(FeatureSet="ALL")
    ids = [org.create_account(AccountName=f"m{n}", Email=f"m{n}@example.com")[
        "CreateAccountStatus"]["AccountId"] for n in range(members)]
    sts = _client(endpoint, "sts")
    for n, account in enumerate(ids):
        c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                            RoleSessionName="seed")["Credentials"]
        creds = {"aws_access_key_id": c["AccessKeyId"],
                 "aws_secret_access_key": c["SecretAccessKey"],
                 "aws_session_token": c["SessionToken"]}
        sm = _client(endpoint, "secretsmanager", creds)
        if n % 5 == 0:
            key = _client(endpoint, "kms", creds).create_key()["KeyMetadata"]["Arn"]
            arn = sm.create_secret(Name=f"app/{n}", SecretString="x", KmsKeyId=key)["ARN"]
            peer = ids[(n + 1) % len(ids)]
            sm.put_resource_policy(SecretId=arn, ResourcePolicy=json.dumps({
                "Version": "2012-10-17", "Statement": [{
                    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{peer}:root"},
                    "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}))
        else:
            sm.create_secret(Name=f"plain/{n}", SecretString="x")
    return ids


def test_fifty_accounts_same_findings_and_a_missing_shard_is_exit_3(
        moto_endpoint: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ids = seed_wide(moto_endpoint, 50)
    options = ScanOptions(regions=(REGION,), org=True, role_name=ROLE, emit_pass=True,
                          endpoint_url=moto_endpoint, max_attempts=1, max_workers=8)
    collect_args = ["--org", "--role-name", ROLE, "--regions", REGION,
                    "--endpoint-url", moto_endpoint]
    single, processes, merged, calls = three_ways(options, tmp_path, collect_args)
    assert len(single.snapshot.accounts) == 51  # the management account and 50 members
    assert single.snapshot.complete and merged.snapshot.complete
    assert keys(single.findings) == keys(processes.findings) == keys(merged.findings)
    assert_only_discovery_repeated(single.api_calls, calls, 3)

    # the same run without shard 2 of 3 (it never ran): its accounts are coverage, exit 3
    import shutil

    parts = tmp_path / "partial"
    shutil.copytree(tmp_path / "parts", parts)
    lost = set(partition([*ids, "123456789012"], Shard(index=2, count=3)))
    for account in lost:
        (parts / "night-1" / "accounts" / f"{account}.json.gz").unlink()
    (parts / "night-1" / "shards" / "0002-of-0003.json").unlink()
    out = tmp_path / "partial-scan"
    code = main(["scan", "--from-parts", str(parts), "--out", str(out), "--format", "json",
                 "--fail-on", "CRITICAL"])
    doc = json.loads((out / "findings.json").read_text())
    # the shards made the calls, the merge did not (it said "N API calls in 2.0s")
    [summary] = [x for x in capsys.readouterr().out.splitlines() if x.startswith("scan ")]
    assert " API calls by the shards; merged and evaluated in " in summary
    assert lost
    gaps = {c["account_id"] for c in doc["coverage"] if c["error_code"] == "PartMissing"}
    assert gaps == lost
    assert doc["scan"]["complete"] is False
    assert code == 3


# --------------------------------------------------------------------------- two nights


def _member(endpoint: str, account: str, service: str) -> Any:
    c = _client(endpoint, "sts").assume_role(RoleArn=f"arn:aws:iam::{account}:role/{ROLE}",
                                             RoleSessionName="change")["Credentials"]
    return _client(endpoint, service, {"aws_access_key_id": c["AccessKeyId"],
                                       "aws_secret_access_key": c["SecretAccessKey"],
                                       "aws_session_token": c["SessionToken"]})


def _grant(account: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]})


def _secrets(analysis: Analysis) -> dict[str, Any]:
    return {s.arn: s for a in analysis.snapshot.accounts for r in a.regions for s in r.secrets
            if not s.is_replica}


def test_two_nights_incremental_three_ways_equal_a_full_scan(moto_endpoint: str,
                                                             tmp_path: Path) -> None:
    """Night 1 reads everything into the history. Between the nights one policy changes with
    nothing but a re-read mark to say so (moto, like AWS's documentation, gives no
    LastChangedDate move for PutResourcePolicy), one changes with UpdateSecret (LastChangedDate
    moves) and one secret is deleted. Night 2, incremental, as `scan --history`, `scan
    --processes 2 --history` and 3 x `collect --history --shard` + `scan --from-parts
    --history`, finds exactly what a full scan without history finds, with fewer policy reads."""
    import datetime
    import shutil
    import time

    from scanner.history.records import ReReadMark
    from scanner.history.store import open_store
    from scanner.incremental import refresh_night, stamp

    ids = seed_wide(moto_endpoint, 9)
    # moto's LastChangedDate has whole seconds: a secret created in the second night 1 reads
    # it may show a LastChangedDate at or after that read, and is then re-read on night 2 (as
    # it must: its change marker is not before the read) -- the test expected it carried, and
    # failed on the nights its seeding and night 1 shared a second
    time.sleep(1.1)
    base = ScanOptions(regions=(REGION,), org=True, role_name=ROLE, emit_pass=True,
                       endpoint_url=moto_endpoint, max_attempts=1, max_workers=8, quiet=True,
                       formats=("json",))
    night_1 = tmp_path / "night-1.db"
    first = run_scan(dataclasses.replace(base, out_dir=tmp_path / "n1", history=str(night_1)))
    assert first.snapshot.complete and len(_secrets(first)) == 9

    time.sleep(1.1)  # moto's LastChangedDate has whole seconds
    marked_sm = _member(moto_endpoint, ids[0], "secretsmanager")
    marked = marked_sm.describe_secret(SecretId="app/0")["ARN"]
    marked_sm.put_resource_policy(SecretId="app/0", ResourcePolicy=_grant(ids[3]))
    open_store(str(night_1)).mark_reread([ReReadMark(
        resource=marked, marked_at=stamp(), source="test", account_id=ids[0])])
    updated_sm = _member(moto_endpoint, ids[5], "secretsmanager")
    updated = updated_sm.describe_secret(SecretId="app/5")["ARN"]
    updated_sm.update_secret(SecretId="app/5", Description="moved")
    updated_sm.put_resource_policy(SecretId="app/5", ResourcePolicy=_grant(ids[8]))
    deleted_sm = _member(moto_endpoint, ids[2], "secretsmanager")
    deleted = deleted_sm.describe_secret(SecretId="plain/2")["ARN"]
    deleted_sm.delete_secret(SecretId="plain/2", ForceDeleteWithoutRecovery=True)

    stores = {way: tmp_path / f"{way}.db" for way in ("single", "processes", "sharded")}
    for copy in stores.values():
        shutil.copyfile(night_1, copy)
    full = run_scan(dataclasses.replace(base, out_dir=tmp_path / "full"))
    single = run_scan(dataclasses.replace(base, out_dir=tmp_path / "single",
                                          history=str(stores["single"])))
    processes = run_scan(dataclasses.replace(base, out_dir=tmp_path / "processes", processes=2,
                                             history=str(stores["processes"])))
    parts = tmp_path / "parts"
    for i in (1, 2, 3):
        assert main(["collect", "--org", "--role-name", ROLE, "--regions", REGION,
                     "--endpoint-url", moto_endpoint, "--history", str(stores["sharded"]),
                     "--shard", f"{i}/3", "--run-id", "night-2", "--parts", str(parts)]) == 0
    sharded = run_scan(dataclasses.replace(base, out_dir=tmp_path / "sharded",
                                           parts_in=str(parts), run_id="night-2", org=False,
                                           regions=(), history=str(stores["sharded"])))

    assert full.snapshot.complete
    assert keys(full.findings) != keys(first.findings)  # the changes show
    for night_2 in (single, processes, sharded):
        assert keys(night_2.findings) == keys(full.findings)
        assert night_2.snapshot.complete and night_2.exit_code == full.exit_code
        got, now = _secrets(night_2), _secrets(full)
        assert deleted not in got and set(got) == set(now)
        for arn in (marked, updated):
            assert got[arn].carried == ()
            assert got[arn].resource_policy == now[arn].resource_policy
        today = datetime.datetime.now(datetime.timezone.utc).date()
        for arn, secret in got.items():
            if arn in (marked, updated):
                continue
            carried = not refresh_night(arn, today, 7)
            assert secret.carried == (("resource_policy",) if carried else ()), arn
            assert secret.resource_policy == now[arn].resource_policy
        # recorded as the second scan of its history
        assert night_2.history is not None and night_2.history.previous is not None
    reads = "secretsmanager.GetResourcePolicy"
    sharded_reads = sum((m.api_calls or {}).get(reads, 0)
                        for m in read_manifests(LocalParts(parts), "night-2"))
    assert single.api_calls[reads] == processes.api_calls[reads] == sharded_reads
    assert sharded_reads < full.api_calls[reads] == 8


def test_an_incomplete_shard_says_which_accounts_and_why_it_exits_3() -> None:
    """1,000-account trial: a shard with unreadable accounts printed only its usual summary
    and exited 3; which accounts, and why, appeared only after the merge."""
    from scanner.commands.collect import incomplete_line
    from scanner.shards import ShardManifest

    accounts = tuple(f"{n:012d}" for n in range(1, 13))
    manifest = ShardManifest(run_id="night4", shard="1/4", accounts=accounts,
                             expected_accounts=accounts, regions=("us-east-1",),
                             coverage={a: (1 if int(a) <= 10 else 0)
                                       for a in accounts},
                             failed_accounts={"000000000012": "Lambda timed out"})
    assert manifest.incomplete
    line = incomplete_line(manifest)
    assert line.startswith("incomplete: 10 account(s) not read completely (coverage gaps): "
                           "000000000001 (1), ")
    assert "000000000008 (1) and 2 more" in line
    assert "1 account(s) failed: 000000000012 (Lambda timed out)" in line
    assert line.endswith("`secretgraph scan --from-parts` names each call and its error")


def test_the_shards_line_fits_an_80_column_terminal(moto_endpoint: str, tmp_path: Path) -> None:
    """A new user's trial: `collect --shard 1/2 ...` ended its progress bar with "shard 1/2 of
    run run1: 4 account(s) of 5 written to PARTS (135 API calls, 1.9s)", 88 columns at 80;
    on a terminal it is broken between words, as scan's summary is."""
    import os

    from helpers.tty import run_in_tty

    parts = tmp_path / "the-parts-of-the-nightly-organization-scan"
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull})
    run = run_in_tty(["collect", "--accounts", "123456789012", "--regions", REGION,
                      "--endpoint-url", moto_endpoint, "--shard", "1/1", "--run-id",
                      "nightly-2026-12-05", "--parts", str(parts)], env=env, cols=80,
                     timeout=120)
    assert run.exit_code == 0, run.text
    said = run.last_message("shard 1/1 of run nightly-2026-12-05:")
    assert said.startswith("shard 1/1 of run nightly-2026-12-05: 1 account(s) of 1 written "
                           f"to {parts} (")
    lines = run.shown.splitlines()
    assert [x for x in lines if len(x) > 80 and len(x.split()) > 1] == [], run.shown


def test_collect_assumes_the_role_of_role_arn(moto_endpoint: str, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A new user's trial: `collect --org --role-arn 'arn:aws:iam::{account_id}:role/...'`
    (an audit role with a path) dropped the template and stopped with "--role-name is
    required to scan accounts other than ..." (exit 2), while scan took it."""
    ids = seed_wide(moto_endpoint, 2)
    parts = tmp_path / "parts"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    code = main(["collect", "--org", "--regions", REGION, "--endpoint-url", moto_endpoint,
                 "--role-arn", "arn:aws:iam::{account_id}:role/audit/" + ROLE,
                 "--shard", "1/1", "--run-id", "r1", "--parts", str(parts), "-q"])
    assert code == 0
    [manifest] = read_manifests(LocalParts(parts), "r1")
    assert set(ids) <= set(manifest.accounts) and not manifest.incomplete
