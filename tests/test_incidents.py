"""Incidents from the bundled report, the store, ingest, export and ACLED import (real data)."""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from incidents.articles import read_text_article
from incidents.extract import extract, fatalities_in
from incidents.store import IncidentFilter, Store

from conftest import SEED, SHARED, need

pytestmark = pytest.mark.shared
ACLED = SHARED / "eval/acled/acled_syria_battles_2017-01_2023-06_full.csv"
FAKES = SHARED / "eval/fa-kes/FA-KES-Dataset.csv"


@pytest.fixture(scope="module")
def seed_incidents(geoparser):
    return extract(read_text_article(str(SEED)), geoparser)


def _at(incidents, name_en):
    return [i for i in incidents if i.location["name_en"] == name_en]


def test_regime_shelling_of_jabal_al_zawiya_villages(seed_incidents):
    for name in ("Balyun", "Mawzarah", "Barah", "Kansafrah", "Ihsim"):
        [i] = _at(seed_incidents, name)
        assert i.date == "2020-09-21" and i.sub_event_type == "Shelling/artillery/missile attack"
        assert i.actors[0] == {**i.actors[0], "name": "Syrian regime forces", "role": "attacker"}
        assert i.fatalities == 0  # "من دون أنباء عن وقوع إصابات": none reported, not unknown
    groups = {i.group for n in ("Balyun", "Kansafrah", "Ihsim") for i in _at(seed_incidents, n)}
    assert len(groups) == 1  # one sentence, one group
    assert _at(seed_incidents, "Ihsim")[0].location["precision"] == 2  # its vicinity


def test_ain_issa_is_placed_in_jabal_al_turkman(seed_incidents):
    [i] = [i for i in seed_incidents if i.location["text"] == "عين عيسى"]
    assert i.location["name_en"] == "Jabal al-Turkman" and i.location["admin1"] == "Latakia"
    assert i.date == "2020-09-21" and i.event_type == "Explosions/Remote violence"
    assert {"name": "Syrian regime forces", "role": "attacker"}.items() <= i.actors[0].items()


def test_failed_advance_at_fulayfil(seed_incidents):
    [i] = _at(seed_incidents, "Fulayfil")
    assert i.event_type == "Battles" and i.date == "2020-09-20"


def test_opposition_and_turkish_shelling(seed_incidents):
    for name in ("Kafr Nabl", "Saraqib"):
        [i] = _at(seed_incidents, name)
        roles = {a["name"]: a["role"] for a in i.actors}
        assert i.date == "2020-09-21" and i.sub_event_type == "Shelling/artillery/missile attack"
        assert roles["Syrian opposition factions"] == roles["Turkish army"] == "attacker"
        assert roles["Syrian regime forces"] == "target"
        assert i.fatalities is None  # "دون التأكد من وقوع إصابات": unknown
    assert [i for i in seed_incidents if "معرة النعمان" == i.location["text"]]


def test_turkish_convoy_and_russian_airstrikes(seed_incidents):
    [convoy] = [i for i in seed_incidents if i.event_type == "Strategic developments"]
    assert convoy.date == "2020-09-20" and convoy.location["admin1"] == "Idlib"
    assert convoy.actors[0]["name"] == "Turkish army"
    [air] = [i for i in seed_incidents if i.sub_event_type == "Air/drone strike"]
    assert air.date == "2020-09-20" and air.actors[0]["name"] == "Russian air force"
    assert air.location["name_en"] == "Idlib" and air.location["precision"] == 2


def test_context_places_make_no_incidents(seed_incidents):
    names = {i.location["name_en"] for i in seed_incidents}
    assert "Ankara" not in names and "Aleppo" not in names and "Jabal al-Zawiya" not in names
    assert len(seed_incidents) == 12


def test_passages_and_offsets(seed_incidents):
    text = SEED.read_text(encoding="utf-8")
    for i in seed_incidents:
        assert text[i.passage_start:i.passage_end] == i.passage
        assert i.passage_start <= i.place_start < i.place_end <= i.passage_end
        assert text[i.place_start:i.place_end] == i.location["text"]


def test_fatalities_wording():
    assert fatalities_in("مقتل 3 عناصر من قوات النظام") == 3
    assert fatalities_in("Clashes, killing 4 fighters.") == 4
    assert fatalities_in("No casualties were reported.") == 0
    assert fatalities_in("Casualties unknown.") is None


