"""`secretgraph access`: its answer as a table for the terminal (fitted to its width) or as
JSON (``--format json``)."""

from __future__ import annotations

import json
from typing import Any, Mapping

from tabulate import tabulate

from scanner.access.verdicts import reach_counts
from scanner.graph.schema import PUBLIC_PRINCIPAL, SCHEDULED_DELETION, aws_managed_key_arn
from scanner.policy.arn import partition
from scanner.textfit import fit_line, terminal_safe


#: how the table names a ``reached_through`` value
def _through_label(via: str) -> str:
    if via == PUBLIC_PRINCIPAL:
        return ("the `*` path (any principal of an account outside the trust zone that no "
                "policy of the secret names)")
    if via.startswith("organization:"):
        return f"the reach to its organization ({via}): its account's IAM was not read"
    return f"the reach to its account ({via})"


def _paths(sa: Any, principals: frozenset[str] | None,
           through: dict[str, str] | None = None) -> list[Any]:
    """The paths of ``principals`` (all without), and the ``*`` path where it is how the
    principal asked about reaches the secret (``reached_through``)."""
    star = (through or {}).get(sa.secret_arn) == PUBLIC_PRINCIPAL
    return [p for p in sa.paths if principals is None or p.principal in principals
            or (star and p.principal == PUBLIC_PRINCIPAL)]


def render_json(secrets: list[Any], principals: frozenset[str] | None,
                aliases: dict[str, str] | None = None, *,
                through: dict[str, str] | None = None,
                rotation: Mapping[str, Any] | None = None) -> str:
    from scanner.access.report import path_dict
    from scanner.model import to_jsonable

    data = []
    for sa in sorted(secrets, key=lambda s: s.secret_arn):
        read = _rotation((rotation or {}).get(sa.secret_arn), principals)
        data.append({
            "secret_arn": sa.secret_arn, "name": sa.name, "account_id": sa.account_id,
            "region": sa.region,
            # the AWS-managed key as its alias ARN, not the graph's id for it
            "key_arn": aws_managed_key_arn(sa.key_arn, partition(sa.secret_arn))
            if sa.aws_managed_key and sa.key_arn else sa.key_arn,
            "key_alias": (aliases or {}).get(sa.key_arn or ""),
            "aws_managed_key": sa.aws_managed_key,
            "breadth": to_jsonable(sa.breadth),
            "unintended": [to_jsonable(g) for g in sa.unintended],
            "reach": [dict(to_jsonable(r), label=r.label) for r in sa.reach],
            "paths": [path_dict(p, sa.secret_arn) for p in _paths(sa, principals, through)],
            # --principal: how it reaches the copy without a path of its own ("*" or
            # "account:<id>"), only when it does
            **({"reached_through": (through or {})[sa.secret_arn]}
               if sa.secret_arn in (through or {}) else {}),
            "problems": list(sa.problems),
            # the rotation function's role's read, where the secret is rotated by a function
            # of the snapshot (secret-rotation-role-cannot-read)
            **({"rotation": _rotation_dict(read)} if read is not None else {}),
            # only when set, as in the access report's JSON
            **({"scheduled_deletion": True, "no_readers": SCHEDULED_DELETION}
               if sa.scheduled_deletion else {}),
            **({"assessed": False, "failed": sa.failed} if sa.failed else {}),
        })
    return json.dumps({"secrets": data}, indent=2, sort_keys=True) + "\n"


def _rotation_dict(read: Any) -> dict[str, Any]:
    from scanner.access.report import path_dict

    return {"function_arn": read.function_arn, "role_arn": read.role_arn,
            "decision": read.decision,
            "blocking": list(read.blocking), "role_missing": read.role_missing,
            "untrusted": read.untrusted or None, "trust_unread": bool(read.trust_unread),
            "missing": read.missing or None,
            "path": path_dict(read.path, read.secret_arn) if read.path is not None
            else None}


