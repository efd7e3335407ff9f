"""Prompt templates load, validate their fields, and render briefs, candidates and recipes compactly."""

import pytest

from perfumery.brief import Brief
from prompts.loader import MAX_THEMES, PromptBuilder, PromptTemplate, load_templates
from tests.unit.perfumery_fixtures import make_catalog

LABELS = {"rose": "장미", "fresh": "신선한", "musky": "머스크", "sweet": "달콤한"}


def test_template_must_use_its_fields():
    with pytest.raises(ValueError):
        PromptTemplate(description="x", fields=["a", "b"], template="{a}", max_tokens=10, temperature=0.5)


def test_render_requires_every_field():
    with pytest.raises(KeyError):
        load_templates().propose.render(request="x")


def test_proposal_prompt_numbers_candidates_as_given_grouped_by_note_in_korean():
    """The pool is shuffled and numbered in that order: a number says nothing of position, so a proposal
    must read the names (numbered by position, the model learned that the last numbers are the base)."""
    catalog = make_catalog()
    candidates = [catalog.material(m) for m in ("rose_absolute", "bergamot_oil", "hedione")]
    brief = Brief(descriptors={"rose": 1.0, "fresh": 0.5}, avoid_descriptors={"sweet": 1.0}, season="spring",
                  text="봄 장미")
    prompt = PromptBuilder(LABELS).proposal(brief, candidates)
    assert "향조: 장미, 신선한" in prompt
    assert "피할 향: 달콤한" in prompt
    assert "조건: EDP, 봄, 중성적, 보통" in prompt
    lines = prompt.splitlines()
    top = next(line for line in lines if line.startswith("탑: "))
    heart = next(line for line in lines if line.startswith("미들: "))
    assert top.startswith("탑: 2 베르가못 오일(")
    assert heart.startswith("미들: 1 로즈 앱솔루트(장미·floral), 3 헤디온(")
    assert lines.index(top) < lines.index(heart)
    assert prompt.endswith("처방:")


def test_story_prompt_shows_no_material_only_targets_and_scene():
    """The model writes the mood and scene; the formula's materials and positions are written by code."""
    brief = Brief(text="너무 달지 않게", descriptors={"musky": 1.0, "rose": 0.5}, avoid_descriptors={"sweet": 1.0},
                  season="winter", themes=["포근한", "카페", "오후", "비"])
    lines = PromptBuilder(LABELS).narration(brief).splitlines()
    assert "향조: 머스크, 장미" in lines
    assert f"장면: {', '.join(brief.themes[:MAX_THEMES])}, 겨울, EDP" in lines
    assert lines[-1] == "이야기:"
    assert not any(line.startswith(("처방:", "참고:")) for line in lines)


def test_empty_brief_text_falls_back_to_descriptor_words():
    builder = PromptBuilder(LABELS)
    assert builder.request_text(Brief(descriptors={"musky": 1.0})) == "머스크"
