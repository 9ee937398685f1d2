"""Nothing lost, nothing silent: one reading of an article, made when it comes in and stored with it,
so that `reprocess` (and `load`) re-read exactly that; for every way text comes in, ingest → export
→ reprocess → export gives the same file; a one-paragraph report is body, not a title; a table row
keeps its body and its date column; one unreadable row or file never ends the batch."""

from __future__ import annotations

import contextlib
import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from conftest import ROOT, SEED, SHARED, need
from incidents.articles import article_from_text, iter_articles, read_table
from incidents.cli import main
from incidents.ingest import ingest_paths
from incidents.store import Store

FAKES = SHARED / "eval" / "fa-kes" / "FA-KES-Dataset.csv"
REPORTS = SHARED / "eval" / "syrian-archive" / "reports"
FEED_PAGES = ROOT / "tests" / "fixtures" / "feeds"
# issue 18's example: one paragraph, no title, no date line
ONE_PARAGRAPH = ("قصفت قوات النظام صباح اليوم بلدة معرة مصرين بريف إدلب الشمالي بقذائف المدفعية، "
                 "ما أدى إلى إصابة مدنيين اثنين.")
EN_ROW = "Government forces shelled Kafr Nabl in the southern Idlib countryside on Monday, killing two civilians."


def export(db, capsys) -> str:
    capsys.readouterr()
    assert main(["export", "--db", str(db), "--include-doubted"]) == 0  # every incident, doubted places too
    return capsys.readouterr().out


def rows_of(csv_text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(csv_text)))


def reprocess(db, gazetteer, capsys) -> str:
    capsys.readouterr()
    assert main(["reprocess", "--quiet", "--db", str(db), "--gazetteer", str(gazetteer)]) == 0
    return capsys.readouterr().out


def same_after_reprocess(db, gazetteer, capsys, at_least: int = 1) -> list[dict]:
    """Export, reprocess with nothing changed, export again: the same file, with incidents in it."""
    before = export(db, capsys)
    assert len(rows_of(before)) >= at_least, before[:500]
    out = reprocess(db, gazetteer, capsys)
    assert "0 error(s)" in out, out
    assert export(db, capsys) == before
    return rows_of(before)


def ingest(paths, db, geoparser):
    with Store(db) as store:
        return ingest_paths([str(p) for p in paths], store, geoparser, show_progress=False)


def fakes_rows(n: int) -> list[dict]:
    need(FAKES)
    with open(FAKES, encoding="utf-8", errors="replace", newline="") as f:
        return [r for _, r in zip(range(n), csv.DictReader(f))]


def write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


# ---- the reading ---------------------------------------------------------------------------------------
def test_one_paragraph_is_body_not_a_title(geoparser, tmp_path):
    """Issue 18, item 1: a one-paragraph .txt, the same under a title line, and Markdown with front
    matter and a one-paragraph body all give the Maarrat Misrin incident."""
    (tmp_path / "one.txt").write_text(ONE_PARAGRAPH + "\n", encoding="utf-8")
    (tmp_path / "titled.txt").write_text("قصف على معرة مصرين\n\n" + ONE_PARAGRAPH + "\n", encoding="utf-8")
    (tmp_path / "front.md").write_text('---\ntitle: "قصف على معرة مصرين"\ndate: 2020-09-21\n---\n' + ONE_PARAGRAPH
                                       + "\n", encoding="utf-8")
    db = tmp_path / "s.sqlite"
    summary = ingest(sorted(tmp_path.glob("*.*")), db, geoparser)
    assert summary.errors == [] and summary.incidents == 3
    with Store(db) as store:
        got = {r["article_key"].rsplit("/", 1)[-1]: (r["name_en"], r["place_text"]) for r in store.incidents()}
        titles = {a["path"].rsplit("/", 1)[-1]: a["title"] for a in store.articles.news()}
    assert len({v for v in got.values()}) == 1 and "معرة مصرين" in got["one.txt"][1], got
    assert titles == {"one.txt": "", "titled.txt": "قصف على معرة مصرين", "front.md": "قصف على معرة مصرين"}


def test_a_text_with_no_body_says_so():
    art = article_from_text('---\ntitle: "x"\n---\n\n', path="empty.md")
    assert any("no article text" in w for w in art.warnings)
    assert not any("no article text" in w for w in article_from_text(ONE_PARAGRAPH).warnings)


