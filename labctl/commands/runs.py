"""`labctl runs [--bench NAME --since DATE --sample TEXT --status S]`: the runs in a
database; `labctl runs show ID`: one run in detail."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone

DB_HELP = ("database file, or a lab's PostgreSQL database as postgresql://user@host/dbname "
           "(default: $LABCTL_DB, else ~/.local/share/labctl/labctl.sqlite)")


def since(text: str) -> str:
    """A date or date and time (ISO 8601; UTC unless it names an offset) as stored text."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date or time: {text!r} "
                                         "(e.g. 2026-11-30 or 2026-11-30T14:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def status(text: str) -> str:
    """A run status (the store's import waits until the command line is parsed)."""
    from labctl.store.schema import STATUSES

    if text not in STATUSES:
        raise argparse.ArgumentTypeError(f"{text!r} is not one of {', '.join(STATUSES)}")
    return text


def register(subparsers) -> None:
    parser = subparsers.add_parser("runs", help="list recorded runs",
                                   description="List the runs of a labctl database.")
    parser.add_argument("--db", metavar="PATH", help=DB_HELP)
    parser.add_argument("--bench", metavar="NAME", help="only runs of this bench (its bench "
                        "file's name or its PC's host name)")
    parser.add_argument("--since", metavar="DATE", type=since,
                        help="only runs started at or after DATE (UTC unless given)")
    parser.add_argument("--sample", metavar="TEXT",
                        help="only runs whose sample metadata contains TEXT (any case)")
    parser.add_argument("--status", metavar="S", type=status,
                        help="only runs with this status (running, done, failed, ...)")
    sub = parser.add_subparsers(dest="runs_command", metavar="show")
    show = sub.add_parser("show", help="one run: metadata, steps, events, recipe")
    show.add_argument("id", type=int, help="run id (first column of `labctl runs`)")
    show.add_argument("--db", metavar="PATH", default=argparse.SUPPRESS, help=DB_HELP)
    parser.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    from labctl.store import Store, db_path

    with Store.open(db_path(args.db), create=False) as store:
        if args.runs_command == "show":
            print(_details(store, args.id))
        else:
            runs = store.runs(bench=args.bench, since=args.since, sample=args.sample,
                              status=args.status)
            print(_table(["id", "name", "bench", "host", "status", "started (UTC)", "steps",
                          "points"],
                         [[r.id, r.name, r.bench_name or "-", r.bench_host or "-", r.status,
                           r.started_utc[:19], r.steps, r.points] for r in runs]))
    return 0


def _details(store, run_id: int) -> str:
    from labctl.runview import result_text
    from labctl.units import celsius_text

    run = store.run(run_id)
    seq = {s.id: s.seq for s in store.steps(run_id)}
    lines = [f"run {run.id}: {run.name}  [{run.status}]",
             f"uuid      {run.uuid}",
             f"operator  {run.operator}",
             f"started   {run.started_utc}",
             f"ended     {run.ended_utc or '-'}",
             f"software  {run.software}",
             f"sample    {json.dumps(run.sample, sort_keys=True)}",
             f"bench     {_bench(run.bench)}",
             f"temperature log: {len(store.temperature_log(run_id))} readings",
             "", "steps:",
             _table(["seq", "position", "kind", "status", "T (°C)", "points", "result",
                     "started (UTC)"],
                    [[s.seq, (s.path or "-") + (" (superseded)" if s.superseded else ""),
                      s.kind, s.status, celsius_text(s.temperature_K) or "-", s.points,
                      result_text(s.kind, s.result) or "-", s.started_utc[:19]]
                     for s in store.steps(run_id)]),
             "", "events:",
             _table(["time (UTC)", "level", "step", "message"],
                    [[e.time_utc[:19], e.level, seq.get(e.step_id, ""), e.message]
                     for e in store.events(run_id)]),
             "", "recipe:", run.recipe_text]
    return "\n".join(lines)


def _table(header: list[str], rows: list[list]) -> str:
    """Left-aligned text columns."""
    cells = [header] + [[str(c).replace("\n", " ") for c in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                     for row in cells)


def _bench(snapshot: dict) -> str:
    """The run's bench file and its instruments: `multi.toml: fra, furnace, smu` (the
    snapshot's other keys, such as the labctl version, are no instruments)."""
    instruments = ", ".join(name for name, entry in snapshot.items() if isinstance(entry, dict))
    source = snapshot.get("bench")
    return (f"{source}: " if isinstance(source, str) else "") + (instruments or "-")
