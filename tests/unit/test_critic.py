import pytest

from perfumery.brief import Brief
from perfumery.critic import CriticWeights, critique, critiqued, pct
from perfumery.models import Concentration
from perfumery.recipe import Recipe
from tests.unit.perfumery_fixtures import CATALOG

BALANCED = {  # top 22, heart 36, base 42 — hand-made, within every typical range
    "bergamot_oil": 12, "lemon_oil": 6, "pink_pepper_oil": 2, "lavender_oil": 2,
    "hedione": 20, "linalool": 10, "rose_absolute": 3, "orris_butter": 2, "geranium_oil": 1,
    "iso_e_super": 20, "galaxolide": 12, "sandalwood_oil": 6, "ambroxan": 4,
}


def recipe(doses: dict[str, float], concentration=Concentration.EDP, dilution=18.0) -> Recipe:
    return Recipe(concentration=concentration, dilution_percent=dilution,
                  ingredients=[CATALOG.ingredient(m, p) for m, p in doses.items()])


def codes(result) -> set[str]:
    return {v.code for v in result.violations}


def test_clean_formula_has_no_warnings_or_errors():
    result = critique(recipe(BALANCED), CATALOG)
    assert not [v for v in result.violations if v.severity != "info"]
    assert result.compliant and result.balanced
    assert result.score.components["structure"] == 1.0
    assert result.score.components["balance"] == 1.0
    assert result.score.components["compliance"] == 1.0


def test_ifra_cap_violation_names_the_fix_in_korean():
    doses = dict(BALANCED, oakmoss_absolute=0.8, iso_e_super=19.2)
    result = critique(recipe(doses), CATALOG)
    [violation] = [v for v in result.violations if v.code == "ifra_cap"]
    assert violation.severity == "error"
    assert violation.fix_ko == "오크모스 앱솔루트 0.8% → 0.55% (IFRA 한도, 향수(파인 프래그런스) 카테고리 4, 부향률 18%)"
    assert not result.compliant
    assert result.score.total <= 0.6


def test_cap_depends_on_dilution():
    doses = dict(BALANCED, oakmoss_absolute=0.8, iso_e_super=19.2)
    assert "ifra_cap" not in codes(critique(recipe(doses, Concentration.EDC, 5.0), CATALOG))  # cap 2 %


def test_prohibited_material_is_an_error_with_a_substitute():
    doses = dict(BALANCED, lilial=5, hedione=15)
    [violation] = [v for v in critique(recipe(doses), CATALOG).violations if v.code == "ifra_prohibited"]
    assert violation.severity == "error"
    assert "대체" in violation.fix_ko


def test_sum_must_be_100():
    doses = dict(BALANCED, hedione=10)
    result = critique(recipe(doses), CATALOG)
    assert "sum_not_100" in codes(result)
    assert result.score.components["structure"] == pytest.approx(1 - 10 / 20)


def test_pyramid_outside_band_is_a_warning_with_target():
    doses = dict(BALANCED, bergamot_oil=2, iso_e_super=30)  # top 12 %, base 52 %
    [violation] = [v for v in critique(recipe(doses), CATALOG).violations if v.code == "pyramid_band"]
    assert violation.fix_ko == "탑 노트 12% → 15% 이상"
    assert critique(recipe(doses), CATALOG).score.components["balance"] == pytest.approx(1 - 3 / 30)


def test_allergen_above_leave_on_threshold_is_info():
    result = critique(recipe(BALANCED), CATALOG)
    linalool = [v for v in result.violations if v.code == "allergen_label" and "Linalool" in v.message_ko]
    assert linalool and linalool[0].severity == "info"


def test_too_few_materials_is_a_warning():
    result = critique(recipe({"hedione": 30, "bergamot_oil": 20, "iso_e_super": 50}), CATALOG)
    assert "material_count" in codes(result)


def test_brief_fit_rewards_the_asked_descriptors():
    woody = Brief(descriptors={"woody": 1, "cedar": 0.5})
    floral = Brief(descriptors={"tuberose": 1, "peach": 1})
    assert (critique(recipe(BALANCED), CATALOG, woody).score.components["brief_fit"]
            > critique(recipe(BALANCED), CATALOG, floral).score.components["brief_fit"])


def test_avoided_material_is_flagged():
    result = critique(recipe(BALANCED), CATALOG, Brief(avoid_materials=["hedione"]))
    assert "avoided_material" in codes(result)


def test_family_clash_marine_and_gourmand():
    doses = {"calone": 3, "bergamot_oil": 13, "lemon_oil": 6, "hedione": 30, "linalool": 8,
             "vanillin": 5, "coumarin": 1.5, "galaxolide": 20, "iso_e_super": 13.5}
    assert "family_clash" in codes(critique(recipe(doses), CATALOG))


