"""The AWS Regions secretgraph knows: one list for `--regions` and `export --region`, and for
the suppression entries that name a Region (an entry for a Region that does not exist would
mute nothing)."""

from __future__ import annotations

import functools
import re

import botocore.loaders


@functools.lru_cache(maxsize=1)
def known_regions() -> frozenset[str]:
    """Every region botocore knows, in every partition (opt-in regions included), from its
    bundled partitions data (cheap: no service model is loaded)."""
    data = botocore.loaders.create_loader().load_data("partitions")
    return frozenset(
        region
        for partition in data["partitions"]
        for region in partition.get("regions", {})
        if not region.endswith("-global")
    )


def unknown_region(region: str, *, source: str = "") -> str | None:
    """The one line for a Region botocore does not know, with the closest names (one in
    capitals: its lower-case name, as AWS writes it); None for a known Region. ``source`` says
    where the name came from when no option gave it (``$AWS_DEFAULT_REGION``)."""
    known = known_regions()
    if region in known:
        return None
    from scanner.suggest import suggest

    # a Region in capitals is no typo: name it as AWS does (fault-injection trial round 11:
    # 'US-WEST-2' had no hint)
    hint = (f"; did you mean {region.lower()}? (Region names are lower-case)"
            if region.lower() in known else suggest(region, sorted(known)))
    where = f" from {source}" if source else ""
    return f"unknown region {region!r}{where} (not an AWS region botocore knows){hint}"


@functools.lru_cache(maxsize=1)
def _partitions() -> tuple[tuple[str, frozenset[str], re.Pattern[str] | None], ...]:
    data = botocore.loaders.create_loader().load_data("partitions")
    return tuple((str(p["id"]), frozenset(p.get("regions", {})),
                  re.compile(p["regionRegex"]) if p.get("regionRegex") else None)
                 for p in data["partitions"])


@functools.lru_cache(maxsize=1024)
def region_partition(region: str) -> str | None:
    """The partition a Region is assigned to (``aws``, ``aws-us-gov``, ``aws-cn``, ...), from
    the same bundled partitions data: the partition that lists it, else the one whose
    ``regionRegex`` matches it (a Region newer than this botocore); None for a name that is
    no Region of any partition (``global``). The collector's session asks botocore the same
    question (``get_partition_for_region``); ASFF Resources[].Partition is "The canonical AWS
    partition name that the Region is assigned to"."""
    partitions = _partitions()
    for pid, regions, _ in partitions:
        if region in regions:
            return pid
    for pid, _, pattern in partitions:
        if pattern is not None and pattern.fullmatch(region):
            return pid
    return None


def partition_of(region: str, arn: str = "") -> str:
    """The partition of a resource in ``region``: the Region's (``region_partition``), else --
    for no known Region (``global``, a Region newer than botocore's data) -- the partition of
    its ARN (scanner.policy.arn.arn_partition), else ``aws`` (ScanMeta.partition's default)."""
    from scanner.policy.arn import arn_partition

    return region_partition(region) or (arn_partition(arn) if arn else None) or "aws"
