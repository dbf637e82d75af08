"""Which of a VPC's route tables route some subnet's traffic -- one concept, read by the rotation
network check (scanner/engine/predicates/rotation_network_path.py, over graph nodes) and by
add-peering-route (remediations/add_peering_route.py, over snapshot records).

Amazon VPC User Guide, "Route tables": "Each subnet in your VPC must be associated with a route
table ... If you don't explicitly associate a subnet with a particular route table, the subnet
is implicitly associated with the main route table". So a table with subnet associations routes
those subnets, and the main table routes the subnets no table names; a main table that every
subnet of the VPC has left for another table routes none.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence, TypeVar

T = TypeVar("T")


def main_table_used(tables: Iterable[T], subnets: Iterable[str] | None, *,
                    subnet_ids: Callable[[T], Sequence[str]]) -> bool | None:
    """Whether the VPC's main table routes a subnet: some subnet of the VPC (``subnets``) is
    associated with no table; also when no subnet of the VPC is known (it may have some). None
    when the VPC's subnets were not read (``subnets`` None): not known."""
    if subnets is None:
        return None
    explicit = {s for t in tables for s in subnet_ids(t)}
    known = list(subnets)
    return not known or any(s not in explicit for s in known)


def tables_in_use(tables: Sequence[T], subnets: Iterable[str] | None, *,
                  subnet_ids: Callable[[T], Sequence[str]], is_main: Callable[[T], bool],
                  unknown_main: bool) -> list[T]:
    """The tables that route some subnet's traffic: those with subnet associations, and the
    main table when it is used (``main_table_used``; when that is not known, as
    ``unknown_main`` says -- a check of a route that must exist counts it out, a fix that adds
    a route counts it in)."""
    used = main_table_used(tables, subnets, subnet_ids=subnet_ids)
    main = unknown_main if used is None else used
    return [t for t in tables if subnet_ids(t) or (is_main(t) and main)]


def tables_that_count(tables: Sequence[T], subnets: Iterable[str] | None, *,
                      subnet_ids: Callable[[T], Sequence[str]],
                      is_main: Callable[[T], bool]) -> list[T] | None:
    """The tables whose routes count for a route the VPC must hold (vpc-peering-route-missing,
    and add-peering-route deciding whether a side is routed): the tables in use -- a route in
    a table no subnet uses carries nothing (ground-truth trial round 14) --, or every table
    when the VPC has no subnet (no traffic to route: no table is left out). None when the
    VPC's subnets were not read (the caller decides)."""
    if subnets is None:
        return None
    known = list(subnets)
    if not known:
        return list(tables)
    return tables_in_use(tables, known, subnet_ids=subnet_ids, is_main=is_main,
                         unknown_main=False)


def subnet_tables(tables: Sequence[T], subnet_id: str, *,
                  subnet_ids: Callable[[T], Sequence[str]],
                  is_main: Callable[[T], bool]) -> list[T]:
    """The route table of one subnet: the one associated with it, else the VPC's main table
    (the module docstring: "If you don't explicitly associate a subnet with a particular route
    table, the subnet is implicitly associated with the main route table")."""
    explicit = [t for t in tables if subnet_id in subnet_ids(t)]
    return explicit or [t for t in tables if is_main(t)]


def no_table_listed(subnet_id: str) -> str:
    """What is missing where a subnet's route table is not in the listing -- neither one
    associated with it nor the VPC's main table. Every subnet has one (the module docstring:
    "Each subnet in your VPC must be associated with a route table"; and "Your VPC has a main
    route table" from its creation), so the listing was read inconsistently (the VPC deleted
    between two listings, a partial answer): not a subnet without routes (fault-injection trial
    round 13: rotation-no-network-path and peering-route-missing FAILed such VPCs)."""
    return (f"the route table of subnet {subnet_id} (neither its own nor its VPC's main table "
            "is in the route table listing, though every subnet has one)")


def no_tables_listed(vpc_id: str) -> str:
    """``no_table_listed`` for a whole VPC: none of its route tables is in the listing."""
    return (f"the route tables of VPC {vpc_id} (none is in the route table listing, though "
            "every VPC has a main route table)")

