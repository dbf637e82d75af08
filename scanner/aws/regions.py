"""The AWS Regions secretgraph knows: one list for `--regions` and `export --region`, and for
the suppression entries that name a Region (an entry for a Region that does not exist would
mute nothing)."""

from __future__ import annotations

import functools

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
