from perfumery.diff import diff
from perfumery.edits import AddMaterial, ChangeConcentration, RemoveMaterial, SetPercent, edit
from perfumery.models import Concentration
from tests.unit.perfumery_fixtures import CATALOG
from tests.unit.test_critic import BALANCED, recipe

BASE = recipe(BALANCED)


def test_diff_lists_added_removed_and_changed():
    edited = edit(edit(BASE, RemoveMaterial(material_id="geranium_oil"), CATALOG),
                  AddMaterial(material_id="vetiver_oil", percent=2), CATALOG)
    change = diff(BASE, edited)
    assert [c.material_id for c in change.added] == ["vetiver_oil"]
    assert [c.material_id for c in change.removed] == ["geranium_oil"]
    assert change.changed and (change.from_version, change.to_version) == (1, 3)


def test_largest_change_first_and_summary_in_korean():
    change = diff(BASE, edit(BASE, SetPercent(material_id="hedione", percent=30), CATALOG))
    assert change.changed[0].material_id == "hedione" and change.changed[0].delta == 10
    assert change.summary_ko().startswith("v1 → v2 · 변경: 헤디온 20% → 30%")


def test_concentration_change_and_identity():
    edited = edit(BASE, ChangeConcentration(concentration=Concentration.EDT), CATALOG)
    assert diff(BASE, edited).concentration == (Concentration.EDP, Concentration.EDT)
    assert diff(BASE, BASE).is_empty