def in_short(p: Any) -> str:
    """One line in plain words heading ``--why`` for a principal: the rule its read follows and
    which gates decide it here, from the gates' own statuses (nothing is re-decided). Someone
    who does not know IAM evaluation read "resource_policy: DENIED" under an ALLOWED same-account
    reader as a problem, and a DENIED cross-account reader with nothing saying what opens it
    (new-user trial round 36). IAM User Guide, "Cross-account policy evaluation logic": "the
    requesting account must have an identity-based policy that allows the request and the
    resource-based policy in the account that owns the resource must also allow it"; "Policy
    evaluation logic": within an account "an allow in either an identity-based policy or a
    resource-based policy" allows, "an explicit deny in any of these policies overrides the
    allow", and a KMS key's policy must allow the use of the key in every case (AWS KMS
    Developer Guide, "Key policies": "every KMS key must have exactly one key policy")."""
    gates = p.gates
    if p.cross_account:
        rule = ("from another account, the secret's resource policy, the key policy and the "
                "caller's identity policy must each allow it, and no explicit Deny may apply "
                "(SCPs included)")
        deciding = [g for g in ("resource_policy", "key_policy", "identity_policy", "scp")
                    if g in gates]
    else:
        rule = ("in the secret's own account, an Allow in the identity policy or in the "
                "resource policy is enough (either one), the key policy must allow "
                "kms:Decrypt, and no explicit Deny may apply (SCPs included)")
        deciding = [g for g in ("key_policy", "scp") if g in gates]
        either = [gates[g] for g in ("resource_policy", "identity_policy") if g in gates]
        if any(v.explicit_deny for v in either) or all(v.status == "DENIED" for v in either):
            deciding = [g for g in ("resource_policy", "identity_policy") if g in gates] \
                + deciding
    blocking = [g for g in deciding if gates[g].status == "DENIED"]
    if p.decision == "DENIED" and blocking:
        why = []
        for g in blocking:
            v = gates[g]
            if getattr(v, "key_unusable", ""):
                why.append(f"{g}: {v.key_unusable} (nothing decrypts with it)")
            elif v.explicit_deny:
                why.append(f"{g}: an explicit Deny applies (remove or narrow it; no Allow "
                           "overrides it)")
            else:
                why.append(f"{g}: none of its Allow statements applies to this principal "
                           "(adding one opens this gate)")
        return f"DENIED by {'; '.join(why)}. The rule: {rule}"
    if p.decision == "ALLOWED":
        note = ""
        if not p.cross_account:
            idle = [g for g in ("resource_policy", "identity_policy")
                    if g in gates and gates[g].status == "DENIED" and not gates[g].explicit_deny]
            if idle:
                note = (f"; {idle[0]} DENIED only means it grants nothing itself, and the "
                        "other's Allow is enough")
        return f"ALLOWED. The rule: {rule}{note}"
    if p.decision == "DENIED":
        return f"DENIED. The rule: {rule}"
    open_gates = [g for g in deciding if gates[g].status in ("CONDITIONAL", "UNKNOWN")]
    named = f" ({', '.join(f'{g} {gates[g].status}' for g in open_gates)})" if open_gates else ""
    return (f"{p.decision}: allowed only if what is unresolved below holds, or not known"
            f"{named}. The rule: {rule}")


def _note(p: Any) -> str:
    notes = []
    if not p.cross_account:
        notes.append("same account (identity OR resource policy)")
    if p.broken_at:
        notes.append(f"BROKEN at {', '.join(p.broken_at)}")
    if p.conditions:
        notes.append(f"if: {', '.join(p.conditions)}")
    if p.principal_type == "public" or (not p.in_zone and not p.allow_listed):
        notes.append("outside the trust zone")
    return "; ".join(notes)


#: how the table names a grant's ``unintended`` value (the JSON keeps the value): the trust
#: zone decides it (scanner/policy/trust_zone.py), the organization only when it was read
_UNINTENDED = {"outside-organization": "outside the trust zone"}


