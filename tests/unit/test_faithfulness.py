"""Domain faithfulness as a ragas metric inside run_ragas, and its agreement with the yardstick."""

from __future__ import annotations

import math

import pytest

from agent.replies.claims import ClaimChecker
from eval.contexts import recipe_context, recipe_key
from eval.faithfulness import agreement, load_yardstick
from eval.ragas_runner import run_ragas
from eval.transcripts import TurnSample
from knowledge.kb import load_knowledge_base
from perfumery.recipe import Ingredient, Recipe
from tests.unit.kb_fixtures import write_kb
from tests.unit.test_ragas_runner import HashEmbedder


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> ClaimChecker:
    return ClaimChecker(load_knowledge_base(write_kb(tmp_path_factory.mktemp("kb"))))


def _recipe(checker: ClaimChecker) -> Recipe:
    doses = {"bergamot_oil": 30.0, "hedione": 40.0, "sandalwood_oil": 30.0}
    return Recipe(ingredients=[Ingredient(material_id=m, name_ko=checker.kb.materials[m].name_ko,
                                          note=checker.kb.materials[m].note, percent=p) for m, p in doses.items()])


def _turn(index: int, response: str, recipe: Recipe | None) -> TurnSample:
    return TurnSample(session="s", source="chat", turn_index=index, route="new_brief", user_input="상큼한 향",
                      response=response, recipe=recipe)


def test_the_metric_scores_claims_and_lists_the_unsupported(checker: ClaimChecker) -> None:
    recipe = _recipe(checker)
    samples = [_turn(0, "탑에서는 베르가못 오일이, 베이스에서는 헤디온이 향을 이끕니다.", recipe),
               _turn(1, "안녕하세요.", None)]
    run = run_ragas(samples, HashEmbedder(), checker=checker)
    assert samples[0].scores["domain_faithfulness"] == pytest.approx(3 / 4)  # 2 named, 1 of 2 positions right
    assert samples[1].scores["domain_faithfulness"] is None  # nothing to check: NaN, counted
    assert run.metrics["domain_faithfulness"].nan == 1
    assert run.claims is not None and run.claims.unsupported == {"position": 1}
    assert run.claims.examples[0]["reason"].startswith("헤디온")


def test_the_recipe_travels_as_a_readable_context(checker: ClaimChecker) -> None:
    recipe = _recipe(checker)
    ids, texts = _turn(0, "x", recipe).contexts()
    assert ids[0] == recipe_key(recipe) and texts[0] == recipe_context(recipe)
    assert "헤디온 (미들, 40%)" in texts[0]


def test_agreement_counts_misses_and_recall(checker: ClaimChecker) -> None:
    statements = [row for row in load_yardstick() if row.split == "test"]
    result = agreement(statements, ClaimChecker(load_knowledge_base()), "test")
    assert result.n == len(statements) and result.unsupported == sum(s.label == "unsupported" for s in statements)
    assert len(result.misses) == round(result.n * (1 - result.accuracy))
    assert result.unsupported_recall is not None and not math.isnan(result.unsupported_recall)


def test_the_yardstick_is_big_enough_and_split() -> None:
    rows = load_yardstick()
    assert len(rows) >= 150 and len({r.id for r in rows}) == len(rows)
    assert {r.split for r in rows} == {"dev", "test"}
    by_conversation = {}
    for row in rows:
        assert by_conversation.setdefault(row.conversation, row.split) == row.split  # a conversation stays whole
    assert sum(r.label == "unsupported" for r in rows if r.split == "test") >= 10
