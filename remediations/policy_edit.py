"""Pure helpers for minimal policy edits: parse, statement-level diff, principals, size.

Which statements to edit is never decided here: remediators take them from the concept
functions of scanner/policy/exposure.py, the ones the rules use."""

from __future__ import annotations

import copy
import json
import re
from functools import lru_cache
from typing import Any, Mapping, Sequence

from scanner.changes import PlanRefused, PolicyDiff, StatementDiff, state_digest
from scanner.policy import Policy, arn, parse_policy_text
from scanner.policy.parse import load_marking_repeats, repeated_keys
from scanner.policy.matching import action_matches


def parse_policy(text: str | None, what: str) -> dict[str, Any]:
    """The policy document as a dict; None (no policy) becomes an empty document."""
    if text is None or not text.strip():
        return {"Version": "2012-10-17", "Statement": []}
    try:
        marked = load_marking_repeats(text)
    except json.JSONDecodeError as exc:
        raise PlanRefused(f"{what} is not valid JSON ({exc.msg}); not editing it") from None
    if not isinstance(marked, dict):
        raise PlanRefused(f"{what} is not a JSON object; not editing it")
    repeats = _located_repeats(marked)
    if repeats:
        # the policy is written back whole (minified): json.loads kept the last of the
        # repeated keys, so the text written would drop the others from a statement the plan
        # shows as "unchanged" (safe-fixes trial round 18: a Deny's Condition repeating
        # StringNotEquals lost its first block under restrict-public-secret-policy)
        raise PlanRefused(
            f"{what}: {'; '.join(repeats[:3])}: the policy is written back whole, and only "
            "the last of a repeated key would be kept, changing a statement this change is "
            "not for (IAM User Guide, \"Grammar of the IAM JSON policy language\": "
            "\"Individual elements must not contain multiple instances of the same key\"); "
            "remove the repeated key by hand, rescan and plan again")
    doc = json.loads(text)
    stmts = doc.get("Statement")
    if isinstance(stmts, dict):
        doc["Statement"] = [stmts]
    elif stmts is None:
        doc["Statement"] = []
    elif not isinstance(stmts, list):
        raise PlanRefused(f"{what}: Statement is neither a list nor an object; not editing it")
    return doc


def _located_repeats(doc: Mapping[str, Any]) -> list[str]:
    """The keys repeated within one JSON object of a policy document (``repeated_keys``),
    each said with the statement it is in (``statement 2 (Guard): key ...``)."""
    stmts = doc.get("Statement")
    listed = stmts if isinstance(stmts, list) else [stmts] if isinstance(stmts, Mapping) else []
    out: list[str] = []
    for i, stmt in enumerate(listed):
        sid = _sid(stmt)
        out += [f"statement {i}{f' ({sid})' if sid else ''}: {r}" for r in repeated_keys(stmt)]
    if not out and repeated_keys(doc):
        out = [f"the policy: {r}" for r in repeated_keys(doc)]
    return out


def parsed_or_none(text: str | None) -> Any:
    """The parsed policy for state comparison (None when there is no policy)."""
    if text is None or not text.strip():
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return {"__unparseable__": text}


def policy_digest(parsed: Any) -> str:
    """A parsed policy (``parsed_or_none``) as a digest: a change that must find a key in one
    of the states the plan knows (move-secret-to-cmk's target key, replicate-secret's replica
    keys) names each state by its digest, not by its text -- the key's policy after every
    grant the plan adds to it, copied whole into each such change, made a plan of 1,770
    changes 409.7 MB (docs/scale.md, the thirty-fourth session). Parsed policies are equal
    exactly when their digests are."""
    return state_digest({"policy": parsed})


def known_policies(details: Mapping[str, Any], region: str | None = None) -> set[str] | None:
    """The digests of the policies a change's ``details`` know a key may have: those under
    ``key_policy_digests``, or the texts under ``key_policies`` (plans and journals written
    before the digests) -- a list, or with ``region`` a mapping of lists by Region. None when
    the details know none (the scan did not read the policy). ``policy_digest(live) in`` them
    says whether the live policy is one of them."""
    for name, as_digest in (("key_policy_digests", str), ("key_policies", _text_digest)):
        known = details.get(name)
        if region is not None:
            known = known.get(region) if isinstance(known, Mapping) else None
        if isinstance(known, list):
            return {as_digest(k) for k in known}
    return None


