"""What the chat UI shows for agent events and recipes: Korean progress lines, labelled charts, named files."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from agent.reading.edit_parser import Absent
from agent.replies import render
from knowledge.documents import CollectionName
from knowledge.kb import KnowledgeBase, load_knowledge_base
from knowledge.search import SearchResult
from perfumery import critiqued
from perfumery.brief import Brief
from perfumery.diff import diff
from perfumery.ifra import Product
from perfumery.recipe import Recipe
from perfumery.repair import apply_fixes
from tests.unit.api_fakes import FORMULA
from tests.unit.perfumery_fixtures import CATALOG
from ui import chat_charts as charts
from ui import chat_view as view
from ui.chat_steps import Stage, TurnSteps

CAFE = Brief(descriptors={"coffee": 1.0, "soft": 1.0, "warm": 0.8, "musky": 0.7, "watery": 0.675},
             avoid_descriptors={"sweet": 1.0, "vanilla": 0.5, "caramel": 0.6}, themes=["포근한", "카페"],
             text="비 오는 날 카페 같은 포근한 향, 너무 달지 않게")
# English words a person should never meet in the default view: descriptor keys, origins, node names.
ENGLISH = re.compile(r"\b(coffee|soft|warm|musky|sweet|vanilla|caramel|composer|repair|llm|critique|revise)\b")


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def recipe(version: int = 1) -> Recipe:
    return critiqued(Recipe(id="abc", name="테스트 향", version=version, parent_version=version - 1 or None,
                            ingredients=[CATALOG.ingredient(m, p) for m, p in FORMULA.items()]), CATALOG)


def hit(kb: KnowledgeBase, record_id: str, collection: CollectionName) -> dict:
    names = {CollectionName.perfumes: kb.perfumes, CollectionName.accords: kb.accords,
             CollectionName.materials: kb.materials}[collection]
    record = names[record_id]
    name_ko, name_en = (record.name, record.name) if collection == CollectionName.perfumes else (record.name_ko,
                                                                                                record.name_en)
    return SearchResult(id=record_id, collection=collection, name_ko=name_ko, name_en=name_en, score=0.6,
                        text="…").model_dump(mode="json")


def cafe_formula(kb: KnowledgeBase, name: str, doses: dict[str, float], rid: str) -> Recipe:
    return critiqued(Recipe(id=rid, name=name, ingredients=[kb.catalog.ingredient(m, p) for m, p in doses.items()]),
                     kb.catalog, CAFE)


def design_turn(kb: KnowledgeBase, developer: bool = False) -> list:
    """The step lines of a new brief that went through one repair round, in the graph's order."""
    steps = TurnSteps(kb, developer=developer)
    first = cafe_formula(kb, "포근한 카페 메모리", {"hedione": 40.0, "iso_e_super": 35.0, "bergamot_oil": 25.0}, "r1")
    second = cafe_formula(kb, "포근한 카페 스케치", {"hedione": 30.0, "iso_e_super": 45.0, "bergamot_oil": 25.0}, "r2")
    # The critic ranks them (the better one first); its headline warnings carry the fixes revise applies.
    ranked = [{"origin": origin, "recipe": r.model_dump(mode="json")} for origin, r in
              sorted([("composer", first), ("llm:ok", second)], key=lambda pair: -pair[1].score.total)]
    best = Recipe.model_validate(ranked[0]["recipe"])  # revise applies the critic's own fixes to it
    # The best is the model's proposal: repaired, it keeps its origin after the prefix (agent.nodes.revise).
    assert ranked[0]["origin"] == "llm:ok"
    fixed = {"origin": "repair:llm:ok"}
    repaired = critiqued(apply_fixes(best, [f for v in best.violations for f in v.fixes], kb.catalog, CAFE),
                         kb.catalog, CAFE)
    retrieved = [hit(kb, "ysl_black_opium", CollectionName.perfumes), hit(kb, "petrichor", CollectionName.accords),
                 hit(kb, "guerlain_l_heure_bleue", CollectionName.perfumes), hit(kb, "vanillin", CollectionName.materials)]
    narration = {"backend": "llama_cpp", "task": "narrate", "outcome": "fallback", "raw_output": "…",
                 "problems": ["근거 없는 문장 제외 (미모사 앱솔루트은(는) 처방에서 heart): …", "자료 문장을 그대로 옮긴 문장 제외: …"]}
    events = [
        ("route", {"route": "new_brief", "reading": {"route": "new_brief"}, "timings_ms": {"route": 1.5}}),
        ("interpret", {"brief": CAFE.model_dump(mode="json")}),
        ("retrieve", {"retrieved": retrieved, "candidate_ids": ["hedione", "iso_e_super", "coffee_co2"]}),
        ("generate", {"candidates": ranked}),
        ("critique", {"candidates": ranked}),
        ("revise", {"candidates": [*ranked, {**fixed, "recipe": repaired.model_dump(mode="json")}], "revisions": 1}),
        ("critique", {"candidates": [{**fixed, "recipe": repaired.model_dump(mode="json")}, *ranked]}),
        ("respond", {"recipe": repaired.model_dump(mode="json"), "generation_log": [narration]}),
    ]
    return [steps.add(node, update) for node, update in events]


