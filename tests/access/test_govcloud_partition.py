"""A GovCloud estate is judged as its commercial twin: the access analysis' intent probes and the
graph's EC2 resource ARNs use the estate's partition. The probes asked with ``arn:aws:`` ARNs,
which a GovCloud identity policy (``arn:aws-us-gov:...``) never matches, so an identity granting
every secret read as naming this one (concept review round 1: ARN parsing and building in one
module)."""

from __future__ import annotations

import json

from helpers.access_estate import (APP_ROLE, CENTRAL, MEMBER, estate, key_policy_for, role,
                                   secret_policy_for)
from scanner.access import AccessSettings, analyze_access
from scanner.access.identity import account_stand_in
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


def test_an_unread_accounts_stand_in_is_a_principal_of_the_secrets_partition() -> None:
    """Concept review round 3: the stand-in for the principals of an account whose IAM was not
    read was arn:aws:iam::<id>:root in every partition, so a GovCloud grant to the account
    (arn:aws-us-gov:iam::<id>:root) did not apply to it ("no Allow statement applies") where
    the commercial grant did. Its root ARN is of the secret's partition, and its verdict is
    the commercial one."""
    member_root = f"arn:aws:iam::{MEMBER}:root"
    snap = estate(secret_policy=secret_policy_for(member_root),
                  key_policy=key_policy_for(member_root), iam_accounts=(CENTRAL,))

    def paths(s: Snapshot) -> dict[str, tuple[str, str]]:
        report = analyze_access(build_graph(s), s, AccessSettings.from_snapshot(s))
        (sa,) = report.secrets.values()
        return {p.principal.split(":", 2)[2]: (p.principal.split(":")[1], p.decision)
                for p in sa.paths}

    commercial, gov = paths(snap), paths(_gov(snap))
    assert commercial[f"iam::{MEMBER}:root"] == ("aws", "CONDITIONAL")
    assert gov[f"iam::{MEMBER}:root"] == ("aws-us-gov", "CONDITIONAL")
    assert account_stand_in(MEMBER, "aws-cn").facts.arn == f"arn:aws-cn:iam::{MEMBER}:root"


def test_the_graphs_account_roots_are_of_the_estates_partition() -> None:
    """Concept review round 3: the graph held arn:aws:iam::<id>:root for every account of a
    GovCloud estate; its roots are of the estate's Regions' partition (as ec2_arn's ARNs), even
    where the snapshot's meta still says "aws"."""
    gov = _gov(estate(secret_policy=None))
    assert gov.meta.partition == "aws"
    graph = build_graph(gov)
    assert f"arn:aws-us-gov:iam::{CENTRAL}:root" in graph
    assert not any(str(n).startswith("arn:aws:") for n in graph)


def test_no_root_arn_or_stand_in_is_built_without_a_partition() -> None:
    """Concept review round 3: a second root-ARN builder defaulting to "aws" (graph.schema.
    root_principal) was how the commercial root came into GovCloud. The partition is a
    required argument of every builder of a root ARN or a stand-in."""
    import inspect

    import scanner.graph.schema as schema
    from scanner.access.identity import PrincipalIndex
    from scanner.policy.arn import root_arn
    from scanner.policy.smt.questions import principal_of

    assert not hasattr(schema, "root_principal")
    for fn in (root_arn, account_stand_in, PrincipalIndex.stand_in, principal_of):
        param = inspect.signature(fn).parameters["partition"]
        assert param.default is inspect.Parameter.empty, fn


def test_an_identity_policy_on_every_secret_is_a_wildcard_in_govcloud_too() -> None:
    """Concept review round 3 (found by the partition differential): the access report's
    identity_wildcards probed a policy with arn:aws: ARNs, so arn:aws-us-gov:secretsmanager:*:
    *:secret:* -- every secret of the partition -- was no wildcard in GovCloud while its
    commercial twin was (and identity-policy-secret-wildcard reports both)."""
    every_secret = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
         "Resource": "arn:aws:secretsmanager:*:*:secret:*"},
        {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:*:key/*"}]}
    snap = estate(secret_policy=None, principals=(role(APP_ROLE, every_secret),))

    def wildcards(s: Snapshot) -> list[tuple[str, str]]:
        report = analyze_access(build_graph(s), s, AccessSettings.from_snapshot(s))
        return sorted((w.principal.split(":", 2)[2], w.action) for w in report.identity_wildcards)

    commercial = wildcards(snap)
    assert len(commercial) == 2
    assert wildcards(_gov(snap)) == commercial


def test_the_trust_zone_reads_the_estates_partition_as_the_graph_does() -> None:
    """Review of the session's merges, round 4: a GovCloud snapshot whose meta.partition was
    left at its default had its zone in ``aws`` (meta.partition) and its graph in
    ``aws-us-gov`` (the Regions), so organization members granted by their GovCloud root were
    "account outside the trust zone" for secret-policy-external-account."""
    from dataclasses import replace

    from scanner.graph.builder import estate_partition
    from scanner.policy.trust_zone import trust_zone

    gov = _gov(estate(secret_policy=secret_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                      key_policy=key_policy_for(f"arn:aws:iam::{MEMBER}:root"),
                      principals=(role(APP_ROLE),)))
    gov = replace(gov, meta=replace(gov.meta, partition="aws"))  # the field's default
    zone = trust_zone(gov)
    assert zone.partition == estate_partition(gov) == "aws-us-gov"
    assert zone.contains(MEMBER, "aws-us-gov") and not zone.contains(MEMBER, "aws")
