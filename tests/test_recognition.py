"""Recognition rules of the geoparser, one test per rule, each on the kind of sentence that motivated it.

Covered (real gazetteer, `geoparser.parse`):
* English vetoes: people's names ("Rami Abdel Rahman", "President Bashar"), acronyms ("SANA", "US BLU"),
  organisations ("Ahrar al-Sham", "Aleppo Media Center"), demonyms ("Kurdish") and capitalised function
  words ("But in", "At the", "Tal said") are not villages; a trigger ("the village of Bashar") keeps a name;
* Arabic: proclitic readings (ورقة is not و + الرقة, والرقة is Raqqa), ordinary words without a trigger
  (على، دير، باب…) are not places, with a trigger (قرية الجديدة) they are;
* roles: firing position, target, framing area, reference point, speaker seat, road endpoint,
  background, and the role line in the evidence of non-targets;
* spellings: vocalised and shadda forms, ح/خ and other spelling variants supported by a list neighbour,
  names written as one word (كفرنوران), the English possessive ("Homs's");
* a spelling variant without support is dropped ("Abbasid");
* names after a trigger that no gazetteer holds: placed at the containing unit the sentence names,
  or nowhere, with reason "not in gazetteer";
* geocoder query mode answers a spelling variant asked for by name;
* a text not about Syria does not turn ordinary words into Syrian villages (السلمية "peaceful").
"""

import pytest

from geodata.schema import NOT_IN_GAZETTEER

pytestmark = pytest.mark.shared


def parse(geoparser, text):
    return geoparser.parse(text)


def by_text(resolutions):
    out = {}
    for r in resolutions:
        out.setdefault(r.text, r)
    return out


def place_names(resolutions):
    return {r.place.name_en for r in resolutions if r.place is not None}


def overlapping(resolutions, text, word):
    """Resolutions whose span overlaps the first occurrence of `word` in `text`."""
    s = text.index(word)
    e = s + len(word)
    return [r for r in resolutions if r.start < e and r.end > s]


# ---- English: people, acronyms, organisations, demonyms, function words ----------------------------

def test_person_name_with_given_name_is_not_a_place(geoparser):
    # Rami → Ar Rami (Idlib), Abdel → Abu Dali (loose), Rahman → Rahman (Hasakah) in the gazetteer.
    text = "Rami Abdel Rahman, director of the Syrian Observatory, said the toll in Idlib had risen."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "Rami Abdel Rahman"), [(r.text, r.place.name_en) for r in res]
    assert "Idlib" in place_names(res)  # the parser does read this text


def test_title_before_given_name_is_not_a_place(geoparser):
    text = "President Bashar al-Assad met the delegation in Damascus."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "Bashar"), [(r.text, r.place.name_en) for r in res]
    assert "Damascus" in by_text(res)


def test_village_named_like_a_person_is_kept_after_a_trigger(geoparser):
    r = by_text(parse(geoparser, "Shelling hit the village of Bashar in Aleppo countryside on Monday."))["Bashar"]
    assert r.place.name_en == "Bashar" and r.place.kind == "locality" and r.place.admin1.name_en == "Aleppo"


def test_news_agency_acronym_is_not_a_village(geoparser):
    text = "SANA said the army repelled an attack near Damascus."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "SANA")
    assert "Sa`na" not in place_names(res) and "Damascus" in place_names(res)


def test_acronym_pair_is_not_a_loose_village(geoparser):
    text = "The US BLU bomb was dropped on a market in Idlib."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "US BLU"), [(r.text, r.place.name_en) for r in res]
    assert "Idlib" in place_names(res)


@pytest.mark.parametrize("text, name", [
    ("Fighters from Ahrar al-Sham advanced in Idlib.", "al-Sham"),
    ("Fighters from Hayat Tahrir al-Sham advanced in Idlib.", "Hayat Tahrir al-Sham"),
])
def test_armed_group_name_does_not_give_damascus(geoparser, text, name):
    res = parse(geoparser, text)
    assert not overlapping(res, text, name), [(r.text, r.place.name_en) for r in res]
    assert "Damascus" not in place_names(res) and "Idlib" in place_names(res)


