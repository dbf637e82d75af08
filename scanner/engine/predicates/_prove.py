"""The solver behind the exposure predicates when the config's ``prove`` is on (``scan
--prove``): one scanner.policy.smt.use.RuleProver per run, shared by the rules of the run
(its answers are memoized by policy shape). z3 is imported only here, and only then."""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any

from scanner.engine.context import RuleContext

if TYPE_CHECKING:  # pragma: no cover
    from scanner.policy.smt.use import RuleProver

_PROVERS: "weakref.WeakKeyDictionary[Any, RuleProver]" = weakref.WeakKeyDictionary()


def prover(ctx: RuleContext) -> "RuleProver | None":
    """The run's prover; None when ``prove`` is off. Without z3: UsageError (one line)."""
    if not ctx.config.prove:
        return None
    found = _PROVERS.get(ctx.index)
    if found is None:
        from scanner.access.settings import AccessSettings
        from scanner.policy.smt import require_z3

        require_z3()
        from scanner.policy.smt.use import RuleProver

        settings = AccessSettings.from_snapshot(
            ctx.snapshot,
            allowed_external_accounts=frozenset(ctx.config.allowed_external_accounts),
            trusted_accounts=ctx.config.trusted_accounts)
        found = RuleProver(ctx.graph, ctx.snapshot, settings,
                           timeout_s=ctx.config.prove_timeout)
        _PROVERS[ctx.index] = found
    return found
