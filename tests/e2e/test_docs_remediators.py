"""docs/remediation.md "Remediators": the table an operator reads to know what a remediator
fixes, which IAM actions its role needs, whether `--undo` takes it back and which evidence it
reads is the code's own: one row per remediator of ``remediations.REMEDIATORS``; its
permissions column is the module's ``PERMISSIONS`` (the remediation role's policy is generated
from them); "not reversible" exactly where ``REVERSIBLE`` is false; "only when selected"
exactly where ``EXPLICIT_ONLY``; every key of ``EVIDENCE_KEYS`` named in the evidence column;
and every rule whose ``remediation.id`` resolves to it named in the fixes column. Docs truth
round 16: the grant-key-decrypt row did not name ``execution_role``, the evidence the
secret-rotation-role-cannot-read change cannot be planned without."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from remediations import COMPOSITE, REMEDIATORS

ROOT = Path(__file__).resolve().parents[2]


def table_rows(text: str) -> dict[str, list[str]]:
    """remediation id -> the cells of its row of the "## Remediators" table."""
    start = text.index("\n## Remediators")
    end = text.find("\n## ", start + 1)
    section = text[start:end if end > 0 else len(text)]
    rows: dict[str, list[str]] = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
            rows[cells[0].strip("`")] = cells
    return rows


def listed_permissions(cell: str) -> set[str]:
    """The IAM actions a permissions cell lists before its first parenthesis: a name without a
    service takes the one before it (secretsmanager first); `Get/Put/DeleteResourcePolicy` is
    three actions."""
    service = "secretsmanager"
    actions: set[str] = set()
    for token in cell.split(" (", 1)[0].split(","):
        token = token.strip()
        if ":" in token:
            service, token = token.split(":", 1)
        head, _, tail = token.rpartition("/")
        if head:
            stems = head.split("/") + [re.match(r"[A-Z][a-z]+", tail).group(0)]  # type: ignore[union-attr]
            rest = tail[len(stems[-1]):]
            actions.update(f"{service}:{stem}{rest}" for stem in stems)
        else:
            actions.add(f"{service}:{token}")
    return actions


def rules_of(remediation_id: str) -> set[str]:
    """The built-in rules whose remediation id is this remediator's or resolves to it."""
    ids = {remediation_id} | {cid for cid, (rid, _) in COMPOSITE.items() if rid == remediation_id}
    found = set()
    for path in (ROOT / "rules").glob("*.yaml"):
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))
        if (rule.get("remediation") or {}).get("id") in ids:
            found.add(rule["id"])
    return found


def problems(text: str) -> list[str]:
    rows = table_rows(text)
    out = [f"{rid}: no row" for rid in REMEDIATORS if rid not in rows]
    out += [f"{rid}: a row of no remediator" for rid in rows if rid not in REMEDIATORS]
    for rid, module in REMEDIATORS.items():
        if rid not in rows:
            continue
        fixes, _calls, permissions, undo, evidence = rows[rid][1:6]
        if listed_permissions(permissions) != set(module.PERMISSIONS):
            out.append(f"{rid}: permissions {sorted(listed_permissions(permissions))} != "
                       f"PERMISSIONS {sorted(module.PERMISSIONS)}")
        if undo.startswith("not reversible") == module.REVERSIBLE:
            out.append(f"{rid}: undo column says {undo[:30]!r}, REVERSIBLE={module.REVERSIBLE}")
        if ("only when selected" in fixes) != module.EXPLICIT_ONLY:
            out.append(f"{rid}: fixes column vs EXPLICIT_ONLY={module.EXPLICIT_ONLY}")
        named = set(re.findall(r"`([a-z_]+)`", evidence))
        out += [f"{rid}: evidence key {key} not named" for key in module.EVIDENCE_KEYS
                if key not in named]
        out += [f"{rid}: rule {rule} not named" for rule in sorted(rules_of(rid))
                if rule not in fixes]
    return out


def test_the_remediators_table_is_the_remediators() -> None:
    text = (ROOT / "docs" / "remediation.md").read_text(encoding="utf-8")
    assert problems(text) == []


def test_the_check_sees_a_missing_permission_key_and_a_wrong_undo() -> None:
    text = (ROOT / "docs" / "remediation.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `cancel-key-deletion`"))
    edited = row.replace("kms:DescribeKey, CancelKeyDeletion, EnableKey",
                         "kms:DescribeKey, CancelKeyDeletion").replace(
        "not reversible", "ScheduleKeyDeletion").replace("`key_arn`", "key_arn")
    found = problems(text.replace(row, edited))
    assert any("cancel-key-deletion: permissions" in p for p in found), found
    assert "cancel-key-deletion: evidence key key_arn not named" in found
    assert any("cancel-key-deletion: undo column" in p for p in found), found
    assert listed_permissions("DescribeSecret, Get/Put/DeleteResourcePolicy") == {
        "secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy",
        "secretsmanager:PutResourcePolicy", "secretsmanager:DeleteResourcePolicy"}


def journal_statuses(path: Path) -> set[str]:
    """The statuses a module writes on journal lines: `status="..."` arguments, and both sides
    of a `"..." if ok else "..."` choice."""
    source = path.read_text(encoding="utf-8")
    chosen = re.findall(r'"([a-z-]+)" if [a-z_.]*ok else "([a-z-]+)"', source)
    return set(re.findall(r'status="([a-z-]+)"', source)) | {s for pair in chosen for s in pair}


