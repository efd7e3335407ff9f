"""ragas over our samples, with our embedder and (optionally) a judge — never a remote model unless named.

ragas builds an OpenAI client for any metric left without an LLM or embeddings, so both are passed
explicitly to every ``evaluate`` call and set on every metric; a metric that needs neither gets neither.
Two runs share the samples:
- reference-based, no LLM: id precision/recall, string-overlap context precision, chrF (sacrebleu,
  character n-grams — ROUGE drops Hangul), semantic similarity with our e5 embedder;
- judged (a configurable subset): faithfulness and response relevancy — by the local cross-encoder judge
  (``eval.judge_metrics``: ragas' metrics with deterministic statements and its verdicts), or, when
  ``HYANGGI_JUDGE_URL`` names a server, by ragas' own prompts to that chat model.
A score ragas could not compute (a judge that wrote no parsable JSON, a turn without retrieval) is NaN;
NaNs are counted per metric and reported, never averaged in or dropped silently.

The metric classes used are ragas' ``Metric`` family (``ragas.metrics``), the one ``evaluate`` runs and
the one that accepts a LangChain model; ragas 0.4 marks them deprecated in favour of ``collections``
metrics, which accept only instructor/OpenAI-style clients.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from pydantic import BaseModel, Field

from eval.faithfulness import ClaimTally
from eval.judge import JUDGE_TIMEOUT_S, CrossEncoderJudge
from eval.judge_metrics import judged_metrics, timed_faithfulness
from eval.transcripts import TurnSample

if TYPE_CHECKING:
    from langchain_core.language_models import BaseLanguageModel
    from ragas.embeddings.base import BaseRagasEmbeddings

    from agent.replies.claims import ClaimChecker

class TextEmbedder(Protocol):
    def embed_queries(self, texts: list[str]) -> np.ndarray: ...


def ragas_embeddings(embedder: TextEmbedder) -> BaseRagasEmbeddings:
    """Our embedder as ragas embeddings.

    Both sides get e5's ``query:`` prefix: every comparison ragas makes here (answer vs reference,
    question vs generated question) is symmetric, which is how e5 asks to be used for such pairs.
    """
    from ragas.embeddings.base import BaseRagasEmbeddings
    from ragas.run_config import RunConfig

    class _Embeddings(BaseRagasEmbeddings):
        def __init__(self) -> None:
            super().__init__()
            self.set_run_config(RunConfig())

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed_queries([text])[0].tolist()

        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed_queries(list(texts)).tolist()

        async def aembed_query(self, text: str) -> list[float]:
            return await asyncio.to_thread(self.embed_query, text)

        async def aembed_documents(self, texts: list[str]) -> list[list[float]]:
            return await asyncio.to_thread(self.embed_documents, texts)

    return _Embeddings()


class MetricSummary(BaseModel):
    n: int = Field(description="samples scored, NaNs included")
    nan: int = Field(description="samples ragas could not score (judge parse failure, nothing retrieved, …)")
    mean: float | None
    median: float | None


class RagasRun(BaseModel):
    samples: list[TurnSample]
    metrics: dict[str, MetricSummary]
    by_route: dict[str, dict[str, float | None]]
    judged: int
    failures: dict[str, int] = Field(default_factory=dict, description="metric calls that raised, by exception type")
    claims: ClaimTally | None = Field(default=None, description="domain faithfulness: claims by kind, unsupported ones")
    judge_wall_s: float = Field(default=0.0, description="wall time of the judged metrics over all judged turns")
    judge_seconds: list[float] = Field(default_factory=list,
                                       description="cross-encoder judge: seconds of verdicts per judged turn")
    judge_unsupported: list[dict[str, Any]] = Field(default_factory=list,
                                                    description="cross-encoder judge: statements judged unsupported")


def _reference_metrics() -> list[Any]:
    from ragas.metrics import (
        ChrfScore,
        IDBasedContextPrecision,
        IDBasedContextRecall,
        NonLLMContextPrecisionWithReference,
        SemanticSimilarity,
    )

    return [IDBasedContextPrecision(), IDBasedContextRecall(), NonLLMContextPrecisionWithReference(), ChrfScore(),
            SemanticSimilarity()]


def _judge_metrics(judge: Any, strictness: int, sentences: Callable[[str], list[str]] | None) -> list[Any]:
    """The cross-encoder's metrics (``eval.judge_metrics``), or ragas' own for a chat model judge."""
    if isinstance(judge, CrossEncoderJudge):
        if sentences is None:
            raise ValueError("the cross-encoder judge needs a sentence splitter (the claim checker's)")
        return judged_metrics(judge, sentences, strictness)
    from ragas.metrics import Faithfulness, ResponseRelevancy

    return [Faithfulness(), ResponseRelevancy(strictness=strictness)]


def _evaluate(samples: Sequence[TurnSample], metrics: list[Any], judged: bool, llm: Any, embeddings: Any,
              timeout_s: int) -> list[dict[str, Any]]:
    from ragas import evaluate
    from ragas.metrics.base import MetricWithEmbeddings, MetricWithLLM
    from ragas.run_config import RunConfig

    from eval.transcripts import single_turn_dataset

    for metric in metrics:  # set explicitly, so evaluate never has a gap to fill with a default client
        if isinstance(metric, MetricWithLLM):
            metric.llm = llm
        if isinstance(metric, MetricWithEmbeddings):
            metric.embeddings = embeddings
    config = RunConfig(timeout=timeout_s, max_retries=1, max_workers=1, seed=42)
    result = evaluate(single_turn_dataset(samples, judged=judged), metrics=metrics, llm=llm, embeddings=embeddings,
                      run_config=config, raise_exceptions=False, show_progress=False)
    return result.scores


def _score(samples: Sequence[TurnSample], metrics: list[Any], judged: bool, llm: Any, embeddings: Any,
           timeout_s: int) -> list[str]:
    """Evaluate and write each sample's scores; returns the metric names."""
    for sample, scores in zip(samples, _evaluate(samples, metrics, judged, llm, embeddings, timeout_s), strict=True):
        sample.scores.update({name: _clean(value) for name, value in scores.items()})
    return [m.name for m in metrics]


