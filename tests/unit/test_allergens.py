"""EU allergen arithmetic: each line's content × dose × load, thresholds, and 확인 필요 instead of a guess."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from perfumery.allergens import (
    EXISTING_PRODUCTS_UNTIL,
    LEAVE_ON_PERCENT,
    NEW_PRODUCTS_FROM,
    RINSE_OFF_PERCENT,
    allergen_lines,
    threshold_percent,
)
from perfumery.critic import critique
from perfumery.documents import allergen_declaration
from perfumery.recipe import Recipe
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.perfumery_strategies import recipes
from tests.unit.test_critic import BALANCED, recipe


def test_a_line_carries_its_content_times_dose_times_load() -> None:
    [limonene] = [line for line in allergen_lines(CATALOG.materials, {"bergamot_oil": 10, "lemon_oil": 5}, 20.0)
                  if line.allergen == "Limonene"]
    # bergamot 10 % × 0.35 × 20 % load = 0.7 %; lemon 5 % × 0.65 × 20 % = 0.65 %
    assert limonene.level_percent == pytest.approx(0.7 + 0.65)
    assert [m for m, _ in limonene.sources] == ["bergamot_oil", "lemon_oil"]
    assert limonene.declare(LEAVE_ON_PERCENT) and not limonene.unquantified


def test_an_allergen_without_a_figure_is_to_be_checked_never_counted_whole() -> None:
    [geraniol] = [line for line in allergen_lines(CATALOG.materials, {"lavender_oil": 10}, 20.0)
                  if line.allergen == "Geraniol"]
    assert geraniol.level_percent == 0 and geraniol.unquantified == ["lavender_oil"]
    assert not geraniol.declare(LEAVE_ON_PERCENT)


def test_thresholds_and_transition_follow_the_regulation() -> None:
    assert (threshold_percent(False), threshold_percent(True)) == (LEAVE_ON_PERCENT, RINSE_OFF_PERCENT) == (0.001, 0.01)
    assert (NEW_PRODUCTS_FROM.isoformat(), EXISTING_PRODUCTS_UNTIL.isoformat()) == ("2026-07-31", "2028-07-31")


@settings(max_examples=60, deadline=None)
@given(recipes())
def test_a_declared_allergen_never_exceeds_its_sources_doses_times_load(formula: Recipe) -> None:
    doses = {i.material_id: i.percent for i in formula.ingredients}
    for line in allergen_lines(CATALOG.materials, doses, formula.dilution_percent):
        carriers = {m for m, _ in line.sources} | set(line.unquantified)
        assert line.level_percent <= sum(doses[m] for m in carriers) * formula.dilution_percent / 100 + 1e-12


def test_the_critic_and_the_declaration_read_the_same_lines() -> None:
    formula = recipe(dict(BALANCED)).model_copy(update={"product": "body_lotion", "dilution_percent": 0.5})
    declared = [e.allergen for e in allergen_declaration(formula, CATALOG).entries if e.declare]
    flagged = [v.message_ko for v in critique(formula, CATALOG).violations
               if v.code == "allergen_label" and "표시 대상입니다" in v.message_ko]
    assert len(flagged) == len(declared) and "Linalool" in declared
    assert all(any(f"성분 {allergen} 표시 대상입니다" in message for message in flagged) for allergen in declared)


def test_the_declaration_cites_the_regulation_and_lists_what_to_check() -> None:
    formula = recipe(dict(BALANCED)).model_copy(update={"product": "body_lotion", "dilution_percent": 0.5})
    declaration = allergen_declaration(formula, CATALOG)
    assert "(EU) 2023/1545" in declaration.basis_ko and "2026-07-31" in declaration.basis_ko
    geraniol = next(e for e in declaration.entries if e.allergen == "Geraniol")
    assert geraniol.unquantified == [CATALOG.material("lavender_oil").name_ko]
    assert any(line.startswith("Geraniol") and "확인 필요" in line for line in declaration.lines_ko)
    checks = [v for v in critique(formula, CATALOG).violations if v.code == "allergen_label" and "확인 필요" in v.message_ko]
    assert any("라벤더" in v.message_ko and "Geraniol" in v.message_ko for v in checks)
