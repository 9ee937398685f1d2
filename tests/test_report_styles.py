"""Incidents from each kind of report, event cues with Arabic morphology, and the date rules.

The sentences are written for these tests in the styles real users feed the tool: news wires
(Arabic, English), daily round-ups, investigation reports with a date per attack, ACLED-style
notes and short posts.
"""

from datetime import date

import pytest

from incidents.articles import article_from_text
from incidents.dates import date_mentions
from incidents.extract import extract
from incidents.lexicon import actor_mentions, event_cues

pytestmark = pytest.mark.shared


def _article(body: str, published: str = "2017-03-29", title: str = "Report"):
    return article_from_text(f"{title}\n{published}\n\n{body}", meta={"date": published})


def _by_place(incidents):
    out = {}
    for i in incidents:
        out.setdefault(i.location["name_en"], []).append(i)
    return out


# ---- event cues ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, cue, sub_event", [
    ("شنت الطائرات الحربية غاراتٍ على البلدة", "الطائرات الحربية", "Air/drone strike"),
    ("وغاراتها طالت القرية", "وغاراتها", "Air/drone strike"),
    ("وقصفت المدفعية القرية", "وقصفت", "Shelling/artillery/missile attack"),
    ("ويقصفون الأحياء منذ الصباح", "ويقصفون", "Shelling/artillery/missile attack"),
    ("وتصدت الفصائل لمحاولة التسلل", "وتصدت", "Armed clash"),
    ("ألقت المروحيات براميل متفجرة على الحي", "المروحيات", "Air/drone strike"),
    ("استخدمت ذخائر عنقودية في القصف", "ذخائر عنقودية", "Shelling/artillery/missile attack"),
    ("نصب مقاتلون كميناً لدورية", "كميناً", "Armed clash"),
    ("Helicopters dropped barrel bombs on the town", "Helicopters dropped", "Air/drone strike"),
    ("The town was shelled overnight", "shelled", "Shelling/artillery/missile attack"),
    ("An IED exploded near the checkpoint", "IED", "Remote explosive/landmine/IED"),
    ("Rebels captured the village at dawn", "Rebels captured", "Non-state actor overtakes territory"),
    ("Gunmen killed 3 civilians in the village", "killed 3 civilians", "Attack"),
])
def test_event_cue_forms(text, cue, sub_event):
    hits = [h for h in event_cues(text) if text[h.start:h.end] == cue]
    assert hits and hits[0].label[1] == sub_event, [(text[h.start:h.end], h.label) for h in event_cues(text)]


def test_word_is_not_part_of_a_longer_word():
    # "قصفي" is a form of قصف, but "قصيدة" or "is" (the verb) must not match anything
    assert not event_cues("نشر الشاعر قصيدة جديدة")
    assert not [h for h in actor_mentions("This is what it is") if h.label == ("Islamic State (ISIS)",)]
    assert [h.label for h in actor_mentions("IS fighters attacked")] == [("Islamic State (ISIS)",)]


def test_name_actor_takes_no_suffixes():
    # الروس (the Russians) is an actor; روسية (Russian, an adjective of anything) is not
    assert [h.label[0] for h in actor_mentions("وقصف الروس البلدة")] == ["Russian forces"]
    assert not actor_mentions("وقالت مصادر روسية")


# ---- dates --------------------------------------------------------------------------------
def test_day_month_takes_the_year_of_the_date_before_it():
    ms = date_mentions("Ten incidents occurred in July 2016. On 9 July two more were found.", date(2017, 3, 29))
    assert [m.date for m in ms] == [date(2016, 7, 1), date(2016, 7, 9)]
    assert ms[0].precision == 3 and ms[1].precision == 1


def test_day_month_without_any_year_takes_the_publication_year_or_the_year_before():
    assert date_mentions("في 7 يوليو قصفت الطائرات", date(2017, 9, 1))[0].date == date(2017, 7, 7)
    # 20 December seen from March 2017 is December 2016, not a date in the future
    assert date_mentions("on 20 December the town was hit", date(2017, 3, 29))[0].date == date(2016, 12, 20)


def test_ranges_and_nights():
    [m] = date_mentions("between 22 and 24 July 2016 the area was shelled")
    assert m.date == date(2016, 7, 22) and m.precision == 2
    [m] = date_mentions("ومن 3 إلى 5 أيلول 2019 اشتباكات")
    assert m.date == date(2019, 9, 3) and m.precision == 2
    [m] = date_mentions("on the night of 12-13 July 2016 jets struck")
    assert m.date == date(2016, 7, 12) and m.precision == 1
    [m] = date_mentions("ليلة ٢١ آب/أغسطس ٢٠١٦ قصفت الطائرات")
    assert m.date == date(2016, 8, 21)


def test_may_the_verb_is_not_a_month():
    [m] = date_mentions("Three people may 5 times have fled since May 6", date(2017, 3, 29))
    assert m.date == date(2016, 5, 6)  # "may 5" is no date; "May 6", the month, is


