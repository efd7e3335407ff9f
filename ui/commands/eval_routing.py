"""`hyanggi eval routing`: how each message is read — route accuracy, confusion and edit operations on the
labelled set (eval/data/routing.yaml). The evaluation lives in eval/routing.py; this only prints it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import eval_app

console = Console()
ROUTE_TARGET = 0.97


@eval_app.command("routing")
def eval_routing(
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력.")] = False,
    path: Annotated[Path | None, typer.Option("--set", help="YAML set (default eval/data/routing.yaml).")] = None,
) -> None:
    """메시지 해석 평가: 경로 정확도, 혼동표, 수정 연산 일치율 (route accuracy, confusion, edit-op exact match)."""
    from eval.routing import ROUTING_SET, evaluate_routing
    from knowledge.kb import load_knowledge_base

    try:
        report = evaluate_routing(load_knowledge_base(), path or ROUTING_SET)
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"[red]평가 세트를 읽을 수 없어요 ({path or ROUTING_SET}):[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report.model_dump(), ensure_ascii=False))
        return
    console.print(f"routing: {report.messages} messages · route accuracy [bold]{report.route_accuracy:.3f}[/] "
                  f"(target ≥ {ROUTE_TARGET}; {', '.join(f'{k} {v:.3f}' for k, v in report.by_split.items())}) · edit ops exact {report.edit_exact:.3f} on {report.edits} edits · "
                  f"small talk/off-topic given a formula: {report.formula_from_non_design} · product read right "
                  f"{report.product_exact:.3f} on {report.briefs_with_product} briefs for a product")
    routes = sorted({r for row in report.confusion.values() for r in row} | set(report.confusion))
    table = Table(title="expected (rows) → routed (columns)", title_justify="left")
    table.add_column("")
    for route in routes:
        table.add_column(route, justify="right")
    for expected, row in report.confusion.items():
        table.add_row(expected, *(str(row.get(r, "")) for r in routes))
    console.print(table)
    for miss in report.misses:
        console.print(f"틀림 (miss, {miss.split}) [{miss.context or '-'}] {miss.text!r}: expected {miss.expected}, got {miss.got}",
                      markup=False, highlight=False)
