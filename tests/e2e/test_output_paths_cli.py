"""Files a command writes, named the way users get them wrong: a folder, a path under a file,
a folder that does not exist yet. One line naming the option and the path, exit 2, nothing
half-written; a missing folder is created, as `--out` does."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.access_estate import estate
from helpers.full_disk import FULL, main_with_stdout_on_full_disk, needs_dev_full

from scanner import cli
from scanner.cli import main
from scanner.snapshot_io import write_snapshot


@pytest.fixture()
def a_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a folder\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("argv, flag", [
    (["diff", "--history", "{tmp}/h.db", "--output-file", "{file}/drift.json"], "--output-file"),
    (["baseline", "init", "--snapshot", "{tmp}/s.json", "--output-file", "{file}/b.yaml"],
     "--output-file"),
    (["remediate", "--in", "{tmp}", "--plan-out", "{file}/plan.json"], "--plan-out"),
    (["remediate", "--undo", "{tmp}/j.jsonl", "--journal", "{file}/undo.jsonl"], "--journal"),
    (["deploy-templates", "--out", "{file}/templates"], "--out"),
    # checked before anything is delivered to Security Hub
    (["export", "securityhub", "--findings", "{tmp}/findings.json", "--endpoint-url",
      "http://127.0.0.1:9", "--report", "{file}/delivery.json"], "--report"),
    # checked before any account is read (new-user trial 20: the whole shard was collected,
    # then "{file}/parts/r1/accounts/...: cannot write it", the option not named)
    (["collect", "--accounts", "111122223333", "--regions", "us-east-1", "--endpoint-url",
      "http://127.0.0.1:9", "--run-id", "r1", "--shard", "1/1", "--parts", "{file}/parts"],
     "--parts"),
])
def test_an_output_under_a_file_is_one_line_naming_the_option(
        argv: list[str], flag: str, tmp_path: Path, a_file: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    args = [a.format(tmp=tmp_path, file=a_file) for a in argv]
    assert main(args) == 2
    [line] = capsys.readouterr().err.splitlines()
    target = args[args.index(flag) + 1]
    assert line.endswith(f"error: {flag} {target}: {a_file} is not a directory"), line


@pytest.mark.parametrize("argv, flag", [
    (["diff", "--history", "{tmp}/h.db", "--output-file", "{tmp}"], "--output-file"),
    (["remediate", "--in", "{tmp}", "--plan-out", "{tmp}"], "--plan-out"),
    # it said "exists; pass --force to overwrite it", and with --force "is a folder"
    (["baseline", "init", "--snapshot", "{tmp}/s.json", "--output-file", "{tmp}"],
     "--output-file"),
    (["export", "securityhub", "--findings", "{tmp}/findings.json", "--dry-run", "--report",
      "{tmp}"], "--report"),
])
def test_a_folder_given_for_an_output_file_is_one_line(
        argv: list[str], flag: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = sorted(tmp_path.iterdir())
    assert main([a.format(tmp=tmp_path) for a in argv]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert line.endswith(f"error: {flag} {tmp_path}: is a folder; name a file"), line
    assert sorted(tmp_path.iterdir()) == before  # no stray temporary file


def test_deploy_templates_into_a_file_is_one_line(
        a_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["deploy-templates", "--out", str(a_file)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph deploy-templates: error: --out {a_file}: exists and is not a directory"]


def test_collect_into_a_file_is_one_line_before_any_account_is_read(
        a_file: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import scanner.collect

    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("collected although --parts cannot hold the parts")

    monkeypatch.setattr(scanner.collect, "collect_shard", never)
    assert main(["collect", "--accounts", "111122223333", "--regions", "us-east-1",
                 "--run-id", "r1", "--shard", "1/1", "--parts", str(a_file)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph collect: error: --parts {a_file}: exists and is not a directory"]


def test_a_missing_folder_of_an_output_file_is_created(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    target = tmp_path / "baselines" / "2026" / "access.yaml"
    assert main(["baseline", "init", "--snapshot", str(snapshot),
                 "--output-file", str(target)]) == 0
    assert target.is_file()
    assert capsys.readouterr().out.startswith(f"wrote {target}:")


@pytest.mark.parametrize("command", [
    ["scan", "--snapshot", "{snapshot}", "--out", "-"],
    ["report", "--in", "{tmp}/scan", "--format", "json", "--out", "-"],
])
def test_out_dash_is_refused_not_made_a_folder_named_dash(
        command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`--out -` means standard output to whoever types it; a scan's outputs are several
    files committed together, so it is one line saying where to look instead (new-user trial
    round 23: a folder named "-" appeared in the working directory)."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "scan"),
                 "-q"]) in (0, 1)
    capsys.readouterr()
    monkeypatch.chdir(tmp_path)
    assert main([a.format(snapshot=snapshot, tmp=tmp_path) for a in command]) == 2
    [line] = capsys.readouterr().err.splitlines()
    assert "error: --out -: an output folder is needed, not standard output" in line, line
    assert "secretgraph report --in DIR --format table" in line
    assert not (tmp_path / "-").exists()


def test_any_file_the_system_refuses_is_one_line_without_a_traceback(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """The safety net for a path no command checked: the OS error, naming the file."""
    def full_disk(args: object) -> int:
        raise OSError(28, "No space left on device", "/var/reports/findings.json")

    _parser, modules = cli.build_parser()
    monkeypatch.setattr(modules["report"], "run", full_disk)
    assert main(["report", "--in", "somewhere"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "secretgraph report: error: /var/reports/findings.json: No space left on device"]


def test_a_scan_history_in_a_new_folder_is_created_like_out(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    history = tmp_path / "state" / "secretgraph.db"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "out"), "-q",
                 "--history", str(history)]) in (0, 1)
    assert main(["history", "list", "--history", str(history), "--format", "json"]) == 0
    assert '"complete": true' in capsys.readouterr().out


def test_a_folder_the_system_cannot_create_is_one_line_naming_the_option(
        capsys: pytest.CaptureFixture[str]) -> None:
    """/proc passes the mode-bit check for root, and creating a folder in it fails: the error
    named only '/proc/x', not the option."""
    assert main(["remediate", "--findings", "f.json", "--snapshot", "s.json.gz",
                 "--plan-out", "/proc/x/plan.json"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    # as root: cannot create /proc/x; otherwise: /proc is not writable
    assert line.startswith("secretgraph remediate: error: --plan-out /proc/x/plan.json: "), line


def test_deploy_templates_into_a_folder_the_system_cannot_create_names_out(
        capsys: pytest.CaptureFixture[str]) -> None:
    """new-user trial 20: 'secretgraph deploy-templates: error: /proc/x: No such file or
    directory', the option not named."""
    assert main(["deploy-templates", "--out", "/proc/x"]) == 2
    [line] = capsys.readouterr().err.splitlines()
    # as root: cannot create /proc/x; otherwise: /proc is not writable
    assert line.startswith("secretgraph deploy-templates: error: --out /proc/x: "), line