def _reach_line(r: Any) -> str:
    """One class of readers a "*" or account-wide grant reaches, with its counts."""
    counts = "" if r.principals is None else ": " + reach_counts(
        r.principals, r.conditional_principals or 0, r.accounts or 0,
        len(r.unassessed_accounts))
    extra = ""
    if r.blocked_by:
        extra += f"; blocked by {', '.join(r.blocked_by)}"
    if getattr(r, "missing", ()):
        # what the class's decision depends on that was not read ("resource policy not
        # collected"): a CONDITIONAL class says why (fault trial round 3, left by its fix)
        extra += f"; if: {', '.join(r.missing)}"
    return f"{r.label} -> {r.decision}{counts}{extra}"


def _rotation(read: Any, principals: frozenset[str] | None) -> Any:
    """The secret's rotation read (``AccessReport.rotation``) to show: every one without a
    principal asked about, else only the asked principal's."""
    if read is None or (principals is not None and read.role_arn not in principals):
        return None
    return read


def rotation_line(read: Any) -> str:
    """How the rotation function's role reads the secret (secret-rotation-role-cannot-read's
    verdict, in the words of the paths' table)."""
    head = f"{read.function_arn} as {read.role_arn or '?'}"
    if read.missing:
        return f"{head} -> UNKNOWN (not read: {read.missing})"
    if read.role_missing:
        return f"{head} -> DENIED (the role does not exist: Lambda cannot assume it)"
    if read.untrusted:
        return f"{head} -> DENIED (Lambda cannot assume the role: {read.untrusted})"
    path = read.path
    if path.decision == "DENIED":
        return f"{head} -> DENIED" + (f", blocked by {', '.join(read.blocking)}"
                                      if read.blocking else "")
    if read.trust_unread:
        return f"{head} -> UNKNOWN (the role's trust policy: {read.trust_unread})"
    return f"{head} -> {path.decision}" + (f" (if: {', '.join(path.conditions)})"
                                           if path.conditions else "")


