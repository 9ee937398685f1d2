"""Backfill: the extraction `ingest` runs, over large archives, on a Dask cluster; then a bulk load.

    incidentmap backfill INPUT... --out DIR [--workers N | --scheduler tcp://HOST:8786]
    incidentmap load DIR [--db PATH]

1. **Plan** (one task per file, on the workers): CSV, JSON Lines and Parquet archives, plain or
   compressed (.gz, .bz2, .xz), are cut into partitions of about `--blocksize` MB at record
   boundaries (a CSV record may span lines: the cut follows the csv module's own reading). Each
   partition knows the row number of its first record, so every Article gets the same `path`
   ("file:row") — hence the same key — as `ingest` gives it. Text files (.txt, .md) in a folder
   go in batches.
2. **Extract** (one task per partition, retried on failure): rows become Articles through
   `incidents.articles` (the very function `ingest` uses), `incidents.extract.extract` turns them
   into Incidents with the geoparser each worker loaded once (a worker plugin), and the partition
   is written as two Parquet files: `articles/part-F-P.parquet` and `incidents/part-F-P.parquet`
   (GeoParquet 1.1: a WKB point column `geometry` with the `geo` metadata). A bad row is a line
   of `bad_rows.csv` (file, row, reason) and never stops the run; a partition that still fails
   after its retries is listed in `_backfill.json` and the run goes on.
3. **Load**: `load` reads the parts in input order and stores each partition in one transaction
   (`Store.load_articles`: new articles in bulk, COPY on PostgreSQL; a changed article as `ingest`
   saves it): the same incidents, uids and event groups as `ingest`, reviews kept, and loading
   twice changes nothing. A partition the store refuses is saved article by article, so one bad
   article is reported and the rest are stored.
"""

from __future__ import annotations

import csv
import io
import json
import os
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
from distributed.diagnostics.plugin import WorkerPlugin

from geodata.schema import decode_location
from geodata.textio import HEAD_BYTES, UnreadableInput, detect_encoding
from incidents import articles as _articles
from incidents.articles import Article, ArticleError, read_text_article
from incidents.extract import Incident, extract
from incidents.ingest import IngestSummary

MANIFEST = "_backfill.json"
BAD_ROWS = "bad_rows.csv"
COMPRESSIONS = {".gz": "gzip", ".bz2": "bz2", ".xz": "xz"}
PARQUET_SUFFIXES = (".parquet", ".pq")
DEFAULT_BLOCKSIZE_MB = 8.0
GEOPARQUET_VERSION = "1.1.0"


@dataclass
class BadRow:
    file: str
    row: int | None  # None: the whole file (or partition) could not be read
    reason: str


@dataclass
class Partition:
    """One unit of work: a byte range of a file (CSV/JSONL, in its decompressed stream), a set of
    Parquet row groups, or a batch of text files."""
    file_index: int
    part_index: int
    path: str
    kind: str  # csv, jsonl, parquet, text
    start: int = 0
    end: int | None = None
    first_row: int = 1
    rows: int = 0
    encoding: str = "utf-8"
    errors: str = "strict"
    header: list[str] = field(default_factory=list)
    row_groups: list[int] = field(default_factory=list)
    texts: list[tuple[int, str]] = field(default_factory=list)  # (file index, path) of a text batch

    @property
    def name(self) -> str:
        return f"part-{self.file_index:05d}-{self.part_index:05d}"


# ---- inputs -------------------------------------------------------------------------------------
def file_kind(path: str) -> tuple[str | None, str | None]:
    """(kind, compression) of an input file from its name: ("csv", "gzip") for `x.csv.gz`."""
    low = path.lower()
    compression = None
    for suffix, name in COMPRESSIONS.items():
        if low.endswith(suffix):
            low, compression = low[: -len(suffix)], name
            break
    if low.endswith(".csv"):
        return "csv", compression
    if low.endswith((".jsonl", ".ndjson")):
        return "jsonl", compression
    if low.endswith(PARQUET_SUFFIXES) and compression is None:
        return "parquet", None
    if low.endswith(_articles.TEXT_SUFFIXES) and compression is None:
        return "text", None
    return None, compression


