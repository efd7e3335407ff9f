import pytest

from perfumery.similarity import cosine, dose_distance, rank_weights, with_families


def test_rank_weights_decay_with_rank():
    assert rank_weights(["rose", "floral", "honey"]) == {"rose": 1.0, "floral": pytest.approx(2 / 3), "honey": 0.5}


def test_family_dimensions_make_related_descriptors_overlap():
    families = {"rose": "floral", "jasmine": "floral"}
    assert cosine({"rose": 1}, {"jasmine": 1}) == 0
    assert cosine(with_families({"rose": 1}, families), with_families({"jasmine": 1}, families)) == pytest.approx(0.2)


def test_dose_distance_is_one_minus_weighted_jaccard():
    assert dose_distance({"a": 50, "b": 50}, {"a": 50, "c": 50}) == pytest.approx(1 - 50 / 150)
    assert dose_distance({"a": 100}, {"a": 100}) == 0