def test_a_design_turn_reads_as_five_korean_stages(kb: KnowledgeBase) -> None:
    lines = design_turn(kb)
    assert lines[0] is None  # the route of a new brief is told by 요청 해석 itself
    shown = [line for line in lines if line is not None]
    assert list(dict.fromkeys(line.stage for line in shown)) == list(Stage)
    titles = [line.title for line in shown]
    assert titles[0] == "요청 해석 · 포근한 · 카페 · 빼기: 달콤한, 캐러멜, 바닐라"
    assert titles[1] == "자료 검색 · 재료 후보 3개 · 참고 자료 2개"
    assert titles[2] == "설계 · 후보 배합 2개 (언어 모델 제안 1개 포함)"
    # The first ranking names the requested odors the best formula cannot carry; the final choice is the
    # repaired formula, and the line says what the repair fixed.
    assert titles[3].startswith("검토 · ‘포근한 카페 스케치’ 선택 · 점수 ") and titles[3].endswith("살리지 못한 향 2개")
    assert "⚠️ 요청하신 '커피' 향이 처방에서 충분히 느껴지지 않습니다." in shown[3].detail
    assert titles[4] == "검토 · 보정 1회차 · 고친 배합 1개와 새 후보를 다시 평가"
    assert titles[5].startswith("검토 · ‘포근한 카페 스케치’ 선택 · 점수 ") and titles[5].endswith("보정 2곳")
    assert "✓ 포근한 카페 스케치 (보정)" in shown[5].detail
    assert "고친 점\n- 요청하신 '커피' 향이 처방에서 충분히 느껴지지 않습니다. → 커피 CO2 추출물" in shown[-2].detail
    assert titles[-1] == "설명 · v1 완성 · 확인되지 않은 문장 2개 빼고 기본 소개"
    interpret = shown[0].detail
    assert "꼭 느껴지게 할 향: 커피, 부드러운, 따뜻한" in interpret and "향수(파인 프래그런스) EDP" in interpret
    for line in shown:  # no ids, descriptor keys or English tags by default
        text = line.title + line.detail
        assert not ENGLISH.search(text), text
        assert not re.search(r"`|r1|r2|ysl_black_opium|petrichor|heart", text), text


def test_nothing_ruled_out_is_shown_as_a_source(kb: KnowledgeBase) -> None:
    retrieve = design_turn(kb)[2]
    # Black Opium is coffee and vanilla (ruled out: "너무 달지 않게"), vanillin a sweet material: set aside.
    assert "비 냄새(페트리코) (어코드)" in retrieve.detail and "Guerlain L'Heure Bleue (향수)" in retrieve.detail
    assert "Black Opium" not in retrieve.detail and "바닐린" not in retrieve.detail
    assert "빼 달라고 하신 향이 중심인 자료 2개는 참고하지 않았어요" in retrieve.detail


def test_the_developer_view_adds_ids_tags_and_timings(kb: KnowledgeBase) -> None:
    lines = [line for line in design_turn(kb, developer=True) if line is not None]
    interpret, retrieve, review, explain = lines[0], lines[1], lines[-2], lines[-1]
    assert "`coffee` 1.00" in interpret.detail and "`sweet` 1.00" in interpret.detail
    assert "`ysl_black_opium` perfumes 0.60 — 제외" in retrieve.detail and "`coffee_co2`" in retrieve.detail
    assert "`repair:llm:ok` `r" in review.detail and "components:" in review.detail
    assert "처방에서 heart" in explain.detail
    assert lines[0].title == design_turn(kb)[1].title  # the titles are the same in both views


