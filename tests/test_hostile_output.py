"""Issue 19: what the product writes out when its input is hostile — CSV exports that a spreadsheet
would run as formulas, and free text (review notes, overlay names) that would forge lines or fields
in the command line's listings. Every file and store here is made by the test."""

from __future__ import annotations

import contextlib
import csv
import io

import pytest

from incidents.cli import main

FORMULAS = {
    "article_title": '=HYPERLINK("http://evil.example/x","click")',
    "source": "+cmd|' /C calc'!A0",
}
HOSTILE_MD = f"""---
title: '{FORMULAS["article_title"]}'
source: "{FORMULAS["source"]}"
date: 2017-04-05
---
{FORMULAS["article_title"]}

-2+3 Government forces shelled the town of Saraqib in Idlib on Tuesday, killing three civilians.

@SUM(1+1) Russian warplanes struck the city of Ariha in Idlib on Tuesday.
"""
TEXT_COLUMNS = ("source", "notes", "passage", "article_title")


def run(*args) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(list(args)) == 0
    return out.getvalue()


@pytest.fixture
def hostile_db(tmp_path, real_gazetteer_path):
    (tmp_path / "evil.md").write_text(HOSTILE_MD, encoding="utf-8")
    db = str(tmp_path / "s.sqlite")
    run("ingest", str(tmp_path / "evil.md"), "--db", db, "--gazetteer", str(real_gazetteer_path), "--quiet")
    return db


@pytest.mark.shared
def test_csv_export_neutralises_formulas_unless_asked_not_to(hostile_db):
    rows = list(csv.DictReader(io.StringIO(run("export", "--db", hostile_db))))
    assert len(rows) == 2
    starts = {r["passage"][:5] for r in rows}
    assert starts == {"'-2+3", "'@SUM"}  # the notes/passage cells of both incidents
    for r in rows:
        for col in TEXT_COLUMNS:
            assert r[col].startswith("'") and r[col][1:2] in "=+-@", (col, r[col])
        assert r["article_title"] == "'" + FORMULAS["article_title"] and r["source"] == "'" + FORMULAS["source"]
        assert not r["latitude"].startswith("'") and float(r["latitude"]) > 0  # numbers untouched
    for r in csv.DictReader(io.StringIO(run("export", "--db", hostile_db, "--events"))):
        assert all(r[col].startswith("'") for col in TEXT_COLUMNS)
    raw = list(csv.DictReader(io.StringIO(run("export", "--db", hostile_db, "--no-neutralise"))))
    assert {r["article_title"] for r in raw} == {FORMULAS["article_title"]}  # verbatim, for programs
    assert {r["passage"][:4] for r in raw} == {"-2+3", "@SUM"}


def test_the_dashboards_csv_and_every_formula_start():
    from incidents.acled import csv_text, neutralise_cell

    for bad in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1"):
        assert neutralise_cell(bad) == "'" + bad
    for fine in ("Saraqib", "قصف", "1-2", "", None, -2, 35.5):
        assert neutralise_cell(fine) == fine
    row = {"uid": "x", "passage": "=HYPERLINK(\"http://e\")", "article_title": "@SUM(A1)", "lon": -1.5}
    safe = next(csv.DictReader(io.StringIO(csv_text([row]))))
    assert safe["notes"] == "'=HYPERLINK(\"http://e\")" and safe["article_title"] == "'@SUM(A1)"
    raw = next(csv.DictReader(io.StringIO(csv_text([row], neutralise=False))))
    assert raw["notes"] == "=HYPERLINK(\"http://e\")"


# ---- listings ------------------------------------------------------------------------------------------
FORGED = "fine\n2026-01-01T00:00:00\tmallory\treject\t{}\tforged entry"


@pytest.mark.shared
def test_a_review_note_cannot_forge_a_log_entry(tmp_path, real_gazetteer_path, seed_text):
    (tmp_path / "seed.txt").write_text(seed_text, encoding="utf-8")
    db = str(tmp_path / "s.sqlite")
    run("ingest", str(tmp_path / "seed.txt"), "--db", db, "--gazetteer", str(real_gazetteer_path), "--quiet")
    uid = run("review", "list", "--db", db).splitlines()[0].split("\t")[0]
    run("review", "accept", uid, "--db", db, "--by", "rana\tadmin", "--note", FORGED)
    log = run("review", "log", uid, "--db", db).splitlines()
    assert len(log) == 1, log  # one entry, not a second forged one
    fields = log[0].split("\t")
    assert len(fields) == 5 and fields[1] == "rana\\tadmin" and fields[2] == "accept"
    assert fields[4] == FORGED.replace("\n", "\\n").replace("\t", "\\t")
    import json

    assert json.loads(run("review", "log", uid, "--db", db, "--json"))[0]["note"] == FORGED  # JSON keeps it


def test_overlay_names_with_newlines_cannot_break_places_list():
    name = "قرية\noverlay:fake\tكاذبة\tFake\tvillage\t1.00000,1.00000"
    run("places", "add", "--name-ar", name, "--name-en", "Real\x1b[2J", "--lat", "35.9", "--lon", "36.6",
        "--note", "x")
    listing = run("places", "list", "--overlay").splitlines()
    assert len(listing) == 1, listing
    fields = listing[0].split("\t")
    assert len(fields) == 5 and fields[1] == name.replace("\n", "\\n").replace("\t", "\\t")
    assert fields[2] == "Real\\x1b[2J" and fields[4] == "35.90000,36.60000"


def test_printable_escapes_controls_and_bidi_overrides_but_keeps_arabic():
    from geodata.printable import printable

    assert printable("a\nb\tc\rd\x00\x1b\x85\u2028\u202e\u2066") == "a\\nb\\tc\\rd\\x00\\x1b\\x85\\u2028\\u202e\\u2066"
    kept = "قصفت قوات النظام\u200c\u200d\u200f\u061c كنصفرة، Saraqib"
    assert printable(kept) == kept and printable(None) == ""


def test_a_file_name_cannot_forge_lines_in_ingest_errors(tmp_path, real_gazetteer_path, capsys):
    """A missing file whose name holds a newline is one error line, its name escaped; the good file
    beside it in the same batch is still read."""
    good = tmp_path / "good.txt"
    good.write_text("Shelling on Saraqib\n\nGovernment forces shelled the town of Saraqib in Idlib on "
                    "Tuesday, killing three civilians.\n", encoding="utf-8")
    bad = str(tmp_path / "no\nerror: forged")
    code = main(["ingest", bad, str(good), "--db", str(tmp_path / "s.sqlite"), "--gazetteer",
                 str(real_gazetteer_path), "--quiet"])
    out = capsys.readouterr()
    text = out.out + out.err
    assert code in (0, 1)
    errors = [line for line in text.splitlines() if line.strip().startswith("error:")]
    assert len(errors) == 1 and "no\\nerror: forged" in errors[0], text
    assert "1 new" in text  # the good file was read
