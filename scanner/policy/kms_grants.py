"""KMS grants, read as what they are: Allow statements of the key's resource side.

KMS Developer Guide, "Using Grants": "AWS KMS supports two resource-based access control
mechanisms: key policies and grants ... You can use them to allow access, but not deny it".
"Grants in AWS KMS": "the grant allows the grantee principal to call the specified grant
operations on the KMS key provided that all conditions specified in the grant are met". So a
grant is evaluated as an Allow statement beside the key policy's (``key_policy_with_grants``):
its grantee as the Principal (an IAM ARN, an account, an assumed-role session; a service
principal as ``Service``), its operations as ``kms:`` actions, its constraints as conditions
on the request's encryption context. An explicit Deny of the key policy, an identity policy, a
boundary, an SCP or an RCP still wins, and a grant to a role ARN is capped by the role's
permissions boundary, as a key-policy statement naming it is (scanner.access.gates). That last
is read from two sentences, no one of the documents says it of grants: IAM User Guide,
"Permissions boundaries for IAM entities": "resource-based policies that grant permissions to
an IAM role ARN are limited by an implicit deny in a permissions boundary", and the grants are
"resource-based" (above) -- within one account a grant to the role's session or to an IAM
user is not capped; from another account every grant standing in for the caller's identity
Allow is (scanner.access.gates: the exemptions hold "Within the same account").

Constraints (KMS API Reference, GrantConstraints; "Using Grants"):
* ``EncryptionContextEquals``: "The grant allows the operation only when the encryption context
  in the request is the same as the encryption context specified in this constraint".
  Secrets Manager's Decrypt carries exactly SecretARN and SecretVersionId (Secrets Manager
  User Guide, "Secret encryption and decryption"; scanner.access.context): a constraint of any
  other key set never matches, and the grant is left out.
* ``EncryptionContextSubset``: "the encryption context in the request includes the key-value
  pairs specified in this constraint": a constraint naming a key other than those two never
  matches either.
* Which keys: GrantConstraints, "in a grant constraint, the key in each key-value pair is not
  case sensitive, but the value is case sensitive" -- ``secretarn`` is SecretARN
  (``_context_key``; IAM conformance trial round 26: compared case-sensitively, a grant on
  ``{"secretarn": <ARN>}`` was left out, its grantee's read DENIED and its excess grant
  unreported). Two pairs whose keys differ only by case ("do not use multiple encryption
  context pairs that differ only by case": what KMS does is not documented) keep their
  spellings in the condition, where the policy grammar makes them one key twice -- the
  statement is UNKNOWN (scanner.policy.parse), never a confident answer.
  The pairs become ``StringEquals`` conditions on ``kms:EncryptionContext:KEY`` (condition keys
  are read without case; values compared case-sensitively). A SecretVersionId pair names
  one version: its value is not in the snapshot (the request context's SecretVersionId is
  present, value unknown), so such a grant leaves the read CONDITIONAL.
* ``SourceArn`` (grants to service principals): a condition on ``aws:SourceArn``.

One difference from a key-policy statement, applied by scanner.access.gates: from another
account, KMS Developer Guide, "Allowing users in other accounts to use a KMS key": "users and
roles in the external account cannot use the CMK until you attach IAM policies that delegate
those permissions, or use grants to manage access to the CMK" -- a grant naming the principal
itself (not its account) needs no kms:Decrypt Allow of the caller's identity policies
(``grants_only_policy`` gives what the grants alone allow).
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Mapping, Sequence

from scanner.policy.arn import account_entry

#: the encryption context of Secrets Manager's kms:Decrypt (scanner.access.context)
SECRETS_MANAGER_CONTEXT_KEYS = frozenset({"SecretARN", "SecretVersionId"})


def _context_key(key: str) -> str:
    """An encryption-context key of a grant constraint as KMS compares it: KMS API Reference,
    GrantConstraints: "in a grant constraint, the key in each key-value pair is not case
    sensitive, but the value is case sensitive"."""
    return key.lower()


_CONTEXT_KEYS = frozenset(_context_key(k) for k in SECRETS_MANAGER_CONTEXT_KEYS)

#: a statement label's Sid for a grant: "statement 4 (KMS grant 0d8a...)" in reasons
GRANT_SID_PREFIX = "KMS grant "