def expand_inputs(paths: list[str]) -> tuple[list[str], list[BadRow]]:
    """Files under the given files and folders, in the order `ingest` reads them (a folder's files
    sorted), with the inputs that cannot be used."""
    files, bad = [], []
    for p in paths:
        if os.path.isdir(p):
            found = []
            for root, _dirs, names in os.walk(p):
                found += [os.path.join(root, n) for n in sorted(names)
                          if file_kind(n)[0] and not n.startswith(".")]
            sub, sub_bad = expand_inputs(sorted(found))
            files += sub
            bad += sub_bad
        elif "://" not in p and not os.path.exists(p):
            bad.append(BadRow(p, None, f"{p}: no such file or folder"))
        elif file_kind(p)[0] is None:
            bad.append(BadRow(p, None, f"{p}: not an archive backfill reads (.csv, .jsonl, .ndjson, .parquet, "
                                       f".txt, .md; .gz/.bz2/.xz for CSV and JSON Lines)"))
        else:
            files.append(p)
    return files, bad


def _open(path: str):
    """The file's decompressed byte stream (seekable forward: a compressed stream decompresses to get there)."""
    import fsspec

    return fsspec.open(path, "rb", compression=file_kind(path)[1]).open()


# ---- planning (on a worker) ------------------------------------------------------------------------
def _encoding(path: str) -> tuple[str, str, int]:
    """(codec, errors, bytes to skip) of the whole file, by `geodata.textio.detect_encoding` (the
    rule `ingest` reads a file with), read as a stream. Raises ArticleError for a binary file."""
    with _open(path) as f:
        head = f.read(HEAD_BYTES)

        def lines():
            f.seek(0)
            return f

        try:
            return tuple(detect_encoding(head, lines, path))
        except UnreadableInput as exc:
            raise ArticleError(str(exc)) from exc


def _lines(f, codec: str, errors: str, pos: int, counter: list[int]) -> Iterator[str]:
    """Decoded lines (split at b"\\n", as csv reads a text stream); counter[0] is the byte position
    after the last line given."""
    counter[0] = pos
    for raw in f:
        counter[0] += len(raw)
        yield raw.decode(codec, errors)


def plan_file(file_index: int, path: str, blocksize: int) -> tuple[list[Partition], list[BadRow]]:
    """Cut one archive into partitions of about `blocksize` bytes at record boundaries."""
    kind = file_kind(path)[0]
    try:
        if kind == "parquet":
            return _plan_parquet(file_index, path, blocksize), []
        codec, errors, skip = _encoding(path)
        if codec == "utf-16":  # cannot be cut at byte b"\n": one partition, decoded whole
            return [Partition(file_index, 0, path, kind, encoding=codec, errors=errors, rows=1)], []
        return (_plan_csv if kind == "csv" else _plan_jsonl)(file_index, path, blocksize, codec, errors, skip)
    except ArticleError as exc:
        return [], [BadRow(path, None, str(exc))]
    except (OSError, ValueError, csv.Error, pa.ArrowException) as exc:
        return [], [BadRow(path, None, f"{path}: cannot be read ({exc.__class__.__name__}: {exc})")]


def _plan_jsonl(file_index, path, blocksize, codec, errors, skip):
    parts: list[Partition] = []
    line = rows = 0
    with _open(path) as f:
        f.seek(skip)
        start, first, pos = skip, 1, skip
        for raw in f:
            pos += len(raw)
            for piece in raw.decode(codec, errors).splitlines():  # `ingest` numbers str.splitlines()
                line += 1
                rows += bool(piece.strip())
            if pos - start >= blocksize:
                parts.append(Partition(file_index, len(parts), path, "jsonl", start, pos, first, rows, codec, errors))
                start, first, rows = pos, line + 1, 0
        if pos > start:
            parts.append(Partition(file_index, len(parts), path, "jsonl", start, None, first, rows, codec, errors))
    return parts, []


