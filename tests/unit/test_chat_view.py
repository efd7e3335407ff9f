"""What the chat UI shows for agent events and recipes."""

from __future__ import annotations

import csv
import io
import json

from perfumery import critiqued
from perfumery.recipe import Recipe
from tests.unit.api_fakes import FORMULA
from tests.unit.perfumery_fixtures import CATALOG
from ui import chat_view as view


def recipe(version: int = 1) -> Recipe:
    return critiqued(Recipe(id="abc", name="테스트 향", version=version, parent_version=version - 1 or None,
                            ingredients=[CATALOG.ingredient(m, p) for m, p in FORMULA.items()]), CATALOG)


def test_steps_explain_interpretation_retrieval_generation_and_critique() -> None:
    assert "새 향 설계" in view.step_output("route", {"route": "new_brief"})
    brief = view.step_output("interpret", {"brief": {"descriptors": {"woody": 0.9, "rain": 0.5},
                                                     "avoid_descriptors": {"sweet": 1.0}, "season": "autumn",
                                                     "style": "unisex", "concentration": "EDP"}})
    assert "woody 0.90" in brief and "피할 향: sweet" in brief and "계절: 가을" in brief
    sources = view.step_output("retrieve", {"retrieved": [{"id": "hedione", "collection": "materials",
                                                           "name_ko": "헤디온", "name_en": "Hedione", "score": 0.8}]})
    assert "[재료] **헤디온**" in sources and "`hedione`" in sources
    scored = {"origin": "composer", "recipe": {"name": "A", "score": {"total": 0.81}}}
    generated = view.step_output("generate", {"candidates": [scored, {**scored, "origin": "llm:ok"}]})
    assert generated == "후보 배합 2개 (조합기 1개, 언어 모델 1개)"
    assert "A (composer): 0.81" in view.step_output("critique", {"candidates": [scored]})
    assert view.step_output("respond", {"reply": "…"}) == ""


def test_pyramid_chart_has_every_material_in_its_tier() -> None:
    figure = view.pyramid_figure(recipe())
    tiers = {trace.name: (trace.y[0], trace.x[0]) for trace in figure.data}
    assert tiers["베르가못 오일"] == ("탑", 20.0) and tiers["바닐린"][0] == "베이스"
    assert abs(sum(x for _, x in tiers.values()) - 100) < 0.01


def test_csv_and_json_exports_round_trip() -> None:
    r = recipe()
    rows = list(csv.DictReader(io.StringIO(view.recipe_csv(r).decode("utf-8-sig"))))
    assert [(row["material_id"], float(row["percent"])) for row in rows] == list(FORMULA.items())
    assert rows[0]["name_ko"] == "베르가못 오일" and rows[0]["cas"] == "8007-75-8"
    assert Recipe.model_validate(json.loads(view.recipe_json(r))).ingredients == r.ingredients
    assert view.export_name(r, "csv") == "hyanggi-abc-v1.csv"


def test_compare_only_from_a_second_version() -> None:
    assert view.compare_message(recipe(1)) is None
    assert view.compare_message(recipe(3)) == "v2이랑 v3 비교해줘"


def test_the_chat_export_imports_back_and_the_documents_name_their_authority() -> None:
    from knowledge.formula_import import import_formula
    from knowledge.kb import load_knowledge_base

    catalog = load_knowledge_base().catalog
    r = recipe()
    again = import_formula(view.recipe_csv(r).decode("utf-8-sig"), catalog).recipe
    assert {i.material_id: i.percent for i in again.ingredients} == FORMULA
    text = view.documents_md(r, catalog).decode("utf-8")
    assert "IFRA 적합성 요약" in text and "알레르기" in text and "공급사의 IFRA 적합성 증명서" in text


def test_no_button_goes_toward_what_the_person_ruled_out() -> None:
    labels = [label for label, _ in view.edit_actions({"avoid_descriptors": {"sweet": 1.0}})]
    assert "더 달콤하게" not in labels and "더 가볍게" in labels
    assert "더 달콤하게" in [label for label, _ in view.edit_actions(None)]
