"""New-user trial round 18: what a newcomer saw at 80 columns that was repeated, misaligned or
unclear."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers.access_estate import estate
from helpers.tty import run_in_tty

from scanner.snapshot_io import write_snapshot


def test_the_table_of_a_scan_ends_with_one_summary_not_two(tmp_path: Path) -> None:
    """Round 17 left open: under the terminal table, `scan` printed the table's counts line
    ("N results (... FAIL, ... PASS); failing by severity: ...; central account ...") and then
    its own closing line, which said the FAIL counts by severity a second time. One summary
    now: the closing line, which also carries what only the counts line said (the PASS count
    and the central account)."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    run = run_in_tty(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"),
                      "--format", "table,json", "--central-account", "111111111111"],
                     cols=80, timeout=120)
    assert run.exit_code in (0, 1, 3), run.text
    lines = run.text.splitlines()
    said = " ".join(" ".join(lines).split())
    assert " results (" not in said and "failing by severity" not in said, run.text
    at = next(i for i, line in enumerate(lines) if line.startswith("scan "))
    summary = " ".join(x.strip() for x in lines[at:])
    assert summary.count(" FAIL") == 1, summary
    assert "; central account 111111111111;" in summary
    import json

    doc = json.loads((tmp_path / "out" / "findings.json").read_text())
    passed = doc["summary"]["by_status"]["PASS"]
    assert passed > 0 and f"; {passed} PASS;" in summary
    assert all(len(x) <= 80 for x in lines[at:])


def test_the_table_alone_keeps_its_counts_line() -> None:
    """`report --format table` prints the table with nothing after it: there, the counts line
    is the summary and stays."""
    from helpers.report_sample import sample_document
    from reports.table import render_table

    assert "9 results (" in render_table(sample_document(), width=120)
    assert "9 results (" not in render_table(sample_document(), width=120, summary=False)


def _runs(tmp_path: Path, shards: dict[str, tuple[str, ...]]) -> Path:
    """A parts folder: run -> the "I/N" shards that wrote their manifest (no parts)."""
    from scanner.shards import LocalParts, ShardManifest, write_manifest

    store = LocalParts(tmp_path / "parts")
    for run, written in shards.items():
        for shard in written:
            i, n = shard.split("/")
            write_manifest(store, ShardManifest(
                run_id=run, shard=shard, accounts=(), regions=("us-east-1",),
                expected_accounts=("111122223333", "444455556666")),
                f"{int(i):04d}-of-{int(n):04d}")
    return tmp_path / "parts"


