"""Issue 19: a long article cannot hold a worker for minutes. Extraction cuts articles over
`incidents.longtext.PART_CHARS` into parts at paragraph breaks and puts the incidents back into the
whole article; these tests check the time on a 1 MB article and that the parts' incidents are the
whole article's (offsets, ids, groups)."""

from __future__ import annotations

import multiprocessing as mp
import time

import pytest

from incidents.articles import article_from_text
from incidents.extract import extract
from incidents.longtext import PART_CHARS, extract_in_parts, part_bounds


def _extract_timed(text: str, gazetteer, q) -> None:
    from geodata.geoparser import Geoparser

    gp = Geoparser(gazetteer=gazetteer)
    started = time.perf_counter()
    n = len(extract(article_from_text(text, path="long.txt"), gp))
    q.put((time.perf_counter() - started, n))


@pytest.mark.shared
def test_a_one_megabyte_article_is_extracted_in_seconds_not_minutes(seed_text, real_gazetteer):
    body = seed_text.split("\n\n", 1)[1]
    text = seed_text + ("\n\n" + body) * (1_000_000 // len(body))
    assert len(text) > 1_000_000
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    proc = ctx.Process(target=_extract_timed, args=(text, real_gazetteer, q))
    proc.start()
    proc.join(90)  # before the fix: still running after 120 s
    if proc.is_alive():
        proc.kill()
        proc.join()
        pytest.fail("a 1 MB article took over 90 s")
    took, n = q.get(timeout=5)
    assert took < 60 and n > 1000, (took, n)


def test_parts_are_cut_at_paragraph_breaks_and_cover_the_text():
    para = "Government forces shelled the town. " * 40  # ~1,400 characters
    text = "Title\n\n" + "\n\n".join([para] * 50)
    bounds = part_bounds(text, 7, limit=5_000)
    assert bounds[0][0] == 7 and bounds[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))  # no gap, no overlap
    assert all(e - s <= 5_000 for s, e in bounds)
    assert all(text[e - 2:e] == "\n\n" for _s, e in bounds[:-1])  # cut after a paragraph break
    one_line = "x " * 20_000  # no break at all: cut at a space, still within the limit
    assert all(e - s <= 5_000 for s, e in part_bounds(one_line, 0, limit=5_000))


@pytest.mark.shared
def test_incidents_of_the_parts_point_into_the_whole_article(seed_text, geoparser):
    whole = article_from_text(seed_text, path="seed.txt")
    single = extract(whole, geoparser)
    assert len(whole.text) - whole.body_start < PART_CHARS and single  # the seed alone is one part
    body = whole.text[whole.body_start:]
    long = article_from_text(whole.text + "\n\n" + body + "\n\n" + body, path="long.txt")
    parts = extract_in_parts(long, geoparser, extract, limit=len(body) + 10)
    assert len(parts) == 3 * len(single)
    for inc in parts:
        assert inc.article_id == long.id and inc.article["id"] == long.id
        assert long.text[inc.place_start:inc.place_end] == inc.location["text"]
        assert inc.location["start"] == inc.place_start
        assert long.text[inc.passage_start:inc.passage_end] == inc.passage
        assert int(inc.group.rsplit(":", 1)[1]) <= inc.passage_start
    shift = len(whole.text) + 2 - whole.body_start  # where the second copy of the body starts, relative
    second = [i for i in parts if i.place_start >= len(whole.text)][:len(single)]
    assert [(i.place_start - shift, i.location["id"], i.date) for i in second] == \
        [(i.place_start, i.location["id"], i.date) for i in single]


def test_a_sentence_repeated_many_times_gets_its_uids_in_linear_time(monkeypatch):
    """Storing: each repeat of one sentence used to try occurrence 0, 1, 2 … (n²/2 hashes)."""
    import incidents.groups as groups

    row = {"article_key": "a", "passage": "Shelling on Saraqib.", "place_start": 12, "passage_start": 0,
           "sub_event_type": "Shelling/artillery/missile attack"}
    slow_used: dict = {}
    for _ in range(300):
        slow_used[groups.unique_uid(row, slow_used)] = 1
    calls = []
    real = groups.incident_uid
    monkeypatch.setattr(groups, "incident_uid", lambda r, n=0: calls.append(n) or real(r, n))
    used, last = {}, {}
    for _ in range(300):
        used[groups.unique_uid(row, used, last)] = 1
    assert list(used) == list(slow_used)  # the very same uids, in the same order
    assert len(calls) <= 2 * 300
