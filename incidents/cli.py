"""The `incidentmap` command: one CLI with subcommands for every layer.

geodata's commands (gazetteer, geocode) are registered by geodata itself; incidents adds its own;
`serve` starts the Streamlit dashboard as a separate process (the dashboard reads the store and
is never imported here).
"""

from __future__ import annotations

import argparse
import sys

from geodata import cli as geodata_cli
from geodata.printable import printable as P  # free text in listings: escaped, one field on one line


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="incidentmap",
                                description="Offline conflict-report geoparser, incident extractor and map.")
    sub = p.add_subparsers(dest="command", required=True)
    geodata_cli.register(sub)

    i = sub.add_parser("ingest", help="extract incidents from articles and store them")
    i.add_argument("paths", nargs="+", help="article files or folders (.txt, .md, .csv, .jsonl)")
    _common(i)
    i.add_argument("--quiet", action="store_true", help="no progress bar")
    i.add_argument("--workers", type=int, default=1, metavar="N",
                   help="extract in N processes, each loading the geoparser once (default 1)")
    i.set_defaults(func=cmd_ingest)

    x = sub.add_parser("extract", help="print the incidents of article(s) without storing them")
    x.add_argument("file")
    x.add_argument("--json", action="store_true", help="JSON array (default: one line per incident)")
    x.add_argument("--gazetteer", help="gazetteer index file")
    x.set_defaults(func=cmd_extract)

    e = sub.add_parser("export", help="write stored incidents as CSV (ACLED columns + ours), GeoJSON, KML "
                                      "(Google Earth) or GeoPackage (QGIS)")
    e.add_argument("--format", choices=("csv", "geojson", "kml", "gpkg"), default="csv",
                   help="csv (default), geojson, kml (a Placemark per incident or event, folders per governorate) "
                        "or gpkg (a GeoPackage point layer; needs --out)")
    e.add_argument("--out", help="file to write (default: standard output)")
    e.add_argument("--no-neutralise", dest="neutralise", action="store_false",
                   help="CSV: write text cells verbatim, for programs; by default a cell beginning with = + - @ "
                        "tab or CR gets a ' in front so a spreadsheet shows it instead of running it as a formula")
    _filter_options(e, "export")
    e.set_defaults(func=cmd_export)

    rp = sub.add_parser("report", help="a situation report of the filtered incidents: one self-contained HTML "
                                       "file (map, counts, timeline, every passage) or a PDF for print")
    rp.add_argument("--out", required=True, metavar="FILE.html|FILE.pdf", help="the report; its suffix picks the format")
    rp.add_argument("--lang", choices=("en", "ar"), default="en", help="the report's language (ar: right to left)")
    rp.add_argument("--title", help="the report's title (default: 'Situation report' in its language)")
    rp.add_argument("--gazetteer", help="gazetteer index file (outlines and town names of the map)")
    rp.add_argument("--quiet", action="store_true", help="no progress bar")
    _filter_options(rp, "report")
    rp.set_defaults(func=cmd_report)

    a = sub.add_parser("import-acled", help="import an ACLED export as incidents (source_kind=acled)")
    a.add_argument("file")
    _common(a)
    a.set_defaults(func=cmd_import_acled)

    _register_places(sub)
    _register_review(sub)
    _register_backfill(sub)
    _register_db(sub)
    r = sub.add_parser("reprocess", help="re-extract every stored article with the current gazetteer and "
                                         "overlay, keeping every review")
    _common(r)
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.add_argument("--only-new-names", action="store_true",
                   help="only the articles that mention a name added to the overlay since the last reprocess")
    r.set_defaults(func=cmd_reprocess)

    _register_feeds(sub)
    s = sub.add_parser("serve", help="start the dashboard (Streamlit)")
    _common(s, gazetteer=False)
    s.add_argument("--port", type=int, default=8501)
    s.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; 0.0.0.0 opens it to the network)")
    s.add_argument("--headless", action="store_true", help="do not open a browser")
    s.add_argument("--auth", choices=("none", "header", "oidc"),
                   help="sign-in (sets INCIDENTMAP_AUTH for the dashboard): none (single user, the default), "
                        "header (a trusted reverse proxy passes the user in a header), oidc (Streamlit's st.login)")
    s.set_defaults(func=cmd_serve)
    return p