# ---- report styles ------------------------------------------------------------------------
def test_investigation_report_gives_each_attack_its_own_date(geoparser):
    body = ("Ten incidents involving cluster munitions occurred in July 2016. "
            "An attack on 10 July hit Anadan, as well as an attack on 26 July in Hayyan.\n"
            "On 4 October and 6 October, two incidents involving cluster bombs occurred in Kafr Naha.\n"
            "On 20 August an incident with cluster munitions was documented in Urum al-Kubra. "
            "Another incident occurred in Kafr Hamra.")
    got = _by_place(extract(_article(body), geoparser))
    assert [i.date for i in got["`Anadan"]] == ["2016-07-10"]
    assert [i.date for i in got["Hayyan"]] == ["2016-07-26"]
    assert sorted(i.date for i in got["Kafr Naha"]) == ["2016-10-04", "2016-10-06"]  # dates listed together
    assert [i.date for i in got["Urum al Kubra"]] == ["2016-08-20"]
    # no date in its sentence: the date stated earlier in the same paragraph, not the publication date
    [kh] = got["Kafr Hamra"]
    assert kh.date == "2016-08-20" and "earlier in the paragraph" in " ".join(kh.evidence)
    # "incident" has no type of its own: it takes the report's (cluster munitions)
    assert kh.sub_event_type == "Shelling/artillery/missile attack"


def test_dates_given_respectively(geoparser):
    body = "On 14 July and 16 July, cluster munitions were used in Anadan and Hayyan respectively."
    got = _by_place(extract(_article(body), geoparser))
    assert [i.date for i in got["`Anadan"]] == ["2016-07-14"]
    assert [i.date for i in got["Hayyan"]] == ["2016-07-16"]


def test_incident_alone_is_no_event(geoparser):
    body = "The incident in Saraqib was discussed at the council meeting on 3 May 2017."
    assert extract(_article(body), geoparser) == []


def test_specific_cue_wins_over_generic_attack(geoparser):
    body = "On 7 July 2016, an attack with cluster munitions hit Kafr Hamra."
    [i] = extract(_article(body), geoparser)
    assert i.sub_event_type == "Shelling/artillery/missile attack" and i.date == "2016-07-07"


def test_arabic_daily_round_up(geoparser):
    body = ("إدلب: قصفت قوات النظام بالمدفعية الثقيلة بلدتي كفرنبل والبارة في جبل الزاوية.\n"
            "حلب: دارت اشتباكات عنيفة بين فصائل المعارضة وقوات النظام على محور عندان.\n"
            "حماة: شنت الطائرات الحربية الروسية غارات جوية على قرية اللطامنة.")
    got = _by_place(extract(_article(body, published="2020-09-21", title="حصاد اليوم"), geoparser))
    assert got["Kafr Nabl"][0].sub_event_type == "Shelling/artillery/missile attack"
    assert got["`Anadan"][0].event_type == "Battles"
    assert got["Al Lataminah"][0].sub_event_type == "Air/drone strike"
    assert got["Al Lataminah"][0].actors[0]["name"] == "Russian air force"
    assert all(i.date == "2020-09-21" for v in got.values() for i in v)


def test_arabic_wire_relative_date(geoparser):
    body = "قصفت قوات النظام أمس الأحد بلدة كفرنبل بقذائف المدفعية، من دون أنباء عن وقوع إصابات."
    [i] = extract(_article(body, published="2020-09-21", title="قصف على إدلب"), geoparser)
    assert i.date == "2020-09-20" and i.fatalities == 0


def test_acled_style_note(geoparser):
    body = ("On 5 July 2020, regime forces shelled Kafr Nabl (Idlib). No fatalities were reported.")
    [i] = extract(_article(body, published="2020-07-10"), geoparser)
    assert i.date == "2020-07-05" and i.location["name_en"] == "Kafr Nabl" and i.fatalities == 0
    assert i.actors[0]["name"] == "Syrian regime forces"


def test_short_post_takes_the_publication_date(geoparser):
    body = "عاجل: غارات جوية على سراقب بريف إدلب"
    [i] = extract(_article(body, published="2020-02-03", title="عاجل"), geoparser)
    assert i.date == "2020-02-03" and "publication date" in " ".join(i.evidence)


def test_ordinal_anaphora_in_investigations(geoparser):
    body = ("On 25 September 2016, two incidents involving incendiary munitions were identified. "
            "The first occurred in Anadan. The second, in Hayyan.")
    got = _by_place(extract(_article(body), geoparser))
    assert [i.date for i in got["`Anadan"]] == ["2016-09-25"]
    assert [i.date for i in got["Hayyan"]] == ["2016-09-25"]
    assert got["Hayyan"][0].sub_event_type == "Shelling/artillery/missile attack"  # the paragraph's type


def test_background_sentence_of_a_retrospective_report_is_no_event(geoparser):
    # every date of the report lies months before publication: the undated sentence is background
    body = ("On 7 July 2016 cluster munitions hit Anadan. On 9 July 2016 cluster munitions hit Hayyan. "
            "On 12 July 2016 cluster munitions hit Kafr Hamra.\n"
            "Other groups have researched the use of cluster munitions in Saraqib.")
    got = _by_place(extract(_article(body, published="2017-03-29"), geoparser))
    assert "Saraqib" not in got and len(got) == 3
    # the same undated sentence in a wire whose events are recent is an event on the publication day
    wire = _by_place(extract(_article("Cluster munitions hit Saraqib.", published="2017-03-29"), geoparser))
    assert [i.date for i in wire["Saraqib"]] == ["2017-03-29"]


def test_lower_case_head_word_opens_a_name(geoparser):
    [r] = [r for r in geoparser.parse("an incident occurred in the khan Touman district of Aleppo")
           if r.role == "target"]
    assert r.place.name_en == "Khan Tuman"