def grant_statement(grant: Mapping[str, Any]) -> dict[str, Any] | None:
    """The Allow statement a grant (a ``KeyGrant`` in its graph form) is, or None when it can
    never apply to a Decrypt Secrets Manager makes (no grantee, no operation, a constraint that
    never matches its encryption context)."""
    grantee = grant.get("grantee_principal")
    operations = grant.get("operations") or ()
    if not grantee or not operations:
        return None
    if never_applies(grant) is not None:
        return None
    pairs: dict[str, str] = {}
    pairs.update(grant.get("encryption_context_equals") or {})
    pairs.update(grant.get("encryption_context_subset") or {})
    condition: dict[str, dict[str, str]] = {}
    if pairs:
        condition["StringEquals"] = {f"kms:EncryptionContext:{k}": v
                                     for k, v in sorted(pairs.items())}
    if grant.get("source_arn"):
        condition.setdefault("StringEquals", {})["aws:SourceArn"] = str(grant["source_arn"])
    principal = {"AWS": grantee} if str(grantee).startswith("arn:") else {"Service": grantee}
    statement: dict[str, Any] = {
        "Sid": f"{GRANT_SID_PREFIX}{grant.get('grant_id') or '?'}", "Effect": "Allow",
        "Principal": principal, "Action": [f"kms:{op}" for op in operations], "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return statement


def never_applies(grant: Mapping[str, Any]) -> str | None:
    """Why a grant's encryption-context constraint never matches a Decrypt Secrets Manager
    makes (whose context is exactly SecretARN and SecretVersionId), or None when it may.
    The one reading of the constraints: ``grant_statement`` leaves such a grant out, and the
    key gate names it with this (``left_out``)."""
    equals = grant.get("encryption_context_equals")
    subset = grant.get("encryption_context_subset")
    held = "Secrets Manager's Decrypt carries exactly SecretARN and SecretVersionId"
    if equals is not None:
        keys = {_context_key(k) for k in equals}
        if keys != _CONTEXT_KEYS:
            names = ", ".join(sorted(equals)) or "no pair"
            return (f"its EncryptionContextEquals constraint holds {names}, and {held} "
                    "(the context must be the same as the constraint's)")
    if subset is not None:
        foreign = sorted(k for k in subset if _context_key(k) not in _CONTEXT_KEYS)
        if foreign:
            return (f"its EncryptionContextSubset constraint names {', '.join(foreign)}, "
                    f"and {held}")
        if equals is not None and any(equals.get(k, v) != v for k, v in subset.items()):
            return ("its EncryptionContextEquals and EncryptionContextSubset constraints "
                    "give one key two values")
    return None


def left_out(grants: Sequence[Mapping[str, Any]] | None) -> tuple[tuple[str, str], ...]:
    """(grantee, reason) of each Decrypt grant that never applies to Secrets Manager's
    Decrypt (``never_applies``): left out of the key's statements, so its grantee's read is
    denied at the key by the key policy alone -- a reason that said "no Allow statement
    applies" of a key with a Decrypt grant to that very principal (ground-truth trial round
    21). ``for_principal`` picks a principal's."""
    out: list[tuple[str, str]] = []
    for g in grants or ():
        grantee = g.get("grantee_principal")
        operations = g.get("operations") or ()
        why = never_applies(g)
        if grantee and why and any(str(op).lower() == "decrypt" for op in operations):
            out.append((str(grantee), f"{GRANT_SID_PREFIX}{g.get('grant_id') or '?'} to "
                                      f"{grantee} never applies: {why}"))
    return tuple(out)


def for_principal(left: Sequence[tuple[str, str]], arn: str,
                  account_id: str | None) -> tuple[str, ...]:
    """The ``left_out`` reasons of grants naming the principal itself or its account (its id
    or root ARN: "AWS account principals" are the account's principals)."""
    return tuple(why for grantee, why in left if grantee == arn or (
        account_id is not None and account_entry(grantee) == account_id))


def _statements(grants: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [st for st in (grant_statement(g) for g in grants) if st is not None]


@lru_cache(maxsize=256)
def _merged(policy_text: str, grants_json: str) -> str:
    extra = _statements(json.loads(grants_json))
    if not extra:
        return policy_text
    try:
        doc = json.loads(policy_text)
    except ValueError:
        return policy_text  # malformed: the key policy's own problem is what is reported
    if not isinstance(doc, dict):
        return policy_text
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list):
        return policy_text
    return json.dumps({**doc, "Statement": statements + extra})


def key_policy_with_grants(policy_text: str | None,
                           grants: Sequence[Mapping[str, Any]] | None) -> str | None:
    """The key policy's text with the key's grants appended as Allow statements (the text
    itself when there are none, or the policy cannot take them: unread, malformed). A policy
    whose JSON repeats a key is left as it is: its parse reports that problem, which a
    re-serialised text would hide."""
    if not policy_text or not grants:
        return policy_text
    from scanner.policy.parse import parse_policy_text

    if parse_policy_text(policy_text).problems:
        return policy_text
    return _merged(policy_text, json.dumps(list(grants), sort_keys=True))


@lru_cache(maxsize=256)
def _grants_only(grants_json: str) -> str | None:
    extra = _statements(json.loads(grants_json))
    return json.dumps({"Version": "2012-10-17", "Statement": extra}) if extra else None


def grants_only_policy(grants: Sequence[Mapping[str, Any]] | None) -> str | None:
    """A policy of the grants alone (None: no grant can apply): what they allow without the
    key policy, for the cross-account rule in the module docstring."""
    if not grants:
        return None
    return _grants_only(json.dumps(list(grants), sort_keys=True))


def grants_read(key_attrs: Mapping[str, Any] | None) -> bool:
    """Whether the key's grants were read (an empty list is read: it has none)."""
    return key_attrs is not None and key_attrs.get("grants") is not None


def grants_unread(key_attrs: Mapping[str, Any] | None) -> bool:
    """Whether reading the key's grants failed (ListGrants: a coverage entry, ``grants`` in
    the key's ``unread``) -- not the same as not read: an AWS-managed key's grants are never
    asked for, nor were any key's in a snapshot from before grants were collected."""
    return key_attrs is not None and key_attrs.get("key_manager") != "AWS" and \
        "grants" in (key_attrs.get("unread") or ())
