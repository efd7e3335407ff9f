"""The typed tools on the real knowledge data (keyword searcher): typed in and out, Korean errors, the
critic's verdict grouped, stored recipes read as the principal, and one code path with the chat."""

from collections import Counter
from dataclasses import asdict

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from agent.graph import build_graph
from agent.service import toolbox_for
from agent.state import AgentState, TurnContext, TurnInput
from hyanggi.settings import GeneratorBackend
from knowledge.documents import CollectionName
from knowledge.formula_import import import_formula
from perfumery import Recipe, RemoveMaterial, SetPercent, critique
from perfumery.critic import BREACH_CODES, UNKNOWN_CODES, ComplianceStatus
from perfumery.ifra import Product
from perfumery.recipe import Dilution, Severity, ViolationCode
from perfumery.vocabulary import BatchUnit
from store import LOCAL, Principal, Store
from tests.unit.agent_fakes import fake_deps
from tools import TOOLS, Toolbox, ToolError, ToolErrorCode
from tools.check import GROUP_OF, CheckGroup, CheckRequest, FormulaCheck
from tools.design import DesignRequest
from tools.documents import DocumentKind, ExportRequest
from tools.search import SearchRequest
from tools.workbench import (
    EditFormulaRequest,
    ImportFormulaRequest,
    apply_edit,
    formula_resolver,
    read_formula,
)

BRIEF = "비 오는 날 카페 같은 포근한 향, 너무 달지 않게"
# Isoeugenol far over its IFRA limit at an EDP load, vanillin over its usual maximum.
OVER = {"bergamot_oil": 20.0, "hedione": 30.0, "iso_e_super": 30.0, "vanillin": 15.0, "isoeugenol": 5.0}
PASTED = "헤디온 30g\n베르가못 20g\n이소 이 슈퍼 40g\n바닐린 10g\n알수없는향료 5g"


@pytest.fixture(scope="module")
def deps():
    return fake_deps()


@pytest.fixture(scope="module")
def box(deps) -> Toolbox:
    return toolbox_for(deps)


def formula(deps, doses: dict[str, float], **fields) -> Recipe:
    return Recipe(ingredients=[deps.kb.catalog.ingredient(m, p) for m, p in doses.items()], **fields)


def test_every_tool_is_named_described_and_typed(box) -> None:
    names = [spec.name for spec in TOOLS]
    assert names == ["search_knowledge", "design_formula", "check_formula", "import_formula", "edit_formula",
                     "export_document"]
    for spec in TOOLS:
        assert spec.title and any("가" <= ch <= "힣" for ch in spec.description)
        assert issubclass(spec.input, BaseModel) and issubclass(spec.output, BaseModel)
        assert spec.input.model_json_schema()["type"] == "object"
        assert spec.output.model_json_schema(mode="serialization")["type"] == "object"


async def test_search_is_typed_in_and_out(box) -> None:
    hits = await box.search(SearchRequest(query="헤디온", collection=CollectionName.materials, k=3))
    assert hits.query == "헤디온" and len(hits.results) == 3 and hits.results[0].id == "hedione"
    assert {r.collection for r in hits.results} == {CollectionName.materials}
    with pytest.raises(ValidationError):
        SearchRequest(query="장미", collection="planets")
    with pytest.raises(ValidationError):
        SearchRequest(query="", k=5)


async def test_design_is_the_chats_design_with_the_composer_alone(deps, box) -> None:
    graph = build_graph(deps, InMemorySaver())
    config = {"configurable": {"thread_id": "design"}}
    await graph.ainvoke(asdict(TurnInput(message=BRIEF)), config, context=TurnContext(backend=GeneratorBackend.composer))
    chat = AgentState(**(await graph.aget_state(config)).values).recipe
    designed = await box.design(DesignRequest(brief=BRIEF))
    assert [(i.material_id, i.percent) for i in designed.recipe.ingredients] == \
        [(i.material_id, i.percent) for i in chat.ingredients]
    assert designed.recipe.score == chat.score and designed.recipe.name == chat.name
    assert "sweet" in designed.brief.avoid_descriptors and designed.considered >= 3


