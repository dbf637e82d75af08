"""An undo that stopped on a change (a call refused, throttled, a 500; a resource changed
since the apply) ends with what to do next, as a stopped apply does -- it ended with the
journal line alone (safe-fixes trial round 10: 'undo journal: U (failed 1)', exit 1, and no
word of whether to run it again or restore by hand)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from botocore.client import BaseClient
from botocore.exceptions import ClientError

from helpers.remediate_estate import CENTRAL, REMEDIATION_ROLE, Scanned, account_session
from scanner.cli import main
from scanner.remediate.journal import read_journal

_REAL = BaseClient._make_api_call


def _apply(scanned: Scanned, journal: Path) -> int:
    return main(["remediate", "--in", str(scanned.scan_dir), "--config",
                 str(scanned.config_path), "--rule", "grant-key-decrypt", "--apply", "--yes",
                 "--remediation-role-name", REMEDIATION_ROLE, "--journal", str(journal)])


def _undo(journal: Path, undo_journal: Path, *more: str) -> int:
    return main(["remediate", "--undo", str(journal), "--yes", "--remediation-role-name",
                 REMEDIATION_ROLE, "--journal", str(undo_journal), *more])


def _put_key_policy(what: str) -> Any:
    """PutKeyPolicy refused before it is made ("before"), or made and its answer lost
    ("lost": an InternalFailure after the policy was written, as a retry that failed)."""
    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op != "PutKeyPolicy":
            return _REAL(self, op, params)
        if what == "before":
            raise ClientError({"Error": {"Code": "ThrottlingException",
                                         "Message": "Rate exceeded"}}, op)
        _REAL(self, op, params)
        raise ClientError({"Error": {"Code": "InternalFailure", "Message": "reset"}}, op)
    return call


def test_an_undo_whose_call_failed_says_to_run_the_same_undo_again(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, journal) == 0
    capsys.readouterr()
    monkeypatch.setattr(BaseClient, "_make_api_call", _put_key_policy("before"))

    rc = _undo(journal, tmp_path / "undo.jsonl")

    out = capsys.readouterr().out
    assert rc == 1, out
    last = out.rstrip().splitlines()[-1]
    assert "run the same --undo again" in last, out
    assert f"secretgraph remediate --undo {journal} --remediation-role-name " \
        f"{REMEDIATION_ROLE}" in last, out


def test_an_undo_whose_answer_was_lost_is_journaled_as_what_the_re_read_shows(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    before = kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"]
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, journal) == 0
    capsys.readouterr()
    monkeypatch.setattr(BaseClient, "_make_api_call", _put_key_policy("lost"))

    rc = _undo(journal, tmp_path / "undo.jsonl")

    out = capsys.readouterr().out
    assert kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"] == before
    undo = read_journal(tmp_path / "undo.jsonl")
    assert [e.status for e in undo.entries if e.status != "started"] == ["undone"], out
    assert rc == 0, out
    assert "FAILED" not in out and "re-read shows it as before the apply" in out, out


def test_an_undo_refused_on_a_resource_changed_since_says_to_restore_it_by_hand(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Changed between the undo's re-read of every resource and its own change (the
    preflight passed): refused, and the next step names the journal's before state."""
    import json

    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, journal) == 0
    capsys.readouterr()
    reads: list[str] = []

    def call(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
        if op == "GetKeyPolicy":
            reads.append(op)
            if len(reads) == 2:  # someone edits the policy after the undo's preflight
                doc = json.loads(_REAL(self, op, params)["Policy"])
                doc["Statement"].append({"Sid": "ByHand", "Effect": "Allow", "Action":
                                         "kms:DescribeKey", "Resource": "*", "Principal":
                                         {"AWS": f"arn:aws:iam::{CENTRAL}:root"}})
                kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(doc))
        return _REAL(self, op, params)
    monkeypatch.setattr(BaseClient, "_make_api_call", call)

    rc = _undo(journal, tmp_path / "undo.jsonl")

    out = capsys.readouterr().out
    assert rc == 1, out
    assert "REFUSED" in out
    last = out.rstrip().splitlines()[-1]
    assert f"restore it by hand to its before state in {journal}" in last, out
    assert "run the same --undo again" in last, out


