"""Korean follow-ups → typed edits, on the real knowledge base and a composed formula."""

import pytest

from agent.reading.edit_parser import parse_edit
from agent.reading.interpret import MaterialNames
from knowledge.kb import load_knowledge_base
from perfumery import compose, edit_many
from perfumery.batch import BatchBasis
from perfumery.brief import Brief
from perfumery.edits import (
    Absorb,
    AddMaterial,
    ChangeConcentration,
    ChangeProduct,
    RemoveCharacter,
    RemoveMaterial,
    SetPercent,
    Shift,
    Substitute,
    SubstituteCharacter,
)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def names(kb):
    return MaterialNames(kb)


@pytest.fixture(scope="module")
def recipe(kb):
    return compose(Brief(descriptors={"woody": 1.0, "musky": 0.8, "citrus": 0.5}), kb.catalog, n=1, seed=3)[0]


def test_percent_on_a_material_in_the_formula_sets_it(kb, names, recipe) -> None:
    lead = max(recipe.ingredients, key=lambda i: i.percent)
    ops = parse_edit(f"{lead.name_ko}을 3.5%로 줄여줘", recipe, kb, names).ops
    assert ops == [SetPercent(material_id=lead.material_id, percent=3.5)]


def test_percent_on_a_new_material_adds_it(kb, names, recipe) -> None:
    absent = next(m for m in ("hedione", "ambroxan", "iso_e_super", "calone", "vanillin") if recipe.percent_of(m) == 0)
    name = kb.materials[absent].name_ko
    assert parse_edit(f"{name} 8%로", recipe, kb, names).ops == [AddMaterial(material_id=absent, percent=8.0)]


def test_remove_add_substitute(kb, names, recipe) -> None:
    first = recipe.ingredients[0]
    assert parse_edit(f"{first.name_ko} 빼줘", recipe, kb, names).ops == [RemoveMaterial(material_id=first.material_id)]
    absent = next(m for m in ("hedione", "ambroxan", "calone") if recipe.percent_of(m) == 0)
    assert parse_edit(f"{kb.materials[absent].name_ko} 추가해줘", recipe, kb, names).ops == [
        AddMaterial(material_id=absent)]
    swap = parse_edit(f"{first.name_ko} 대신 {kb.materials[absent].name_ko}", recipe, kb, names).ops
    assert swap == [Substitute(material_id=first.material_id, replacement=absent)]


def test_descriptor_shifts_and_lightness(kb, names, recipe) -> None:
    woodier = parse_edit("베이스를 더 우디하게", recipe, kb, names).ops
    assert len(woodier) >= 1 and all(isinstance(op, Shift) and op.direction == 1 for op in woodier)
    assert "woody" in {op.target for op in woodier}
    less_sweet = parse_edit("덜 달게 해줘", recipe, kb, names).ops
    assert any(op.target == "sweet" and op.direction == -1 for op in less_sweet)
    assert parse_edit("좀 더 가볍게", recipe, kb, names).ops == [Shift(target="light", direction=1)]


def test_concentration_batch_and_cost(kb, names, recipe) -> None:
    assert parse_edit("EDT로 바꿔줘", recipe, kb, names).ops == [ChangeConcentration(concentration="EDT")]
    assert parse_edit("100g 배합표로 보여줘", recipe, kb, names).batch_grams == 100
    assert parse_edit("1.5kg 배치로 만들어줘", recipe, kb, names).batch_grams == 1500
    assert parse_edit("원가가 얼마나 돼?", recipe, kb, names).cost


def test_what_cannot_be_understood_gets_a_korean_answer(kb, names, recipe) -> None:
    assert "이해하지 못했어요" in parse_edit("그거 좀 어떻게 해봐", recipe, kb, names).error_ko
    assert "재료를 찾지 못했어요" in parse_edit("그거 8%로", recipe, kb, names).error_ko
    assert "1 g에서 100 kg" in parse_edit("0g 배합표", recipe, kb, names).error_ko



