"""`hyanggi eval edits`: the labelled set, the measures (they fail when an edit misbehaves) and the targets."""

import pytest

from eval.edit_metrics import (
    EditCase,
    Expect,
    Outcome,
    chat_system,
    evaluate_edits,
    load_edit_set,
    score_case,
)
from knowledge.kb import load_knowledge_base
from perfumery.batch import BatchBasis, scale_batch
from perfumery.ifra import Product, fragrance_load
from perfumery.models import Concentration


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def edit_set(kb):
    return load_edit_set(kb.catalog)


def test_the_set_covers_every_kind_of_edit_on_real_formulas(kb, edit_set) -> None:
    formulas, cases = edit_set
    assert len(cases) >= 150 and len(formulas) >= 10
    assert {c.kind for c in cases} >= {"remove_present", "remove_absent", "set_percent", "add", "substitute",
                                       "substitute_character", "remove_character", "shift", "shift_position",
                                       "compound", "product", "absorb_choice"}
    for recipe in formulas.values():
        assert recipe.total_percent == pytest.approx(100, abs=0.05)
    for case in cases:
        ids = [p for p in case.allowed if ":" not in p and p not in ("*", "carrier")]
        assert all(m in kb.materials for m in ids + case.expect.removed + case.expect.added + list(case.expect.set))


def test_a_similar_material_removed_in_place_of_an_absent_one_is_caught(kb, edit_set) -> None:
    formulas, _ = edit_set
    before = formulas["routing_rose"]
    case = EditCase(formula="routing_rose", kind="remove_absent", text="로즈우드 오일 빼줘", allowed=[],
                    expect=Expect(unchanged=True, absent="rosewood_oil"))
    lines = [i for i in before.ingredients if i.material_id != "iso_e_super"]
    scale = 100 / sum(i.percent for i in lines)
    after = before.model_copy(update={"version": 2, "ingredients": [
        i.model_copy(update={"percent": round(i.percent * scale, 2)}) for i in lines]})
    result = score_case(case, before, Outcome(recipe=after, reply="**변경 사항** — 제거: 이소 이 슈퍼"), kb.catalog)
    assert not result.applied and result.wrong_material == ["iso_e_super"]
    assert result.silent_unnamed and "unchanged" in result.failed  # the rest moved and the reply did not say


def test_the_chat_answers_an_absent_material_first_and_changes_nothing(kb, edit_set) -> None:
    formulas, _ = edit_set
    case = EditCase(formula="routing_rose", kind="remove_absent", text="로즈우드 오일 빼줘", allowed=[],
                    expect=Expect(unchanged=True, absent="rosewood_oil"))
    outcome = chat_system(kb)(formulas["routing_rose"], case.text)
    result = score_case(case, formulas["routing_rose"], outcome, kb.catalog)
    assert outcome.recipe is None and result.applied and result.offered
    assert outcome.reply.startswith("⚠️ 지금 포뮬러에는 로즈우드 오일이 없어서")


def test_the_edits_meet_their_targets(kb) -> None:
    report = evaluate_edits(kb)
    assert report.wrong_material_changes == 0 and report.silent_changes == 0, report.misses
    assert report.applied_as_asked >= 0.95 and report.absent_offered >= 0.95, report.misses


@pytest.mark.parametrize("product", list(Product))
def test_batch_sheets_for_every_product_add_up_to_the_grams_asked(kb, edit_set, product) -> None:
    formulas, _ = edit_set
    for concentration in (Concentration.EDT, Concentration.Extrait) if product == Product.fine_fragrance else (
            Concentration.EDP,):
        for recipe in formulas.values():
            placed = recipe.model_copy(update={"product": product, "concentration": concentration,
                                               "dilution_percent": fragrance_load(product, concentration)})
            for grams in (1.0, 37.5, 100.0, 2_500.0, 99_999.0):
                for basis in BatchBasis:
                    sheet = scale_batch(placed, grams, kb.catalog, basis)
                    step = 10.0 ** -sheet.decimals
                    total = sum(line.grams for line in sheet.lines) + sum(b.grams for b in sheet.bases)
                    assert round(total / step) == round(grams / step), (recipe.id, product, grams, basis)
                    assert all(line.grams > 0 for line in sheet.lines)
