from hypothesis import given, settings

from perfumery.brief import Brief
from perfumery.critic import critique
from perfumery.pyramid import PyramidBands
from perfumery.recipe import Recipe
from perfumery.repair import repair
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.perfumery_strategies import recipes
from tests.unit.test_critic import BALANCED, recipe


def test_valid_formula_comes_back_unchanged():
    original = recipe(BALANCED)
    assert repair(original, CATALOG) is original


def test_clips_to_ifra_cap_and_renormalises():
    repaired = repair(recipe(dict(BALANCED, oakmoss_absolute=0.8, iso_e_super=19.2)), CATALOG)
    assert repaired.percent_of("oakmoss_absolute") == 0.55
    assert abs(repaired.total_percent - 100) < 1e-6
    assert critique(repaired, CATALOG).compliant


def test_substitutes_prohibited_material_with_nearest_allowed():
    repaired = repair(recipe(dict(BALANCED, lilial=5, hedione=15)), CATALOG)
    assert repaired.percent_of("lilial") == 0
    assert repaired.percent_of("hedione") == 20  # Lilial's nearest by descriptors, merged


def test_substitutes_material_the_brief_avoids():
    repaired = repair(recipe(BALANCED), CATALOG, Brief(avoid_materials=["rose_absolute"]))
    assert repaired.percent_of("rose_absolute") == 0
    assert abs(repaired.total_percent - 100) < 1e-6


def test_rebalances_pyramid_into_bands():
    repaired = repair(recipe(dict(BALANCED, bergamot_oil=2, iso_e_super=30)), CATALOG)
    assert critique(repaired, CATALOG).balanced


def test_custom_bands_are_respected():
    bands = PyramidBands(top=(25, 35), heart=(25, 45), base=(25, 45))
    assert critique(repair(recipe(BALANCED), CATALOG, bands=bands), CATALOG, bands=bands).balanced


def test_unknown_materials_are_dropped_and_names_filled():
    messy = Recipe(ingredients=[*recipe(BALANCED).ingredients,
                                CATALOG.ingredient("hedione", 1).model_copy(update={"material_id": "made_up"})])
    repaired = repair(messy, CATALOG)
    assert "made_up" not in {i.material_id for i in repaired.ingredients}
    assert all(i.name_ko for i in repaired.ingredients)


@settings(max_examples=150, deadline=None)
@given(recipes())
def test_repair_invariants(formula: Recipe):
    repaired = repair(formula, CATALOG)
    assert abs(repaired.total_percent - 100) < 1e-6
    for ing in repaired.ingredients:
        assert ing.percent <= CATALOG.cap(ing.material_id, repaired.dilution_percent) + 1e-9
    verdict = critique(repaired, CATALOG)
    assert verdict.compliant and verdict.balanced
    assert repair(repaired, CATALOG) == repaired


def test_a_summed_standard_stays_under_its_limit_after_rounding():
    # A trace line alone at the limit (0.05 % × 22 % load = 0.011 %) plus a natural carrying a little of the
    # same substance: shrinking by 1 % is under one written step, so rounding used to lift it back over.
    from perfumery.catalog import Catalog
    from perfumery.ifra import (
        CheckStatus,
        Contribution,
        IfraCategory,
        IfraStandard,
        Limit,
        LimitKind,
        StandardType,
    )

    standard = IfraStandard(id="IFRA_STD_900", name="Trace test", types=frozenset({StandardType.restriction}),
                            limits={c: Limit(kind=LimitKind.value, percent=0.011) for c in IfraCategory},
                            amendment="51", source="test")
    contributions = {**CATALOG.contributions, "isoeugenol": (Contribution(standard="IFRA_STD_900"),),
                     "jasmine_absolute": (*CATALOG.contributions["jasmine_absolute"],
                                          Contribution(standard="IFRA_STD_900", fraction=0.0005, from_natural=True))}
    catalog = Catalog(CATALOG.materials, CATALOG.accords, CATALOG.references, CATALOG.descriptor_families,
                      {**CATALOG.standards, standard.id: standard}, contributions)
    doses = dict(BALANCED, hedione=18.05, rose_absolute=2, jasmine_absolute=2.9, isoeugenol=0.05)
    repaired = repair(recipe(doses, dilution=22.0), catalog)
    [check] = [c for c in catalog.check_ifra({i.material_id: i.percent for i in repaired.ingredients},
                                             repaired.category, 22.0) if c.standard == "IFRA_STD_900"]
    assert check.status == CheckStatus.ok and critique(repaired, catalog).compliant
