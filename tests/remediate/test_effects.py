"""Issue 14: every plan shows its effect on access and findings, and refuses to break a reader.

Offline: hand-made snapshots (helpers.remediate_records) and the real rules and access analysis.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from helpers.remediate_records import (ACCT, KEY_ARN, OUTSIDER_ROLE, SECRET_ARN, finding, snapshot,
                                      write_scan_dir)
from scanner.cli import main
from scanner.changes import PlannedChange, RemediationConfig
from scanner.errors import UsageError
from scanner.model import IamPrincipal, IamSnapshot, Snapshot
from scanner.remediate.planfile import plan_from_json
from scanner.remediate.planner import Selection, build_plan
from scanner.remediate.render import (effect_lines, render_plan, render_plan_html,
                                      render_plan_markdown)

READER = f"arn:aws:iam::{ACCT}:role/Reader"
CONFIG = RemediationConfig()
MOVE = finding("secret-uses-aws-managed-key", "move-secret-to-cmk")


def _with_reader(snap: Snapshot) -> Snapshot:
    """A same-account role that reads the secret through its identity policy alone."""
    reader = IamPrincipal(arn=READER, name="Reader", account_id=ACCT, principal_type="role",
                          inline_policies={"read": {"Version": "2012-10-17", "Statement": [{
                              "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                              "Resource": SECRET_ARN}]}})
    (acct,) = snap.accounts
    return replace(snap, accounts=(replace(acct, iam=IamSnapshot(principals=(reader,))),))


def _readers(effect: dict | None, key: str) -> list[str]:
    return [r["principal"] for r in (effect or {}).get(key) or ()]


def test_moving_to_a_cmk_keeps_the_reader_with_a_companion_key_policy_change() -> None:
    snap = _with_reader(snapshot(kms_key_id=None))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    grant, move = plan.changes
    assert (grant.remediation_id, move.remediation_id) == ("grant-key-decrypt",
                                                           "move-secret-to-cmk")
    assert grant.details["principals"] == [READER] and grant.resource_arn == KEY_ARN
    assert grant.effect == {"companion_of": move.change_id}
    assert move.effect is not None
    assert move.effect["readers_lost"] == [] and move.effect["companions"] == [grant.change_id]
    assert [f["rule_id"] for f in move.effect["findings_resolved"]] == \
        ["secret-uses-aws-managed-key"]
    assert plan.skipped == ()


def test_the_companion_is_planned_when_the_key_policy_names_another_account() -> None:
    """New-user trial (companion_external_key.py): a target key whose policy also lets
    another account decrypt -- the normal case in a centralized estate -- lost the
    grant-key-decrypt companion and the move was refused as "breaks access": the companion's
    scope counted every account its whole key-policy text names. A key-policy edit affects
    the key's account and the principals of the statements it adds or changes, not those of
    the statements it keeps."""
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Partner", "Effect": "Allow",
         "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
         "Action": "kms:Decrypt", "Resource": "*"}]}
    snap = _with_reader(snapshot(kms_key_id=None, key_policy=key_policy))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    assert plan.skipped == ()
    grant, move = plan.changes
    assert (grant.remediation_id, move.remediation_id) == ("grant-key-decrypt",
                                                           "move-secret-to-cmk")
    assert grant.details["principals"] == [READER]
    assert move.effect is not None and move.effect["readers_lost"] == []
    assert move.effect["companions"] == [grant.change_id]


def test_a_change_that_loses_a_reader_is_refused_unless_accepted() -> None:
    snap = _with_reader(snapshot(kms_key_id=None))
    # no companion: the key's policy cannot be edited (not readable in the scan)
    (acct,) = snap.accounts
    (region,) = acct.regions
    (key,) = region.kms_keys
    snap = replace(snap, accounts=(replace(acct, regions=(replace(region, kms_keys=(
        replace(key, policy=None, unread=("policy",)),)),)),))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    assert plan.changes == ()
    (refused,) = plan.skipped
    assert refused.change_id and refused.remediation_id == "move-secret-to-cmk"
    # its key policy unread, the new key's gate is UNKNOWN: the reader is not proven kept
    why = f"{READER} may lose read access to {SECRET_ARN} (the key_policy gate becomes UNKNOWN)"
    assert why in refused.reason
    assert f"--accept-access-change {refused.change_id}" in refused.reason
    (risk,) = (refused.effect or {})["readers_at_risk"]
    assert risk["principal"] == READER and risk["gates"]["key_policy"] == "UNKNOWN", \
        "the readers affected are shown gate by gate"

    assert risk["cross_account"] is False
    (line,) = [ln for ln in effect_lines(refused.effect) if READER in ln]
    assert "resource_policy=NOT_APPLICABLE" in line and \
        line.endswith("; same account: identity OR resource policy)"), \
        "a same-account reader needs no resource-policy grant, and the plan says so"

    accepted = build_plan([MOVE], snap, CONFIG, Selection(),
                          accept_access_changes=[refused.change_id])
    (move,) = accepted.changes
    assert move.effect is not None
    assert _readers(dict(move.effect), "readers_at_risk") == [READER]
    assert move.effect["accepted"] == [why]
    with pytest.raises(UsageError, match="chg-0000"):
        build_plan([MOVE], snap, CONFIG, Selection(), accept_access_changes=["chg-0000"])


def test_a_change_that_lets_in_a_reader_from_outside_the_zone_is_refused() -> None:
    """The secret policy names an outsider, harmless while the secret is on aws/secretsmanager
    (no other account can use that key); the target CMK grants the outsider decrypt."""
    grant = {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": OUTSIDER_ROLE},
             "Action": "secretsmanager:GetSecretValue", "Resource": "*"}
    key_policy = {"Version": "2012-10-17", "Statement": [
        {"Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "Partner", "Effect": "Allow", "Principal": {"AWS": OUTSIDER_ROLE},
         "Action": "kms:Decrypt", "Resource": "*"}]}
    snap = snapshot(kms_key_id=None, key_policy=key_policy,
                    policy={"Version": "2012-10-17", "Statement": [grant]})
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    assert plan.changes == ()
    (refused,) = plan.skipped
    assert f"{OUTSIDER_ROLE} (outside the trust zone) gains read access" in refused.reason
    gained = (refused.effect or {})["readers_gained"]
    assert [(r["principal"], r["outside_trust_zone"]) for r in gained] == [(OUTSIDER_ROLE, True)]


def test_the_effect_is_in_the_plan_file_the_terminal_markdown_and_html() -> None:
    snap = _with_reader(snapshot(kms_key_id=None))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    again = plan_from_json(json.loads(json.dumps(plan.to_json())), path="plan.json")
    assert [c.effect for c in again.changes] == [c.effect for c in plan.changes]
    text = render_plan(plan)
    assert "effect: readers +0 -0; findings resolved 1, created 0" in text
    assert "resolved secret-uses-aws-managed-key" in text
    assert "planned with" in text  # the companion says whose readers it keeps
    markdown = render_plan_markdown(plan)
    assert "| readers +/- |" in markdown and "resolved secret-uses-aws-managed-key" in markdown
    page = render_plan_html(plan)
    assert "resolved secret-uses-aws-managed-key" in page and "<script" not in page


def test_hostile_names_are_escaped_in_the_html_plan() -> None:
    snap = _with_reader(snapshot(kms_key_id=None))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    hostile = replace(plan, changes=tuple(
        replace(c, summary="<img src=x onerror=alert(1)>") for c in plan.changes))
    page = render_plan_html(hostile)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_hostile_names_are_inert_in_the_markdown_plan() -> None:
    """The .md plan carried raw HTML and escape sequences from hostile names (remediate/export
    trial of the seventh session): a markdown viewer renders the HTML, `cat` the escapes, and a
    ``` in a name closed the change's code block."""
    snap = _with_reader(snapshot(kms_key_id=None))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    evil = "<img src=x onerror=alert(1)>\x1b[31m```\n# owned"
    hostile = replace(plan, changes=tuple(
        replace(c, summary=evil, notes=(evil,)) for c in plan.changes))
    markdown = render_plan_markdown(hostile)
    assert "\x1b" not in markdown
    outside, inside = [], False  # inside a code block, markdown shows HTML as text
    for line in markdown.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside:
            outside.append(line)
    assert not any("<img" in line for line in outside)
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in markdown
    assert "\n# owned" not in markdown  # no forged heading
    fences = [line for line in markdown.splitlines() if line.startswith("```")]
    assert len(fences) == 2 * len(hostile.changes)  # every code block closes where it should