def test_a_folder_in_the_way_of_one_report_leaves_the_previous_set_whole(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """report.html replaced by a folder: the new scan's files must not land beside the old
    snapshot (findings.json of one scan, snapshot.json.gz of another, which `report --in`
    then refuses). One line, exit 2, --out exactly as it was."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    out = tmp_path / "out"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(out), "-q",
                 "--format", "json,html"]) in (0, 1)
    (out / "report.html").unlink()
    (out / "report.html").mkdir()
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    capsys.readouterr()
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(out), "-q",
                 "--format", "json,html"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "report.html is in the way" in err[0], err
    assert "nothing was written" in err[0] and "Traceback" not in err[0]
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not [p for p in tmp_path.iterdir() if ".staging" in p.name]


def test_a_move_that_fails_half_way_puts_the_previous_files_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from scanner.errors import OutputError
    from scanner.output_set import OutputSet

    out = tmp_path / "out"
    out.mkdir()
    for name in ("findings.json", "report.html", "snapshot.json.gz"):
        (out / name).write_text(f"old {name}", encoding="utf-8")
    real_replace = os.replace
    failed: list[str] = []

    def fail_on_snapshot(src: object, dst: object) -> None:
        # the new snapshot cannot take its place (once: putting the old one back works)
        if ".staging-" in str(src) and ".previous" not in str(src) and \
                str(dst).endswith("out/snapshot.json.gz") and not failed:
            failed.append(str(dst))
            raise PermissionError(13, "Permission denied", str(dst))
        real_replace(src, dst)  # type: ignore[arg-type]

    with pytest.raises(OutputError) as caught:
        with OutputSet(out) as outputs:
            for name in ("findings.json", "report.html", "snapshot.json.gz"):
                (outputs.staging / name).write_text(f"new {name}", encoding="utf-8")
            monkeypatch.setattr(os, "replace", fail_on_snapshot)
            outputs.commit()
    monkeypatch.setattr(os, "replace", real_replace)
    assert "Permission denied" in str(caught.value)
    assert {p.name: p.read_text(encoding="utf-8") for p in out.iterdir()} == {
        name: f"old {name}" for name in ("findings.json", "report.html", "snapshot.json.gz")}


def test_a_history_file_that_cannot_be_written_is_refused_before_scanning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A read-only history file was found after the whole scan ("internal error:
    OperationalError: attempt to write a readonly database"), the reports already written.
    (Root ignores file modes: the refusal is simulated.)"""
    import os

    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    history = tmp_path / "h.db"
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "o1"), "-q",
                 "--history", str(history)]) in (0, 1)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **kw: False if Path(p) == history
                        and mode & os.W_OK else real_access(p, mode, **kw))
    capsys.readouterr()
    assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "o2"), "-q",
                 "--history", str(history)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"secretgraph scan: error: --history {history}: the file is not writable "
                   "(the scan is recorded in it); nothing was scanned")
    assert not (tmp_path / "o2").exists()


