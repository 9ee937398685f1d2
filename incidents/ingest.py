"""Ingest: read articles, extract incidents, store them — with progress and a summary.

Used by `incidentmap ingest` and by the dashboard's "add an article". A file or row that cannot
be read is reported with its name and skipped; the rest of the batch goes on; what is already
stored is never lost. Articles new to the store are written a few hundred at a time, in one
transaction with one regrouping of their events (Store.load_articles: the same store as saving them
one by one, without a transaction and a neighbourhood search per article); an article already
stored goes alone through Store.save_article (unchanged, or replaced with its reviews carried over).
"""

from __future__ import annotations

from collections.abc import Callable
import time
from dataclasses import dataclass, field

from incidents.articles import Article, ArticleError, iter_articles
from incidents.extract import extract
from incidents.store import Store

from geodata.printable import printable


@dataclass
class IngestSummary:
    articles: int = 0
    new: int = 0
    replaced: int = 0
    unchanged: int = 0
    incidents: int = 0
    unresolved_places: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def text(self) -> str:
        lines = [f"{self.articles} article(s): {self.new} new, {self.replaced} replaced, {self.unchanged} unchanged; "
                 f"{self.incidents} incident(s) stored; {self.unresolved_places} place mention(s) answered "
                 f"coarser than written; {len(self.errors)} error(s)"]
        lines += [f"  error: {printable(e)}" for e in self.errors]  # names and rows quoted: one line each
        lines += [f"  warning: {w}" for w in self.warnings[:20]]
        return "\n".join(lines)

    def save(self, store: Store, art: Article, incidents: list | None, error: str | None = None) -> bool:
        """Save one extracted article (counted whatever happens); False when it is not stored."""
        self.articles += 1
        self.warnings += [f"{art.path or art.title or art.id}: {w}" for w in art.warnings]
        if error:
            self.errors.append(error)
            return False
        try:
            res = store.save_article(art, incidents)
        except Exception as exc:  # one bad article never stops the batch
            self.errors.append(f"{art.path or art.title}: could not be stored ({exc.__class__.__name__}: {exc})")
            return False
        self.count(res, incidents)
        return True

    def save_new(self, store: Store, batch: list[tuple]) -> list:
        """Save many articles not stored yet, [(article, incidents)], in one transaction; returns the
        ones stored. When that fails, each is saved alone, so a bad one costs only itself."""
        try:
            results = store.load_articles(batch)
        except Exception:  # nothing of the batch was written: one by one, each error on its own article
            return [art for art, incidents in batch if self.save(store, art, incidents)]
        for (art, incidents), res in zip(batch, results):
            self.articles += 1
            self.warnings += [f"{art.path or art.title or art.id}: {w}" for w in art.warnings]
            self.count(res, incidents)
        return [art for art, _ in batch]

    def count(self, res, incidents: list) -> None:
        """Count one stored article (its SaveResult and incidents)."""
        setattr(self, res.status, getattr(self, res.status) + 1)
        self.incidents += res.incidents
        self.unresolved_places += sum(1 for i in incidents if i.location.get("reason"))


def _extract_one(item, geoparser):
    """(item, incidents or None, error or None) for one article or read error."""
    if isinstance(item, ArticleError):
        return item, None, str(item)
    try:
        return item, extract(item, geoparser), None
    except Exception as exc:  # one bad article never stops the batch
        return item, None, f"{item.path or item.title}: extraction failed ({exc.__class__.__name__}: {exc})"


_WORKER_GEOPARSER = None


def _worker_init(gazetteer: str | None) -> None:
    global _WORKER_GEOPARSER
    from geodata.geoparser import Geoparser

    _WORKER_GEOPARSER = Geoparser(path=gazetteer)


def _worker_extract(item):
    return _extract_one(item, _WORKER_GEOPARSER)


def _extracted(articles, geoparser, workers: int, gazetteer: str | None):
    """(article, incidents, error) in input order; with workers > 1 the extraction runs in that
    many processes, each loading the geoparser once, while this process only stores."""
    if workers <= 1:
        for item in articles:
            yield _extract_one(item, geoparser)
        return
    import multiprocessing as mp

    with mp.get_context("spawn").Pool(workers, initializer=_worker_init, initargs=(gazetteer,)) as pool:
        yield from pool.imap(_worker_extract, articles, chunksize=8)


BATCH_ARTICLES = 200  # new articles stored in one transaction, at most…
BATCH_SECONDS = 1.0  # …and at most this long after the first of them was extracted (a reader sees progress)


def ingest_articles(articles, store: Store, geoparser, progress: Callable[[int, str], None] | None = None,
                    workers: int = 1, gazetteer: str | None = None) -> IngestSummary:
    s = IngestSummary()
    batch: list[tuple] = []  # new articles waiting to be stored, in input order, keys distinct
    started = 0.0

    def flush():
        for art in s.save_new(store, batch):
            if progress:
                progress(1, art.path or art.title)
        batch.clear()

    for art, incidents, error in _extracted(articles, geoparser, workers, gazetteer):
        if error is None and store.articles.stored_id(art.key) is None \
                and all(art.key != a.key for a, _ in batch):
            if not batch:
                started = time.monotonic()
            batch.append((art, incidents))
            if len(batch) >= BATCH_ARTICLES or time.monotonic() - started >= BATCH_SECONDS:
                flush()
            continue
        flush()  # everything before this one is stored first: the same order as one by one
        if isinstance(art, ArticleError):
            s.errors.append(error)
            continue
        if s.save(store, art, incidents, error) and progress:
            progress(1, art.path or art.title)
    flush()
    return s


def ingest_paths(paths: list[str], store: Store, geoparser, show_progress: bool = True, workers: int = 1,
                 gazetteer: str | None = None) -> IngestSummary:
    """Ingest files and folders. With workers > 1, `geoparser` may be None: each worker process
    loads its own from `gazetteer` (the default index when None)."""
    from tqdm import tqdm

    bar = tqdm(unit=" articles", desc="ingesting", disable=not show_progress)
    try:
        return ingest_articles(iter_articles(paths), store, geoparser, progress=lambda n, _: bar.update(n),
                               workers=workers, gazetteer=gazetteer)
    finally:
        bar.close()
