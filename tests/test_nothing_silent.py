"""Nothing silent: `geocode NAME` for a one-word Latin name; the gazetteer build merges duplicate
entries (their ids still resolve); the review queue lists no "close alternative" that is the chosen
place itself and "Needs review" holds only incidents with a reason; every command closes its store."""

from __future__ import annotations

import contextlib
import io
import json

import pytest

from conftest import SEED
from geodata.place import Place
from incidents.cli import main
from incidents.store import Store

MAARRAT = ("wof:421190421", "wof:1226623337")  # two Who's On First localities "Maarrat al-Nu'man", 0.6 km apart


def run_json(capsys, *args) -> list:
    capsys.readouterr()
    assert main(list(args)) == 0
    return json.loads(capsys.readouterr().out)


# ---- geocode NAME ---------------------------------------------------------------------------------------
def test_geocode_a_one_word_latin_name(real_gazetteer_path, capsys, tmp_path, monkeypatch):
    """Issue 18, item 6: `geocode Aleppo` / `geocode Saraqib` looked for a file of that name."""
    gaz = ["--gazetteer", str(real_gazetteer_path)]
    monkeypatch.chdir(tmp_path)
    [saraqib] = run_json(capsys, "geocode", "Saraqib", "--json", *gaz)
    assert saraqib["name_en"] == "Saraqib" and saraqib["admin1"] == "Idlib"
    assert run_json(capsys, "geocode", "Aleppo", "--json", *gaz)[0]["name_en"] == "Aleppo"
    assert run_json(capsys, "geocode", "كفرنبل", "--json", *gaz)[0]["name_en"] == "Kafr Nabl"
    # a file is read when it exists, whatever its name looks like
    (tmp_path / "Saraqib").write_text("Shelling hit Kafr Nabl.", encoding="utf-8")
    assert [r["name_en"] for r in run_json(capsys, "geocode", "Saraqib", "--json", *gaz)] == ["Kafr Nabl"]
    # a missing file: the error says both readings; --file reads a file only
    assert main(["geocode", "report.txt", *gaz]) == 2
    err = capsys.readouterr().err
    assert "report.txt: no such file, and no place of that name in the gazetteer" in err
    assert main(["geocode", "--file", "Aleppo", *gaz]) == 2
    assert "Aleppo: cannot read" in capsys.readouterr().err


# ---- duplicate gazetteer entries --------------------------------------------------------------------------
def _place(pid, en, ar, lat, lon, kind="locality", population=0, names=()):
    return Place(id=pid, name_en=en, name_ar=ar, lat=lat, lon=lon, kind=kind, population=population, names=names)


def test_merge_duplicates_keeps_names_and_leaves_neighbours_alone():
    from geodata.build import merge_duplicates

    places = {p.id: p for p in (
        _place("a", "Ma`arrat an Nu`man", "معرة النعمان", 35.6483, 36.67693, population=58_000),
        _place("b", "Maarrat al-Nu'man", "معرة النعمان", 35.649415, 36.670646, names=("Marret Numan",)),
        _place("c", "Maarrat al-Nu'man", "معرة النعمان", 35.573993, 36.794893),  # 14 km away: another place
        _place("d", "Kuk Tabbah Sughra", "كوك تبة كبرى", 36.0, 37.0),  # Arabic alike, English says another
        _place("e", "Kuk Tabbah Kubra", "كوك تبة كبرى", 36.005, 37.0),
        _place("f", "Maarrat al-Nu'man", "معرة النعمان", 35.6484, 36.6770, kind="district"),  # another kind
    )}
    merged = merge_duplicates(places, {})
    assert merged == {"b": "a"}
    assert set(places) == {"a", "c", "d", "e", "f"}
    assert {"Maarrat al-Nu'man", "Marret Numan"} <= set(places["a"].all_names())


def test_the_built_index_has_no_duplicates_and_merged_ids_resolve(real_gazetteer):
    from geodata.build import DUPLICATE_KM
    from geodata.normalize import name_keys
    from geopy.distance import great_circle

    merged = real_gazetteer.meta["merged_ids"]
    assert merged[MAARRAT[0]] == MAARRAT[1] and MAARRAT[0] not in real_gazetteer.places
    kept = real_gazetteer.get(MAARRAT[0])
    assert kept.id == MAARRAT[1] and "Maarrat al-Nu'man" in kept.all_names()
    assert len(merged) >= 30
    by_key: dict = {}
    for p in real_gazetteer.places.values():
        if p.country == "SY" and p.kind == "locality" and p.name_ar:
            by_key.setdefault(name_keys(p.name_ar)[0], []).append(p)
    left = [(a.id, b.id) for ps in by_key.values() for i, a in enumerate(ps) for b in ps[i + 1:]
            if great_circle((a.lat, a.lon), (b.lat, b.lon)).km <= DUPLICATE_KM
            and name_keys(a.name_en)[1] == name_keys(b.name_en)[1]]
    assert left == []