def _plan_csv(file_index, path, blocksize, codec, errors, skip):
    parts: list[Partition] = []
    bad: list[BadRow] = []
    with _open(path) as f:
        f.seek(skip)
        pos = [skip]
        reader = csv.reader(_lines(f, codec, errors, skip, pos))
        header = next(reader, [])
        cols = {(c or "").strip().lower() for c in header}
        if not cols & set(_articles.TEXT_COLUMNS):
            raise ArticleError(f"{path}: CSV has no text column (one of {', '.join(_articles.TEXT_COLUMNS)}); "
                               f"columns are {', '.join(sorted(cols)) or 'none'}")
        start = pos[0]
        row = first = 2
        rows = 0
        try:
            for rec in reader:
                if rec == []:  # csv.DictReader skips blank records without counting them
                    continue
                rows += 1
                row += 1
                if pos[0] - start >= blocksize:
                    parts.append(Partition(file_index, len(parts), path, "csv", start, pos[0], first, rows, codec,
                                           errors, header))
                    start, first, rows = pos[0], row, 0
        except csv.Error as exc:  # `ingest` stops reading the file here too
            bad.append(BadRow(path, row, f"{path}:{row}: CSV cannot be read from here on ({exc})"))
        if rows:
            parts.append(Partition(file_index, len(parts), path, "csv", start, pos[0], first, rows, codec, errors,
                                   header))
    return parts, bad


def _plan_parquet(file_index: int, path: str, blocksize: int) -> list[Partition]:
    with _open(path) as f:
        meta = pq.ParquetFile(f).metadata
    parts: list[Partition] = []
    groups: list[int] = []
    size = rows = 0
    first = 1
    for g in range(meta.num_row_groups):
        rg = meta.row_group(g)
        groups.append(g)
        size += rg.total_byte_size
        rows += rg.num_rows
        if size >= blocksize or g == meta.num_row_groups - 1:
            parts.append(Partition(file_index, len(parts), path, "parquet", first_row=first, rows=rows,
                                   row_groups=groups))
            first += rows
            groups, size, rows = [], 0, 0
    return parts


def plan_texts(files: list[tuple[int, str]], blocksize: int) -> list[Partition]:
    """Batches of consecutive text files of about `blocksize` bytes."""
    parts, batch, size = [], [], 0
    for i, path in files:
        batch.append((i, path))
        size += os.path.getsize(path) if os.path.exists(path) else 0
        if size >= blocksize:
            parts.append(Partition(batch[0][0], 0, path, "text", rows=len(batch), texts=batch))
            batch, size = [], 0
    if batch:
        parts.append(Partition(batch[0][0], 0, batch[-1][1], "text", rows=len(batch), texts=batch))
    return parts


# ---- reading a partition ------------------------------------------------------------------------
def _json_row(line: str, where: str) -> Article:
    """One JSON Lines record as `incidents.articles.read_table` reads it."""
    return _articles.json_row_article(line, where)


def read_partition(p: Partition) -> Iterator[tuple[int, str, int, Article | ArticleError]]:
    """(file index, file, row, Article or ArticleError) for every record of the partition, in order
    (row 0 for a text file: the file is the article)."""
    if p.kind == "text":
        for i, path in p.texts:
            try:
                yield i, path, 0, read_text_article(path)
            except ArticleError as exc:
                yield i, path, 0, exc
        return
    for n, item in _table_rows(p):
        yield p.file_index, p.path, n, item


def _table_rows(p: Partition) -> Iterator[tuple[int, Article | ArticleError]]:
    if p.kind == "parquet":
        with _open(p.path) as f:
            table = pq.ParquetFile(f).read_row_groups(p.row_groups)
        for n, row in enumerate(table.to_pylist(), p.first_row):
            where = f"{p.path}:{n}"
            try:
                yield n, _articles._row_article(
                    {str(k): str(v) if v is not None else "" for k, v in row.items()}, where)
            except ArticleError as exc:
                yield n, exc
        return
    with _open(p.path) as f:
        f.seek(p.start)
        data = f.read() if p.end is None else f.read(p.end - p.start)
    text = data.decode(p.encoding, p.errors)
    if p.kind == "csv":
        reader = csv.DictReader(io.StringIO(text), fieldnames=p.header)
        for n, row in enumerate(reader, p.first_row):
            where = f"{p.path}:{n}"
            try:
                yield n, _articles._row_article(row, where)
            except ArticleError as exc:
                yield n, exc
        return
    for n, line in enumerate(text.splitlines(), p.first_row):
        if line.strip():
            try:
                yield n, _json_row(line, f"{p.path}:{n}")
            except ArticleError as exc:
                yield n, exc


# ---- the geoparser, once per worker process ---------------------------------------------------------
_GEOPARSERS: dict[str, object] = {}
_LOCK = threading.Lock()


def worker_geoparser(gazetteer: str | None):
    """This process's geoparser for `gazetteer` (loaded on first use, then kept)."""
    key = str(gazetteer or "")
    with _LOCK:
        if key not in _GEOPARSERS:
            from geodata.geoparser import Geoparser

            _GEOPARSERS[key] = Geoparser(path=gazetteer)
        return _GEOPARSERS[key]


