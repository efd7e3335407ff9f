"""ragas' Faithfulness and ResponseRelevancy on the cross-encoder judge, here a scripted one: statements are the
checker's sentences, verdicts the judge's, the score computed by ragas; nothing reaches OpenAI."""

from __future__ import annotations

import math

import numpy as np
import pytest

from agent.replies.claims import ClaimChecker
from eval.judge import CrossEncoderJudge
from eval.ragas_runner import run_ragas
from eval.transcripts import TurnSample
from knowledge.kb import load_knowledge_base
from tests.unit.kb_fixtures import write_kb
from tests.unit.test_ragas_runner import HashEmbedder, no_openai_no_network  # noqa: F401 (autouse fixture)


class FakeTokenizer:
    def __call__(self, texts: list[str], add_special_tokens: bool = False) -> dict[str, list[list[int]]]:
        return {"input_ids": [[0] * len(t) for t in texts]}


class FakeCrossEncoder:
    """Supports a statement exactly when its evidence mentions the material the statement names first."""

    tokenizer = FakeTokenizer()

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def predict(self, pairs: list[tuple[str, str]], **_: object) -> np.ndarray:
        self.pairs += pairs
        return np.array([0.9 if statement.split("은")[0] in evidence else 0.1 for statement, evidence in pairs])


def _sample(response: str, texts: list[str], user_input: str = "바닐린은 어떤 향이야?") -> TurnSample:
    return TurnSample(session="replay-q-T", source="replay", turn_index=0, route="question", user_input=user_input,
                      response=response, retrieved_ids=[f"r{k}" for k in range(len(texts))], retrieved_texts=texts)


@pytest.fixture(scope="module")
def checker(tmp_path_factory: pytest.TempPathFactory) -> ClaimChecker:
    """The real claim checker (its sentence splitter cuts replies into statements) on the tiny test KB."""
    return ClaimChecker(load_knowledge_base(write_kb(tmp_path_factory.mktemp("kb"))))


@pytest.fixture
def judge() -> CrossEncoderJudge:
    return CrossEncoderJudge(FakeCrossEncoder(), threshold=0.5, max_length=192, atoms=lambda s: [s])


def test_faithfulness_is_the_share_of_statements_the_judge_supports(judge: CrossEncoderJudge, checker: ClaimChecker) -> None:
    sample = _sample("바닐린은 달콤하다. 헤디온은 자스민 향이다.", ["바닐린: 바닐라의 주성분으로 달콤한 향."])
    run = run_ragas([sample], HashEmbedder(), judge, judge_limit=1, checker=checker)
    assert sample.scores["faithfulness"] == pytest.approx(0.5)
    assert run.metrics["faithfulness"].nan == 0
    assert [u["statement"] for u in run.judge_unsupported] == ["헤디온은 자스민 향이다."]
    assert len(run.judge_seconds) == 1


def test_relevancy_compares_the_opening_sentence_with_the_question(judge: CrossEncoderJudge, checker: ClaimChecker) -> None:
    same = _sample("바닐린은 어떤 향이야? 달콤합니다.", ["바닐린: 달콤한 향."])
    declined = _sample("바닐린은 어떤 향이야? 잘 모르겠어요.", ["바닐린: 달콤한 향."])
    run_ragas([same, declined], HashEmbedder(), judge, judge_limit=2, checker=checker)
    assert same.scores["answer_relevancy"] == pytest.approx(1.0, abs=1e-5)  # opening == question (hash embedder)
    assert declined.scores["answer_relevancy"] == pytest.approx(0.0)  # noncommittal


def test_a_reply_without_sentences_is_nan_and_counted(judge: CrossEncoderJudge, checker: ClaimChecker) -> None:
    sample = _sample("| 재료 | % |\n|---|---:|\n| 바닐린 | 4.00 |", ["바닐린: 달콤한 향."])  # a table: no prose
    run = run_ragas([sample], HashEmbedder(), judge, judge_limit=1, checker=checker)
    value = sample.scores.get("faithfulness")
    assert value is None or math.isnan(value)
    assert run.metrics["faithfulness"].nan == 1
