"""`hyanggi bench generator`: decode and prompt speed of the generator against raw llama.cpp and against the
memory-bandwidth bound, on the same prompts (eval/generator_speed.py). Run it alone: two cores move with any
other load."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import bench_app

console = Console()


@bench_app.command("generator")
def bench_generator(
    briefs: Annotated[int, typer.Option("--briefs", min=1, help="개발용 브리프 수 (dev briefs).")] = 8,
    as_json: Annotated[bool, typer.Option("--json", help="JSON 출력.")] = False,
) -> None:
    """생성기 속도: 원시 llama.cpp 대비, 메모리 대역폭 한계 대비 (decode/prompt tok/s vs raw and the bound)."""
    from agent.generators import make_generator
    from eval.generator_speed import generator_speed
    from eval.recipe_metrics import load_cases
    from hyanggi.settings import GeneratorBackend, get_settings
    from knowledge.kb import load_knowledge_base

    # One context with every thread: the single-call speed the bound is about (the chat's pool splits threads).
    settings = get_settings().model_copy(update={"generator_backend": GeneratorBackend.llama_cpp,
                                                 "generator_contexts": 1})
    kb = load_knowledge_base()
    generator = make_generator(settings, kb)
    lora = generator.lora_path  # type: ignore[attr-defined]
    files = [generator.model_path, *([lora] if lora is not None else [])]  # type: ignore[attr-defined]
    report = generator_speed(generator, [c.to_brief() for c in load_cases()[:briefs]], kb.catalog,
                             threads=settings.n_threads, model_files=files, seed=settings.seed)
    if as_json:
        typer.echo(json.dumps({**report.model_dump(), "ratios": report.ratios()}, ensure_ascii=False))
        return
    console.print(f"{report.prompts} prompts each, {report.threads} threads · memory read {report.bandwidth_gb_s} GB/s · "
                  f"{report.bytes_per_token_mb} MB read per token → bound {report.bound_tokens_per_s} tok/s",
                  highlight=False)
    table = Table(title="tokens/s (p50)", title_justify="left")
    for column in ("", "prompt", "decode", "completion tokens"):
        table.add_column(column, justify="right")
    for name, speed in (("raw llama.cpp · proposal prompt", report.raw_proposal),
                        ("ours · proposal (JSON grammar)", report.ours_proposal),
                        ("raw llama.cpp · narration prompt", report.raw_narration),
                        ("ours · narration", report.ours_narration)):
        table.add_row(name, *(f"{s.p50:g}" if s else "–" for s in (speed.prompt_tokens_per_s,
                                                                    speed.decode_tokens_per_s,
                                                                    speed.completion_tokens)))
    console.print(table)
    if report.engine_decode_tokens_per_s:
        console.print(f"llama.cpp's own decode time (raw runs, no sampling or Python): p50 "
                      f"{report.engine_decode_tokens_per_s.p50:g} tok/s", highlight=False)
    console.print("ratios (decode p50): " + ", ".join(f"{k} {v}" for k, v in report.ratios().items()), highlight=False)
