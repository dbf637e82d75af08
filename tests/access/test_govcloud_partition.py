"""A GovCloud estate is judged as its commercial twin: the access analysis' intent probes and the
graph's EC2 resource ARNs use the estate's partition. The probes asked with ``arn:aws:`` ARNs,
which a GovCloud identity policy (``arn:aws-us-gov:...``) never matches, so an identity granting
every secret read as naming this one (concept review round 1: ARN parsing and building in one
module)."""

from __future__ import annotations

import json

from helpers.access_estate import (APP_ROLE, MEMBER, estate, key_policy_for, role,
                                   secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.access.pair_eval import outside_probe
from scanner.graph.builder import build_graph
from scanner.graph.schema import ec2_arn
from scanner.model import Snapshot, from_jsonable, to_jsonable

OTHER = f"arn:aws:iam::{MEMBER}:role/Other"


def _gov(snap: Snapshot) -> Snapshot:
    text = json.dumps(to_jsonable(snap)).replace("arn:aws:", "arn:aws-us-gov:").replace(
        "us-east-1", "us-gov-west-1")
    return from_jsonable(Snapshot, json.loads(text))


def _intended(snap: Snapshot) -> dict[str, bool]:
    graph = build_graph(snap)
    report = analyze_access(graph, snap, AccessSettings.from_snapshot(snap))
    (sa,) = report.secrets.values()
    return {p.principal.split(":", 1)[1]: p.intended for p in sa.paths}


def test_an_identity_granting_every_secret_names_none_in_govcloud_too() -> None:
    """Other is named by no policy of the secret and its identity grants every secret: its
    denied read is no intended (broken) one, in either partition."""
    every_secret = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "arn:aws:secretsmanager:*:*:secret:*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}]}
    snap = estate(secret_policy=secret_policy_for(APP_ROLE),
                  key_policy=key_policy_for(APP_ROLE, OTHER),
                  principals=(role(APP_ROLE, every_secret), role(OTHER, every_secret)))
    commercial, gov = _intended(snap), _intended(_gov(snap))
    assert {k.replace("aws:", "aws-us-gov:", 1): v for k, v in commercial.items()} == gov
    assert gov.get(f"aws-us-gov:iam::{MEMBER}:role/Other") is not True


def test_probes_and_ec2_arns_are_in_the_estate_partition() -> None:
    assert ec2_arn("us-gov-west-1", "111111111111", "vpc", "vpc-1").startswith(
        "arn:aws-us-gov:ec2:us-gov-west-1:")
    assert ec2_arn("us-east-1", "111111111111", "vpc", "vpc-1").startswith("arn:aws:ec2:")
    from types import SimpleNamespace

    sv = SimpleNamespace(region="us-gov-west-1",
                         arn="arn:aws-us-gov:secretsmanager:us-gov-west-1:111111111111:secret:x")
    assert outside_probe(sv).startswith("arn:aws-us-gov:secretsmanager:")  # type: ignore[arg-type]
