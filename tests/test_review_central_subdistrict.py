"""A district seat and its central subdistrict are one place for the review queue (QA after issue 18).
OCHA names the subdistrict around each district's seat "مركز X" (X centre: 64 of them in the index),
so Qardaha's subdistrict, Arabic "مركز القرداحة", English "Al-Qardaha", shared no name key with the
town "القرداحة" / "Al Qardahah", and every incident at Qardaha was queued for "close alternative:
Al-Qardaha". Data as the index and a FA-KES incident hold them."""
from incidents.review import attention, same_place

QARDAHA = {"id": "wof:1310308215", "name_ar": "القرداحة", "name_en": "Al Qardahah", "feature": "locality",
           "lat": 35.45644, "lon": 36.05909, "admin1": "Latakia"}
CENTRE = {"id": "osy:sy-latakia-qardaha-al-qardaha", "name_en": "Al-Qardaha", "name_ar": "مركز القرداحة",
          "feature": "subdistrict", "admin1": "Latakia", "lat": 35.44385, "lon": 36.08619, "score": 1.3}


def test_the_central_subdistrict_of_the_chosen_town_is_the_same_place():
    assert same_place(QARDAHA, CENTRE)
    assert same_place(QARDAHA, {**CENTRE, "name_en": "Markaz Al Qardahah", "name_ar": None})


def test_an_incident_at_the_town_is_not_queued_for_it():
    row = {"precision": 1, "confidence": 1.0, "location": {**QARDAHA, "alternatives": [CENTRE]}}
    assert attention(row)[1] == []


def test_another_units_centre_is_still_a_doubt():
    other = {**CENTRE, "id": "osy:x", "name_ar": "مركز جبلة", "name_en": "Jablah"}
    assert not same_place(QARDAHA, other)
