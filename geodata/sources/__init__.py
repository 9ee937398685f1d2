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
    reader: str = ""  # the registry name of the source that read it (Source.load)

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


# ---- the registry ---------------------------------------------------------------------------
# One file per upstream source in this package; each defines a `Source` subclass and decorates it
# with `@register`. The builder asks the registry which source reads a path (`detect`), reads it,
# and merges every source's places in `priority` order by the source's `policy`. Adding a source
# is adding one file here: no table, no branch in geodata/build.py.

NEAR_KM = 2.0  # "alias-or-add": how close a place must be to one of the same name to be that place

# How a source's places join those already merged (geodata/build.py `Merger` carries them out):
POLICIES = {
    "add": "a place with an id already merged adds its names to it; the rest are added",
    "geonames-id": "a place with the GeoNames id of a merged place adds its names to it; else as 'add'",
    "alias-or-add": f"a place within {NEAR_KM:g} km of a merged locality with a matching name key adds its "
                    "names (and a missing Arabic name or P-code) to it, never moving it; the rest are "
                    "added as new localities",
    "custom": "the source's own `merge` method",
}


class Source:
    """One upstream source: how to recognise its file, read it, fetch it and merge it.

    Subclasses set the class attributes and implement `detect` and `read`; `read` returns an
    ImportResult (bad records go to its `errors`, never raise) and raises SourceError only for a
    file it cannot read at all. `path` is None for a `bundled` source read without a file."""

    name: str = ""            # registry key: `gazetteer fetch --source NAME`, ImportResult.reader
    title: str = ""           # one line for people (`gazetteer sources`, README)
    inputs: str = ""          # the file it reads, for error messages; "" when it reads none
    url: str = ""             # where `gazetteer fetch` downloads it; "" when there is nothing to fetch
    filename: str = ""        # the downloaded file's name in geodata/downloads/
    page: str = ""            # the dataset's page, for people, when `url` moves
    fetch_by_default: bool = False  # part of a plain `gazetteer fetch`
    priority: int = 2         # merge order: lower merges first (stable: inputs keep their order)
    detect_rank: int = 50     # detection order: lower asks first (fallbacks ask last)
    policy: str = "add"       # one of POLICIES
    bundled: bool = False     # read with path=None when no file of this source is among the inputs
    villages: bool = False    # covers Syria down to villages (else the build says coverage is missing)
    attribution: str = ""

    def detect(self, path: str) -> bool:
        return False

    def read(self, path: str | None, progress=None) -> ImportResult:
        raise NotImplementedError

    def load(self, path: str | None, progress=None) -> ImportResult:
        """`read`, with the result labelled by this source's registry name."""
        result = self.read(path, progress)
        result.reader = self.name
        return result

    def merge(self, merger, result: ImportResult) -> None:
        """Merge `result` into the builder's places (see geodata/build.py `Merger`)."""
        merger.apply_policy(self.policy, result)


_REGISTRY: dict[str, Source] = {}


def register(cls: type[Source]) -> type[Source]:
    """Class decorator: add one instance of a Source subclass to the registry."""
    if not cls.name or cls.policy not in POLICIES:
        raise TypeError(f"{cls.__name__}: a source needs a name and a policy among {', '.join(POLICIES)}")
    _REGISTRY[cls.name] = cls()
    return cls


def registry() -> dict[str, Source]:
    """Every source, by name, in merge order; importing this package's modules registers them."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{mod.name}")
    return dict(sorted(_REGISTRY.items(), key=lambda kv: (kv[1].priority, kv[0])))


def get(name: str) -> Source:
    sources = registry()
    if name not in sources:
        raise SourceError(f"no source called {name!r} (known: {', '.join(sources)})")
    return sources[name]


def detect(path: str) -> Source:
    """The source that reads `path`."""
    for src in sorted(registry().values(), key=lambda s: (s.detect_rank, s.name)):
        if src.detect(path):
            return src
    hints = "; ".join(s.inputs for s in registry().values() if s.inputs)
    raise SourceError(f"{path}: cannot tell which source this is (expected {hints})")


def expand_inputs(paths: list[str]) -> list[str]:
    """Inputs as files and source folders: a folder no source recognises (geodata/downloads/) stands
    for the files in it."""
    out = []
    for path in paths:
        if os.path.isdir(path) and not any(s.detect(path) for s in registry().values()):
            out += [os.path.join(path, f) for f in sorted(os.listdir(path))
                    if not f.startswith(".") and not f.endswith(".part")]
        else:
            out.append(path)
    return out


def head(path: str, size: int = 65536) -> str:
    """The first `size` bytes of a file as text ("" when it cannot be read): for content sniffing."""
    try:
        with open(path, "rb") as f:
            return f.read(size).decode("utf-8", errors="replace").lstrip("\ufeff")
    except OSError:
        return ""


def basename(path: str) -> str:
    return os.path.basename(path.rstrip("/").rstrip(os.sep)).lower()
