"""`secretgraph demo` end to end: moto on loopback, the seeded estate, the real scan pipeline.

The scan must report exactly the seeded misconfigurations as FAIL -- each on the resource (and,
for access findings, the principal) the estate's table names -- and nothing on the correct
parts; it must read everything (no coverage gap) and write every report format.
"""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main
from scanner.demo.estate import DemoEstate
from scanner.demo.expected import MISCONFIGURATIONS
from scanner.demo.run import EXPECTED_FILE
from scanner.demo.server import SKIP_AMIS_ENV
from scanner.snapshot_io import read_snapshot


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    out_dir = tmp_path_factory.mktemp("demo")
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(stdout):
        mp.setenv(SKIP_AMIS_ENV, "false")
        code = main(["demo", "--out", str(out_dir), "--verbose"])
    return code, stdout.getvalue(), out_dir


def _json(path: Path) -> Any:
    if path.name == "findings.json":  # compact on disk; read as every consumer reads it
        from reports.json_out import read_findings_json

        return read_findings_json(path)
    return json.loads(path.read_text(encoding="utf-8"))


def test_demo_exits_zero_and_says_it_found_what_was_seeded(demo_run: tuple[int, str, Path]
                                                           ) -> None:
    code, text, _ = demo_run
    assert code == 0, text
    assert f"exactly the {len(MISCONFIGURATIONS)} seeded misconfigurations" in text
    assert "API calls made by the scan (per operation):" in text  # --verbose
    assert "secretsmanager.ListSecrets" in text
    # it ends with what to try next, on a seeded broken secret
    tail = text[text.index("\nNext:"):]
    assert "report.html" in tail and "secretgraph remediate --in" in tail
    assert "--secret demo/misconfig/broken-access --why" in tail
    assert "secretgraph diff --history" in tail