class GeoparserPlugin(WorkerPlugin):
    """Loads the geoparser when a worker starts (or joins later), so no task pays for it."""

    def __init__(self, gazetteer: str | None):
        self.gazetteer = gazetteer
        self.name = "incidentmap-geoparser"

    def setup(self, worker) -> None:
        worker_geoparser(self.gazetteer)

    def teardown(self, worker) -> None:
        with _LOCK:
            _GEOPARSERS.pop(str(self.gazetteer or ""), None)


# ---- Parquet -------------------------------------------------------------------------------------
ARTICLE_SCHEMA = pa.schema([
    ("file_index", pa.int32()), ("row", pa.int64()), ("key", pa.string()), ("id", pa.string()),
    ("path", pa.string()), ("title", pa.string()), ("date", pa.date32()), ("source", pa.string()),
    ("url", pa.string()), ("language", pa.string()), ("body_start", pa.int64()), ("text", pa.string()),
    ("warnings", pa.string()), ("incidents", pa.int32()),
])
INCIDENT_SCHEMA = pa.schema([
    ("file_index", pa.int32()), ("row", pa.int64()), ("article_key", pa.string()), ("article_id", pa.string()),
    ("group", pa.string()), ("date", pa.date32()), ("time_precision", pa.int8()), ("event_type", pa.string()),
    ("sub_event_type", pa.string()), ("actors", pa.string()), ("fatalities", pa.int32()),
    ("place_id", pa.string()), ("place_name_en", pa.string()), ("place_name_ar", pa.string()),
    ("admin1", pa.string()), ("admin2", pa.string()), ("precision", pa.int8()), ("confidence", pa.float64()),
    ("lat", pa.float64()), ("lon", pa.float64()), ("location", pa.string()), ("passage", pa.string()),
    ("passage_start", pa.int64()), ("passage_end", pa.int64()), ("place_start", pa.int64()),
    ("place_end", pa.int64()), ("evidence", pa.string()), ("source_kind", pa.string()),
    ("geometry", pa.binary()),
])


def point_wkb(lon: float | None, lat: float | None) -> bytes | None:
    """ISO WKB of a 2D point (little-endian), None without coordinates."""
    if lon is None or lat is None:
        return None
    return struct.pack("<BIdd", 1, 1, float(lon), float(lat))


def geo_metadata(lons: list[float], lats: list[float]) -> dict:
    """GeoParquet 1.1 file metadata for the `geometry` column (CRS omitted: OGC:CRS84, lon/lat)."""
    col = {"encoding": "WKB", "geometry_types": ["Point"]}
    if lons:
        col["bbox"] = [min(lons), min(lats), max(lons), max(lats)]
    return {"version": GEOPARQUET_VERSION, "primary_column": "geometry", "columns": {"geometry": col}}


