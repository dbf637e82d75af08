"""Secrets Manager: ListSecrets (with IncludePlannedDeletion), one GetResourcePolicy per primary
secret, and DescribeSecret (for ReplicationStatus) on the primaries that need it.

Calls per account-region: ceil(S/100) ListSecrets + 1 GetResourcePolicy per primary secret that
is not scheduled for deletion. Replicas are listed in their own region with PrimaryRegion set;
their policy is read once, on the primary, in the primary's region. ListSecrets does not return
ReplicationStatus, so a second pass calls DescribeSecret once for every primary that
``needs_replication_status``: a replica of it is listed in a scanned region, or it lacks a listed
replica in one of the required replica regions (a replication that Failed never appears in its
target region; a region may not be scanned). Any other primary reports ``replicas=()`` --
"no replica in any scanned region, none required" -- unless ``replicas_unknown`` says that
answer could be false (then ``replicas=None`` and ``unread`` names "replicas").
"""

from __future__ import annotations

from typing import Any, Callable, Collection, Iterable, Mapping

from scanner.collectors.base import Mapper, Recorder, check_items, iso, paginate, tag_map, \
    tags_problem, unexpected
from scanner.policy.arn import with_region
from scanner.model import ReplicaStatus, Secret

SERVICE = "secretsmanager"

#: operation -> IAM action (read by the read-only guard and by scanner.aws.permissions)
OPERATIONS: dict[str, str] = {
    "ListSecrets": "secretsmanager:ListSecrets",
    "GetResourcePolicy": "secretsmanager:GetResourcePolicy",
    "DescribeSecret": "secretsmanager:DescribeSecret",
}


def is_primary(entry: Mapping[str, Any], region: str) -> bool:
    primary_region = entry.get("PrimaryRegion")
    return not primary_region or primary_region == region


#: ListSecrets entry -> (policy, read_at) to carry instead of a GetResourcePolicy, or None
#: (scanner.incremental.PolicyCarry.reuse)
Carry = Callable[[Mapping[str, Any]], "tuple[str | None, str] | None"]


def fetch_secrets(client: Any, rec: Recorder, *, carry: Carry | None = None,
                  read_at: str | None = None, mapper: Mapper = map) -> dict[str, Any]:
    """ListSecrets (all pages) and GetResourcePolicy for each live primary secret, except the
    ones ``carry`` answers from an earlier scan (incremental collection). ``read_at`` stamps
    the policies read now."""
    listed, failure = rec.attempt(
        "ListSecrets",
        lambda: paginate(client, "list_secrets", "SecretList", identity="ARN",
                         IncludePlannedDeletion=True,
                         PaginationConfig={"PageSize": 100}),
    )
    if listed is None:
        return {"secrets": None, "policies": {}, "policy_failed": [], "policy_skipped": []}
    stages_unread = unread_stages(listed, rec)
    tags_unread = unread_tags(listed, rec)
    policies: dict[str, str | None] = {}
    carried: dict[str, str] = {}
    failed: list[str] = []
    skipped: list[str] = []
    to_read: list[str] = []
    for entry in listed:
        arn = entry["ARN"]
        if not is_primary(entry, rec.region):
            continue
        if entry.get("DeletedDate"):
            skipped.append(arn)  # AWS refuses most operations on a secret marked for deletion
            continue
        kept = carry(entry) if carry is not None else None
        if kept is not None:
            policies[arn], carried[arn] = kept
            continue
        to_read.append(arn)

    def read(arn: str) -> tuple[str, Any]:
        response, failure = rec.attempt(
            "GetResourcePolicy", lambda: answer_about(
                arn, "GetResourcePolicy", client.get_resource_policy(SecretId=arn)),
            resource_arn=arn,
        )
        return arn, (None if failure is not None else response)

    for arn, response in mapper(read, to_read):
        if response is None:
            failed.append(arn)
        else:
            policies[arn] = response.get("ResourcePolicy")
    return {"secrets": listed, "policies": policies, "policy_failed": failed,
            "policy_skipped": skipped, "policy_carried": carried, "read_at": read_at,
            "stages_unread": stages_unread, "tags_unread": tags_unread}


def unread_tags(listed: Iterable[Mapping[str, Any]], rec: Recorder) -> list[str]:
    """The secrets among ``listed`` whose ``Tags`` the answer does not give whole
    (``base.tags_problem``: a tag without its Value), each recorded as that secret's
    ListSecrets gap (its ``tags`` unread: a condition on its tags is unknown)."""
    out: list[str] = []
    for entry in listed:
        why = tags_problem(entry.get("Tags"))
        if why is None:
            continue
        arn = str(entry["ARN"])
        rec.unreadable("ListSecrets", f"{why} for {arn}: its tags are not known",
                       resource_arn=arn)
        out.append(arn)
    return out