def test_an_absent_material_is_never_replaced_by_a_similar_one(kb, names, recipe) -> None:
    absent = next(m for m in ("rosewood_oil", "calone") if recipe.percent_of(m) == 0)
    request = parse_edit(f"{kb.materials[absent].name_ko} 빼줘", recipe, kb, names)
    assert request.ops == [] and request.found and request.error_ko is None
    [missing] = request.absent
    assert missing.material_id == absent and missing.action_ko == "빼기"
    present = {i.material_id for i in recipe.ingredients}
    assert missing.nearest and set(missing.nearest) <= present  # offered, not acted on
    compound = parse_edit(f"{kb.materials[absent].name_ko}는 빼고 베이스를 더 스모키하게", recipe, kb, names)
    assert [a.material_id for a in compound.absent] == [absent]
    assert all(isinstance(op, Shift) for op in compound.ops) and compound.ops


def test_a_compound_request_applies_each_part(kb, names, recipe) -> None:
    first = recipe.ingredients[0]
    request = parse_edit(f"{first.name_ko}는 빼고 베이스를 더 스모키하게", recipe, kb, names)
    assert RemoveMaterial(material_id=first.material_id) in request.ops
    smoky = [op for op in request.ops if isinstance(op, Shift)]
    assert smoky and smoky[0].direction == 1 and smoky[0].position == "base"
    assert request.skipped == []


def test_a_part_that_cannot_be_read_is_reported_not_dropped(kb, names, recipe) -> None:
    first = recipe.ingredients[0]
    request = parse_edit(f"{first.name_ko} 빼고 그거 좀 어떻게 해봐", recipe, kb, names)
    assert request.ops == [RemoveMaterial(material_id=first.material_id)]
    assert request.skipped == ["그거 좀 어떻게 해봐"]


def test_substitution_by_character_takes_the_old_out_and_brings_the_new_in_perceptibly(kb, names) -> None:
    from perfumery.fit import can_smell, character, odor_mass

    rosy = compose(Brief(descriptors={"rose": 1.0, "floral": 0.6}), kb.catalog, n=1, seed=1)[0]
    for text in ("장미 빼고 재스민으로 바꿔줘", "장미 대신 재스민"):
        assert parse_edit(text, rosy, kb, names).ops == [SubstituteCharacter(target="rose", replacement="jasmine")]
    edited = edit_many(rosy, parse_edit("장미 빼고 재스민으로 바꿔줘", rosy, kb, names).ops, kb.catalog)
    doses = {i.material_id: i.percent for i in edited.ingredients}
    assert not [m for m in doses if character(kb.catalog, m, "rose")]
    assert can_smell("jasmine", odor_mass(doses, kb.catalog), kb.catalog)


def test_a_family_removal_and_the_absorption_choice(kb, names, recipe) -> None:
    assert parse_edit("시트러스는 빼줘", recipe, kb, names).ops == [RemoveCharacter(target="citrus")]
    first = recipe.ingredients[0]
    carriers = parse_edit(f"{first.name_ko} 빼고 캐리어로 채워", recipe, kb, names)
    assert carriers.ops == [RemoveMaterial(material_id=first.material_id)] and carriers.absorb == Absorb.carriers
    ratios = parse_edit(f"{first.name_ko} 8%로, 나머지는 비율 유지", recipe, kb, names)
    assert ratios.ops == [SetPercent(material_id=first.material_id, percent=8.0)] and ratios.absorb == Absorb.ratios
    assert ratios.skipped == []
    into = parse_edit(f"{first.name_ko} 빼고 나머지는 헤디온으로 채워", recipe, kb, names)
    assert into.absorb_into == "hedione" and into.ops == [RemoveMaterial(material_id=first.material_id)]


def test_a_product_change_is_an_edit_and_a_brief_for_a_product_is_not(kb, names, recipe) -> None:
    assert parse_edit("바디로션용으로 바꿔줘", recipe, kb, names).ops == [ChangeProduct(product="body_lotion")]
    assert parse_edit("향초용으로", recipe, kb, names).ops == [ChangeProduct(product="candle")]
    assert parse_edit("섬유유연제에 쓸 수 있게 바꿔줘", recipe, kb, names).ops == [
        ChangeProduct(product="fabric_softener")]
    assert not parse_edit("향초에 넣을 포근한 향 만들어줘", recipe, kb, names).found  # a new formula


def test_the_batch_sheet_weighs_the_concentrate_unless_the_product_is_asked(kb, names, recipe) -> None:
    assert parse_edit("100g 배합표로", recipe, kb, names).batch_basis == BatchBasis.concentrate
    assert parse_edit("완제품 100g 배합표로", recipe, kb, names).batch_basis == BatchBasis.product