@lru_cache(maxsize=4096)
def text_digest(text: str | None) -> str:
    """``policy_digest`` of a policy text (``parsed_or_none``). Remembered: every move to a key
    and every replica on it asks it of each policy the plan's grants lead that key to."""
    return policy_digest(parsed_or_none(text))


def planned_digests(known: Sequence[str], plan_changes: Sequence[Any], key_arn: str
                    ) -> list[str]:
    """``known`` (policy digests) with those of every policy a change of the plan leads key
    ``key_arn`` to (its ``key-policy:`` changes' after), each once, in order: the states an
    apply may find that key in (move-secret-to-cmk's target key, replicate-secret's replica
    keys)."""
    out, seen = list(known), set(known)
    for c in plan_changes:
        if c.target == f"key-policy:{key_arn}" and c.policy_diff is not None:
            digest = text_digest(c.policy_diff.after)
            if digest not in seen:
                seen.add(digest)
                out.append(digest)
    return out


def _text_digest(text: Any) -> str:
    return text_digest(text if isinstance(text, str) else None)


def minify(doc: Mapping[str, Any], *, max_char: int | None = None) -> str:
    """Compact text, key order kept (AWS counts every character of a secret policy).

    A character above ``max_char`` (and a lone surrogate, which no encoding can write) is
    written as its JSON escape, ``\\uXXXX``: the same string to a JSON reader, in the
    characters the service accepts (a key policy: ``KEY_POLICY_MAX_CHAR``)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    outside = re.compile(f"[^\\x00-{chr(max_char)}]" if max_char is not None
                         else "[\\ud800-\\udfff]")
    # only a JSON string holds a character outside ASCII: escaping it there keeps the text JSON
    return outside.sub(lambda m: json.dumps(m.group())[1:-1], text)


def edit_policy(kind: str, before_text: str | None, before_doc: Mapping[str, Any],
                replacements: Mapping[int, Mapping[str, Any] | None],
                appended: Sequence[Mapping[str, Any]], limit: int, *,
                use_bytes: bool, max_char: int | None = None, of: str | None = None
                ) -> tuple[dict[str, Any], PolicyDiff]:
    """Apply a minimal edit and describe it statement by statement.

    ``replacements`` maps a statement index to its new form (None drops it); ``appended`` adds
    statements at the end. Every other statement, and every other top-level key, is kept as it
    was. The result is minified (characters above ``max_char`` escaped: ``minify``) and its
    size checked against ``limit``. ``of``: the resource whose policy it is, named in the
    refusal when it is not the finding's own (a key's policy edited for a secret's finding).
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
            if _same(stmt, repl):
                diffs.append(StatementDiff(op="unchanged", index=i, sid=_sid(stmt),
                                           before=None, after=None))
            else:
                diffs.append(StatementDiff(op="changed", index=i, sid=_sid(stmt),
                                           before=copy.deepcopy(stmt),
                                           after=copy.deepcopy(repl)))
            after_stmts.append(repl)
        else:  # kept: its body is the policy's, before and after (StatementDiff)
            diffs.append(StatementDiff(op="unchanged", index=i, sid=_sid(stmt),
                                       before=None, after=None))
            after_stmts.append(stmt)
    for k, stmt in enumerate(appended):
        diffs.append(StatementDiff(op="added", index=len(before_stmts) + k, sid=_sid(stmt),
                                   before=None, after=copy.deepcopy(stmt)))
        after_stmts.append(stmt)
    after_doc = {key: value for key, value in before_doc.items()}
    after_doc["Statement"] = after_stmts
    after_text = minify(after_doc, max_char=max_char)
    size = len(after_text.encode("utf-8")) if use_bytes else len(after_text)
    if size > limit:
        unit = "bytes" if use_bytes else "characters"
        # what to do next (safe-fixes trial round 10: "not planning it" alone)
        whose = f" of {of}" if of else ""
        raise PlanRefused(f"the edited {kind}{whose} would be {size} {unit}, over the {limit} "
                          "limit; "
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
