"""`hyanggi eval edits`: whether an edit changes what was asked, and nothing silently — on the labelled edits
of eval/data/edits.yaml. The evaluation lives in eval/edit_metrics.py; this only prints it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import eval_app

console = Console()


@eval_app.command("edits")
def eval_edits(
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력 (misses 포함).")] = False,
    path: Annotated[Path | None, typer.Option("--set", help="YAML set (default eval/data/edits.yaml).")] = None,
) -> None:
    """수정 평가: 엉뚱한 재료 변경·말없이 바뀐 줄(목표 0), 손대지 않은 줄의 최대 이동, 요청대로 적용된 비율."""
    from eval.edit_metrics import EDIT_SET, evaluate_edits
    from knowledge.kb import load_knowledge_base

    try:
        report = evaluate_edits(load_knowledge_base(), path=path or EDIT_SET)
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"[red]평가 세트를 읽을 수 없어요 ({path or EDIT_SET}):[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report.model_dump(), ensure_ascii=False))
        return
    console.print(
        f"edits: {report.cases} labelled edits on {report.formulas} formulas · applied as asked "
        f"[bold]{report.applied_as_asked:.3f}[/] · wrong-material changes [bold]{report.wrong_material_changes}[/] "
        f"(target 0; in {report.wrong_material_cases} edits) · silent changes [bold]{report.silent_changes}[/] "
        f"(target 0; unnamed {report.silent_unnamed}, without a reason {report.silent_unexplained}) · carriers "
        f"added with a reason {report.carriers_added} · largest untouched-line move {report.largest_untouched_move:g} "
        f"points ({report.largest_total_move:g} where no limit was stated; from their common ratio "
        f"{report.largest_ratio_deviation:g}, mean {report.mean_ratio_deviation:g}) "
        f"· absent material offered {report.absent_offered:.3f}", highlight=False)
    table = Table(title="by kind", title_justify="left")
    for column in ("kind", "edits", "applied", "silent", "wrong material"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, row in report.by_kind.items():
        table.add_row(kind, str(row.cases), f"{row.applied:.3f}", str(row.silent), str(row.wrong_material))
    console.print(table)
    for miss in report.misses:
        problems = [*miss.failed, *(f"wrong material {m}" for m in miss.wrong_material),
                    *(f"unnamed {m}" for m in miss.silent_unnamed), *(f"no reason {m}" for m in miss.silent_unexplained)]
        console.print(f"틀림 (miss) [{miss.formula}] {miss.text!r}: {', '.join(problems)}", markup=False,
                      highlight=False)