def test_table_rows_are_body_with_their_date_column_and_no_false_warning(tmp_path):
    """Issue 18, item 3: a CSV row whose date column was read gets no "no date line" warning; the row's
    text is body from its first character, its title and date are its columns."""
    path = write_csv(tmp_path / "rows.csv", [
        {"title": "Kafr Nabl", "text": EN_ROW, "date": "2020-09-21", "source": "wire"},
        {"title": "", "text": "Kafr Nabl shelled\n\n" + EN_ROW, "date": "", "source": "wire"},
        {"title": "x", "text": EN_ROW, "date": "not a date", "source": "wire"}])
    a, b, c = list(read_table(str(path)))
    assert (a.title, a.date.isoformat(), a.body_start, a.warnings) == ("Kafr Nabl", "2020-09-21", 0, [])
    assert (b.title, b.date, b.body_start) == ("Kafr Nabl shelled", None, 0)
    assert b.warnings == ["empty date cell and no date line; the publication date is unknown"]
    assert c.warnings == ["date 'not a date' cannot be read; the publication date is unknown"]


# ---- ingest → reprocess → export, per reader -------------------------------------------------------------
def test_text_file_roundtrip(geoparser, real_gazetteer_path, tmp_path, capsys):
    shutil.copy(SEED, tmp_path / SEED.name)  # without its sidecar
    ingest([tmp_path / SEED.name], tmp_path / "s.sqlite", geoparser)
    same_after_reprocess(tmp_path / "s.sqlite", real_gazetteer_path, capsys, at_least=5)


def test_sidecar_roundtrip(geoparser, real_gazetteer_path, tmp_path, capsys):
    ingest([ROOT / "articles"], tmp_path / "s.sqlite", geoparser)
    rows = same_after_reprocess(tmp_path / "s.sqlite", real_gazetteer_path, capsys, at_least=5)
    assert {r["source"] for r in rows} == {"bundled sample report"}  # the sidecar's


@pytest.mark.shared
def test_markdown_front_matter_roundtrip(geoparser, real_gazetteer_path, tmp_path, capsys):
    need(REPORTS)
    for name in ("investigations_Medical-Facilities-Under-Fire_Incident-1_ar.md",
                 "investigations_Medical-Facilities-Under-Fire_Incident-2.md"):
        shutil.copy(REPORTS / name, tmp_path / name)
    ingest(sorted(tmp_path.glob("*.md")), tmp_path / "s.sqlite", geoparser)
    same_after_reprocess(tmp_path / "s.sqlite", real_gazetteer_path, capsys, at_least=2)


@pytest.mark.shared
def test_fakes_csv_rows_keep_every_incident_through_reprocess(geoparser, real_gazetteer_path, tmp_path, capsys):
    """Issue 18, item 2: 100 FA-KES rows from CSV (389 incidents when the issue was filed) lost them all
    on `reprocess`; and item 3: no row gets the false "no date line" warning."""
    path = write_csv(tmp_path / "fakes.csv", fakes_rows(100))
    summary = ingest([path], tmp_path / "s.sqlite", geoparser)
    assert summary.articles == 100 and summary.errors == []
    assert not [w for w in summary.warnings if "date" in w], summary.warnings[:3]
    rows = same_after_reprocess(tmp_path / "s.sqlite", real_gazetteer_path, capsys, at_least=300)
    assert len(rows) == summary.incidents


@pytest.mark.shared
def test_fakes_json_lines_roundtrip(geoparser, real_gazetteer_path, tmp_path, capsys):
    path = tmp_path / "fakes.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in fakes_rows(30)), encoding="utf-8")
    ingest([path], tmp_path / "s.sqlite", geoparser)
    same_after_reprocess(tmp_path / "s.sqlite", real_gazetteer_path, capsys, at_least=30)


@pytest.mark.shared
def test_backfill_load_roundtrip_equals_ingest(geoparser, real_gazetteer_path, tmp_path, capsys):
    """A backfill loaded with `load`: the same export as ingesting the file, before and after reprocess."""
    path = write_csv(tmp_path / "fakes.csv", fakes_rows(12))
    ingested = tmp_path / "ingested.sqlite"
    ingest([path], ingested, geoparser)
    out = tmp_path / "bf"
    assert main(["backfill", str(path), "--out", str(out), "--workers", "1", "--quiet",
                 "--gazetteer", str(real_gazetteer_path)]) == 0
    loaded = tmp_path / "loaded.sqlite"
    assert main(["load", str(out), "--db", str(loaded), "--quiet"]) == 0
    assert export(loaded, capsys) == export(ingested, capsys)
    same_after_reprocess(loaded, real_gazetteer_path, capsys, at_least=12)


