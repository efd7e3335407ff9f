import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from perfumery.edits import (
    AddMaterial,
    ChangeConcentration,
    EditError,
    EditOp,
    RemoveMaterial,
    SetPercent,
    Shift,
    Substitute,
    edit,
)
from perfumery.models import Concentration
from perfumery.repair import repair
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.perfumery_strategies import MATERIAL_IDS, recipes
from tests.unit.test_critic import BALANCED, recipe

BASE = recipe(BALANCED)


ACCENTS = ("pink_pepper_oil", "rose_absolute", "orris_butter", "geranium_oil")  # max ≤ 5 %: not carriers


def test_set_percent_takes_the_room_from_carriers_and_pins_the_figure():
    edited = edit(BASE, SetPercent(material_id="hedione", percent=30), CATALOG)
    assert edited.percent_of("hedione") == 30
    assert [i.material_id for i in edited.ingredients if i.pinned] == ["hedione"]
    # the 10 points come from the carriers in proportion to their doses; accents keep their dose
    assert all(edited.percent_of(m) == BASE.percent_of(m) for m in ACCENTS)
    assert edited.percent_of("iso_e_super") < 20 and edited.percent_of("galaxolide") < 12
    assert (edited.version, edited.parent_version, edited.id) == (2, 1, BASE.id)
    assert BASE.percent_of("hedione") == 20  # the original is untouched


def test_a_pinned_figure_survives_the_next_edit_and_repair():
    pinned = edit(BASE, SetPercent(material_id="linalool", percent=14), CATALOG)
    again = edit(pinned, RemoveMaterial(material_id="hedione"), CATALOG)
    assert again.percent_of("linalool") == 14
    assert repair(again, CATALOG).percent_of("linalool") == 14


def test_an_explicit_overdose_is_obeyed_and_the_critic_warns():
    from perfumery.critic import critique

    edited = edit(BASE, SetPercent(material_id="rose_absolute", percent=10), CATALOG)
    assert edited.percent_of("rose_absolute") == 10
    [flag] = [v for v in critique(edited, CATALOG).violations if v.code == "dose_over_max"]
    assert flag.severity == "warning" and "요청하신 대로" in flag.message_ko and "0.2–5%" in flag.message_ko


def test_add_uses_a_capped_default_dose():
    edited = edit(BASE, AddMaterial(material_id="oakmoss_absolute"), CATALOG)
    assert 0 < edited.percent_of("oakmoss_absolute") <= 0.55
    assert edited.ingredients[-1].name_ko == "오크모스 앱솔루트"


def test_remove_gives_the_weight_to_carriers_of_that_position_not_to_traces():
    edited = edit(BASE, RemoveMaterial(material_id="hedione"), CATALOG)
    assert edited.percent_of("hedione") == 0 and abs(edited.total_percent - 100) < 1e-9
    assert all(edited.percent_of(m) == BASE.percent_of(m) for m in ACCENTS)
    assert edited.percent_of("linalool") > BASE.percent_of("linalool")  # the heart's other carrier
    for ing in edited.ingredients:
        assert ing.percent <= CATALOG.material(ing.material_id).use_range[1] + 1e-9


def test_substitute_nearest_keeps_the_position_and_stays_under_its_ceiling():
    edited = edit(BASE, Substitute(material_id="lemon_oil"), CATALOG)
    assert edited.percent_of("lemon_oil") == 0
    replacement = edited.ingredients[1]
    assert replacement.note.value == "top"
    assert replacement.percent == min(6, CATALOG.material(replacement.material_id).use_range[1])
    assert abs(edited.total_percent - 100) < 1e-9


def test_removing_the_hero_renames_the_formula_and_its_concept_follows():
    named = BASE.model_copy(update={"name": "헤디온 레터"})
    edited = edit(named, RemoveMaterial(material_id="hedione"), CATALOG)
    assert "헤디온" not in edited.name and "헤디온" not in edited.concept_ko


def test_more_woody_in_the_base_keeps_every_ceiling():
    edited = edit(BASE, Shift(target="woody", direction=1, strength=1.0, position="base"), CATALOG)
    assert sum(edited.percent_of(m) for m in ("iso_e_super", "sandalwood_oil")) > 26
    for ing in edited.ingredients:
        assert ing.percent <= CATALOG.material(ing.material_id).use_range[1] + 1e-9


def test_substitute_named():
    edited = edit(BASE, Substitute(material_id="sandalwood_oil", replacement="vetiver_oil"), CATALOG)
    assert edited.percent_of("vetiver_oil") == 6


def test_more_woody_raises_woody_share():
    edited = edit(BASE, Shift(target="woody", direction=1, strength=0.5), CATALOG)
    woody = {"iso_e_super", "sandalwood_oil"}
    assert sum(edited.percent_of(m) for m in woody) > sum(BASE.percent_of(m) for m in woody)


def test_less_sweet_lowers_sweet_materials():
    sweet = recipe(dict(BALANCED, galaxolide=8, vanillin=4))
    edited = edit(sweet, Shift(target="sweet", direction=-1, strength=0.6), CATALOG)
    assert edited.percent_of("vanillin") < 4


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


def test_change_concentration_sets_default_dilution():
    edited = edit(BASE, ChangeConcentration(concentration=Concentration.EDT), CATALOG)
    assert (edited.concentration, edited.dilution_percent) == (Concentration.EDT, 10.0)


def test_errors_are_korean():
    with pytest.raises(EditError) as info:
        edit(BASE, RemoveMaterial(material_id="vanillin"), CATALOG)
    assert "없습니다" in info.value.message_ko
    with pytest.raises(EditError):
        edit(BASE, AddMaterial(material_id="unobtainium"), CATALOG)


def test_ops_parse_from_json_by_discriminator():
    op = TypeAdapter(EditOp).validate_python({"op": "shift", "target": "woody", "direction": -1})
    assert isinstance(op, Shift) and op.direction == -1


ops = st.one_of(
    st.builds(SetPercent, material_id=st.sampled_from(MATERIAL_IDS), percent=st.floats(0.01, 90)),
    st.builds(AddMaterial, material_id=st.sampled_from(MATERIAL_IDS),
              percent=st.none() | st.floats(0.01, 50)),
    st.builds(Substitute, material_id=st.sampled_from(sorted(BALANCED))),
    st.builds(Shift, target=st.sampled_from(["woody", "sweet", "floral", "citrus", "light", "heavy", "musk"]),
              direction=st.sampled_from([1, -1]), strength=st.floats(0.05, 1)),
    st.builds(ChangeConcentration, concentration=st.sampled_from(list(Concentration))),
)


@settings(max_examples=150, deadline=None)
@given(recipes(min_size=2), ops)
def test_any_edit_sums_to_100_and_bumps_version(formula, op):
    formula = repair(formula, CATALOG)
    try:
        edited = edit(formula, op, CATALOG)
    except EditError:
        return
    assert abs(edited.total_percent - 100) < 1e-6
    assert edited.version == formula.version + 1 and edited.parent_version == formula.version
