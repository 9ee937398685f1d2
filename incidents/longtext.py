"""Long articles, extracted in parts so the time stays linear in their length.

Parts of the pipeline (the recogniser's word lists, cue and sentence look-ups, per-incident metadata)
cost more than linearly on one huge text: a 1 MB article took minutes. `incidents.extract.extract`
hands any article whose body is over `PART_CHARS` characters to `extract_in_parts`, which
- cuts the body at paragraph breaks (else line breaks, else sentence ends, else spaces) into parts
  of at most `PART_CHARS` characters;
- extracts each part as an article of its own, with the article's heading (title, date line,
  caption: `text[:body_start]`) in front so the part keeps its context (the title naming Syria, the
  publication date) while its body is only the part;
- puts the incidents back into the article: offsets shifted to the whole text, the article's own
  id, group ids and metadata (computed once, not once per incident).
An event told across a paragraph break in two parts is read as in two articles; everything else is
as if the article were read whole (paragraphs are never cut, a sentence only when a paragraph alone
is over the limit).
"""

from __future__ import annotations

import re
from dataclasses import replace

PART_CHARS = 20_000  # characters of body per part
MAX_HEADING = 2_000  # a longer heading is not repeated in front of each part
_CUTS = (re.compile(r"\n\s*\n"), re.compile(r"\n"), re.compile(r"[.!?؟۔]\s"), re.compile(r"\s"))


def part_bounds(text: str, start: int, limit: int = PART_CHARS) -> list[tuple[int, int]]:
    """[start, end) ranges covering text[start:], each at most `limit` characters, cut at the last
    paragraph break (else line break, sentence end, space) before the limit."""
    out, pos, n = [], start, len(text)
    while pos < n:
        end = min(n, pos + limit)
        if end < n:
            window = text[pos:end]
            for cut in _CUTS:
                last = None
                for last in cut.finditer(window, limit // 2):
                    pass
                if last is not None:
                    end = pos + last.end()
                    break
        out.append((pos, end))
        pos = end
    return out


def extract_in_parts(article, geoparser, extract_part, limit: int = PART_CHARS) -> list:
    """The incidents of a long article: `extract_part(part_article, geoparser)` on each part,
    offsets and identity moved back to `article` (see the module's docstring). The caller drops
    what the whole article makes redundant (extract's coarse duplicates)."""
    text, body = article.text, article.body_start
    heading = text[:body] if body <= MAX_HEADING else ""
    meta, aid = article.meta(), article.id
    out = []
    for s, e in part_bounds(text, body, limit):
        part = replace(article, text=heading + text[s:e], body_start=len(heading), warnings=[])
        shift = s - len(heading)
        for inc in extract_part(part, geoparser):
            inc.article_id, inc.article = aid, meta
            inc.group = f"{aid}:{int(inc.group.rsplit(':', 1)[1]) + shift}"
            inc.passage_start += shift
            inc.passage_end += shift
            inc.place_start += shift
            inc.place_end += shift
            loc = inc.location
            if loc.get("start") is not None:
                loc["start"] += shift
                loc["end"] += shift
            out.append(inc)
    return out
