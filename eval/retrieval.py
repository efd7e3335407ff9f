"""Retrieval evaluation on the labeled Korean dev set: ranking metrics, latency and a markdown report.

Each query is searched in the collections its labels come from, as the agent does (materials for a mood
it will build, perfumes for a reference); a hit is any returned id in its ``relevant`` list.
Dense-only, BM25-only and hybrid run on the same searcher so the comparison isolates the fusion.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from eval.latency import Latency
from knowledge.search import HybridSearcher, SearchMode

DEV_SET = Path(__file__).resolve().parent / "data" / "retrieval_dev.jsonl"
CUTOFFS = (1, 5, 10)
QueryKind = Literal["odor", "mood", "season", "perfume", "material_name", "typo", "spacing"]


class DevQuery(BaseModel):
    query: str = Field(min_length=1)
    relevant: list[str] = Field(min_length=1)
    kind: QueryKind


def load_dev_set(path: Path = DEV_SET) -> list[DevQuery]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [DevQuery.model_validate_json(line) for line in lines if line.strip()]


# --- metrics on one ranked list ------------------------------------------------------------
def precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for r in ranked[:k] if r in relevant) / k


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return sum(1 for r in ranked[:k] if r in relevant) / len(relevant)


def hit_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    return float(any(r in relevant for r in ranked[:k]))


def ndcg_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Binary-gain nDCG: every relevant id counts the same, wherever it is in the label list."""
    dcg = sum(1.0 / math.log2(i + 2) for i, r in enumerate(ranked[:k]) if r in relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(relevant))))
    return dcg / ideal


def average_precision_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    hits, total = 0, 0.0
    for i, r in enumerate(ranked[:k], start=1):
        if r in relevant:
            hits += 1
            total += hits / i
    return total / min(k, len(relevant))


def reciprocal_rank(ranked: Sequence[str], relevant: set[str]) -> float:
    return next((1.0 / i for i, r in enumerate(ranked, start=1) if r in relevant), 0.0)


def score_ranking(ranked: Sequence[str], relevant: set[str]) -> dict[str, float]:
    """All metrics of one query (MRR over the whole returned list, i.e. MRR@10)."""
    scores = {"MRR": reciprocal_rank(ranked, relevant)}
    for k in CUTOFFS:
        scores[f"P@{k}"] = precision_at(ranked, relevant, k)
        scores[f"R@{k}"] = recall_at(ranked, relevant, k)
        scores[f"nDCG@{k}"] = ndcg_at(ranked, relevant, k)
        scores[f"MAP@{k}"] = average_precision_at(ranked, relevant, k)
        scores[f"Hit@{k}"] = hit_at(ranked, relevant, k)
    return scores


# --- runner -----------------------------------------------------------------------------------
class ModeReport(BaseModel):
    mode: SearchMode
    metrics: dict[str, float]
    by_kind: dict[str, dict[str, float]]
    misses_at_5: list[str] = Field(default_factory=list, description="queries with no relevant id in the top 5")


class RetrievalReport(BaseModel):
    queries: int
    modes: list[ModeReport]


def _mean(rows: list[dict[str, float]]) -> dict[str, float]:
    return {key: round(statistics.fmean(r[key] for r in rows), 4) for key in rows[0]}


def evaluate(searcher: HybridSearcher, queries: list[DevQuery], modes: Sequence[SearchMode] = tuple(SearchMode)) -> RetrievalReport:
    depth = max(CUTOFFS)
    reports = []
    for mode in modes:
        rows: list[dict[str, float]] = []
        by_kind: dict[str, list[dict[str, float]]] = defaultdict(list)
        misses = []
        for item in queries:
            collections = {searcher.collection_of(i) for i in item.relevant}
            ranked = [r.id for r in searcher.search(item.query, collections=collections, k=depth, mode=mode)]
            row = score_ranking(ranked, set(item.relevant))
            rows.append(row)
            by_kind[item.kind].append(row)
            if not row["Hit@5"]:
                misses.append(item.query)
        reports.append(ModeReport(
            mode=mode, metrics=_mean(rows),
            by_kind={kind: {"n": len(r), **{m: _mean(r)[m] for m in ("Hit@5", "MRR", "nDCG@10")}}
                     for kind, r in sorted(by_kind.items())},
            misses_at_5=misses,
        ))
    return RetrievalReport(queries=len(queries), modes=reports)


class LatencyReport(Latency):
    """Search latency over the dev queries (``n``), and optionally a full index build."""

    build_seconds: float | None = None


def measure_latency(searcher: HybridSearcher, queries: list[str], k: int = 5, warmup: int = 5) -> LatencyReport:
    """Wall time of full hybrid searches (query embedding included), one query at a time."""
    for text in queries[:warmup]:
        searcher.search(text, k=k)
    searcher.forget_queries()
    timings = []
    for text in queries:
        started = time.perf_counter()
        searcher.search(text, k=k)
        timings.append((time.perf_counter() - started) * 1000)
    return LatencyReport(**Latency.of(timings, digits=2).model_dump())


# --- report ---------------------------------------------------------------------------------
METRIC_ORDER = ["Hit@1", "Hit@5", "Hit@10", "MRR", "P@1", "P@5", "P@10", "R@1", "R@5", "R@10",
                "nDCG@1", "nDCG@5", "nDCG@10", "MAP@1", "MAP@5", "MAP@10"]


def render_markdown(report: RetrievalReport) -> str:
    modes = [m.mode.value for m in report.modes]
    lines = [
        "# Retrieval evaluation",
        "",
        f"{report.queries} labeled Korean queries (`eval/data/retrieval_dev.jsonl`), each searched in the "
        "collections its labels come from (materials, accords, perfumes).",
        "",
        "| metric | " + " | ".join(modes) + " |",
        "|---|" + "---:|" * len(modes),
    ]
    for metric in METRIC_ORDER:
        lines.append(f"| {metric} | " + " | ".join(f"{m.metrics[metric]:.3f}" for m in report.modes) + " |")
    for mode in report.modes:
        lines += ["", f"## {mode.mode.value}: by query kind", "", "| kind | n | Hit@5 | MRR | nDCG@10 |",
                  "|---|---:|---:|---:|---:|"]
        lines += [f"| {kind} | {v['n']:.0f} | {v['Hit@5']:.3f} | {v['MRR']:.3f} | {v['nDCG@10']:.3f} |"
                  for kind, v in mode.by_kind.items()]
    hybrid = next((m for m in report.modes if m.mode is SearchMode.hybrid), None)
    if hybrid is not None:
        lines += ["", f"## hybrid misses at 5 ({len(hybrid.misses_at_5)})", ""]
        lines += [f"- {q}" for q in hybrid.misses_at_5] or ["(none)"]
    return "\n".join(lines) + "\n"


def write_report(report: RetrievalReport, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "retrieval.json").write_text(json.dumps(report.model_dump(mode="json"), ensure_ascii=False, indent=1),
                                            encoding="utf-8")
    path = out_dir / "retrieval.md"
    path.write_text(render_markdown(report), encoding="utf-8")
    return path
