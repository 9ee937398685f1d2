"""Ingest: read articles, extract incidents, store them — with progress and a summary.

Used by `incidentmap ingest` and by the dashboard's "add an article". A file or row that cannot
be read is reported with its name and skipped; the rest of the batch goes on; what is already
stored is never lost (each article is its own transaction).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from incidents.articles import Article, ArticleError, iter_articles
from incidents.extract import extract
from incidents.store import Store


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
        lines += [f"  error: {e}" for e in self.errors]
        lines += [f"  warning: {w}" for w in self.warnings[:20]]
        return "\n".join(lines)


def ingest_articles(articles, store: Store, geoparser, progress: Callable[[int, str], None] | None = None
                    ) -> IngestSummary:
    s = IngestSummary()
    for item in articles:
        if isinstance(item, ArticleError):
            s.errors.append(str(item))
            continue
        art: Article = item
        s.articles += 1
        s.warnings += [f"{art.path or art.title}: {w}" for w in art.warnings]
        try:
            incidents = extract(art, geoparser)
            res = store.save_article(art, incidents)
        except Exception as exc:  # one bad article never stops the batch
            s.errors.append(f"{art.path or art.title}: extraction failed ({exc.__class__.__name__}: {exc})")
            continue
        setattr(s, res.status, getattr(s, res.status) + 1)
        s.incidents += res.incidents
        s.unresolved_places += sum(1 for i in incidents if i.location.get("reason"))
        if progress:
            progress(1, art.path or art.title)
    return s


def ingest_paths(paths: list[str], store: Store, geoparser, show_progress: bool = True) -> IngestSummary:
    from tqdm import tqdm

    bar = tqdm(unit=" articles", desc="ingesting", disable=not show_progress)
    try:
        return ingest_articles(iter_articles(paths), store, geoparser, progress=lambda n, _: bar.update(n))
    finally:
        bar.close()
