"""The `hyanggi` command tree. Area modules in ``ui/commands/`` attach their commands here.

Command bodies import heavy libraries lazily so `hyanggi --help` stays instant.
"""

import logging

import click
import typer
from rich.console import Console
from typer.core import TyperGroup


class _Commands(TyperGroup):
    """Every command runs inside the one error mapping (ui/errors.py): a known failure is a Korean message
    and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        from ui.errors import friendly_errors

        with friendly_errors(Console(stderr=True)):
            return super().invoke(ctx)


app = typer.Typer(cls=_Commands, name="hyanggi", help="향기 — 한국어 향수 설계 도우미 (Korean fragrance design assistant).",
                  no_args_is_help=True, pretty_exceptions_show_locals=False)
kb_app = typer.Typer(help="지식 베이스 조회 (knowledge base).", no_args_is_help=True)
eval_app = typer.Typer(help="평가: retrieval, recipes, generator, replay, ragas.", no_args_is_help=True)
bench_app = typer.Typer(help="벤치마크 (latency, throughput, memory).", invoke_without_command=True)
finetune_app = typer.Typer(help="LoRA 파인튜닝: dataset, train, export.", no_args_is_help=True)



@app.callback()
def main(
    verbose: bool = typer.Option(False, "--verbose", "-v", help="llama.cpp 로그를 표준 오류로 표시 (show llama.cpp's own log)."),
) -> None:
    """향기 — 한국어 향수 설계 도우미 (Korean fragrance design assistant)."""
    if verbose:
        # The logger agent/generators/llama_cpp.py routes llama.cpp's messages to (named here, not imported:
        # that module's package loads the generator stack, which a command such as `search` never needs).
        llama_log = logging.getLogger("hyanggi.llama_cpp")
        llama_log.setLevel(logging.DEBUG)
        llama_log.addHandler(logging.StreamHandler())


app.add_typer(kb_app, name="kb")
app.add_typer(eval_app, name="eval")
app.add_typer(bench_app, name="bench")
app.add_typer(finetune_app, name="finetune")
