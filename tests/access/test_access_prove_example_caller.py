"""`access --prove` says the outside-the-zone witness's caller is one the solver chose
(new-user trial round 36: "witness: arn:aws:iam::999999999999:role/a (role in account
999999999999)" read as a role named "a" that exists and can read the secret), while a
conditional reader's witness is that reader itself and says nothing of the kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.access_estate import OUTSIDER, estate, key_policy_for, secret_policy_for

from scanner.cli import main
from scanner.snapshot_io import write_snapshot

pytest.importorskip("z3")


def test_the_outside_witness_is_said_to_be_an_example(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = f"arn:aws:iam::{OUTSIDER}:root"
    path = write_snapshot(tmp_path / "snapshot.json.gz",
                          estate(secret_policy=secret_policy_for(root),
                                 key_policy=key_policy_for(root)))
    main(["access", "--snapshot", str(path), "--prove", "app/db"])
    lines = capsys.readouterr().out.splitlines()
    at = next(i for i, line in enumerate(lines)
              if line.startswith("  outside the zone, read") and line.endswith(": WITNESS"))
    witness = next(line for line in lines[at:] if line.startswith("    witness: "))
    assert witness.startswith(f"    witness: arn:aws:iam::{OUTSIDER}:"), witness
    assert witness.endswith(f"in account {OUTSIDER}; an example caller the solver chose, not "
                            "necessarily one that exists)"), witness
    # the conditional reader (the outside account's root: its IAM was not read) is itself
    readers = [line for line in lines if line.startswith("    candidate (not confirmed): ")
               or (line.startswith("    witness: ") and root in line)]
    assert all("example caller" not in line for line in readers), readers
