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
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from geodata.gazetteer import GazetteerMissing
    from geodata.sources import SourceError
    from geodata.textio import UnreadableInput

    try:
        return args.func(args) or 0
    except (GazetteerMissing, SourceError, UnreadableInput, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
