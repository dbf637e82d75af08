"""The Lambda deployment package: `make lambda-zip` builds it, and the handlers import from it in
a clean virtual environment (no secretgraph, no dependencies installed), as the Lambda runtime
would unpack it."""

from __future__ import annotations

import os
import subprocess
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import sys, json
sys.path.insert(0, sys.argv[1])
from scanner.deploy.handler import handler
from scanner.deploy.tasks import analyze, collect_batch, list_accounts
from scanner.deploy.org_scale_template import org_scale_template
from scanner.errors import InputError
import scanner, yaml, networkx, jsonschema, boto3
try:
    list_accounts({"run_id": "r"}, None)
except InputError as exc:
    message = str(exc)
print(json.dumps({"from": scanner.__file__, "message": message,
                  "states": sorted(org_scale_template()["Resources"])[:1]}))
"""


def test_the_built_zip_imports_the_handlers_in_a_clean_venv(tmp_path: Path) -> None:
    build = subprocess.run(["make", "lambda-zip"], cwd=ROOT, capture_output=True, text=True,
                           timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    package = ROOT / "build" / "secretgraph-lambda.zip"
    with zipfile.ZipFile(package) as zf:
        names = set(zf.namelist())
        assert "scanner/deploy/tasks.py" in names
        assert any(n.startswith("rules/") and n.endswith(".yaml") for n in names)
        unpacked = tmp_path / "task"
        zf.extractall(unpacked)
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # the clean environment really is clean: secretgraph is not importable without the zip
    bare = subprocess.run([str(python), "-c", "import scanner"], capture_output=True, text=True,
                          cwd=tmp_path, env={"PATH": os.environ.get("PATH", "")})
    assert bare.returncode != 0
    probe = subprocess.run([str(python), "-c", PROBE, str(unpacked)], capture_output=True,
                           text=True, cwd=tmp_path, timeout=120,
                           env={"PATH": os.environ.get("PATH", ""), "AWS_DEFAULT_REGION":
                                "us-east-1"})
    assert probe.returncode == 0, probe.stderr[-2000:]
    assert str(unpacked) in probe.stdout
    assert "SECRETGRAPH_PARTS_URI" in probe.stdout
