"""`hyanggi eval imports`: the share of hand-written formula lines the importer reads as meant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ui.apps import eval_app

console = Console()


@eval_app.command("imports")
def eval_imports(
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    cases: Annotated[Path | None, typer.Option("--cases", help="YAML set (default eval/data/imports.yaml).")] = None,
) -> None:
    """레시피 가져오기 평가: 손으로 쓴 레시피의 줄을 맞게 읽은 비율 (목표 0.95 이상, 빠뜨린 줄 0)."""
    from eval.import_metrics import DEFAULT_IMPORTS, evaluate, load_cases
    from knowledge.kb import load_knowledge_base

    catalog = load_knowledge_base().catalog
    try:
        loaded = load_cases(cases or DEFAULT_IMPORTS)
    except (OSError, ValueError) as exc:
        console.print(f"[red]평가 세트를 읽을 수 없습니다:[/] {exc}")
        raise typer.Exit(1) from None
    report = evaluate(loaded, catalog)
    if as_json:
        typer.echo(json.dumps(report.summary(), ensure_ascii=False))
        return
    console.print(f"레시피 {report.cases}개, 줄 {report.lines}개: 맞게 읽음 {report.correct} ({report.share:.1%}), "
                  f"빠뜨린 줄 {report.dropped}, 확인 요청 {report.confirmed}", markup=False)
    for miss in report.misses:
        console.print(f"- {miss.case} {miss.line_no}행 '{miss.text}': 기대 {miss.expected} / 읽음 {miss.read}", markup=False)
    for error in report.errors:
        console.print(f"- 오류 {error}", markup=False)
