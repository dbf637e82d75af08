"""Whole-secret verdicts shared across secrets that the analysis cannot tell apart but by their
ARN and name (copies of one secret across an organization: the same resource policy document,
key, tags, account and region).

The analysis reads a secret's ARN in these places only, and the memo key holds what each can
see of it:

* ``arn_matches`` of a statement's Resource / NotResource element (scanner/policy/evaluate.py:
  the resource enters an evaluation nowhere else): the secret's resource policy (which of
  its ``resource_patterns`` the ARN matches), every principal's identity documents
  (``matching`` over their ``identity_patterns``: every statement that can apply to
  GetSecretValue, conditions or not), the SCPs / RCPs (``PairEvaluator.where``: the
  guardrails' scope of the secret, or no memo when they see the ARN itself); key policies and
  kms:Decrypt identity statements are matched against the key's ARN (in the key);
* the request context: ``resource_context`` derives the GetSecretValue context from the
  account, region, tags and rotation function (the context itself is in the key); the Decrypt context adds the encryption context's
  SecretARN -- no memo when a key policy or a principal's kms:Decrypt statement reads it;
* ``IdentityEvaluator.reachable``: the ARN's account (in the key);
* intent (``PairEvaluator.names_secret``): the probes' account, region and the name's first
  path segment (``name_head``), and which identity patterns the same name in an outside
  account (``outside_probe``) matches;
* the result: ``SecretAccess.secret_arn`` / ``name``, replaced when a verdict is reused
  (``rebase``); no path, reason, grant, class or reach names the secret, so the paths are
  shared, not copied.

No memo when a policy the secret carries has problems or variables, when an identity document
with problems, variables or an unread part could see the ARN, when the resource policy is one
this secret alone carries (nothing to share), or with ``record_denied``. Answers are the same
with or without the memo (tests/access/test_access_secret_memo.py).
"""

from __future__ import annotations

from dataclasses import replace

from scanner.access.context import SECRET_ARN_CONTEXT
from scanner.access.graph_io import SecretView
from scanner.access.identity import PrincipalIndex, identity_patterns
from scanner.access.pair_eval import SEES_ARN, PairEvaluator, name_head, outside_probe
from scanner.access.settings import AccessSettings
from scanner.access.verdicts import SecretAccess
from scanner.policy.matching import PatternIndex, arn_matches
from scanner.policy.parse import resource_patterns


class SecretMemo:
    def __init__(self, settings: AccessSettings, index: PrincipalIndex, pairs: PairEvaluator,
                 shared_policies: frozenset[int]) -> None:
        self._shared = shared_policies
        self._pairs = pairs
        self.memo: dict[tuple[object, ...], SecretAccess] = {}
        patterns = None if settings.record_denied else _identity_patterns(index, settings)
        self.index = None if patterns is None else PatternIndex(patterns)

    def key(self, sv: SecretView) -> tuple[object, ...] | None:
        """What the analysis can see of the secret apart from its ARN and name (see the module
        docstring), or None: no memo for this secret."""
        if self.index is None:
            return None
        pol = sv.policy
        rp: object = None
        if pol is not None:
            if pol.problems or pol.uses_variables or id(pol) not in self._shared:
                return None
            rp = (id(pol), tuple(arn_matches(x, sv.arn) for x in resource_patterns(pol)))
        kp = sv.key_policy
        if kp is not None and (kp.problems or kp.uses_variables or
                               SECRET_ARN_CONTEXT in kp.condition_keys):
            return None
        where = self._pairs.where(sv)
        if where is SEES_ARN:
            return None
        kf = sv.key_facts
        if sv.key_grants is not None:
            return None  # grants are evaluated per secret (scanner.policy.kms_grants)
        # tags, the rotation function, ...: the resource side of the request, one object for
        # equal ones (graph_io._Contexts: alive as long as the views, so its id() is its value)
        return (sv.account, sv.region, id(sv.rctx_sm), rp, sv.policy_unread,
                sv.key_arn, sv.key_account, sv.aws_managed, sv.uses_kms, id(kp),
                kf.usable, kf.reason, kf.grants_read, kf.grants_unread, where, name_head(sv.name), self.index.matching(sv.arn),
                self.index.matching(outside_probe(sv)))

    def get(self, key: tuple[object, ...], sv: SecretView) -> SecretAccess | None:
        hit = self.memo.get(key)
        return None if hit is None else rebase(hit, sv)


def rebase(sa: SecretAccess, sv: SecretView) -> SecretAccess:
    """Another secret's verdicts for this one: only its ARN and name differ. Its paths are
    the other secret's tuple itself (a path does not name its secret: verdicts.AccessPath):
    copying them was 88 % of the paths bench/grow.py's 205-account shape made, each
    copy a record of its own."""
    return replace(sa, secret_arn=sv.arn, name=sv.name)


def _identity_patterns(index: PrincipalIndex, settings: AccessSettings
                       ) -> tuple[str, ...] | None:
    """Every Resource / NotResource pattern of every principal's identity statements that can
    apply to GetSecretValue (conditions or not), or None when a document that could see the
    ARN cannot be reduced so (problems, variables, an unread part) or a kms:Decrypt statement
    reads the encryption context's SecretARN."""
    out: dict[str, None] = {}
    seen: set[tuple[object, ...]] = set()
    for p in index.principals():
        if not p.identity_known or p.signature in seen:
            continue  # unknown: answered UNKNOWN whatever the resource; a signature: its docs
        seen.add(p.signature)
        if SECRET_ARN_CONTEXT in p.condition_keys:
            return None
        pats = identity_patterns(p, settings.action)
        if pats is None:
            return None
        out.update(dict.fromkeys(pats))
    return tuple(out)