def test_media_centre_name_does_not_give_aleppo(geoparser):
    text = "The Aleppo Media Center published footage of the shelling in Syria."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "Aleppo")
    assert "Aleppo" not in place_names(res) and "Syria" in place_names(res)


def test_demonym_is_not_a_loose_village(geoparser):
    # Kurdis is a village of Hasakah: naming Hasakah must not make "Kurdish" its spelling variant.
    text = "Kurdish forces advanced towards the town in Hasakah."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "Kurdish")
    assert "Kurdis" not in place_names(res) and "Al-Hasakah" in place_names(res)


@pytest.mark.parametrize("text, demonym, place", [
    ("Militants in Raqqa seized the district from Iraqi government control last year.", "Iraqi", "Raqqa"),
    ("Rebels in Deir ez-Zor fought against Iraqi forces and the Syrian army.", "Iraqi", "Deir ez-Zor"),
    ("Turkish troops shelled the town of Tal Rifaat.", "Turkish", "Tell Rifaat"),
])
def test_demonym_before_a_noun_is_never_a_village(geoparser, text, demonym, place):
    """Al `Iraqi and Turkman are villages, but "Iraqi forces" is an adjective; the places of the
    same sentence are still found."""
    res = parse(geoparser, text)
    assert not overlapping(res, text, demonym)
    assert place in place_names(res)


def test_village_spelled_like_a_demonym_after_a_place_word_is_kept(geoparser):
    text = "Shelling hit the village of Turkman near the town of Saraqib."
    res = parse(geoparser, text)
    assert overlapping(res, text, "Turkman") and "Saraqib" in place_names(res)


def test_place_before_martyrs_brigade_is_the_groups_name(geoparser):
    text = "The Maarat al-Numan martyrs brigade said it shelled the town of Kafr Nabl."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "Maarat al-Numan")
    assert "Kafr Nabl" in place_names(res)


@pytest.mark.parametrize("text, span", [
    ("But in the end the talks failed in Syria.", "But in"),
    ("A statement by al-Baath on Sunday praised the army in Syria.", "al-Baath on"),
    ("But most of the fighters withdrew from Syria.", "But most"),
    ("At the time of the attack, fighters were in Syria.", "At the"),
    ("It's a difficult time for Syria.", "It's a"),
    ("Yet the army advanced in Syria.", "Yet the"),
    ("Tal said the fighters had left Syria.", "Tal said"),
])
def test_capitalised_function_words_are_not_villages(geoparser, text, span):
    res = parse(geoparser, text)
    found = overlapping(res, text, span)
    assert not found, [(r.text, r.place.name_en if r.place else None) for r in found]
    assert "Syria" in place_names(res)  # the parser does read the text


def test_in_iraq_is_the_country_never_ayn_wark(geoparser):
    text = "In Iraq, the militias crossed into Syria."
    res = parse(geoparser, text)
    assert "`Ayn Wark" not in place_names(res)
    for r in overlapping(res, text, "In Iraq"):
        assert r.text == "Iraq" and r.place.kind == "country" and r.place.country == "IQ"


# ---- Arabic: proclitics and ordinary words -------------------------------------------------------

def test_words_starting_like_a_proclitic_are_not_split(geoparser):
    text = "وقدم الوفد ورقة عمل إلى وزارة الخارجية في دمشق"
    res = parse(geoparser, text)
    assert [r.text for r in res] == ["دمشق"], [(r.text, r.place.name_en) for r in res]
    text = "وشهدت البلاد مظاهرات كثيرة في حلب"
    res = parse(geoparser, text)
    assert [r.text for r in res] == ["حلب"], [(r.text, r.place.name_en) for r in res]


def test_conjunction_before_raqqa_is_split(geoparser):
    r = by_text(parse(geoparser, "قصفت الطائرات مواقع في حلب والرقة"))["الرقة"]
    assert r.place.name_en == "Raqqa" and r.place.admin1.name_en == "Raqqa"


