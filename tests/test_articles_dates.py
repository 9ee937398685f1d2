"""Reading articles and dates (no gazetteer needed)."""

import json
from datetime import date

import pytest

from incidents.articles import ArticleError, iter_articles, read_text_article
from incidents.dates import event_date, parse_date

from conftest import SEED


def test_seed_article_title_date_body():
    a = read_text_article(str(SEED))
    assert a.title == "قصف متبادل بين النظام السوري والمعارضة في إدلب"
    assert a.date == date(2020, 9, 21) and a.language == "ar"
    assert a.text[a.body_start:].startswith("تبادلت قوات المعارضة")  # title, date, caption skipped
    assert a.text == SEED.read_text(encoding="utf-8")  # never altered


def test_plain_text_date_line_without_sidecar(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("عنوان الخبر\n\n٢١ أيلول ٢٠٢٠\nقصفت قوات النظام قرية كنصفرة صباح اليوم.", encoding="utf-8")
    a = read_text_article(str(p))
    assert a.date == date(2020, 9, 21) and a.title == "عنوان الخبر"


@pytest.mark.parametrize("text,expected", [
    ("21 سبتمبر 2020", date(2020, 9, 21)), ("21 أيلول 2020", date(2020, 9, 21)),
    ("5 آذار/ مارس 2020", date(2020, 3, 5)), ("٢١ سبتمبر ٢٠٢٠", date(2020, 9, 21)),
    ("Wed 05 Apr 2017", date(2017, 4, 5)), ("April 5, 2017", date(2017, 4, 5)),
    ("2017-07-01T00:05:18.055Z", date(2017, 7, 1)), ("4/16/2017", date(2017, 4, 16)),
    ("16/4/2017", date(2017, 4, 16)), ("no date here", None), ("31 فبراير 2020", None),
])
def test_parse_date(text, expected):
    assert parse_date(text) == expected


def test_relative_dates_with_weekday_check():
    pub = date(2020, 9, 21)  # a Monday
    assert event_date("قصفت قوات النظام صباح اليوم الاثنين القرى", pub).date == pub
    assert event_date("وكان يوم الأمس الأحد قد شهد تصعيداً", pub).date == date(2020, 9, 20)
    d = event_date("وكان يوم أمس السبت قد شهد تصعيداً", pub)  # wrong weekday: flagged, coarser
    assert d.date == date(2020, 9, 20) and d.precision == 2 and "different weekday" in d.evidence
    assert event_date("فشل التقدم الليلة الماضية", pub).date == date(2020, 9, 20)
    assert event_date("Regime jets struck the town yesterday", pub).date == date(2020, 9, 20)
    assert event_date("Clashes erupted on Friday near Saraqib", pub).date == date(2020, 9, 18)
    assert event_date("A statement said nothing new", pub).date == pub
    assert event_date("clashes last week", pub).precision == 2


def test_front_matter_and_tables(tmp_path):
    md = tmp_path / "r.md"
    md.write_text("---\ntitle: Report\ndate: 2019-08-18\nsource: Test\nurl: https://example.org/r\n---\n\n"
                  "Regime forces captured Tal Aas.", encoding="utf-8")
    csvf = tmp_path / "a.csv"
    csvf.write_text('title,content,date,source\nT1,"Shelling on Saraqib",4/5/2017,X\nT2,,4/6/2017,X\n'
                    'T3,"Clashes in Idlib",not a date,X\n', encoding="utf-8")
    jl = tmp_path / "a.jsonl"
    jl.write_text(json.dumps({"title": "J", "text": "Clashes", "date": "2020-01-02"}) + "\n{broken\n", encoding="utf-8")
    got = list(iter_articles([str(tmp_path)]))
    arts = [g for g in got if not isinstance(g, ArticleError)]
    errs = [str(g) for g in got if isinstance(g, ArticleError)]
    by_title = {a.title: a for a in arts}
    assert by_title["Report"].date == date(2019, 8, 18) and by_title["Report"].url == "https://example.org/r"
    assert by_title["T1"].date == date(2017, 4, 5)
    assert any("cannot be read" in w for w in by_title["T3"].warnings)
    assert by_title["J"].date == date(2020, 1, 2)
    assert any("a.csv:3" in e and "no text" in e for e in errs)
    assert any("a.jsonl:2" in e for e in errs)


def test_bad_files_are_named(tmp_path):
    (tmp_path / "bin.txt").write_bytes(b"\x00\xff" * 100)
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "cols.csv").write_text("a,b\n1,2\n")
    (tmp_path / "cp.txt").write_bytes("قصف على سراقب".encode("cp1256"))
    got = {str(g) if isinstance(g, ArticleError) else g.path: g for g in iter_articles([str(tmp_path), "nope.txt"])}
    text = "\n".join(got)
    assert "bin.txt: looks like a binary file" in text
    assert "empty.txt: empty file" in text
    assert "cols.csv: CSV has no text column" in text
    assert "nope.txt: no such file" in text
    assert got[str(tmp_path / "cp.txt")].text == "قصف على سراقب"