def test_an_edit_says_what_changed_and_small_talk_says_nothing(kb: KnowledgeBase) -> None:
    steps = TurnSteps(kb)
    before, after = recipe(1), recipe(2).model_copy(update={"dilution_percent": 0.5, "product": Product.body_lotion})
    edit = {"ops": [{"op": "product", "product": "body_lotion"}]}
    route = steps.add("route", {"route": "edit", "reading": {"route": "edit", "edit": edit}})
    assert route is not None and route.title == "요청 해석 · 레시피 수정 · 바꿀 곳 1개"
    change = diff(before, after).model_dump(mode="json")
    made = steps.add("edit", {"new_version": True, "recipe": after.model_dump(mode="json"), "extras": {"diff": change}})
    assert made is not None and made.title == "설계 · v1 → v2 · 제품: 향수(파인 프래그런스) → 바디로션 · 향료 18% → 0.5%"
    assert steps.add("edit", {"reply": "100 g 배합표 …"}) is None  # no new version, nothing designed
    assert TurnSteps(kb).add("route", {"route": "smalltalk", "reading": {"route": "smalltalk"}}) is None


def test_pyramid_segments_carry_names_and_percent_and_small_lines_are_gathered() -> None:
    figure = charts.pyramid_figure(recipe())
    labels = {trace.name: trace.text[0] for trace in figure.data}
    assert labels["베르가못 오일"] == "베르가못 오일 20.0%" and labels["바닐린"] == "바닐린 15.0%"
    assert abs(sum(trace.y[0] for trace in figure.data) - 100) < 0.01
    assert [t.name for t in figure.data][:2] == ["이소 이 슈퍼", "바닐린"]  # base at the bottom, biggest first
    small = recipe().model_copy(update={"ingredients": [*recipe().ingredients[:3], CATALOG.ingredient("vanillin", 1.0),
                                                        CATALOG.ingredient("coumarin", 1.5)]})
    gathered = [t for t in charts.pyramid_figure(small).data if t.name.startswith("그 외")]
    assert [t.text[0] for t in gathered] == ["그 외 2종 2.5%"] and "바닐린 1.0%" in gathered[0].hovertemplate
    assert [a.text for a in figure.layout.annotations] == ["<b>베이스</b><br>50%", "<b>미들</b><br>30%",
                                                          "<b>탑</b><br>20%"]


def test_colours_are_stable_per_material_and_per_position() -> None:
    v1, v2 = recipe(1), recipe(2).model_copy(update={"ingredients": [CATALOG.ingredient(m, p) for m, p in
                                                                      {**FORMULA, "hedione": 25.0, "vanillin": 20.0}.items()]})
    colour = {(t.name, 1): t.marker.color for t in charts.pyramid_figure(v1).data}
    colour |= {(t.name, 2): t.marker.color for t in charts.pyramid_figure(v2).data}
    assert all(colour[name, 1] == colour[name, 2] for name, _ in colour)
    top, heart, base = (set(palette) for palette in charts.PALETTES.values())
    assert not (top & heart or heart & base or top & base)
    assert colour["베르가못 오일", 1] in top and colour["바닐린", 1] in base
    assert charts.material_colour("hedione", CATALOG.material("hedione").note) == colour["헤디온", 1]


def test_composition_and_version_charts_are_labelled(kb: KnowledgeBase) -> None:
    before = Recipe(id="x", version=1, ingredients=[kb.catalog.ingredient(m, p) for m, p in FORMULA.items()])
    ring = charts.composition_figure(before, kb.catalog).data[0]
    assert abs(sum(ring.values) - 100) < 0.01 and ring.texttemplate == "%{label}<br>%{value:.0f}%"
    assert list(ring.labels) == ["우디", "플로럴", "시트러스", "구르망"] and list(ring.values) == [35, 30, 20, 15]
    with_trace = before.model_copy(update={"ingredients": [*before.ingredients, kb.catalog.ingredient("galaxolide", 1.0)]})
    small = charts.composition_figure(with_trace, kb.catalog).data[0]  # a family under 4 % is one "그 외" slice
    assert small.labels[-1] == "그 외" and small.customdata[-1] == "머스크 1.0%"
    after = before.model_copy(update={"version": 2, "ingredients": [kb.catalog.ingredient(m, p) for m, p in
                                                                     {**FORMULA, "bergamot_oil": 8.0,
                                                                      "iso_e_super": 47.0}.items()]})
    chart = charts.diff_figure(diff(before, after), kb.catalog)
    assert chart is not None and chart.layout.title.text == "바뀐 재료 — v1(회색) → v2"
    new, old = chart.data
    assert list(new.y) == ["베르가못 오일", "이소 이 슈퍼"] and list(old.text) == ["20.0%", "35.0%"]
    assert list(new.text) == ["8.0%", "47.0%"]
    assert new.marker.color[0] == charts.material_colour("bergamot_oil", kb.catalog.material("bergamot_oil").note)
    assert charts.diff_figure(diff(before, before.model_copy(update={"dilution_percent": 10.0})), kb.catalog) is None


