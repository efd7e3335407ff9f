"""SFT data: targets the grammar admits, pools that contain them, a leak-free split, sessions when logged."""

import json
import random
import re

import pytest

from agent.generators.parsing import parse_proposal
from finetune.dataset import (
    MAX_ITEMS,
    BuildStats,
    Example,
    build_dataset,
    core_formula,
    dataset_hash,
    deduplicate,
    examples_for_brief,
    lexicon_briefs,
    liked_sessions,
    narration_target,
    proposal_target,
    session_examples,
    split,
    story_sentences,
)
from knowledge.kb import load_knowledge_base
from knowledge.korean import modifiers_as_nouns
from perfumery import compose, critique
from perfumery.brief import Brief
from perfumery.fit import character, delivered
from perfumery.naming import lead_sentence
from perfumery.pool import MAX_CHARACTERS, POOL_DISTRACTORS, POOL_PER_NOTE, candidate_pool
from prompts import PromptBuilder


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def built(kb, tmp_path_factory):
    out = tmp_path_factory.mktemp("ds")
    summary = build_dataset(kb, out, n_lexicon=24, threshold=0.0, progress=False, seed=3)
    rows = [json.loads(line) for name in ("train", "dev") for line in (out / f"{name}.jsonl").open()]
    return out, summary, rows


def test_pool_covers_every_note_and_excludes_what_the_brief_avoids(kb):
    brief = Brief(descriptors={"rose": 1.0, "musky": 0.6}, avoid_descriptors={"sweet": 1.0})
    pool = candidate_pool(brief, kb.catalog, random.Random(0))
    notes = {kb.catalog.material(m).note.value for m in pool}
    assert notes == {"top", "heart", "base"}
    assert len(set(pool)) == len(pool)
    assert not any(kb.catalog.is_prohibited(m) for m in pool)


def test_pool_holds_the_materials_that_carry_the_briefs_character(kb):
    """The composer builds a skin scent on the material whose main character is skin: the model must be offered it
    too (the nearest materials by the whole brief left it out of every pool before)."""
    brief = Brief(descriptors={"skin": 1.0, "warm": 0.8}, text="살결 같은 따뜻한 향")
    skin = {m for m in kb.catalog.materials if character(kb.catalog, m, "skin")}
    assert skin
    for seed in range(3):
        pool = candidate_pool(brief, kb.catalog, random.Random(seed))
        assert skin & set(pool)
        assert len(pool) <= 1 + MAX_CHARACTERS + sum(POOL_PER_NOTE.values()) + POOL_DISTRACTORS


def test_core_formula_is_short_sums_to_100_and_keeps_what_the_critic_values(kb):
    brief = Brief(descriptors={"citrus": 1.0, "woody": 0.6})
    recipe = compose(brief, kb.catalog, n=1, seed=1)[0]
    assert len(recipe.ingredients) > MAX_ITEMS
    core = core_formula(recipe, brief, kb.catalog)
    assert len(core.ingredients) == MAX_ITEMS
    assert core.total_percent == pytest.approx(100.0, abs=0.1)
    assert {n.value for n in {i.note for i in core.ingredients}} == {"top", "heart", "base"}
    # Better than simply keeping the highest doses.
    by_dose = sorted(recipe.ingredients, key=lambda i: -i.percent)[:MAX_ITEMS]
    total = sum(i.percent for i in by_dose)
    naive = recipe.model_copy(update={"ingredients": [i.model_copy(update={"percent": i.percent * 100 / total})
                                                      for i in by_dose]})
    assert core.score.total >= critique(naive, kb.catalog, brief).score.total


def prompt_names(prompt: str) -> list[str]:
    """The candidates' names in the order the proposal prompt numbers them (the numbers checked)."""
    entries = sorted((int(number), name) for line in prompt.split("후보:\n")[1].split("\n")[:-1]
                     for number, name in (token.split(" ", 1) for token in line.split(": ", 1)[1].split(", ")))
    assert [number for number, _ in entries] == list(range(1, len(entries) + 1))
    return [re.sub(r"(?<! )\([^()]*\)$", "", name) for _, name in entries]  # "(tags)" sit right after the name


def catalog_id_by_name(kb, name: str) -> str:
    return next(m.id for m in kb.catalog.materials.values() if m.name_ko == name)


def test_every_proposal_target_parses_cleanly_over_its_pool(built, kb):
    _, _, rows = built
    proposals = [r for r in rows if r["task"] == "propose"]
    assert proposals
    for row in proposals:
        parsed = parse_proposal(row["target"], prompt_names(row["prompt"]))
        assert parsed.clean, row["target"]


def test_story_targets_name_no_material_and_are_two_whole_sentences(built, kb):
    _, _, rows = built
    narrations = [r for r in rows if r["task"] == "narrate"]
    assert narrations
    names = [m.name_ko for m in kb.catalog.materials.values() if m.name_ko]
    for row in narrations:
        target = row["target"]
        assert target.endswith(".") and len(re.findall(r"[.!?](?:\s|$)", target)) == 2, target
        assert not any(name in target for name in names), target
        assert "이야기:" in row["prompt"] and "처방:" not in row["prompt"]


def test_a_story_that_praises_an_undelivered_odour_is_never_a_target(kb):
    """The claim check is what makes a target true: it refuses an odour the formula does not deliver."""
    from agent.training import narration_check

    brief = Brief(descriptors={"citrus": 1.0}, text="상큼한 향", themes=["상큼한"])
    recipe = core_formula(compose(brief, kb.catalog, n=1, seed=2)[0], brief, kb.catalog)
    check = narration_check(kb)
    lead = lead_sentence(recipe, kb.catalog)
    assert lead and check(lead, recipe, brief)
    assert not check(f"요청하신 바닐라 분위기를 담았습니다. {lead}", recipe, brief)
    target = narration_target(delivered(brief, {i.material_id: i.percent for i in recipe.ingredients}, kb.catalog),
                              PromptBuilder({}), random.Random(0),
                              lambda text: check(f"{text} {lead}", recipe, brief))
    assert target and check(f"{target} {lead}", recipe, brief)
    assert narration_target(brief, PromptBuilder({}), random.Random(0), lambda text: False) == ""


