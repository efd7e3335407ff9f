"""`hyanggi eval retrieval` (ranking quality on the dev set) and `hyanggi bench retrieval` (latency, build time)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import bench_app, eval_app

console = Console()
errors = Console(stderr=True)

HEADLINE = ["Hit@1", "Hit@5", "Hit@10", "MRR", "P@5", "R@5", "nDCG@5", "nDCG@10", "MAP@10"]


def _open_searcher():  # noqa: ANN202 - the type lives behind a lazy import
    from hyanggi.settings import get_settings
    from knowledge.search import get_searcher

    return get_searcher(get_settings())


@eval_app.command("retrieval")
def eval_retrieval(
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력.")] = False,
    out: Annotated[Path, typer.Option("--out", help="보고서 폴더 (report folder).")] = Path("eval/reports"),
) -> None:
    """검색 평가: dense / BM25 / hybrid 의 P, R, nDCG, MAP, MRR, Hit @1/5/10."""
    from eval.retrieval import evaluate, load_dev_set, write_report

    searcher = _open_searcher()
    report = evaluate(searcher, load_dev_set())
    path = write_report(report, out)
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return
    table = Table(title=f"retrieval ({report.queries} queries)", title_justify="left")
    table.add_column("metric")
    for mode in report.modes:
        table.add_column(mode.mode.value, justify="right")
    for metric in HEADLINE:
        table.add_row(metric, *(f"{m.metrics[metric]:.3f}" for m in report.modes))
    console.print(table)
    console.print(f"보고서 (report): {path}")


@bench_app.command("retrieval")
def bench_retrieval(
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력.")] = False,
    build: Annotated[bool, typer.Option("--build/--no-build", help="전체 인덱스 빌드 시간도 잰다 (time a full build).")] = True,
) -> None:
    """검색 지연 p50/p95 (임베딩 포함) 과 전체 인덱스 빌드 시간 (query latency and full index build time)."""
    from eval.retrieval import load_dev_set, measure_latency
    from hyanggi.settings import get_settings
    from knowledge.index import build_index

    searcher = _open_searcher()
    report = measure_latency(searcher, [q.query for q in load_dev_set()])
    if build:
        settings = get_settings()
        with tempfile.TemporaryDirectory() as tmp:
            scratch = settings.model_copy(update={"data_dir": Path(tmp), "embedder_model": settings.embedder_name_or_path})
            built = build_index(scratch, progress=False, force=True, embedder=searcher.embedder)
        report.build_seconds = built.manifest.build_seconds
    if as_json:
        typer.echo(report.model_dump_json())
        return
    build_note = f", full index build {report.build_seconds:.1f} s" if report.build_seconds is not None else ""
    console.print(f"retrieval latency over {report.n} queries: p50 {report.p50_ms:.1f} ms, "
                  f"p95 {report.p95_ms:.1f} ms, mean {report.mean_ms:.1f} ms{build_note}")
