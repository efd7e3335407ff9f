"""The judge's training pairs by construction: each false statement changes one checkable fact; pairs of one
turn stay on one side of the split; the threshold is the cut that agrees most with the labels."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from agent.replies.claims import ClaimChecker
from eval.faithfulness import load_yardstick
from eval.judge_data import (
    SUPPORTED,
    UNSUPPORTED,
    Perturber,
    TurnMaker,
    build_pairs,
    choose_threshold,
    is_dev,
    yardstick_contexts,
)
from eval.statements import atomic_statements
from knowledge.kb import KnowledgeBase, load_knowledge_base
from perfumery.recipe import Ingredient, Recipe


def count_chars(texts: list[str]) -> list[int]:
    return [len(t) for t in texts]


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


def _recipe(kb: KnowledgeBase) -> Recipe:
    doses = {"bergamot_oil": 12.0, "hedione": 30.0, "vanillin": 4.0}
    return Recipe(ingredients=[Ingredient(material_id=m, name_ko=kb.materials[m].name_ko, note=kb.materials[m].note,
                                          percent=p) for m, p in doses.items()])


def _perturber(kb: KnowledgeBase, recipe: Recipe) -> Perturber:
    context = "\n".join(f"{i.name_ko} ({i.note.value}, {i.percent:g}%)" for i in recipe.ingredients)
    return Perturber(kb, recipe, [], context, random.Random(0))


def test_a_tier_swap_exchanges_two_materials_of_different_positions(kb: KnowledgeBase) -> None:
    recipe = _recipe(kb)
    top, heart = kb.materials["bergamot_oil"].name_ko, kb.materials["hedione"].name_ko
    changed = _perturber(kb, recipe).tier_swap(f"탑에서는 {top}이, 미들에서는 {heart}이 향을 이끕니다.")
    assert changed == f"탑에서는 {heart}이, 미들에서는 {top}이 향을 이끕니다."
    assert _perturber(kb, recipe).tier_swap(f"{top}과 {heart}") is None  # no position said: nothing to swap


def test_a_number_changes_only_a_figure_the_context_states(kb: KnowledgeBase) -> None:
    perturber = _perturber(kb, _recipe(kb))
    changed = perturber.number("헤디온 (미들, 30%)")
    assert changed is not None and changed != "헤디온 (미들, 30%)" and "30%" not in changed
    assert perturber.number("유사도 0.77") is None  # 0.77 is not in the context


def test_a_foreign_material_is_one_the_formula_does_not_hold(kb: KnowledgeBase) -> None:
    recipe = _recipe(kb)
    changed = _perturber(kb, recipe).foreign_material(f"{kb.materials['vanillin'].name_ko}이 잔향으로 남습니다.")
    assert changed is not None
    assert not any(i.name_ko in changed for i in recipe.ingredients)


def test_designed_turns_pair_true_statements_with_one_changed_fact(kb: KnowledgeBase) -> None:
    maker = TurnMaker(kb, ClaimChecker(kb), random.Random(3))
    turns = [t for t in (maker.brief_turn(b) for b in _briefs(kb, 3)) if t is not None]
    assert turns
    for turn in turns:
        true = {s for s, label, _ in turn.statements if label == SUPPORTED}
        false = [(s, kind) for s, label, kind in turn.statements if label == UNSUPPORTED]
        assert true and false
        assert not {s for s, _ in false} & true  # a changed statement is never also a true one
        assert {kind for _, kind in false} <= {"tier_swap", "tier_intruder", "foreign_material", "number",
                                              "position_word", "concentration", "ifra_status", "description",
                                              "perfume", "removed_present", "descriptor", "request"}
        # the judge reads a listing sentence one name at a time, so the pairs are those atoms, not the sentence
        assert all(atomic_statements(s, maker.checker.names, lists_only=True) == [s] for s, _, _ in turn.statements)
    placed = [s for turn in turns for s, label, _ in turn.statements if label == SUPPORTED and "에서는" in s]
    assert placed and all(s.endswith("향을 이끕니다.") for s in placed)


def _briefs(kb: KnowledgeBase, n: int) -> list:
    from finetune.dataset import lexicon_briefs

    return list(lexicon_briefs(kb, n, random.Random(5)))


def test_pairs_of_one_turn_stay_on_one_side_of_the_split(kb: KnowledgeBase, tmp_path: Path) -> None:
    summary = build_pairs(kb, ClaimChecker(kb), count_chars, 192, tmp_path, n_briefs=4, n_questions=2,
                          dev_share=0.5, seed=1)
    groups = {side: {json.loads(line)["group"] for line in (tmp_path / f"{side}.jsonl").read_text().splitlines()}
              for side in ("train", "dev")}
    assert summary.train and summary.dev
    assert not groups["train"] & groups["dev"]
    assert all(is_dev(g, 0.5) for g in groups["dev"]) and not any(is_dev(g, 0.5) for g in groups["train"])
    rows = [json.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    assert all(len(r["evidence"]) <= 192 - min(len(r["statement"]), 96) - 4 for r in rows)  # the budget held


def test_the_threshold_is_the_cut_that_agrees_most() -> None:
    assert choose_threshold([0.1, 0.2, 0.8, 0.9], [False, False, True, True]) == pytest.approx(0.5)
    assert choose_threshold([0.1, 0.3, 0.6, 0.9], [False, True, True, True]) == pytest.approx(0.2)


def test_a_yardstick_statement_reads_its_recipe_first(kb: KnowledgeBase) -> None:
    from eval.contexts import document_texts, recipe_context

    row = next(r for r in load_yardstick() if r.recipe is not None and r.split == "dev")
    primary, other = yardstick_contexts(row, document_texts(kb))
    assert primary == [recipe_context(row.recipe)]
    assert other  # the records its recipe's lines quote
