"""What a rule sees while it runs: the graph, the snapshot, access results, its parameters, the
evaluation time, and indexes built once per run (never per node)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping

import networkx as nx

from scanner.engine.config import EngineConfig
from scanner.findings import ResourceRef
from scanner.graph.schema import (GLOBAL, NodeKind, account_node, replica_absent,
                                  scheduled_for_deletion)
from scanner.model import Snapshot
from scanner.policy import Policy, parse_policy_text
from scanner.policy.trust_zone import TrustZone, trust_zone

if TYPE_CHECKING:
    from scanner.access.report import AccessReport
    from scanner.access.settings import AccessSettings

#: A virtual resource kind: one per account (global) and account-region, built from coverage.
COVERAGE_GROUP = "CoverageGroup"


#: the kinds whose nodes are left unjudged while scheduled for deletion
_SECRET_KINDS = frozenset({"Secret", "SecretReplica"})

#: the listing that collects each kind of node (service_readable's service names)
_SERVICE_OF_KIND = {"Secret": "secretsmanager", "SecretReplica": "secretsmanager",
                    "KmsKey": "kms", "LambdaFunction": "lambda", "Vpc": "ec2.vpcs",
                    "Subnet": "ec2.subnets", "RouteTable": "ec2.route_tables",
                    "SecurityGroup": "ec2.security_groups", "VpcPeering": "ec2.peerings",
                    "VpcEndpoint": "ec2.vpc_endpoints", "NatGateway": "ec2.nat_gateways"}


NOT_IN_SCAN = "not in the scan"
ROLE_NOT_ASSUMED = "role could not be assumed"
REGION_NOT_SCANNED = "region not scanned"


def account_region_gap(account: Mapping[str, Any] | None, region: str) -> str | None:
    """Why nothing of an account-region was read, from its account node's attributes:
    NOT_IN_SCAN (outside the scan), ROLE_NOT_ASSUMED (in scope, its audit role could not be
    assumed) or REGION_NOT_SCANNED; None when it was read. The HTML report labels accounts
    with it (reports/html/network.py)."""
    # an account node without attributes was made by an edge to it (a peering's other side
    # owned by an account outside the scan), not by the scan
    if not account or not account.get("collected", True):
        return NOT_IN_SCAN
    if account.get("assumed") is False:
        return ROLE_NOT_ASSUMED
    if region != GLOBAL and region not in (account.get("regions") or [region]):
        return REGION_NOT_SCANNED
    return None


class GraphIndex:
    """Lazily built lookups over one graph; shared by every rule of a run."""

    def __init__(self, graph: nx.MultiDiGraph, snapshot: Snapshot, *,
                 trusted_accounts: Iterable[str] = ()) -> None:
        self.graph = graph
        self.snapshot = snapshot
        self.trusted_accounts = frozenset(trusted_accounts)
        self._succ: Any = graph._succ  # noqa: SLF001 -- hot path, avoids view objects
        self._pred: Any = graph._pred  # noqa: SLF001

    # ------------------------------------------------------------------ per-run caches
    @cached_property
    def _refs(self) -> dict[str, ResourceRef]:
        return {}

    def ref(self, node_id: str, attrs: Mapping[str, Any]) -> ResourceRef:
        """One ResourceRef per resource, shared by all its findings."""
        found = self._refs.get(node_id)
        if found is None:
            arn, node = node_id, None
            if attrs.get("kind") == NodeKind.SECRET_REPLICA.value:
                # a replica's node id is ``<primary ARN>#<region>``, which is no ARN: the
                # finding names the replica's ARN (ASFF Resources[].Id: "the canonical ID
                # (ARN)"; ground-truth organization trial round 8), as listed in its Region,
                # else -- a replica known only from its primary's ReplicationStatus -- the
                # primary's ARN in the replica's Region, which is how Secrets Manager names a
                # replica (access.graph_io.replica_arn, the key of AccessReport.replicas too)
                from scanner.access.graph_io import replica_arn

                arn, node = replica_arn(node_id, attrs), node_id
                if arn == node_id:
                    node = None  # no primary ARN to derive it from: the node id it is
            found = ResourceRef(type=str(attrs.get("resource_type") or attrs.get("kind")),
                                arn=arn, account_id=str(attrs.get("account_id") or ""),
                                region=str(attrs.get("region") or GLOBAL), node=node)
            self._refs[node_id] = found
        return found

    @cached_property
    def _policies(self) -> dict[str, Policy]:
        return {}

    def policy(self, text: str) -> Policy:
        """Parse a policy once per run (several rules read the same 100,000 policies)."""
        found = self._policies.get(text)
        if found is None:
            found = parse_policy_text(text)
            self._policies[text] = found
        return found

    # ------------------------------------------------------------------ nodes and edges
    @cached_property
    def by_kind(self) -> dict[str, list[tuple[str, Mapping[str, Any]]]]:
        """The nodes each rule judges, by kind. A secret scheduled for deletion
        (scanner.graph.schema.scheduled_for_deletion, the test the access analysis reads too)
        is not judged: Secrets Manager refuses to read it or its policy ("marked for
        deletion"), so it has no reader to protect and nothing to rotate, and its rules
        answered UNKNOWN every night for a policy no one could read."""
        out: dict[str, list[tuple[str, Mapping[str, Any]]]] = {}
        for node_id, data in self.graph.nodes(data=True):
            if data.get("kind") in _SECRET_KINDS and (scheduled_for_deletion(data)
                                                      or replica_absent(data)):
                continue  # (a replication that Failed made no replica to judge)
            out.setdefault(str(data.get("kind")), []).append((node_id, data))
        out[COVERAGE_GROUP] = self.coverage_groups
        return out

    def nodes(self, kind: str) -> list[tuple[str, Mapping[str, Any]]]:
        return self.by_kind.get(kind, [])

    def neighbours(self, node_id: str, edge_kind: str, direction: str = "out") -> list[str]:
        adj = self._succ if direction == "out" else self._pred
        found: list[str] = []
        for other, keyed in adj.get(node_id, {}).items():
            for data in keyed.values():
                if data.get("kind") == edge_kind:
                    found.append(other)
                    break
        return found

    def edges(self, node_id: str, edge_kind: str, direction: str = "out"
              ) -> Iterator[tuple[str, Mapping[str, Any]]]:
        adj = self._succ if direction == "out" else self._pred
        for other, keyed in adj.get(node_id, {}).items():
            for data in keyed.values():
                if data.get("kind") == edge_kind:
                    yield other, data

    def attrs(self, node_id: str) -> Mapping[str, Any] | None:
        data: Mapping[str, Any] | None = self.graph.nodes.get(node_id)
        return data

    # ------------------------------------------------------------------ coverage
    @cached_property
    def unread_services(self) -> dict[tuple[str, str], set[str]]:
        raw = self.graph.graph.get("unread_services") or {}
        return {tuple(k): set(v) for k, v in raw.items()}  # type: ignore[misc]

    def service_readable(self, account_id: str, region: str, service: str) -> str | None:
        """None when ``service`` was listed in account/region; else what is missing.
        ``service`` may name one listing of a service (``ec2.peerings``: a RegionSnapshot
        field): missing when that listing failed, or when the service is unread and the
        snapshot does not say which of its listings failed (written before they were
        recorded)."""
        gap = account_region_gap(self.attrs(account_node(account_id)), region)
        if gap == NOT_IN_SCAN:
            return f"account {account_id} (not in the scan)"
        if gap == ROLE_NOT_ASSUMED:
            why = (self.attrs(account_node(account_id)) or {}).get("unread_why") \
                or ROLE_NOT_ASSUMED
            return f"account {account_id} ({why})"
        if gap == REGION_NOT_SCANNED:
            return f"region {region} of account {account_id} (not scanned)"
        unread = self.unread_services.get((account_id, region), set())
        if service in unread:
            return f"{service} in {account_id}/{region} (listing failed: see coverage)"
        base, dot, _ = service.partition(".")
        if dot and base in unread and not any(u.startswith(base + ".") for u in unread):
            return f"{base} in {account_id}/{region} (listing failed: see coverage)"
        return None

    def known_absent(self, attrs: Mapping[str, Any]) -> bool:
        """A placeholder (``collected`` False) whose account-region listing was read and did not
        have it: the resource does not exist. ListKeys "Gets a list of all KMS keys in the
        caller's AWS account and Region." (KMS API Reference), so a key missing from a listing
        that was read is not there. Rules do not judge such a node; whatever references it
        reports it (secret-key-unusable: "does not exist")."""
        if attrs.get("collected") is not False:
            return False
        service = _SERVICE_OF_KIND.get(str(attrs.get("kind")))
        account, region = attrs.get("account_id"), attrs.get("region")
        if not service or not account or not region:
            return False
        return self.service_readable(str(account), str(region), service) is None

    def not_collected(self, node_id: str, attrs: Mapping[str, Any]) -> str:
        """What is missing about a placeholder node (``collected`` False: the graph knows it
        only from a reference, a secret's KmsKeyId or a peering's other side), and why: its
        account or Region was not scanned, its listing failed, or the listing did not have
        it."""
        kind = str(attrs.get("kind"))
        service = _SERVICE_OF_KIND.get(kind)
        account, region = attrs.get("account_id"), attrs.get("region")
        gap = self.service_readable(str(account), str(region), service) \
            if service and account and region else None
        return f"{kind} {node_id} (not collected: " + (
            f"{gap})" if gap else "not in its account-region's listing)")

    @cached_property
    def coverage_groups(self) -> list[tuple[str, Mapping[str, Any]]]:
        entries: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for c in self.snapshot.coverage:
            entries.setdefault((c.account_id, c.region), []).append({
                "service": c.service, "operation": c.operation, "error_code": c.error_code,
                "error_kind": c.error_kind, "message": c.message, "resource_arn": c.resource_arn})
        keys: set[tuple[str, str]] = set(entries)
        accounts = list(self.snapshot.meta.accounts) + [
            a.account_id for a in self.snapshot.accounts]
        for acct in self.snapshot.accounts:
            for reg in acct.regions:
                keys.add((acct.account_id, reg.region))
        for account_id in accounts:
            keys.add((account_id, GLOBAL))
        assumed = {a.account_id: a.assumed for a in self.snapshot.accounts}
        out: list[tuple[str, Mapping[str, Any]]] = []
        for account_id, region in sorted(keys):
            group = entries.get((account_id, region), [])
            node_id = (account_node(account_id) if region == GLOBAL
                       else f"{account_node(account_id)}/{region}")
            out.append((node_id, {
                "kind": COVERAGE_GROUP, "account_id": account_id, "region": region,
                "resource_type": "Account" if region == GLOBAL else "AccountRegion",
                "assumed": assumed.get(account_id, False), "entries": group,
                "entry_count": len(group),
                "services": sorted({e["service"] for e in group}),
            }))
        return out

    # ------------------------------------------------------------------ lookups by AWS id
    def _index(self, kind: NodeKind, *fields: str) -> dict[tuple[Any, ...], str]:
        out: dict[tuple[Any, ...], str] = {}
        for node_id, data in self.nodes(kind.value):
            out[tuple(data.get(f) for f in fields)] = node_id
        return out

    @cached_property
    def vpcs(self) -> dict[tuple[Any, ...], str]:
        """(account_id, region, vpc_id) -> node."""
        return self._index(NodeKind.VPC, "account_id", "region", "vpc_id")

    @cached_property
    def subnets(self) -> dict[tuple[Any, ...], str]:
        return self._index(NodeKind.SUBNET, "account_id", "region", "subnet_id")

    @cached_property
    def security_groups(self) -> dict[tuple[Any, ...], str]:
        return self._index(NodeKind.SECURITY_GROUP, "account_id", "region", "group_id")

    @cached_property
    def peerings(self) -> dict[str, str]:
        """pcx id -> node."""
        return {str(data.get("peering_id")): node_id
                for node_id, data in self.nodes(NodeKind.VPC_PEERING.value)}

    @cached_property
    def lambdas(self) -> dict[str, str]:
        return {str(data.get("arn")): node_id
                for node_id, data in self.nodes(NodeKind.LAMBDA_FUNCTION.value)}

    @cached_property
    def route_tables_by_vpc(self) -> dict[tuple[str, str, str], list[str]]:
        out: dict[tuple[str, str, str], list[str]] = {}
        for node_id, data in self.nodes(NodeKind.ROUTE_TABLE.value):
            key = (str(data.get("account_id")), str(data.get("region")), str(data.get("vpc_id")))
            out.setdefault(key, []).append(node_id)
        return out

    @cached_property
    def subnets_by_vpc(self) -> dict[tuple[str, str, str], list[str]]:
        """(account_id, region, vpc_id) -> subnet ids."""
        out: dict[tuple[str, str, str], list[str]] = {}
        for _, data in self.nodes(NodeKind.SUBNET.value):
            key = (str(data.get("account_id")), str(data.get("region")), str(data.get("vpc_id")))
            out.setdefault(key, []).append(str(data.get("subnet_id")))
        return out

    @cached_property
    def endpoints_by_vpc(self) -> dict[tuple[str, str, str], list[str]]:
        out: dict[tuple[str, str, str], list[str]] = {}
        for node_id, data in self.nodes(NodeKind.VPC_ENDPOINT.value):
            key = (str(data.get("account_id")), str(data.get("region")), str(data.get("vpc_id")))
            out.setdefault(key, []).append(node_id)
        return out

    @cached_property
    def quotas(self) -> dict[tuple[str, str, str], tuple[float, str]]:
        """(account_id, region, quota code) -> (value, source) from the snapshot: source
        ``service-quotas`` (read) or ``default`` (the documented default, kept where no
        applied value exists; scanner/collectors/quotas.py)."""
        out: dict[tuple[str, str, str], tuple[float, str]] = {}
        for acct in self.snapshot.accounts:
            for reg in acct.regions:
                for q in reg.quotas:
                    out[(acct.account_id, reg.region, q.code)] = (q.value, q.source)
        return out

    @cached_property
    def scanned_accounts(self) -> set[str]:
        return set(self.trust_zone.scanned)

    @cached_property
    def access_settings(self) -> "AccessSettings":
        """The access analysis' settings of this run's snapshot (its organization, org paths,
        the trust zone): the exposure rules build the resource side of a request with them
        (scanner.access.graph_io.secret_resource_context), as the access analysis does."""
        from scanner.access.settings import AccessSettings

        return AccessSettings.from_snapshot(self.snapshot,
                                            trusted_accounts=self.trusted_accounts)

    @property
    def unique_ids(self) -> frozenset[str]:
        """The unique ids (IAM RoleId / UserId) of the principals the snapshot holds: an
        aws:userid value naming one names a principal of a scanned account
        (exposure.unknown_account_grants)."""
        return self.access_settings.unique_ids

    @cached_property
    def trust_zone(self) -> TrustZone:
        """The trust zone of this run (organization, scanned accounts, config)."""
        return trust_zone(self.snapshot, self.trusted_accounts)

    @cached_property
    def managed_policies(self) -> Mapping[str, Any]:
        return self.graph.graph.get("managed_policies") or {}

    @cached_property
    def groups(self) -> dict[tuple[str, str], Mapping[str, Any]]:
        """(account_id, group name) -> group attributes."""
        raw: Mapping[str, Mapping[str, Any]] = self.graph.graph.get("groups") or {}
        return {(str(g.get("account_id")), str(g.get("name"))): g for g in raw.values()}


@dataclass(frozen=True, kw_only=True, slots=True)
class RuleContext:
    """Per rule: shared run state plus the rule's resolved parameters and a scratch cache."""

    graph: nx.MultiDiGraph
    snapshot: Snapshot
    #: the typed verdicts of the access analysis (None: it did not run). Rules read these:
    #: the graph holds no verdict edges (docs/access.md, "No verdict edges").
    access: AccessReport | None
    config: EngineConfig
    now: datetime
    index: GraphIndex
    params: Mapping[str, Any]
    cache: dict[Any, Any]
