"""City neighbourhoods: the curated layer, when a neighbourhood's name counts, the city that frames it,
and the organisation names that are not places. One test per rule, on short sentences written for
these tests.

Covered:
* the file `geodata/data/neighbourhoods.csv`: counts per city, a point, radius and note per row;
  the importer, `detect_source`, a user file with a bad row; the built index: kind "neighbourhood",
  the city's governorate and district (also where a polygon edge says otherwise: Dummar);
* support: without it nothing changes (same answers as an index without neighbourhoods); the city in
  the same sentence, the previous sentence, the section heading, the title or as the most named
  city; حي / "district" / "neighbourhood"; lists ("al-Mashhad and Salah al-Din neighbourhoods",
  "أحياء الشعار والصاخور"); the countryside of the city is no support; a name that is also an
  ordinary word (الشعار "slogan", طريق الباب "the al-Bab road") needs a trigger or the city beside it;
  the right city among namesakes (Jobar in Damascus and in Homs);
* with support the neighbourhood beats a namesake village (al-Mashhad, 27 km west of Aleppo);
* "X district of Aleppo", "X, Aleppo", "حي X في مدينة حلب", "Aleppo's X neighbourhood": the
  neighbourhood at precision 1 and the city a framing area; a town called a district (Kafr Hamrah)
  and "Qarati in Idleb" likewise; one incident, not two;
* organisations: "<City> Health Directorate", "<City> Governorate Council", "Aleppo media centre",
  "مديرية صحة حماة", "مجلس محافظة حلب", "مجلس مدينة إدلب", "Dorar Al Sham", "Idlib Civil Defence".
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date

import pytest

from geodata.build import detect_source
from geodata.gazetteer import Gazetteer
from geodata.geoparser import Geoparser
from geodata.earth import km
from geodata.sources.neighbourhoods import CITIES, import_neighbourhoods, neighbourhood_city

pytestmark = pytest.mark.shared

ALEPPO_CITY = "wof:421202163"


def targets(resolutions):
    return [r for r in resolutions if r.place is not None and r.role == "target"]


def one(resolutions, text):
    found = [r for r in resolutions if r.text == text]
    assert found, [(r.text, r.place and r.place.id) for r in resolutions]
    return found[0]


def nbhd(r, city=None):
    """The resolution's place is a neighbourhood (of `city` when given)."""
    return r.place is not None and r.place.kind == "neighbourhood" and (
        city is None or neighbourhood_city(r.place.id) == city)


@pytest.fixture(scope="module")
def without_neighbourhoods(real_gazetteer):
    """The same index with the neighbourhood layer taken out."""
    places = {k: p for k, p in real_gazetteer.places.items() if p.kind != "neighbourhood"}
    names = [n for n in real_gazetteer.names if n.place_id in places]
    return Geoparser(gazetteer=Gazetteer(places=places, names=names, path=real_gazetteer.path))


# ---- the curated file and the build --------------------------------------------------------------

def test_curated_file_covers_the_cities_with_points_radii_and_notes():
    res = import_neighbourhoods()
    assert not res.errors
    per_city = Counter(neighbourhood_city(p.id) for p in res.places)
    assert per_city["aleppo"] >= 50 and per_city["damascus"] >= 30 and per_city["homs"] >= 20
    assert all(per_city[c] >= 3 for c in ("hama", "deir-ez-zor", "raqqa"))
    assert len({p.id for p in res.places}) == len(res.places)
    for p in res.places:
        assert p.kind == "neighbourhood" and p.name_en and p.name_ar
        assert 32.0 < p.lat < 37.5 and 35.5 < p.lon < 42.5, p
        assert 0 < p.radius_km <= 3 and p.note.startswith("approximate"), p


def test_user_neighbourhood_file_is_detected_and_a_bad_row_is_reported(tmp_path):
    f = tmp_path / "neighbourhoods-extra.csv"
    with open(f, "w", encoding="utf-8", newline="") as out:
        w = csv.writer(out)
        w.writerow(["name_en", "name_ar", "aliases", "city", "lat", "lon", "radius_km", "source_note"])
        w.writerow(["Test Quarter", "حي الاختبار", "Testville", "homs", "34.73", "36.71", "1", "test"])
        w.writerow(["Nowhere", "لا مكان", "", "atlantis", "1", "2", "1", "test"])
    assert detect_source(str(f)) == "neighbourhoods"
    res = import_neighbourhoods(str(f))
    assert [p.name_en for p in res.places] == ["Test Quarter"]
    assert len(res.errors) == 1 and "atlantis" in res.errors[0] and "line 3" in res.errors[0]