def _summary(values: list[float | None]) -> MetricSummary:
    real = [v for v in values if v is not None]
    return MetricSummary(n=len(values), nan=len(values) - len(real),
                         mean=round(float(np.mean(real)), 4) if real else None,
                         median=round(float(np.median(real)), 4) if real else None)


def _clean(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


class _Failures(logging.Handler):
    """Counts, by exception type, the metric calls ragas' executor turned into NaN (it logs each one)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.counts: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("Exception raised in Job") and isinstance(record.args, tuple):
            self.counts[str(record.args[1])] += 1


def run_ragas(samples: list[TurnSample], embedder: TextEmbedder, judge: BaseLanguageModel | CrossEncoderJudge | None = None,
              judge_limit: int = 3, strictness: int = 1, timeout_s: int = JUDGE_TIMEOUT_S,
              checker: ClaimChecker | None = None) -> RagasRun:
    """Score ``samples`` in place (``sample.scores``) and summarise per metric and per route.

    Reference metrics run on every sample with a curated reference; domain faithfulness (no LLM, when a
    ``checker`` is given) on every sample with a reply; the judge, when given, on the first ``judge_limit``
    samples that have a reply and something retrieved or quoted. The cross-encoder judge cuts replies into
    statements with the checker's sentence splitter.
    """
    domain = None
    os.environ["RAGAS_DO_NOT_TRACK"] = "true"  # forced, not defaulted: nothing leaves the machine
    failures = _Failures()
    executor_log = logging.getLogger("ragas.executor")
    executor_log.addHandler(failures)
    names: list[str] = []
    judged: list[TurnSample] = []
    judge_metrics: list[Any] = []
    judge_wall = 0.0
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # see the module docstring
            from ragas.llms import LangchainLLMWrapper

            embeddings = ragas_embeddings(embedder)
            llm = judge if isinstance(judge, CrossEncoderJudge) or judge is None else LangchainLLMWrapper(judge)
            referenced = [s for s in samples if s.has_reference]
            if referenced:
                names += _score(referenced, _reference_metrics(), False, llm, embeddings, timeout_s)
            replied = [s for s in samples if s.response.strip()]
            if checker is not None and replied:
                from eval.contexts import recipe_key
                from eval.faithfulness import domain_faithfulness

                domain = domain_faithfulness(checker, {recipe_key(s.recipe): s.recipe for s in replied if s.recipe})
                names += _score(replied, [domain], True, None, embeddings, timeout_s)
            if llm is not None and judge_limit > 0:
                judged = judge_subset(samples, judge_limit)
                if judged:
                    judge_metrics = _judge_metrics(judge, strictness, checker.sentences if checker else None)
                    started = time.perf_counter()
                    names += _score(judged, judge_metrics, True, llm, embeddings, timeout_s)
                    judge_wall = time.perf_counter() - started
    finally:
        executor_log.removeHandler(failures)
    metrics_summary = {name: _summary([s.scores[name] for s in samples if name in s.scores]) for name in names}
    timed = timed_faithfulness(judge_metrics) if judge_metrics else None
    return RagasRun(samples=samples, metrics=metrics_summary, by_route=by_route(samples, names), judged=len(judged),
                    failures=dict(failures.counts), claims=domain.tally if domain is not None else None,
                    judge_wall_s=round(judge_wall, 2), judge_seconds=[round(t, 3) for t in timed.seconds] if timed else [],
                    judge_unsupported=timed.unsupported if timed else [])


def judge_subset(samples: Sequence[TurnSample], limit: int) -> list[TurnSample]:
    """Up to ``limit`` judgeable samples, taken in turn from each route so one route cannot fill the budget."""
    queues: dict[str, list[TurnSample]] = {}
    for sample in samples:
        if sample.response.strip() and (sample.retrieved_ids or sample.grounding_ids):
            queues.setdefault(sample.route, []).append(sample)
    picked: list[TurnSample] = []
    while len(picked) < limit and any(queues.values()):
        for queue in queues.values():
            if queue and len(picked) < limit:
                picked.append(queue.pop(0))
    return picked


def by_route(samples: Sequence[TurnSample], names: Sequence[str]) -> dict[str, dict[str, float | None]]:
    """Mean of each metric per route (NaNs left out), plus the number of turns of the route."""
    table: dict[str, dict[str, float | None]] = {}
    for route in sorted({s.route for s in samples}):
        rows = [s for s in samples if s.route == route]
        table[route] = {"turns": float(len(rows))}
        for name in names:
            values = [v for s in rows if (v := s.scores.get(name)) is not None]
            table[route][name] = round(float(np.mean(values)), 4) if values else None
    return table
