"""A formula smells of what was asked, on the real knowledge base: the character carries the weight, headlines
are perceptible, what was ruled out stays out, the score tells the truth and the critic's fixes are applied."""

import pytest

from knowledge.kb import load_knowledge_base
from perfumery import compose, critique
from perfumery.brief import Brief
from perfumery.critic import critiqued
from perfumery.fit import (
    PERCEPTIBLE,
    avoided_lines,
    brief_fit,
    character,
    delivered,
    is_avoided,
    odor_mass,
    perceptible,
)
from perfumery.recipe import Recipe
from perfumery.repair import apply_fixes

# README's example as the reading gives it (agent.reading.interpret.build_brief on the same sentence)
CAFE = Brief(descriptors={"coffee": 1.0, "soft": 1.0, "warm": 0.8, "musky": 0.7, "watery": 0.675, "earthy": 0.6,
                          "milky": 0.5, "woody": 0.4, "powdery": 0.4},
             avoid_descriptors={"sweet": 1.0, "caramel": 0.6, "vanilla": 0.5}, themes=["포근한", "카페"])
ROSE = Brief(descriptors={"rose": 1.0, "floral": 0.7}, themes=["장미"])


@pytest.fixture(scope="module")
def catalog():
    return load_knowledge_base().catalog


def doses(recipe: Recipe) -> dict[str, float]:
    return {i.material_id: i.percent for i in recipe.ingredients}


def test_a_rose_is_built_on_rose_workhorses(catalog):
    for recipe in compose(ROSE, catalog, n=3):
        rose = sum(p for m, p in doses(recipe).items() if character(catalog, m, "rose"))
        assert rose >= 25, (recipe.name, doses(recipe))
        heart = max((i for i in recipe.ingredients if i.note == "heart"), key=lambda i: i.percent)
        assert character(catalog, heart.material_id, "rose"), heart
        assert recipe.name.startswith("장미 ")


def test_the_cafe_carries_coffee_and_nothing_sweet(catalog):
    for recipe in compose(CAFE, catalog, n=3):
        used = doses(recipe)
        assert all(perceptible(CAFE, used, catalog).values()), used
        assert used.get("coffee_co2", 0) >= catalog.material("coffee_co2").typical_dose
        assert not any(is_avoided(CAFE, m, catalog) for m in used)
        assert not avoided_lines(CAFE, used, catalog)
        assert recipe.name.startswith("포근한 카페 ")


def test_the_character_is_found_even_when_retrieval_missed_it(catalog):
    retrieved = ["linalool", "hedione", "galaxolide", "iso_e_super", "mayol", "bergamot_oil"]
    recipe = compose(CAFE, catalog, candidates=retrieved)[0]
    assert "coffee_co2" in doses(recipe)


def test_a_family_ruled_out_takes_its_whole_family(catalog):
    brief = Brief(descriptors={"woody": 1.0, "amber": 0.6}, avoid_descriptors={"marine": 1.0, "fruity": 1.0})
    for recipe in compose(brief, catalog, n=3):
        for material_id in doses(recipe):
            assert not character(catalog, material_id, "marine"), material_id  # no ozonic, watery, aquatic
            assert not character(catalog, material_id, "fruity"), material_id  # no peach, melon


def test_a_formula_that_misses_its_headline_cannot_score_high_and_the_critic_says_how_to_fix_it(catalog):
    good = compose(CAFE, catalog, n=1)[0]
    without = {m: p for m, p in doses(good).items() if not character(catalog, m, "coffee")}
    scale = 100 / sum(without.values())
    missing = good.model_copy(update={"ingredients": [catalog.ingredient(m, round(p * scale, 2))
                                                      for m, p in without.items()]})
    verdict = critique(missing, catalog, CAFE)
    assert verdict.score.components["brief_fit"] <= 0.6
    assert verdict.score.total < critique(good, catalog, CAFE).score.total - 0.1
    [flag] = [v for v in verdict.violations if v.code == "headline_missing"]
    assert "'커피'" in flag.message_ko and flag.fixes
    fixed = apply_fixes(critiqued(missing, catalog, CAFE), verdict.fixes, catalog, CAFE)
    assert perceptible(CAFE, doses(fixed), catalog)["coffee"]
    assert abs(fixed.total_percent - 100) < 1e-6
    for ing in fixed.ingredients:
        assert ing.percent <= catalog.ceiling(ing.material_id, fixed.dilution_percent, fixed.category) + 1e-9


def test_the_critic_names_a_headline_the_knowledge_base_cannot_carry(catalog):
    freesia = Brief(descriptors={"freesia": 1.0, "pear": 0.8})
    recipe = compose(freesia, catalog, n=1)[0]
    [flag] = [v for v in critique(recipe, catalog, freesia).violations if v.code == "headline_missing"]
    assert "지식 베이스에 없어" in flag.message_ko and not flag.fixes
    yuzu = Brief(descriptors={"yuzu": 1.0, "citrus": 0.6})
    [flag] = [v for v in compose(yuzu, catalog, n=1)[0].violations if v.code == "headline_missing"]
    assert "확인 필요" in flag.message_ko and "유자" in flag.message_ko


def test_avoided_odours_the_critic_flags_are_removed_by_its_own_fix(catalog):
    brief = Brief(descriptors={"woody": 1.0}, avoid_descriptors={"sweet": 1.0})
    recipe = compose(Brief(descriptors={"woody": 1.0, "vanilla": 0.8}), catalog, n=1)[0]
    verdict = critique(recipe, catalog, brief)
    assert avoided_lines(brief, doses(recipe), catalog)  # vanillin and co. are there
    fixed = apply_fixes(recipe, verdict.fixes, catalog, brief)
    assert not avoided_lines(brief, doses(fixed), catalog)
    assert brief_fit(brief, doses(fixed), catalog) > brief_fit(brief, doses(recipe), catalog)


def test_a_reply_is_told_only_the_descriptors_the_formula_delivers(catalog):
    recipe = compose(CAFE, catalog, n=1)[0]
    answered = delivered(CAFE, doses(recipe), catalog)
    assert "coffee" in answered.descriptors
    mass = odor_mass(doses(recipe), catalog)
    for descriptor in set(CAFE.descriptors) - set(answered.descriptors):
        assert mass.get(descriptor, 0.0) < PERCEPTIBLE