@pytest.mark.parametrize("text, word", [
    ("سقطت القذيفة على المنزل في حلب", "على"),
    ("وصل الوفد إلى دير المدينة في حلب", "دير"),
    ("تجمع الأهالي عند مفرق الطريق في حلب", "مفرق"),
    ("عثر الأهالي على خربة أثرية في حلب", "خربة"),
    ("وصلت قافلة تركية إلى حلب", "تركية"),
    ("احتشد المتظاهرون في ميدان عام في حلب", "ميدان"),
    ("غرق طفل في النهر شمال حلب", "النهر"),
    ("وأعلنت الحكومة الجديدة خطتها في حلب", "الجديدة"),
    ("وصل الغذاء بواسطة شاحنات إلى حلب", "واسطة"),
    ("قال مشير إن الوضع هادئ في حلب", "مشير"),
    ("اندلعت ثورة شعبية في حلب", "ثورة"),
    ("أغلق باب المدرسة في حلب", "باب"),
])
def test_ordinary_arabic_word_without_trigger_is_not_a_place(geoparser, text, word):
    res = parse(geoparser, text)
    found = overlapping(res, text, word)
    assert not found, [(r.text, r.place.name_en if r.place else None) for r in found]
    assert "حلب" in by_text(res)


@pytest.mark.parametrize("text, name, name_en, admin1", [
    ("قصفت قوات النظام قرية الجديدة بريف حلب", "الجديدة", "Judaydah", "Aleppo"),
    ("قصفت قوات النظام بلدة خربة غزالة بريف درعا", "خربة غزالة", "Khirbat Ghazalah", "Daraa"),
    ("قصفت قوات النظام قرية تركية بريف الرقة", "تركية", "Turkiyah", "Raqqa"),
])
def test_ordinary_arabic_word_after_trigger_is_a_place(geoparser, text, name, name_en, admin1):
    r = by_text(parse(geoparser, text))[name]
    assert r.place.name_en == name_en and r.place.kind == "locality" and r.place.admin1.name_en == admin1


# ---- roles ----------------------------------------------------------------------------------------

def test_source_of_fire_is_firing_position(geoparser):
    res = by_text(parse(geoparser, "قصف صاروخي على اعزاز مصدره تل رفعت"))
    assert res["تل رفعت"].role == "firing_position"
    assert res["اعزاز"].role == "target" and res["اعزاز"].place.name_en == "Azaz"


def test_positions_target_and_plain_in_one_sentence(geoparser):
    res = by_text(parse(geoparser, "قصفت قوات النظام انطلاقاً من مواقعها في جورين قرية الزيارة في سهل الغاب"))
    assert res["جورين"].role == "firing_position"
    assert res["الزيارة"].role == "target" and res["الزيارة"].place.name_en == "Az Ziyarah"
    assert res["سهل الغاب"].role == "framing_area"


def test_distance_origin_is_reference_point(geoparser):
    r = by_text(parse(geoparser, "An airstrike hit a village 60 kilometres northeast of Damascus."))["Damascus"]
    assert r.role == "reference_point"


def test_dateline_city_is_speaker_seat(geoparser):
    r = by_text(parse(geoparser, "DAMASCUS, Syria (AP) — Government forces shelled Saraqib on Monday."))["DAMASCUS"]
    assert r.role == "speaker_seat"


def test_dateline_city_is_no_context_for_the_story(geoparser):
    r = by_text(parse(geoparser, "DAMASCUS, Syria (AP) — Government forces shelled Saraqib on Monday."))["Saraqib"]
    assert r.place.name_en == "Saraqib" and r.place.admin1.name_en == "Idlib" and not r.reason


def test_road_ends_are_road_endpoints(geoparser):
    res = by_text(parse(geoparser, "اشتباكات على طريق حلب - دمشق الدولي"))
    assert res["حلب"].role == "road_endpoint"
    assert res["دمشق"].role == "road_endpoint"