def _jdump(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _article_row(fi: int, row: int, a: Article, n: int) -> dict:
    return {"file_index": fi, "row": row, "key": a.key, "id": a.id, "path": a.path, "title": a.title,
            "date": a.date, "source": a.source, "url": a.url, "language": a.language, "body_start": a.body_start,
            "text": a.text, "warnings": _jdump(a.warnings), "incidents": n}


def _incident_row(fi: int, row: int, a: Article, i: Incident) -> dict:
    loc = i.location
    return {"file_index": fi, "row": row, "article_key": a.key, "article_id": i.article_id, "group": i.group,
            "date": date.fromisoformat(i.date) if i.date else None, "time_precision": i.time_precision,
            "event_type": i.event_type, "sub_event_type": i.sub_event_type, "actors": _jdump(i.actors),
            "fatalities": i.fatalities, "place_id": loc.get("id"), "place_name_en": loc.get("name_en"),
            "place_name_ar": loc.get("name_ar"), "admin1": loc.get("admin1"), "admin2": loc.get("admin2"),
            "precision": loc.get("precision"), "confidence": loc.get("confidence"), "lat": loc.get("lat"),
            "lon": loc.get("lon"), "location": _jdump(loc), "passage": i.passage,
            "passage_start": i.passage_start, "passage_end": i.passage_end, "place_start": i.place_start,
            "place_end": i.place_end, "evidence": _jdump(i.evidence), "source_kind": i.source_kind,
            "geometry": point_wkb(loc.get("lon"), loc.get("lat"))}


def _write(table: pa.Table, path: str) -> None:
    """Atomic: a retried or re-run partition replaces its file whole."""
    tmp = f"{path}.tmp-{os.getpid()}-{threading.get_ident()}"
    pq.write_table(table, tmp, compression="zstd")
    os.replace(tmp, path)


def write_partition(out: str, name: str, article_rows: list[dict], incident_rows: list[dict]) -> None:
    _write(pa.Table.from_pylist(article_rows, schema=ARTICLE_SCHEMA), os.path.join(out, "articles", name + ".parquet"))
    points = [(r["lon"], r["lat"]) for r in incident_rows if r["geometry"] is not None]
    meta = {b"geo": _jdump(geo_metadata([p[0] for p in points], [p[1] for p in points])).encode()}
    table = pa.Table.from_pylist(incident_rows, schema=INCIDENT_SCHEMA.with_metadata(meta))
    _write(table, os.path.join(out, "incidents", name + ".parquet"))


# ---- one partition (a Dask task) ----------------------------------------------------------------------
def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def run_partition(p: Partition, gazetteer: str | None, out: str) -> dict:
    """Extract one partition and write its two Parquet files; bad rows are returned, never raised."""
    t0 = time.perf_counter()
    gp = worker_geoparser(gazetteer)
    arts, incs, bad = [], [], []
    for fi, path, row, item in read_partition(p):
        if isinstance(item, ArticleError):
            bad.append(BadRow(path, row or None, str(item)))
            continue
        try:
            found = extract(item, gp)
        except Exception as exc:  # one bad article never stops the run (as in ingest)
            bad.append(BadRow(path, row or None,
                              f"{item.path or item.title}: extraction failed ({exc.__class__.__name__}: {exc})"))
            continue
        arts.append(_article_row(fi, row, item, len(found)))
        incs += [_incident_row(fi, row, item, i) for i in found]
    write_partition(out, p.name, arts, incs)
    return {"name": p.name, "articles": len(arts), "incidents": len(incs), "rows": p.rows,
            "bad": [asdict(b) for b in bad], "seconds": time.perf_counter() - t0, "rss_mb": _rss_mb()}


# ---- the driver ------------------------------------------------------------------------------------
@dataclass
class BackfillReport:
    out: str
    files: int = 0
    partitions: int = 0
    articles: int = 0
    incidents: int = 0
    bad_rows: list[BadRow] = field(default_factory=list)
    failed_partitions: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    startup_seconds: float = 0.0  # cluster start and the geoparser loaded on every worker
    workers: int = 0
    peak_worker_mb: float = 0.0
    dashboard: str = ""

    @property
    def rate(self) -> float:
        """Articles per second once the workers are ready (planning, reading, extraction, writing)."""
        busy = self.seconds - self.startup_seconds
        return self.articles / busy if busy > 0 else 0.0

    def text(self) -> str:
        lines = [f"{self.articles} article(s) from {self.files} file(s) in {self.partitions} partition(s): "
                 f"{self.incidents} incident(s); {len(self.bad_rows)} bad row(s) (see {os.path.join(self.out, BAD_ROWS)}); "
                 f"{len(self.failed_partitions)} failed partition(s)",
                 f"{self.seconds:.1f} s ({self.startup_seconds:.1f} s to start the workers), {self.rate:.1f} articles/s "
                 f"on {self.workers} worker(s) once started; "
                 f"largest worker {self.peak_worker_mb:.0f} MB",
                 f"output: {self.out} (load it with `incidentmap load {self.out}`)"]
        lines += [f"  bad row: {b.reason}" for b in self.bad_rows[:10]]
        if len(self.bad_rows) > 10:
            lines.append(f"  … {len(self.bad_rows) - 10} more in {BAD_ROWS}")
        lines += [f"  failed partition {f['name']} ({f['path']}): {f['error']}" for f in self.failed_partitions]
        return "\n".join(lines)


def _prepare_out(out: str) -> None:
    """An empty folder, or one a previous backfill wrote (its parts are removed); never anything else."""
    if os.path.isdir(out) and os.listdir(out) and not os.path.exists(os.path.join(out, MANIFEST)):
        raise ValueError(f"{out}: folder is not empty and is not a backfill output; choose a new or empty --out")
    for sub in ("articles", "incidents"):
        d = os.path.join(out, sub)
        os.makedirs(d, exist_ok=True)
        for n in os.listdir(d):
            if n.startswith("part-") and ".parquet" in n:
                os.remove(os.path.join(d, n))
    for n in (MANIFEST, BAD_ROWS):
        if os.path.exists(os.path.join(out, n)):
            os.remove(os.path.join(out, n))


def _client(workers: int | None, scheduler: str | None, dashboard_address: str | None):
    """(client, cluster or None): a connection to `scheduler`, or a local cluster of `workers`
    processes with one thread each (the extraction is pure Python: processes, not threads)."""
    from distributed import Client, LocalCluster

    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=dashboard_address)
    return Client(cluster), cluster


