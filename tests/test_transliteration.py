"""Issue 21: English transliterations of Arabic village names reach the gazetteer (the skeleton key
of `geodata.translit`), and what keeps that coarse key from reading people and groups as places.

The sentences are written for these tests in the style of conflict notes; none is copied from an
evaluation set. Every absence is asserted beside a presence in the same text.
"""

from datetime import date

import pytest

from geodata.translit import long_enough, skeleton
from incidents.articles import Article
from incidents.extract import extract


def _parse(geoparser, text):
    return {r.text: r for r in geoparser.parse(text)}


def _extract(geoparser, text):
    return extract(Article(text=text, date=date(2020, 5, 10), language="en"), geoparser)


# ---- the key ------------------------------------------------------------------------------
@pytest.mark.parametrize("a, b", [
    ("Kefraya", "Kafraya"), ("Aydoun", "Aidun"), ("Tayba", "Tiba"), ("Hammah", "Hama"),
    ("Tell Rifaat", "Tal Rifat"), ("Ma'arrat An Nu'man", "Maarrat al-Numan"),
])
def test_spellings_of_one_name_share_a_skeleton(a, b):
    assert skeleton(a) == skeleton(b)


@pytest.mark.parametrize("a, b", [("Kafr Nabl", "Kafr Batna"), ("Hama", "Homs"), ("Idlib", "Ariha")])
def test_different_names_keep_different_skeletons(a, b):
    assert skeleton(a) != skeleton(b)


def test_skeleton_needs_two_consonants_and_no_arabic():
    assert long_enough(skeleton("Hota")) and not long_enough(skeleton("Ain"))
    assert skeleton("كفريا") == "" and skeleton("Kafraya") != ""


# ---- in the geoparser -----------------------------------------------------------------------
@pytest.mark.shared
def test_transliteration_variant_after_in_is_a_place(geoparser):
    """"Kefraya" is in no gazetteer spelling and its loose key (k-f-r) is too short to be used:
    the skeleton reaches Kafraya/Kafrayya in Idlib, and the closest spelling wins among namesakes."""
    found = _parse(geoparser, "Government forces clashed with rebels in Kefraya on Monday.")
    assert set(found) == {"Kefraya"}
    r = found["Kefraya"]
    assert r.place.admin1.name_en == "Idlib" and r.role == "target"
    assert any("transliteration skeleton" in e for e in r.evidence)


@pytest.mark.shared
def test_skeleton_match_needs_a_word_that_announces_a_place(geoparser):
    """"two Suquor al Sham fighters": a group's name with nothing announcing a place before or after
    it; "in Tadaf town" beside it still counts."""
    found = _parse(geoparser, "Snipers shot two Suquor al Sham fighters in Tadaf town.")
    assert "Tadaf" in found
    assert not any(t.startswith("Suquor") for t in found)


@pytest.mark.shared
def test_skeleton_list_needs_syria_or_a_named_neighbour(geoparser):
    """Outside a text about Syria, "Padalka and Barratt" are people, not spellings of Syrian villages."""
    found = _parse(geoparser, "The footage showed Padalka and Barratt waving from the station above Houston.")
    assert "Houston" in found
    assert "Barratt" not in found and "Padalka" not in found


@pytest.mark.shared
def test_acronym_is_no_skeleton(geoparser):
    found = _parse(geoparser, "Regime forces clashed with rebels in Kefraya. Sudan objected to troops in UNAMID.")
    assert "Kefraya" in found and "UNAMID" not in found


# ---- the recogniser's context ----------------------------------------------------------------
@pytest.mark.shared
def test_village_word_after_the_name_beats_in(geoparser):
    """"in Kafr Nabl town": the town word after the name is its trigger, not the weak "in"."""
    found = _parse(geoparser, "Clashes broke out in Kafr Nabl town and in Idlib on Monday.")
    assert found["Kafr Nabl"].trigger_kind == "town"
    assert found["Idlib"].trigger_kind != "town"


@pytest.mark.shared
def test_possessive_is_no_sure_spelling_variant(geoparser):
    """"Aleppo's eastern countryside" frames the village: the possessive (a loose match) is no sure
    spelling variant of a second place."""
    incidents = _extract(geoparser, "Regime forces took control of Brelhin village in Aleppo's eastern "
                                    "countryside after clashes with IS fighters.")
    assert [i.location["name_en"] for i in incidents] == ["Barlahin"]
    found = _parse(geoparser, "Regime forces took control of Brelhin village in Aleppo's eastern countryside.")
    assert found["Brelhin"].role == "target"
    assert all(r.role != "target" for t, r in found.items() if t.startswith("Aleppo"))


@pytest.mark.shared
def test_sure_spelling_variant_stands_without_an_area(geoparser):
    """A note that names a town once, with no governorate: the spelling variant stands when the place
    tagger is sure of it; the same spelling as a bare word in a text about a person does not."""
    incidents = _extract(geoparser, "Unidentified gunmen shot and killed a commander in Ma'arrat An Nu'man.")
    assert [i.location["name_en"] for i in incidents] == ["Ma`arrat an Nu`man"]
    found = _parse(geoparser, "Unidentified gunmen shot and killed a commander in Ma'arrat An Nu'man.")
    assert any("tagger is sure" in e for e in found["Ma'arrat An Nu'man"].evidence)


@pytest.mark.shared
def test_countryside_of_a_governorate_spelled_another_way(geoparser):
    """"the northern countryside of Hammah" is Hama's countryside (a countryside is a governorate's or
    district's), not the village al-Hammah in Daraa; "in al-Hammah near Daraa" still is the village."""
    found = _parse(geoparser, "Regime forces shelled Kafr Nabuda in the northern countryside of Hammah.")
    assert found["Hammah"].place.kind == "governorate" and found["Hammah"].place.name_en == "Hama"
    assert found["Hammah"].role == "framing_area" and found["Kafr Nabuda"].place.admin1.name_en == "Hama"
    village = _parse(geoparser, "Clashes took place in al-Hammah near Daraa.")["al-Hammah"]
    assert village.place.kind == "locality" and village.place.name_en != "Hama"
