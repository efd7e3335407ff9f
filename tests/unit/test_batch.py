import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfumery.batch import estimate_cost, scale_batch
from perfumery.models import Concentration
from perfumery.repair import repair
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.perfumery_strategies import recipes
from tests.unit.test_critic import BALANCED, recipe


def test_edt_batch_splits_concentrate_ethanol_and_water():
    sheet = scale_batch(recipe(BALANCED, Concentration.EDT, 10.0), 100, CATALOG)
    assert (sheet.concentrate_grams, sheet.water_grams, sheet.ethanol_grams) == (10.0, 5.0, 85.0)
    hedione = next(line for line in sheet.lines if line.material_id == "hedione")
    assert hedione.grams == 2.0 and hedione.percent_of_product == 2.0


def test_edp_uses_no_water():
    sheet = scale_batch(recipe(BALANCED), 50, CATALOG)
    assert (sheet.concentrate_grams, sheet.water_grams, sheet.ethanol_grams) == (9.0, 0.0, 41.0)


def test_zero_grams_is_refused():
    with pytest.raises(ValueError):
        scale_batch(recipe(BALANCED), 0, CATALOG)


def test_cost_is_dose_weighted_tier():
    cost = estimate_cost(recipe({"hedione": 50, "rose_absolute": 50}), CATALOG)  # tiers 1 and 5
    assert cost.mean_tier == 3.0
    assert cost.relative_index == 41.0  # (1 + 81) / 2
    assert cost.main_drivers[0] == "rose_absolute"


@settings(max_examples=80, deadline=None)
@given(recipes(min_size=2), st.floats(min_value=10, max_value=5000))
def test_scaling_preserves_ratios(formula, grams):
    formula = repair(formula, CATALOG)
    sheet = scale_batch(formula, grams, CATALOG)
    total = sum(line.grams for line in sheet.lines)
    assert total == pytest.approx(sheet.concentrate_grams, abs=0.001 * len(sheet.lines))
    assert sheet.concentrate_grams + sheet.ethanol_grams + sheet.water_grams == pytest.approx(grams, abs=0.003)
    for line in sheet.lines:
        assert line.grams == pytest.approx(grams * formula.dilution_percent / 100 * line.percent / 100, abs=0.0006)