MARKDOWN_TRAPS = ("[click](https://evil.invalid) ![t](https://evil.invalid/t.png) **bold** "
                  "_em_ ~~gone~~ `tick` a\\\\b <b>x</b> &amp;")


def test_hostile_names_render_as_their_own_characters_in_the_markdown_plan() -> None:
    """Hostile-input trial: `[click](https://evil)` in a resource name became a live link (and
    `![t](...)` an image fetched on viewing) in the table cells and the `## N. ... on <arn>`
    headings; only HTML and `|` were escaped."""
    from markdown_it import MarkdownIt

    snap = _with_reader(snapshot(kms_key_id=None))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    arn = SECRET_ARN + "/" + MARKDOWN_TRAPS
    hostile = replace(plan, changes=tuple(replace(c, resource_arn=arn, summary=MARKDOWN_TRAPS)
                                          for c in plan.changes),
                      skipped=(replace(plan.skipped[0], resource_arn=arn, reason=MARKDOWN_TRAPS),)
                      if plan.skipped else ())
    markdown = render_plan_markdown(hostile)
    page = MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)
    for tag in ("<a ", "<img", "<strong>", "<em>", "<s>", "<b>", "<code>tick"):
        assert tag not in page, tag
    plain = "[click](https://evil.invalid) ![t](https://evil.invalid/t.png) **bold** _em_ " \
            "~~gone~~ `tick` a\\\\b &lt;b&gt;x&lt;/b&gt; &amp;amp;"
    headings = [line for line in page.splitlines() if line.startswith("<h2>")]
    assert any(plain in h for h in headings)  # the heading shows the name as written
    assert sum(plain in line for line in page.splitlines() if line.startswith("<td>")) >= 2