def test_a_wrong_run_id_names_the_runs_the_location_holds(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan --from-parts DIR --run-id r` (the run was R) said only "run 'r' has no shard
    manifest": which runs there are was left to `ls`."""

    from scanner.cli import main

    parts = _runs(tmp_path, {"R": ("1/2", "2/2"), "night-41": ("1/1",)})
    code = main(["scan", "--from-parts", str(parts), "--run-id", "r", "--out",
                 str(tmp_path / "out"), "--format", "json"])
    err = capsys.readouterr().err
    assert code == 2
    assert "run 'r' has no shard manifest" in err
    assert "it holds runs R, night-41" in err, err
    assert "Traceback" not in err


def test_a_missing_shard_is_named_when_the_run_is_merged(
        tmp_path: Path, caplog: "pytest.LogCaptureFixture") -> None:
    """`collect --shard 1/2` alone, then `scan --from-parts`: the accounts of shard 2 were
    coverage gaps ("its shard did not write one"), but which shard had not run was nowhere."""

    from scanner.shards import LocalParts, merge_parts

    parts = _runs(tmp_path, {"R": ("1/3",)})
    with caplog.at_level("WARNING", logger="scanner.shards"):
        merge_parts(LocalParts(parts), "R", tmp_path / "out.json.gz")
    assert "run R: shards 2/3, 3/3 wrote no manifest" in caplog.text, caplog.text
    caplog.clear()
    parts = _runs(tmp_path / "all", {"R": ("1/2", "2/2")})
    with caplog.at_level("WARNING", logger="scanner.shards"):
        merge_parts(LocalParts(parts), "R", tmp_path / "out2.json.gz")
    assert "wrote no manifest" not in caplog.text


def test_a_required_flag_mistyped_is_named_with_the_flag_meant(
        capsys: pytest.CaptureFixture[str]) -> None:
    """`collect ... --part DIR` said only "the following arguments are required: --parts":
    that --part was not taken for it, and why, was left to the reader (a mistyped flag that is
    not required is named: "--shrad: did you mean --shard?")."""

    from scanner.cli import main

    with __import__("pytest").raises(SystemExit) as exit_:
        main(["collect", "--org", "--shard", "1/2", "--run-id", "R", "--part", "parts"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "the following arguments are required: --parts" in err
    assert "--part: did you mean --parts?" in " ".join(err.split()), err


def test_from_parts_errors_name_from_parts_and_a_folder_that_is_not_there(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`scan --from-parts ftp://x/y` said "--parts 'ftp://x/y': ...", a flag scan does not
    have; `--from-parts nowhere` said "run 'R' has no shard manifest" of a folder that does
    not exist, and a file was "no run found"."""

    from scanner.cli import main

    (tmp_path / "a-file").write_text("x")
    cases = [("ftp://x/y", "--from-parts 'ftp://x/y': use a directory or s3://bucket/prefix"),
             ("", "--from-parts: empty location"),
             (str(tmp_path / "nowhere"), f"--from-parts {tmp_path / 'nowhere'}: no such folder"),
             (str(tmp_path / "a-file"), f"--from-parts {tmp_path / 'a-file'}: not a folder")]
    for location, says in cases:
        code = main(["scan", "--from-parts", location, "--run-id", "R", "--out",
                     str(tmp_path / "out"), "--format", "json"])
        err = capsys.readouterr().err
        assert code == 2 and says in err and "--parts " not in err.replace(
            "--from-parts", ""), (location, err)
    assert not (tmp_path / "nowhere").exists()


def test_a_rule_missing_several_required_keys_names_them_all(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A first rule of one's own, written from the README's description, lacked rationale,
    remediation and compliance: `rules validate` named one per run ("'rationale' is a
    required property", then 'remediation', then 'compliance')."""

    from scanner.cli import main

    rule = tmp_path / "owner-tag.yaml"
    rule.write_text("id: secret-owner-tag\ntitle: Secrets must have an owner tag\n"
                    "severity: HIGH\nresource: Secret\ninputs: [secrets]\n"
                    "description: every secret has an owner tag\n"
                    "fail_when: {attribute: tags.owner, op: is_missing, message: no owner}\n")
    assert main(["rules", "validate", str(rule)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert f"{rule}: rule secret-owner-tag: field (top level): missing required properties: " \
        "rationale, remediation, compliance" in err, err
    # one missing: as before
    rule.write_text(rule.read_text() + "rationale: r\nremediation: {id: x, description: y}\n")
    assert main(["rules", "validate", str(rule)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "'compliance' is a required property" in err, err


def test_a_text_too_short_or_too_long_says_the_limit(tmp_path: Path) -> None:
    """"field rationale: 'why' is too short" said neither how short nor what the least is."""
    from scanner.engine.validation import first_error

    schema = {"type": "object", "properties": {"rationale": {"type": "string", "minLength": 10},
                                               "title": {"type": "string", "maxLength": 5}}}
    assert first_error({"rationale": "why"}, schema) == (
        "rationale", "'why' is too short (3 characters; at least 10)")
    assert first_error({"title": "a long title"}, schema) == (
        "title", "'a long title' is too long (12 characters; at most 5)")
    from scanner.engine.validation import first_error as first

    long = {"title": "x" * 400}
    path, said = first(long, {"type": "object", "properties": {
        "title": {"type": "string", "maxLength": 200}}}) or ("", "")
    assert said.endswith("is too long (400 characters; at most 200)") and len(said) < 120


def test_a_misspelled_condition_key_is_named_with_the_key_meant(tmp_path: Path) -> None:
    """`fail_when: {atribute: tags.owner, op: exists}` said "{...} is not valid under any of
    the given schemas"; a rule id with a capital quoted the id's regular expression."""
    from scanner.engine.validation import first_error, load_schema

    schema = load_schema("rules", "rule.schema.json")
    base = {"id": "secret-owner-tag", "title": "Secrets must have an owner",
            "severity": "HIGH", "resource": "Secret", "description": "every secret has one",
            "rationale": "owners must be reachable", "compliance": {},
            "remediation": {"id": "add-owner-tag", "description": "add the tag"}}
    path, said = first_error({**base, "fail_when": {"atribute": "tags.owner", "op": "exists"}},
                             schema) or ("", "")
    assert path == "fail_when" and "did you mean attribute?" in said, said
    path, said = first_error({**base, "fail_when": {"when": "x"}}, schema) or ("", "")
    assert path == "fail_when" and "the forms it may take, by their keys: {all}, {any}, " \
        "{not}, {attribute, op}, {edge}, {predicate}" in said, said
    path, said = first_error({**base, "id": "My Rule",
                              "fail_when": {"attribute": "x", "op": "exists"}}, schema) or \
        ("", "")
    assert (path, said) == ("id", "'My Rule' is not a rule id (lower-case letters and digits, "
                                  "words joined by '-', such as secret-owner-tag)")


def test_an_unknown_resource_kind_or_operator_names_the_closest(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`resource: Secrets` and `op: is_mising` listed every kind and operator and named none,
    where an unknown attribute names its closest."""

    from scanner.cli import main

    rule = tmp_path / "owner-b.yaml"
    body = ("id: owner-b\ntitle: Secrets must have an owner tag\nseverity: HIGH\n"
            "resource: {kind}\ndescription: every secret has an owner tag\n"
            "rationale: owners must be reachable when a secret leaks\n"
            "remediation: {{id: add-owner-tag, description: add the tag}}\ncompliance: {{}}\n"
            "fail_when: {{attribute: rotation_enabled, op: {op}, message: no owner}}\n")
    rule.write_text(body.format(kind="Secrets", op="is_false"))
    assert main(["rules", "validate", str(rule)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown resource kind 'Secrets'; closest: Secret" in err, err
    rule.write_text(body.format(kind="Secret", op="is_flase"))
    assert main(["rules", "validate", str(rule)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "unknown operator 'is_flase'; closest: is_false" in err, err


def test_collect_stopped_with_ctrl_c_says_what_to_do(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C in `collect --shard 1/2` said "secretgraph collect: interrupted" alone: whether
    the shard counts, and what to do about the parts already written, was not said (`scan`
    says what was written)."""

    import scanner.collect
    from scanner.cli import main

    def stop(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(scanner.collect, "collect_shard", stop)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    code = main(["collect", "--accounts", "111122223333", "--regions", "us-east-1",
                 "--shard", "1/2", "--run-id", "night-42", "--parts", str(tmp_path / "parts"),
                 "-q"])
    err = " ".join(capsys.readouterr().err.split())
    assert code == 130
    assert "interrupted; shard 1/2 of run night-42 did not finish: run it again" in err, err
    assert "a shard counts as collected once its manifest" in err


def test_key_arns_of_two_lengths_are_laid_out_alike() -> None:
    """`access --principal ApplicationRole` at 80 columns: a 77-character key ARN was moved
    to column 3 to stay whole, an 83-character one below it broken under column 6 -- two
    layouts in one list. Both are broken under their indent now."""
    from scanner.textfit import fit_line

    short = "(arn:aws:kms:us-east-1:007659653593:key/3039c773-ffcf-4cf2-925f-afd3ebd620f7)"
    long = ("(arn:aws:kms:us-east-1:007659653593:key/mrk-3cdb9c92-85c6-41a2-86ab-"
            "173a2c997b6f)")
    shapes = []
    for arn in (short, long):
        out = fit_line(f"  key: alias/demo-misconfig-broken-access {arn}", 80).split("\n")
        assert max(len(x) for x in out) <= 80
        shapes.append([len(x) - len(x.lstrip()) for x in out])
        assert "".join(x.strip() for x in out[1:]) == arn
    assert shapes[0] == shapes[1] == [2, 6, 10]
