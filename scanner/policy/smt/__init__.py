"""Proofs about policies with an SMT solver (z3): "can anyone outside the zone read this?"

The encoder (``encode.py``) turns parsed policies into z3 constraints over a symbolic request
(principal, condition keys: ``domain.py``); ``questions.py`` asks the exposure questions, ``solve.py`` answers each with
a proof of impossibility, a witness (a concrete request, replayed through the three-valued
evaluator, which must answer ALLOWED), or UNKNOWN with the reason. z3 is an optional extra
(``pip install 'secretgraph[prove]'``): nothing here imports it until a question is asked.
"""

from __future__ import annotations

from scanner.errors import UsageError

INSTALL_HINT = "--prove needs the z3 solver: pip install 'secretgraph[prove]' (z3-solver)"


def z3_available() -> bool:
    try:
        import z3  # noqa: F401
    except ImportError:
        return False
    return True


def require_z3() -> None:
    """UsageError (one line, exit 2) when z3 is not installed."""
    if not z3_available():
        raise UsageError(INSTALL_HINT)
