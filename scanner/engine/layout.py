"""The on-disk layout of findings.json (schema_version 2): the version-1 document with what many
rows repeat written once.

In memory (``findings_document``), in the history store and in ``--format jsonl`` every finding
row is complete: the version-1 row of the DESIGN.md contract. findings.json on disk writes the
same rows normalised, the way SARIF keeps rule metadata in ``tool.driver.rules``:

* ``rules``: per rule id, the ``title``, ``remediation`` and ``compliance`` its rows share. A row
  leaves out a member that equals its rule's entry (a row whose member differs keeps its own).
* ``account_names``: account id -> name. A row's ``resource.account_name`` is left out when it
  is the name given there.
* ``evidence_shared`` (at the end of the file): evidence that several rows carry, written once.
  A row's evidence keeps its own ``attributes`` and ``resource_tags`` and names the rest with
  ``"$shared": "eN"``; the first row carrying a piece of evidence keeps it inline.
* ``message`` is left out when it is the row's ``evidence.facts`` joined with ``"; "``;
  ``principal`` when null, ``missing`` when empty.

``expand_document`` turns a file of either version back into the version-1 document, rows
complete; ``reports.json_out.read_findings_json`` and remediation read through it, so nothing a
report, drift, Security Hub or remediation reads is lost.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Iterable, Iterator, Mapping

from scanner.errors import InputError
from scanner.format_version import is_version

#: findings.json as written to disk; the document in memory is version 1 with complete rows
FILE_SCHEMA_VERSION = 2
#: rule metadata moved to ``rules``
RULE_MEMBERS = ("title", "remediation", "compliance")
#: evidence members that belong to the row's resource, kept inline (not shared)
OWN_EVIDENCE = frozenset({"attributes", "resource_tags"})
SHARED_KEY = "$shared"
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":")).encode


def rules_catalogue(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per rule id, the title, remediation and compliance of its first row."""
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        rule_id = row["rule_id"]
        if rule_id not in out:
            out[rule_id] = {m: row[m] for m in RULE_MEMBERS if m in row}
    return out


