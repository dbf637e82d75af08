"""A key that encrypts secrets lets principals of other accounts kms:Decrypt although no secret
encrypted with it grants them GetSecretValue. A key grantee is covered when a secret's resource
policy grants it -- evaluated as the access analysis evaluates it for the pair
(scanner.access.key_report.SecretCoverage): directly, through its account root, through a ``*``
grant whose conditions let it in (a public one covers everyone, one narrowed to the organization
its members only), and not when an explicit Deny of the policy applies; a session ARN is its
role, a principal of another partition than the secret's is never granted; an account-root
grantee is covered when anyone in that account is; a secret of the grantee's own account covers
it unless its resource policy's explicit Deny applies (an identity policy alone allows the read
there; ground-truth trial round 13). A ``*`` key statement narrowed to named accounts
(kms:CallerAccount, aws:PrincipalAccount, ...) grants each of them; a Decrypt grant the key
policy's own explicit Deny takes back for certain grants no one (exposure.excess_key_grants, the
reading of exposure.taken_back; IAM conformance trial round 12), and so does a statement that
allows it only through Secrets Manager in other Regions than the key's (a secret's key is in its
Region: exposure.via_secrets_manager_elsewhere; ground-truth trial round 21). The key's KMS grants are
statements of its policy here (scanner.policy.kms_grants: "key policies and grants" are the
key's resource-based access control, KMS Developer Guide, "Using Grants"): a Decrypt grant to a
principal no secret grants is in excess, and grants not read (ListGrants failed) leave a key
with none in excess in its policy UNKNOWN (ground-truth trial round 18). A ``*`` key statement
narrowed by aws:PrincipalOrgID / aws:PrincipalOrgPaths to another organization grants every
account of it (narrowing.condition_organizations; the principal is the organization's id or
path), covered by a secret that may grant a principal of it (SecretCoverage; ground-truth trial
round 18). Replicas count through their primary; a secret scheduled for deletion grants no one
(a key whose secrets are all scheduled for deletion is judged with none). A multi-Region key
(the primary and each replica) is judged against the secrets of its whole family: a replica must
grant what its primary grants (kms-replica-key-policy-drift), so a grant only the primary's
secrets make is not in excess on the replica (ground-truth trial round 6); a grant in excess
while a key of the family is not in the snapshot, or the secret listing of its account-region
was not read, is UNKNOWN. UNKNOWN when the key policy or the secret listing of the key's
account-region was not read (a key that "encrypts no secret" may only look that way because the
secrets could not be listed), when a grant is in excess over the secret policies read and some
were not (they might cover it; with none in excess an unread policy cannot change that: PASS),
or when access analysis did not run. One FAIL per excess principal.

The verdict is the access analysis' (``KeyAccess.excess_grants``, scanner/access/key_report.py),
whose statements are those of scanner.policy.exposure.excess_key_grants: the access report, this
rule and remediation cannot disagree."""

from __future__ import annotations

from typing import Any, Mapping

from scanner.engine.conditions import FALSE, TRUE, UNKNOWN, Result, unknown
from scanner.engine.context import RuleContext
from scanner.policy.arn import arn_account, arn_partition, arn_region, partition
from scanner.policy.narrowing import is_organization

#: the words for a grantee of another partition than the key's, as secret-policy-external-
#: account says them for a secret (predicates.secret_policy_external.OTHER_PARTITION): "You
#: cannot use IAM credentials from one partition to interact with resources in a different
#: partition" (AWS fault isolation boundaries whitepaper, "Partitions"; GovCloud ground-truth
#: trial round 10: the message for arn:aws:iam::...:root on a GovCloud key did not say it)
OTHER_PARTITION = ("a principal of another partition than the key's: it can never use the "
                   "key (partitions are separate)")


def key_policy_excess_grant(ctx: RuleContext, node_id: str, attrs: Mapping[str, Any],
                            args: Mapping[str, Any]) -> Result:
    listing_gap = ctx.index.service_readable(str(attrs.get("account_id")),
                                             str(attrs.get("region")), "secretsmanager")
    if listing_gap:
        return unknown(listing_gap, "the secrets encrypted with the key could not all be listed")
    if ctx.access is None:
        return Result(outcome=UNKNOWN, missing=("access analysis (not run)",))
    key = ctx.access.for_key(node_id)
    if key is None:
        return Result(outcome=UNKNOWN, missing=(f"access analysis of {node_id} (absent)",))
    of = " or its multi-Region family" if key.family else ""
    if not key.primaries:
        return Result(outcome=FALSE, facts=(("text", f"the key{of} encrypts no secret"),))
    if key.missing:
        return Result(outcome=UNKNOWN, missing=key.missing,
                      facts=tuple(("text", f"{m.split(' (', 1)[0]} was not read")
                                  for m in key.missing if "(not read" in m))
    excess = [g.principal for g in key.excess_grants]
    if not excess:
        return Result(outcome=FALSE, facts=(("text", "every decrypt grant to another account "
                                                     "matches a secret grant"),))
    family_gaps = [g for g in (ctx.index.service_readable(arn_account(k) or "",
                                                          arn_region(k) or "", "secretsmanager")
                               for k in key.family) if g]
    if family_gaps:  # the family's secrets there could grant them
        return Result(outcome=UNKNOWN, missing=tuple(dict.fromkeys(family_gaps)),
                      facts=(("text", "the secrets encrypted with the key's multi-Region "
                                      "family could not all be listed"),))
    secrets = list(key.primaries)
    return Result(outcome=TRUE, principals=tuple(excess),
                  facts=(("text", f"kms:Decrypt granted to {', '.join(excess)} but no secret "
                                  f"encrypted with the key{of} grants them "
                                  f"(secrets: {len(secrets)})"),),
                  evidence={"excess_principals": excess, "secrets": secrets[:20],
                            "matched_statements": [{"statement": g.statement,
                                                    "principal": g.principal}
                                                   for g in key.excess_grants]},
                  principal_messages={e: f"kms:Decrypt granted to {_named(e)} but no secret "
                                         f"encrypted with the key{of} grants it" + (
                                             f"; {OTHER_PARTITION}" if _other_partition(
                                                 e, node_id) else "") for e in excess},
                  # each principal's finding holds its own grant (one finding per principal:
                  # another's grant added or removed does not change it; ground-truth trial
                  # round 18, the diff showed the Acme root's finding "changed")
                  principal_evidence={e: {"excess_principal": e, "secrets": secrets[:20],
                                          "matched_statements": [
                                              {"statement": g.statement, "principal": e}
                                              for g in key.excess_grants if g.principal == e]}
                                      for e in excess})


def _named(entry: str) -> str:
    """The grantee as the message names it: another organization says what it is, as
    secret-policy-external-account says it."""
    return f"{entry} (every account of another organization)" if is_organization(entry) \
        else entry


def _other_partition(entry: str, key_arn: str) -> bool:
    """A grantee ARN of another partition than the key's (a bare account id is of the key's)."""
    own = arn_partition(entry)
    return own is not None and own != partition(key_arn)