def test_the_suggested_access_command_explains_the_broken_secret(
        demo_run: tuple[int, str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, text, out_dir = demo_run
    line = next(x for x in text.splitlines() if "secretgraph access --in" in x)
    argv = line.split("secretgraph ", 1)[1].split()
    assert main(argv) == 0
    assert "BROKEN at" in capsys.readouterr().out


def test_scan_fails_exactly_the_seeded_misconfigurations(demo_run: tuple[int, str, Path]
                                                         ) -> None:
    _, _, out_dir = demo_run
    expected = {(e["rule_id"], e["resource"], e["principal"])
                for e in _json(out_dir / EXPECTED_FILE)["expected_fail_findings"]}
    findings = _json(out_dir / "findings.json")["findings"]
    failed = {(f["rule_id"], f["resource"]["arn"], f["principal"])
              for f in findings if f["status"] == "FAIL"}
    assert failed == expected
    assert len(expected) == len(MISCONFIGURATIONS)


def test_the_failed_replication_is_described_and_named_with_its_status_message(
        demo_run: tuple[int, str, Path]) -> None:
    """docs/demo.md: the demo config requires us-west-2, so replica-conflict, a primary
    without a replica there, is described (DescribeSecret) and its Failed replication is seen:
    the finding names it, not only "no replica" (the page said it showed up as not
    replicated alone, DescribeSecret being called only for primaries with a listed replica)."""
    _, _, out_dir = demo_run
    finding = next(f for f in _json(out_dir / "findings.json")["findings"]
                   if f["rule_id"] == "secret-not-replicated"
                   and "demo/misconfig/replica-conflict" in f["resource"]["arn"])
    assert finding["status"] == "FAIL"
    assert "replication failed: us-west-2: Replication failed:" in finding["message"]


def test_the_only_unknowns_follow_from_seeded_misconfigurations(
        demo_run: tuple[int, str, Path]) -> None:
    _, _, out_dir = demo_run
    expected = {(e["rule_id"], e["resource"])
                for e in _json(out_dir / EXPECTED_FILE)["expected_unknown_findings"]}
    findings = _json(out_dir / "findings.json")["findings"]
    unknown = {(f["rule_id"], f["resource"]["arn"]) for f in findings
               if f["status"] == "UNKNOWN"}
    assert unknown == expected
    # the secret whose rotation function is gone: FAIL in secret-rotation-function-missing,
    # not judged by the network rule (no function, no network to judge)
    resources = _json(out_dir / EXPECTED_FILE)["resources"]
    gone = resources["secret:demo/misconfig/rotation-lambda-missing"]
    assert {(f["rule_id"], f["status"]) for f in findings if f["resource"]["arn"] == gone
            and f["rule_id"].startswith("secret-rotation-")} >= {
        ("secret-rotation-function-missing", "FAIL")}
    assert not [f for f in findings if f["resource"]["arn"] == gone
                and f["rule_id"] == "secret-rotation-no-network-path"]


CORRECT_PREFIXES = ("secret:prod/", "replica:prod/", "key:member-", "pcx:member-",
                    "rtb:rotation-", "rtb:member-", "vpc:central", "vpc:member-")


def test_correct_parts_of_the_estate_pass(demo_run: tuple[int, str, Path]) -> None:
    _, _, out_dir = demo_run
    resources = _json(out_dir / EXPECTED_FILE)["resources"]
    correct = {arn: name for name, arn in resources.items()
               if name.startswith(CORRECT_PREFIXES)}
    document = _json(out_dir / "findings.json")
    on_correct = [f for f in document["findings"] if f["resource"]["arn"] in correct]
    assert [(correct[f["resource"]["arn"]], f["rule_id"], f["status"]) for f in on_correct
            if f["status"] != "PASS"] == []
    # PASS results are counted per rule, with their resources (the demo is small enough)
    by_rule = document["passed"]["by_rule"]
    assert all("resources" in entry for entry in by_rule if entry["count"])
    passed = {(entry["rule_id"], arn) for entry in by_rule
              for arn in entry.get("resources") or ()}
    assessed = {correct[arn] for _, arn in passed if arn in correct}
    must_be_assessed = {n for n in correct.values()
                        if n.startswith(("secret:", "replica:", "key:", "pcx:"))}
    assert must_be_assessed <= assessed
    for m in "abc":
        secret = resources[f"secret:prod/member-{m}/db"]
        rules = {rule for rule, arn in passed if arn == secret}
        assert {"secret-rotation-no-network-path", "secret-uses-aws-managed-key",
                "secret-cross-account-access-broken"} <= rules


def test_scan_is_complete_and_writes_every_format(demo_run: tuple[int, str, Path]) -> None:
    _, _, out_dir = demo_run
    doc = _json(out_dir / "findings.json")
    assert doc["scan"]["complete"] is True
    assert doc["coverage"] == []
    names = {p.name for p in out_dir.iterdir()}
    assert {"findings.json", "snapshot.json.gz", EXPECTED_FILE} <= names
    assert len(names) >= 8, names  # html, asff, ocsf, junit, csv next to them


def test_two_seeds_give_the_same_arns(seeded: DemoEstate, demo_run: tuple[int, str, Path]
                                      ) -> None:
    """The session's seed and the demo command's own seed (another server, later) agree."""
    _, _, out_dir = demo_run
    written = _json(out_dir / EXPECTED_FILE)
    assert written["resources"] == dict(seeded.resources)
    assert written["expected_fail_findings"] == [
        {"rule_id": e.rule_id, "resource": e.resource, "principal": e.principal, "why": e.why}
        for e in seeded.expected]
    assert (written["central_account"], written["members"]) == (
        seeded.central_account, dict(seeded.members))


def test_the_default_vpcs_the_scan_reads_are_the_seeded_ones(
        seeded: DemoEstate, demo_run: tuple[int, str, Path]) -> None:
    """moto makes a default VPC (its subnets, route table and security group) where EC2 is
    first used in an account and Region. Made by the scan's workers in the order they ran,
    their ids differed from run to run (a diff of two demo runs listed 44 resources added and
    44 removed): the seed makes them, in its fixed order, so every EC2 id is the same on every
    run (docs/demo.md)."""
    _, _, out_dir = demo_run
    snapshot = read_snapshot(out_dir / "snapshot.json.gz")
    scanned = {f"vpc-id:default:{a.account_id}@{r.region}": v.vpc_id
               for a in snapshot.accounts for r in a.regions for v in r.vpcs if v.is_default}
    assert scanned and scanned == {
        k: v for k, v in seeded.resources.items() if k.startswith("vpc-id:default:")}


@pytest.mark.parametrize("name", ["findings.csv", "findings.ocsf.jsonl", "junit.xml"])
def test_streamed_reports_are_the_bytes_the_old_in_memory_writers_wrote(
        demo_run: tuple[int, str, Path], name: str) -> None:
    """Org-scale trial round 2: the report writers now stream instead of building each file
    in memory; on the demo's findings document the files are byte for byte what the old
    writers (tests/helpers/old_writers.py) produce."""
    from helpers import old_writers
    from reports.json_out import read_findings_json

    _, _, out_dir = demo_run
    document = read_findings_json(out_dir / "findings.json")
    old = {"findings.csv": old_writers.old_csv_bytes,
           "findings.ocsf.jsonl": old_writers.old_ocsf_bytes,
           "junit.xml": old_writers.old_junit_bytes}[name]
    assert (out_dir / name).read_bytes() == old(document)


def test_streamed_asff_is_the_bytes_the_old_in_memory_writer_wrote(
        demo_run: tuple[int, str, Path], tmp_path: Path) -> None:
    """Org-scale trial round 2: findings.asff.json is now written one finding at a time; on
    the demo's findings document (re-read, so without the graph's resource details, which
    both writers are then given alike) the bytes are those of the old writer."""
    from helpers.old_writers import old_asff_bytes
    from reports import ReportContext, WRITERS
    from reports.json_out import read_findings_json

    _, _, out_dir = demo_run
    document = read_findings_json(out_dir / "findings.json")
    ctx = ReportContext(document=document, graph=None, drift=None, previous_created_at={})
    path = WRITERS["asff"].write(ctx, tmp_path / "findings.asff.json")
    assert path.read_bytes() == old_asff_bytes(document)
    assert len(document["findings"]) > 20  # the demo's whole document, not a sample


def test_readme_names_every_file_the_demo_writes(demo_run: tuple[int, str, Path]) -> None:
    """README "Quick start" lists what `make demo` writes to out/demo/: it left out
    expected-findings.json, the file the demo's own last line points at (docs round 14)."""
    _, _, out_dir = demo_run
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    start = readme.index("`make demo` writes its reports to")
    sentence = " ".join(readme[start:readme.index(". Open", start)].split())
    written = {p.name for p in out_dir.iterdir() if not p.name.startswith(".")}
    assert sorted(n for n in written if f"`{n}`" not in sentence) == []
