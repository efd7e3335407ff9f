import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfumery.batch import BatchBasis, estimate_cost, gram_decimals, scale_batch
from perfumery.ifra import PRODUCTS, Product, fragrance_load
from perfumery.models import Concentration, ListPrice
from perfumery.repair import repair
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.perfumery_strategies import recipes
from tests.unit.test_critic import BALANCED, recipe


def test_the_sheet_weighs_the_concentrate_by_default():
    sheet = scale_batch(recipe(BALANCED, Concentration.EDT, 10.0), 100, CATALOG)
    assert sheet.basis == BatchBasis.concentrate and sheet.bases == []
    assert sum(line.grams for line in sheet.lines) == pytest.approx(100.0, abs=1e-9)
    hedione = next(line for line in sheet.lines if line.material_id == "hedione")
    assert hedione.grams == 20.0 and hedione.percent_of_product == 2.0


def test_the_finished_perfume_splits_concentrate_ethanol_and_water():
    sheet = scale_batch(recipe(BALANCED, Concentration.EDT, 10.0), 100, CATALOG, BatchBasis.product)
    assert sheet.concentrate_grams == 10.0
    assert [(b.name_ko, b.grams) for b in sheet.bases] == [("에탄올", 85.0), ("정제수", 5.0)]
    edp = scale_batch(recipe(BALANCED), 50, CATALOG, BatchBasis.product)
    assert [(b.name_ko, b.grams) for b in edp.bases] == [("에탄올", 41.0)]  # no water in an EDP


def test_a_lotion_is_weighed_in_its_base_never_in_ethanol():
    lotion = recipe(BALANCED).model_copy(update={"product": Product.body_lotion, "dilution_percent": 0.5})
    sheet = scale_batch(lotion, 100, CATALOG, BatchBasis.product)
    assert [(b.name_ko, b.grams) for b in sheet.bases] == [("로션 베이스", 99.5)]
    assert sheet.concentrate_grams == 0.5 and sheet.label_ko == "바디로션 · 향료 0.5%"
    assert sum(line.grams for line in sheet.lines) + sheet.bases[0].grams == pytest.approx(100.0, abs=1e-9)


def test_one_precision_per_sheet_for_its_size():
    assert [gram_decimals(g) for g in (100, 1_000, 5_000, 50_000)] == [3, 3, 2, 1]
    sheet = scale_batch(recipe(BALANCED), 100, CATALOG)
    assert sheet.grams_ko(0.04) == "0.040 g" and sheet.grams_ko(12.5) == "12.500 g"


def test_zero_grams_is_refused():
    with pytest.raises(ValueError):
        scale_batch(recipe(BALANCED), 0, CATALOG)


def test_cost_is_dose_weighted_tier_without_a_cited_price():
    cost = estimate_cost(recipe({"hedione": 50, "rose_absolute": 50}), CATALOG)  # tiers 1 and 5
    assert cost.mean_tier == 3.0
    assert cost.relative_index == 41.0  # (1 + 81) / 2
    assert cost.main_drivers[0] == "rose_absolute"
    assert cost.priced == [] and cost.won_per_kg_priced is None


def test_a_cited_price_gives_won_for_its_share_of_the_concentrate():
    price = ListPrice(won_per_kg=40_000, source_ko="test source 2026")
    materials = dict(CATALOG.materials)
    materials["hedione"] = materials["hedione"].model_copy(update={"price": price})
    catalog = CATALOG.__class__(**{**{f: getattr(CATALOG, f) for f in ("accords", "references", "descriptor_families",
                                                                      "standards", "contributions")},
                                   "materials": materials})
    cost = estimate_cost(recipe({"hedione": 25, "iso_e_super": 75}), catalog)
    assert [p.material_id for p in cost.priced] == ["hedione"] and cost.priced_share == 0.25
    assert cost.won_per_kg_priced == 10_000  # a quarter of a kilo of hedione in each kilo of concentrate


PRODUCT_CASES = [(p, c) for p in Product for c in ([Concentration.EDC, Concentration.EDP]
                                                   if p == Product.fine_fragrance else [Concentration.EDP])]


@settings(max_examples=60, deadline=None)
@given(recipes(min_size=2), st.floats(min_value=1, max_value=100_000), st.sampled_from(PRODUCT_CASES),
       st.sampled_from(list(BatchBasis)))
def test_every_sheet_adds_up_to_the_grams_asked_and_keeps_the_ratios(formula, grams, case, basis):
    product, concentration = case
    formula = repair(formula, CATALOG).model_copy(update={
        "product": product, "concentration": concentration, "dilution_percent": fragrance_load(product, concentration)})
    sheet = scale_batch(formula, grams, CATALOG, basis)
    step = 10.0 ** -sheet.decimals
    total = sum(line.grams for line in sheet.lines) + sum(base.grams for base in sheet.bases)
    assert round(total / step) == round(grams / step)  # exact in the sheet's unit
    assert all(round(line.grams / step, 6).is_integer() for line in sheet.lines)
    if basis == BatchBasis.product:
        assert [b.name_ko for b in sheet.bases][0] == ("에탄올" if product == Product.fine_fragrance
                                                       else PRODUCTS[product].base_ko)
    concentrate = grams * formula.dilution_percent / 100 if basis == BatchBasis.product else grams
    for line in sheet.lines:
        assert line.grams == pytest.approx(concentrate * line.percent / formula.total_percent,
                                           abs=step * len(sheet.lines))
