"""Reports: figures from the summary, plots on disk, NaNs shown as NaN, comparisons as B − A."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.latency import percentile
from eval.ragas_runner import MetricSummary, RagasRun
from eval.report import (
    RunSummary,
    attach_bench,
    compare_markdown,
    latency_by_route,
    load_summary,
    render_markdown,
    summarise,
    write_run,
)
from eval.transcripts import TurnSample


def _sample(route: str, total_ms: float, score: float | None) -> TurnSample:
    return TurnSample(session="s", source="replay", turn_index=0, route=route, user_input="u", response="r",
                      timings_ms={"total": total_ms}, scores={"chrf_score": score})


def _run(scores: list[tuple[str, float, float | None]]) -> RagasRun:
    samples = [_sample(*row) for row in scores]
    real = [s for _, _, s in scores if s is not None]
    return RagasRun(samples=samples, judged=1, failures={"RagasOutputParserException": 2},
                    metrics={"chrf_score": MetricSummary(n=len(scores), nan=len(scores) - len(real),
                                                         mean=sum(real) / len(real), median=None)},
                    by_route={"question": {"turns": 2.0, "chrf_score": 0.5}, "edit": {"turns": 1.0, "chrf_score": None}})


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == pytest.approx(2.5)
    assert percentile([5.0], 95) == 5.0
    assert percentile([0.0, 10.0], 95) == pytest.approx(9.5)


def test_latency_per_route_and_overall() -> None:
    latency = latency_by_route([_sample("question", 1000, None), _sample("question", 3000, None),
                                _sample("edit", 500, None)])
    assert latency["question"].p50_ms == 2000 and latency["all"].n == 3 and latency["edit"].p95_ms == 500


def test_run_folder_has_summary_samples_plots_and_report(tmp_path: Path) -> None:
    run = _run([("question", 1000, 0.4), ("question", 2000, 0.6), ("edit", 800, None)])
    summary = summarise(run, "latest replay run", 1, {"model": "gemma", "limit": 1})
    report = write_run(tmp_path, summary, run.samples)
    for name in ("summary.json", "samples.jsonl", "distributions.png", "routes.png", "latency.png"):
        assert (tmp_path / name).stat().st_size > 0, name
    text = report.read_text(encoding="utf-8")
    assert "| chrf_score | 0.500 | NaN | 2 | 1 |" in text  # mean, median (none), scored, NaN
    assert "| edit | 1 | NaN |" in text
    assert "RagasOutputParserException" in text and "![latency histogram](latency.png)" in text
    assert len((tmp_path / "samples.jsonl").read_text(encoding="utf-8").splitlines()) == 3
    assert load_summary(tmp_path).judge["judged"] == 1


def test_bench_figures_join_an_existing_run(tmp_path: Path) -> None:
    run = _run([("question", 1000, 0.4)])
    write_run(tmp_path, summarise(run, "all transcripts", 0, {}), run.samples)
    bench = {"chat": {"turns": 2, "total_s": {"n": 2, "p50": 4.0, "p95": 7.0, "mean": 5.0},
                      "first_token_s": None, "without_stream": 2, "errors": 0}}
    attach_bench(tmp_path, bench)
    assert load_summary(tmp_path).bench == bench
    assert "total p50 4.00 s" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_compare_shows_deltas_and_missing_metrics() -> None:
    a = summarise(_run([("question", 1000, 0.4)]), "A", 0, {})
    b = summarise(_run([("question", 3000, 0.7)]), "B", 0, {})
    b.metrics["faithfulness"] = MetricSummary(n=2, nan=2, mean=None, median=None)
    text = compare_markdown(a, b, "base", "tuned")
    assert "| chrf_score | 0.400 | 0.700 | +0.300 | 0 | 0 |" in text
    assert "| faithfulness | NaN | NaN | – | – | 2 |" in text
    assert "| question | 1.00 / 1.00 | 3.00 / 3.00 | +2.00 |" in text
    assert json.loads(a.model_dump_json())["selection"] == "A"


def test_the_report_lists_claims_by_kind_and_the_unsupported_ones(tmp_path: Path) -> None:
    from eval.faithfulness import ClaimTally

    tally = ClaimTally(checked={"position": 3, "material": 5}, unsupported={"position": 1},
                       examples=[{"turn": "t", "kind": "position", "sentence": "탑에서는 바닐라가 열립니다.",
                                  "value": "top", "reason": "바닐라는 베이스"}])
    summary = RunSummary(selection="s", sessions=1, turns=1, edit_conversations=0, metrics={}, by_route={},
                         latency={}, claims=tally)
    text = render_markdown(summary, {})
    assert "| position | 3 | 1 |" in text and "탑에서는 바닐라가 열립니다. — 바닐라는 베이스" in text
