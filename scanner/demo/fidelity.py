"""One fidelity patch to moto, applied only while the demo (or its tests) runs.

moto 5.2 forgets the KMS key asked for on a secret replica: DescribeSecret's ReplicationStatus
always says ``alias/aws/secretsmanager`` and the replica, listed in its own region, reports its
primary's key (MOTO_NOTES.md). Left alone, every correctly replicated secret of the demo would
look encrypted with the AWS-managed key in its replica region, and the scan would report it.
AWS keeps the key each replica was given; this patch makes moto do the same -- nothing else.

The demo's moto server runs in this process, so patching the classes changes what the server
answers. ``replica_keys_kept()`` restores moto on exit.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator


@contextlib.contextmanager
def replica_keys_kept() -> Iterator[None]:
    from moto.secretsmanager import models as sm

    default = sm.SecretsManagerBackend.DEFAULT_KMS_KEY_ALIAS
    original_create = sm.FakeSecret.create_replicas
    original_to_dict = sm.ReplicaSecret.to_dict

    def create_replicas(self: Any, replica_regions: list[dict[str, str]],
                        force_overwrite: bool) -> list[Any]:
        replicas = original_create(self, replica_regions, force_overwrite)
        for replica, config in zip(replicas, replica_regions or []):
            key = config.get("KmsKeyId")
            setattr(replica, "replica_kms_key_id", key)
            replica.config["KmsKeyId"] = key or default
        return list(replicas)

    def to_dict(self: Any) -> dict[str, Any]:
        dct: dict[str, Any] = original_to_dict(self)
        key = getattr(self, "replica_kms_key_id", None)
        if key:
            dct["KmsKeyId"] = key
        else:
            dct.pop("KmsKeyId", None)
        return dct

    sm.FakeSecret.create_replicas = create_replicas  # type: ignore[method-assign]
    sm.ReplicaSecret.to_dict = to_dict  # type: ignore[method-assign]
    try:
        yield
    finally:
        sm.FakeSecret.create_replicas = original_create  # type: ignore[method-assign]
        sm.ReplicaSecret.to_dict = original_to_dict  # type: ignore[method-assign]