def test_an_overlay_alias_of_a_merged_id_reaches_the_kept_place(tmp_path):
    from geodata import overlay

    places = {"a": _place("a", "Saraqib", "سراقب", 35.86, 36.80, population=30_000)}
    a = overlay.OverlayPlace(id="alias:x", name_ar="سراقب الشرقية", kind="alias", place_id="b")
    out = overlay.apply(places, [a], merged={"b": "a"})
    assert "سراقب الشرقية" in out["a"].all_names()


# ---- the review queue -------------------------------------------------------------------------------------
def test_same_place_alternatives():
    from incidents.review import same_place

    town = {"id": "wof:890449833", "name_en": "Saraqib", "name_ar": "سراقب", "feature": "locality",
            "admin1": "Idlib", "lat": 35.86447, "lon": 36.80591}
    subdistrict = {"id": "osy:sy-idlib-idlib-saraqab", "name_en": "Saraqab", "name_ar": "سراقب",
                   "admin1": "Idlib", "lat": 35.83497, "lon": 36.81788, "score": 5.8}
    assert same_place(town, subdistrict)  # the admin unit named after the town (stored without its kind)
    assert same_place(town, {**subdistrict, "id": "wof:1", "feature": "subdistrict"})
    twin = {"id": "wof:2", "name_en": "Saraqib", "name_ar": "سراقب", "feature": "locality", "admin1": "Idlib",
            "lat": 35.866, "lon": 36.806}
    assert same_place(town, twin)  # a duplicate entry 0.2 km away
    assert not same_place(town, {**twin, "lat": 36.5})  # a namesake village 70 km away
    assert not same_place(town, {**subdistrict, "admin1": "Hama"})  # a unit of that name elsewhere
    assert not same_place(town, {**twin, "name_en": "Sarmin", "name_ar": "سرمين"})


def test_needs_review_holds_only_incidents_with_a_reason(geoparser, tmp_path, capsys):
    """Issue 18, items 5 and 7, on the bundled report: before, all 12 incidents were pending, 6 with a
    "close alternative" that is the same town (a duplicate entry or the unit named after it) and 4
    with no reason at all."""
    from incidents.articles import iter_articles
    from incidents.ingest import ingest_articles
    from incidents.review import queue, queue_counts, reason_words

    db = tmp_path / "s.sqlite"
    with Store(db) as store:
        ingest_articles(list(iter_articles([str(SEED)])), store, geoparser)
        pending, auto = queue(store, "pending"), queue(store, "auto")
        counts = queue_counts(store)
    assert len(pending) + len(auto) == 12 and pending and auto
    assert all(r["reasons"] for r in pending) and not any(r["reasons"] for r in auto)
    assert counts == {"pending": len(pending), "auto": len(auto), "reviewed": 0, "rejected": 0}
    alternatives = [reason_words(reason) for r in pending for reason in r["reasons"]
                    if reason["code"] == "close_alternative"]
    for town in ("Idlib", "Saraqab", "Kafr Nobol", "Ehsem", "Maarrat al-Nu'man"):
        assert f"close alternative: {town}" not in alternatives
    listed = run_json(capsys, "review", "list", "--status", "auto", "--json", "--db", str(db))
    assert sorted(r["uid"] for r in listed) == sorted(r["uid"] for r in auto)


# ---- every command closes its store ------------------------------------------------------------------------
def test_every_command_closes_the_store_it_opens(geoparser, real_gazetteer_path, tmp_path, monkeypatch, capsys):
    opened: list[Store] = []
    init = Store.__init__

    def tracked(self, *a, **k):
        init(self, *a, **k)
        opened.append(self)

    monkeypatch.setattr(Store, "__init__", tracked)
    db = str(tmp_path / "s.sqlite")
    gaz = ["--gazetteer", str(real_gazetteer_path)]
    assert main(["ingest", str(SEED), "--db", db, "--quiet", *gaz]) == 0
    capsys.readouterr()
    assert main(["review", "list", "--json", "--db", db]) == 0
    uid = json.loads(capsys.readouterr().out)[0]["uid"]
    with contextlib.redirect_stdout(io.StringIO()):
        other = next(r["uid"] for r in Store(db, readonly=True).incidents() if r["uid"] != uid)
        opened[-1].close()
        commands = [["export", "--db", db], ["review", "accept", uid, "--db", db, "--by", "t"],
                    ["review", "log", uid, "--db", db], ["review", "merge", uid, other, "--db", db, "--by", "t"],
                    ["review", "split", uid, "--db", db, "--by", "t"], ["review", "undo", uid, "--db", db, "--by", "t"],
                    ["reprocess", "--quiet", "--db", db, *gaz], ["db", "status", "--db", db]]
        for cmd in commands:
            before = len(opened)
            main(cmd)
            assert len(opened) > before, cmd
            assert all(s.con is None for s in opened), (cmd, [s.path for s in opened if s.con is not None])
