"""The journal: JSON lines, one header then one line per change, flushed as it happens.

Each change line holds the planned change, what the resource looked like just before
(``before``, with exact policy texts) and just after (``after``), and the status:
applied | noop | refused | failed | partial | verify-failed (undo journals: undone | noop |
refused | failed | verify-failed | not-reversible). In an apply journal, a change line with an
``after`` also has ``prediction``: the state the plan predicted, whether the re-read state
matches it, and which keys differ. ``--undo JOURNAL`` reads an apply journal back.

Write-ahead: before its first write call, a change gets a ``started`` line (with ``before``);
its outcome line follows. A change whose last line is ``started`` was in flight when the run
stopped (Ctrl-C, SIGTERM, a crash): a call may have landed, so ``--undo`` re-reads it. A run
that stops early ends with an ``end`` line marked ``interrupted``; a last line cut off by a
crash while it was written is ignored (the ``started`` line before it stands).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Mapping, Sequence

from remediations import REMEDIATORS
from remediations.policy_edit import parsed_or_none
from scanner import input_file, json_text
from scanner.changes import (PlannedChange, canonical_json, change_problem, differences,
                             matches, now_iso)
from scanner.errors import InputError
from scanner.format_version import is_version, shown
from scanner.remediate.planfile import shape_error

JOURNAL_KIND = "secretgraph-remediation-journal"
JOURNAL_VERSION = 1
#: what to do with a journal line that is not of a journal's shape
_EDITED = "the journal was changed after it was written (by hand, or damaged), and what " \
    "--undo writes back comes from it: undo from an intact copy of the journal, or restore " \
    "each change's before state by hand"


class JournalWriter:
    def __init__(self, path: str | Path, *, mode: str, plan_id: str,
                 estate: Mapping[str, Any], source: str | None = None) -> None:
        self.path = Path(path)
        self.mode = mode
        if self.path.exists():
            raise InputError("journal already exists; give a new --journal path",
                             path=str(self.path))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: IO[str] = self.path.open("x", encoding="utf-8")
        self._seq = 0
        #: the change whose started line was written and whose outcome line was not
        self.in_flight: PlannedChange | None = None
        #: the change and status of the last outcome line written
        self.last_outcome: tuple[PlannedChange, str] | None = None
        self._write({"type": "header", "kind": JOURNAL_KIND, "version": JOURNAL_VERSION,
                     "mode": mode, "plan_id": plan_id, "estate": dict(estate),
                     "source": source, "started_at": now_iso()})

    def _write(self, record: Mapping[str, Any]) -> None:
        record = dict(record, digest=record_digest(record))
        try:
            self._fh.write(json.dumps(record, sort_keys=False) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:  # a full disk, a lost mount: no later change may be made
            raise JournalError(f"cannot write the journal: {exc.strerror or exc}",
                               path=str(self.path)) from None

    def started(self, change: PlannedChange, before: Mapping[str, Any]) -> None:
        """The write-ahead line of a change about to make its calls."""
        self.in_flight = None
        self._seq += 1
        self._write({"type": "change", "seq": self._seq, "at": now_iso(), "status": "started",
                     "change": change.to_json(), "before": dict(before), "after": None,
                     "message": "calls about to be made"})
        self.in_flight = change  # its started line is written, its outcome is not

    def change(self, change: PlannedChange, *, status: str, before: Mapping[str, Any] | None,
               after: Mapping[str, Any] | None, message: str = "") -> None:
        self._seq += 1
        record: dict[str, Any] = {
            "type": "change", "seq": self._seq, "at": now_iso(), "status": status,
            "change": change.to_json(), "before": dict(before) if before else None,
            "after": dict(after) if after else None, "message": message}
        if after is not None and self.mode == "apply":
            # the re-read state against the state the plan predicted (change.effect holds the
            # predicted readers and findings; the rescan checks those)
            diff = differences(change.desired_state, after)
            record["prediction"] = {"predicted_state": dict(change.desired_state),
                                    "matches": not diff, "differences": diff}
        self._write(record)
        # only once the line is written: a change whose outcome line could not be written
        # stays in flight (its started line is the journal's last word on it, and the stop
        # line names it -- fault-injection trial round 4)
        self.in_flight = None
        self.last_outcome = (change, status)

    def close(self, summary: Mapping[str, int], *, interrupted: str | None = None) -> None:
        record: dict[str, Any] = {"type": "end", "finished_at": now_iso(),
                                  "summary": dict(summary)}
        if interrupted:
            record["interrupted"] = interrupted
        try:
            self._write(record)
        finally:
            try:
                self._fh.close()
            except OSError:  # what a failed write left in the buffer cannot go either
                pass


def record_digest(record: Mapping[str, Any]) -> str:
    """The digest a journal line carries of itself (every member but ``digest``): what
    --undo writes back comes from the journal, so a line edited by hand is refused."""
    body = {k: v for k, v in record.items() if k != "digest"}
    return "sha256:" + hashlib.sha256(canonical_json(body).encode()).hexdigest()


class JournalError(InputError):
    """The journal could not be written: the run stops before its next change."""


@dataclass(frozen=True, kw_only=True, slots=True)
class JournalEntry:
    seq: int
    status: str
    change: PlannedChange
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None


@dataclass(frozen=True, kw_only=True, slots=True)
class Journal:
    path: str
    mode: str
    plan_id: str
    estate: Mapping[str, Any]
    #: each change's outcome: its last line (``started`` when the run stopped during it), in
    #: the order the outcomes were written
    entries: tuple[JournalEntry, ...]
    #: its last line was cut off while written, and is left out: "change" (the outcome of
    #: the change in flight, whose started line stands: it is re-read), "first" (a change's
    #: first line -- its started line, or a noop or refused outcome: in a write-ahead
    #: journal, no call of that change was made), "end" (None: not)
    torn: str | None = None
    #: written by a version that re-reads the resource after a failed call (its write-ahead
    #: "started" lines, or its digests, show it): a "failed" line without "after" there means
    #: the re-read failed too (earlier journals' "failed" lines never re-read)
    digested: bool = False


def _check_edits(rec: Mapping[str, Any], change: PlannedChange, entry: JournalEntry, *,
                 path: str, field: str) -> None:
    """What --undo writes back comes from the journal, so an edited line is refused, as an
    edited plan is: the change id is the digest of its calls, the pre-state has its digest, and
    the ``before`` of a change that made calls is the plan's pre-state (apply refuses to start
    a change otherwise). Like the plan's digests this catches edits and corruption, not someone
    who recomputes them: keep journals where only the remediation operators can write."""
    data = rec["change"]
    wrong = change_problem(change)
    if wrong is not None:
        raise InputError(f"{wrong[1]}: the journal was edited", path=path,
                         field=f"{field}.change.{wrong[0]}" if wrong[0] != "change_id"
                         else field)
    if data.get("pre_state_digest") not in (None, change.pre_state_digest):
        raise InputError("the change's pre_state does not match its digest: the journal was "
                         "edited", path=path, field=field)
    if entry.status in ("applied", "partial", "verify-failed", "failed", "started") and \
            entry.before is not None:
        # the exact texts undo writes back must be the parsed states compared with the plan
        texts_agree = all(
            canonical_json(parsed_or_none(v)) == canonical_json(entry.before[k[:-5]])
            for k, v in entry.before.items()
            if k.endswith("_text") and k[:-5] in entry.before and isinstance(v, (str, type(None))))
        if not texts_agree or not matches(change.pre_state, entry.before):
            raise InputError("the state recorded before the change is not the state the plan "
                             "was made on: the journal was edited", path=path, field=field)


def _check_seq(rec: Mapping[str, Any], due: int, *, path: str, field: str) -> None:
    """The change lines are numbered 1, 2, ... as written (``seq``): each line's digest holds
    that line alone, so a change whose lines were taken out (or lines moved) left every digest
    intact, and --undo put back the changes left, said it was done, and left the one removed
    made (safe-fixes trial round 14)."""
    if rec["seq"] != due:
        raise InputError(f"line seq {rec['seq']} where seq {due} was due: lines were removed "
                         f"from the journal, or moved; {_EDITED}", path=path, field=field)


def _check_counts(end: Mapping[str, Any], entries: Sequence[JournalEntry], *,
                  path: str, field: str) -> None:
    """The end line of an apply that was not stopped counts each change's outcome, as the
    lines above it do: the last change's lines taken out (the ``seq`` of those left still
    runs 1, 2, ...) are missing from them. A stopped run's count may lack the change in
    flight, so it is not compared (nor can lines removed with the end line be told from a
    run killed there)."""
    summary = end.get("summary")
    if end.get("interrupted") or not isinstance(summary, Mapping):
        return
    counted: dict[str, int] = {}
    last: dict[str, str] = {}
    for entry in entries:  # a started line, then its outcome: the outcome stands
        last.pop(entry.change.change_id, None)
        last[entry.change.change_id] = entry.status
    for status in last.values():
        counted[status] = counted.get(status, 0) + 1
    said = {str(k): v for k, v in summary.items() if v}
    if said != counted:
        def text(counts: Mapping[str, Any]) -> str:
            return ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "nothing"

        raise InputError(f"the end line counts {text(said)}, the lines above it "
                         f"{text(counted)}: lines were removed from the journal; {_EDITED}",
                         path=path, field=field)


def read_journal(path: str | Path) -> Journal:
    p = Path(path)
    try:
        lines = input_file.read_text(p).splitlines()
    except OSError as exc:
        raise InputError(f"cannot read journal: {exc.strerror or exc}", path=str(p)) from None
    except UnicodeDecodeError as exc:  # a binary file given by mistake (bad-input trial round 1)
        raise InputError(f"cannot read journal: not UTF-8 text (byte {exc.start})",
                         path=str(p)) from None
    records: list[Any] = []
    torn: str | None = None
    last = max((n for n, line in enumerate(lines, start=1) if line.strip()), default=0)
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json_text.loads(line))
        except json.JSONDecodeError:
            if n == last and n > 1:  # cut off while written (a crash, a full disk)
                torn = "end" if line.startswith('{"type": "end"') else "change"
                continue
            raise InputError("not a JSON line", path=str(p), field=f"line {n}") from None
    if not records or not isinstance(records[0], dict) or records[0].get("kind") != JOURNAL_KIND:
        raise InputError("not a secretgraph remediation journal", path=str(p), field="line 1")
    header = records[0]
    if not is_version(header.get("version"), JOURNAL_VERSION):
        raise InputError(f"journal version {shown(header.get('version'))} is not {JOURNAL_VERSION}",
                         path=str(p), field="line 1")
    # digests since the eighth session: a journal whose header has one has them on every line
    # (a line without one is from an earlier version only when the header has none either)
    digested = "digest" in records[0]
    for n, rec in enumerate(records, start=1):
        if digested and isinstance(rec, dict) and "digest" not in rec:
            raise InputError("this line has no digest: the journal was edited",
                             path=str(p), field=f"record {n}")
        if isinstance(rec, dict) and "digest" in rec and rec["digest"] != record_digest(rec):
            raise InputError("this line does not match its digest: the journal was edited",
                             path=str(p), field=f"record {n}")
    wrong = shape_error(header, "journal_header")
    if wrong is not None:
        raise InputError(f"{wrong[1]}; {_EDITED}", path=str(p), field=f"record 1.{wrong[0]}")
    entries: list[JournalEntry] = []
    end: Mapping[str, Any] | None = None
    end_at = 0
    for n, rec in enumerate(records[1:], start=2):
        if not isinstance(rec, dict) or rec.get("type") not in ("change", "end"):
            raise InputError("unexpected record", path=str(p), field=f"record {n}")
        wrong = shape_error(rec, f"journal_{rec['type']}")
        if wrong is not None:
            raise InputError(f"{wrong[1]}; {_EDITED}", path=str(p),
                             field=f"record {n}.{wrong[0]}")
        if rec["type"] == "end":
            end, end_at = rec, n
            continue
        _check_seq(rec, len(entries) + 1, path=str(p), field=f"record {n}")
        try:
            change = PlannedChange.from_json(rec["change"])
            entry = JournalEntry(seq=int(rec["seq"]), status=str(rec["status"]), change=change,
                                 before=rec.get("before"), after=rec.get("after"))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"malformed change record ({type(exc).__name__}: {exc})",
                             path=str(p), field=f"record {n}") from None
        if change.remediation_id not in REMEDIATORS:
            raise InputError(f"unknown remediation id {change.remediation_id!r}", path=str(p),
                             field=f"record {n}")
        if header.get("mode") == "apply":
            _check_edits(rec, change, entry, path=str(p), field=f"record {n}")
        entries.append(entry)
    if header.get("mode") == "apply" and end is not None and digested:
        # (a journal of an earlier version, without digests, marked no stop in its end line)
        _check_counts(end, entries, path=str(p), field=f"record {end_at}")
    # started lines came with the re-read after a failed call (journals from before the
    # digests have them too): a failed line without "after" there means "could not tell"
    write_ahead = digested or any(e.status == "started" for e in entries)
    if torn == "change" and write_ahead and (not entries or entries[-1].status != "started"):
        # no change was in flight: the line cut off was a change's first, written before
        # any call of it (fault-injection trial round 27: --undo said "the change it was
        # about is re-read", and then "nothing to undo")
        torn = "first"
    outcome: dict[str, JournalEntry] = {}
    for entry in entries:  # a started line, then its outcome: the outcome stands
        outcome.pop(entry.change.change_id, None)
        outcome[entry.change.change_id] = entry
    estate = header.get("estate")
    return Journal(path=str(p), mode=str(header.get("mode")), plan_id=str(header.get("plan_id")),
                   estate=estate if isinstance(estate, dict) else {},
                   entries=tuple(outcome.values()), torn=torn, digested=write_ahead)


def unfinished_apply(folder: str | Path, plan_id: str, planned: int) -> str | None:
    """What the newest apply journal of ``plan_id`` in ``folder`` says when that run did not
    finish (an ``end`` line marked ``interrupted``, or none: killed, crashed), as the note an
    apply of the same plan starts with; None when it finished or there is none. New-user
    trial 16: a run after an interrupted one went on without a word about it. Read loosely
    (a note, not a check): a journal that cannot be read is passed over."""
    journals = sorted(Path(folder).glob(f"remediation-journal-{plan_id}-*.jsonl"))
    if not journals:
        return None
    path = journals[-1]  # named by its start time (YYYYMMDDTHHMMSSZ): the newest sorts last
    try:
        lines = input_file.read_text(path).splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    status: dict[str, str] = {}
    end: Mapping[str, Any] | None = None
    for line in lines:
        try:
            rec = json_text.loads(line)
        except json.JSONDecodeError:
            continue  # a last line cut off while written
        if not isinstance(rec, dict):
            continue
        if rec.get("type") == "header" and (rec.get("mode") != "apply"
                                            or rec.get("plan_id") != plan_id):
            return None
        if rec.get("type") == "change" and isinstance(rec.get("change"), dict):
            status[str(rec["change"].get("change_id"))] = str(rec.get("status"))
        elif rec.get("type") == "end":
            end = rec
    if end is not None and not end.get("interrupted"):
        return None
    how = f"stopped by {end['interrupted']}" if end is not None else \
        "it has no end line: killed or crashed"
    done = sum(1 for s in status.values() if s != "started")
    flight = [c for c, s in status.items() if s == "started"]
    left = max(0, planned - len(status))
    note = (f"note: the last apply of this plan did not finish ({path}: {how}; {done} of "
            f"{planned} change(s) done, {left} not reached"
            + (f", {flight[0]} in flight" if flight else "") + "); this run goes on: each "
            "change is re-read first, and one already in place is a no-op")
    if flight:
        note += (f"; {flight[0]} may be partly made: if the plan is refused as drifted, "
                 f"secretgraph remediate --undo {path} takes back what landed")
    return note


#: an apply journal's outcomes after which a change may be in place (its calls landed)
_MADE = frozenset({"applied", "partial", "verify-failed", "started"})
#: an undo journal's outcomes after which nothing of the change is left to take back
_BACK = frozenset({"undone", "noop"})


def _loose_records(path: Path) -> list[Mapping[str, Any]]:
    """The records of a journal read loosely (a note, not a check): a line that cannot be
    read is passed over, a journal that cannot be read has none."""
    try:
        lines = input_file.read_text(path).splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    out: list[Mapping[str, Any]] = []
    for line in lines:
        try:
            rec = json_text.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def _outcomes(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    status: dict[str, str] = {}
    for rec in records:
        if rec.get("type") == "change" and isinstance(rec.get("change"), dict):
            status[str(rec["change"].get("change_id"))] = str(rec.get("status"))
    return status


def _taken_back(journal: Path) -> bool:
    """An undo journal beside ``journal`` (``<journal>.undo-<time>.jsonl``, the default
    name) ended without a stop and took back or found back every change it lists."""
    for undo in journal.parent.glob(f"{journal.stem}.undo-*.jsonl"):
        records = _loose_records(undo)
        ends = [r for r in records if r.get("type") == "end"]
        if ends and not ends[-1].get("interrupted") and \
                set(_outcomes(records).values()) <= _BACK:
            return True
    return False


def earlier_applies(journal_path: str | Path, plan_id: str) -> list[tuple[str, int]]:
    """The apply journals of ``plan_id`` beside ``journal_path`` written before it, newest
    first, with how many changes each may have left in place (made, and no undo journal of it
    beside it that took them back). An apply that goes on from an earlier one of the same plan
    finds that one's changes in place (no-ops): its own journal's --undo takes back only what
    it made (safe-fixes trial round 18: "to take it back: --undo <the second journal>" left
    the first apply's key-policy statement and secret-policy edit in place). So does the apply
    of a plan made again from the same scan after an apply that stopped (a change's id is the
    digest of its calls: the same change in both plans): the earlier journals of other plans
    beside it count the changes this run found in place, no-ops in its journal (safe-fixes
    trial round 19: the line named the second journal alone, and the change the first apply
    made stayed)."""
    return _other_applies(journal_path, plan_id, later=False)


def later_applies(journal_path: str | Path, plan_id: str) -> list[tuple[str, int]]:
    """``earlier_applies``' counterpart: the apply journals of the plan written after
    ``journal_path`` whose changes may still be in place, newest first -- changes made on top
    of the journal's, which its --undo finds in the way (safe-fixes trial round 18)."""
    return _other_applies(journal_path, plan_id, later=True)


def finished_later(journal_path: str | Path, plan_id: str) -> dict[str, str]:
    """Change id -> the later apply journal of ``plan_id`` beside ``journal_path`` that
    applied it (status ``applied``): a change this journal left ``started`` (its run stopped
    during it) that a later apply of the plan then made is that apply's, not this one's -- the
    later run found the resource as the plan started from, so the stopped one had made no call
    that landed (fault-injection trial round 27: SIGTERM during change 3, --apply again
    finished it, and --undo of the first journal took it back while the second still
    recorded it applied)."""
    current = Path(journal_path)
    mine = _loose_records(current)
    started = str(mine[0].get("started_at") or "") if mine else ""
    out: dict[str, str] = {}
    for path in sorted(current.parent.glob(f"remediation-journal-{plan_id}-*.jsonl")):
        if ".undo-" in path.name or path.resolve() == current.resolve():
            continue
        records = _loose_records(path)
        if not records or records[0].get("type") != "header" or \
                records[0].get("mode") != "apply" or records[0].get("plan_id") != plan_id:
            continue
        if (str(records[0].get("started_at") or ""), path.name) <= (started, current.name):
            continue
        for change_id, status in _outcomes(records).items():
            if status == "applied":
                out.setdefault(change_id, str(path))
    return out


def _other_applies(journal_path: str | Path, plan_id: str, *,
                   later: bool) -> list[tuple[str, int]]:
    current = Path(journal_path)
    mine = _loose_records(current)
    started = str(mine[0].get("started_at") or "") if mine else ""
    # the changes this run found in place: another plan's earlier apply may have made them
    in_place = {c for c, s in _outcomes(mine).items() if s == "noop"} if not later else set()
    found: list[tuple[tuple[str, str], str, int]] = []
    pattern = "remediation-journal-*.jsonl" if in_place else \
        f"remediation-journal-{plan_id}-*.jsonl"
    for path in current.parent.glob(pattern):
        if ".undo-" in path.name or path.resolve() == current.resolve():
            continue
        records = _loose_records(path)
        if not records or records[0].get("type") != "header" or \
                records[0].get("mode") != "apply":
            continue
        same = records[0].get("plan_id") == plan_id
        if not same and not in_place:
            continue
        # by start time, then name (stamped to the second, as the start time is); one apply
        # of a plan at a time: an apply's own journal is the newest of the plan
        when = (str(records[0].get("started_at") or ""), path.name)
        if (when > (started, current.name)) != later:
            continue
        made = sum(1 for c, s in _outcomes(records).items()
                   if s in _MADE and (same or c in in_place))
        if made and not _taken_back(path):
            found.append((when, str(path), made))
    return [(path, made) for _, path, made in sorted(found, reverse=True)]
