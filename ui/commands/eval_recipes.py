"""`hyanggi eval recipes`: the composer on the dev briefs, with the critic's figures (markdown + JSON)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ui.apps import eval_app

console = Console()


@eval_app.command("recipes")
def eval_recipes(
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON instead of markdown."),
    out: Annotated[Path | None, typer.Option("--out", help="Folder for recipes.md / recipes.json (default <data_dir>/eval).")] = None,
    variants: int = typer.Option(3, "--variants", min=1, max=10, help="Formulas per brief."),
    seed: int = typer.Option(0, "--seed"),
    briefs: Annotated[Path | None, typer.Option("--briefs", help="YAML dev set (default eval/data/briefs.yaml).")] = None,
    own_tags: bool = typer.Option(False, "--own-tags", help="Judge fidelity by the KB's own tags, not the public "
                                  "reference (eval/data/odor_reference)."),
    formulas: Annotated[Path | None, typer.Option("--formulas", help="Judge the formulas of an earlier run's "
                                                  "recipes.json instead of composing (before/after).")] = None,
) -> None:
    """조향 평가: 개발용 브리프 세트로 조합기 결과를 채점 (composer on the dev briefs)."""
    from eval.odor_reference import OdorReferenceError, load_judge
    from eval.recipe_metrics import DEFAULT_BRIEFS, evaluate, load_cases, load_formulas, to_markdown
    from hyanggi.settings import get_settings
    from knowledge.kb import load_knowledge_base

    kb = load_knowledge_base()
    catalog = kb.catalog
    try:
        judge = None if own_tags else load_judge({k: d.family.value for k, d in kb.descriptors.items()})
    except OdorReferenceError as exc:
        console.print(f"[red]냄새 기준 자료를 읽을 수 없습니다:[/] {exc}")
        raise typer.Exit(1) from None
    try:
        cases = load_cases(briefs or DEFAULT_BRIEFS)
        given = load_formulas(formulas) if formulas else None
    except (OSError, ValueError, KeyError) as exc:
        console.print(f"[red]브리프·포뮬러 파일을 읽을 수 없습니다:[/] {exc}")
        raise typer.Exit(1) from None
    if given is not None and (missing := [c.id for c in cases if c.id not in given]):
        console.print(f"[red]포뮬러 파일에 없는 브리프:[/] {', '.join(missing)}")
        raise typer.Exit(1)
    report = evaluate(cases, catalog, variants=variants, seed=seed, judge=judge, formulas=given)
    folder = out or get_settings().data_dir / "eval"
    folder.mkdir(parents=True, exist_ok=True)
    markdown = to_markdown(report)
    (folder / "recipes.md").write_text(markdown, encoding="utf-8")
    (folder / "recipes.json").write_text(report.model_dump_json(indent=2), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.summary(), ensure_ascii=False))
    else:
        console.print(markdown, markup=False, highlight=False)
        console.print(f"저장: {folder / 'recipes.md'}, {folder / 'recipes.json'}")