def test_control_and_bidi_characters_are_not_in_the_html_plan() -> None:
    """Hostile-input trial: the HTML plan kept ESC, BEL, C1, NUL and the bidi overrides that
    the terminal and markdown plans replace (a right-to-left override reverses what follows)."""
    snap = _with_reader(snapshot(kms_key_id=None))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    evil = "a\x1b[31m\x07\x9b2J\x00\u202etxt.exe\u2066iso\u2069\u200bz"
    hostile = replace(plan, changes=tuple(
        replace(c, resource_arn=SECRET_ARN + evil, summary=evil, notes=(evil,))
        for c in plan.changes))
    page = render_plan_html(hostile)
    assert not any(ch in page for ch in "\x1b\x07\x9b\x00\u202e\u2066\u2069\u200b")
    assert "a\ufffd[31m\ufffd\ufffd2J\ufffd\ufffdtxt.exe\ufffdiso\ufffd\ufffdz" in page
    assert "td,h1,h2,p{overflow-wrap:anywhere}" in page  # a 4,000-character name wraps


def test_cli_lists_the_refused_change_and_plans_it_when_accepted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = _with_reader(snapshot(kms_key_id=None))
    (acct,) = snap.accounts
    (region,) = acct.regions
    (key,) = region.kms_keys
    snap = replace(snap, accounts=(replace(acct, regions=(replace(region, kms_keys=(
        replace(key, policy=None, unread=("policy",)),)),)),))
    scan_dir = write_scan_dir(tmp_path / "scan", snap, [MOVE])

    assert main(["remediate", "--in", str(scan_dir)]) == 0
    text = capsys.readouterr().out
    assert "0 change(s)" in text and "may lose read access" in text
    refused = json.loads((scan_dir / "remediation-plan.json").read_text())["skipped"][0]
    assert refused["effect"]["readers_at_risk"][0]["principal"] == READER
    assert (scan_dir / "remediation-plan.md").exists()
    assert (scan_dir / "remediation-plan.html").exists()

    assert main(["remediate", "--in", str(scan_dir), "--accept-access-change",
                 refused["change_id"]]) == 0
    text = capsys.readouterr().out
    assert "1 change(s)" in text and "accepted with --accept-access-change" in text
    assert main(["remediate", "--in", str(scan_dir), "--accept-access-change",
                 "chg-not-in-plan"]) == 2
    assert "chg-not-in-plan: no such change" in capsys.readouterr().err


