import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from perfumery.edits import (
    Absorb,
    AddMaterial,
    ChangeConcentration,
    ChangeProduct,
    ChangeReason,
    EditError,
    EditOp,
    RemoveCharacter,
    RemoveMaterial,
    SetPercent,
    Shift,
    Substitute,
    SubstituteCharacter,
    apply_edits,
    edit,
)
from perfumery.ifra import Product
from perfumery.models import Concentration
from perfumery.repair import repair
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.perfumery_strategies import MATERIAL_IDS, recipes
from tests.unit.test_critic import BALANCED, recipe

BASE = recipe(BALANCED)
ACCENTS = ("pink_pepper_oil", "rose_absolute", "orris_butter", "geranium_oil")  # max ≤ 5 %: not carriers


def changed(result) -> dict[str, ChangeReason]:
    return {c.material_id: c.reason for c in result.changes}


def test_set_percent_lowers_the_untouched_lines_together_and_pins_the_figure():
    result = apply_edits(BASE, [SetPercent(material_id="hedione", percent=30)], CATALOG)
    edited = result.recipe
    assert edited.percent_of("hedione") == 30
    assert [i.material_id for i in edited.ingredients if i.pinned] == ["hedione"]
    # a formula in parts: every other line keeps its ratio (×70/80), accents included
    for m, dose in BALANCED.items():
        if m != "hedione":
            assert edited.percent_of(m) == pytest.approx(dose * 70 / 80, abs=0.011)
    assert result.factor == pytest.approx(0.875)
    assert changed(result)["hedione"] == ChangeReason.requested
    assert {r for m, r in changed(result).items() if m != "hedione"} == {ChangeReason.keep_total}
    assert (edited.version, edited.parent_version, edited.id) == (2, 1, BASE.id)
    assert BASE.percent_of("hedione") == 20  # the original is untouched


def test_removing_a_line_lets_the_others_rise_in_proportion():
    result = apply_edits(BASE, [RemoveMaterial(material_id="hedione")], CATALOG)
    edited = result.recipe
    assert edited.percent_of("hedione") == 0 and edited.total_percent == pytest.approx(100)
    for m, dose in BALANCED.items():
        if m != "hedione":
            assert edited.percent_of(m) == pytest.approx(dose * 1.25, abs=0.011)
    assert changed(result)["hedione"] == ChangeReason.requested


def test_a_line_at_its_ceiling_stops_there_and_is_named():
    formula = recipe(dict(BALANCED, sandalwood_oil=9, iso_e_super=17))  # sandalwood max 10 %
    result = apply_edits(formula, [RemoveMaterial(material_id="hedione")], CATALOG)
    assert result.recipe.percent_of("sandalwood_oil") == 10
    assert changed(result)["sandalwood_oil"] == ChangeReason.use_max
    for ingredient in result.recipe.ingredients:
        assert ingredient.percent <= CATALOG.ceiling(ingredient.material_id, 18.0) + 1e-9


def test_an_ifra_cap_stops_a_line_and_is_named_as_such():
    formula = recipe(dict(BALANCED, oakmoss_absolute=0.5, iso_e_super=19.5))  # cap 0.55 % at 18 % load
    result = apply_edits(formula, [RemoveMaterial(material_id="hedione")], CATALOG)
    assert result.recipe.percent_of("oakmoss_absolute") == 0.55
    assert changed(result)["oakmoss_absolute"] == ChangeReason.ifra_cap


def test_on_request_the_carriers_take_the_weight_and_accents_keep_their_dose():
    result = apply_edits(BASE, [RemoveMaterial(material_id="hedione")], CATALOG, absorb=Absorb.carriers)
    edited = result.recipe
    assert all(edited.percent_of(m) == BASE.percent_of(m) for m in ACCENTS)
    assert edited.percent_of("linalool") > BASE.percent_of("linalool")  # the heart's other carrier
    assert result.absorb == Absorb.carriers and result.factor is None


def test_one_named_line_can_take_the_weight_up_to_its_ceiling():
    result = apply_edits(BASE, [RemoveMaterial(material_id="hedione")], CATALOG, into="galaxolide")
    edited = result.recipe
    assert edited.percent_of("galaxolide") == 30  # 12 + 18: its maximum; the last 2 points by ratios
    assert edited.percent_of("bergamot_oil") == pytest.approx(12 * 70 / 68, abs=0.011)
    assert "지정한" in next(c.detail_ko for c in result.changes if c.material_id == "galaxolide")


