"""docs/contracts.md, "Conventions every part follows": the modules that import boto3 are the
ones it names. It named scanner/aws, the collectors, collect.py, remediation, the Security Hub
export, the S3 history and the demo, while the scheduled deployment's handlers
(scanner/deploy/: SNS, its input files in S3, the re-read queue) and collect_options.py (the
default session of a collection, since the collect split) import boto3 too."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORTS_BOTO3 = re.compile(r"^\s*(import boto3|from boto3\b)", re.MULTILINE)


def _convention() -> str:
    text = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    start = text.index("* Only `scanner/aws`")
    return text[start:text.index("\n* ", start + 1)]


def _importers() -> list[str]:
    return sorted(str(p.relative_to(ROOT)) for package in ("scanner", "reports", "remediations")
                  for p in (ROOT / package).rglob("*.py")
                  if IMPORTS_BOTO3.search(p.read_text(encoding="utf-8")))


def test_every_module_that_imports_boto3_is_in_a_place_the_convention_names() -> None:
    named = re.findall(r"`((?:scanner|reports|remediations)/[\w/.]*)`", _convention())
    outside = [m for m in _importers()
               if not any(m == n or m.startswith(n.rstrip("/") + "/") for n in named)]
    assert outside == [], (f"{outside} import boto3, and docs/contracts.md's convention "
                           f"names only {named}")


def test_the_check_sees_the_modules_that_import_boto3() -> None:
    assert {"scanner/aws/session.py", "scanner/history/store.py",
            "scanner/deploy/handler.py"} <= set(_importers())