def test_built_index_has_neighbourhoods_in_their_city_governorate(real_gazetteer):
    hoods = real_gazetteer.of_kind("neighbourhood")
    assert len(hoods) == len(import_neighbourhoods().places)
    governorate = {"aleppo": "Aleppo", "damascus": "Damascus", "homs": "Homs", "hama": "Hama", "raqqa": "Raqqa"}
    for p in hoods:
        city = neighbourhood_city(p.id)
        assert city in CITIES and p.admin1 is not None and p.admin2 is not None, p
        if city in governorate:
            assert p.admin1.name_en == governorate[city], p
    # Dummar lies on the Damascus / Rif Dimashq polygon edge: it keeps its city's governorate.
    dummar = real_gazetteer.get("neighbourhood:damascus:dummar")
    assert dummar.admin1.name_en == "Damascus" and dummar.admin1.pcode


# ---- when a neighbourhood's name counts ------------------------------------------------------------

UNSUPPORTED = [
    "Shells fell on Al-Mashhad on Monday.",
    "Rebels shelled al-Midan and Jobar.",
    "قصفت قوات النظام المشهد وصلاح الدين",
    "The regime bombed Bab al-Nayrab yesterday.",
]


@pytest.mark.parametrize("text", UNSUPPORTED)
def test_without_support_nothing_changes(geoparser, without_neighbourhoods, text):
    def answers(gp):
        return [(r.text, r.place.id if r.place else None, r.role) for r in gp.parse(text)]

    assert answers(geoparser) == answers(without_neighbourhoods)
    assert not any(nbhd(r) for r in geoparser.parse(text))


def test_city_in_the_same_sentence_beats_the_namesake_village(geoparser, without_neighbourhoods):
    text = "Barrel bombs fell on al-Mashhad as the siege of Aleppo tightened."
    r = one(geoparser.parse(text), "al-Mashhad")
    assert nbhd(r, "aleppo") and r.precision == 1
    assert km(r.place, geoparser.gazetteer.get(ALEPPO_CITY)) < 6
    before = one(without_neighbourhoods.parse(text), "al-Mashhad")
    assert before.place is not None and km(before.place, geoparser.gazetteer.get(ALEPPO_CITY)) > 20


def test_city_in_the_previous_sentence(geoparser):
    res = geoparser.parse("Aleppo came under heavy bombardment on Sunday. Three people died in Sukkari.")
    assert nbhd(one(res, "Sukkari"), "aleppo")


def test_city_in_the_section_heading(geoparser):
    text = ("Weekly report\n\n## Damascus\n\nThe day began quietly. Markets opened late. Mortars later fell on "
            "Jobar.\n\n## Homs\n\nThe day began quietly. Markets opened late. Shelling later hit Jobar.")
    jobars = [r for r in geoparser.parse(text) if r.text == "Jobar"]
    assert [neighbourhood_city(r.place.id) for r in jobars] == ["damascus", "homs"]


def test_text_about_the_city_by_its_title(geoparser):
    text = "Eyes on Homs: a week of attacks\n\nThe market was quiet. Children went to school. Shelling hit Baba Amr."
    assert nbhd(one(geoparser.parse(text), "Baba Amr"), "homs")
    assert not any(nbhd(r) for r in geoparser.parse(text.split("\n\n", 1)[1]))


def test_text_about_the_city_it_names_most(geoparser):
    text = ("Damascus was quiet in the morning. Later, Damascus residents heard explosions. "
            "Officials in Damascus blamed rebels. The wounded came from the Tadamon area. "
            "Rebels said Jobar was hit.")
    assert nbhd(one(geoparser.parse(text), "Jobar"), "damascus")


def test_trigger_word_alone_supports_a_neighbourhood(geoparser):
    assert nbhd(one(geoparser.parse("Shells fell on the Salah al-Din neighbourhood."), "Salah al-Din"), "aleppo")
    assert nbhd(one(geoparser.parse("قصف الطيران الحربي حي الشعار بالبراميل"), "الشعار"), "aleppo")


def test_a_list_shares_its_trigger_word(geoparser):
    res = geoparser.parse("Cluster munitions hit al-Mashhad and Salah al-Din neighbourhoods.")
    assert nbhd(one(res, "al-Mashhad"), "aleppo") and nbhd(one(res, "Salah al-Din"), "aleppo")
    res = geoparser.parse("قصفت قوات النظام أحياء الشعار والصاخور وطريق الباب")
    assert [r.place.name_en for r in res if nbhd(r, "aleppo")] == ["al-Sha'ar", "al-Sakhour", "Tariq al-Bab"]