def _register_places(sub) -> None:
    from geodata.overlay import KINDS

    p = sub.add_parser("places", help="your own places: the overlay gazetteer ($INCIDENTMAP_HOME/overlay-places.csv)")
    psub = p.add_subparsers(dest="places_command", required=True)
    a = psub.add_parser("add", help="add a place to the overlay; prints its id")
    a.add_argument("--name-ar", required=True, help="Arabic name")
    a.add_argument("--name-en", default="", help="English name")
    a.add_argument("--lat", type=float, required=True)
    a.add_argument("--lon", type=float, required=True)
    a.add_argument("--kind", choices=tuple(KINDS), default="village")
    a.add_argument("--alias", action="append", default=[], metavar="NAME", help="another spelling (repeatable)")
    a.add_argument("--radius-km", type=float, default=0.0, metavar="R", help="how far the place reaches (areas)")
    a.add_argument("--by", help="who adds it (default: $USER)")
    a.add_argument("--note", default="", help="why, and where the point comes from")
    a.set_defaults(func=cmd_places_add)
    ls = psub.add_parser("list", help="list places (every gazetteer place, or --overlay only)")
    ls.add_argument("--overlay", action="store_true", help="only the overlay's places")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--gazetteer", help="gazetteer index file")
    ls.set_defaults(func=cmd_places_list)
    al = psub.add_parser("alias", help="add a name to an existing place (an alias row in the overlay); prints its id")
    al.add_argument("place_id", metavar="PLACE_ID", help="a gazetteer or overlay place id (see `places list`)")
    al.add_argument("--name", required=True, help="the other name (Arabic or Latin script)")
    al.add_argument("--by", help="who adds it (default: $USER)")
    al.add_argument("--note", default="", help="why")
    al.add_argument("--gazetteer", help="gazetteer index file")
    al.set_defaults(func=cmd_places_alias)
    rm = psub.add_parser("remove", help="remove a place or an alias from the overlay")
    rm.add_argument("id", help="overlay:… or alias:… id, as `places add` or `places alias` printed it")
    rm.set_defaults(func=cmd_places_remove)


def _register_feeds(sub) -> None:
    w = sub.add_parser("watch", help="follow RSS/Atom feeds (and article pages): fetch each new item's article, "
                                     "extract its incidents and store them, again every few minutes")
    w.add_argument("sources", nargs="*", metavar="FEED_OR_URL", help="feed or article URLs")
    w.add_argument("--feeds", metavar="FILE", help="a TOML feeds file (see feeds.example.toml); its enabled feeds")
    w.add_argument("--every", type=float, default=15.0, metavar="MINUTES",
                   help="minutes between two reads of a source without its own interval (default 15)")
    w.add_argument("--once", action="store_true", help="read every source once, print the summary and exit")
    _fetch_options(w)
    w.set_defaults(func=cmd_watch)
    f = sub.add_parser("fetch", help="fetch article pages, extract their incidents and store them")
    f.add_argument("urls", nargs="+", metavar="URL")
    _fetch_options(f)
    f.set_defaults(func=cmd_fetch)


def _fetch_options(p) -> None:
    _common(p)
    p.add_argument("--delay", type=float, default=2.0, metavar="SECONDS",
                   help="seconds between two requests to the same host (default 2; robots.txt may ask more)")
    p.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                   help="seconds one request may take in all: connecting, redirects, the whole body (default 20)")
    p.add_argument("--allow-private", action="store_true",
                   help="also fetch from hosts on loopback, private or link-local addresses (your own network); "
                        "refused by default")


def _register_review(sub) -> None:
    from incidents.review import STATUSES

    r = sub.add_parser("review", help="review incidents: list what needs attention, accept, reject, move, undo")
    rsub = r.add_subparsers(dest="review_command", required=True)
    ls = rsub.add_parser("list", help="incidents by review status, pending ones most in need first")
    ls.add_argument("--status", choices=STATUSES, default="pending")
    ls.add_argument("--json", action="store_true")
    ls.add_argument("--limit", type=int, default=0, help="at most N (default: all)")
    _common(ls, gazetteer=False)
    ls.set_defaults(func=cmd_review_list)

    def action(name: str, help: str, func):
        a = rsub.add_parser(name, help=help)
        a.add_argument("id", help="incident id (`event_id_cnty` in `incidentmap export`)")
        a.add_argument("--by", help="who decides (default: $USER)")
        a.add_argument("--note", default="", help="why")
        _common(a, gazetteer=name == "set-location")
        a.set_defaults(func=func)
        return a

    action("accept", "the incident is right as it is", cmd_review_accept)
    action("reject", "not an incident: off the map and the exports", cmd_review_reject)
    loc = action("set-location", "place the incident at a gazetteer place or a point", cmd_review_set_location)
    loc.add_argument("--place", metavar="PLACE_ID", help="a gazetteer or overlay place id (see `places list`)")
    loc.add_argument("--lat", type=float)
    loc.add_argument("--lon", type=float)
    t = action("set-type", "correct the event type", cmd_review_set_type)
    t.add_argument("--event-type", required=True, help="ACLED event type, e.g. 'Explosions/Remote violence'")
    t.add_argument("--sub-event-type", default="", help="ACLED sub-event type, e.g. 'Shelling/artillery/missile attack'")
    d = action("set-date", "correct the date", cmd_review_set_date)
    d.add_argument("--date", required=True, metavar="YYYY-MM-DD")
    d.add_argument("--time-precision", type=int, default=1, choices=(1, 2, 3))
    m = rsub.add_parser("merge", help="make the event groups of two incidents one event")
    m.add_argument("ids", nargs=2, metavar="ID", help="two incident ids")
    m.add_argument("--by", help="who decides (default: $USER)")
    m.add_argument("--note", default="", help="why")
    _common(m, gazetteer=False)
    m.set_defaults(func=cmd_review_merge)
    action("split", "the incident leaves its event group and becomes an event of its own", cmd_review_split)
    action("undo", "revert the last action on the incident (a merge: for both incidents)", cmd_review_undo)
    lg = action("log", "the incident's audit log", cmd_review_log)
    lg.add_argument("--json", action="store_true")