#: ListSecrets fields that say a secret has (or had) a version: rotation on, a rotation done,
#: a read of its value. Such a secret's answer holds SecretVersionsToStages ("A list of all
#: of the currently assigned SecretVersionStage staging labels and the SecretVersionId
#: attached to each one", ListSecrets SecretListEntry); only a secret created without a
#: value has none.
HAS_VERSIONS = ("RotationEnabled", "LastRotatedDate", "LastAccessedDate")


def unread_stages(listed: Iterable[Mapping[str, Any]], rec: Recorder) -> list[str]:
    """The secrets among ``listed`` whose version-to-stage map the answer does not give, each
    recorded as that secret's ListSecrets gap (its ``version_stages`` unread): a map that is
    no object (or a stage list that is no list of labels), or none for a secret that has
    versions (``HAS_VERSIONS``). Read as no versions, a stuck AWSPENDING was not seen:
    secret-rotation-failing PASS, scan complete (fault-injection trial round 26)."""
    out: list[str] = []
    for entry in listed:
        stages = entry.get("SecretVersionsToStages")
        if stages is None:
            if "SecretVersionsToStages" not in entry and \
                    not any(entry.get(f) for f in HAS_VERSIONS):
                continue
            why = "without SecretVersionsToStages"
        elif not isinstance(stages, Mapping):
            why = f"SecretVersionsToStages as {type(stages).__name__}"
        elif any(not isinstance(labels, list)
                 or not all(isinstance(label, str) for label in labels)
                 for labels in stages.values()):
            why = "SecretVersionsToStages with a version whose labels are no list of text"
        else:
            continue
        arn = str(entry["ARN"])
        rec.unreadable("ListSecrets", f"{why} for {arn}: its staging labels are not known",
                       resource_arn=arn)
        out.append(arn)
    return out


def answer_about(arn: str, operation: str, answer: Mapping[str, Any]) -> Mapping[str, Any]:
    """``answer``, the answer of ``operation`` asked about the secret ``arn``, when it is about
    that secret (its ARN, which DescribeSecret and GetResourcePolicy answer with); another
    secret's answer is UnexpectedAnswer, a gap for ``arn`` -- it was taken as that secret's
    replicas or policy (fault-injection trial round 13)."""
    answered = answer.get("ARN") if isinstance(answer, Mapping) else None
    if isinstance(answered, str) and answered and answered != arn:
        raise unexpected(operation, f"for {answered}, not the secret asked about")
    return answer


def described_secret(answer: Mapping[str, Any]) -> Mapping[str, Any]:
    """DescribeSecret's answer; its ReplicationStatus (absent: no replica) names each
    replica's Region, else the answer is unexpected."""
    if answer.get("ReplicationStatus") is not None:
        check_items("DescribeSecret", "ReplicationStatus", answer["ReplicationStatus"],
                    ("Region",))
    return answer


def fetch_replication(client: Any, rec: Recorder, primary_arns: Iterable[str]) -> dict[str, Any]:
    """DescribeSecret for each primary given (see ``needs_replication_status``)."""
    described: dict[str, Any] = {}
    failed: list[str] = []
    for arn in primary_arns:
        response, failure = rec.attempt(
            "DescribeSecret", lambda: described_secret(
                answer_about(arn, "DescribeSecret", client.describe_secret(SecretId=arn))),
            resource_arn=arn
        )
        if failure is not None or response is None:
            failed.append(arn)
        else:
            described[arn] = response
    return {"described": described, "failed": failed}


# --------------------------------------------------------------------------- pure transforms


def transform_secret(entry: Mapping[str, Any], *, account_id: str, region: str,
                     policy: str | None = None, unread: tuple[str, ...] = (),
                     read_at: Mapping[str, str] | None = None,
                     carried: tuple[str, ...] = ()) -> Secret:
    rules = entry.get("RotationRules") or {}
    stages = {} if "version_stages" in unread else entry.get("SecretVersionsToStages") or {}
    days = rules.get("AutomaticallyAfterDays")
    return Secret(
        arn=entry["ARN"],
        name=entry.get("Name", ""),
        account_id=account_id,
        region=region,
        description=entry.get("Description"),
        kms_key_id=entry.get("KmsKeyId") or None,
        rotation_enabled=bool(entry.get("RotationEnabled", False)),
        rotation_lambda_arn=entry.get("RotationLambdaARN") or None,
        rotation_days=int(days) if days else None,
        rotation_schedule=rules.get("ScheduleExpression"),
        rotation_duration=rules.get("Duration"),
        created=iso(entry.get("CreatedDate")),
        last_changed=iso(entry.get("LastChangedDate")),
        last_rotated=iso(entry.get("LastRotatedDate")),
        last_accessed=iso(entry.get("LastAccessedDate")),
        next_rotation=iso(entry.get("NextRotationDate")),
        deleted_date=iso(entry.get("DeletedDate")),
        owning_service=entry.get("OwningService"),
        primary_region=entry.get("PrimaryRegion"),
        tags={} if "tags" in unread else tag_map(entry.get("Tags")),
        version_stages={
            str(version): tuple(labels)
            for version, labels in sorted(stages.items())
        },
        replicas=(),
        resource_policy=policy,
        unread=unread,
        read_at=dict(read_at or {}),
        carried=carried,
    )