def test_countryside_of_governorate_frames_the_village(geoparser):
    res = by_text(parse(geoparser, "قصفت قوات النظام قرية كنصفرة بريف إدلب"))
    assert res["إدلب"].role == "framing_area"
    assert res["كنصفرة"].role == "target" and res["كنصفرة"].place.name_en == "Kansafrah"


def test_country_is_background(geoparser):
    res = by_text(parse(geoparser, "وصل وفد من تركيا إلى حلب لبحث الأوضاع"))
    assert res["تركيا"].place.kind == "country" and res["تركيا"].role == "background"
    assert res["حلب"].role == "target"


@pytest.mark.parametrize("text, governments, places", [
    # FA-KES hand check (issue #20): capitals standing for their governments were incident locations
    ("Washington has accused Moscow of shielding the regime after the air strike on Khan Sheikhoun.",
     {"Washington", "Moscow"}, {"Khan Sheikhoun"}),
    ("The chemical attack on Khan Sheikhoun placed Washington and Moscow at loggerheads.",
     {"Washington", "Moscow"}, {"Khan Sheikhoun"}),
    ("اتهمت واشنطن موسكو بالتغطية على الهجوم الكيميائي في بلدة خان شيخون", {"واشنطن", "موسكو"}, {"خان شيخون"}),
    ("Damascus accused Ankara of shelling the town of Tal Rifaat.", {"Ankara"}, {"Tal Rifaat"}),
    ("The strike hit an aid convoy near Aleppo, and officials believe Moscow was responsible for it.",
     {"Moscow"}, {"Aleppo"}),
    ("It took months of negotiations between the UN and Damascus before inspectors reached the town of Saraqib.",
     {"Damascus"}, {"Saraqib"}),
    ("Warplanes bombed the town of Saraqib on Tuesday. Washington blames the attack on Damascus.",
     {"Washington", "Damascus"}, {"Saraqib"}),
    ("The strikes on Manbij carried out by Washington and its Arab allies killed 31 civilians.", {"Washington"},
     {"Manbij"}),
    ("Pro-Damascus media said a car bomb exploded in the town of Qardaha.", {"Damascus"}, {"Qardaha"}),
    ("Moscow vetoed the resolution on the air strike on Khan Sheikhoun.", {"Moscow"}, {"Khan Sheikhoun"}),
    ("The Khan Sheikhoun strike prompted Washington to act; his allies in Moscow have denied it.",
     {"Washington", "Moscow"}, {"Khan Sheikhoun"}),
    ("Civilians have died in Idlib since Moscow intervened in September 2015.", {"Moscow"}, {"Idlib"}),
    ("Rebels lost Aleppo after months of battlefield gains by Damascus.", {"Damascus"}, {"Aleppo"}),
    ("Moscow launched air strikes on Idlib in support of its ally Damascus.", {"Moscow", "Damascus"}, {"Idlib"}),
    ("Warplanes bombed Idlib in support of the Damascus regime.", {"Damascus"}, {"Idlib"}),
    ("Two bombs exploded in Moscow on Monday, killing ten people.", set(), {"Moscow"}),
    ("Kilis has faced rocket attacks from across the border for months.", set(), {"Kilis"}),
    ("The concern in Washington is that the air strike on Saraqib will go unpunished.", {"Washington"},
     {"Saraqib"}),
    # the same cities where something happens stay places
    ("A gunman opened fire in Washington on Monday, killing two people.", set(), {"Washington"}),
    ("Warplanes bombed Aleppo on Monday, residents said.", set(), {"Aleppo"}),
    ("Rebels were blamed for the mortar attack on Damascus.", set(), {"Damascus"}),
])
def test_a_city_standing_for_its_government_is_no_incident_place(geoparser, text, governments, places):
    res = by_text(parse(geoparser, text))
    for name in governments:
        assert res[name].role == "background", (name, res[name].role)
        assert "standing for its government" in res[name].role_reason
        assert any("standing for its government" in e for e in res[name].evidence)
    for name in places:
        assert res[name].role == "target", (name, res[name].role, res[name].role_reason)


