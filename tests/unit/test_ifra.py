"""IFRA arithmetic: limits per category, sums over lines, and never a claim on a missing figure."""

import pytest

from perfumery.ifra import (
    CHECK_VERDICT_KO,
    PRODUCTS,
    CheckStatus,
    Contribution,
    IfraCategory,
    IfraStandard,
    Limit,
    LimitKind,
    Product,
    StandardType,
    amendment_ko,
    check_standards,
    fragrance_load,
    material_cap,
    newest_amendment,
    product_label_ko,
    product_named,
)
from perfumery.models import Concentration


def _standard(number: int, cell: Limit, types=(StandardType.restriction,), note_limit=None) -> IfraStandard:
    return IfraStandard(id=f"IFRA_STD_{number:03d}", name=f"S{number}", types=frozenset(types),
                        limits={c: cell for c in IfraCategory}, note_limit=note_limit, amendment="51", source="test")


VALUE = _standard(1, Limit(kind=LimitKind.value, percent=0.1))
SEE_NOTE = _standard(2, Limit(kind=LimitKind.see_note), (StandardType.prohibition,), note_limit=0.02)
MISSING = _standard(3, Limit(kind=LimitKind.missing), (StandardType.prohibition, StandardType.specification))
SPEC = _standard(4, Limit(kind=LimitKind.missing), (StandardType.specification,))
STANDARDS = {s.id: s for s in (VALUE, SEE_NOTE, MISSING, SPEC)}


def test_a_standard_sums_the_substance_and_the_naturals_that_carry_it():
    contributions = {"pure": (Contribution(standard=VALUE.id),),
                     "oil": (Contribution(standard=VALUE.id, fraction=0.5, from_natural=True),)}
    # 0.4 % + 0.4 % × 0.5 of the concentrate at an 18 % load: 0.108 % of the product > 0.1 %
    [check] = check_standards({"pure": 0.4, "oil": 0.4}, contributions, STANDARDS, IfraCategory.c4, 18.0)
    assert check.status == CheckStatus.over and check.level_percent == pytest.approx(0.108)
    assert check.contributors == ["pure", "oil"]
    [alone] = check_standards({"pure": 0.4}, contributions, STANDARDS, IfraCategory.c4, 18.0)
    assert alone.status == CheckStatus.ok


def test_see_note_prohibits_the_substance_but_caps_what_naturals_bring():
    direct = {"x": (Contribution(standard=SEE_NOTE.id),)}
    natural = {"x": (Contribution(standard=SEE_NOTE.id, fraction=0.01, from_natural=True),)}
    assert check_standards({"x": 1}, direct, STANDARDS, IfraCategory.c4, 18.0)[0].status == CheckStatus.prohibited
    assert check_standards({"x": 1}, natural, STANDARDS, IfraCategory.c4, 18.0)[0].status == CheckStatus.ok  # 0.0018 %
    assert check_standards({"x": 20}, natural, STANDARDS, IfraCategory.c4, 18.0)[0].status == CheckStatus.over  # 0.036 %


def test_a_missing_figure_or_amount_is_unknown_never_ok():
    missing = {"x": (Contribution(standard=MISSING.id),)}
    unmeasured = {"x": (Contribution(standard=VALUE.id, fraction=None),)}
    assert check_standards({"x": 1}, missing, STANDARDS, IfraCategory.c4, 18.0)[0].status == CheckStatus.unknown
    assert check_standards({"x": 1}, unmeasured, STANDARDS, IfraCategory.c4, 18.0)[0].status == CheckStatus.unknown
    assert material_cap(missing["x"], STANDARDS, IfraCategory.c4, 18.0) == (100.0, True)
    spec = {"x": (Contribution(standard=SPEC.id),)}
    assert check_standards({"x": 1}, spec, STANDARDS, IfraCategory.c4, 18.0)[0].status == CheckStatus.specification


def test_the_cap_in_the_concentrate_follows_the_load_and_the_fraction():
    cap, missing = material_cap((Contribution(standard=VALUE.id, fraction=0.5),), STANDARDS, IfraCategory.c4, 10.0)
    assert cap == pytest.approx(2.0) and not missing  # 0.1 % of product / 10 % load / half the substance
    assert material_cap((Contribution(standard=SEE_NOTE.id),), STANDARDS, IfraCategory.c4, 10.0) == (0.0, False)


def test_products_name_their_category_and_load():
    assert product_named("바디로션용으로") == Product.body_lotion
    assert product_named("베이비로션에넣을") == Product.baby_lotion  # the longer word wins over "로션"
    assert product_named("캔들용향") == Product.candle
    assert product_named("상큼한향") is None
    assert fragrance_load(Product.fine_fragrance, Concentration.EDT) == 10.0
    assert fragrance_load(Product.body_lotion, Concentration.EDT) == 0.5


@pytest.mark.parametrize(("packed", "product", "category"), [
    ("향초에넣을", Product.candle, "12"), ("양초용으로", Product.candle, "12"),
    ("리드디퓨저용으로", Product.reed_diffuser, "10A"), ("룸스프레이로", Product.room_spray, "10B"),
    ("차량용방향제로", Product.car_freshener, "12"), ("섬유유연제에넣을", Product.fabric_softener, "10A"),
    ("세탁세제용", Product.detergent, "10A"), ("핸드워시에맞게", Product.hand_wash, "9"),
    ("바디미스트로", Product.body_mist, "2"), ("헤어미스트용", Product.hair_spray, "7B"),
])
def test_products_people_make_are_read_with_their_ifra_category(packed, product, category):
    assert product_named(packed) == product and PRODUCTS[product].category.value == category


def test_a_product_word_that_names_a_smell_is_not_a_product():
    assert product_named("깨끗한비누향추천해주세요") is None
    assert product_named("섬유유연제냄새나는향수") is None
    assert product_named("섬유유연제같은포근한향") is None


def test_every_product_has_a_base_a_category_source_and_says_where_its_load_comes_from():
    for product, info in PRODUCTS.items():
        assert info.base_ko and info.category_source
        assert info.load_basis_ko.startswith("출처: ") == bool(info.load_source)
        assert (product == Product.fine_fragrance) == (product_label_ko(product, Concentration.EDP, 18.0) == "EDP")
    assert product_label_ko(Product.candle, Concentration.EDP, 6.0) == "캔들(향초) · 향료 6%"


def test_every_check_status_has_its_korean_verdict() -> None:
    """One table words every verdict: the chat's compliance table and the IFRA summary both read it."""
    assert set(CHECK_VERDICT_KO) == set(CheckStatus)
    assert CHECK_VERDICT_KO[CheckStatus.unknown] == "확인 필요"


def test_tables_are_the_amendment_of_their_newest_standard():
    assert newest_amendment(["49", "4", "51", "43"]) == "51"  # "4" (Standard 125) is a number, not a prefix
    assert newest_amendment([]) == ""
    assert amendment_ko("52") == "52차 개정" and amendment_ko("") == "개정 차수 확인 필요"
