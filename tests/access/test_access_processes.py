"""Access analysis over secret shards in several processes (``scan --processes N``) gives the
report one process gives: the same JSON, every path with every gate's reasons, and the same
findings end to end.

The estates: bench/synth.py's organization, and an organization whose accounts sit in
different OUs with the same control policies along their paths (so guardrail answers are
shared across accounts), with levels that have no SCP / RCP in the data, an OU that denies,
an RCP, and secrets in every account."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest
from helpers.access_estate import control, text
from helpers.access_reference import full_report
from helpers.bench_synth import synth_snapshot
from helpers.copies_estate import copies_estate

from scanner.access import AccessReport, AccessSettings, analyze_access, shards
from scanner.access.analyze import make_evaluator
from scanner.access.graph_io import secret_views
from scanner.access.scp import RCP, SCP
from scanner.graph.builder import build_graph
from scanner.model import (
    AccountSnapshot,
    IamPrincipal,
    IamSnapshot,
    KmsKey,
    Organization,
    OrgAccount,
    OrgUnit,
    RegionSnapshot,
    ScanMeta,
    Secret,
    Snapshot,
)
from scanner.pipeline import ScanOptions, analyze, load_inputs

REGION = "us-east-1"
ORG_ID = "o-procs00001"
READ = "secretsmanager:GetSecretValue"
MANAGEMENT = "500000000000"
#: (account, parent): two OUs with the same policies and a nested one under each
PLACES = {f"{500000000001 + i:012d}": ("ou-a", "ou-b", "ou-a1", "ou-b1")[i % 4]
          for i in range(10)}
NOW = dt.datetime(2026, 11, 29, tzinfo=dt.timezone.utc)


def guarded_estate() -> Snapshot:
    accounts = tuple(PLACES)
    everyone = [f"arn:aws:iam::{a}:role/app-{r}" for a in accounts for r in range(3)]
    snaps = []
    for n, acct in enumerate((MANAGEMENT, *accounts)):
        principals = tuple(IamPrincipal(
            arn=f"arn:aws:iam::{acct}:role/app-{r}", name=f"app-{r}", account_id=acct,
            principal_type="role", inline_policies={"read": {
                "Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": READ, "Resource": "*"},
                    {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}})
            for r in range(3))
        key_arn = f"arn:aws:kms:{REGION}:{acct}:key/k-{acct}"
        key = KmsKey(arn=key_arn, key_id=f"k-{acct}", account_id=acct, region=REGION,
                     key_manager="CUSTOMER", key_state="Enabled", policy=text(
                         {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"},
                          "Action": "kms:*", "Resource": "*"},
                         {"Effect": "Allow", "Principal": "*", "Action": "kms:Decrypt",
                          "Resource": "*", "Condition": {"StringEquals": {
                              "aws:PrincipalOrgID": ORG_ID}}}))
        secrets = []
        for s in range(6):
            grantees = [everyone[(n * 7 + s * 5 + j) % len(everyone)] for j in range(4)]
            statements: list[dict[str, Any]] = [
                {"Effect": "Allow", "Principal": {"AWS": grantees}, "Action": READ,
                 "Resource": "*"}]
            if s % 3 == 0:
                statements.append({"Effect": "Allow", "Principal": "*", "Action": READ,
                                   "Resource": "*", "Condition": {"StringEquals": {
                                       "aws:PrincipalOrgID": ORG_ID}}})
            secrets.append(Secret(
                arn=f"arn:aws:secretsmanager:{REGION}:{acct}:secret:app-{s}-Ab12Cd",
                name=f"app-{s}", account_id=acct, region=REGION,
                kms_key_id=key_arn if s % 4 else None, tags={"team": f"team-{s % 2}"},
                resource_policy=text(*statements)))
        snaps.append(AccountSnapshot(
            account_id=acct, name=f"account-{n}",
            regions=(RegionSnapshot(region=REGION, secrets=tuple(secrets), kms_keys=(key,)),),
            iam=IamSnapshot(principals=principals)))
    full = {"Effect": "Allow", "Action": "*", "Resource": "*"}
    # FullAWSAccess everywhere except at half the accounts: "no SCP attached" there
    attached = ("r-root", "ou-a", "ou-b", "ou-a1", "ou-b1") + accounts[::2]
    controls = (
        control("p-full", SCP, attached, full),
        control("p-deny-team1", SCP, ("ou-a1", "ou-b1"),
                 {"Effect": "Deny", "Action": READ, "Resource": "*",
                  "Condition": {"StringEquals": {"aws:ResourceTag/team": "team-1"}}}),
        control("p-vpce", SCP, ("ou-a", "ou-b"),
                 {"Effect": "Deny", "Action": READ, "Resource": "*",
                  "Condition": {"StringNotEqualsIfExists": {"aws:SourceVpce": "vpce-1"}}}),
        control("p-rcp-full", RCP, ("r-root", "ou-a", "ou-b", "ou-a1", "ou-b1") + accounts[1::2],
                 {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}),
        control("p-rcp", RCP, ("r-root",),
                 {"Effect": "Deny", "Principal": "*", "Action": READ, "Resource": "*",
                  "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID},
                                "Bool": {"aws:PrincipalIsAWSService": "false"}}}),
    )
    org = Organization(
        org_id=ORG_ID, management_account_id=MANAGEMENT, root_id="r-root",
        accounts=(OrgAccount(account_id=MANAGEMENT, parent_id="r-root"),) + tuple(
            OrgAccount(account_id=a, parent_id=p) for a, p in PLACES.items()),
        units=(OrgUnit(ou_id="ou-a", name="a", parent_id="r-root"),
               OrgUnit(ou_id="ou-b", name="b", parent_id="r-root"),
               OrgUnit(ou_id="ou-a1", name="a1", parent_id="ou-a"),
               OrgUnit(ou_id="ou-b1", name="b1", parent_id="ou-b")),
        policies=controls, policies_read=True, rcps_read=True)
    ids = (MANAGEMENT, *accounts)
    return Snapshot(meta=ScanMeta(scan_id="procs", started_at="2026-11-29T00:00:00Z",
                                  accounts=ids, regions=(REGION,), central_account=MANAGEMENT,
                                  org_id=ORG_ID),
                    accounts=tuple(snaps), organization=org)


def synth(accounts: int, secrets: int, roles: int) -> Snapshot:
    return synth_snapshot(accounts, secrets, roles)


def copies() -> Snapshot:
    """Copies of a few policy documents: secrets that share whole verdicts (SecretMemo)."""
    return copies_estate(())


ESTATES = {"guardrails by OU": guarded_estate, "bench/synth.py": lambda: synth(12, 25, 9),
           "copies sharing whole verdicts": copies}


def _run(snap: Snapshot, processes: int, record_denied: bool = False) -> AccessReport:
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=record_denied)
    return analyze_access(build_graph(snap), snap, settings, processes=processes)


@pytest.fixture
def no_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    """Shard even the small test estates."""
    monkeypatch.setattr(shards, "MIN_SECRETS_PER_PROCESS", 1)


def test_the_estate_has_guardrail_answers_shared_across_accounts() -> None:
    """The reasons that used to name the first account evaluated are there, naming levels."""
    reasons = {r for p in _run(guarded_estate(), 1, True).all_paths()
               for g in p.gates.values() for r in (*g.reasons, *g.conditions)}
    said = "\n".join(sorted(reasons))
    assert "no SCP attached at the caller's account in the collected data" in said
    assert "no RCP attached at the resource's account in the collected data" in said
    assert "SCP p-deny-team1 at the caller's OU at depth 2: Deny applies" in said
    assert "SCP p-vpce at the caller's OU at depth 1: Deny may apply" in said
    assert not any(a in said for a in PLACES) and "ou-" not in said


@pytest.mark.parametrize("name", sorted(ESTATES))
@pytest.mark.parametrize("record_denied", [False, True])
def test_report_with_processes_equals_one_process(name: str, record_denied: bool,
                                                  no_threshold: None) -> None:
    snap = ESTATES[name]()
    one = full_report(_run(snap, 1, record_denied))
    assert one[1], "paths recorded"
    assert full_report(_run(snap, 2, record_denied)) == one
    assert full_report(_run(snap, 3, record_denied)) == one


@pytest.mark.parametrize("name", sorted(ESTATES))
def test_secrets_evaluated_in_any_order_or_split_get_the_same_answers(name: str) -> None:
    """The property sharding rests on, without processes: an evaluator's answer for a secret
    does not depend on which secrets it evaluated before (reversed order, every split in
    two), the verdicts compared whole."""
    snap = ESTATES[name]()
    graph = build_graph(snap)
    settings = replace(AccessSettings.from_snapshot(snap), record_denied=True)
    views, replicas = secret_views(graph, settings)
    work = views + replicas
    ev = make_evaluator(snap, settings, work)
    forward = [ev.secret_access(sv) for sv in work]
    ev = make_evaluator(snap, settings, work)
    backward = [ev.secret_access(sv) for sv in reversed(work)][::-1]
    assert backward == forward
    for cut in range(1, len(work), max(1, len(work) // 7)):
        ev_a, ev_b = make_evaluator(snap, settings, work), make_evaluator(snap, settings, work)
        tail = [ev_b.secret_access(sv) for sv in work[cut:]]
        assert [ev_a.secret_access(sv) for sv in work[:cut]] + tail == forward


@pytest.mark.parametrize("name", sorted(ESTATES))
def test_findings_with_processes_equal_one_process(name: str, no_threshold: None) -> None:
    """End to end: the findings document (PASS itemised) is the same."""
    snap = ESTATES[name]()
    inputs = load_inputs(ScanOptions(emit_pass=True))
    one = analyze(snap, inputs, now=NOW)
    two = analyze(snap, inputs, now=NOW, processes=2)
    assert json.dumps(two.document, sort_keys=True) == json.dumps(one.document, sort_keys=True)
    assert one.document["findings"]
    assert two.access.to_json() == one.access.to_json()


def test_small_estates_stay_in_one_process() -> None:
    assert shards.shard_count(2, 2 * shards.MIN_SECRETS_PER_PROCESS - 1) == 1
    assert shards.shard_count(2, 2 * shards.MIN_SECRETS_PER_PROCESS) == 2
    assert shards.shard_count(8, 3 * shards.MIN_SECRETS_PER_PROCESS) == 3
    assert shards.shard_count(1, 10**6) == 1
    assert [list(r) for r in shards.split(7, 3)] == [[0, 1], [2, 3, 4], [5, 6]]
    assert [len(r) for r in shards.split(900, 2, 0.8)] == [400, 500]
    for n in range(12):
        for k in range(1, 5):
            ranges = shards.split(n, k, 0.8)
            assert len(ranges) == k and [i for r in ranges for i in r] == list(range(n))


def _on_the_last_secret(monkeypatch: pytest.MonkeyPatch, snap: Snapshot,
                        act: Callable[[], None]) -> None:
    """``act`` runs when the last secret is evaluated: in the last shard, a child's."""
    from scanner.access.secret_eval import SecretEvaluator

    original = SecretEvaluator.secret_access
    last = secret_views(build_graph(snap), AccessSettings.from_snapshot(snap))[0][-1].arn

    def patched(self: SecretEvaluator, sv: Any) -> Any:
        if sv.arn == last:
            act()
        return original(self, sv)

    monkeypatch.setattr(SecretEvaluator, "secret_access", patched)


