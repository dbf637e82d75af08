"""`secretgraph access --prove SECRET`: the answers for one secret, as a table or JSON."""

from __future__ import annotations

import json
from typing import Any, Iterable, Mapping

from scanner.access.settings import AccessSettings
from scanner.policy.smt.questions import Prover
from scanner.policy.smt.solve import Answer
from scanner.textfit import one_line as _v

_TITLES = {
    "outside-read": "outside the zone, read (GetSecretValue + kms:Decrypt via Secrets Manager)",
    "outside-decrypt": "outside the zone, kms:Decrypt with the key (any route)",
    "reader-context": "conditional reader",
    "principal-read": "named principal",
}


def prove_secret(graph: Any, snapshot: Any, settings: AccessSettings, sa: Any, *, fmt: str,
                 timeout_s: float, principals: Iterable[str] = (),
                 aliases: Mapping[str, str] | None = None) -> str:
    """The outside questions, every CONDITIONAL reader's exact context, and (``principals``,
    from ``--principal``) whether each named principal can read the secret -- readers and
    named principals with their identity policies, boundary and SCPs encoded. ``aliases``
    (key ARN -> alias): the text names the key by alias, as ``access --secret`` does
    (docs/access.md: "Keys are shown by alias")."""
    prover = Prover(graph, snapshot, settings, timeout_s=timeout_s)
    proof = prover.secret(sa.secret_arn)
    readers = prover.readers(snapshot, sa)
    named = [prover.principal(sa.secret_arn, arn) for arn in sorted(principals)
             if arn != "*"]
    if fmt == "json":
        data = proof.to_dict()
        data["readers"] = [a.to_dict() for a in readers]
        data["principals"] = [a.to_dict() for a in named]
        data["zone_accounts"] = len(prover.zone)  # a count: the zone can be 10,000 accounts
        data["solver"] = {"solved": prover.solved, "reused": prover.reused,
                          "timeout_s": timeout_s}
        return json.dumps({"proofs": [data]}, indent=2, sort_keys=True) + "\n"
    # every value from the audited accounts one line (_v) before it is put into a line, so a
    # newline in a name forges no line (docs/reports.md, "Hostile input")
    alias = (aliases or {}).get(proof.key_arn or "")
    key = f"{alias} ({proof.key_arn})" if alias else \
        (proof.key_arn or "aws/secretsmanager (AWS-managed)")
    lines = [_v(sa.secret_arn), f"  key: {_v(key)}"]
    for answer in [proof.read] + ([proof.decrypt] if proof.decrypt else []) + readers + named:
        lines.extend(_answer_lines(answer))
    lines.append(f"  solver: {prover.solved} question(s) solved, {prover.reused} reused, "
                 f"timeout {timeout_s:g}s per question")
    return "\n".join(lines) + "\n"


def _answer_lines(a: Answer) -> list[str]:
    title = _TITLES.get(a.question, a.question)
    if a.question in ("reader-context", "principal-read"):
        title = f"{title} {_v(a.subject.split(' -> ')[0])}"
    out = [f"  {title}: {_v(a.status)}", f"    {_v(a.reason)} ({a.seconds:.2f}s)"]
    w = a.witness
    if w is not None:
        label = "witness" if a.status == "WITNESS" else "candidate (not confirmed)"
        # the outside-the-zone questions' caller is one the solver chose: "role/a" read as a
        # role that exists (new-user trial round 36); a reader's or --principal's is itself
        example = "" if a.question in ("reader-context", "principal-read") else (
            "; an example caller the solver chose, not necessarily one that exists")
        out.append(f"    {label}: {_v(w['principal'])} ({_v(w['principal_type'])} in account "
                   f"{_v(w['principal_account'])}"
                   + (", with a permissions boundary" if w["permissions_boundary"] else "")
                   + example + ")")
        for name, r in w["requests"].items():
            # the keys the policies look at (the rest of the context is the scan's facts)
            decisive = set(r.get("decisive") or ())
            ctx = "; ".join(f"{_v(k)}={','.join(_show(x) for x in v)}"
                            for k, v in r["context"].items() if k in decisive)
            absent = [_v(k) for k in r["absent"] if k in decisive]
            out.append(f"      {_v(name)}: {_v(r['action'])} on {_v(r['resource'])}")
            if ctx:
                out.append(f"        context: {ctx}")
            if absent:
                out.append(f"        absent: {', '.join(absent)}")
        if a.replay:
            out.append("    replayed: " + ", ".join(f"{_v(k)} {_v(v)}"
                                                    for k, v in a.replay.items()))
    for n in a.not_encoded:
        out.append(f"    not encoded: {_v(n)}")
    return out


def _show(value: str) -> str:
    """A context value as typed: quoted when empty or not plain printable text (JSON: a
    newline in it is shown as ``\\n``, on the one line)."""
    plain = value and value.isprintable() and not any(c in value for c in ",; \"")
    return value if plain else json.dumps(value)
