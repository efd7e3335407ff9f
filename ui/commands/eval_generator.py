"""`hyanggi eval generator`: base vs fine-tuned generator vs composer on the dev briefs."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import eval_app
from ui.progress import progress

console = Console(stderr=True)

TABLE_KEYS = ("valid_rate", "candidate_adherence", "brief_fit", "score", "headline_perceptible", "tokens_per_s",
              "proposal_s",
              "narration_p50_s", "first_token_p50_s", "hangul_share", "repetition_rate")


@eval_app.command("generator")
def eval_generator(
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력: {base, finetuned, composer}.")] = False,
    limit: Annotated[int, typer.Option(help="앞에서부터 이 수의 dev 요청만 (0 = 전부).")] = 0,
    n: Annotated[int, typer.Option(help="요청마다 제안 수.")] = 1,
    systems: Annotated[str, typer.Option(help="평가할 시스템 (쉼표로 구분).")] = "base,finetuned,composer",
    card: Annotated[bool, typer.Option("--card", help="결과를 finetune/adapters/MODEL_CARD.md 평가 절에 기록.")] = False,
    reorder: Annotated[bool, typer.Option(
        "--reorder", help="같은 후보를 다른 순서로 한 번 더 제안: 이름을 읽는지 번호를 읽는지 (요청마다 제안 1회 추가).")] = False,
) -> None:
    """생성기 평가: 형식 유효율 (번호:비율 한 줄), 후보 준수율, 브리프 적합도, 점수, 한국어 지표, 지연 시간."""
    from agent.generators import generator_parts, make_generator
    from eval.composer_reference import ComposerReference
    from eval.generator_eval import card_section, evaluate_system, load_dev_cases, versus, write_card_section
    from finetune.registry import sha256_file
    from hyanggi.settings import GeneratorBackend, get_settings
    from knowledge.kb import load_knowledge_base

    # Calls one at a time: one context with every thread (the chat's pool splits them).
    settings = get_settings().model_copy(update={"generator_backend": GeneratorBackend.llama_cpp,
                                                 "generator_contexts": 1})
    kb = load_knowledge_base()
    cases = load_dev_cases(limit or None)
    wanted = [s.strip() for s in systems.split(",") if s.strip()]
    unknown = set(wanted) - {"base", "finetuned", "composer"}
    if unknown:
        console.print(f"[red]알 수 없는 시스템: {', '.join(sorted(unknown))}[/]")
        raise typer.Exit(2)
    if "finetuned" in wanted and not settings.adapter_gguf_path.is_file():
        console.print(f"[red]LoRA 어댑터가 없습니다: {settings.adapter_gguf_path}[/]")
        raise typer.Exit(1)
    reports = {}
    for name in wanted:
        if name == "composer":
            generator = ComposerReference(*generator_parts(settings, kb))
        else:
            generator = make_generator(settings, kb, use_adapter=name == "finetuned")
        with progress(f"{name}: {len(cases)} briefs × {n}", len(cases)) as advance:
            reports[name] = evaluate_system(generator, cases, kb, n=n, seed=settings.seed, reorder=reorder,
                                            on_case=lambda _case: advance())
    if card:
        env = f"HYANGGI_N_THREADS={settings.n_threads} HYANGGI_GENERATION_TIMEOUT_S={settings.generation_timeout_s:g}"
        scope = f" --limit {limit}" if limit else ""
        command = f"{env} hyanggi eval generator{scope} --n {n}"
        card_path = settings.adapter_gguf_path.parent / "MODEL_CARD.md"
        write_card_section(card_path, card_section(reports, sha256_file(settings.adapter_gguf_path), command, settings.n_threads))
        console.print(f"✓ {card_path}")
    rivals = {name: versus(r, reports["composer"]) for name, r in reports.items()
              if name != "composer" and "composer" in reports}
    if as_json:
        versus_composer = {"versus_composer": {k: v.model_dump() for k, v in rivals.items()}} if rivals else {}
        typer.echo(json.dumps({**{k: r.model_dump() for k, r in reports.items()}, **versus_composer},
                              ensure_ascii=False, indent=2))
        return
    table = Table(title="generator eval")
    table.add_column("metric")
    for name in reports:
        table.add_column(name, justify="right")
    for key in TABLE_KEYS:
        table.add_row(key, *(str(getattr(r, key)) for r in reports.values()))
    if rivals:
        table.add_row("beats composer (share of briefs)", *(str(rivals[k].beats) if k in rivals else "–" for k in reports))
        table.add_row("below composer on IFRA/dose (briefs)",
                      *(str(rivals[k].below_guarded) if k in rivals else "–" for k in reports))
    if reorder:
        table.add_row("reordered: same materials / numbers (chance)", *(
            f"{r.reads_names.materials} / {r.reads_names.numbers if r.reads_names.numbers is not None else '–'} "
            f"({r.reads_names.chance})" if r.reads_names else "–" for r in reports.values()))
    Console().print(table)
