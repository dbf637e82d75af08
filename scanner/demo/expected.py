"""What a scan of the demo estate must report: exactly these FAIL findings, nothing else.

One row per deliberate misconfiguration: (rule_id, the logical name of the resource the finding
is about, the logical name of the principal for access findings, why). ``seed`` resolves the
logical names to the ARNs it created. Catalog rules the demo cannot represent on moto are in
``NOT_REPRESENTABLE`` with the reason (docs/demo.md repeats them).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

MIS = "secret:demo/misconfig/"


@dataclass(frozen=True, kw_only=True, slots=True)
class ExpectedFinding:
    rule_id: str
    resource: str  # ARN (or graph id) of the resource the finding is about
    principal: str | None = None
    why: str = ""

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.rule_id, self.resource, self.principal)


#: (rule_id, resource logical name, principal logical name or None, why)
MISCONFIGURATIONS: tuple[tuple[str, str, str | None, str], ...] = (
    ("secret-uses-aws-managed-key", MIS + "aws-managed-key", None,
     "created without KmsKeyId: encrypted with aws/secretsmanager, unreadable cross-account"),
    ("secret-rotation-disabled", MIS + "rotation-disabled", None, "rotation never enabled"),
    ("secret-rotation-disabled", MIS + "replica-conflict@us-west-2", None,
     "the squatting us-west-2 secret that blocks replication has no rotation either"),
    ("secret-rotation-failing", MIS + "rotation-stuck", None,
     "AWSPENDING left on a version that is not AWSCURRENT"),
    ("secret-rotation-overdue", MIS + "rotation-schedule-yearly", None,
     "rotation is scheduled every 365 days: more than the 90 days allowed between rotations"),
    ("secret-rotation-function-missing", MIS + "rotation-lambda-missing", None,
     "its rotation function was deleted after rotation was configured"),
    ("secret-rotation-no-network-path", MIS + "rotation-no-network", None,
     "rotation function in a VPC with no Secrets Manager endpoint and no NAT gateway"),
    ("secret-rotation-role-cannot-read", MIS + "rotation-role-no-decrypt", None,
     "the rotation role's identity policy does not name the secret's key, whose policy leaves "
     "the decision to IAM: the role cannot decrypt the secret it rotates"),
    ("secret-policy-size-near-limit", MIS + "policy-near-limit", None,
     "resource policy of ~17,500 characters (>= 80 % of 20,480)"),
    ("secret-policy-public", MIS + "public-policy", None,
     "Principal * may call GetSecretValue with no condition"),
    ("secret-policy-external-account", MIS + "external-account", "principal:external-root",
     "grants account 999999999999, which is outside the organization"),
    ("secret-policy-overbroad-actions", MIS + "overbroad-actions",
     "role:member-b/ApplicationRole",
     "grants secretsmanager:* to member B's ApplicationRole"),
    ("secret-cross-account-access-broken", MIS + "broken-access",
     "role:member-b/ApplicationRole",
     "secret and identity policies allow member B, the key policy does not"),
    ("secret-cross-account-access-broken", MIS + "scp-blocked", "role:member-c/ReportingRole",
     "all three policies allow member C's ReportingRole; an SCP on member C denies it"),
    # a replica carries its primary's resource policy and is read through its own key: the
    # seeded breaks hold on the us-west-2 replicas too (the application's read after a failover)
    ("secret-cross-account-access-broken", "replica:demo/misconfig/broken-access@us-west-2",
     "role:member-b/ApplicationRole",
     "the replica's key (shared, us-west-2) does not let member B decrypt either"),
    ("secret-cross-account-access-broken", "replica:demo/misconfig/scp-blocked@us-west-2",
     "role:member-c/ReportingRole", "the SCP on member C denies the replica's read too"),
    ("secret-cross-account-access-broken", "replica:demo/misconfig/mrk-drift@us-west-2",
     "role:member-b/ApplicationRole",
     "the drifted replica key drops member B's grant: B cannot read the replica"),
    ("secret-not-replicated", MIS + "not-replicated", None, "no replica in us-west-2"),
    ("secret-not-replicated", MIS + "replica-conflict", None,
     "replication to us-west-2 failed (a secret of that name already exists there), so the "
     "secret has no replica in the required region"),
    ("secret-uses-aws-managed-key", "replica:demo/misconfig/aws-managed-key@us-west-2", None,
     "the replica was created without a KmsKeyId: it falls back to aws/secretsmanager"),
    ("secret-replica-unhealthy", "replica:demo/misconfig/aws-managed-key@us-west-2", None,
     "a replica on aws/secretsmanager is unusable cross-account"),
    ("secret-key-unusable", MIS + "key-disabled", None, "its key is disabled"),
    ("secret-key-unusable", MIS + "key-pending-deletion", None,
     "its key is pending deletion"),
    ("kms-key-rotation-disabled", "key:misconfig/no-rotation", None,
     "customer-managed key without automatic rotation"),
    ("kms-key-policy-public", "key:misconfig/public", None,
     "key policy lets Principal * call kms:Decrypt with no condition"),
    ("kms-key-policy-excess-grant", "key:misconfig/excess-grant",
     "role:member-c/ApplicationRole",
     "grants decrypt to member C's ApplicationRole; the only secret on it grants member A"),
    ("kms-replica-key-policy-drift", "key:misconfig/mrk-drift@us-west-2", None,
     "the us-west-2 replica's policy drops the member B grant its primary has"),
    ("vpc-peering-quota-near-limit", "vpc:hub", None,
     "41 active peerings on one VPC: >= 80 % of the default quota of 50"),
    ("vpc-peering-route-missing", "pcx:demo-misconfig-route-missing", None,
     "member C never added the return route to the hub"),
    ("vpc-peering-route-overbroad", "rtb:demo-misconfig-route-overbroad", None,
     "member B routes 10.0.0.0/8 through a peering whose peer VPC is 10.9.0.0/16"),
    ("vpc-peering-route-blackhole", "rtb:hub", None,
     "the hub keeps a route to a peering member A rejected"),
    ("identity-policy-secret-wildcard", "role:member-a/WildcardReaderRole", None,
     "identity policy allows secretsmanager:GetSecretValue on *"),
)

#: UNKNOWN findings the scan must give (and no others): a rule lacking its input because of a
#: seeded misconfiguration, never because something could not be read.
UNKNOWNS: tuple[tuple[str, str, str], ...] = (
    # none: the secret whose rotation function is gone (MIS + "rotation-lambda-missing") was
    # UNKNOWN in secret-rotation-no-network-path; a function known not to exist has no
    # network to judge, so that rule leaves it to secret-rotation-function-missing
)

#: Catalog rules the demo cannot show on moto 5.2, and why.
NOT_REPRESENTABLE: Mapping[str, str] = {
    "secret-unused": "moto never sets LastAccessedDate (always null, even after "
    "GetSecretValue), so no secret can look unused for 90 days.",
    "scan-coverage-gap": "moto never denies AssumeRole or an API call, and the demo must scan "
    "completely; the rule is exercised with a stubbed session in the tests instead.",
}


def expected_findings(resources: Mapping[str, str]) -> tuple[ExpectedFinding, ...]:
    """Resolve the table's logical names to the ARNs ``seed`` recorded."""
    out = []
    for rule_id, resource, principal, why in MISCONFIGURATIONS:
        out.append(ExpectedFinding(
            rule_id=rule_id, resource=resources[resource],
            principal=resources[principal] if principal else None, why=why))
    return tuple(out)


def expected_unknowns(resources: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """(rule_id, resource ARN) of every UNKNOWN finding the scan must give."""
    return tuple((rule_id, resources[resource]) for rule_id, resource, _ in UNKNOWNS)
