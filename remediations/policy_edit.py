"""Pure helpers for minimal policy edits: parse, statement-level diff, principals, size.

Which statements to edit is never decided here: remediators take them from the concept
functions of scanner/policy/exposure.py, the ones the rules use."""

from __future__ import annotations

import copy
import json
from typing import Any, Mapping, Sequence

from scanner.changes import PlanRefused, PolicyDiff, StatementDiff
from scanner.policy import Policy, arn, parse_policy_text
from scanner.policy.matching import action_matches


def parse_policy(text: str | None, what: str) -> dict[str, Any]:
    """The policy document as a dict; None (no policy) becomes an empty document."""
    if text is None or not text.strip():
        return {"Version": "2012-10-17", "Statement": []}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PlanRefused(f"{what} is not valid JSON ({exc.msg}); not editing it") from None
    if not isinstance(doc, dict):
        raise PlanRefused(f"{what} is not a JSON object; not editing it")
    stmts = doc.get("Statement")
    if isinstance(stmts, dict):
        doc["Statement"] = [stmts]
    elif stmts is None:
        doc["Statement"] = []
    elif not isinstance(stmts, list):
        raise PlanRefused(f"{what}: Statement is neither a list nor an object; not editing it")
    return doc


def parsed_or_none(text: str | None) -> Any:
    """The parsed policy for state comparison (None when there is no policy)."""
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"__unparseable__": text}


def minify(doc: Mapping[str, Any]) -> str:
    """Compact text, key order kept (AWS counts every character of a secret policy)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


def edit_policy(kind: str, before_text: str | None, before_doc: Mapping[str, Any],
                replacements: Mapping[int, Mapping[str, Any] | None],
                appended: Sequence[Mapping[str, Any]], limit: int, *,
                use_bytes: bool) -> tuple[dict[str, Any], PolicyDiff]:
    """Apply a minimal edit and describe it statement by statement.

    ``replacements`` maps a statement index to its new form (None drops it); ``appended`` adds
    statements at the end. Every other statement, and every other top-level key, is kept as it
    was. The result is minified and its size checked against ``limit``.
    """
    before_stmts: list[Any] = list(before_doc["Statement"])
    after_stmts: list[Any] = []
    diffs: list[StatementDiff] = []
    for i, stmt in enumerate(before_stmts):
        if i in replacements:
            repl = replacements[i]
            if repl is None:
                diffs.append(StatementDiff(op="removed", index=i, sid=_sid(stmt),
                                           before=copy.deepcopy(stmt), after=None))
                continue
            op = "unchanged" if _same(stmt, repl) else "changed"
            diffs.append(StatementDiff(op=op, index=i, sid=_sid(stmt),
                                       before=copy.deepcopy(stmt), after=copy.deepcopy(repl)))
            after_stmts.append(repl)
        else:
            diffs.append(StatementDiff(op="unchanged", index=i, sid=_sid(stmt),
                                       before=copy.deepcopy(stmt), after=copy.deepcopy(stmt)))
            after_stmts.append(stmt)
    for k, stmt in enumerate(appended):
        diffs.append(StatementDiff(op="added", index=len(before_stmts) + k, sid=_sid(stmt),
                                   before=None, after=copy.deepcopy(stmt)))
        after_stmts.append(stmt)
    after_doc = {key: value for key, value in before_doc.items()}
    after_doc["Statement"] = after_stmts
    after_text = minify(after_doc)
    size = len(after_text.encode("utf-8")) if use_bytes else len(after_text)
    if size > limit:
        unit = "bytes" if use_bytes else "characters"
        # what to do next (safe-fixes trial round 10: "not planning it" alone)
        raise PlanRefused(f"the edited {kind} would be {size} {unit}, over the {limit} limit; "
                          "not planning it: make room in the policy first (merge statements, "
                          "grant by aws:PrincipalOrgID or aws:PrincipalOrgPaths instead of "
                          "listing principals one by one), rescan and plan again")
    diff = PolicyDiff(kind=kind, before=before_text, after=after_text, statements=tuple(diffs),
                      size_after=size, size_limit=limit)
    return after_doc, diff


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _sid(stmt: Any) -> str | None:
    sid = stmt.get("Sid") if isinstance(stmt, Mapping) else None
    return sid if isinstance(sid, str) else None


# --------------------------------------------------------------------------- principals


def aws_principals(stmt: Mapping[str, Any]) -> list[str]:
    """The AWS principals a statement names ("*" for Principal "*")."""
    principal = stmt.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        aws = principal.get("AWS")
        if isinstance(aws, str):
            return [aws]
        if isinstance(aws, list):
            return [str(p) for p in aws]
    return []


def actions_of(stmt: Mapping[str, Any]) -> list[str]:
    action = stmt.get("Action")
    if isinstance(action, str):
        return [action]
    if isinstance(action, list):
        return [str(a) for a in action]
    return []


def grants_action(stmt: Mapping[str, Any], action: str) -> bool:
    """Whether the statement's Action (with * wildcards) covers ``action`` (case-insensitive)."""
    return any(action_matches(pattern, action) for pattern in actions_of(stmt))


def parsed(text: str | None, what: str) -> Policy:
    """The policy as scanner.policy parses it (what the rules see); PlanRefused when that parse
    finds problems, so a remediator never edits a policy the rules could not judge."""
    policy = parse_policy_text(text) if text and text.strip() else parse_policy_text(
        '{"Version": "2012-10-17", "Statement": []}')
    if policy.problems:
        raise PlanRefused(f"{what}: {'; '.join(policy.problems)[:200]}; not editing it")
    return policy


principal_account = arn.principal_account


def same_principal(a: str, b: str) -> bool:
    """Equal, treating an account id and its root ARN (any partition) as the same principal."""
    if a == b:
        return True
    acct_a = arn.account_entry(a)
    return acct_a is not None and acct_a == arn.account_entry(b)
