"""The recogniser's rules, each on a tiny gazetteer built here (no ../shared, no built index): what
a rule keeps is asserted beside what it drops, in the same text.

The place tagger is off (`tagger=False`): the hand-written verdict alone decides, so each test
shows one rule of geodata/recognize.py at work.
"""

from __future__ import annotations

import pytest

from geodata.gazetteer import Gazetteer, name_entries
from geodata.place import AdminRef, Place
from geodata.recognize import Recognizer

IDLIB = AdminRef("gov:idlib", "إدلب", "Idlib")


@pytest.fixture(scope="module")
def rec() -> Recognizer:
    places = {p.id: p for p in [
        Place("gov:idlib", "Idlib", "إدلب", 35.8, 36.6, "governorate", population=1_500_000),
        Place("loc:kafrnabl", "Kafr Nabl", "كفرنبل", 35.61, 36.56, "locality", names=("كفر نبل",),
              population=30_000, admin1=IDLIB),
        Place("loc:mawzarah", "Mawzarah", "الموزرة", 35.66, 36.44, "locality", population=2_000, admin1=IDLIB),
        Place("loc:tuffah", "Tuffah", "تفاحة", 35.7, 36.5, "locality", population=500, admin1=IDLIB),  # "apple"
        Place("loc:deir", "Deir Sunbul", "دير سنبل", 35.65, 36.5, "locality", population=3_000, admin1=IDLIB),
    ]}
    return Recognizer(Gazetteer(places=places, names=name_entries(places)), tagger=False)


def found(rec: Recognizer, text: str) -> dict[str, tuple[str, str, list[str]]]:
    return {m.text: (m.tier, m.trigger_kind, m.place_ids) for m in rec.find(text)}


def test_a_name_matches_whether_its_words_are_joined_or_not(rec):
    got = found(rec, "سقطت قذائف على ديرسنبل في إدلب")
    assert got["ديرسنبل"][2] == ["loc:deir"]  # the gazetteer writes it "دير سنبل"
    got = found(rec, "Shelling hit Kafr Nabl and Kafrnabl in Idlib")
    assert got["Kafr Nabl"][2] == got["Kafrnabl"][2] == ["loc:kafrnabl"]


def test_a_proclitic_is_read_off_a_name(rec):
    text = "قصف على والموزرة في ريف إدلب"
    got = found(rec, text)
    assert got["الموزرة"][2] == ["loc:mawzarah"]
    assert "والموزرة" not in got  # the span is the name, without "and"
    assert text[text.index("الموزرة"):].startswith("الموزرة")


def test_a_trigger_word_names_the_kind_of_place(rec):
    got = found(rec, "قصف على والموزرة في ريف إدلب")
    assert got["إدلب"] == ("exact", "countryside", ["gov:idlib"])  # ريف: the governorate's countryside


def test_a_name_that_is_an_ordinary_word_needs_a_trigger(rec):
    got = found(rec, "أكل تفاحة في إدلب")
    assert "إدلب" in got and "تفاحة" not in got  # "ate an apple in Idlib"
    got = found(rec, "قصف قرية تفاحة في إدلب")
    assert got["تفاحة"] == ("exact", "village", ["loc:tuffah"])  # "shelling of the village of Tuffah"


def test_a_name_no_gazetteer_holds_after_a_trigger_is_an_unknown_place(rec):
    got = found(rec, "قصف قرية تل الزعتر في ريف إدلب")
    assert got["تل الزعتر"] == ("unknown", "village", [])
    assert got["إدلب"][2] == ["gov:idlib"]


def test_a_village_counts_only_in_a_text_about_syria(rec):
    assert found(rec, "قصفت قوات النظام كفرنبل") == {}
    got = found(rec, "قصفت قوات النظام كفرنبل في سوريا")  # the same sentence, saying where
    assert got["كفرنبل"][2] == ["loc:kafrnabl"]