class PageFetcher:
    """A Fetcher that answers from fixture files (no network): what `fetch` reads from a page."""

    def __init__(self, pages: dict[str, str]):
        import threading

        self.pages, self.stop = pages, threading.Event()

    def get(self, url, etag=None, modified=None, accept="*/*", allow_private=False):
        from incidents.fetch import Response

        body = (FEED_PAGES / self.pages[url]).read_bytes()
        return Response(url=url, status=200, body=body, headers={"content-type": "text/html; charset=utf-8"})


def test_fetched_page_roundtrip(geoparser, real_gazetteer_path, tmp_path, capsys):
    from incidents.feeds import fetch_urls

    pages = {"https://example.org/ar/kafranbel": "ar_kafranbel.html", "https://example.org/en/saraqib": "en_saraqib.html"}
    db = tmp_path / "s.sqlite"
    with Store(db) as store:
        summary = fetch_urls(list(pages), store, geoparser, PageFetcher(pages))
    assert summary.read == 2, summary.text()
    same_after_reprocess(db, real_gazetteer_path, capsys, at_least=2)


class _Streamlit:
    """What dashboard.addarticle.add calls on Streamlit, recorded."""

    def __init__(self):
        self.said = []

    def progress(self, *_a, **_k):
        return self

    def __getattr__(self, name):  # error, warning, success
        return lambda *a, **k: self.said.append((name, a))


class _Upload:
    def __init__(self, name: str, data: bytes):
        self.name, self.size, self._data = name, len(data), data

    def getvalue(self) -> bytes:
        return self._data


def test_dashboard_paste_and_upload_roundtrip(geoparser, real_gazetteer_path, tmp_path, capsys, monkeypatch):
    """Pasted text and uploaded files as the dashboard's "Add an article" stores them: a pasted paragraph
    gives its incident; pasting or uploading the same again adds nothing; reprocess keeps them all."""
    from dashboard import addarticle

    st = _Streamlit()
    monkeypatch.setattr(addarticle, "st", st)
    monkeypatch.setattr(addarticle, "geoparser", lambda: geoparser)
    monkeypatch.setattr(addarticle.auth, "require", lambda role: None)
    tr = lambda key, **kw: key  # noqa: E731
    db = str(tmp_path / "s.sqlite")
    upload = _Upload("rows.csv", (f"title,text,date\nKafr Nabl,{EN_ROW},2020-09-21\n").encode())
    for _ in range(2):
        addarticle.add(tr, db, ONE_PARAGRAPH, None)
        addarticle.add(tr, db, "", _Upload("seed.txt", SEED.read_bytes()))
        addarticle.add(tr, db, "", upload)
    assert not [s for s in st.said if s[0] == "error"], st.said
    with Store(db) as store:
        keys = sorted(a["key"] for a in store.articles.news())
    assert len(keys) == 3 and "upload:rows.csv:2" in keys and "upload:seed.txt" in keys, keys
    rows = same_after_reprocess(db, real_gazetteer_path, capsys, at_least=7)
    assert any("معرة مصرين" in (r["passage"] or "") for r in rows)


# ---- upgrades and the overlay flow -----------------------------------------------------------------------
def test_a_store_from_before_the_stored_reading_upgrades_and_keeps_its_rows(geoparser, real_gazetteer_path,
                                                                            tmp_path, capsys):
    """A schema-4 store (no body_start) of CSV rows and a text file: `db upgrade` fills in what their
    ingest read, and reprocess keeps every incident."""
    path = write_csv(tmp_path / "rows.csv", [{"title": "a", "text": EN_ROW, "date": "2020-09-21"},
                                              {"title": "b", "text": "Shelling\n\n" + EN_ROW, "date": "2020-09-22"}])
    shutil.copy(SEED, tmp_path / SEED.name)
    db = tmp_path / "s.sqlite"
    ingest([path, tmp_path / SEED.name], db, geoparser)
    before = export(db, capsys)
    con = sqlite3.connect(db)
    con.execute("ALTER TABLE articles DROP COLUMN body_start")
    con.execute("ALTER TABLE incidents DROP COLUMN place_doubted")  # schema 6's
    con.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    assert main(["db", "upgrade", "--db", str(db)]) == 0
    with Store(db) as store:
        assert sorted(a["body_start"] for a in store.articles.news())[:2] == [0, 0]
    reprocess(db, real_gazetteer_path, capsys)
    assert export(db, capsys) == before