def _register_backfill(sub) -> None:
    """`backfill` (archives → Parquet on Dask) and `load` (Parquet → the store); see incidents/backfill.py."""
    b = sub.add_parser("backfill", help="extract incidents from large archives on a Dask cluster into Parquet")
    b.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="CSV, JSON Lines or Parquet archives (.gz/.bz2/.xz too), text files, or folders")
    b.add_argument("--out", required=True, metavar="DIR", help="output folder (articles/, incidents/ as Parquet)")
    where = b.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N", help="a local cluster of N worker processes (default 1)")
    where.add_argument("--scheduler", metavar="tcp://HOST:8786", help="the scheduler of a running Dask cluster")
    b.add_argument("--gazetteer", help="gazetteer index file (the same path on every worker)")
    b.add_argument("--blocksize", type=float, default=8.0, metavar="MB", help="partition size (default 8 MB)")
    b.add_argument("--retries", type=int, default=2, help="retries of a failed partition (default 2)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_backfill)
    ld = sub.add_parser("load", help="store a backfill's Parquet output (idempotent: loading twice changes nothing)")
    ld.add_argument("dir", metavar="DIR", help="the --out folder of `backfill`")
    _common(ld, gazetteer=False)
    ld.add_argument("--quiet", action="store_true", help="no progress bar")
    ld.set_defaults(func=cmd_load)


def _register_db(sub) -> None:
    """`db upgrade` / `db status`: the store's schema (incidents.store.migrations)."""
    d = sub.add_parser("db", help="the incident store's schema: create or upgrade it, show its version")
    dsub = d.add_subparsers(dest="db_command", required=True)
    u = dsub.add_parser("upgrade", help="create the store or upgrade its schema (PostGIS extension included); "
                                        "every other command refuses an older schema")
    _common(u, gazetteer=False)
    u.set_defaults(func=cmd_db_upgrade)
    st = dsub.add_parser("status", help="the store's backend, schema version and counts")
    _common(st, gazetteer=False)
    st.set_defaults(func=cmd_db_status)


def cmd_db_upgrade(args) -> int:
    from incidents.store import Store

    with Store(args.db, upgrade=True) as store:
        before, now = store.upgraded_from, store.meta("schema_version")
    if before == "new":
        print(f"{store.path}: created at schema {now}")
    elif before is None:
        print(f"{store.path}: schema {now} (up to date)")
    else:
        print(f"{store.path}: schema {before} upgraded to {now}")
    return 0


def cmd_db_status(args) -> int:
    from incidents.store import Store

    with Store(args.db, readonly=True) as store:
        c = store.counts()
        print(f"{store.path}: {store.dialect}, schema {store.meta('schema_version')}, {c['articles']} articles, "
              f"{c['incidents']} incidents")
    return 0


def _parse_region(value: str | None) -> str | None:
    """--region: WKT, or a file with WKT or a GeoJSON geometry/feature/collection (its union) → WKT of
    a polygon. A name that looks like a file but is none, unreadable text, or a geometry that is not an
    area (a point selects nothing) is an error naming it."""
    import json
    import os
    import re

    import shapely
    from shapely.geometry import shape
    from shapely.ops import unary_union

    from geodata.cli import _looks_like_path

    if not value:
        return None
    text = value
    if os.path.isfile(value):
        with open(value, encoding="utf-8") as f:
            text = f.read()
    elif _looks_like_path(value) and not re.match(r"\s*(MULTI)?POLYGON\b", value, re.I):
        raise FileNotFoundError(f"--region {value}: no such file (and not WKT)")
    try:
        if text.lstrip().startswith("{"):
            gj = json.loads(text)
            geoms = [f["geometry"] for f in gj["features"]] if gj.get("type") == "FeatureCollection" else \
                [gj["geometry"]] if gj.get("type") == "Feature" else [gj]
            geom = unary_union([shape(g) for g in geoms])
        else:
            geom = shapely.from_wkt(text.strip())
    except (ValueError, KeyError, TypeError, AttributeError, shapely.errors.ShapelyError) as exc:
        raise ValueError(f"--region {value}: not a WKT or GeoJSON polygon ({exc})") from None
    if geom is None or geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        kind = "an empty geometry" if geom is None or geom.is_empty else f"a {geom.geom_type}"
        raise ValueError(f"--region {value}: {kind}, not a polygon: no incident is inside it")
    return geom.wkt


def _parse_bbox(value: str | None):
    if not value:
        return None
    try:
        west, south, east, north = (float(v) for v in value.split(","))
    except ValueError:
        raise ValueError(f"--bbox {value!r}: four numbers W,S,E,N (longitudes and latitudes)") from None
    if west > east or south > north:
        raise ValueError(f"--bbox {value!r}: west must not exceed east, nor south north")
    return west, south, east, north


def cmd_backfill(args) -> int:
    from incidents.backfill import backfill

    report = backfill(args.inputs, args.out, workers=args.workers, scheduler=args.scheduler,
                      gazetteer=args.gazetteer, blocksize_mb=args.blocksize, retries=args.retries,
                      show_progress=not args.quiet, log=lambda m: print(m, file=sys.stderr))
    print(report.text())
    return 1 if report.failed_partitions or not report.articles else 0


def cmd_load(args) -> int:
    from incidents.backfill import load
    from incidents.store import Store

    with Store(args.db) as store:
        summary = load(args.dir, store, show_progress=not args.quiet)
        print(summary.text())
        print(f"store: {store.path} ({store.counts()['incidents']} incidents in all)")
    return 1 if summary.errors and not summary.articles else 0


def _common(p, gazetteer: bool = True) -> None:
    p.add_argument("--db", help="incident store: a file, or postgresql://user@host:port/dbname for a team's "
                                "database (default: $INCIDENTMAP_DB, else $INCIDENTMAP_HOME/incidents.sqlite)")
    if gazetteer:
        p.add_argument("--gazetteer", help="gazetteer index file")


def cmd_ingest(args) -> int:
    from geodata.geoparser import Geoparser
    from incidents.ingest import ingest_paths
    from incidents.store import Store

    import resource

    if args.workers < 1:
        raise ValueError(f"--workers {args.workers}: needs at least 1")
    with Store(args.db) as store:
        gp = Geoparser(path=args.gazetteer) if args.workers == 1 else None
        summary = ingest_paths(args.paths, store, gp, show_progress=not args.quiet, workers=args.workers,
                               gazetteer=args.gazetteer)
        print(summary.text())
        print(f"store: {store.path} ({store.counts()['incidents']} incidents in all)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB" + (f" (largest worker {kids:.0f} MB)" if args.workers > 1 else ""))
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
            print(f"{i['date']}\t{i['sub_event_type']}\t{P(loc['name_en'])} ({P(loc['name_ar'])}) p{loc['precision']}\t"
                  f"{P(', '.join(a['name'] + '/' + a['role'] for a in i['actors']))}")
    return 1 if errors and not out else 0


def _filter_day(value: str) -> str:
    """A --from/--to date. The store compares dates as text, so a date that is not one (2020-13-45,
    "yesterday", 21/09/2020) would silently select nothing, or a wrong period: refused instead."""
    from datetime import date

    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date: write it as YYYY-MM-DD") from None


def _check_out(path: str | None) -> None:
    """An --out in a folder that does not exist is one error naming the file, before any work (the
    writers write FILE.part first: their own errors named that, or ended in a traceback)."""
    from pathlib import Path

    if path and not Path(path).parent.is_dir():
        raise ValueError(f"{path}: cannot write it there: no folder {str(Path(path).parent)!r}")


def _filter_options(p, what: str) -> None:
    """The filters `export` and `report` share (parsed by _filtered)."""
    p.add_argument("--events", action="store_true",
                   help="one row per real-world event (event group: its sources joined) instead of one per "
                        "incident; the filters select events with at least one matching incident" if what == "export"
                   else "whole events: every report of an event with at least one matching incident (default: "
                        "the matching incidents only)")
    p.add_argument("--include-rejected", action="store_true",
                   help=f"also {what} the incidents an analyst rejected (left out by default)")
    p.add_argument("--include-doubted", action="store_true",
                   help=f"also {what} the incidents whose place the recogniser doubts and no analyst accepted "
                        "yet (left out by default, as on the map; they wait in `review list`)")
    _common(p, gazetteer=False)
    p.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", type=_filter_day)
    p.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", type=_filter_day)
    for flag in ("admin1", "admin2", "event-type", "actor", "text"):
        p.add_argument(f"--{flag}", dest=flag.replace("-", "_"))
    p.add_argument("--bbox", metavar="W,S,E,N", help="only incidents inside this box (longitudes, latitudes)")
    p.add_argument("--region", metavar="WKT|FILE", help="only incidents inside this polygon: WKT in lon/lat, or a "
                                                         "file holding WKT or GeoJSON")
    p.add_argument("--review", choices=("auto", "reviewed", "rejected"),
                   help="only incidents in this review state (auto: as extracted; reviewed; rejected)")


def _filtered(store, args):
    """(items, what) the filters of _filter_options select: incident rows, or with --events
    (group id, member incidents) pairs."""
    if args.date_from and args.date_to and args.date_from > args.date_to:
        raise ValueError(f"--from {args.date_from} is after --to {args.date_to}: no day is in that period")
    from incidents.store import IncidentFilter

    which = IncidentFilter(date_from=args.date_from, date_to=args.date_to, admin1=args.admin1, admin2=args.admin2,
                           event_type=args.event_type, actor=args.actor, text=args.text,
                           include_rejected=args.include_rejected, review_status=args.review,
                           hide_doubted=not args.include_doubted,
                           bbox=_parse_bbox(args.bbox), region=_parse_region(args.region))
    if args.events:
        return store.events(which), "event"
    return store.incidents(which), "incident"


def _say_why_empty(store, args) -> None:
    """Nothing matched: name the filter value no stored incident has (a misspelt governorate, an
    actor nobody recorded), so an empty report is not mistaken for a quiet period."""
    from incidents.store import IncidentFilter

    labels = {"admin1": "governorate", "admin2": "district", "event_type": "event type", "actor": "actor"}
    for key, label in labels.items():
        value = getattr(args, key, None)
        if value and next(iter(store.incidents(IncidentFilter(include_rejected=True, **{key: value}), limit=1)),
                          None) is None:
            how = {"admin1": " (matched whole: its English or Arabic name, or its P-code)",
                   "admin2": " (matched whole: its English or Arabic name)"}.get(key, "")
            print(f"note: no stored incident has {label} {value!r}{how}", file=sys.stderr)


def _filters_shown(args) -> list[tuple[str, str]]:
    """The filters a report names, as (catalogue key without 'f_', value)."""
    keys = ("date_from", "date_to", "admin1", "admin2", "event_type", "actor", "text", "bbox", "region", "review")
    shown = [(k, getattr(args, k)) for k in keys if getattr(args, k)]
    if args.region and len(args.region) > 80:
        shown = [(k, v if k != "region" else v[:77] + "…") for k, v in shown]
    return shown + [(k, "✓") for k in ("include_rejected", "include_doubted", "events") if getattr(args, k)]


def cmd_report(args) -> int:
    from incidents.present import admin_shapes, load_gazetteer, place_labels
    from incidents.report import write_report
    from incidents.store import Store

    from geodata.paths import default_gazetteer_path

    _check_out(args.out)
    with Store(args.db, readonly=True) as store:
        items, what = _filtered(store, args)
        rows = [m for _gid, members in items for m in members] if what == "event" else list(items)
        if not rows:
            _say_why_empty(store, args)
    gaz = load_gazetteer(args.gazetteer or default_gazetteer_path())
    if gaz is None:
        print("note: no gazetteer index; the map has no outlines or town names", file=sys.stderr)
    try:
        kind = write_report(rows, args.out, lang=args.lang, title=args.title, filters=_filters_shown(args),
                            shapes=admin_shapes(gaz), labels=place_labels(gaz), progress=not args.quiet)
    except RuntimeError as exc:  # no Chromium for the PDF, or it failed: say so, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: {kind.upper()} report of {len(rows)} incident(s)", file=sys.stderr)
    return 0


def cmd_export(args) -> int:
    import json

    from incidents.acled import to_acled_row, to_event_row, to_geojson, write_csv
    from incidents.store import Store

    if args.out == "-":  # the usual name of standard output, not a file called '-'
        args.out = None
    if args.format == "gpkg" and not args.out:
        raise ValueError("--format gpkg writes a file: give --out FILE.gpkg")
    _check_out(args.out)
    with Store(args.db, readonly=True) as store:
        items, what = _filtered(store, args)
        row = to_event_row if what == "event" else to_acled_row
        if args.format in ("kml", "gpkg"):
            from incidents.exports_geo import write_gpkg, write_kml

            n = write_kml(items, args.out or sys.stdout, row=row) if args.format == "kml" \
                else write_gpkg(items, args.out, row=row)
        else:
            fh = open(args.out, "w", encoding="utf-8", newline="") if args.out else sys.stdout
            try:
                if args.format == "csv":
                    n = write_csv(items, fh, row=row, neutralise=args.neutralise)
                else:
                    gj = to_geojson(items, row=row)
                    json.dump(gj, fh, ensure_ascii=False)
                    n = len(gj["features"])
            finally:
                if args.out:
                    fh.close()
        if not n:
            _say_why_empty(store, args)
    print(f"{n} {what}(s) exported", file=sys.stderr)
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
    rows, errors = [], []
    for r in tqdm(read_acled(args.file, gaz), unit=" rows", desc="reading ACLED"):
        (errors if isinstance(r, str) else rows).append(r)
    key = f"acled:{os.path.abspath(args.file)}"
    with Store(args.db) as store:
        store.save_rows(key, {"title": f"ACLED export {os.path.basename(args.file)}", "source": "ACLED",
                              "path": args.file, "origin": "acled"}, rows)
    print(f"{len(rows)} ACLED incident(s) imported from {args.file}; {len(errors)} row(s) skipped")
    for e in errors[:20]:
        print(f"  error: {P(e)}")
    return 0


def cmd_places_add(args) -> int:
    from geodata import overlay
    from incidents.review import default_reviewer

    p = overlay.add(args.name_ar, args.lat, args.lon, name_en=args.name_en, kind=args.kind, aliases=args.alias,
                    radius_km=args.radius_km, added_by=args.by or default_reviewer(), note=args.note)
    print(p.id)
    print(f"added to {overlay.overlay_path()}; the geoparser uses it from the next command on. "
          "`incidentmap reprocess` re-reads the stored articles with it.", file=sys.stderr)
    return 0


def cmd_places_list(args) -> int:
    import json

    from geodata import overlay

    if args.overlay:
        rows = [p.to_row() for p in overlay.read()]
    else:
        from geodata.gazetteer import Gazetteer

        gaz = Gazetteer.load(args.gazetteer)
        rows = [{"id": p.id, "name_ar": p.name_ar, "name_en": p.name_en, "aliases": "|".join(p.names),
                 "kind": p.kind, "lat": p.lat, "lon": p.lon, "radius_km": p.radius_km,
                 "admin1": p.admin1.name_en if p.admin1 else "", "source": p.source}
                for p in sorted(gaz.places.values(), key=lambda p: p.id)]
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for r in rows:
            where = f"→ {P(r['place_id'])}" if r.get("place_id") else f"{float(r['lat']):.5f},{float(r['lon']):.5f}"
            print(f"{P(r['id'])}\t{P(r['name_ar'])}\t{P(r['name_en'])}\t{P(r['kind'])}\t{where}")
    return 0


def cmd_places_alias(args) -> int:
    from geodata import overlay
    from geodata.gazetteer import Gazetteer
    from incidents.review import default_reviewer

    place = Gazetteer.load(args.gazetteer).get(args.place_id)
    if place is None:
        raise ValueError(f"{args.place_id}: no such place in the gazetteer or overlay; find ids with "
                         "`incidentmap places list`")
    a = overlay.add_alias(place.id, args.name, added_by=args.by or default_reviewer(), note=args.note)
    print(a.id)
    print(f"{args.name!r} is now a name of {place.label} ({place.id}) in {overlay.overlay_path()}; "
          "`incidentmap reprocess --only-new-names` re-reads the stored articles that mention it.", file=sys.stderr)
    return 0


def cmd_places_remove(args) -> int:
    from geodata import overlay

    p = overlay.remove(args.id)
    what = f"alias of {p.place_id}" if p.is_alias else "place"
    print(f"removed {P(p.id)} ({P(p.name_ar or p.name_en)}, {what}) from {overlay.overlay_path()}")
    return 0


def cmd_review_list(args) -> int:
    import json

    from incidents.review import queue, reason_words
    from incidents.store import Store

    with Store(args.db, readonly=True) as store:
        rows = queue(store, args.status)
    for r in rows:  # the reasons' codes in English words, in both forms of the list
        r["reasons"] = [reason_words(x) for x in r["reasons"]]
    if args.limit:
        rows = rows[:args.limit]
    keys = ("uid", "review_status", "reviewed_by", "reviewed_at", "date", "event_type", "sub_event_type",
            "place_text", "place_id", "name_en", "name_ar", "lat", "lon", "precision", "confidence", "attention",
            "reasons", "passage", "article_title", "article_key")
    if args.json:
        json.dump([{k: r.get(k) for k in keys} for r in rows], sys.stdout, ensure_ascii=False, indent=1)
        print()
        return 0
    for r in rows:
        print(f"{r['uid']}\t{r['date']}\t{P(r['sub_event_type'] or r['event_type'])}\t{P(r['place_text'])} → "
              f"{P(r['name_en'] or r['name_ar'] or '?')} p{r['precision']} c{r['confidence']}\t"
              f"{P('; '.join(r['reasons']) or r['review_status'])}")
    print(f"{len(rows)} incident(s) {args.status}", file=sys.stderr)
    return 0


def _existing_store(db):
    """The store of a command that changes what a store holds (review, reprocess): one that exists.
    Opening it to write would create an empty store at a mistyped --db and report on that instead."""
    from incidents.store import Store

    Store(db, readonly=True).close()  # FileNotFoundError naming it: "no incident store here"
    return Store(db)


def _review(args, func, **kw) -> int:

    with _existing_store(args.db) as store:
        done = func(store, args.id, by=args.by, **kw)
        inc = store.incident(args.id)
    print(f"{P(args.id)}: {done['action']}{' undone' if done.get('undone_at') else ''} by "
          f"{P(done['undone_by'] if done.get('undone_at') else done['by'])}; now {inc['review_status']} at "
          f"{P(inc['name_en'] or inc['name_ar'] or inc['place_text'])} ({inc['lat']}, {inc['lon']})")
    return 0


def cmd_review_accept(args) -> int:
    from incidents.review import accept

    return _review(args, accept, note=args.note)


def cmd_review_reject(args) -> int:
    from incidents.review import reject

    return _review(args, reject, note=args.note)


def cmd_review_set_location(args) -> int:
    from geodata.gazetteer import Gazetteer
    from incidents.review import set_location

    if not args.place and (args.lat is None or args.lon is None):
        raise ValueError("set-location needs --place PLACE_ID or both --lat and --lon")
    if args.lat is not None and args.lon is not None:
        from geodata.overlay import OverlayPlace, validate

        validate(OverlayPlace(id="", name_ar="point", lat=args.lat, lon=args.lon))  # inside Syria?
    gaz = Gazetteer.load(args.gazetteer)
    place = None
    if args.place:
        place = gaz.get(args.place)
        if place is None:
            raise ValueError(f"{args.place}: no such place in the gazetteer or overlay; find ids with "
                             "`incidentmap places list`, or add one with `incidentmap places add`")
    return _review(args, set_location, place=place, lat=args.lat, lon=args.lon, gazetteer=gaz, note=args.note)


def cmd_review_set_type(args) -> int:
    from incidents.review import set_type

    return _review(args, set_type, event_type=args.event_type, sub_event_type=args.sub_event_type, note=args.note)


def cmd_review_set_date(args) -> int:
    from incidents.review import set_date

    return _review(args, set_date, day=args.date, time_precision=args.time_precision, note=args.note)


def cmd_review_merge(args) -> int:
    from incidents.review import merge_groups

    with _existing_store(args.db) as store:
        merge_groups(store, args.ids[0], args.ids[1], by=args.by, note=args.note)
        a, b = (store.incident(u) for u in args.ids)
    print(f"{args.ids[0]} and {args.ids[1]}: one event, {a['event_group']} ({a['event_sources']} source(s))")
    return 0 if a["event_group"] == b["event_group"] else 1


def cmd_review_split(args) -> int:
    from incidents.review import split_incident

    with _existing_store(args.db) as store:
        split_incident(store, args.id, by=args.by, note=args.note)
        print(f"{args.id}: an event of its own, {store.incident(args.id)['event_group']}")
    return 0


def cmd_review_undo(args) -> int:
    from incidents.review import undo

    return _review(args, undo)


def cmd_review_log(args) -> int:
    import json

    from incidents.store import Store

    with Store(args.db, readonly=True) as store:
        log = store.reviews(args.id)
    if args.json:
        json.dump(log, sys.stdout, ensure_ascii=False, indent=1)
        print()
    for r in [] if args.json else log:
        print(f"{r['at']}\t{P(r['by'])}\t{P(r['action'])}\t{P(json.dumps(r['value'], ensure_ascii=False))}\t"
              f"{P(r['note'])}{'  (undone by ' + P(r['undone_by']) + ')' if r['undone_at'] else ''}")
    return 0


def cmd_reprocess(args) -> int:
    from tqdm import tqdm

    from geodata.geoparser import Geoparser
    from incidents.review import reprocess

    with _existing_store(args.db) as store:
        gp = Geoparser(path=args.gazetteer)
        with tqdm(unit=" articles", desc="reprocessing", disable=args.quiet) as bar:
            out = reprocess(store, gp, progress=bar.update, only_new_names=args.only_new_names)
    if args.only_new_names:
        print(f"{len(out['new_names'])} new overlay name(s); {out['skipped']} article(s) without them skipped")
    print(f"{out['articles']} article(s) re-extracted: {out['incidents']} incident(s); {out['reviews_kept']} "
          f"reviewed incident(s) kept, {out['reviews_orphaned']} orphaned (their passage is gone); "
          f"{len(out['errors'])} error(s)")
    for e in out["errors"][:20]:
        print(f"  error: {P(e)}")
    return 1 if out["errors"] and not out["articles"] else 0


def _stop_on_signals():
    """A threading.Event set by Ctrl-C and SIGTERM (checked between articles), and a function that puts
    the previous handlers back."""
    import signal
    import threading

    stop = threading.Event()

    def handler(signum, _frame):
        if stop.is_set():  # a second Ctrl-C: stop now (the article in progress is rolled back)
            raise KeyboardInterrupt
        print(f"\n{signal.Signals(signum).name}: stopping after the current article…", file=sys.stderr)
        stop.set()

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    return stop, lambda: [signal.signal(sig, h) for sig, h in old.items()]


def _feed_setup(args):
    from geodata.geoparser import Geoparser
    from incidents.fetch import Fetcher
    from incidents.store import Store

    if args.delay < 0 or args.timeout <= 0:
        raise ValueError("--delay must be 0 or more and --timeout above 0 (seconds)")
    store = Store(args.db)
    gp = Geoparser(path=args.gazetteer)
    stop, restore = _stop_on_signals()
    return store, gp, Fetcher(delay=args.delay, timeout=args.timeout, stop=stop,
                              allow_private=args.allow_private), restore


def cmd_watch(args) -> int:
    from incidents.feeds import Source, load_feeds, poll, watch

    sources = [Source(url=u) for u in args.sources]
    if args.feeds:
        sources += [s for s in load_feeds(args.feeds) if s.enabled]
    if not sources:
        raise ValueError("nothing to watch: give feed URLs or --feeds FILE with at least one feed enabled = true")
    if args.every <= 0:
        raise ValueError("--every is minutes, a number above 0")
    store, gp, fetcher, restore = _feed_setup(args)
    try:
        if args.once:
            summary = poll(sources, store, gp, fetcher)
            print(summary.text())
            print(f"store: {store.path} ({store.counts()['incidents']} incidents in all)")
            return 0 if summary.read else 1
        print(f"watching {len(sources)} source(s); Ctrl-C stops after the current article", file=sys.stderr)
        watch(sources, store, gp, every=args.every, fetcher=fetcher, report=lambda t: print(t, flush=True))
        return 0
    finally:
        restore()
        store.close()


def cmd_fetch(args) -> int:
    from incidents.feeds import fetch_urls

    store, gp, fetcher, restore = _feed_setup(args)
    try:
        summary = fetch_urls(args.urls, store, gp, fetcher)
        print(summary.text())
        return 0 if summary.read else 1
    finally:
        restore()
        store.close()


def cmd_serve(args) -> int:
    import importlib.util
    import os
    import subprocess
    from pathlib import Path

    spec = importlib.util.find_spec("dashboard")
    app = Path(spec.origin).parent / "app.py"
    env = dict(os.environ)
    if args.db:
        from incidents.store import is_url

        env["INCIDENTMAP_DB"] = args.db if is_url(args.db) else str(Path(args.db).resolve())
    cmd = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(args.port),
           "--server.address", args.host,
           "--browser.gatherUsageStats", "false", "--server.enableStaticServing", "true",
           "--server.maxUploadSize", "5", "--server.fileWatcherType", "none", "--client.toolbarMode", "viewer"]
    if args.headless:
        cmd += ["--server.headless", "true"]
    if args.auth:
        env["INCIDENTMAP_AUTH"] = args.auth
    if env.get("INCIDENTMAP_AUTH") == "header" and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: --auth header trusts the user header of every request: only the proxy should reach "
              f"{args.host}:{args.port}", file=sys.stderr)
    child = subprocess.Popen(cmd, env=env)

    import signal
    import threading

    stopped: list[int] = []

    def stop(signum, _frame):  # SIGTERM/SIGINT: stop Streamlit too, never leave it behind
        # Only ask here: the main thread is inside child.wait(), which resumes and returns once
        # the child has gone (waiting again in the handler would block on wait's lock for 10 s).
        stopped.append(signum)
        child.terminate()
        killer = threading.Timer(10, lambda: child.poll() is None and child.kill())
        killer.daemon = True
        killer.start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        rc = child.wait()
        return 128 + stopped[0] if stopped else rc
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
        print(f"error: {P(str(exc))}", file=sys.stderr)  # may quote a file name or a row
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `incidentmap export | head`
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
