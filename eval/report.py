"""One folder per evaluation run: ``summary.json`` (the figures), ``samples.jsonl`` (every scored turn),
PNG plots and ``report.md`` that ties them together; plus the comparison of two such folders.

Plots use matplotlib's Agg backend (files only, no display). Figures come only from the summary, so a
report can be re-rendered or compared long after the run.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from eval.faithfulness import ClaimTally
from eval.latency import Latency
from eval.ragas_runner import MetricSummary, RagasRun
from eval.transcripts import TurnSample

REPORTS_DIR = Path(__file__).resolve().parent / "reports"
SUMMARY = "summary.json"
PLOTS = {"distributions": "distributions.png", "routes": "routes.png", "latency": "latency.png"}


class RunSummary(BaseModel):
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    selection: str = Field(description="which transcripts were evaluated")
    sessions: int
    turns: int
    edit_conversations: int = Field(description="sessions exported as multi-turn samples")
    metrics: dict[str, MetricSummary]
    by_route: dict[str, dict[str, float | None]]
    latency: dict[str, Latency] = Field(description="total turn time per route, and 'all'")
    judge: dict[str, Any] = Field(default_factory=dict)
    claims: ClaimTally | None = Field(default=None, description="domain faithfulness: claims by kind, unsupported")
    bench: dict[str, Any] | None = None


def default_out_dir() -> Path:
    return REPORTS_DIR / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")


def latency_by_route(samples: Iterable[TurnSample]) -> dict[str, Latency]:
    groups: dict[str, list[float]] = {}
    for sample in samples:
        if "total" in sample.timings_ms:
            groups.setdefault(sample.route, []).append(sample.timings_ms["total"])
            groups.setdefault("all", []).append(sample.timings_ms["total"])
    return {route: Latency.of(v) for route, v in sorted(groups.items())}


def summarise(run: RagasRun, selection: str, edit_conversations: int, judge: dict[str, Any]) -> RunSummary:
    return RunSummary(selection=selection, sessions=len({s.session for s in run.samples}), turns=len(run.samples),
                      edit_conversations=edit_conversations, metrics=run.metrics, by_route=run.by_route,
                      latency=latency_by_route(run.samples),
                      judge={**judge, "judged": run.judged, "failures": run.failures}, claims=run.claims)


# --- plots ---------------------------------------------------------------------------------------
def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def plot_distributions(samples: Sequence[TurnSample], names: Sequence[str], path: Path) -> Path | None:
    names = [n for n in names if any(s.scores.get(n) is not None for s in samples)]
    if not names:
        return None
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        values = [v for s in samples if (v := s.scores.get(name)) is not None]
        axis.hist(values, bins=10, range=(0, 1), color="#7a5c99")
        axis.set_title(name, fontsize=8)
        axis.set_xlabel("score", fontsize=8)
    axes[0][0].set_ylabel("turns")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_routes(by_route: dict[str, dict[str, float | None]], names: Sequence[str], path: Path) -> Path | None:
    routes = list(by_route)
    names = [n for n in names if any(by_route[r].get(n) is not None for r in routes)]
    if not routes or not names:
        return None
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(max(6.0, 1.3 * len(names) * len(routes) / 2), 3.4))
    width = 0.8 / len(routes)
    for i, route in enumerate(routes):
        heights = [by_route[route].get(n) or 0.0 for n in names]
        axis.bar([j + i * width for j in range(len(names))], heights, width, label=route)
    axis.set_xticks([j + 0.4 - width / 2 for j in range(len(names))], names, rotation=25, ha="right", fontsize=7)
    axis.set_ylim(0, 1)
    axis.set_ylabel("mean score")
    axis.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def plot_latency(samples: Sequence[TurnSample], path: Path) -> Path | None:
    totals = [s.timings_ms["total"] / 1000 for s in samples if "total" in s.timings_ms]
    if not totals:
        return None
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(5, 2.8))
    axis.hist(totals, bins=20, color="#c98b5a")
    axis.set_xlabel("turn total (s)")
    axis.set_ylabel("turns")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


# --- markdown ------------------------------------------------------------------------------------
def _fmt(value: float | None, digits: int = 3) -> str:
    return "NaN" if value is None else f"{value:.{digits}f}"


def _claims_markdown(tally: ClaimTally, shown: int = 20) -> list[str]:
    """Domain faithfulness by claim kind, and the unsupported claims themselves."""
    lines = ["", "## Claims checked (domain faithfulness)", "", "| kind | checked | unsupported |", "|---|---:|---:|"]
    lines += [f"| {kind} | {n} | {tally.unsupported.get(kind, 0)} |" for kind, n in sorted(tally.checked.items())]
    if tally.examples:
        lines += ["", f"Unsupported ({len(tally.examples)}; first {min(shown, len(tally.examples))}):", ""]
        lines += [f"- [{e['kind']}] {e['sentence']} — {e['reason']}" for e in tally.examples[:shown]]
    return lines


def render_markdown(summary: RunSummary, plots: dict[str, str]) -> str:
    names = list(summary.metrics)
    lines = [
        "# Hyanggi evaluation run", "",
        f"- created: {summary.created}", f"- transcripts: {summary.selection}",
        f"- {summary.sessions} sessions, {summary.turns} turns, {summary.edit_conversations} edit conversations "
        "(exported as multi-turn samples)", "",
        "## Metrics", "",
        "| metric | mean | median | scored | NaN |", "|---|---:|---:|---:|---:|",
    ]
    lines += [f"| {name} | {_fmt(m.mean)} | {_fmt(m.median)} | {m.n - m.nan} | {m.nan} |"
              for name, m in summary.metrics.items()]
    if summary.judge:
        judge = summary.judge
        lines += ["", f"Judge: {judge.get('model', 'none')}, {judge.get('judged', 0)} turns judged "
                      f"(limit {judge.get('limit', 0)}); failed metric calls by type: "
                      f"{json.dumps(judge.get('failures', {}), ensure_ascii=False) or '{}'}."]
    if summary.claims is not None:
        lines += _claims_markdown(summary.claims)
    if "distributions" in plots:
        lines += ["", f"![metric distributions]({plots['distributions']})"]
    lines += ["", "## By route", "", "| route | turns | " + " | ".join(names) + " |",
              "|---|---:|" + "---:|" * len(names)]
    for route, row in summary.by_route.items():
        lines.append(f"| {route} | {row.get('turns', 0):.0f} | " + " | ".join(_fmt(row.get(n)) for n in names) + " |")
    if "routes" in plots:
        lines += ["", f"![per-route scores]({plots['routes']})"]
    lines += ["", "## Latency (turn total)", "", "| route | turns | p50 (s) | p95 (s) |", "|---|---:|---:|---:|"]
    lines += [f"| {route} | {lat.n} | {lat.p50_ms / 1000:.2f} | {lat.p95_ms / 1000:.2f} |"
              for route, lat in summary.latency.items()]
    if "latency" in plots:
        lines += ["", f"![latency histogram]({plots['latency']})"]
    if summary.bench:
        from eval.bench import BenchReport

        lines += ["", BenchReport.model_validate(summary.bench).markdown()]
    return "\n".join(lines) + "\n"


def write_run(out_dir: Path, summary: RunSummary, samples: Sequence[TurnSample]) -> Path:
    """Write summary, samples, plots and report.md; returns the report's path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / SUMMARY).write_text(summary.model_dump_json(indent=1), encoding="utf-8")
    with (out_dir / "samples.jsonl").open("w", encoding="utf-8") as handle:
        for sample in samples:
            handle.write(sample.model_dump_json() + "\n")
    names = list(summary.metrics)
    made = {
        "distributions": plot_distributions(samples, names, out_dir / PLOTS["distributions"]),
        "routes": plot_routes(summary.by_route, names, out_dir / PLOTS["routes"]),
        "latency": plot_latency(samples, out_dir / PLOTS["latency"]),
    }
    plots = {key: path.name for key, path in made.items() if path is not None}
    report = out_dir / "report.md"
    report.write_text(render_markdown(summary, plots), encoding="utf-8")
    return report