def test_non_target_roles_carry_the_role_line_in_evidence(geoparser):
    res = parse(geoparser, "قصفت قوات النظام انطلاقاً من مواقعها في جورين قرية الزيارة في سهل الغاب")
    others = [r for r in res if r.role != "target"]
    assert {r.role for r in others} == {"firing_position", "framing_area"}
    for r in others:
        assert r.role_reason
        line = f"role: {r.role.replace('_', ' ')} ({r.role_reason})"
        assert line in r.evidence, (r.text, r.evidence)


# ---- spellings ------------------------------------------------------------------------------------

def test_vocalised_name_with_shadda_is_one_span(geoparser):
    text = "قصفت قوات النظام بلدة دارةِ عزّة بريف حلب الغربي"
    res = parse(geoparser, text)
    found = overlapping(res, text, "دارةِ عزّة")
    assert len(found) == 1 and found[0].text == "دارةِ عزّة"
    assert found[0].place.name_en == "Darat Izza"


def test_shadda_and_ha_kha_variant_in_a_list(geoparser):
    res = by_text(parse(geoparser, "قصفت المدفعية قرى كنسبّا ونخشبّا في ريف اللاذقية"))
    assert res["كنسبّا"].place.name_en == "Kinnsibba"
    assert res["نخشبّا"].place.name_en == "Nahshabba" and res["نخشبّا"].place.admin1.name_en == "Latakia"


@pytest.mark.parametrize("text, variant, name_en", [
    ("قصفت المدفعية قرى اليمضية وكنسبا", "اليمضية", "Yamadiyah"),
    ("قصفت المدفعية قرى بريغيت وكرناز", "بريغيت", "Burayghith"),
])
def test_spelling_variant_kept_beside_an_exact_neighbour(geoparser, text, variant, name_en):
    r = by_text(parse(geoparser, text))[variant]
    assert r.place.name_en == name_en and r.place.kind == "locality"


@pytest.mark.parametrize("text, name, name_en, admin1", [
    ("قصفت المدفعية قرية كفرنوران بريف حلب الغربي", "كفرنوران", "Kafr Nuran", "Aleppo"),
    ("قصفت المدفعية قرية كفرعمة بريف حلب الغربي", "كفرعمة", "Kafr `Ammah", "Aleppo"),
    ("قصفت المدفعية قرية تلذهب في ريف حمص الشمالي", "تلذهب", "Tall Dhahab", "Homs"),
    ("قصفت المدفعية قرية حربنفسه في ريف حماة", "حربنفسه", "Harbinafsah", "Hama"),
])
def test_name_written_as_one_word(geoparser, text, name, name_en, admin1):
    r = by_text(parse(geoparser, text))[name]
    assert r.place.name_en == name_en and r.place.admin1.name_en == admin1


def test_joined_names_after_the_conjunction(geoparser):
    res = by_text(parse(geoparser, "قصفت المدفعية قرى كفرنوران وكفرعمة وتلذهب غربي حلب"))
    assert res["كفرنوران"].place.name_en == "Kafr Nuran"
    assert res["كفرعمة"].place.name_en == "Kafr `Ammah"
    assert "تلذهب" in res


def test_english_possessive_keeps_the_name(geoparser):
    r = by_text(parse(geoparser, "Homs's governor said the shelling stopped."))["Homs"]
    assert r.place.name_en == "Homs"


# ---- loose matches need support -------------------------------------------------------------------

def test_loose_match_without_support_is_dropped(geoparser):
    text = "The Abbasid caliphs ruled Syria for centuries."
    res = parse(geoparser, text)
    assert not overlapping(res, text, "Abbasid")
    assert "Abu as Sayyid" not in place_names(res) and "Syria" in place_names(res)


# ---- names no gazetteer holds ---------------------------------------------------------------------

def test_unknown_arabic_village_is_placed_in_the_governorate_named(geoparser):
    r = by_text(parse(geoparser, "قصفت قوات النظام قرية كفرزيزونة بريف إدلب الجنوبي"))["كفرزيزونة"]
    assert r.reason == NOT_IN_GAZETTEER
    assert r.place is not None
    if r.place.kind == "governorate":
        assert r.place.name_en == "Idlib" and r.precision == 3
    else:
        assert r.place.kind in ("district", "area") and r.place.admin1.name_en == "Idlib" and r.precision == 2


