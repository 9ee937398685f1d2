"""Command-line commands of the geodata layer: `gazetteer build|fetch|info` and `geocode`.

`register(subparsers)` adds them to the `incidentmap` command; geodata itself has no entry point.
"""

from __future__ import annotations

import argparse
import json
import sys

from geodata.printable import printable as P  # free text in listings: escaped, one field on one line


def register(sub: argparse._SubParsersAction) -> None:
    g = sub.add_parser("gazetteer", help="build or inspect the offline gazetteer index")
    gsub = g.add_subparsers(dest="gazetteer_command", required=True)
    b = gsub.add_parser("build", help="import the sources and write the index")
    b.add_argument("inputs", nargs="*", metavar="PATH",
                   help="source files or folders (a folder no source recognises stands for its files); "
                        "which source each is, is detected (`gazetteer sources`)")
    b.add_argument("--from", dest="sources", action="append", metavar="PATH_OR_URL",
                   help="a source archive, folder or URL (repeatable); default: every file in "
                        "geodata/downloads/")
    b.add_argument("--out", help="index file to write (default: $INCIDENTMAP_HOME/gazetteer.sqlite)")
    b.add_argument("--quiet", action="store_true", help="no progress bar")
    b.set_defaults(func=cmd_build)
    f = gsub.add_parser("fetch", help="download source files into geodata/downloads/ (needs internet)")
    f.add_argument("--source", action="append", metavar="NAME",
                   help="a source to download (repeatable; `all` for every one; `gazetteer sources` lists "
                        "them); default: Who's On First and Open-Syria")
    f.add_argument("--out", "--dest", dest="dest", metavar="DIR", help="download folder (default geodata/downloads/)")
    f.add_argument("--url", help="download from this address instead of the source's own (with one --source)")
    f.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS")
    f.set_defaults(func=cmd_fetch)
    s = gsub.add_parser("sources", help="the sources the builder knows: name, merge policy, download address")
    s.set_defaults(func=cmd_sources)
    i = gsub.add_parser("info", help="what the built index holds")
    i.add_argument("--gazetteer", help="index file")
    i.set_defaults(func=cmd_info)

    c = sub.add_parser("geocode", help="find and resolve the places named in a text")
    c.add_argument("file", nargs="?", default="-",
                   help="a place name to look up in any script (`geocode Aleppo`, `geocode \"كفرنبل\"`), a text "
                        "file (read when it exists), or - for standard input")
    c.add_argument("--file", dest="as_file", action="store_true",
                   help="read the argument as a file, never as a place name")
    c.add_argument("--json", action="store_true", help="JSON array (the default output is a table)")
    c.add_argument("--gazetteer", help="index file")
    c.add_argument("--online", action="store_true",
                   help="also ask an online geocoder (Nominatim) for names the gazetteer lacks")
    c.add_argument("--online-domain", help="online geocoder host (default nominatim.openstreetmap.org)")
    c.add_argument("--online-scheme", default="https", choices=("http", "https"))
    c.add_argument("--online-timeout", type=float, default=10.0, metavar="SECONDS",
                   help="per-request timeout of the online geocoder (default 10)")
    c.set_defaults(func=cmd_geocode)


def cmd_build(args) -> int:
    from geodata.build import build

    given = (args.inputs or []) + (args.sources or [])
    report = build(sources=given or None, out=args.out, show_progress=not args.quiet)
    print(report.summary())
    return 0


def cmd_fetch(args) -> int:
    from pathlib import Path

    from geodata.build import fetch_source
    from geodata.sources import SourceError, registry

    sources = registry()
    names = args.source or [n for n, s in sources.items() if s.fetch_by_default]
    if "all" in names:
        names = [n for n, s in sources.items() if s.url]
    if args.url and len(names) != 1:
        print("error: --url needs exactly one --source", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        try:
            path = fetch_source(name, Path(args.dest) if args.dest else None, url=args.url, timeout=args.timeout)
            print(f"fetched {name} -> {path}")
        except SourceError as exc:
            page = sources[name].page if name in sources else ""
            print(f"error: {name}: {exc}" + (f" (dataset page: {page})" if page else ""), file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def cmd_sources(args) -> int:
    from geodata.sources import POLICIES, registry

    for s in registry().values():
        how = "bundled" if s.bundled and not s.url else (s.url or "local file")
        print(f"{s.name}\t{s.policy}\t{s.title}\n\t{how}")
    print("\nmerge policies:\n" + "\n".join(f"  {k}: {v}" for k, v in POLICIES.items()))
    return 0


def cmd_info(args) -> int:
    from geodata.gazetteer import Gazetteer

    g = Gazetteer.load(args.gazetteer)
    print(json.dumps({"path": str(g.path), "counts": g.counts(), "names": len(g.names), **g.meta},
                     ensure_ascii=False, indent=2))
    return 0


def cmd_geocode(args) -> int:
    from geodata.geoparser import Geoparser
    from geodata.textio import decode_bytes, looks_like_html, html_to_text, read_text_file

    query = _is_name(args.file, args.as_file)
    if args.file == "-":
        text, _ = decode_bytes(sys.stdin.buffer.read(), "<stdin>")
        if looks_like_html(text):
            text = html_to_text(text)
    elif query:  # a place name asked for, not a file
        text = args.file
    else:
        text, _ = read_text_file(args.file)
    gp = Geoparser(path=args.gazetteer)
    resolutions = gp.parse(text, query=query)
    if query and not resolutions and _looks_like_path(args.file):
        raise FileNotFoundError(f"{args.file}: no such file, and no place of that name in the gazetteer "
                                "(a file is read only when it exists)")
    rows = [r.to_dict() for r in resolutions]
    if args.online:  # off by default: without --online nothing leaves the machine
        from geodata.geocoder import apply_online

        fb = _online(args)
        for r, row in zip(resolutions, rows):
            apply_online(row, fb.place_unknown(r, gp.gazetteer))  # None unless the gazetteer lacks it
    if args.json:
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
    else:
        for r in rows:
            where = f"{r['lat']:.4f},{r['lon']:.4f}" if r["lat"] is not None else "-"
            print(f"{r['start']:>6}-{r['end']:<6} {P(r['text'])}\t{P(r['name_en'] or '?')}\t{P(r['feature'])}\t"
                  f"{P(r['admin1'])}\t{where}\tp{r['precision']}\tc{r['confidence']}")
    return 0


def _is_name(arg: str, as_file: bool = False) -> bool:
    """Is the argument of `geocode` a place name rather than a file? A name unless it is "-" (standard
    input), an existing file, or `--file` says so: any script, one word or several (`Aleppo`, `Kafr
    Nabl`, `كفرنبل`). A folder is not a file: with a folder `Homs/` here, `geocode Homs` is the city."""
    import os

    return not (as_file or arg == "-" or (os.path.exists(arg) and not os.path.isdir(arg)))


def _looks_like_path(arg: str) -> bool:
    """A path separator or a file extension: what a missing file's name looks like."""
    import os
    import re

    return os.sep in arg or bool(re.search(r"\.[A-Za-z0-9]{1,5}$", arg))


def _online(args):
    """The online fallback of `geocode --online`: Nominatim (or --online-domain), one request a second,
    cached in $INCIDENTMAP_HOME/online-geocode-cache.sqlite."""
    from geopy.geocoders import Nominatim

    from geodata.geocoder import USER_AGENT, OnlineFallback

    kw = {"user_agent": USER_AGENT, "timeout": args.online_timeout, "scheme": args.online_scheme}
    if args.online_domain:
        kw["domain"] = args.online_domain
    return OnlineFallback(Nominatim(**kw))