def test_the_citys_countryside_is_no_support(geoparser):
    res = geoparser.parse("Shelling hit al-Mashhad in the western countryside of Aleppo.")
    assert not any(nbhd(r) for r in res)
    assert any(r.text == "al-Mashhad" and r.place is not None for r in res)  # read, as the village


def test_ordinary_word_needs_a_trigger_or_the_city_beside_it(geoparser):
    # الشعار is also "the slogan"; طريق الباب also "the al-Bab road".
    assert not any(nbhd(r) for r in geoparser.parse("رفع المتظاهرون في حلب الشعار نفسه"))
    assert not any(nbhd(r) for r in geoparser.parse("اشتباكات على طريق الباب قرب حلب"))
    assert nbhd(one(geoparser.parse("قصفت قوات النظام الشعار في حلب"), "الشعار"), "aleppo")


def test_the_named_city_chooses_among_namesake_neighbourhoods(geoparser):
    assert nbhd(one(geoparser.parse("Mortars hit Jobar in Damascus."), "Jobar"), "damascus")
    assert nbhd(one(geoparser.parse("Mortars hit Jobar in Homs."), "Jobar"), "homs")
    assert nbhd(one(geoparser.parse("Snipers fired on al-Midan district in Aleppo."), "al-Midan"), "aleppo")


# ---- the city frames its parts --------------------------------------------------------------------

@pytest.mark.parametrize("text, part, city", [
    ("Shelling hit the Al Shaar district of Aleppo on Monday.", "Al Shaar", "Aleppo"),
    ("An airstrike hit Bab al-Nayrab district, Aleppo.", "Bab al-Nayrab", "Aleppo"),
    ("قصف الطيران حي الشعار في مدينة حلب", "الشعار", "حلب"),
    ("Aleppo's al-Sha'ar was shelled at dawn.", "al-Sha'ar", "Aleppo's"),
    ("Airstrikes hit the Salah al-Din neighbourhood of Aleppo.", "Salah al-Din", "Aleppo"),
])
def test_neighbourhood_of_the_city_and_the_city_frames_it(geoparser, text, part, city):
    res = geoparser.parse(text)
    r = one(res, part)
    assert nbhd(r, "aleppo") and r.precision == 1 and r.role == "target"
    c = one(res, city)
    assert c.role == "framing_area", c.evidence
    assert targets(res) == [r]


def test_a_town_called_a_district_of_the_city_is_framed_by_it(geoparser):
    res = geoparser.parse("Airstrikes hit the Kafr Hamrah district of Aleppo.")
    assert [r.text for r in targets(res)] == ["Kafr Hamrah"]
    assert one(res, "Aleppo").role == "framing_area"
    res = geoparser.parse("Rebels captured Qarati in Idleb on Monday.")
    assert [r.text for r in targets(res)] == ["Qarati"]


def test_a_city_in_a_list_is_not_framing(geoparser):
    assert one(geoparser.parse("Government aircraft bombed Sarmin, Idleb."), "Idleb").role == "framing_area"
    assert one(geoparser.parse("Government aircraft bombed Sarmin, Idleb and Binnish."), "Idleb").role == "target"


def test_one_incident_at_the_neighbourhood_not_a_second_at_the_city(geoparser):
    from incidents.articles import Article
    from incidents.extract import extract

    title = "Airstrike kills three in Aleppo"
    text = f"{title}\n\nAn airstrike hit the Al Shaar district of Aleppo on 9 July 2016, killing three civilians."
    article = Article(text=text, title=title, date=date(2016, 7, 10), body_start=len(title) + 2)
    incidents = extract(article, geoparser)
    places = {i.location["id"] for i in incidents}
    assert places == {"neighbourhood:aleppo:al-shaar"}, places


# ---- organisations named after a place -------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "The Hama Health Directorate said two hospitals were hit.",
    "The Idlib Governorate Council called for aid.",
    "The Syrian Observatory and the Aleppo media centre reported the attack.",
    "The Idlib Civil Defence said it rescued five people.",
    "A video by Dorar Al Sham showed the damage in Khan Shaykhun, Syria.",
    "أعلنت مديرية صحة حماة عن مقتل مدنيين.",
    "قال مجلس محافظة حلب إن المساعدات وصلت.",
    "قال مجلس مدينة إدلب إن المساعدات وصلت.",
])
def test_organisation_named_after_a_place_is_not_the_place(geoparser, text):
    res = geoparser.parse(text)
    assert not [r for r in res if r.place is not None and r.place.kind in ("governorate", "locality", "city")
                and r.place.admin1 is not None and r.place.admin1.name_en in ("Hama", "Idlib", "Aleppo", "Damascus")
                and "Khan" not in r.text], [(r.text, r.place.id) for r in res]
