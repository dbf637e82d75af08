"""The explicit table of named graph predicates rule files may use (``predicate: <name>``).

A predicate is a small function ``(ctx, node_id, attrs, args) -> Result`` answering TRUE (the
resource fails), FALSE or UNKNOWN (naming what is missing). Each lives in its own module; this
table is the only registry -- nothing registers itself.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Callable, Mapping

from scanner.engine.conditions import Result
from scanner.engine.predicates.access_gates_conflict import access_gates_conflict
from scanner.engine.predicates.coverage_gap import coverage_gap
from scanner.engine.predicates.identity_wildcard import identity_wildcard
from scanner.engine.predicates.key_missing import key_missing
from scanner.engine.predicates.key_policy_excess_grant import key_policy_excess_grant
from scanner.engine.predicates.missing_replica_regions import missing_replica_regions
from scanner.engine.predicates.peering_quota import peering_quota_near_limit
from scanner.engine.predicates.peering_route_blackhole import peering_route_blackhole
from scanner.engine.predicates.peering_route_overbroad import peering_route_overbroad
from scanner.engine.predicates.peering_routes_missing import peering_routes_missing
from scanner.engine.predicates.principal_scanned import principal_scanned
from scanner.engine.predicates.replica_key_policy_drift import replica_key_policy_drift
from scanner.engine.predicates.rotation_function_missing import rotation_function_missing
from scanner.engine.predicates.rotation_network_path import rotation_network_path
from scanner.engine.predicates.rotation_pending_stuck import rotation_pending_stuck
from scanner.engine.predicates.rotation_role_read import rotation_role_read
from scanner.engine.predicates.rotation_schedule import rotation_schedule_too_long
from scanner.engine.predicates.secret_policy_external import secret_policy_external
from scanner.engine.predicates.secret_policy_overbroad import secret_policy_overbroad
from scanner.engine.predicates.secret_policy_public import policy_public

PredicateFn = Callable[..., Result]


@dataclass(frozen=True, kw_only=True, slots=True)
class PredicateSpec:
    name: str
    fn: PredicateFn
    kinds: tuple[str, ...]  # resource kinds it can judge
    args: Mapping[str, str] = field(default_factory=dict)  # arg name -> type (as parameters;
    # "list of <item kind>": params.ITEM_KINDS)
    #: the arguments a rule must give (the predicate has no default for them): the rule
    #: loader refuses a rule without one, as it refuses an argument the predicate does not take
    required: tuple[str, ...] = ()
    doc: str = ""


def _spec(name: str, fn: PredicateFn, kinds: tuple[str, ...],
          args: Mapping[str, str] | None = None, *,
          required: tuple[str, ...] = ()) -> PredicateSpec:
    doc = sys.modules[fn.__module__].__doc__ or ""
    assert set(required) <= set(args or {}), f"{name}: a required argument it does not take"
    return PredicateSpec(name=name, fn=fn, kinds=kinds, args=dict(args or {}),
                         required=required, doc=" ".join(doc.split()))


PREDICATES: dict[str, PredicateSpec] = {
    s.name: s
    for s in (
        _spec("rotation_pending_stuck", rotation_pending_stuck, ("Secret",)),
        _spec("rotation_schedule_too_long", rotation_schedule_too_long, ("Secret",),
              {"max_days": "integer"}, required=("max_days",)),
        _spec("rotation_function_missing", rotation_function_missing, ("Secret",)),
        _spec("rotation_network_path_broken", rotation_network_path, ("Secret",)),
        _spec("rotation_role_cannot_read", rotation_role_read, ("Secret",)),
        _spec("policy_public", policy_public, ("Secret", "KmsKey"), {"field": "string"}),
        _spec("secret_policy_external_account", secret_policy_external, ("Secret",),
              {"allowed_accounts": "list of account_id"}),
        _spec("secret_policy_overbroad_actions", secret_policy_overbroad, ("Secret",),
              {"allowed_actions": "list of action"}),
        _spec("access_gates_conflict", access_gates_conflict, ("Secret", "SecretReplica")),
        _spec("key_missing", key_missing, ("Secret", "SecretReplica")),
        _spec("key_policy_excess_grant", key_policy_excess_grant, ("KmsKey",)),
        _spec("replica_key_policy_drift", replica_key_policy_drift, ("KmsKey",)),
        _spec("identity_policy_wildcard_read", identity_wildcard, ("Principal",)),
        _spec("principal_in_scanned_account", principal_scanned, ("Principal",)),
        _spec("peering_quota_near_limit", peering_quota_near_limit, ("Vpc",),
              {"warn_ratio": "number"}),
        _spec("peering_routes_missing", peering_routes_missing, ("VpcPeering",)),
        _spec("peering_route_overbroad", peering_route_overbroad, ("RouteTable",)),
        _spec("peering_route_blackhole", peering_route_blackhole, ("RouteTable",)),
        _spec("missing_replica_regions", missing_replica_regions, ("Secret",),
              {"required_regions": "list of region"}),
        _spec("coverage_gap", coverage_gap, ("CoverageGroup",)),
    )
}