@needs_dev_full
@pytest.mark.parametrize("argv,after", [
    (["rules", "list"], ""), (["rules", "list", "--format", "json"], ""),
    (["scan", "--snapshot", "{snapshot}", "--out", "{tmp}/out"],
     "; the reports were written to {tmp}/out"),
    (["report", "--in", "{tmp}/scanned", "--out", "{tmp}/again"],
     "; the reports were written to {tmp}/again")])
def test_standard_output_on_a_full_disk_is_one_line_naming_it(
        argv: list[str], after: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Hostile-input trial: `> /dev/full` was `internal error: OSError: [Errno 28] No space
    left on device`, naming nothing. A command whose files were written by then says so
    (new-user trial: only the error was said, as if the scan had not run)."""
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    if argv[0] == "report":
        assert main(["scan", "--snapshot", str(snapshot), "--out", str(tmp_path / "scanned"),
                     "-q"]) == 0
        capsys.readouterr()
    argv = [a.format(snapshot=snapshot, tmp=tmp_path) for a in argv]
    code, err = main_with_stdout_on_full_disk(argv, monkeypatch, capsys)
    command = " ".join(argv[:2]) if argv[0] == "rules" else argv[0]  # rules list: its name
    assert (code, err) == (2, [f"secretgraph {command}: error: cannot write to standard output: "
                               "No space left on device" + after.format(tmp=tmp_path)])
    if after:
        written = tmp_path / ("out/findings.json" if argv[0] == "scan" else "again/report.html")
        assert written.is_file()


@needs_dev_full
def test_an_output_file_on_a_full_disk_is_one_line_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snapshot = tmp_path / "snapshot.json.gz"
    write_snapshot(snapshot, estate(secret_policy=None))
    assert main(["baseline", "init", "--snapshot", str(snapshot), "--output-file", FULL,
                 "--force"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"secretgraph baseline init: error: --output-file {FULL}: cannot write it: No space left on "
        "device"]


def test_collect_parts_on_a_full_disk_is_one_line_naming_the_part(
        moto_endpoint: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Fault-injection trial round 4: `collect --parts DIR` on a full disk was "internal
    error: OSError ... No space left on device", naming no file, with a ``.partial`` file
    left in DIR. One line naming the part, exit 2, nothing temporary left, no manifest (the
    shard is not taken for complete)."""
    from e2e.test_scan_cli import ROLE, seed
    from helpers.full_disk import NearlyFullDisk

    seed(moto_endpoint)
    parts = tmp_path / "parts"
    parts.mkdir()
    NearlyFullDisk(parts, free=0).install(monkeypatch)
    code = main(["collect", "--org", "--role-name", ROLE, "--regions", "us-east-1",
                 "--endpoint-url", moto_endpoint, "--shard", "1/1", "--run-id", "r1",
                 "--parts", str(parts), "-q"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"secretgraph collect: error: {parts}/r1/") and \
        err[0].endswith(": cannot write it (No space left on device); this shard is not "
                        "complete in the parts (its manifest is written last): run it again")
    assert [p for p in parts.rglob("*") if p.is_file()] == []


def test_a_rescan_removes_only_what_an_earlier_scan_wrote_not_files_named_like_reports(
        tmp_path: Path) -> None:
    """Bad-input trial round 1 (out_deletes_user_files.sh): in a folder holding pytest's
    junit.xml, another tool's report.html and notes.txt, `scan --format json` removed the two
    files named like reports. Only what the last set's manifest names is removed; a folder a
    scan wrote before manifests existed (it holds a snapshot) is still tidied as before."""
    from scanner.output_set import MANIFEST, OutputSet

    out = tmp_path / "out"
    out.mkdir()
    theirs = {"junit.xml": "<testsuites name='pytest'/>", "report.html": "<p>coverage</p>",
              "notes.txt": "mine"}
    for name, text in theirs.items():
        (out / name).write_text(text, encoding="utf-8")

    def scan(*names: str) -> None:
        with OutputSet(out) as outputs:
            for name in names:
                (outputs.staging / name).write_text(f"scan {name}", encoding="utf-8")
            outputs.commit()

    scan("findings.json", "snapshot.json.gz")
    assert {n: (out / n).read_text(encoding="utf-8") for n in theirs} == theirs
    scan("findings.json", "snapshot.json.gz", "findings.csv")
    scan("findings.json", "snapshot.json.gz")  # the csv was ours: removed; theirs kept
    assert not (out / "findings.csv").exists()
    assert {n: (out / n).read_text(encoding="utf-8") for n in theirs} == theirs
    # a set written before manifests existed: its reports are ours
    (out / MANIFEST).unlink()
    (out / "findings.csv").write_text("old scan csv", encoding="utf-8")
    scan("findings.json", "snapshot.json.gz")
    assert not (out / "findings.csv").exists() and not (out / "junit.xml").exists()


def test_an_out_folder_that_is_a_symlink_to_another_file_system_is_written(
        tmp_path: Path) -> None:
    """Review of the thirteenth session's merges (symlink_out.sh): --out a link to a folder on
    another file system (/dev/shm) failed "Invalid cross-device link" after all the work: the
    files were staged beside the link. They are staged beside the folder it points to."""
    import os
    import tempfile

    from scanner.output_set import OutputSet

    shm = Path("/dev/shm")
    if not shm.is_dir() or os.stat(shm).st_dev == os.stat(tmp_path).st_dev:
        pytest.skip("needs /dev/shm on another file system")
    real = Path(tempfile.mkdtemp(dir=shm)) / "out"
    try:
        link = tmp_path / "linkout"
        link.symlink_to(real, target_is_directory=True)
        real.mkdir()
        with OutputSet(link) as outputs:
            (outputs.staging / "findings.json").write_text("{}", encoding="utf-8")
            assert outputs.commit() == [link / "findings.json"]
        assert (real / "findings.json").read_text(encoding="utf-8") == "{}"
        assert [p.name for p in tmp_path.iterdir()] == ["linkout"]
    finally:
        import shutil

        shutil.rmtree(real.parent, ignore_errors=True)
