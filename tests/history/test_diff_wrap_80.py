"""`secretgraph diff` at 80 columns with long ARNs (new-user trial 18, left open by round 17):
a wrapped line continues under the text it continues -- a finding's or a resource's under
the words after its change label, a statement's under the words after its "+ ", an ARN's
own rest a little deeper -- never to the left of it, and never run past the edge."""

from __future__ import annotations

import re

from scanner.history.diff import diff_scans
from scanner.history.drift import render_drift_text

from helpers.scanfactory import access, document, finding, policy, read_statement, secret, \
    secret_arn, snapshot, stored

T1, T2 = "2026-11-28T01:00:00Z", "2026-11-29T01:00:00Z"
LONG = "arn:aws:iam::999999999999:role/very/long/path/for/a/role/name/ApplicationReaderRole"
# 76 characters: fits 80 columns, not after a continuation indent
NAME76 = "prod/member-a/db" + "x" * (76 - len(secret_arn("prod/member-a/db")))


def _drift_text() -> str:
    names = ["demo/misconfig/broken-access-with-a-long-name", NAME76]
    old = snapshot("a", T1, [secret(n) for n in names])
    new_secrets = [secret(n, resource_policy=policy(read_statement(LONG, sid="LongOne")))
                   for n in names]
    new = snapshot("b", T2, new_secrets)
    findings = [finding("secret-policy-external-account", secret_arn(n), principal=LONG)
                for n in names]
    drift = diff_scans(stored(old), stored(new, document(new, findings), access({})))
    return render_drift_text(drift, width=80)


def test_wrapped_drift_lines_stay_under_their_text_at_80_columns() -> None:
    assert len(secret_arn(NAME76)) == 76
    lines = _drift_text().splitlines()
    assert all(len(x) <= 80 for x in lines), lines
    rows = [i for i, x in enumerate(lines) if re.match(r"  (new|changed) ", x)]
    assert len(rows) == 4, lines
    for at in rows:
        # the row's continuation lines, up to the next line of its own depth or less
        rest = []
        for x in lines[at + 1:]:
            if not x.strip() or len(x) - len(x.lstrip()) <= 4:
                break
            rest.append(x)
        assert rest, lines[at]
        # under the words after the label ("new      ", "changed  "): column 11, an ARN's
        # own rest two deeper
        depth = [len(x) - len(x.lstrip()) for x in rest]
        assert depth[0] == 11 and all(d in (11, 13) for d in depth), (lines[at], rest)
        assert any(x.strip() == "principal" or x.strip().startswith("principal ")
                   for x in rest) or lines[at].startswith("  changed"), rest


def test_a_wrapped_statement_continues_under_its_text() -> None:
    lines = _drift_text().splitlines()
    starts = [i for i, x in enumerate(lines) if x.lstrip().startswith("+ Sid LongOne")]
    assert len(starts) == 2, lines
    for at in starts:
        text_col = lines[at].index("+ Sid") + 2
        rest = []
        for x in lines[at + 1:]:
            if not x.strip() or x.lstrip()[:2] in ("+ ", "- ", "~ ") or x.startswith("  c"):
                break
            rest.append(x)
        assert rest, lines[at]  # it is wrapped at 80 columns
        assert all(len(x) - len(x.lstrip()) >= text_col for x in rest), (lines[at], rest)


def test_the_words_are_the_same_as_on_one_line() -> None:
    """Wrapping changes where lines break, not what they say (ARNs rejoined)."""
    narrow = _drift_text()
    names = ["demo/misconfig/broken-access-with-a-long-name", NAME76]
    for n in names:
        assert secret_arn(n) in re.sub(r"([:/])\n +", r"\1", narrow)
    assert LONG in re.sub(r"([:/])\n +", r"\1", narrow)


def test_the_resources_of_the_findings_listed_start_in_one_column() -> None:
    """New-user trial round 29: on a wide terminal (or in a file) each finding's resource
    began two spaces after its rule id, so the ARNs of `secret-policy-public` and
    `secret-uses-aws-managed-key` started 7 columns apart, a ragged list to scan by eye."""
    old = snapshot("a", T1, [secret("app/one"), secret("app/two")])
    new = snapshot("b", T2, [secret("app/one"), secret("app/two")])
    findings = [finding("secret-policy-public", secret_arn("app/one")),
                finding("secret-uses-aws-managed-key", secret_arn("app/two"))]
    drift = diff_scans(stored(old), stored(new, document(new, findings), access({})))
    rows = [x for x in render_drift_text(drift).splitlines() if x.startswith("  new ")]
    assert len(rows) == 2, rows
    assert len({x.index("arn:aws:secretsmanager:") for x in rows}) == 1, rows
    assert "secret-policy-public         arn:" in rows[0] or \
        "secret-policy-public         arn:" in rows[1], rows