def transform_secrets(raw: Mapping[str, Any], *, account_id: str,
                      region: str) -> tuple[Secret, ...] | None:
    """Secrets of one account-region, or None when the listing itself failed."""
    if raw.get("secrets") is None:
        return None
    failed = set(raw.get("policy_failed", ()))
    stages_unread = set(raw.get("stages_unread") or ())
    tags_unread = set(raw.get("tags_unread") or ())
    skipped = set(raw.get("policy_skipped", ()))
    policies: Mapping[str, str | None] = raw.get("policies", {})
    carried: Mapping[str, str] = raw.get("policy_carried") or {}
    now: str | None = raw.get("read_at")
    out = []
    for entry in raw["secrets"]:
        arn = entry["ARN"]
        unread: tuple[str, ...] = ("resource_policy",) if arn in failed or arn in skipped \
            else ()
        if arn in stages_unread:
            unread += ("version_stages",)
        if arn in tags_unread:
            unread += ("tags",)
        stamps: dict[str, str]
        kept: tuple[str, ...]
        if arn in carried:
            stamps, kept = {"resource_policy": carried[arn]}, ("resource_policy",)
        elif arn in policies and now:
            stamps, kept = {"resource_policy": now}, ()
        else:
            stamps, kept = {}, ()
        out.append(transform_secret(entry, account_id=account_id, region=region,
                                    policy=policies.get(arn), unread=unread, read_at=stamps,
                                    carried=kept))
    return tuple(sorted(out, key=lambda s: s.arn))


def replica_arns_of_primaries(secrets: Iterable[Secret]) -> list[tuple[str, str]]:
    """``(primary region, primary ARN)`` for every replica listed here."""
    out = []
    for secret in secrets:
        if secret.is_replica and secret.primary_region:
            out.append((secret.primary_region, with_region(secret.arn, secret.primary_region)))
    return out


def needs_replication_status(*, region: str, listed_in: Collection[str],
                             required_regions: Collection[str]) -> bool:
    """Whether the primary secret in ``region`` gets one DescribeSecret.

    ``listed_in``: the scanned regions whose ListSecrets listed a replica of it. It does when a
    replica is listed somewhere, or when some required region (its own region never counts)
    lists none -- so the rules can tell "never replicated there" from "replication Failed or
    still InProgress", and a required region outside the scan is still answered.
    """
    if listed_in:
        return True
    return bool(set(required_regions) - {region} - set(listed_in))


def replicas_unknown(*, region: str, required_regions: Collection[str],
                     scanned_regions: Collection[str], unlisted_regions: Collection[str]) -> bool:
    """For a primary that got no DescribeSecret: True when ``replicas=()`` could be false.

    ``()`` means "no replica listed in any scanned region, and none required". It does not hold
    when a required region (other than its own) was not scanned, or when a scanned region's
    ListSecrets failed (``unlisted_regions``: a replica may be there). Regions that are neither
    scanned nor required are not a reason: the scan did not ask about them, and making every
    partial scan UNKNOWN would drown the rules. ``needs_replication_status`` describes every
    primary missing a required region, so with a working DescribeSecret only an unread listing
    makes this True.
    """
    required = set(required_regions) - {region}
    return bool(required - set(scanned_regions)) or bool(set(unlisted_regions) - {region})


def transform_replica_status(described: Mapping[str, Any]) -> tuple[ReplicaStatus, ...]:
    return tuple(
        ReplicaStatus(
            region=item["Region"],
            kms_key_id=item.get("KmsKeyId"),
            status=item.get("Status", "Unknown"),
            status_message=item.get("StatusMessage"),
            last_accessed=iso(item.get("LastAccessedDate")),
        )
        for item in sorted(described.get("ReplicationStatus") or [], key=lambda r: r["Region"])
    )


def transform_replication(raw: Mapping[str, Any]) -> dict[str, tuple[ReplicaStatus, ...] | None]:
    """primary ARN -> its ReplicationStatus (None: DescribeSecret failed)."""
    out: dict[str, tuple[ReplicaStatus, ...] | None] = {
        arn: transform_replica_status(resp) for arn, resp in raw.get("described", {}).items()
    }
    for arn in raw.get("failed", ()):
        out[arn] = None
    return out
