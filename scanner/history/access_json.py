"""Tonight's access report as JSON for the history, its secrets built one at a time.

The nightly scan hands its access report to two readers: the drift (which reads the entries
that differ from the previous scan's) and the record (which encodes every entry once). Built
whole (``AccessReport.to_dict()``) the JSON tree sat beside the typed report all through the
drift and the record: +232 MB at 300 accounts, about 0.8 GB at 1,000 (fifteenth session).
``streamed_access_json`` gives the same JSON with ``secrets`` and ``replicas`` as
``StreamedMembers``: each entry is built from the typed report when it is read, equal to
``to_dict()``'s, verdict indices included (numbered first, in ``to_dict()``'s order), so the
stored bytes and their digests do not change (tests/history/test_nightly_streamed_access.py).
"""

from __future__ import annotations

from typing import Any

from scanner.access.report import AccessReport, _key_dict, _secret_dict, _VerdictIndex
from scanner.history.records import StreamedMembers
from scanner.model import to_jsonable


def streamed_access_json(report: AccessReport) -> dict[str, Any]:
    """``report.to_dict()``, but for ``secrets`` and ``replicas``: those are built entry by
    entry when read (``StreamedMembers``). The verdict list is complete from the start."""
    verdicts: list[dict[str, Any]] = []
    index = _VerdictIndex()
    secrets = sorted(report.secrets)
    replicas = sorted(report.replicas)
    # to_dict() numbers the verdicts as it meets them: the secrets' paths in ARN order, then
    # the replicas'. Numbered the same way here, each entry built later finds its paths' ids.
    for source, arns in ((report.secrets, secrets), (report.replicas, replicas)):
        for arn in arns:
            for p in source[arn].paths:
                _number(p, verdicts, index)
    held = len(verdicts)

    def entry(source: Any) -> Any:
        def build(arn: str) -> dict[str, Any]:
            out = _secret_dict(source[arn], verdicts, index)
            if len(verdicts) != held:  # pragma: no cover -- numbered above, every path
                raise AssertionError("a verdict was not numbered before its entry was built")
            return out
        return build

    return {
        "settings": to_jsonable(report.settings),
        "secrets": StreamedMembers(secrets, entry(report.secrets)),
        "replicas": StreamedMembers(replicas, entry(report.replicas)),
        "verdicts": verdicts,
        "keys": {arn: _key_dict(k) for arn, k in sorted(report.keys.items())},
        "identity_wildcards": [to_jsonable(w) for w in report.identity_wildcards],
        "problems": list(report.problems),
    }


def _number(p: Any, verdicts: list[dict[str, Any]], index: _VerdictIndex) -> None:
    """The verdict number of one path, as ``scanner.access.report._compact_path`` gives it."""
    if id(p.gates) in index.by_id:
        return
    value = (tuple(p.gates.items()), p.reasons)
    vid = index.by_value.get(value)
    if vid is None:
        vid = index.by_value[value] = len(verdicts)
        verdicts.append({"gates": to_jsonable(p.gates), "reasons": list(p.reasons)})
    index.by_id[id(p.gates)] = vid
    index.keep.append(p.gates)