def account_names(rows: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """account id -> name, from the rows' resources (the first name seen per account)."""
    out: dict[str, str] = {}
    for row in rows:
        r = row["resource"]
        name = r.get("account_name")
        if name is not None and r["account_id"] not in out:
            out[r["account_id"]] = name
    return out


class Compactor:
    """Turns complete rows into compact rows, one at a time, in file order, and collects the
    evidence written once (``shared``, emitted after the rows). Pieces of evidence are
    recognised by a 128-bit digest of their JSON text; only the digests of pieces seen once
    are kept, and the text of pieces seen twice or more."""

    def __init__(self, rules: Mapping[str, Mapping[str, Any]], names: Mapping[str, str]) -> None:
        self.rules = rules
        self.names = names
        self.seen: dict[bytes, str | None] = {}
        self.shared: dict[str, str] = {}  # name -> JSON text

    def row(self, row: Mapping[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": row["id"], "rule_id": row["rule_id"]}
        rule = self.rules.get(row["rule_id"], {})
        title = row.get("title")
        if "title" not in rule or title != rule["title"]:
            out["title"] = title
        out["severity"] = row["severity"]
        out["status"] = row["status"]
        resource = row["resource"]
        name = resource.get("account_name", None)
        if "account_name" in resource and name == self.names.get(resource["account_id"]):
            resource = {k: v for k, v in resource.items() if k != "account_name"}
        out["resource"] = resource
        evidence = row.get("evidence") or {}
        facts = evidence.get("facts")
        message = row.get("message", "")
        if not (isinstance(facts, list) and all(isinstance(f, str) for f in facts)
                and message == "; ".join(facts)):
            out["message"] = message
        if row.get("principal") is not None:
            out["principal"] = row["principal"]
        out["evidence"] = self._evidence(evidence)
        for member in ("remediation", "compliance"):
            if member not in rule or (row[member] is not rule[member]
                                      and row[member] != rule[member]):
                out[member] = row[member]
        if row.get("missing"):
            out["missing"] = row["missing"]
        for member, value in row.items():
            if member not in out and member not in _WRITTEN:
                out[member] = value  # first_seen, muted_by
        return out

    def _evidence(self, evidence: Mapping[str, Any]) -> Mapping[str, Any]:
        rest = {k: v for k, v in evidence.items() if k not in OWN_EVIDENCE}
        if not rest:
            return evidence
        text = _ENCODE(rest)
        if len(text) < 40:  # a reference ("$shared":"eN") would save little
            return evidence
        digest = hashlib.blake2b(text.encode(), digest_size=16).digest()
        if digest not in self.seen:
            self.seen[digest] = None
            return evidence
        name = self.seen[digest]
        if name is None:
            name = self.seen[digest] = f"e{len(self.shared)}"
            self.shared[name] = text
        own = {k: v for k, v in evidence.items() if k in OWN_EVIDENCE}
        own[SHARED_KEY] = name
        return own


_WRITTEN = frozenset({"id", "rule_id", "title", "severity", "status", "resource", "message",
                      "principal", "evidence", "remediation", "compliance", "missing"})


def expand_document(document: Mapping[str, Any], *, source: str = "findings.json"
                    ) -> dict[str, Any]:
    """The version-1 document of a findings.json of either version: every row complete,
    without ``rules``, ``account_names`` and ``evidence_shared``. A reference to a missing
    rule entry or shared evidence is an InputError naming the row."""
    if not is_version(document.get("schema_version"), FILE_SCHEMA_VERSION):
        return dict(document)
    rules = document.get("rules") or {}
    names = document.get("account_names") or {}
    shared = document.get("evidence_shared") or {}
    for what, value in (("rules", rules), ("account_names", names),
                        ("evidence_shared", shared)):
        if not isinstance(value, dict):
            raise InputError("expected an object", path=source, field=what)
    out = {k: v for k, v in document.items()
           if k not in ("rules", "account_names", "evidence_shared", "findings")}
    out["schema_version"] = 1
    rows = document.get("findings")
    out["findings"] = list(expand_rows(rows, rules, names, shared, source=source)) \
        if isinstance(rows, list) else rows
    return out


def expand_rows(rows: Iterable[Any], rules: Mapping[str, Any], names: Mapping[str, Any],
                shared: Mapping[str, Any], *, source: str = "findings.json"
                ) -> Iterator[Any]:
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            yield row  # the row check names it
            continue
        rule_id = row.get("rule_id")
        rule = rules.get(rule_id, {}) if isinstance(rule_id, str) else {}
        if not isinstance(rule, dict):
            raise InputError("expected an object", path=source,
                             field=f"rules/{row.get('rule_id')}")
        evidence = row.get("evidence")
        if isinstance(evidence, dict) and SHARED_KEY in evidence:
            ref = evidence[SHARED_KEY]
            piece = shared.get(ref) if isinstance(ref, str) else None
            if not isinstance(piece, dict):
                raise InputError(f"evidence refers to {ref!r}, which evidence_shared does not "
                                 "hold", path=source, field=f"findings/{i}/evidence/$shared")
            evidence = {k: v for k, v in evidence.items() if k != SHARED_KEY}
            evidence.update(piece)
        resource = row.get("resource")
        if isinstance(resource, dict) and "account_name" not in resource:
            account = resource.get("account_id")
            resource = dict(resource, account_name=names.get(account)
                            if isinstance(account, str) else None)
        full: dict[str, Any] = {
            "id": row.get("id"), "rule_id": row.get("rule_id"),
            "title": row["title"] if "title" in row else rule.get("title"),
            "severity": row.get("severity"), "status": row.get("status"),
            "resource": resource,
        }
        if "message" in row:
            full["message"] = row["message"]
        else:
            facts = evidence.get("facts") if isinstance(evidence, dict) else None
            full["message"] = "; ".join(facts) if isinstance(facts, list) else ""
        full["principal"] = row.get("principal")
        full["evidence"] = evidence
        for member in ("remediation", "compliance"):
            if member in row:
                full[member] = row[member]
            elif member in rule:
                full[member] = rule[member]
        full["missing"] = row.get("missing", [])
        for member, value in row.items():
            if member not in full:
                full[member] = value
        for member in ("id", "rule_id", "title", "severity", "status", "resource"):
            if full[member] is None:
                del full[member]  # the row check names what is missing
        yield full


def shared_json(shared: Mapping[str, str]) -> str:
    """The ``evidence_shared`` object as JSON text (its values are JSON texts already)."""
    return "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in shared.items()) + "}"