def backfill(inputs: list[str], out: str, workers: int | None = None, scheduler: str | None = None,
             gazetteer: str | None = None, blocksize_mb: float = DEFAULT_BLOCKSIZE_MB, retries: int = 2,
             show_progress: bool = True, dashboard_address: str | None = "127.0.0.1:8787",
             log=print) -> BackfillReport:
    """Run the backfill; see the module docstring. `log` gets the dashboard link and notes."""
    from distributed import as_completed
    from tqdm import tqdm

    if workers is not None and workers < 1:
        raise ValueError(f"--workers {workers}: needs at least 1")
    if blocksize_mb <= 0:
        raise ValueError(f"--blocksize {blocksize_mb}: needs a positive number of MB")
    if gazetteer and "://" not in gazetteer:
        gazetteer = os.path.abspath(gazetteer)
    blocksize = max(1, int(blocksize_mb * 2**20))
    files, bad = expand_inputs(inputs)
    if not files:
        raise ValueError("no archive to read: " + "; ".join(b.reason for b in bad) if bad else "no input given")
    out = os.path.abspath(out)
    _prepare_out(out)
    report = BackfillReport(out=out, files=len(files), bad_rows=bad)
    t0 = time.perf_counter()
    client, cluster = _client(workers, scheduler, dashboard_address)
    bar = None
    try:
        report.workers = len(client.scheduler_info(n_workers=-1)["workers"]) if scheduler else workers or 1
        report.dashboard = client.dashboard_link or ""
        log(f"dask: scheduler {client.scheduler_info()['address']}, {report.workers} worker(s); dashboard {report.dashboard}")
        client.register_plugin(GeoparserPlugin(gazetteer))
        report.startup_seconds = time.perf_counter() - t0
        bar = tqdm(total=0, unit=" articles", desc="backfill", disable=not show_progress)
        plans = [client.submit(plan_file, i, f, blocksize, retries=retries, pure=False)
                 for i, f in enumerate(files) if file_kind(f)[0] != "text"]
        texts = plan_texts([(i, f) for i, f in enumerate(files) if file_kind(f)[0] == "text"], blocksize)
        specs = {}

        def submit(parts):
            for p in parts:
                bar.total += p.rows
                fut = client.submit(run_partition, p, gazetteer, out, retries=retries, pure=False)
                specs[fut.key] = p
                work.add(fut)
            bar.refresh()

        work = as_completed(plans)
        submit(texts)
        for fut in work:
            if fut.key not in specs:  # a plan
                try:
                    parts, plan_bad = fut.result()
                except Exception as exc:
                    report.bad_rows.append(BadRow("?", None, f"planning failed ({exc.__class__.__name__}: {exc})"))
                    continue
                report.bad_rows += plan_bad
                submit(parts)
                continue
            p = specs.pop(fut.key)
            try:
                res = fut.result()
            except Exception as exc:  # still failing after its retries: reported, the run goes on
                report.failed_partitions.append({"name": p.name, "path": p.path, "start": p.start, "end": p.end,
                                                 "error": f"{exc.__class__.__name__}: {exc}"})
                bar.update(p.rows)
                continue
            report.partitions += 1
            report.articles += res["articles"]
            report.incidents += res["incidents"]
            report.bad_rows += [BadRow(**b) for b in res["bad"]]
            report.peak_worker_mb = max(report.peak_worker_mb, res["rss_mb"])
            bar.update(res["rows"])
        if scheduler:
            client.unregister_worker_plugin("incidentmap-geoparser")
    finally:
        if bar is not None:
            bar.close()
        client.close()
        if cluster is not None:
            cluster.close()
    report.seconds = time.perf_counter() - t0
    _write_report(report, files, gazetteer, blocksize_mb)
    return report