@settings(max_examples=120, deadline=None)
@given(recipes(min_size=2), st.data())
def test_every_line_that_moves_is_in_the_change_list(formula, data):
    formula = repair(formula, CATALOG)
    op = data.draw(ops)
    try:
        result = apply_edits(formula, [op], CATALOG)
    except EditError:
        return
    edited = result.recipe
    assert abs(edited.total_percent - 100) < 1e-6
    assert edited.version == formula.version + 1 and edited.parent_version == formula.version
    moved = {m for m in {i.material_id for i in (*formula.ingredients, *edited.ingredients)}
             if abs(formula.percent_of(m) - edited.percent_of(m)) >= 0.005}
    assert moved == set(changed(result))
    for ingredient in formula.ingredients:  # a figure the person set never moves
        if ingredient.pinned and ingredient.material_id in {i.material_id for i in edited.ingredients}:
            assert edited.percent_of(ingredient.material_id) == ingredient.percent


def test_an_explicit_overdose_is_obeyed_and_the_critic_warns():
    from perfumery.critic import critique

    edited = edit(BASE, SetPercent(material_id="rose_absolute", percent=10), CATALOG)
    assert edited.percent_of("rose_absolute") == 10
    [flag] = [v for v in critique(edited, CATALOG).violations if v.code == "dose_over_max"]
    assert flag.severity == "warning" and "요청하신 대로" in flag.message_ko and "0.2–5%" in flag.message_ko


def test_a_pinned_figure_survives_the_next_edit_and_repair():
    pinned = edit(BASE, SetPercent(material_id="linalool", percent=14), CATALOG)
    again = edit(pinned, RemoveMaterial(material_id="hedione"), CATALOG)
    assert again.percent_of("linalool") == 14
    assert repair(again, CATALOG).percent_of("linalool") == 14


def test_add_uses_a_capped_default_dose():
    edited = edit(BASE, AddMaterial(material_id="oakmoss_absolute"), CATALOG)
    assert 0 < edited.percent_of("oakmoss_absolute") <= 0.55
    assert edited.ingredients[-1].name_ko == "오크모스 앱솔루트"


def test_substitute_nearest_keeps_the_position_and_stays_under_its_ceiling():
    result = apply_edits(BASE, [Substitute(material_id="lemon_oil")], CATALOG)
    [new] = [c for c in result.changes if c.before == 0]
    assert CATALOG.material(new.material_id).note.value == "top"
    assert new.after == min(6, CATALOG.material(new.material_id).use_range[1])
    assert result.recipe.percent_of("lemon_oil") == 0 and abs(result.recipe.total_percent - 100) < 1e-9


def test_substitute_named():
    edited = edit(BASE, Substitute(material_id="sandalwood_oil", replacement="vetiver_oil"), CATALOG)
    assert edited.percent_of("vetiver_oil") == 6


def test_removing_the_hero_renames_the_formula_and_its_concept_follows():
    named = BASE.model_copy(update={"name": "헤디온 레터"})
    edited = edit(named, RemoveMaterial(material_id="hedione"), CATALOG)
    assert "헤디온" not in edited.name and "헤디온" not in edited.concept_ko


def test_removing_a_family_removes_every_line_whose_main_character_it_is():
    from perfumery.fit import character

    result = apply_edits(BASE, [RemoveCharacter(target="citrus")], CATALOG)
    citrus = {m for m in BALANCED if character(CATALOG, m, "citrus")}  # fresh linalool reads citrus too
    assert citrus >= {"bergamot_oil", "lemon_oil"}
    assert {m for m, r in changed(result).items() if r == ChangeReason.requested} == citrus
    assert all(c.detail_ko == "시트러스 성격" for c in result.changes if c.reason == ChangeReason.requested)
    assert not [m for m in citrus if result.recipe.percent_of(m)]
    with pytest.raises(EditError, match="없어 바꾸지 않았어요"):
        apply_edits(BASE, [RemoveCharacter(target="marine")], CATALOG)


def test_substituting_a_character_takes_the_old_out_and_makes_the_new_perceptible():
    from perfumery.fit import can_smell, character, odor_mass

    result = apply_edits(BASE, [SubstituteCharacter(target="rose", replacement="vanilla")], CATALOG)
    doses = {i.material_id: i.percent for i in result.recipe.ingredients}
    assert not [m for m in doses if character(CATALOG, m, "rose")]
    assert can_smell("vanilla", odor_mass(doses, CATALOG), CATALOG)
    assert doses["vanillin"] > 0 and changed(result)["vanillin"] == ChangeReason.requested


def test_more_woody_in_the_base_keeps_every_ceiling():
    edited = edit(BASE, Shift(target="woody", direction=1, strength=1.0, position="base"), CATALOG)
    assert sum(edited.percent_of(m) for m in ("iso_e_super", "sandalwood_oil")) > 26
    for ing in edited.ingredients:
        assert ing.percent <= CATALOG.material(ing.material_id).use_range[1] + 1e-9