def test_nearest_reference_is_named():
    shalimar_like = {"bergamot_oil": 15, "lemon_oil": 8, "orris_butter": 3, "jasmine_absolute": 3,
                     "rose_absolute": 3, "hedione": 25, "vanillin": 5, "coumarin": 1.5, "galaxolide": 20,
                     "labdanum_absolute": 5, "iso_e_super": 11.5}
    result = critique(recipe(shalimar_like), CATALOG)
    assert result.nearest_reference.id == "guerlain_shalimar"
    assert result.score.components["novelty"] == pytest.approx(1 - result.nearest_reference.similarity, abs=1e-4)


def test_weights_change_the_total():
    base = critique(recipe(BALANCED), CATALOG)
    only_structure = critique(recipe(BALANCED), CATALOG, weights=CriticWeights(
        balance=0, compliance=0, dose_realism=0, brief_fit=0, harmony=0, novelty=0, complexity=0, cost=0))
    assert only_structure.score.total == 1.0 != base.score.total


def test_critiqued_fills_the_recipe():
    filled = critiqued(recipe(BALANCED), CATALOG)
    assert filled.score is not None and filled.nearest_reference is not None


def test_pct_writes_figures_like_a_perfumer():
    assert (pct(0.55), pct(8.0), pct(12.5), pct(0.004)) == ("0.55", "8", "12.5", "0.004")


def test_a_standard_is_summed_over_the_lines_that_carry_it():
    # in EDP (18 %): isoeugenol 1.08 % → 0.1944 %; + jasmine absolute 2 % × 2 % → 0.0072 %: 0.2016 % > 0.2 %
    doses = dict(BALANCED, isoeugenol=1.08, jasmine_absolute=2, hedione=16.92)
    [breach] = [v for v in critique(recipe(doses), CATALOG).violations if v.code == "ifra_cap"]
    assert "이소유제놀" in breach.message_ko and "자스민 앱솔루트" in breach.message_ko
    alone = critique(recipe(dict(BALANCED, isoeugenol=1.08, hedione=18.92)), CATALOG)
    assert "ifra_cap" not in codes(alone)


def test_the_product_category_decides_the_limit():
    doses = dict(BALANCED, oakmoss_absolute=0.8, iso_e_super=19.2)
    lotion = recipe(doses).model_copy(update={"product": "rinse_off", "dilution_percent": 1.0})
    assert critique(lotion, CATALOG).compliant  # 0.008 % under the rinse-off limit of 0.2 %


def test_a_missing_figure_is_never_called_compliant():
    from perfumery.catalog import Catalog

    unknown = CATALOG.materials["labdanum_absolute"].model_copy(update={"cas": "", "ifra_note": ""})
    catalog = Catalog({**CATALOG.materials, "labdanum_absolute": unknown}, CATALOG.accords, CATALOG.references,
                      CATALOG.descriptor_families, CATALOG.standards, CATALOG.contributions)
    result = critique(recipe(dict(BALANCED, labdanum_absolute=2, iso_e_super=18)), catalog)
    assert result.compliance_status == "needs_check" and not result.compliant
    assert result.score.components["compliance"] < 1.0
    [flag] = [v for v in result.violations if v.code == "ifra_unknown"]
    assert "확인 필요" in flag.message_ko


def test_a_composed_overdose_is_an_error_with_its_source():
    result = critique(recipe(dict(BALANCED, rose_absolute=8, hedione=15)), CATALOG)
    [flag] = [v for v in result.violations if v.code == "dose_over_max"]
    assert flag.severity == "error" and "0.2–5%" in flag.message_ko and "출처" in flag.message_ko
    assert result.score.components["dose_realism"] < critique(recipe(BALANCED), CATALOG).score.components[
        "dose_realism"]


def test_allergen_labelling_follows_leave_on_or_rinse_off():
    # linalool: bergamot 12 × 0.15 + linalool 10 + lavender 2 × 0.35 + geranium 1 × 0.05 = 12.55 % of the
    # concentrate (each line × its content) × 0.03 % load = 0.0038 %
    doses = dict(BALANCED)
    leave_on = recipe(doses).model_copy(update={"product": "body_lotion", "dilution_percent": 0.03})
    rinse_off = leave_on.model_copy(update={"product": "rinse_off"})
    assert any(v.code == "allergen_label" and "Linalool" in v.message_ko
               for v in critique(leave_on, CATALOG).violations)  # > 0.001 % leave-on
    assert not any(v.code == "allergen_label" and "Linalool" in v.message_ko
                   for v in critique(rinse_off, CATALOG).violations)  # ≤ 0.01 % rinse-off