def test_csv_and_json_exports_round_trip() -> None:
    r = recipe()
    rows = list(csv.DictReader(io.StringIO(view.recipe_csv(r).decode("utf-8-sig"))))
    assert [(row["material_id"], float(row["percent"])) for row in rows] == list(FORMULA.items())
    assert rows[0]["name_ko"] == "베르가못 오일" and rows[0]["cas"] == "8007-75-8"
    assert Recipe.model_validate(json.loads(view.recipe_json(r))).ingredients == r.ingredients


def test_files_are_named_by_formula_and_version_in_safe_characters() -> None:
    r = recipe(2)
    assert view.export_name(r, "csv") == "테스트-향-v2.csv"
    assert view.export_name(r, "html", "배합표-100g") == "테스트-향-v2-배합표-100g.html"
    odd = r.model_copy(update={"name": "../비 오는 날: 카페/라떼 ☕ *"})
    assert view.export_name(odd, "json") == "비-오는-날-카페-라떼-v2.json"
    assert view.export_name(r.model_copy(update={"name": "☕"}), "csv") == "hyanggi-abc-v2.csv"


def test_files_go_only_under_a_new_version() -> None:
    assert view.is_new_version(recipe(1), None)
    assert not view.is_new_version(recipe(1), ("abc", 1))  # "고마워!" keeps the shown version
    assert view.is_new_version(recipe(2), ("abc", 1))


def test_chainlit_words_are_ours_and_every_library_key_stays() -> None:
    base = {"chat": {"messages": {"status": {"using": "사용 중", "used": "사용됨"}}, "input": {"placeholder": "…"}},
            "navigation": {"header": {"readme": "읽어보기", "chat": "채팅"}}}
    merged = view.translation(base, view.TRANSLATION_KO)
    assert merged["chat"]["messages"]["status"] == {"using": "⋯", "used": "✓"}
    assert merged["navigation"]["header"] == {"readme": "안내", "chat": "채팅"}
    assert base["chat"]["messages"]["status"]["used"] == "사용됨"  # the library's copy is left as it was


def test_compare_only_from_a_second_version() -> None:
    assert view.compare_message(recipe(1)) is None
    assert view.compare_message(recipe(3)) == "v2이랑 v3 비교해줘"


def test_the_chat_export_imports_back_and_the_documents_name_their_authority(kb: KnowledgeBase) -> None:
    from knowledge.formula_import import import_formula

    r = recipe()
    again = import_formula(view.recipe_csv(r).decode("utf-8-sig"), kb.catalog).recipe
    assert {i.material_id: i.percent for i in again.ingredients} == FORMULA
    text = view.documents_md(r, kb.catalog).decode("utf-8")
    assert "IFRA 적합성 요약" in text and "알레르기" in text and "공급사의 IFRA 적합성 증명서" in text


def test_no_button_goes_toward_what_the_person_ruled_out() -> None:
    labels = [label for label, _ in view.edit_actions({"avoid_descriptors": {"sweet": 1.0}})]
    assert "더 달콤하게" not in labels and "더 가볍게" in labels
    assert "더 달콤하게" in [label for label, _ in view.edit_actions(None)]


def test_an_offer_in_the_reply_becomes_a_button_that_asks_for_it() -> None:
    _, offers = render.absent_block([Absent(material_id="rosewood_oil", name_ko="로즈우드 오일", action_ko="빼기",
                                            nearest=["iso_e_super"], nearest_ko=["이소 이 슈퍼"])])
    assert view.offer_actions({"offers": offers}) == [("이소 이 슈퍼 빼기", "이소 이 슈퍼 빼줘")]
    assert view.offer_actions({}) == []
