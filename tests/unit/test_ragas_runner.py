"""ragas with our embeddings and a local (here: scripted) judge: exact id metrics, NaNs counted, no OpenAI."""

from __future__ import annotations

import hashlib
import socket

import numpy as np
import pytest
from langchain_core.language_models.fake import FakeListLLM

from eval.ragas_runner import judge_subset, ragas_embeddings, run_ragas
from eval.transcripts import TurnSample


class HashEmbedder:
    """Deterministic unit vectors: equal texts embed equally, different texts almost orthogonally."""

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        rows = [np.frombuffer(hashlib.sha256(t.encode()).digest(), dtype=np.uint8).astype(np.float32) - 127.5
                for t in texts]
        return np.array([r / np.linalg.norm(r) for r in rows])


def _sample(route: str, retrieved: list[str], reference_ids: list[str] | None, response: str = "베르가못은 상큼해요.",
            reference: str | None = "베르가못은 상큼해요.") -> TurnSample:
    return TurnSample(session=f"replay-{route}-T", source="replay", turn_index=0, route=route,
                      user_input="베르가못은 어떤 향이야?", response=response, retrieved_ids=retrieved,
                      retrieved_texts=[f"{i} 문서" for i in retrieved], reference=reference if reference_ids else None,
                      reference_ids=reference_ids or [], reference_texts=[f"{i} 문서" for i in reference_ids or []],
                      timings_ms={"total": 100.0})


@pytest.fixture(autouse=True)
def no_openai_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any OpenAI client construction or outbound connection fails the test."""
    import openai

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("an OpenAI client was constructed")

    def no_connect(*_: object, **__: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setenv("OPENAI_API_KEY", "")
    monkeypatch.setattr(openai.OpenAI, "__init__", refuse)
    monkeypatch.setattr(openai.AsyncOpenAI, "__init__", refuse)
    monkeypatch.setattr(socket.socket, "connect", no_connect)


def test_reference_metrics_are_exact_and_need_no_llm() -> None:
    samples = [_sample("question", ["bergamot_oil", "lemon_oil"], ["bergamot_oil"]),
               _sample("new_brief", ["lemon_oil"], ["bergamot_oil", "hedione"], response="전혀 다른 대답")]
    run = run_ragas(samples, HashEmbedder())
    question, brief = run.samples
    assert question.scores["id_based_context_precision"] == pytest.approx(0.5)
    assert question.scores["id_based_context_recall"] == pytest.approx(1.0)
    assert question.scores["non_llm_context_precision_with_reference"] == pytest.approx(1.0)
    assert question.scores["chrf_score"] == pytest.approx(1.0)
    assert question.scores["semantic_similarity"] == pytest.approx(1.0, abs=1e-5)
    assert brief.scores["id_based_context_precision"] == 0.0 and brief.scores["id_based_context_recall"] == 0.0
    assert brief.scores["chrf_score"] < 0.3
    assert run.metrics["id_based_context_recall"].mean == pytest.approx(0.5)
    assert run.by_route["question"]["id_based_context_precision"] == pytest.approx(0.5)
    assert run.judged == 0 and "faithfulness" not in run.metrics


def test_unscorable_turns_are_counted_as_nan_not_dropped() -> None:
    samples = [_sample("edit", [], ["hedione"]), _sample("question", ["hedione"], ["hedione"])]
    run = run_ragas(samples, HashEmbedder())
    precision = run.metrics["id_based_context_precision"]
    assert (precision.n, precision.nan, precision.mean) == (2, 1, 1.0)
    assert samples[0].scores["id_based_context_precision"] is None


def test_judge_parse_failures_become_counted_nans() -> None:
    samples = [_sample("question", ["bergamot_oil"], ["bergamot_oil"]), _sample("new_brief", ["hedione"], None)]
    run = run_ragas(samples, HashEmbedder(), judge=FakeListLLM(responses=["판단할 수 없음"]), judge_limit=5)
    assert run.judged == 2
    for name in ("faithfulness", "answer_relevancy"):
        assert run.metrics[name].nan == 2 and run.metrics[name].mean is None
    assert sum(run.failures.values()) >= 4


def test_a_judge_that_answers_in_ragas_json_is_scored() -> None:
    statements = '{"statements": ["베르가못은 상큼하다."]}'
    verdicts = '{"statements": [{"statement": "베르가못은 상큼하다.", "reason": "문서에 있음", "verdict": 1}]}'
    relevance = '{"question": "베르가못은 어떤 향이야?", "noncommittal": 0}'
    judge = FakeListLLM(responses=[statements, verdicts, relevance])
    samples = [_sample("question", ["bergamot_oil"], None)]
    run = run_ragas(samples, HashEmbedder(), judge=judge, judge_limit=1)
    assert samples[0].scores["faithfulness"] == pytest.approx(1.0)
    assert samples[0].scores["answer_relevancy"] == pytest.approx(1.0, abs=1e-5)
    assert run.metrics["faithfulness"].nan == 0


def test_judge_subset_takes_routes_in_turn_and_skips_unjudgeable() -> None:
    samples = [_sample("new_brief", ["a"], None), _sample("new_brief", ["b"], None), _sample("question", ["c"], None),
               _sample("edit", [], None)]
    picked = judge_subset(samples, 2)
    assert [s.route for s in picked] == ["new_brief", "question"]
    assert len(judge_subset(samples, 10)) == 3


class PrefixedEmbedder(HashEmbedder):
    """Like e5: passages embed differently from queries."""

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self.embed_queries([f"passage: {t}" for t in texts])


def test_embeddings_use_the_symmetric_query_side() -> None:
    embedder = PrefixedEmbedder()
    embeddings = ragas_embeddings(embedder)
    query = embedder.embed_queries(["장미"])[0].tolist()
    assert embeddings.embed_query("장미") == pytest.approx(query)
    assert embeddings.embed_documents(["장미"])[0] == pytest.approx(query)
