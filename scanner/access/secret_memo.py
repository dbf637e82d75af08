"""Whole-secret verdicts shared across secrets that the analysis cannot tell apart but by their
ARN and name (copies of one secret across an organization: the same resource policy document,
key, tags, account and region).

The analysis reads a secret's ARN in these places only, and the memo key holds what each can
see of it:

* ``arn_matches`` of a statement's Resource / NotResource element (scanner/policy/evaluate.py:
  the resource enters an evaluation nowhere else): the secret's resource policy (``_RP`` --
  which of its patterns the ARN matches), every principal's identity documents (``matching``
  over the Resource / NotResource patterns of every statement of every principal that can
  apply to GetSecretValue, conditions or not), the SCPs / RCPs (``PairEvaluator.where``: the
  guardrails' scope of the secret, or no memo when they see the ARN itself); key policies and
  kms:Decrypt identity statements are matched against the key's ARN (in the key);
* the request context: ``resource_context`` derives the GetSecretValue context from the
  account, region and tags (in the key); the Decrypt context adds the encryption context's
  SecretARN -- no memo when a key policy or a principal's kms:Decrypt statement reads it;
* ``IdentityEvaluator.reachable``: the ARN's account (in the key);
* intent (``PairEvaluator.names_secret``): the probes' account, region and the name's first
  path segment, and which identity patterns the same name in an outside account matches;
* the result: ``SecretAccess.secret_arn`` / ``name`` and each path's ``secret_arn``, replaced
  when a verdict is reused (``rebase``); no reason, grant, class or reach names the secret.

No memo when a policy the secret carries has problems or variables, when an identity document
with problems, variables or an unread part could see the ARN, when the resource policy is one
this secret alone carries (nothing to share), or with ``record_denied``. Answers are the same
with or without the memo (tests/access/test_access_secret_memo.py).
"""

from __future__ import annotations

from dataclasses import replace
from scanner.access.graph_io import SecretView
from scanner.access.identity import PrincipalIndex, identity_documents
from scanner.access.pair_eval import SEES_ARN, PairEvaluator
from scanner.access.settings import OUTSIDER_ACCOUNT, AccessSettings
from scanner.access.verdicts import SecretAccess
from scanner.policy.arn import arn_resource
from scanner.policy.evaluate import action_part
from scanner.policy.matching import PatternIndex, arn_matches
from scanner.policy.parse import Policy
from scanner.policy.tri import Tri

#: the Decrypt request's one value that differs between the secrets of a key
_SECRET_CONTEXT = "kms:encryptioncontext:secretarn"


class SecretMemo:
    def __init__(self, settings: AccessSettings, index: PrincipalIndex, pairs: PairEvaluator,
                 shared_policies: frozenset[int]) -> None:
        self.s = settings
        self._shared = shared_policies
        self._pairs = pairs
        self._patterns: dict[int, tuple[Policy, tuple[str, ...]]] = {}
        self.memo: dict[tuple[object, ...], SecretAccess] = {}
        self.hits = 0
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
            entry = self._patterns.get(id(pol))
            if entry is None or entry[0] is not pol:
                pats = tuple(dict.fromkeys(x for st in pol.statements
                                           for x in (st.resources or st.not_resources or ())))
                entry = self._patterns[id(pol)] = (pol, pats)
            rp = (id(pol), tuple(arn_matches(x, sv.arn) for x in entry[1]))
        kp = sv.key_policy
        if kp is not None and (kp.problems or kp.uses_variables or
                               _SECRET_CONTEXT in kp.condition_keys):
            return None
        where = self._pairs.where(sv)
        if where is SEES_ARN:
            return None
        name = sv.name or ""
        head = name.split("/", 1)[0] + "/" if "/" in name else ""
        outside = f"arn:aws:secretsmanager:{sv.region}:{OUTSIDER_ACCOUNT}:{arn_resource(sv.arn)}"
        kf = sv.key_facts
        return (sv.account, sv.region, tuple(sorted(sv.tags.items())), rp, sv.policy_unread,
                sv.key_arn, sv.key_account, sv.aws_managed, sv.uses_kms, id(kp),
                kf.usable, kf.reason, where, head, self.index.matching(sv.arn),
                self.index.matching(outside))

    def get(self, key: tuple[object, ...], sv: SecretView) -> SecretAccess | None:
        hit = self.memo.get(key)
        if hit is None:
            return None
        self.hits += 1
        return rebase(hit, sv)


def rebase(sa: SecretAccess, sv: SecretView) -> SecretAccess:
    """Another secret's verdicts for this one: only its ARN and name differ."""
    arn = sv.arn
    return replace(sa, secret_arn=arn, name=sv.name,
                   paths=tuple(replace(p, secret_arn=arn) for p in sa.paths))


def _identity_patterns(index: PrincipalIndex, settings: AccessSettings
                       ) -> tuple[str, ...] | None:
    """Every Resource / NotResource pattern of every principal's identity statements that can
    apply to GetSecretValue (conditions or not), or None when a document that could see the
    ARN cannot be reduced so (problems, variables, an unread part) or a kms:Decrypt statement
    reads the encryption context's SecretARN."""
    out: dict[str, None] = {}
    for p in index.principals():
        if not p.identity_known:
            continue  # answered UNKNOWN whatever the resource
        if _SECRET_CONTEXT in p.condition_keys:
            return None
        for policy in identity_documents(p):
            if policy is None or policy.problems:
                return None
            for st in policy.statements:
                if st.problems:
                    return None
                if action_part(st, settings.action) is Tri.FALSE:
                    continue
                for x in (st.resources if st.resources is not None else
                          st.not_resources or ()):
                    if "$" in x:
                        return None
                    out[x] = None
    return tuple(out)