def test_store_is_idempotent_and_replaces_changed_articles(db_url, geoparser):
    store = Store(db_url)
    art = read_text_article(str(SEED))
    r1 = store.save_article(art, extract(art, geoparser))
    r2 = store.save_article(art, extract(art, geoparser))
    assert (r1.status, r1.incidents, r2.status) == ("new", 12, "unchanged")
    other = read_text_article(str(SEED))
    other.path, other.text = "other.txt", other.text.replace("كنصفرة", "كفرنبل")
    n_other = store.save_article(other, extract(other, geoparser)).incidents
    changed = read_text_article(str(SEED))
    changed.text = changed.text.replace("بليون والموزرة والبارة و", "")
    r3 = store.save_article(changed, extract(changed, geoparser))
    assert r3.status == "replaced" and r3.incidents == 12 - 3
    assert store.counts() == {"articles": 2, "incidents": r3.incidents + n_other}  # only its own replaced
    assert [r["place_text"] for r in store.incidents(IncidentFilter(admin1="Latakia"))] == ["عين عيسى"] * 2


def _cli(*args, home=None):
    return subprocess.run([sys.executable, "-m", "incidents.cli", *args], capture_output=True, text=True)


def test_ingest_export_cli(tmp_path, db_url, real_gazetteer_path):
    db = db_url
    arts = tmp_path / "arts"
    arts.mkdir()
    shutil.copy(SEED, arts / SEED.name)
    shutil.copy(SEED.with_suffix(".meta.json"), arts / SEED.with_suffix(".meta.json").name)
    (arts / "broken.txt").write_bytes(b"\x00\x01")
    out = _cli("ingest", str(arts), "--db", str(db), "--gazetteer", str(real_gazetteer_path), "--quiet")
    assert out.returncode == 0, out.stderr
    assert "12 incident(s) stored" in out.stdout and "broken.txt" in out.stdout
    out = _cli("export", "--db", str(db), "--format", "csv", "--admin1", "Idlib", "--from", "2020-09-21")
    rows = list(csv.DictReader(out.stdout.splitlines()))
    assert rows and all(r["admin1"] == "Idlib" and r["event_date"] == "2020-09-21" for r in rows)
    assert {"passage", "place_start", "confidence", "latitude", "geo_precision"} <= set(rows[0])
    gj = json.loads(_cli("export", "--db", str(db), "--format", "geojson").stdout)
    assert len(gj["features"]) == 12 and gj["features"][0]["geometry"]["type"] == "Point"
    ex = _cli("extract", str(SEED), "--json", "--gazetteer", str(real_gazetteer_path))
    items = json.loads(ex.stdout)
    keys = {"date", "time_precision", "event_type", "sub_event_type", "actors", "fatalities", "location",
            "passage", "passage_start", "passage_end", "place_start", "place_end", "article"}
    assert len(items) == 12 and all(keys <= set(i) for i in items)
    assert {"name_ar", "name_en", "lat", "lon", "admin1", "admin2", "precision", "id"} <= set(items[0]["location"])
    assert {"title", "date", "source", "url"} <= set(items[0]["article"])


def test_import_acled_whole_file(tmp_path, db_url, real_gazetteer_path):
    need(ACLED)
    db = db_url
    out = _cli("import-acled", str(ACLED), "--db", str(db), "--gazetteer", str(real_gazetteer_path))
    assert out.returncode == 0, out.stderr
    store = Store(db, readonly=True)
    n = store.counts()["incidents"]
    assert 23_000 <= n <= 23_348
    rows = list(store.incidents(IncidentFilter(source_kind="acled", include_rejected=True), limit=5))
    assert rows[0]["passage"] and rows[0]["lat"] and rows[0]["external_id"].startswith("SYR")
    # our governorate names (not ACLED's "Idleb"), with Arabic and P-code, by point-in-polygon
    govs = {r["admin1"] for r in store.incidents(IncidentFilter(source_kind="acled", include_rejected=True))}
    assert "Idlib" in govs and "Idleb" not in govs
    idlib = next(store.incidents(IncidentFilter(admin1="Idlib", include_rejected=True), limit=1))
    assert idlib["admin1_ar"] == "إدلب" and idlib["admin1_pcode"] == "SY07"
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    out = _cli("import-acled", str(bad), "--db", str(db))
    assert out.returncode == 2 and "missing column" in out.stderr
    assert Store(db, readonly=True).counts()["incidents"] == n  # nothing already stored is lost


def test_ingest_fakes_csv(db_url, geoparser):
    need(FAKES)
    from incidents.ingest import ingest_paths

    store = Store(db_url)
    s = ingest_paths([str(FAKES)], store, geoparser, show_progress=False)
    assert s.articles >= 800 and s.incidents > 200
    dated = [r for r in store.incidents() if r["date"] is not None][:1]
    assert dated
