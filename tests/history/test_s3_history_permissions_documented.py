"""docs/history.md "S3 prefix": the permissions an identity needs to read or record an S3
history are the calls the store makes -- ListObjectsV2 (`s3:ListBucket`), GetObject and
PutObject, never a delete (docs truth round 16: the page named none, and `iam-policy --for
scanner` grants none, so a host scanning into an S3 history had to find them out)."""

from __future__ import annotations

import re
from pathlib import Path

import botocore.session
from botocore import xform_name

ROOT = Path(__file__).resolve().parents[2]
#: the IAM action of each S3 operation the store may call
ACTION = {"ListObjectsV2": "s3:ListBucket", "GetObject": "s3:GetObject",
          "PutObject": "s3:PutObject"}


def s3_calls(source: str) -> set[str]:
    """The S3 operations whose boto3 method the source names (a call or a paginator)."""
    model = botocore.session.get_session().get_service_model("s3")
    methods = {xform_name(op): op for op in model.operation_names}
    words = {w for pair in re.findall(r"\.([a-z][a-z0-9_]*)\b|[\"']([a-z][a-z0-9_]*)[\"']",
                                      source) for w in pair if w}
    return {methods[w] for w in words if w in methods}


def test_the_s3_store_makes_only_the_documented_calls() -> None:
    calls = s3_calls((ROOT / "scanner" / "history" / "s3_store.py").read_text(encoding="utf-8"))
    assert calls == set(ACTION), calls
    text = (ROOT / "docs" / "history.md").read_text(encoding="utf-8")
    section = text[text.index("### S3 prefix"):text.index("## Retention")]
    assert [a for a in ACTION.values() if f"`{a}`" not in section] == []
    assert "Nothing is ever deleted there" in section


def test_the_check_sees_a_delete() -> None:
    assert s3_calls("self._client.delete_object(Bucket=b, Key=k)") == {"DeleteObject"}
    assert s3_calls('client.get_paginator("list_objects_v2")') == {"ListObjectsV2"}