def render_table(secrets: list[Any], principals: frozenset[str] | None,
                 aliases: dict[str, str] | None = None, *, why: bool,
                 replicas: int = 0, single: bool = False, width: int | None = None,
                 through: dict[str, str] | None = None, asked: str | None = None,
                 denied_listed: bool = True,
                 rotation: Mapping[str, Any] | None = None) -> str:
    """The access of each secret as text; in a terminal narrower than the principals' table
    (``width``), one principal per line with its gates under it. ``through``: per copy, how
    the principal asked about (``asked``) reaches it without a path of its own.
    ``denied_listed`` False (no ``--all``): a principal with no path is told that --all lists
    the reads denied to it (new-user trial round 27: "no access path for this principal"
    alone)."""
    import textwrap

    lines: list[str] = []

    def add(line: str) -> None:
        """One line: names, ARNs, Sids and reasons come from the audited accounts, and a
        newline among them must not forge a line of its own (nor a control character
        rewrite the screen)."""
        lines.append(terminal_safe(line, newlines=False))

    def emit(text: str, indent: str = "  ", more: str = "    ") -> None:
        """One line, or in a terminal (``width``) wrapped to it (textfit.fit_line),
        continuation lines ``more`` deeper."""
        lines.extend(fit_line(indent + terminal_safe(text, newlines=False), width,
                              more=more).split("\n"))

    principal = (", ".join(sorted(principals)) or asked) if principals is not None else None
    for sa in sorted(secrets, key=lambda s: s.secret_arn):
        paths = _paths(sa, principals, through)
        via = (through or {}).get(sa.secret_arn)
        alias = (aliases or {}).get(sa.key_arn or "")
        key = "aws/secretsmanager (AWS-managed)" if sa.aws_managed_key else (
            f"{alias} ({sa.key_arn})" if alias else (sa.key_arn or "?"))
        b = sa.breadth
        emit(sa.secret_arn, "")  # an ARN wider than the terminal is broken in it
        emit(f"key: {key}")
        emit(f"readers: {b.principals} principal(s) in {b.accounts} account(s); "
             f"conditional: {b.conditional_principals}"
             + ("; organization-wide grant" if b.organization_wide else "")
             + ("; PUBLIC grant" if b.public else ""))
        for r in sa.reach:
            emit(f"reach: {_reach_line(r)}")
        read = _rotation((rotation or {}).get(sa.secret_arn), principals)
        if read is not None:
            emit(f"rotation: {rotation_line(read)}")
        for g in sa.unintended:
            # the grant holds only when its condition keys do, as the gates' reasons say
            # ("Allow applies only if: ..."); it read "(unless: aws:sourceip)", the condition
            # the wrong way round (new-user trial round 21, left open by round 20)
            cond = f" (only if: {', '.join(g.conditions)})" if g.conditions else ""
            emit(f"unintended: {g.principal} [{_UNINTENDED.get(g.unintended or '', g.unintended)}]"
                 f" in {g.statement}{cond}")
        for problem in sa.problems:
            emit(f"policy problem: {problem}")
        if sa.scheduled_deletion:
            emit(f"no readers: {SCHEDULED_DELETION}")
        if sa.failed:
            emit(f"readers UNKNOWN: the access analysis of this secret failed ({sa.failed}); "
                 "please report it")
        if via is not None:
            emit(f"{asked or principal}: no path of its own to this secret; reached through "
                 f"{_through_label(via)}")
        if not paths and via is not None:
            add("")
            continue
        if not paths and sa.failed:
            add("")  # said above: its readers are unknown
            continue
        if not paths:
            add("  (no principal to show)" if principal is None else
                f"  {principal}: no access path recorded (not a reader, not intended"
                + ("" if denied_listed else "; --all shows a read a policy grants it but "
                   "another gate denies") + ")")
            add("")
            continue
        rows = [[terminal_safe(cell, newlines=False) for cell in (
            p.principal, p.decision, p.gates["resource_policy"].status,
            p.gates["key_policy"].status, p.gates["identity_policy"].status,
            p.gates["scp"].status, _note(p))] for p in paths]
        table = tabulate(rows, headers=["principal", "decision", "resource", "key",
                                        "identity", "scp", "notes"], tablefmt="simple")
        if width is None or max(len(line) for line in table.splitlines()) + 2 <= width:
            lines.extend("  " + line for line in table.splitlines())
        else:
            for principal_arn, decision, resource, key_gate, identity, scp, note in rows:
                emit(f"{principal_arn}: {decision}")
                lines.extend(textwrap.wrap(
                    f"resource {resource}, key {key_gate}, identity {identity}, scp {scp}"
                    + (f"; {note}" if note else ""), width=max(40, width - 6),
                    initial_indent="      ", subsequent_indent="      ",
                    break_on_hyphens=False))
        if why:
            for p in paths:
                emit(f"why {p.principal}:")
                emit(f"in short: {in_short(p)}", "    ", "  ")
                for name, gate in p.gates.items():
                    add(f"    {name}: {gate.status}")
                    for r in gate.reasons:
                        if r in gate.conditions:
                            continue  # said once, below, as unresolved (new-user trial 16)
                        emit(f"- {r}", "      ", "  ")
                    for c in gate.conditions:
                        emit(f"? unresolved: {c}", "      ", "  ")
        add("")
    if not secrets:
        add(("no access path for this principal" + (
            "" if denied_listed else ": it reads no secret and none is meant for it (--all "
            "also lists the secrets a policy grants it but another gate denies)"))
            if principal else
            "no secrets in the snapshot")
    elif replicas and principals is None and not single:
        add(f"{replicas} replica(s) not listed: query one with --secret ARN, or "
                     "--secret NAME --region R")
    return "\n".join(lines) + "\n"
