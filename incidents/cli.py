"""The `incidentmap` command: one CLI with subcommands for every layer.

geodata's commands (gazetteer, geocode) are registered by geodata itself; incidents adds its own;
`serve` starts the Streamlit dashboard as a separate process (the dashboard reads the store and
is never imported here).
"""

from __future__ import annotations

import argparse
import sys

from geodata import cli as geodata_cli


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="incidentmap",
                                description="Offline conflict-report geoparser, incident extractor and map.")
    sub = p.add_subparsers(dest="command", required=True)
    geodata_cli.register(sub)

    i = sub.add_parser("ingest", help="extract incidents from articles and store them")
    i.add_argument("paths", nargs="+", help="article files or folders (.txt, .md, .csv, .jsonl)")
    _common(i)
    i.add_argument("--quiet", action="store_true", help="no progress bar")
    i.set_defaults(func=cmd_ingest)

    x = sub.add_parser("extract", help="print the incidents of article(s) without storing them")
    x.add_argument("file")
    x.add_argument("--json", action="store_true", help="JSON array (default: one line per incident)")
    x.add_argument("--gazetteer", help="gazetteer index file")
    x.set_defaults(func=cmd_extract)

    e = sub.add_parser("export", help="write stored incidents as CSV (ACLED columns + ours) or GeoJSON")
    e.add_argument("--format", choices=("csv", "geojson"), default="csv")
    e.add_argument("--out", help="file to write (default: standard output)")
    _common(e, gazetteer=False)
    e.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD")
    e.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD")
    for flag in ("admin1", "admin2", "event-type", "actor", "text"):
        e.add_argument(f"--{flag}", dest=flag.replace("-", "_"))
    e.set_defaults(func=cmd_export)

    a = sub.add_parser("import-acled", help="import an ACLED export as incidents (source_kind=acled)")
    a.add_argument("file")
    _common(a)
    a.set_defaults(func=cmd_import_acled)

    s = sub.add_parser("serve", help="start the dashboard (Streamlit)")
    _common(s, gazetteer=False)
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--headless", action="store_true", help="do not open a browser")
    s.set_defaults(func=cmd_serve)
    return p


def _common(p, gazetteer: bool = True) -> None:
    p.add_argument("--db", help="incident store (default: $INCIDENTMAP_HOME/incidents.sqlite)")
    if gazetteer:
        p.add_argument("--gazetteer", help="gazetteer index file")


def cmd_ingest(args) -> int:
    from geodata.geoparser import Geoparser
    from incidents.ingest import ingest_paths
    from incidents.store import Store

    store = Store(args.db)
    summary = ingest_paths(args.paths, store, Geoparser(path=args.gazetteer), show_progress=not args.quiet)
    print(summary.text())
    print(f"store: {store.path} ({store.counts()['incidents']} incidents in all)")
    return 1 if summary.errors and not summary.articles else 0


def cmd_extract(args) -> int:
    import json

    from geodata.geoparser import Geoparser
    from incidents.articles import ArticleError, iter_articles
    from incidents.extract import extract

    gp = Geoparser(path=args.gazetteer)
    out, errors = [], 0
    for art in iter_articles([args.file]):
        if isinstance(art, ArticleError):
            print(f"error: {art}", file=sys.stderr)
            errors += 1
            continue
        out += [i.to_dict() for i in extract(art, gp)]
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for i in out:
            loc = i["location"]
            print(f"{i['date']}\t{i['sub_event_type']}\t{loc['name_en']} ({loc['name_ar']}) p{loc['precision']}\t"
                  f"{', '.join(a['name'] + '/' + a['role'] for a in i['actors'])}")
    return 1 if errors and not out else 0


def cmd_export(args) -> int:
    import json

    from incidents.acled import to_geojson, write_csv
    from incidents.store import Store, build_where

    store = Store(args.db, readonly=True)
    where, params = build_where(date_from=args.date_from, date_to=args.date_to, admin1=args.admin1, admin2=args.admin2,
                                event_type=args.event_type, actor=args.actor, text=args.text)
    rows = store.incidents(where, params)
    fh = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout
    try:
        if args.format == "csv":
            n = write_csv(rows, fh)
        else:
            gj = to_geojson(rows)
            json.dump(gj, fh, ensure_ascii=False)
            n = len(gj["features"])
    finally:
        if args.out:
            fh.close()
    print(f"{n} incident(s) exported", file=sys.stderr)
    return 0


def cmd_import_acled(args) -> int:
    import os

    from tqdm import tqdm

    from incidents.acled import read_acled
    from incidents.store import Store

    from geodata.gazetteer import Gazetteer, GazetteerMissing

    try:
        gaz = Gazetteer.load(args.gazetteer)
    except GazetteerMissing:
        gaz = None
        print("note: no gazetteer index; ACLED's own admin names are kept", file=sys.stderr)
    store = Store(args.db)
    rows, errors = [], []
    for r in tqdm(read_acled(args.file, gaz), unit=" rows", desc="reading ACLED"):
        (errors if isinstance(r, str) else rows).append(r)
    key = f"acled:{os.path.abspath(args.file)}"
    store.save_rows(key, {"title": f"ACLED export {os.path.basename(args.file)}", "source": "ACLED",
                          "path": args.file, "origin": "acled"}, rows)
    print(f"{len(rows)} ACLED incident(s) imported from {args.file}; {len(errors)} row(s) skipped")
    for e in errors[:20]:
        print(f"  error: {e}")
    return 0


def cmd_serve(args) -> int:
    import importlib.util
    import os
    import subprocess
    from pathlib import Path

    spec = importlib.util.find_spec("dashboard")
    app = Path(spec.origin).parent / "app.py"
    env = dict(os.environ)
    if args.db:
        env["INCIDENTMAP_DB"] = str(Path(args.db).resolve())
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--browser.gatherUsageStats", "false", "--server.enableStaticServing", "true",
           "--server.maxUploadSize", "5", "--server.fileWatcherType", "none"]
    if args.headless:
        cmd += ["--server.headless", "true"]
    child = subprocess.Popen(cmd, env=env)

    def stop(signum, _frame):  # SIGTERM/SIGINT: stop Streamlit too, never leave it behind
        child.terminate()
        try:
            child.wait(10)
        except subprocess.TimeoutExpired:
            child.kill()
        raise SystemExit(128 + signum)

    import signal

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        return child.wait()
    finally:
        if child.poll() is None:
            child.kill()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from geodata.gazetteer import GazetteerMissing
    from geodata.sources import SourceError
    from geodata.textio import UnreadableInput

    try:
        return args.func(args) or 0
    except (GazetteerMissing, SourceError, UnreadableInput, ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `incidentmap export | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