def _write_report(report: BackfillReport, files: list[str], gazetteer: str | None, blocksize_mb: float) -> None:
    with open(os.path.join(report.out, BAD_ROWS), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["file", "row", "reason"])
        for b in report.bad_rows:
            w.writerow([b.file, "" if b.row is None else b.row, b.reason])
    manifest = {"format": "incidentmap-backfill", "version": 1, "inputs": files, "gazetteer": gazetteer,
                "blocksize_mb": blocksize_mb, "partitions": report.partitions, "articles": report.articles,
                "incidents": report.incidents, "bad_rows": len(report.bad_rows),
                "failed_partitions": report.failed_partitions, "seconds": round(report.seconds, 2),
                "startup_seconds": round(report.startup_seconds, 2),
                "articles_per_second": round(report.rate, 2), "workers": report.workers,
                "peak_worker_mb": round(report.peak_worker_mb), "geoparquet": GEOPARQUET_VERSION,
                "complete": not report.failed_partitions}
    tmp = os.path.join(report.out, MANIFEST + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    os.replace(tmp, os.path.join(report.out, MANIFEST))


# ---- load ----------------------------------------------------------------------------------------------
def read_manifest(out: str) -> dict:
    path = os.path.join(out, MANIFEST)
    if not os.path.exists(path):
        raise ValueError(f"{out}: not a backfill output (no {MANIFEST}); run `incidentmap backfill INPUT... "
                         f"--out {out}` first")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _article(r: dict) -> Article:
    a = Article(text=r["text"], title=r["title"], date=r["date"], source=r["source"], url=r["url"],
                language=r["language"], path=r["path"], body_start=r["body_start"],
                warnings=json.loads(r["warnings"]))
    if a.id != r["id"] or a.key != r["key"]:
        raise ValueError(f"{r['path']}: the article read back differs from the one extracted (id or key)")
    return a


def _incident(r: dict, a: Article) -> Incident:
    return Incident(article_id=r["article_id"], group=r["group"], date=r["date"].isoformat() if r["date"] else None,
                    time_precision=r["time_precision"], event_type=r["event_type"],
                    sub_event_type=r["sub_event_type"], actors=json.loads(r["actors"]), fatalities=r["fatalities"],
                    location=decode_location(r["location"]), passage=r["passage"], passage_start=r["passage_start"],
                    passage_end=r["passage_end"], place_start=r["place_start"], place_end=r["place_end"],
                    article=a.meta(), evidence=json.loads(r["evidence"]), source_kind=r["source_kind"])


def load(out: str, store, show_progress: bool = True) -> IngestSummary:
    """Store every article of a backfill output with its incidents: one transaction per partition, new
    articles written in bulk (COPY on PostgreSQL; Store.load_articles), changed ones as `ingest` would."""
    from tqdm import tqdm

    manifest = read_manifest(out)
    s = IngestSummary()
    if manifest.get("failed_partitions"):
        s.warnings.append(f"{len(manifest['failed_partitions'])} partition(s) failed in the backfill and are "
                          f"missing here; see {os.path.join(out, MANIFEST)}")
    names = sorted(n for n in os.listdir(os.path.join(out, "articles")) if n.endswith(".parquet"))
    bar = tqdm(total=manifest.get("articles"), unit=" articles", desc="loading", disable=not show_progress)
    try:
        for name in names:
            arts = pq.read_table(os.path.join(out, "articles", name)).to_pylist()
            by_row: dict[tuple[int, int], list[dict]] = {}
            for r in pq.read_table(os.path.join(out, "incidents", name)).to_pylist():
                by_row.setdefault((r["file_index"], r["row"]), []).append(r)
            items = []
            for r in sorted(arts, key=lambda r: (r["file_index"], r["row"])):
                art = _article(r)
                items.append((art, [_incident(i, art) for i in by_row.get((r["file_index"], r["row"]), [])]))
            try:
                results = store.load_articles(items)
            except Exception:  # find and report the bad article(s); store the others
                for art, incidents in items:
                    s.save(store, art, incidents)
            else:
                for (art, incidents), res in zip(items, results):
                    s.articles += 1
                    s.warnings += [f"{art.path or art.title}: {w}" for w in art.warnings]
                    s.count(res, incidents)
            bar.update(len(items))
    finally:
        bar.close()
    return s

