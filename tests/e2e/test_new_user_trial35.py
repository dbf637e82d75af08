"""New-user trial round 35: the same mistake answered in the same words by every command."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.cli import main

#: every command that reads a scan's output folder with --in (and what else it needs)
IN_COMMANDS = [
    ["access"],
    ["remediate"],
    ["report"],
    ["export", "securityhub"],
    ["baseline", "check", "--baseline", "BASELINE"],
]


def error_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    (line,) = captured.err.strip().splitlines()
    return line


@pytest.fixture
def folders(tmp_path: Path) -> dict[str, Path]:
    """A path that does not exist, a file, an empty folder, and a folder holding only a
    scan's snapshot (its findings.json deleted or never copied)."""
    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    (tmp_path / "afile").write_text("x")
    (tmp_path / "empty").mkdir()
    (tmp_path / "onlysnap").mkdir()
    write_snapshot(tmp_path / "onlysnap" / "snapshot.json.gz", estate(secret_policy=None))
    (tmp_path / "baseline.yaml").write_text("version: 1\nsecrets: []\n")
    return {name: tmp_path / name for name in ("nosuch", "afile", "empty", "onlysnap")}


@pytest.mark.parametrize("command", IN_COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_says_the_same_of_a_bad_in_folder(
        command: list[str], folders: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`remediate --in nosuch` said "nosuch: not a directory (expected a scan --out
    directory)" of a folder that does not exist, and `remediate --in` of a folder without its
    findings.json "onlysnap/findings.json: file not found", where access, report, export and
    baseline said "--in nosuch: no such folder" and "no findings.json in this folder"."""
    argv = [str(tmp_path / "baseline.yaml") if a == "BASELINE" else a for a in command]
    prefix = f"secretgraph {' '.join(command[:2] if command[0] == 'baseline' else command[:1])}"
    err = error_of([*argv, "--in", str(folders["nosuch"])], capsys)
    assert err == f"{prefix}: error: --in {folders['nosuch']}: no such folder"
    err = error_of([*argv, "--in", str(folders["afile"])], capsys)
    assert err.startswith(f"{prefix}: error: --in {folders['afile']}: not a folder (pass a "
                          "scan's --out")
    err = error_of([*argv, "--in", str(folders["empty"])], capsys)
    assert err.startswith(f"{prefix}: error: --in {folders['empty']}: no ")
    assert err.endswith(" in this folder (pass the --out folder of a scan)")
    if command[0] in ("access", "baseline"):  # they read the snapshot alone
        return
    err = error_of([*argv, "--in", str(folders["onlysnap"])], capsys)
    assert err == (f"{prefix}: error: --in {folders['onlysnap']}: no findings.json in this "
                   "folder (pass the --out folder of a scan)")


@pytest.fixture
def scanned(tmp_path: Path) -> Path:
    """A scan's output folder (json) of a small estate."""
    from helpers.access_estate import estate
    from scanner.snapshot_io import write_snapshot

    snap = write_snapshot(tmp_path / "snap.json.gz", estate(secret_policy=None))
    assert main(["scan", "--snapshot", str(snap), "--out", str(tmp_path / "out"),
                 "--format", "json", "--fail-on", "NONE", "-q"]) == 0
    return tmp_path / "out"


@pytest.mark.parametrize("flag", ["--rules", "--exclude-rules"])
@pytest.mark.parametrize("rule_id", ["suppression-expired", "access-outside-baseline"])
def test_a_rule_the_scan_produces_is_not_called_a_missing_rule_file(
        flag: str, rule_id: str, scanned: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`rules list` ends "also produced by the scan itself: access-outside-baseline (with
    --baseline), suppression-expired (every scan)"; `scan --rules suppression-expired` then
    said "unknown rule id 'suppression-expired': not a built-in rule: give --rules-dir DIR,
    the folder of its rule file" -- there is no such file to give."""
    err = error_of(["scan", "--snapshot", str(scanned / "snapshot.json.gz"), "--out",
                    str(tmp_path / "again"), flag, rule_id], capsys)
    assert err.startswith(f"secretgraph scan: error: {flag}: '{rule_id}' is produced by the "
                          "scan itself (")
    assert "--rules-dir" not in err and "unknown rule id" not in err
    assert f"`secretgraph rules show {rule_id}`" in err


def test_a_config_naming_a_rule_the_scan_produces_says_so(
        scanned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "sg.yaml"
    config.write_text("rules:\n  suppression-expired:\n    severity: HIGH\n")
    err = error_of(["scan", "--snapshot", str(scanned / "snapshot.json.gz"), "--out",
                    str(tmp_path / "again"), "--config", str(config)], capsys)
    assert err == (f"secretgraph scan: error: {config}: field rules.suppression-expired: "
                   "'suppression-expired' is produced by the scan itself (every scan), not by "
                   "a rule file: a config's rules set the parameters and severity of the rule "
                   "files' rules (`secretgraph rules show suppression-expired` says when it is "
                   "reported)")


def test_remediate_rule_takes_a_rule_the_scan_produces(
        scanned: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`remediate --rule secret-unused` on a scan without such a finding says there is
    nothing to plan (exit 0); `--rule suppression-expired` was "unknown rule or remediation
    id" (exit 2)."""
    for rule_id in ("secret-unused", "suppression-expired", "renew-or-remove-suppression"):
        assert main(["remediate", "--in", str(scanned), "--rule", rule_id]) == 0
        out = capsys.readouterr().out
        assert "FAIL finding of the scan matches the selection; nothing to plan" in out


def test_completion_offers_what_rules_show_takes(capsys: pytest.CaptureFixture[str]) -> None:
    """`secretgraph rules show supp<TAB>` completed nothing, though `rules show
    suppression-expired` explains it."""
    from e2e.test_cli_completion import complete

    assert main(["completion", "bash"]) == 0
    script = capsys.readouterr().out
    assert complete(script, "secretgraph", "rules", "show", "supp") == ["suppression-expired"]
    assert complete(script, "secretgraph", "rules", "show", "access-o") == [
        "access-outside-baseline"]
    assert complete(script, "secretgraph", "remediate", "--rule", "supp") == [
        "suppression-expired"]
    # what --rules refuses is not offered there
    assert complete(script, "secretgraph", "scan", "--rules", "supp") == []


def test_the_morning_sentence_says_which_changed_is_which(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two nights, a grant to a partner added on the second: report.html's summary said
    "Since ...: 1 new finding, 0 resolved, 1 changed, 0 new readers, 0 lost, 0 resources
    added, 0 removed, 2 changed, 0 not assessed." -- two "changed", and nothing to tell the
    findings' from the resources'. Each group now keeps its noun, apart from the next, in the
    order of the tables below it (readers, findings, resources), as `secretgraph diff`
    prints them."""
    import html
    import re

    from e2e.test_new_user_trial28 import _night
    from helpers.access_estate import secret_policy_for

    history = str(tmp_path / "h.db")
    first = _night(tmp_path, "scan-1", "2026-12-01T00:00:00Z", None)
    second = _night(tmp_path, "scan-2", "2026-12-02T00:00:00Z",
                    secret_policy_for("arn:aws:iam::999999999999:root"))
    for snap, out in ((first, "n1"), (second, "n2")):
        assert main(["scan", "--snapshot", str(snap), "--history", history, "--out",
                     str(tmp_path / out), "--format", "json,html", "--fail-on", "NONE",
                     "-q"]) == 0
    page = (tmp_path / "n2" / "report.html").read_text(encoding="utf-8")
    # the summary's link to the Drift section (the navigation's is the word "Drift")
    (sentence,) = [text for text in (
        html.unescape(re.sub(r"<[^>]+>", "", m)).strip()
        for m in re.findall(r'<a href="#drift"[^>]*>(.*?)</a>', page, re.S))
        if text.startswith("Since")]
    assert re.fullmatch(
        r"Since scan-1 \(2026-12-01 00:00 UTC\): \d+ new readers?, \d+ lost; \d+ new "
        r"findings?, \d+ resolved, \d+ changed; \d+ resources? added, \d+ removed, \d+ "
        r"changed; \d+ not assessed\.", sentence), sentence
    # the counts are the terminal's, group by group
    assert main(["diff", "--history", history]) == 0
    text = capsys.readouterr().out
    findings = re.search(r"Findings \((\d+) new, (\d+) resolved, (\d+) changed\)", text)
    resources = re.search(r"Resources \((\d+) added, (\d+) removed, (\d+) changed\)", text)
    assert findings is not None and resources is not None
    assert (f"{findings[1]} new finding" in sentence
            and f"{findings[2]} resolved, {findings[3]} changed; " in sentence)
    assert f"{resources[2]} removed, {resources[3]} changed; " in sentence
    assert int(findings[1]) >= 1 and int(resources[3]) >= 1  # the night changed something


def test_a_message_names_its_key_whole_in_findings_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The demo's findings.json (and CSV, ASFF ...) said "its KMS key alias/demo-misconfig-
    disabled (37e5d60a-8a0c-43e8-9a73-5b78… is Disabled": a rule message's {label} was cut at
    60 characters, the key id and the closing parenthesis lost in the data files, not only in
    the terminal's table."""
    import json
    from dataclasses import replace

    from helpers.rule_fixture import load_fixture
    from scanner.snapshot_io import write_snapshot

    key = "arn:aws:kms:us-east-1:111111111111:key/k-main"
    alias = "alias/payments-ledger-database-credentials-primary-us-east-1"
    snap = load_fixture("secret-key-unusable").snapshot
    snap = replace(snap, accounts=tuple(replace(a, regions=tuple(replace(r, kms_keys=tuple(
        replace(k, key_state="Disabled", aliases=(alias,)) if k.arn == key else k
        for k in r.kms_keys)) for r in a.regions)) for a in snap.accounts))
    path = write_snapshot(tmp_path / "snap.json.gz", snap)
    # the rule's fixture leaves some listings unread on purpose: exit 3, reports written
    assert main(["scan", "--snapshot", str(path), "--out", str(tmp_path / "out"), "--format",
                 "json", "--fail-on", "NONE", "-q"]) == 3
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    (message,) = [f["message"] for f in doc["findings"]
                  if f["rule_id"] == "secret-key-unusable" and f["status"] == "FAIL"
                  and f["resource"]["arn"].endswith(":secret:ok-AbCdEf")]
    assert message == (f"its KMS key {alias} (k-main) is Disabled, so the secret cannot be "
                       "read")


def test_the_drift_names_a_changed_resource_s_account(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report.html's Resources · Changed (and Added, Removed) said the account as
    "007659653593" alone, where the findings table, By account and the access section say
    "security (007659653593)": the morning reader had to look the id up."""
    import html
    import re
    from dataclasses import replace

    from helpers.access_estate import CENTRAL, secret_policy_for
    from scanner.snapshot_io import read_snapshot, write_snapshot
    from e2e.test_new_user_trial28 import _night

    def named(path: Path) -> Path:
        snap = read_snapshot(path)
        snap = replace(snap, accounts=tuple(replace(a, name="security-central")
                                            if a.account_id == CENTRAL else a
                                            for a in snap.accounts))
        return write_snapshot(path, snap)

    history = str(tmp_path / "h.db")
    first = named(_night(tmp_path, "scan-1", "2026-12-01T00:00:00Z", None))
    second = named(_night(tmp_path, "scan-2", "2026-12-02T00:00:00Z",
                          secret_policy_for("arn:aws:iam::999999999999:root")))
    for snap, out in ((first, "n1"), (second, "n2")):
        assert main(["scan", "--snapshot", str(snap), "--history", history, "--out",
                     str(tmp_path / out), "--format", "json,html", "--fail-on", "NONE",
                     "-q"]) == 0
    page = (tmp_path / "n2" / "report.html").read_text(encoding="utf-8")
    drift = page[page.index('<section id="drift"'):]
    changed = drift[drift.index("resources · changed"):]
    cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
             for c in re.findall(r"<td[^>]*>(.*?)</td>", changed, re.S)]
    assert f"security-central ({CENTRAL})" in cells
    assert CENTRAL not in cells  # not the id alone


SUPPRESSIONS = ("suppressions:\n  - rule: secret-rotation-disabled\n    reason: legacy app\n"
                "    expires: 2099-01-31\n")
BASELINE = "version: 1\nallowed_external_accounts: []\nsecrets: []\n"
CONFIG = "required_replica_regions: [us-west-2]\n"


@pytest.mark.parametrize(("given", "flag", "said"), [
    (BASELINE, "--suppressions", "this is an access baseline: give it with --baseline FILE, "
                                 "not as a suppressions file"),
    (SUPPRESSIONS, "--baseline", "this is a suppressions file: give it with --suppressions "
                                 "FILE, not as an access baseline"),
    (BASELINE, "--config", "this is an access baseline: give it with --baseline FILE, not as "
                           "a configuration file"),
    (CONFIG, "--suppressions", "this is a configuration file: give it with --config FILE, not "
                               "as a suppressions file"),
    (CONFIG, "--baseline", "this is a configuration file: give it with --config FILE, not as "
                           "an access baseline"),
])
def test_a_yaml_file_given_to_another_kind_s_flag_names_the_flag_that_takes_it(
        given: str, flag: str, said: str, scanned: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Three YAML files side by side (config, suppressions, baseline): `scan --baseline
    suppressions.yaml` said "Additional properties are not allowed ('suppressions' was
    unexpected)" and nothing of which flag takes the file."""
    path = tmp_path / "mine.yaml"
    path.write_text(given)
    err = error_of(["scan", "--snapshot", str(scanned / "snapshot.json.gz"), "--out",
                    str(tmp_path / "again"), flag, str(path)], capsys)
    assert err.startswith(f"secretgraph scan: error: {path}: field (top level): Additional "
                          "properties are not allowed (")
    assert err.endswith("; " + said)


def test_each_file_given_to_its_own_flag_is_taken(
        scanned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for given, flag in ((SUPPRESSIONS, "--suppressions"), (BASELINE, "--baseline"),
                        (CONFIG, "--config")):
        path = tmp_path / f"{flag[2:]}.yaml"
        path.write_text(given)
        assert main(["scan", "--snapshot", str(scanned / "snapshot.json.gz"), "--out",
                     str(tmp_path / "again"), flag, str(path), "--fail-on", "NONE",
                     "-q"]) == 0, capsys.readouterr().err


def test_rules_validate_of_a_suppressions_file_names_its_flag(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "suppressions.yaml"
    path.write_text(SUPPRESSIONS)
    err = error_of(["rules", "validate", str(path)], capsys)
    assert "; not a rule file (a rule has id, title, " in err
    assert ("; this is a suppressions file: give it with --suppressions FILE, not as a rule "
            "file") in err


@pytest.mark.parametrize(("argv", "said"), [
    (["report", "--in", "SCAN", "--drift", "MISSING"],
     "--drift MISSING: no such file (`secretgraph diff --history H --format json "
     "--output-file FILE` writes one)"),
    (["export", "securityhub", "--findings", "MISSING", "--dry-run"],
     "--findings MISSING: no such file (a scan's findings.json; --in DIR takes the scan's "
     "output folder)"),
    (["export", "securityhub", "--asff", "MISSING", "--dry-run"],
     "--asff MISSING: no such file (a scan's findings.asff.json, written by --format asff)"),
    (["export", "securityhub", "--in", "SCAN", "--previous", "MISSING", "--dry-run"],
     "--previous MISSING: no such file (the previous scan's output folder, or its "
     "findings.json or ASFF file)"),
    (["remediate", "--findings", "MISSING", "--snapshot", "SNAPSHOT"],
     "--findings MISSING: no such file (a scan's findings.json)"),
])
def test_a_missing_file_named_by_a_flag_names_the_flag(
        argv: list[str], said: str, scanned: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`report --in DIR --drift nosuch.json` said "nosuch.json: file not found" (and so did
    export's --findings, --asff and --previous, and remediate's --findings): neither the flag
    nor what writes the file, where `--in nosuch` says "--in nosuch: no such folder"."""
    missing = str(tmp_path / "nosuch.json")
    swap = {"SCAN": str(scanned), "MISSING": missing,
            "SNAPSHOT": str(scanned / "snapshot.json.gz")}
    err = error_of([swap.get(a, a) for a in argv], capsys)
    assert err.endswith(": error: " + said.replace("MISSING", missing))


def test_rules_list_json_names_the_rules_the_scan_produces_itself(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The table's last line names suppression-expired and access-outside-baseline; the JSON
    form left them out, so a script reading it could not tell them apart from a typo in
    --rules. They come with no rule file (``path`` null) and say when they are evaluated."""
    import json

    assert main(["rules", "list"]) == 0
    table = capsys.readouterr().out
    assert main(["rules", "list", "--format", "json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    for rid in ("suppression-expired", "access-outside-baseline"):
        assert rid in table
        assert rows[rid]["path"] is None and rows[rid]["evaluated"]
    assert rows["secret-policy-public"]["path"] and "evaluated" not in rows["secret-policy-public"]