async def test_design_follows_the_product_and_is_deterministic(box) -> None:
    first = await box.design(DesignRequest(brief="상큼한 시트러스", product=Product.body_lotion))
    again = await box.design(DesignRequest(brief="상큼한 시트러스", product=Product.body_lotion))
    assert first.recipe.product == first.brief.product == Product.body_lotion
    assert [(i.material_id, i.percent) for i in first.recipe.ingredients] == \
        [(i.material_id, i.percent) for i in again.recipe.ingredients]
    assert abs(first.recipe.total_percent - 100) < 0.01


async def test_design_refuses_text_the_chat_refuses_in_korean(box) -> None:
    for text, said in (("\u200b \u200b", "메시지"), ("포근한 향 " * 400, "너무 길어요")):
        with pytest.raises(ToolError) as refused:
            await box.design(DesignRequest(brief=text))
        assert refused.value.code == ToolErrorCode.invalid_request and said in refused.value.message_ko


def test_every_rule_of_the_critic_has_a_group() -> None:
    assert set(GROUP_OF) == set(ViolationCode)
    # The codes that decide the IFRA verdict are the ones a check reports under IFRA.
    assert {code for code, group in GROUP_OF.items() if group == CheckGroup.ifra} == BREACH_CODES | UNKNOWN_CODES


async def test_check_is_the_critics_verdict_grouped(deps, box) -> None:
    recipe = formula(deps, OVER)
    checked = await box.check(CheckRequest(recipe=recipe))
    verdict = critique(recipe, deps.kb.catalog)
    assert isinstance(checked, FormulaCheck) and checked.score == verdict.score
    grouped = [v for group in CheckGroup for v in checked.violations[group]]
    assert Counter(v.model_dump_json() for v in grouped) == Counter(v.model_dump_json() for v in verdict.violations)
    assert checked.ifra.status == verdict.compliance_status == ComplianceStatus.non_compliant
    assert {v.code for v in checked.violations[CheckGroup.ifra]} >= {ViolationCode.ifra_cap}
    assert [v.material_id for v in checked.violations[CheckGroup.dose]] == ["vanillin"]
    assert not checked.acceptable and any(v.severity == Severity.error for v in verdict.violations)
    assert checked.brief_fit is None and checked.violations[CheckGroup.brief] == []
    assert checked.allergens.entries and checked.ifra.lines_ko


async def test_check_against_a_brief_reads_it_as_the_chat_does(deps, box) -> None:
    designed = await box.design(DesignRequest(brief=BRIEF))
    checked = await box.check(CheckRequest(recipe=designed.recipe, brief=BRIEF))
    assert checked.brief_fit == designed.recipe.score.components["brief_fit"]
    assert checked.score == designed.recipe.score
    sweet = await box.check(CheckRequest(recipe=formula(deps, OVER), brief="달지 않은 향, 바닐라 빼고"))
    assert {v.code for v in sweet.violations[CheckGroup.brief]} & {ViolationCode.avoided_material,
                                                                  ViolationCode.avoided_descriptor}


async def test_a_missing_figure_or_an_unknown_material_is_never_compliant(deps, box) -> None:
    yuzu = await box.check(CheckRequest(recipe=formula(deps, {"yuzu_oil": 10.0, "hedione": 50.0,
                                                               "iso_e_super": 40.0})))
    assert yuzu.ifra.status == ComplianceStatus.needs_check
    assert ViolationCode.ifra_unknown in {v.code for v in yuzu.violations[CheckGroup.ifra]}
    imported = import_formula("헤디온 50g\n이소 이 슈퍼 45g\n알수없는향료 5g", deps.kb.catalog)
    unknown = await box.check(CheckRequest(recipe=imported.recipe))
    assert unknown.ifra.status == ComplianceStatus.needs_check