def test_unknown_arabic_compound_name_is_one_name(geoparser):
    # تل (a head too short to be a name by itself) and the word after it: "تل الزعتر" is one village
    res = by_text(parse(geoparser, "قصفت قوات النظام قرية تل الزعتر في ريف إدلب الجنوبي"))
    assert res["تل الزعتر"].reason == NOT_IN_GAZETTEER


def test_unknown_arabic_village_without_containing_unit_has_no_place(geoparser):
    r = by_text(parse(geoparser, "قصفت قوات النظام قرية كفرزيزونة صباح اليوم"))["كفرزيزونة"]
    assert r.reason == NOT_IN_GAZETTEER and r.place is None


def test_unknown_english_village_is_placed_in_the_governorate_named(geoparser):
    res = by_text(parse(geoparser, "Government forces shelled the village of Tal Zaghroud in Idlib countryside."))
    r = res["Tal Zaghroud"]
    assert r.reason == NOT_IN_GAZETTEER
    assert r.place is not None and r.place.name_en == "Idlib" and r.precision == 3


def test_unknown_english_village_without_containing_unit_has_no_place(geoparser):
    res = by_text(parse(geoparser, "Government forces shelled the village of Tal Zaghroud on Monday."))
    assert "Tal" not in res
    r = res["Tal Zaghroud"]
    assert r.reason == NOT_IN_GAZETTEER and r.place is None


# ---- geocoder query mode --------------------------------------------------------------------------

def test_geocoder_answers_a_spelling_variant_asked_by_name(real_gazetteer):
    from geodata.geocoder import GazetteerGeocoder

    loc = GazetteerGeocoder(gazetteer=real_gazetteer).geocode("كنصفرة")
    assert loc is not None
    assert loc.raw["name_en"] == "Kansafrah" and loc.raw["admin1"] == "Idlib"


# ---- text not about Syria -------------------------------------------------------------------------

def test_ordinary_word_in_text_not_about_syria_is_no_village(geoparser):
    text = "تسعى إيران لاستخدام التكنولوجيا النووية السلمية"
    res = parse(geoparser, text)
    assert not overlapping(res, text, "السلمية"), [(r.text, r.place.name_en) for r in res]
    assert "Salamiyah" not in place_names(res) and "Iran" in place_names(res)


# ---- adjectives and definite nouns are not places ---------------------------------------------------

def test_relative_adjective_is_not_a_place_abroad(geoparser):
    """«النظام السوري» is "the Syrian regime", not Surrey; and «والمعارضة» beside it is no list."""
    text = "قصف متبادل بين النظام السوري والمعارضة في إدلب"
    res = parse(geoparser, text)
    assert not overlapping(res, text, "السوري") and not overlapping(res, text, "المعارضة"), \
        [(r.text, r.place.name_en if r.place else None) for r in res]


def test_adjective_after_definite_villages_is_no_unknown_village(geoparser):
    """«القرى المحاذية»: "the adjacent villages"; only «قرى X» / «قرية X» introduce a name."""
    text = "نزح المدنيون من القرى المحاذية لخطوط التماس في جبل الزاوية"
    res = parse(geoparser, text)
    assert not overlapping(res, text, "المحاذية") and "Jabal al-Zawiya" in place_names(res)


def test_spelling_variant_with_no_namesake_where_the_text_says_is_dropped(geoparser):
    """«والقريبة» ("and near") loosely matches Qurbah (Aleppo); in Idlib/Hama the guard would answer the
    mountain, but a spelling variant with no namesake there is no evidence at all."""
    text = "قصفت قوات النظام قرية فليفل في ريف إدلب والقريبة من جبل شحشبو بريف حماه"
    res = parse(geoparser, text)
    assert not overlapping(res, text, "القريبة"), [(r.text, r.place.name_en) for r in res]
    assert "Fulayfil" in place_names(res)
