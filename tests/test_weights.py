"""The resolver's weights file: a refit (`ResolutionWeights.save`) keeps the hand-set kind scores,
and the kind scores read back as the tables the resolver asks."""

import json

from geodata.weights import KIND_SCORES, WEIGHTS, KindScores, ResolutionWeights


def test_a_refit_keeps_the_kind_scores(tmp_path):
    out = tmp_path / "weights.json"
    ResolutionWeights(**{**WEIGHTS.__dict__, "near_25km": 2.5}).save(out, about="test")
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["near_25km"] == 2.5 and ResolutionWeights.load(out).near_25km == 2.5
    assert KindScores.load(out) == KIND_SCORES
    assert "kind_scores" in saved and "_about" in saved["kind_scores"]


def test_kind_scores_answer_for_a_kind_the_table_does_not_name():
    assert KIND_SCORES.score("local_trigger", "locality") == 2.0
    assert KIND_SCORES.score("local_trigger", "governorate") == KIND_SCORES.score("local_trigger", "other") == -1.0
    assert KIND_SCORES.score("neighbourhood_trigger", "neighbourhood") == 5.0