def test_a_tool_works_on_one_formula_given_or_stored() -> None:
    recipe = Recipe()
    for arguments in ({}, {"recipe": recipe, "recipe_id": "abc"}, {"recipe": recipe, "version": 2}):
        with pytest.raises(ValidationError) as refused:
            CheckRequest(**arguments)
        assert any("recipe" in e["msg"] and "주세요" in e["msg"] or "함께" in e["msg"] for e in refused.value.errors())
    with pytest.raises(ValidationError):
        CheckRequest(recipe_id="a b")  # the REST id rule


async def test_stored_recipes_are_read_as_the_principal(deps, tmp_path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'tools.db'}")
    try:
        alice, bob = Principal(id="key:alice"), Principal(id="key:bob")
        recipe = formula(deps, OVER)
        await store.save_recipe_version(alice, recipe)
        box = toolbox_for(deps, store)
        mine = await box.check(CheckRequest(recipe_id=recipe.id), alice)
        assert mine.recipe_id == recipe.id and mine.version == 1
        csv = await box.export(ExportRequest(recipe_id=recipe.id, version=1, kind=DocumentKind.csv), alice)
        assert "isoeugenol" in csv.text
        for request in (CheckRequest(recipe_id=recipe.id), ExportRequest(recipe_id=recipe.id, kind=DocumentKind.json)):
            with pytest.raises(ToolError) as hidden:
                await (box.check(request, bob) if isinstance(request, CheckRequest) else box.export(request, bob))
            assert hidden.value.code == ToolErrorCode.not_found and recipe.id in hidden.value.message_ko
        with pytest.raises(ToolError) as missing:
            await box.check(CheckRequest(recipe_id=recipe.id, version=9), alice)
        assert missing.value.code == ToolErrorCode.not_found and "v9" in missing.value.message_ko
    finally:
        await store.close()
    with pytest.raises(ToolError) as storeless:
        await toolbox_for(deps).check(CheckRequest(recipe_id="abc"), LOCAL)
    assert storeless.value.code == ToolErrorCode.invalid_request


async def test_import_reads_critiques_and_shows_each_line(box) -> None:
    imported = await box.import_formula(ImportFormulaRequest(content=PASTED, name="내 레시피"))
    recipe = imported.recipe
    assert recipe.name == "내 레시피" and recipe.version == 1 and recipe.score is not None
    assert [line.line_no for line in imported.lines] == [1, 2, 3, 4, 5]
    unknown = imported.lines[-1]
    assert unknown.kind == "unknown" and unknown.confirm and unknown.target is None
    with pytest.raises(ToolError) as unreadable:
        await box.import_formula(ImportFormulaRequest(content="그냥 좋은 향"))
    assert unreadable.value.code == ToolErrorCode.invalid_formula and "줄" in unreadable.value.message_ko


async def test_edit_makes_the_next_version_and_says_what_changed(deps, box) -> None:
    recipe = formula(deps, OVER)
    edited = await box.edit(EditFormulaRequest(recipe=recipe, ops=[SetPercent(material_id="vanillin", percent=2)]))
    assert edited.recipe.version == 2 and edited.recipe.percent_of("vanillin") == pytest.approx(2)
    assert edited.recipe.score is not None and "바닐린" in edited.changes_ko
    with pytest.raises(ToolError) as refused:
        await box.edit(EditFormulaRequest(recipe=recipe, ops=[RemoveMaterial(material_id="yuzu_oil")]))
    assert refused.value.code == ToolErrorCode.invalid_edit and "없습니다" in refused.value.message_ko
    with pytest.raises(ValidationError):
        EditFormulaRequest(recipe=recipe, ops=[{"op": "set_percent", "material_id": "x", "percent": 150}])