def test_every_status_a_journal_line_can_have_is_named() -> None:
    """An apply's and an undo's journal lines (docs/remediation.md, 4. Journal and 5. Undo):
    the undo journal's statuses were named nowhere (and the journal module's docstring gave
    an undo `partial`, which it never writes, and not `refused`)."""
    text = (ROOT / "docs" / "remediation.md").read_text(encoding="utf-8")
    journal = text[text.index("4. **Journal**"):text.index("6. **One apply")]
    remediate = ROOT / "scanner" / "remediate"
    apply_statuses = journal_statuses(remediate / "engine.py")
    undo_statuses = journal_statuses(remediate / "undo.py")
    assert {"applied", "partial", "undone", "not-reversible"} <= apply_statuses | undo_statuses
    undo_at = journal.index("5. **Undo**")
    assert sorted(s for s in apply_statuses | {"started"} if f"`{s}`" not in journal[:undo_at]) == []
    assert sorted(s for s in undo_statuses if f"`{s}`" not in journal[undo_at:]) == []


def flag_column(text: str) -> str:
    """The first column of docs/remediation.md's flag table (the one under its examples)."""
    start = text.index("| flag | meaning |")
    rows = []
    for line in text[start:].splitlines():
        if not line.startswith("|"):
            break
        rows.append(line.split(" | ", 1)[0])
    return "\n".join(rows)


def test_every_flag_of_remediate_has_its_row_in_the_flag_table() -> None:
    """Docs truth round 16: the table a reader looks a remediate flag up in had no row for
    --profile, --external-id, --yes or --prove-timeout (the logging flags every command
    shares are docs/configuration.md's)."""
    import argparse

    from scanner.cli import build_parser

    parser, _ = build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    remediate = sub.choices["remediate"]
    flags = [opt for group in remediate._action_groups if group.title != "output and logging"
             for action in group._group_actions for opt in action.option_strings
             if opt.startswith("--") and opt != "--help"]
    assert "--external-id" in flags and "--undo" in flags
    column = flag_column((ROOT / "docs" / "remediation.md").read_text(encoding="utf-8"))
    assert [f for f in flags if not re.search(rf"[` ]{re.escape(f)}[ `]", column)] == []


def test_every_member_of_a_plan_file_and_a_journal_line_is_named(tmp_path: Path) -> None:
    """docs/remediation.md "2. Plan file" and "4. Journal" are where a reviewer learns what a
    plan and a journal hold: every member a plan file, its estate, its changes and its
    not-planned entries carry, and every member of a journal's header, change and end lines,
    is named there (docs truth round 16: the plan file's paragraph named 6 of its 10 members,
    and none of a change's; the journal's header and end lines went unnamed)."""
    import json

    from helpers.remediate_records import PUBLIC, applied_journal, finding, snapshot
    from scanner.changes import RemediationConfig
    from scanner.remediate.planner import Selection, build_plan

    snap = snapshot(policy={"Version": "2012-10-17", "Statement": [PUBLIC]})
    plan = build_plan([finding("secret-policy-public", "restrict-public-secret-policy"),
                       finding("secret-policy-overbroad-actions", "narrow-secret-policy-actions")],
                      snap, RemediationConfig(), Selection())
    document = plan.to_json()
    document.setdefault("max_age_hours", 24)
    assert document["changes"] and document["skipped"]
    members = {f"plan {k}" for k in document}
    members |= {f"estate {k}" for k in {**document["estate"], "audit_role": None}}
    members |= {f"change {k}" for k in document["changes"][0]}
    members |= {f"skipped {k}" for k in document["skipped"][0]}
    text = (ROOT / "docs" / "remediation.md").read_text(encoding="utf-8")
    plan_part = text[text.index("2. **Plan file**"):text.index("3. **Apply**")]
    assert ", ".join(sorted(m for m in members if f"`{m.split()[1]}`" not in plan_part)) == ""
    lines = [json.loads(line) for line in
             applied_journal(tmp_path / "j.jsonl", plan).read_text().splitlines()]
    journal_members = {f"{line['type']} {k}" for line in lines for k in line}
    journal_part = text[text.index("4. **Journal**"):text.index("5. **Undo**")]
    assert ", ".join(sorted(m for m in journal_members
                  if f"`{m.split()[1]}`" not in journal_part)) == ""


def test_every_member_of_the_remediator_protocol_is_named() -> None:
    """docs/remediation.md "Remediators" lists what a remediator module must define (the
    `Remediator` protocol of scanner/changes.py, which mypy holds REMEDIATORS to): it left
    out REMEDIATION_ID (docs truth round 16)."""
    from scanner.changes import Remediator

    text = (ROOT / "docs" / "remediation.md").read_text(encoding="utf-8")
    start = text.index("satisfying the `Remediator` protocol")
    paragraph = text[start:text.index("\n\n", start)]
    members = [name for name in vars(Remediator) if not name.startswith("_")]
    assert {"REMEDIATION_ID", "plan", "undo_call"} <= set(members)
    assert [m for m in members if f"`{m}" not in paragraph] == []
    for rid, module in REMEDIATORS.items():
        assert module.REMEDIATION_ID == rid


def test_the_retry_budget_the_page_gives_apply_and_undo_is_theirs() -> None:
    """docs/remediation.md: apply and undo clients make at most 4 attempts per call, a scan's
    reads 8 (docs/configuration.md)."""
    import boto3

    from scanner.aws.session import ClientSettings
    from scanner.remediate.sessions import remediation_sessions

    sessions = remediation_sessions(role_name=None, endpoint_url=None,
                                    base=boto3.Session(region_name="us-east-1",
                                                       aws_access_key_id="x",
                                                       aws_secret_access_key="x"))
    text = (ROOT / "docs" / "remediation.md").read_text(encoding="utf-8")
    said = re.search(r"at most (\d+) attempts per call where a scan's reads make (\d+)", text)
    assert said is not None
    assert (int(said[1]), int(said[2])) == (sessions.settings.max_attempts,
                                            ClientSettings().max_attempts)

