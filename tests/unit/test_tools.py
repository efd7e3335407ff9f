"""The typed tools accept models or plain JSON, validate arguments, and return core objects."""

import pytest
from pydantic import ValidationError

from knowledge.kb import load_knowledge_base
from perfumery import Brief, Recipe
from tests.unit.agent_fakes import KeywordSearcher
from tools import Toolbox
from tools.perfumery_tools import COMPLIANCE_CODES


@pytest.fixture(scope="module")
def box():
    kb = load_knowledge_base()
    return Toolbox(KeywordSearcher(kb), kb.catalog)


def test_every_capability_is_a_named_typed_tool(box) -> None:
    assert set(box.tools) == {"search_knowledge", "similar_items", "compose_formulas", "critique_formula",
                              "repair_formula", "edit_formula", "ifra_check", "scale_formula", "estimate_formula_cost"}
    assert all(t.description for t in box.tools.values())
    assert set(box.tools["edit_formula"].args) == {"recipe", "op"}


async def test_json_in_core_objects_out(box) -> None:
    [recipe] = await box.call("compose_formulas", brief={"descriptors": {"woody": 1.0}}, n=1)
    assert isinstance(recipe, Recipe)
    edited = await box.call("edit_formula", recipe=recipe.model_dump(mode="json"),
                            op={"op": "set_percent", "material_id": recipe.ingredients[0].material_id, "percent": 4})
    assert edited.version == 2 and edited.percent_of(recipe.ingredients[0].material_id) == pytest.approx(4)
    sheet = await box.call("scale_formula", recipe=edited, grams=50)
    assert sheet.total_grams == 50
    assert all(v.code in COMPLIANCE_CODES for v in await box.call("ifra_check", recipe=edited))


async def test_bad_arguments_are_rejected_by_the_schema(box) -> None:
    [recipe] = await box.call("compose_formulas", brief=Brief(descriptors={"citrus": 1.0}), n=1)
    with pytest.raises(ValidationError):
        await box.call("edit_formula", recipe=recipe, op={"op": "set_percent", "material_id": "x", "percent": 150})
    with pytest.raises(ValidationError):
        await box.call("search_knowledge", query="장미", collection="planets")