def test_overlay_flow_moves_a_csv_row_incident_to_the_new_village(real_gazetteer_path, tmp_path, capsys):
    """The README's overlay flow on a row of a CSV file: `places add` then `reprocess` places the
    incident at the new village (before the fix, reprocess dropped the row's incidents)."""
    from geodata.geoparser import Geoparser

    village = "تل الزعتر الشرقي"
    text = f"قصفت قوات النظام بالمدفعية الثقيلة صباح اليوم قرية {village} في ريف إدلب الجنوبي، من دون أنباء عن وقوع إصابات."
    path = write_csv(tmp_path / "rows.csv", [{"title": "قصف", "text": text, "date": "2020-09-21"}])
    db = tmp_path / "s.sqlite"
    ingest([path], db, Geoparser(path=real_gazetteer_path))
    with Store(db) as store:
        [before] = list(store.incidents())
    assert not (before["place_id"] or "").startswith("overlay:")
    assert main(["places", "add", "--name-ar", village, "--lat", "35.9", "--lon", "36.6"]) == 0
    pid = capsys.readouterr().out.strip()
    reprocess(db, real_gazetteer_path, capsys)
    with Store(db) as store:
        assert [(r["place_id"], r["lat"], r["lon"]) for r in store.incidents()] == [(pid, 35.9, 36.6)]


# ---- one bad row, one bad file: an error for it, the batch goes on (issue 19, item 5) ----------------------
def test_a_long_cell_nested_json_and_a_binary_file_never_end_the_batch(geoparser, tmp_path):
    long_text = EN_ROW + " " + "The council met to discuss the water supply for the coming season. " * 2500
    assert len(long_text) > 131_072  # the csv module's own limit
    big = write_csv(tmp_path / "a_long.csv", [{"title": "long", "text": long_text, "date": "2020-09-21"},
                                              {"title": "next", "text": EN_ROW, "date": "2020-09-22"}])
    nested = tmp_path / "b_nested.jsonl"
    nested.write_text('{"text": "x", "deep": ' + "[" * 100_000 + "]" * 100_000 + "}\n"
                      + json.dumps({"text": EN_ROW, "date": "2020-09-23"}) + "\n", encoding="utf-8")
    picture = tmp_path / "c_picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    last = tmp_path / "d_last.txt"
    last.write_text(ONE_PARAGRAPH, encoding="utf-8")
    summary = ingest([big, nested, picture, last], tmp_path / "s.sqlite", geoparser)
    assert summary.articles == 4 and summary.incidents >= 4, summary.text()
    assert len(summary.errors) == 2, summary.errors
    assert "b_nested.jsonl:1: JSON nested too deeply" in summary.errors[0]
    assert "c_picture.png" in summary.errors[1] and "binary" in summary.errors[1]


def test_a_csv_the_parser_cannot_go_on_with_is_an_error_and_the_next_file_is_read(tmp_path, monkeypatch):
    """Whatever the csv module refuses (here: a cell over a lowered field limit) is an error naming the
    file and line, and the files after it are read."""
    monkeypatch.setattr(csv, "field_size_limit", csv.field_size_limit)
    old = csv.field_size_limit(50)
    try:
        bad = write_csv(tmp_path / "a.csv", [{"title": "a", "text": "x" * 80, "date": ""}])
        good = tmp_path / "b.txt"
        good.write_text(ONE_PARAGRAPH, encoding="utf-8")
        items = list(iter_articles([str(bad), str(good)]))
    finally:
        csv.field_size_limit(old)
    assert isinstance(items[0], ValueError) and "a.csv:2: CSV cannot be read from here on" in str(items[0])
    assert items[1].path == str(good)


def test_ingest_into_a_picture_says_not_an_incident_store(tmp_path, capsys):
    picture = tmp_path / "picture.png"
    picture.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (tmp_path / "a.txt").write_text(ONE_PARAGRAPH, encoding="utf-8")
    assert main(["ingest", str(tmp_path / "a.txt"), "--db", str(picture), "--quiet"]) == 2
    assert f"error: {picture}: not an incident store" in capsys.readouterr().err
    assert picture.read_bytes().startswith(b"\x89PNG")
