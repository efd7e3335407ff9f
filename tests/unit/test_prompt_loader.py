"""Prompt templates load, validate their fields, and render briefs, candidates and recipes compactly."""

import pytest

from perfumery.brief import Brief
from perfumery.models import NotePosition
from perfumery.recipe import Ingredient
from prompts.loader import MAX_FACTS_CHARS, MAX_RECIPE_LINES, PromptBuilder, PromptTemplate, load_templates
from tests.unit.perfumery_fixtures import make_catalog

LABELS = {"rose": "장미", "fresh": "신선한", "musky": "머스크", "sweet": "달콤한"}


def test_template_must_use_its_fields():
    with pytest.raises(ValueError):
        PromptTemplate(description="x", fields=["a", "b"], template="{a}", max_tokens=10, temperature=0.5)


def test_render_requires_every_field():
    with pytest.raises(KeyError):
        load_templates().propose.render(request="x")


def test_proposal_prompt_numbers_candidates_by_note_and_uses_korean_labels():
    catalog = make_catalog()
    candidates = [catalog.material(m) for m in ("rose_absolute", "bergamot_oil", "hedione")]
    brief = Brief(descriptors={"rose": 1.0, "fresh": 0.5}, avoid_descriptors={"sweet": 1.0}, season="spring",
                  text="봄 장미")
    builder = PromptBuilder(LABELS)
    prompt = builder.proposal(brief, candidates)
    assert [c.id for c in builder.ordered_candidates(candidates)] == ["bergamot_oil", "rose_absolute", "hedione"]
    assert "향조: 장미, 신선한" in prompt
    assert "피할 향: 달콤한" in prompt
    assert "조건: EDP, 봄, 중성적, 보통" in prompt
    lines = prompt.splitlines()
    top = next(line for line in lines if line.startswith("탑: "))
    heart = next(line for line in lines if line.startswith("미들: "))
    assert top.startswith("탑: 1 베르가못 오일(")
    assert heart.startswith("미들: 2 로즈 앱솔루트(장미·floral), 3 헤디온(")
    assert prompt.endswith("처방:")


def test_narration_prompt_states_the_parsed_targets_and_is_bounded():
    ings = [Ingredient(material_id=f"m{i}", name_ko=f"재료{i}", note=NotePosition.heart, percent=i + 1.0)
            for i in range(12)]
    brief = Brief(text="너무 달지 않게", descriptors={"musky": 1.0, "rose": 0.5}, avoid_descriptors={"sweet": 1.0})
    prompt = PromptBuilder(LABELS).narration(brief, ings, ["가" * 500])
    assert "향조: 머스크, 장미" in prompt.splitlines()
    recipe_line = next(line for line in prompt.splitlines() if line.startswith("처방:"))
    assert recipe_line.count("%") == MAX_RECIPE_LINES
    assert recipe_line.startswith("처방: 미들 재료11 12%, 재료10 11%")


def test_the_narration_plan_groups_the_formula_by_note_position():
    ings = [Ingredient(material_id="b", name_ko="베이스재료", note=NotePosition.base, percent=30.0),
            Ingredient(material_id="t", name_ko="탑재료", note=NotePosition.top, percent=10.0),
            Ingredient(material_id="h", name_ko="미들재료", note=NotePosition.heart, percent=20.0)]
    prompt = PromptBuilder(LABELS).narration(Brief(descriptors={"musky": 1.0}), ings, [])
    assert "처방: 탑 탑재료 10% / 미들 미들재료 20% / 베이스 베이스재료 30%" in prompt.splitlines()
    facts_line = next(line for line in prompt.splitlines() if line.startswith("참고:"))
    assert len(facts_line) <= len("참고: ") + MAX_FACTS_CHARS


def test_empty_brief_text_falls_back_to_descriptor_words():
    builder = PromptBuilder(LABELS)
    assert builder.request_text(Brief(descriptors={"musky": 1.0})) == "머스크"