def test_a_failing_shard_fails_the_analysis(no_threshold: None,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A shard's process that raises is never a partial report."""
    snap = guarded_estate()

    def boom() -> None:
        raise ValueError("boom in a shard")

    _on_the_last_secret(monkeypatch, snap, boom)
    with pytest.raises(shards.ShardError, match="boom in a shard"):
        _run(snap, 2)


def test_a_failing_shard_is_one_line_its_traceback_with_debug_only(
        no_threshold: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A child that raised put its whole traceback into the error line of an ordinary run
    ("internal error: ShardError: ... failed in its process:\ufffdTraceback (most recent call
    last):\ufffd  File ..."; fault-injection trial round 12). The line names the exception;
    --debug shows the child's traceback."""
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = guarded_estate()
    write_snapshot(tmp_path / "snapshot.json.gz", snap)

    def boom() -> None:
        raise ValueError("boom in a shard")

    _on_the_last_secret(monkeypatch, snap, boom)
    argv = ["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--processes", "2",
            "--format", "json"]
    assert main([*argv, "--out", str(tmp_path / "a")]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in line and "File " not in line, line
    assert line.startswith("secretgraph scan: internal error: ShardError: access analysis of "
                           "secrets "), line
    assert line.endswith("failed in its process: ValueError: boom in a shard (run with --debug "
                         "for the traceback)"), line
    assert main([*argv, "--out", str(tmp_path / "b"), "--debug"]) == 2
    err = capsys.readouterr().err
    assert "in boom" in err and 'raise ValueError("boom in a shard")' in err


def test_a_path_survives_pickling_whole() -> None:
    """AccessPath.__reduce__ lists the fields in the constructor's order."""
    import dataclasses
    import pickle

    from scanner.access.verdicts import AccessPath, GateVerdict

    values: dict[str, Any] = {f.name: f"v-{f.name}" for f in dataclasses.fields(AccessPath)}
    values["gates"] = {"scp": GateVerdict(status="ALLOWED", reasons=("r",))}
    path = AccessPath(**values)
    assert pickle.loads(pickle.dumps(path)) == path
    assert all(getattr(pickle.loads(pickle.dumps(path)), k) == v for k, v in values.items())


def test_a_path_built_by_make_path_is_the_one_the_class_builds() -> None:
    """make_path (the hot path's constructor) and path_with give frozen AccessPaths equal,
    field for field, to the dataclass's own."""
    import dataclasses
    import pickle

    from scanner.access.verdicts import AccessPath, GateVerdict, make_path, path_with

    values: dict[str, Any] = {f.name: f"v-{f.name}" for f in dataclasses.fields(AccessPath)}
    values["gates"] = {"scp": GateVerdict(status="ALLOWED", reasons=("r",))}
    built = make_path(*values.values())
    assert type(built) is AccessPath and built == AccessPath(**values)
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.decision = "DENIED"  # type: ignore[misc]
    assert pickle.loads(pickle.dumps(built)) == built
    moved = path_with(built, principal="p2", principal_account="a2")
    assert moved == dataclasses.replace(built, principal="p2", principal_account="a2")
    assert built.principal == "v-principal"


def test_scan_snapshot_with_processes_writes_the_same_findings(
        tmp_path: Path, no_threshold: None) -> None:
    """`scan --snapshot FILE --processes 2` is accepted (the analysis only) and writes the
    findings of one process."""
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = tmp_path / "snapshot.json.gz"
    write_snapshot(snap, guarded_estate())
    docs = []
    for n in ("1", "2"):
        out = tmp_path / f"p{n}"
        main(["scan", "--snapshot", str(snap), "--processes", n, "--out", str(out),
              "--format", "json", "--emit-pass"])
        docs.append(json.loads((out / "findings.json").read_text()))
    assert docs[0]["findings"] and docs[1]["findings"] == docs[0]["findings"]
    assert docs[1]["summary"] == docs[0]["summary"]


def test_a_shard_process_that_dies_fails_the_analysis(no_threshold: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A child that ends without an answer (killed, out of memory) is an error, not a gap."""
    import os

    snap = guarded_estate()
    _on_the_last_secret(monkeypatch, snap, lambda: os._exit(9))
    with pytest.raises(shards.ShardError, match="ended without an answer .exit code 9"):
        _run(snap, 2)


def test_a_shard_process_killed_with_sigkill_is_one_clear_line_not_an_internal_error(
        no_threshold: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The out-of-memory killer's SIGKILL to a child of the access analysis: `scan` said
    "internal error: ShardError: ... (exit code -9) (run with --debug for the traceback)", as
    for a bug (fault-injection trial round 12). Now: one error line naming the secrets and
    how the process ended, exit 2."""
    import os
    import signal

    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = guarded_estate()
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    _on_the_last_secret(monkeypatch, snap, lambda: os.kill(os.getpid(), signal.SIGKILL))
    code = main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--processes", "2",
                 "--out", str(tmp_path / "out"), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "internal error" not in err and "Traceback" not in err, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("secretgraph scan: error: access analysis of secrets "), line
    assert "killed by signal 9 (SIGKILL, as the out-of-memory killer ends a process)" in line
    assert not (tmp_path / "out").exists()


def test_an_interrupted_analysis_stops_its_shard_processes_at_once(
        no_threshold: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C (or SIGTERM, delivered to the parent only: kill PID, systemd's main process)
    while the shards work: the parent stopped, then waited 5 s for each child before killing
    it -- scan --processes 4 took 18 s to exit after SIGTERM where one process took 3 s
    (fault-injection trial round 8)."""
    import os
    import time

    from scanner.access.secret_eval import SecretEvaluator

    snap = guarded_estate()
    parent = os.getpid()
    original = SecretEvaluator.secret_access
    spawned: list[int] = []
    real_start = shards.multiprocessing.process.BaseProcess.start

    def start(self: Any) -> None:
        real_start(self)
        spawned.append(self.pid)

    def patched(self: SecretEvaluator, sv: Any) -> Any:
        if os.getpid() != parent:
            time.sleep(60)  # a child still working
        else:
            raise KeyboardInterrupt
        return original(self, sv)

    monkeypatch.setattr(SecretEvaluator, "secret_access", patched)
    monkeypatch.setattr(shards.multiprocessing.process.BaseProcess, "start", start)
    began = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        _run(snap, 3)
    assert time.monotonic() - began < 3
    assert len(spawned) == 2
    for pid in spawned:  # reaped: no process of that id is left
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


@pytest.mark.parametrize("where", ["child", "parent"])
def test_memory_error_in_the_analysis_is_one_clear_line_not_an_internal_error(
        where: str, no_threshold: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Python's MemoryError (an allocation refused: a ulimit, a container's memory limit)
    while the access analysis evaluates, in a shard's process or the scan's own: `scan
    --processes 2` said "internal error: ShardError: ... failed in its process: MemoryError:
    (run with --debug for the traceback)", as for a bug, where a SIGKILL of the same cause is
    one clear line (fault-injection trial round 14). Now: out of memory, what to do, exit 2."""
    import os

    from scanner.access.secret_eval import SecretEvaluator
    from scanner.cli import main
    from scanner.snapshot_io import write_snapshot

    snap = guarded_estate()
    write_snapshot(tmp_path / "snapshot.json.gz", snap)
    parent = os.getpid()
    original = SecretEvaluator.secret_access

    def patched(self: SecretEvaluator, sv: Any) -> Any:
        if (os.getpid() == parent) == (where == "parent"):
            raise MemoryError
        return original(self, sv)

    monkeypatch.setattr(SecretEvaluator, "secret_access", patched)
    code = main(["scan", "--snapshot", str(tmp_path / "snapshot.json.gz"), "--processes", "2",
                 "--out", str(tmp_path / "out"), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "internal error" not in err and "Traceback" not in err, err
    line = err.strip().splitlines()[-1]
    assert "out of memory (MemoryError)" in line, line
    assert "fewer --processes" in line, line
    assert not (tmp_path / "out").exists()
