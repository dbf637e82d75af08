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

from scanner.access.report import AccessReport, _secret_dict, _VerdictIndex
from scanner.history.blobs import StreamedMembers


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
                index.number(p, verdicts)
    held = len(verdicts)

    def entry(source: Any) -> Any:
        def build(arn: str) -> dict[str, Any]:
            out = _secret_dict(source[arn], verdicts, index)
            if len(verdicts) != held:  # pragma: no cover -- numbered above, every path
                raise AssertionError("a verdict was not numbered before its entry was built")
            return out
        return build

    return report.document(StreamedMembers(secrets, entry(report.secrets)),
                           StreamedMembers(replicas, entry(report.replicas)), verdicts)