def test_a_change_is_re_analysed_over_the_secrets_and_keys_it_can_affect() -> None:
    """A secret's change: the secret, its key and that key's other secrets (the key's findings
    read them); a key's change: the key and its secrets; a route: its accounts whole."""
    from scanner.changes import make_change
    from scanner.engine import load_ruleset
    from scanner.graph.builder import build_graph
    from scanner.model import Secret
    from scanner.remediate.effects import KeyUse, Scope, scoped

    snap = snapshot()
    (acct,) = snap.accounts
    (region,) = acct.regions
    (secret_a,) = region.secrets
    (key,) = region.kms_keys
    other_key = replace(key, arn=KEY_ARN[:-1] + "2", key_id=key.key_id[:-1] + "2")
    base = SECRET_ARN.rsplit(":", 1)[0]

    def secret(name: str, key_ref: str | None) -> Secret:
        return replace(secret_a, arn=f"{base}:{name}-AbCdEf", name=name, kms_key_id=key_ref)

    b, c, d = secret("app/b", KEY_ARN), secret("app/c", None), secret("app/d", other_key.arn)
    snap = replace(snap, accounts=(replace(acct, regions=(replace(
        region, secrets=(secret_a, b, c, d), kms_keys=(key, other_key)),)),))
    use = KeyUse(build_graph(snap), load_ruleset())

    def change(target: str, arn: str, **details: str) -> PlannedChange:
        return make_change(remediation_id="x", finding=MOVE, account_id=ACCT, region="us-east-1",
                           resource_arn=arn, target=f"{target}:{arn}", summary="", calls=(),
                           pre_state={}, desired_state={}, details=details)

    accounts = frozenset({ACCT})
    on_a = use.scope([change("secret-policy", SECRET_ARN)], accounts)
    assert on_a.secrets == {SECRET_ARN, b.arn} and on_a.keys == {KEY_ARN}
    on_c = use.scope([change("secret-policy", c.arn)], accounts)
    assert on_c.secrets == {c.arn}, "the AWS-managed key's secrets: no built-in rule reads them"
    moved = use.scope([change("secret-kms", c.arn, key_arn=other_key.arn)], accounts)
    assert moved.secrets == {c.arn, d.arn} and other_key.arn in (moved.keys or ())
    assert use.scope([change("key-rotation", other_key.arn)], accounts).secrets == {d.arn}
    assert use.scope([change("route", "rtb-1")], accounts) == Scope(accounts=accounts)

    kept = scoped(snap, on_a)
    (kept_region,) = kept.accounts[0].regions
    assert [s.arn for s in kept_region.secrets] == [SECRET_ARN, b.arn]
    assert [k.arn for k in kept_region.kms_keys] == [KEY_ARN]


AUTOLINK_TRAPS = ("support@helpdesk-example.com", "www.password-reset-portal.com/db",
                  "WWW.Example.org", "(www.x.com) _www.y.com_", '=HYPERLINK("http://evil.invalid",1)', "x https://evil.com",
                  "ftp://files.evil.com", "mailto:a@b.co", "xmpp:a@b.co")


def _autolink_plan() -> tuple[Any, str]:
    snap = _with_reader(snapshot(kms_key_id=None))
    plan = build_plan([MOVE], snap, CONFIG, Selection())
    name = " ".join(AUTOLINK_TRAPS)
    hostile = replace(plan, changes=tuple(replace(c, resource_arn=f"{SECRET_ARN}/{name}",
                                                  summary=name) for c in plan.changes))
    return hostile, name


def test_no_gfm_autolink_can_form_in_the_markdown_plan() -> None:
    """Hostile-input trial round 8: under GitHub-flavoured markdown a role named
    `support@helpdesk-example.com` became a mailto link and a secret named
    `www.password-reset-portal.com/db` an http link (the autolink extension: `www.`,
    `http://`/`https://`/`ftp://`, e-mail addresses, `mailto:`/`xmpp:`); `@`, `.` and `:` were
    not escaped. By the rules of the GFM spec's autolink extension: no `www.`, no `://` and
    no `@` directly followed by a domain is left in a cell or a heading."""
    plan, _ = _autolink_plan()
    markdown = render_plan_markdown(plan)
    outside, inside = [], False
    for line in markdown.splitlines():
        if line.startswith("```"):
            inside = not inside
        elif not inside:
            outside.append(line)
    text = "\n".join(outside)
    assert "support@" in text  # the trap is in the cells and headings
    assert not re.search(r"(?i)www\.", text)
    assert not re.search(r"(?<!\\)://", text)  # "\://" is no URL
    assert not re.search(r"@(?!<!---->)", text)


def test_gfm_renders_names_as_their_own_characters_never_as_links() -> None:
    """The same trial, with GitHub's renderer itself (cmark-gfm, a test dependency): the
    cells and headings show the names as written, no <a> element anywhere."""
    import cmarkgfm  # type: ignore[import-untyped]
    plan, name = _autolink_plan()
    page = cmarkgfm.github_flavored_markdown_to_html(render_plan_markdown(plan))
    assert "<a " not in page
    shown = html.escape(name, quote=False).replace('"', "&quot;")
    headings = [line for line in page.splitlines() if line.startswith("<h2>")]
    assert headings and all(shown.replace("@", "@<!-- raw HTML omitted -->") in h
                            for h in headings)