def attach_bench(run_dir: Path, bench: dict[str, Any]) -> Path:
    """Add benchmark figures to an existing run: its summary and report.md (plots already on disk)."""
    summary = load_summary(run_dir)
    summary.bench = bench
    (run_dir / SUMMARY).write_text(summary.model_dump_json(indent=1), encoding="utf-8")
    plots = {key: name for key, name in PLOTS.items() if (run_dir / name).is_file()}
    report = run_dir / "report.md"
    report.write_text(render_markdown(summary, plots), encoding="utf-8")
    return report


# --- comparison ----------------------------------------------------------------------------------
def load_summary(run_dir: Path) -> RunSummary:
    path = run_dir / SUMMARY if run_dir.is_dir() else run_dir
    return RunSummary.model_validate_json(path.read_text(encoding="utf-8"))


def _delta(a: float | None, b: float | None, digits: int = 3) -> str:
    return "–" if a is None or b is None else f"{b - a:+.{digits}f}"


def _p50_p95(latency: Latency | None) -> str:
    return f"{latency.p50_ms / 1000:.2f} / {latency.p95_ms / 1000:.2f}" if latency else "–"


def compare_markdown(a: RunSummary, b: RunSummary, name_a: str, name_b: str) -> str:
    """Side-by-side figures of two runs, B − A; a metric or route missing on one side shows NaN / –."""
    lines = [f"# Comparison: A = {name_a}, B = {name_b}", "",
             f"A: {a.turns} turns ({a.selection}); B: {b.turns} turns ({b.selection})", "",
             "| metric | A | B | Δ (B − A) | NaN A | NaN B |", "|---|---:|---:|---:|---:|---:|"]
    for name in dict.fromkeys([*a.metrics, *b.metrics]):
        ma, mb = a.metrics.get(name), b.metrics.get(name)
        mean_a, mean_b = ma.mean if ma else None, mb.mean if mb else None
        lines.append(f"| {name} | {_fmt(mean_a)} | {_fmt(mean_b)} | {_delta(mean_a, mean_b)} | "
                     f"{ma.nan if ma else '–'} | {mb.nan if mb else '–'} |")
    lines += ["", "| latency p50 / p95 (s) | A | B | Δ p50 |", "|---|---:|---:|---:|"]
    for route in dict.fromkeys([*a.latency, *b.latency]):
        la, lb = a.latency.get(route), b.latency.get(route)
        delta = _delta(la.p50_ms / 1000 if la else None, lb.p50_ms / 1000 if lb else None, 2)
        lines.append(f"| {route} | {_p50_p95(la)} | {_p50_p95(lb)} | {delta} |")
    return "\n".join(lines) + "\n"
