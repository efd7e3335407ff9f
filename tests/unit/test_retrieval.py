"""Ranking metrics by hand, and the dev set's labels resolve against the real knowledge base."""

from __future__ import annotations

import math

import pytest

from eval.retrieval import (
    DEV_SET,
    ModeReport,
    RetrievalReport,
    average_precision_at,
    hit_at,
    load_dev_set,
    ndcg_at,
    precision_at,
    recall_at,
    reciprocal_rank,
    render_markdown,
    score_ranking,
)
from knowledge.kb import load_knowledge_base
from knowledge.search import SearchMode

RANKED = ["a", "x", "b", "y", "z"]
RELEVANT = {"a", "b", "c"}


def test_precision_recall_hit() -> None:
    assert precision_at(RANKED, RELEVANT, 1) == 1.0
    assert precision_at(RANKED, RELEVANT, 5) == 2 / 5
    assert recall_at(RANKED, RELEVANT, 5) == 2 / 3
    assert hit_at(["x", "y"], RELEVANT, 2) == 0.0 and hit_at(RANKED, RELEVANT, 1) == 1.0


def test_ndcg_uses_binary_gains_and_the_ideal_order() -> None:
    dcg = 1 + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(RANKED, RELEVANT, 5) == pytest.approx(dcg / ideal)
    assert ndcg_at(["a", "b", "c"], RELEVANT, 3) == pytest.approx(1.0)


def test_average_precision_and_reciprocal_rank() -> None:
    assert average_precision_at(RANKED, RELEVANT, 5) == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert average_precision_at(RANKED, {"b"}, 5) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "y", "b"], RELEVANT) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x"], RELEVANT) == 0.0


def test_score_ranking_reports_every_cutoff() -> None:
    scores = score_ranking(RANKED, RELEVANT)
    assert {"MRR", "P@1", "R@10", "nDCG@5", "MAP@10", "Hit@10"} <= set(scores)


def test_markdown_report_has_a_column_per_mode() -> None:
    metrics = score_ranking(RANKED, RELEVANT)
    report = RetrievalReport(queries=1, modes=[
        ModeReport(mode=SearchMode.dense, metrics=metrics, by_kind={}),
        ModeReport(mode=SearchMode.hybrid, metrics=metrics, by_kind={"odor": {"n": 1, "Hit@5": 1, "MRR": 1,
                                                                              "nDCG@10": 1}}),
    ])
    text = render_markdown(report)
    assert "| metric | dense | hybrid |" in text and "| odor | 1 | 1.000 |" in text


def test_dev_set_is_large_varied_and_resolves() -> None:
    queries = load_dev_set(DEV_SET)
    assert len(queries) >= 150
    assert {q.kind for q in queries} == {"odor", "mood", "season", "perfume", "material_name", "typo", "spacing"}
    assert len({q.query for q in queries}) == len(queries), "duplicate queries"
    kb = load_knowledge_base()
    known = set(kb.materials) | set(kb.accords) | set(kb.perfumes)
    unresolved = sorted({i for q in queries for i in q.relevant} - known)
    assert not unresolved, f"relevant ids not in the knowledge base: {unresolved}"