async def test_export_writes_every_document(deps, box) -> None:
    recipe = formula(deps, OVER, name="시험")
    for kind in DocumentKind:
        doc = await box.export(ExportRequest(recipe=recipe, kind=kind))
        assert doc.kind == kind and doc.filename.startswith(f"{recipe.id}-v1.") and doc.text
    csv = await box.export(ExportRequest(recipe=recipe, kind=DocumentKind.csv))
    again = import_formula(csv.text, deps.kb.catalog).recipe
    assert {i.material_id: i.percent for i in again.ingredients} == OVER
    sheet = await box.export(ExportRequest(recipe=recipe, kind=DocumentKind.batch_sheet, batch=2, unit=BatchUnit.kg))
    assert sheet.media_type.startswith("text/html") and "향료 농축액 2,000.00 g" in sheet.text
    product = await box.export(ExportRequest(recipe=recipe, kind=DocumentKind.batch_sheet, batch=2, unit=BatchUnit.kg,
                                             basis="product"))
    assert "완제품 2,000" in product.text and "에탄올" in product.text
    with pytest.raises(ToolError) as too_big:  # the chat's batch limit holds over REST and MCP too
        await box.export(ExportRequest(recipe=recipe, kind=DocumentKind.batch_sheet, batch=101, unit=BatchUnit.kg))
    assert too_big.value.code == ToolErrorCode.invalid_batch and "100 kg" in too_big.value.message_ko
    ifra = await box.export(ExportRequest(recipe=recipe, kind=DocumentKind.ifra_summary))
    assert (await box.check(CheckRequest(recipe=recipe))).ifra.model_dump_json(indent=2) == ifra.text
    heavy = recipe.model_copy(update={"dilution_percent": 30.0, "ingredients": [
        i.model_copy(update={"dilution": Dilution(strength=1)}) if i.material_id == "hedione" else i
        for i in recipe.ingredients]})
    await box.export(ExportRequest(recipe=heavy, kind=DocumentKind.batch_sheet))  # a concentrate has no base to fill
    with pytest.raises(ToolError) as refused:  # a finished product's ethanol cannot hold the dilutions' solvent
        await box.export(ExportRequest(recipe=heavy, kind=DocumentKind.batch_sheet, basis="product"))
    assert refused.value.code == ToolErrorCode.invalid_batch


# --- one code path with the chat -------------------------------------------------------------------
async def _turn(graph, thread: str, message: str) -> dict:
    config = {"configurable": {"thread_id": thread}}
    await graph.ainvoke(asdict(TurnInput(message=message)), config, context=TurnContext())
    return to_jsonable_python((await graph.aget_state(config)).values)


async def test_a_pasted_formula_is_read_alike_in_the_chat_and_over_rest(deps) -> None:
    chat = Recipe.model_validate((await _turn(build_graph(deps, InMemorySaver()), "paste", PASTED))["recipe"])
    rest = read_formula(PASTED, deps.kb.catalog, resolver=formula_resolver(deps.kb.catalog, deps.searcher)).recipe
    assert [(i.material_id, i.percent) for i in chat.ingredients] == [(i.material_id, i.percent)
                                                                      for i in rest.ingredients]
    assert chat.score == rest.score


async def test_an_edit_is_applied_alike_in_the_chat_and_over_rest(deps) -> None:
    graph = build_graph(deps, InMemorySaver())
    first = Recipe.model_validate((await _turn(graph, "edit", "상큼한 시트러스 향수 만들어줘"))["recipe"])
    lead = max(first.ingredients, key=lambda i: i.percent)
    chat = Recipe.model_validate((await _turn(graph, "edit", f"{lead.name_ko} 5%로"))["recipe"])
    rest = apply_edit(first, [SetPercent(material_id=lead.material_id, percent=5)], deps.kb.catalog).recipe
    assert [(i.material_id, i.percent) for i in chat.ingredients] == [(i.material_id, i.percent)
                                                                      for i in rest.ingredients]
