"""`secretgraph history list`: the scans recorded in a history file or S3 prefix;
`secretgraph history prune`: delete old scans from a SQLite history (scanner.history.prune)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING

from tabulate import tabulate

from scanner.commands._outputs import terminal_width
from scanner.textfit import fit_line
from scanner.history import DEFAULT_HISTORY, open_store
from scanner.history.store import not_created_yet

if TYPE_CHECKING:
    from scanner.history.sqlite_store import PruneResult

HELP = ("list the scans recorded in the history (SQLite file or s3://bucket/prefix), or prune "
        "a SQLite one")
#: what -q/--quiet does here (scanner.cli: the help of -q)
QUIET_HELP = 'print no list, only errors'
#: with -q, standard output is discarded: errors (stderr) only
QUIET_DISCARDS_STDOUT = True


def default_history() -> str:
    """$SECRETGRAPH_HISTORY (set but empty: refused where used, scanner.history.store.
    check_location), else secretgraph-history.db."""
    from scanner.history.store import env_history

    value = env_history()
    return DEFAULT_HISTORY if value is None else value


def add_history_argument(parser: argparse._ActionsContainer, *,
                         suppress: bool = False, sqlite_only: bool = False) -> None:
    """--history, shared by history, diff and baseline (``suppress``: no default in the
    namespace when it is not given; the caller takes ``default_history()``; ``sqlite_only``:
    `history prune`, which refuses an s3:// history -- its help offered one)."""
    # the rule, not tonight's value ("$SECRETGRAPH_HISTORY or /its/value" read as two
    # places), in docs/configuration.md's words (new-user trial round 9)
    default = f"default: $SECRETGRAPH_HISTORY, else {DEFAULT_HISTORY}"
    parser.add_argument(
        "--history", metavar="PATH" if sqlite_only else "PATH|s3://BUCKET/PREFIX",
        default=argparse.SUPPRESS if suppress else default_history(),
        help=(f"the SQLite history file ({default}); an s3:// history is not pruned "
              "(docs/history.md, \"Retention\")") if sqlite_only
        else f"the history store ({default})")


def _options(parser: argparse.ArgumentParser) -> None:
    # defaults left out (SUPPRESS): given before or after ACTION, an option is kept (argparse
    # lets a sub-parser's default overwrite what the parent parsed); run() fills them in
    add_history_argument(parser, suppress=True)
    parser.add_argument("--format", choices=("table", "json"), default=argparse.SUPPRESS,
                        help="table (default) or json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _options(parser)  # `history --history FILE` lists, as `history list --history FILE` does
    sub = parser.add_subparsers(dest="history_command", metavar="ACTION")
    lst = sub.add_parser("list", help="list recorded scans in the order they were recorded (the default ACTION)")
    _options(lst)
    prune = sub.add_parser(
        "prune", help="delete old scans from a SQLite history (lists them and asks first)",
        description="Delete the scans older than --keep-days N days and/or not among the "
        "--keep N newest (with both, a scan either keeps is kept), and the payloads no kept "
        "scan shares, in one transaction; then VACUUM so the file shrinks. The newest "
        "complete scan and every scan after it are always kept: the next scan diffs against "
        "it and carries first_seen and unchanged policies from it. Lists what it would "
        "delete; deletes after 'yes' typed at the terminal, or with --yes.")
    add_history_argument(prune, suppress=True, sqlite_only=True)
    prune.add_argument("--keep-days", type=int, metavar="N", default=None,
                       help="keep the scans started in the last N days (N >= 1)")
    prune.add_argument("--keep", type=int, metavar="N", default=None,
                       help="keep the N newest scans (N >= 1)")
    prune.add_argument("--dry-run", action="store_true",
                       help="only list what would be deleted (exit 0)")
    prune.add_argument("--yes", action="store_true",
                       help="delete without asking (cron); review a --dry-run first")
    prune.add_argument("--no-vacuum", action="store_true",
                       help="do not VACUUM: the file keeps its size, and later scans reuse "
                       "the freed space (VACUUM holds the file's write lock while it copies "
                       "what is kept, and may need free disk space up to twice the file's size)")


def run(args: argparse.Namespace) -> int:
    given = getattr(args, "history", None)
    # not `or`: an empty --history is refused, not taken as "the default file"
    args.history = default_history() if given is None else given
    from scanner.history.store import check_location

    check_location(args.history)
    if getattr(args, "history_command", None) == "prune":
        return _prune(args)
    args.format = getattr(args, "format", "table")
    from scanner.history.damage import find_damaged

    store = open_store(args.history)
    records = store.list()
    # damaged scans (fault-injection trial round 8): marked, never hidden nor changed
    unread: dict[str, str] = {}
    damaged = find_damaged(store, records, unread) if records else {}
    if args.format == "json":
        json.dump({"history": args.history,
                   "scans": [{**r.to_json(), "damaged": damaged.get(r.scan_id)}
                             for r in records]},
                  sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 0
    if not records:
        print(fit_line(f"no scans recorded in {args.history}"
                       + not_created_yet(args.history), terminal_width()))
        return 0
    rows = [[r.scan_id, r.started_at, r.finished_at or "-",
             "DAMAGED" if r.scan_id in damaged else "yes" if r.complete else "NO",
             len(r.accounts), len(r.regions), r.counts.get("critical", 0), r.counts.get("high", 0),
             r.counts.get("fail", 0), r.counts.get("unknown", 0), r.counts.get("muted", 0),
             r.counts.get("coverage_gaps", 0)]
            for r in records]
    # muted: the FAIL and UNKNOWN findings a suppression entry muted that night -- a nightly
    # reader saw fail drop and could not tell a fix from a new entry (new-user trial round 36)
    table = tabulate(rows, headers=["scan", "started", "finished", "complete", "accounts",
                                    "regions", "critical", "high", "fail", "unknown", "muted",
                                    "gaps"])
    width = terminal_width()
    if width is not None and max(len(line) for line in table.splitlines()) > width:
        # the scan id holds its start time: the times give way, the counts stay; one space
        # between columns as wide as their header or value, so that a 32-character scan id
        # and nine columns fit 80 (new-user trial round 36: the five-wide layout was 84)
        head = ["complete", "acct", "rgn", "crit", "high", "fail", "unkn", "mute", "gaps"]
        first = max(len(str(r[0])) for r in rows)
        widths = [max(len(h), *(len(str(r[3 + i])) for r in rows)) for i, h in enumerate(head)]
        table = "\n".join(
            [f"{'scan':<{first}} " + " ".join(f"{h:<{w}}" if i == 0 else f"{h:>{w}}"
                                             for i, (h, w) in enumerate(zip(head, widths)))]
            + [f"{r[0]:<{first}} " + " ".join(f"{v:<{w}}" if i == 0 else f"{v:>{w}}"
                                             for i, (v, w) in enumerate(zip(r[3:], widths)))
               for r in rows])
    print(table)
    s3 = args.history.startswith("s3://")
    for scan_id, why in damaged.items():
        print(fit_line(f"note: scan {scan_id!r}: {why}; scan --history skips it as the "
                       "previous scan" + (
                           "; to remove it, see docs/history.md, 'A damaged scan'" if s3 else
                           ", and history prune deletes it once it is not among the scans it "
                           "always keeps (docs/history.md, 'A damaged scan')"),
                       terminal_width()), file=sys.stderr)
    for scan_id, why in unread.items():
        print(fit_line(f"note: scan {scan_id!r} could not be read to check it ({why})",
                       terminal_width()), file=sys.stderr)
    return 0


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"


def _compacted(history: str, result: "PruneResult") -> str:
    """The sizes before and after a VACUUM. With another process reading the history, the
    write-ahead log keeps the compacted copy until that reader finishes: the history is then
    larger for now, and "freed" would mislead (fault-injection trial round 5: "296.5 MB ->
    594.7 MB (0 bytes freed)")."""
    if result.wal_busy:
        return (f"{history}: compacted, but the write-ahead log could not be emptied: another "
                "process is reading the history; the space comes back when it finishes (or "
                f"on the next write) (now {_size(result.size_after)})")
    freed = max(result.size_before - result.size_after, 0)
    return f"{history}: {_size(result.size_before)} -> {_size(result.size_after)} " \
           f"({_size(freed)} freed)"


def _prune(args: argparse.Namespace) -> int:
    """`history prune`: list the scans the retention lets go, ask (or --yes), delete them in
    one transaction, VACUUM; what was removed and the bytes freed."""
    from datetime import datetime, timezone

    from scanner.errors import UsageError
    from scanner.history.prune import Retention, needed_scans, plan_prune
    from scanner.history.sqlite_store import SqliteHistoryStore

    width = terminal_width()

    def say(text: str) -> None:
        """A line of prune's report: broken between words on a terminal, one line in a file or
        a pipe (new-user trial: "FILE: N scan(s) ...; keeping 1 (always: SCAN, the newest
        complete scan, and the scans after it)" ran to column 129 at 80)."""
        print(fit_line(text, width, more="  "))

    retention = Retention(days=args.keep_days, count=args.keep)  # UsageError: exit 2
    if args.dry_run and args.yes:
        raise UsageError("--dry-run deletes nothing: leave out --yes (or --dry-run)")
    if getattr(args, "quiet", False) and not (args.yes or args.dry_run):
        raise UsageError("-q shows no list to confirm: give --yes (after a --dry-run), or "
                         "leave out -q")
    scheme = args.history.partition(":")[0] if "://" in args.history else ""
    store = None if scheme == "s3" else open_store(args.history)
    if not isinstance(store, SqliteHistoryStore):
        raise UsageError(
            f"--history {args.history}: prune works on a SQLite history only; an S3 history "
            "is not pruned by secretgraph (docs/history.md, \"Retention\")")
    records = store.list()
    if not records:
        say(f"no scans recorded in {args.history}: nothing to prune")
        return 0
    import functools

    from scanner.history.damage import find_damaged

    # a damaged newest complete scan is not the one the next night diffs against: the
    # newest intact one is kept too (fault-injection trial round 9)
    damaged = find_damaged(store, records)
    if damaged:
        needed_scans = functools.partial(needed_scans, damaged=tuple(damaged))
    plan = plan_prune(records, retention, datetime.now(timezone.utc), damaged=damaged)
    from scanner.history.records import future_scans

    ahead = future_scans(records, datetime.now(timezone.utc))
    newest_complete = next((r.scan_id for r in reversed(records)
                            if r.complete and r not in ahead and r.scan_id not in damaged),
                           None)
    # the first scan a later command needs: the newest complete scan, or the full scan before
    # a narrower newest one (--regions, --severity, --rules ...), which the next full night
    # compares with (scanner.history.prune._covering); only the newest complete scan was
    # named, and the full one kept before it nowhere (new-user trial 19)
    first_needed = next((r.scan_id for r in records
                         if r.scan_id in plan.needed and r not in ahead), None)
    if newest_complete and first_needed and first_needed != newest_complete and \
            any(r.scan_id == newest_complete for r in records[
                [r.scan_id for r in records].index(first_needed):]):
        always = (f" (always: {first_needed}, the newest complete scan of every account, "
                  f"Region and rule, which the next full scan compares with -- the newest "
                  f"complete scan, {newest_complete}, is narrower -- and the scans after it)")
    elif newest_complete:
        always = f" (always: {newest_complete}, the newest complete scan, and the scans after it)"
    else:
        always = " (always: the newest scans; none is complete)"
    say(f"{args.history}: {len(records)} scan(s), {_size(store.file_size())}; keeping "
        f"{len(plan.keep)}" + always)
    for scan_id in damaged:
        say(f"note: scan {scan_id!r} is damaged: not taken as the newest complete scan")
    if ahead:
        say(f"note: {len(ahead)} scan(s) started in the future (a clock ahead when they were "
            f"made: {', '.join(r.scan_id for r in ahead[:5])}): kept, and not taken as the "
            "newest")
    if not plan.remove:
        free = 0 if args.no_vacuum or args.dry_run else store.free_bytes()
        if not free:
            say("nothing to prune")
            return 0
        # an earlier prune whose compaction was stopped or failed ("run prune again to
        # compact it"): nothing to delete, the file compacted (fault-injection trial round 5:
        # prune again said "nothing to prune" and left the file as large)
        say(f"nothing to delete; compacting {_size(free)} left free by an earlier prune")
        result = store.prune([], needed=needed_scans, vacuum=True)
        say(_compacted(args.history, result))
        return 0
    say(f"{'would delete' if not args.yes else 'deleting'} {len(plan.remove)} scan(s):")
    for r in plan.remove:
        print(f"  {r.scan_id}  {r.started_at}  {'complete' if r.complete else 'INCOMPLETE'}")
    if args.dry_run:
        say("dry run: nothing was deleted")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError("refusing to delete without confirmation: stdin is not a "
                             "terminal; review the list above and add --yes")
        from scanner.commands._outputs import ask_yes

        if not ask_yes(f"Delete {len(plan.remove)} scan(s) from {args.history}?",
                       "nothing was deleted"):
            say("nothing was deleted")
            return 0
    result = store.prune([r.scan_id for r in plan.remove], needed=needed_scans,
                         vacuum=not args.no_vacuum)
    # a listed scan not deleted is either gone (another prune deleted it first) or still
    # there and needed; only the latter is "kept" (fault-injection trial round 5: a prune
    # that lost a race said "kept 3 a scan recorded meanwhile needs", keeping nothing)
    say(f"deleted {len(result.scans)} scan(s) and {result.blobs} payload(s) "
        f"({_size(result.payload_bytes)} stored)"
        + (f"; {len(result.gone)} already deleted by another prune" if result.gone else "")
        + (f"; kept {len(result.kept)} a scan recorded meanwhile needs"
           if result.kept else ""))
    if result.vacuumed:
        say(_compacted(args.history, result))
    else:
        say(f"{args.history}: not compacted (--no-vacuum): {_size(result.size_after)}; "
            "later scans reuse the freed space")
    return 0
