"""The nightly path holds neither tonight's access report as one JSON tree nor the previous
scan's copies of what equals tonight's (fifteenth session: night 2 at 1,000 accounts peaked
at 4.1 GB; at 300 accounts tonight's access JSON was +232 MB, the previous scan +405 MB):
tonight's report is streamed entry by entry (the stored bytes unchanged), and the previous
scan is read against tonight's -- an equal account is tonight's object, a findings row equal
but for first_seen a ``SameRow``, an access entry equal but for verdict indices ``SAME`` --
with the drift and findings.json those of the plain read."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from helpers.access_estate import replica_estate
from helpers.bench_synth import synth_snapshot

from scanner.cli import main
from scanner.history.access_json import streamed_access_json
from scanner.history.diff import diff_scans
from scanner.history.records import SAME, SameRow, Tonight, same_but_verdicts
from scanner.history.blobs import StreamedMembers, encode_blob
from scanner.history.sqlite_store import SqliteHistoryStore
from scanner.model import Snapshot
from scanner.pipeline import ScanOptions, analyze, load_inputs
from scanner.snapshot_io import write_snapshot


def _whole(value: dict[str, Any]) -> dict[str, Any]:
    return {k: dict(v) if isinstance(v, StreamedMembers) else v for k, v in value.items()}


@pytest.mark.parametrize("snapshot", ["synth", "replicas"])
def test_the_streamed_access_json_is_to_dict_and_encodes_to_the_same_bytes(
        snapshot: str) -> None:
    """Each entry built when read is to_dict()'s, verdict indices included (numbered in
    to_dict()'s order: the secrets', then the replicas'), so the record's bytes -- the
    content address -- are those of the report built whole."""
    snap = synth_snapshot(10, 12, 4) if snapshot == "synth" else replica_estate()
    report = analyze(snap, load_inputs(ScanOptions())).access
    whole = report.to_dict()
    streamed = streamed_access_json(report)
    assert isinstance(streamed["secrets"], StreamedMembers)
    assert _whole(streamed) == whole
    assert list(streamed["secrets"]) == list(whole["secrets"])
    if snapshot == "replicas":
        assert whole["replicas"] and _whole(streamed)["replicas"] == whole["replicas"]
    assert encode_blob(streamed) == encode_blob(whole)
    # an entry is built anew each time it is read: nothing of the tree is kept
    arn = next(iter(streamed["secrets"]))
    assert streamed["secrets"][arn] == whole["secrets"][arn]
    assert streamed["secrets"][arn] is not streamed["secrets"][arn]


def _night(base: Snapshot, scan_id: str, started: str, *, public: bool) -> Snapshot:
    """The next night: one secret made readable by everyone (new verdicts: the indices of
    the verdicts after it move), one secret gone, one secret's rotation off."""
    accounts = list(base.accounts)
    if public:
        first = accounts[0]
        region = first.regions[0]
        secrets = list(region.secrets)
        policy = {"Version": "2012-10-17", "Statement": [
            {"Sid": "Public", "Effect": "Allow", "Principal": "*",
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
        secrets[0] = replace(secrets[0], resource_policy=json.dumps(policy))
        del secrets[1]
        secrets[2] = replace(secrets[2], rotation_enabled=False, rotation_lambda_arn=None,
                             rotation_days=None, next_rotation=None)
        accounts[0] = replace(first, regions=(replace(region, secrets=tuple(secrets)),)
                              + first.regions[1:])
    return replace(base, accounts=tuple(accounts),
                   meta=replace(base.meta, scan_id=scan_id, started_at=started))


def _scan(tmp_path: Path, snap: Snapshot, history: Path) -> int:
    path = write_snapshot(tmp_path / f"{snap.meta.scan_id}.json.gz", snap)
    return main(["scan", "--snapshot", str(path), "--history", str(history), "-q",
                 "--out", str(tmp_path / snap.meta.scan_id)])


def test_the_nightly_drift_read_against_stand_ins_is_the_plain_drift(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The drift the nightly scan computes from the previous scan read against tonight's
    (SAME entries, SameRow rows, tonight's equal accounts) is the drift of the two stored
    scans read whole -- on a night whose verdict indices moved."""
    import scanner.history.diff as diff_module

    base = synth_snapshot(12, 15, 4)
    history = tmp_path / "h.db"
    assert _scan(tmp_path, _night(base, "n1", "2026-12-04T02:00:00Z", public=False),
                 history) in (0, 1)
    seen: list[Any] = []
    original = diff_module.diff_scans

    def captured(old: Any, new: Any) -> Any:
        drift = original(old, new)
        entries = dict(old.access["secrets"])
        seen.append((drift, sum(e is SAME for e in entries.values()), len(entries),
                     sum(type(r) is SameRow for r in old.document["findings"]),
                     len(old.document["findings"]),
                     sum(a is b for a, b in zip(old.snapshot.accounts, new.snapshot.accounts))))
        return drift

    monkeypatch.setattr(diff_module, "diff_scans", captured)
    assert _scan(tmp_path, _night(base, "n2", "2026-12-05T02:00:00Z", public=True),
                 history) in (0, 1)
    [(drift, same, entries, rows_same, rows, accounts_same)] = seen
    # the previous scan was read against tonight's: nearly all of it tonight's
    assert same > entries * 0.9 and rows_same > rows * 0.9
    assert accounts_same == len(base.accounts) - 1  # all but the account that changed
    store = SqliteHistoryStore(history)
    plain = original(store.load("n1"), store.load("n2"))
    assert plain.access and plain.findings_new  # the night holds changes to compare
    assert drift.to_json() == plain.to_json()


def test_a_previous_entry_differing_only_in_verdict_indices_is_same() -> None:
    """An access entry whose paths moved to other verdict indices reads as tonight's; one
    whose decision or gates moved does not."""
    entry = {"secret_arn": "a", "paths": [{"principal": "p", "decision": "ALLOWED",
                                           "gates": {"scp": "ALLOWED"}, "verdict": 3}],
             "reach": []}
    moved = {**entry, "paths": [{**entry["paths"][0], "verdict": 7}]}
    denied = {**entry, "paths": [{**entry["paths"][0], "decision": "DENIED"}]}
    assert same_but_verdicts(entry, moved)
    assert not same_but_verdicts(entry, denied)
    assert not same_but_verdicts(entry, {**moved, "reach": [{"subject": "*"}]})
    tonight = Tonight.of({"findings": []}, {"secrets": StreamedMembers(["a"], lambda _: moved)})
    assert tonight.access_element("secrets", "a", entry) is SAME
    assert tonight.access_element("secrets", "a", denied) is denied
    assert tonight.access_element("secrets", "b", entry) is entry  # not tonight's


def test_a_same_row_reads_as_the_row_it_stands_for() -> None:
    """A findings row equal to tonight's but for first_seen is held as tonight's row and its
    own first_seen: it reads, compares and iterates as the row read whole."""
    row = {"id": "f1", "status": "FAIL", "severity": "HIGH", "first_seen": "tonight"}
    old = {"id": "f1", "status": "FAIL", "severity": "HIGH", "first_seen": "last week"}
    tonight = Tonight.of({"findings": [row]}, None, stand_ins=True)
    held = tonight.document_element("findings", 0, dict(old))
    assert type(held) is SameRow
    assert dict(held) == old and held == old and held["first_seen"] == "last week"
    assert held.get("severity") == "HIGH" and held.get("nope", 1) == 1 and len(held) == 4
    assert held != row
    row["first_seen"] = "last week"  # the carry: tonight's row gets the previous first_seen
    assert held == row and row == held
    no_first_seen = tonight.document_element("findings", 0, {"id": "f1", "status": "FAIL",
                                                             "severity": "HIGH"})
    assert "first_seen" not in no_first_seen and no_first_seen.get("first_seen") is None
    assert dict(no_first_seen) == {"id": "f1", "status": "FAIL", "severity": "HIGH"}
    # without stand_ins (Security Hub writes the rows out): a plain dict
    assert type(Tonight.of({"findings": [row]}, None).document_element(
        "findings", 0, dict(old))) is dict


def test_secretgraph_diff_reads_the_older_scan_against_the_newer_as_the_plain_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`secretgraph diff` reads the older scan against the newer one with stand-ins (equal
    accounts, rows and entries held once): its JSON is that of the two scans read whole."""
    import scanner.commands.diff as diff_command

    base = synth_snapshot(12, 15, 4)
    history = tmp_path / "h.db"
    for snap in (_night(base, "n1", "2026-12-04T02:00:00Z", public=False),
                 _night(base, "n2", "2026-12-05T02:00:00Z", public=True)):
        assert _scan(tmp_path, snap, history) in (0, 1)
    held: list[Any] = []
    original = diff_command.diff_scans

    def captured(old: Any, new: Any) -> Any:
        held.append(sum(e is SAME for e in old.access["secrets"].values()))
        return original(old, new)

    monkeypatch.setattr(diff_command, "diff_scans", captured)
    out = tmp_path / "diff.json"
    assert main(["diff", "--history", str(history), "--format", "json", "--output-file",
                 str(out), "n1", "n2"]) == 0
    store = SqliteHistoryStore(history)
    plain = diff_scans(store.load("n1"), store.load("n2"))
    assert json.loads(out.read_text()) == json.loads(json.dumps(plain.to_json(), default=str))
    assert held and held[0] > 0
