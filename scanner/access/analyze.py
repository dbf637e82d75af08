"""analyze_access: who can read each secret, gate by gate; per-secret summary.

The pieces: scanner.access.graph_io (what is read from the graph, the reader nodes added), scanner.access.classes (groups and equivalence classes of principals),
scanner.access.pair_eval (one pair's gates), scanner.access.guard_share (guardrail answers
shared across secrets), scanner.access.secret_eval (one secret's paths, classes, grants),
scanner.access.key_report (per key) and scanner.access.verdicts (the typed results).
See docs/access.md "Scale".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from typing import Any, Callable, Iterator, Sequence

import networkx as nx

from scanner.access.classes import ClassIndex, Contexts, Interner, PolicyRefs
from scanner.access.graph_io import (
    SecretView,
    add_reader_nodes,
    key_families,
    key_nodes,
    secret_views,
)
from scanner.access.guard_share import SharedGuardrails
from scanner.access.identity import IdentityEvaluator, PrincipalIndex
from scanner.access.key_views import KeyViews
from scanner.access.key_report import identity_wildcards, key_access
from scanner.access.pair_eval import PairEvaluator
from scanner.access.report import AccessReport
from scanner.access.rotation import rotation_reads
from scanner.access.secret_eval import SecretEvaluator
from scanner.access.secret_memo import SecretMemo
from scanner.access.settings import AccessSettings
from scanner.access.shards import evaluate_sharded, shard_count
from scanner.access.verdicts import KeyAccess
from scanner.gcpause import gc_paused
from scanner.model import Snapshot
from scanner.policy.parse import Policy, parse_policy


def analyze_access(graph: nx.MultiDiGraph, snapshot: Snapshot,
                   settings: AccessSettings, *, processes: int = 1,
                   only: frozenset[str] | None = None,
                   judged: frozenset[str] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> AccessReport:
    """Evaluate every (principal, secret) pair worth considering. The verdicts are the typed
    report; the graph only gains a Principal node for each reader it did not hold.

    ``only``: the ARNs (primary or replica) of the secrets to evaluate, for a question about
    one secret (`secretgraph access --secret`): each gets the verdict it gets among all (the
    evaluator is built over every secret as usual: the same condition-key views and shared
    policies), the others are left out, and so are the key report (it summarises every
    secret of a key) and the identity wildcards (every principal's, whatever the secret).

    ``judged``: the primary ARNs of the secrets to evaluate, with their replicas (remediate's
    re-analysis of a change: the secrets whose access it can change); unlike ``only``, the key
    report and the identity wildcards stay whole: a key's report reads the views of every
    secret of the key (key_report.key_access), never their verdicts, so it is the one the
    whole analysis gives.

    ``progress``: told (secrets done, secrets) as the analysis goes.

    ``processes`` > 1: the secrets are split into that many contiguous shards, evaluated in
    this process and ``processes - 1`` forked children (scanner.access.shards; only above
    ``shards.MIN_SECRETS_PER_PROCESS`` secrets per process, and only where ``fork`` exists).
    The report is the same whatever the split.

    The cyclic garbage collector is paused meanwhile: the analysis allocates many small,
    acyclic, long-lived objects, and repeated full collections would dominate its run time.
    """
    with gc_paused():
        return _analyze(graph, snapshot, settings, processes, only, progress, judged)


def make_evaluator(snapshot: Snapshot, settings: AccessSettings,
                   work: Sequence[SecretView]) -> SecretEvaluator:
    """The per-secret evaluator for the secret views ``work`` and everything it shares across
    secrets."""
    index = PrincipalIndex.of(snapshot)
    identity = IdentityEvaluator()
    interner = Interner()
    contexts = Contexts(settings, KeyViews(_policies(snapshot, index, work)))
    refs = PolicyRefs()
    guardrails = SharedGuardrails(snapshot.organization, interner, snapshot.org_membership,
                                  settings.trust_zone.scanned)
    pairs = PairEvaluator(settings, identity, guardrails, contexts, refs, interner)
    classes = ClassIndex(index, identity, settings, contexts, refs, guardrails.keys,
                         guardrails.scp_signature, pairs.sm_request)
    # the parsed resource policies more than one secret carries (by id(): each SecretView
    # keeps its policy alive for the whole analysis)
    uses = Counter(id(sv.policy) for sv in work if sv.policy is not None)
    shared = frozenset(pid for pid, n in uses.items() if n > 1)
    return SecretEvaluator(settings, index, classes, pairs, shared,
                           SecretMemo(settings, index, pairs, shared))


def _analyze(graph: nx.MultiDiGraph, snapshot: Snapshot, settings: AccessSettings,
             processes: int, only: frozenset[str] | None = None,
             progress: Callable[[int, int], None] | None = None,
             judged: frozenset[str] | None = None) -> AccessReport:
    views, replica_views = secret_views(graph, settings)
    every = work = views + replica_views
    ev = make_evaluator(snapshot, settings, work)
    if only is not None:
        views = [sv for sv in views if sv.arn in only]
        replica_views = [sv for sv in replica_views if sv.arn in only]
        work = views + replica_views
    if judged is not None:
        views = [sv for sv in views if sv.primary_arn in judged]
        replica_views = [sv for sv in replica_views if sv.primary_arn in judged]
        work = views + replica_views
    total = len(work)
    results = evaluate_sharded(ev, work, shard_count(processes, total),
                               progress=None if progress is None else
                               (lambda done: progress(done, total)))
    secrets = {sv.arn: r for sv, r in zip(views, results)}
    replicas = {sv.arn: r for sv, r in zip(replica_views, results[len(views):])}
    by_key: dict[str, list[SecretView]] = {}
    for sv in every:  # (the key report, made without ``only``, reads every secret's view)
        if sv.key_arn:
            by_key.setdefault(sv.key_arn, []).append(sv)
    keys: dict[str, KeyAccess] = {} if only is not None else _keys(graph, by_key, settings)
    rotation = rotation_reads(graph, views, secrets, ev)
    add_reader_nodes(graph, secrets)
    problems = tuple(f"{arn}: {p}" for arn, s in secrets.items() for p in s.problems)
    return AccessReport(secrets=secrets, replicas=replicas, keys=keys,
                        identity_wildcards=() if only is not None else
                        tuple(identity_wildcards(ev.index)),
                        rotation=rotation, settings=_settings_dict(settings), problems=problems)


def _keys(graph: nx.MultiDiGraph, by_key: dict[str, list[SecretView]],
          settings: AccessSettings) -> dict[str, KeyAccess]:
    """Each key's report; a multi-Region key's with its family's secrets (key_access)."""
    families = key_families(graph)
    out: dict[str, KeyAccess] = {}
    for node, attrs in key_nodes(graph):
        fam = families.get(node, frozenset((node,)))
        others = tuple(sorted(fam - {node}))
        out[node] = key_access(node, attrs, by_key.get(node, []), settings, family=others,
                               family_views=[sv for k in others for sv in by_key.get(k, [])],
                               family_unread=_family_unread(graph, fam))
    return out


def _family_unread(graph: nx.MultiDiGraph, family: frozenset[str]) -> tuple[str, ...]:
    """The keys of a multi-Region family that the snapshot does not hold as collected members:
    named by a member's DescribeKey MultiRegionConfiguration (PrimaryKey, ReplicaKeys) but
    absent or a placeholder (a region not scanned, a key not listed). The secrets they
    encrypt are unknown."""
    named: set[str] = set(family)
    for k in family:
        attrs = graph.nodes[k]
        if attrs.get("multi_region"):
            named.update(a for a in (attrs.get("primary_key_arn"),
                                     *(attrs.get("replica_key_arns") or ())) if a)
    return tuple(sorted(k for k in named if k not in family or k not in graph
                        or graph.nodes[k].get("collected") is False))


def _policies(snapshot: Snapshot, index: PrincipalIndex,
              work: Sequence[SecretView]) -> Iterator[Policy | None]:
    """Every policy the analysis evaluates with a principal's context (see KeyViews)."""
    for p in index.principals():
        for np in p.policies:
            yield np.policy
        if p.boundary is not None:
            yield p.boundary.policy
    for sv in work:
        yield sv.policy
        yield sv.key_policy
    for cp in snapshot.organization.policies if snapshot.organization else ():
        yield parse_policy(cp.content)


def _settings_dict(s: AccessSettings) -> dict[str, Any]:
    d = asdict(s)
    for k, v in d.items():
        if isinstance(v, frozenset):
            d[k] = sorted(v)
    d["zone"] = s.trust_zone.to_json()
    return d