def test_more_woody_raises_woody_share():
    edited = edit(BASE, Shift(target="woody", direction=1, strength=0.5), CATALOG)
    woody = {"iso_e_super", "sandalwood_oil"}
    assert sum(edited.percent_of(m) for m in woody) > sum(BASE.percent_of(m) for m in woody)


def test_less_sweet_lowers_sweet_materials():
    sweet = recipe(dict(BALANCED, galaxolide=8, vanillin=4))
    result = apply_edits(sweet, [Shift(target="sweet", direction=-1, strength=0.6)], CATALOG)
    assert result.recipe.percent_of("vanillin") < 4
    assert changed(result)["vanillin"] == ChangeReason.requested


def test_more_of_something_absent_adds_a_material():
    edited = edit(BASE, Shift(target="tonka", direction=1), CATALOG)
    assert edited.percent_of("coumarin") > 0


def test_lighter_moves_share_to_top_notes_within_bands():
    edited = edit(BASE, Shift(target="light", direction=1, strength=0.4), CATALOG)
    assert edited.pyramid["top"] > BASE.pyramid["top"] and edited.pyramid["top"] <= 30
    assert edited.pyramid["base"] < BASE.pyramid["base"]


def test_lighter_at_the_edge_steps_concentration_down():
    light = edit(BASE, Shift(target="light", strength=1.0), CATALOG)
    lighter = edit(light, Shift(target="light", strength=1.0), CATALOG)
    assert lighter.concentration == Concentration.EDT and lighter.dilution_percent == 10.0


def test_change_concentration_sets_default_dilution_and_re_reads_ifra_caps():
    edited = edit(BASE, ChangeConcentration(concentration=Concentration.EDT), CATALOG)
    assert (edited.concentration, edited.dilution_percent) == (Concentration.EDT, 10.0)
    oakmoss = recipe(dict(BALANCED, oakmoss_absolute=0.5, iso_e_super=19.5))
    result = apply_edits(oakmoss, [ChangeConcentration(concentration=Concentration.Extrait)], CATALOG)
    assert result.recipe.percent_of("oakmoss_absolute") == 0.35  # 0.1 % of the product at a 28 % load
    assert changed(result)["oakmoss_absolute"] == ChangeReason.ifra_cap


def test_a_product_change_takes_its_category_and_load_and_says_so():
    result = apply_edits(BASE, [ChangeProduct(product=Product.body_lotion)], CATALOG)
    lotion = result.recipe
    assert (lotion.product, lotion.dilution_percent, lotion.category.value) == (Product.body_lotion, 0.5, "5A")
    assert "바디로션용 포뮬러(향료 0.5%)" in lotion.concept_ko and "EDP" not in lotion.concept_ko
    assert result.notes_ko[0].startswith("제품: EDP → 바디로션 · 향료 0.5% (IFRA 카테고리 5A")
    back = apply_edits(lotion, [ChangeConcentration(concentration=Concentration.EDT)], CATALOG)
    assert back.recipe.product == Product.fine_fragrance and "향수" in back.notes_ko[-1]


def test_errors_are_korean_with_the_right_particle():
    with pytest.raises(EditError) as info:
        edit(BASE, RemoveMaterial(material_id="vanillin"), CATALOG)
    assert info.value.message_ko == "바닐린은 이 레시피에 없습니다."
    with pytest.raises(EditError):
        edit(BASE, AddMaterial(material_id="unobtainium"), CATALOG)


def test_ops_parse_from_json_by_discriminator():
    op = TypeAdapter(EditOp).validate_python({"op": "shift", "target": "woody", "direction": -1})
    assert isinstance(op, Shift) and op.direction == -1
    swap = TypeAdapter(EditOp).validate_python({"op": "substitute_character", "target": "rose",
                                                "replacement": "jasmine"})
    assert isinstance(swap, SubstituteCharacter)


ops = st.one_of(
    st.builds(SetPercent, material_id=st.sampled_from(MATERIAL_IDS), percent=st.floats(0.01, 90)),
    st.builds(AddMaterial, material_id=st.sampled_from(MATERIAL_IDS),
              percent=st.none() | st.floats(0.01, 50)),
    st.builds(RemoveMaterial, material_id=st.sampled_from(MATERIAL_IDS)),
    st.builds(Substitute, material_id=st.sampled_from(sorted(BALANCED))),
    st.builds(Shift, target=st.sampled_from(["woody", "sweet", "floral", "citrus", "light", "heavy", "musk"]),
              direction=st.sampled_from([1, -1]), strength=st.floats(0.05, 1)),
    st.builds(RemoveCharacter, target=st.sampled_from(["citrus", "woody", "rose", "musky"])),
    st.builds(ChangeConcentration, concentration=st.sampled_from(list(Concentration))),
    st.builds(ChangeProduct, product=st.sampled_from(list(Product))),
)
