"""Importers, one per upstream format. Each reads its source unchanged and returns an ImportResult.

An importer never raises on a bad record: it notes the file and the problem in `errors`, skips
the record and goes on, so one broken file cannot abort a build.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources

from geodata.place import Place


class SourceError(Exception):
    """A source that cannot be read at all (missing, corrupt archive, wrong format)."""


@dataclass
class ImportResult:
    """What one importer produced."""

    source: str
    places: list[Place] = field(default_factory=list)
    shapes: dict[str, dict] = field(default_factory=dict)  # place id -> GeoJSON geometry
    errors: list[str] = field(default_factory=list)
    skipped: int = 0

    def error(self, where: str, problem: str) -> None:
        self.errors.append(f"{where}: {problem}")
        self.skipped += 1


def iter_files(path: str, suffix: str) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every file ending in `suffix` in a folder or a .tar.gz/.tgz archive."""
    if os.path.isdir(path):
        for root, _dirs, files in os.walk(path):
            for f in sorted(files):
                if f.endswith(suffix):
                    full = os.path.join(root, f)
                    with open(full, "rb") as fh:
                        yield full, fh.read()
        return
    if not os.path.exists(path):
        raise SourceError(f"{path}: no such file or folder")
    try:
        with tarfile.open(path, "r:*") as tar:
            for member in tar:
                if member.isfile() and member.name.endswith(suffix):
                    fh = tar.extractfile(member)
                    if fh is not None:
                        yield member.name, fh.read()
    except (tarfile.TarError, EOFError, OSError, io.UnsupportedOperation) as exc:
        raise SourceError(f"{path}: not a readable .tar.gz archive ({exc})") from exc


def read_curated(path: str | None, bundled: str, what: str) -> str:
    """The text of a curated file: the bundled `geodata/data/<bundled>`, or the user's file at `path`."""
    try:
        if path is None:
            return resources.files("geodata").joinpath(f"data/{bundled}").read_text(encoding="utf-8")
        with open(path, encoding="utf-8-sig") as f:
            return f.read()
    except OSError as exc:
        raise SourceError(f"{path or 'geodata/data/' + bundled}: cannot read {what} ({exc})") from exc


def clean_names(*groups) -> tuple[str, ...]:
    """Flatten name lists/strings into unique, stripped, non-empty names."""
    seen, out = set(), []
    for g in groups:
        if not g:
            continue
        for n in [g] if isinstance(g, str) else g:
            n = (n or "").strip() if isinstance(n, str) else ""
            if n and n not in seen:
                seen.add(n)
                out.append(n)
    return tuple(out)