def test_a_mood_word_alone_never_takes_a_nouns_place_in_a_story(kb):
    """Themes of one mood word: "따뜻한을 좋아하는 분께" taught the model to write it in the chat."""
    brief = Brief(descriptors={"warm": 1.0}, text="따뜻한 향", themes=["따뜻한"])
    moods, scenes = story_sentences(brief, PromptBuilder({"warm": "따뜻한"}))
    assert moods and scenes
    assert not any(modifiers_as_nouns(s) for s in [*moods, *scenes])
    noun = story_sentences(brief.model_copy(update={"themes": ["포근한", "카페"]}), PromptBuilder({}))
    assert any("포근한 카페를" in s for s in [*noun[0], *noun[1]])  # a noun phrase keeps its templates


def test_split_keeps_briefs_apart_and_the_card_states_the_hash(built):
    out, summary, rows = built
    train_keys = {json.loads(line)["brief_key"] for line in (out / "train.jsonl").open()}
    dev_keys = {json.loads(line)["brief_key"] for line in (out / "dev.jsonl").open()}
    assert train_keys and dev_keys and not train_keys & dev_keys
    assert dataset_hash(out) == summary.sha256
    assert summary.sha256 in (out / "DATA_CARD.md").read_text()


def test_deduplicate_and_split_helpers():
    a = Example(task="propose", source="lexicon", brief_key="k1", prompt="p", target="t")
    b = Example(task="narrate", source="lexicon", brief_key="k2", prompt="p2", target="t2")
    assert deduplicate([a, a, b]) == [a, b]
    train, dev = split([a, b], 0.5, random.Random(0))
    assert len(train) == len(dev) == 1


def test_lexicon_briefs_are_korean_requests_with_targets(kb):
    briefs = list(lexicon_briefs(kb, 5, random.Random(0)))
    assert len(briefs) == 5
    assert all(b.descriptors and any("가" <= c <= "힣" for c in b.text) for b in briefs)


def test_logged_sessions_become_examples(kb):
    brief = Brief(descriptors={"citrus": 1.0})
    recipe = core_formula(compose(brief, kb.catalog, n=1, seed=2)[0], brief, kb.catalog)
    rows = [(brief.model_dump(), recipe, "상큼하게 열리는 향입니다."), (brief, recipe, "  ")]
    examples = session_examples(rows, kb, PromptBuilder({}), random.Random(0))
    assert [e.task for e in examples] == ["propose", "narrate"]
    names = prompt_names(examples[0].prompt)
    assert set(parse_proposal(examples[0].target, names).doses) == {i.name_ko for i in recipe.ingredients}
    assert examples[0].target == proposal_target(recipe, [catalog_id_by_name(kb, n) for n in names])
    assert examples[1].target == "상큼하게 열리는 향입니다."


def test_a_liked_chat_formula_is_cut_to_its_core_not_dropped(kb):
    """A chat formula runs to 15-25 lines; the proposal target is its core, as for the composer's formulas."""
    brief = Brief(descriptors={"woody": 1.0, "warm": 0.6})
    recipe = compose(brief, kb.catalog, n=1, seed=3)[0]
    assert len(recipe.ingredients) > MAX_ITEMS
    examples = session_examples([(brief, recipe, "따뜻한 나무 향이 오래 남는 향입니다.")], kb, PromptBuilder({}),
                                random.Random(0))
    assert [e.task for e in examples] == ["propose", "narrate"]
    core = core_formula(recipe, brief, kb.catalog)
    names = prompt_names(examples[0].prompt)
    assert set(parse_proposal(examples[0].target, names).doses) == {i.name_ko for i in core.ingredients}
    assert examples[0].target == proposal_target(core, [catalog_id_by_name(kb, n) for n in names])


def test_no_database_means_no_sessions(tmp_path):
    assert liked_sessions(f"sqlite+aiosqlite:///{tmp_path / 'missing.db'}") == []


def test_orders_show_each_target_over_the_same_candidates_renumbered(kb):
    """With ``orders``, a target's materials and doses stay while their numbers move: only names fit them all."""
    builder = PromptBuilder({key: d.ko[0] for key, d in kb.descriptors.items()})
    brief = next(lexicon_briefs(kb, 1, random.Random(5)))
    once = examples_for_brief(brief, "lexicon", kb, builder, random.Random(1), 0.0, BuildStats())
    thrice = examples_for_brief(brief, "lexicon", kb, builder, random.Random(1), 0.0, BuildStats(), orders=3)
    proposals = [e for e in thrice if e.task == "propose"]
    assert len(proposals) == 3 * sum(e.task == "propose" for e in once) > 0
    by_prompt: dict[str, list[Example]] = {}
    for example in proposals:
        by_prompt.setdefault(example.prompt, []).append(example)
    assert len(by_prompt) == 3  # three orders of one pool
    read = [sorted(tuple(sorted(parse_proposal(e.target, prompt_names(prompt)).doses.items())) for e in rows)
            for prompt, rows in by_prompt.items()]
    assert read[0] == read[1] == read[2]  # by name: the same formulas
    assert len({tuple(e.target for e in rows) for rows in by_prompt.values()}) == 3  # by number: not