def test_with_q_the_next_step_is_said_on_stderr(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, journal) == 0
    capsys.readouterr()
    monkeypatch.setattr(BaseClient, "_make_api_call", _put_key_policy("before"))

    rc = _undo(journal, tmp_path / "undo.jsonl", "-q")

    out, err = capsys.readouterr()
    assert rc == 1 and out == ""
    assert "run the same --undo again" in err and f"--undo {journal}" in err, err


def test_an_undo_refused_before_any_change_says_what_to_do_about_the_changed_resource(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A resource changed since the apply refuses the whole undo (exit 2, nothing changed);
    the line named the resource and the key that changed, and left the operator there."""
    import json

    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    kms = account_session(CENTRAL).client("kms")
    key = scanned.estate.cmk_arn
    journal = tmp_path / "journal.jsonl"
    assert _apply(scanned, journal) == 0
    doc = json.loads(kms.get_key_policy(KeyId=key, PolicyName="default")["Policy"])
    doc["Statement"].append({"Sid": "ByHand", "Effect": "Allow", "Action": "kms:DescribeKey",
                             "Resource": "*", "Principal": {"AWS": f"arn:aws:iam::{CENTRAL}:root"}})
    kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(doc))
    capsys.readouterr()

    rc = _undo(journal, tmp_path / "undo.jsonl")

    err = capsys.readouterr().err
    assert rc == 2, err
    assert "key_policy changed since the apply" in err, err
    assert "put each resource that changed back as the apply left it (its after in the " \
        "journal) and run the same --undo again, or restore each change's before by hand" \
        in err, err


def _get_key_policy_denied(self: BaseClient, op: str, params: dict[str, Any]) -> Any:
    if op == "GetKeyPolicy":
        raise ClientError({"Error": {"Code": "AccessDeniedException",
                                     "Message": "not allowed"}}, op)
    return _REAL(self, op, params)


@pytest.mark.parametrize("run", ["--apply", "--undo"])
def test_a_resource_that_cannot_be_re_read_first_says_what_the_role_needs(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, run: str) -> None:
    """Every resource is re-read before the first change; one that cannot be (the read denied,
    throttled) refuses the run, exit 2 -- the line ended with the error alone."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal = tmp_path / "journal.jsonl"
    if run == "--undo":
        assert _apply(scanned, journal) == 0
    capsys.readouterr()
    monkeypatch.setattr(BaseClient, "_make_api_call", _get_key_policy_denied)

    rc = _undo(journal, tmp_path / "undo.jsonl") if run == "--undo" else \
        _apply(scanned, journal)

    err = capsys.readouterr().err
    assert rc == 2, err
    assert "nothing was changed" in err and "could not re-read" in err, err
    assert "AccessDeniedException" in err, err
    assert "secretgraph iam-policy --for remediation-role" in err, err
    assert f"run the same {run} again" in err, err
    assert "put each resource that changed back" not in err, err


def test_undoing_an_undo_journal_says_to_apply_the_plan_again(
        scanned: Scanned, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Undo twice, the second time of the undo's own journal: refused (an undo journal cannot
    be undone), exit 2 -- and what to run to make the changes again."""
    monkeypatch.delenv("SECRETGRAPH_HISTORY", raising=False)
    journal, undo_journal = tmp_path / "journal.jsonl", tmp_path / "undo.jsonl"
    assert _apply(scanned, journal) == 0
    assert _undo(journal, undo_journal) == 0
    capsys.readouterr()

    rc = _undo(undo_journal, tmp_path / "undo-of-undo.jsonl")

    err = capsys.readouterr().err
    assert rc == 2, err
    assert "this is the journal of an undo; only an apply can be undone" in err, err
    assert "run its --apply again (secretgraph remediate --plan PLAN --apply" in err, err
    assert not (tmp_path / "undo-of-undo.jsonl").exists()
