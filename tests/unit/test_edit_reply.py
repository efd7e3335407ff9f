"""What an edit turn says: an absent material first, every moved line with its reason, the product in every
label, one unit per batch sheet, won where a price is cited — in Korean with the right particles."""

import pytest

from agent.reading.edit_parser import Absent
from agent.replies import render
from knowledge.kb import load_knowledge_base
from perfumery.batch import BatchBasis, estimate_cost, scale_batch
from perfumery.documents import batch_sheet_html, ifra_summary
from perfumery.edits import ChangeProduct, RemoveMaterial, apply_edits
from perfumery.ifra import LIMIT_KO, LimitKind, Product
from perfumery.models import Concentration
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.test_critic import BALANCED, recipe

BASE = recipe(BALANCED)


def test_an_absent_material_is_said_with_its_particle_and_the_nearest_are_offered() -> None:
    text, offers = render.absent_block([Absent(material_id="rosewood_oil", name_ko="로즈우드 오일", action_ko="빼기",
                                               nearest=["iso_e_super"], nearest_ko=["이소 이 슈퍼"])])
    assert text == ("⚠️ 지금 포뮬러에는 로즈우드 오일이 없어서 아무것도 바꾸지 않았어요. 비슷한 재료로는 이소 이 슈퍼가 "
                    "들어 있어요 — 이 중 하나를 빼 드릴까요?")
    assert offers == [{"label": "이소 이 슈퍼 빼기", "message": "이소 이 슈퍼 빼줘"}]


def test_the_change_list_names_every_moved_line_with_its_reason() -> None:
    result = apply_edits(BASE, [RemoveMaterial(material_id="hedione")], CATALOG)
    block = render.change_block(result)
    assert block.startswith("**변경 사항** (v1 → v2)")
    assert "- 요청: 헤디온 20% → 뺌" in block
    assert "합계 유지 — 나머지 재료는 서로의 비율을 유지한 채 함께 조정했어요 (×1.25)" in block
    for change in result.changes:
        assert change.name_ko in block


def test_the_product_is_named_everywhere_and_a_concentration_only_for_a_perfume() -> None:
    lotion = apply_edits(BASE, [ChangeProduct(product=Product.body_lotion)], CATALOG).recipe
    assert render.title_line(lotion).endswith("(v2, 바디로션 · 향료 0.5%)")
    assert render.title_line(BASE).endswith("(v1, EDP 18%)")
    assert "EDP" not in render.title_line(lotion) and "EDP" not in lotion.concept_ko


def test_a_batch_sheet_is_in_one_unit_and_names_the_base_generically() -> None:
    lotion = BASE.model_copy(update={"product": Product.body_lotion, "dilution_percent": 0.5})
    concentrate = render.batch_sheet(scale_batch(lotion, 100, CATALOG), lotion)
    assert "향료 농축액 100.000 g 배합표 (바디로션 · 향료 0.5%용)" in concentrate
    assert "에탄올" not in concentrate and " mg" not in concentrate and "EDP" not in concentrate
    finished = render.batch_sheet(scale_batch(lotion, 100, CATALOG, BatchBasis.product), lotion)
    assert "| 로션 베이스 | — | — | 99.500 g |" in finished and "에탄올" not in finished
    assert "향료 농축액 0.500 g + 로션 베이스 99.500 g = 총 100.000 g" in finished
    assert "반올림했어요" not in finished
    small = render.batch_sheet(scale_batch(lotion, 10, CATALOG, BatchBasis.product), lotion)
    assert "반올림했어요" in small and "제라늄" in small  # lighter than a milligram: said, and a premix advised
    edt = recipe(BALANCED, Concentration.EDT, 10.0)
    assert "에탄올과 정제수를 넣고" in batch_sheet_html(edt, 100, CATALOG, BatchBasis.product)


def test_cost_says_which_figures_rest_on_a_price_and_which_on_a_tier() -> None:
    assert "원가 등급으로만 추정합니다" in render.cost_block(estimate_cost(BASE, CATALOG), BASE)
    kb = load_knowledge_base()
    citrus = recipe({"hedione": 90, "bergamot_oil": 10}).model_copy(update={"ingredients": [
        kb.catalog.ingredient("hedione", 90.0), kb.catalog.ingredient("lemon_oil", 10.0)]})
    block = render.cost_block(estimate_cost(citrus, kb.catalog), citrus)
    assert "농축액의 10%" in block and "₩3,555" in block and "2019" in block and "나머지 재료 (90%)" in block


@pytest.mark.parametrize("product", [Product.fine_fragrance, Product.body_lotion, Product.candle, Product.lip_balm])
def test_no_raw_enum_reaches_a_person(product) -> None:
    assert set(LIMIT_KO) == set(LimitKind)
    kb = load_knowledge_base()
    formula = BASE.model_copy(update={"product": product, "ingredients": [
        kb.catalog.ingredient(m, p) for m, p in {"bergamot_oil": 30, "hedione": 40, "isoeugenol": 0.5,
                                                 "iso_e_super": 29.5}.items()]})
    for line in ifra_summary(formula, kb.catalog).lines_ko:
        assert not any(kind.value in line for kind in (LimitKind.missing, LimitKind.see_note, LimitKind.unrestricted))
