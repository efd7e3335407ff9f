"""Turn known failures (setup not run, bad data) into a Korean + English message and an exit code."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import typer
from rich.console import Console


@contextlib.contextmanager
def friendly_errors(console: Console) -> Iterator[None]:
    from knowledge.index import IndexNotReadyError
    from knowledge.kb import KnowledgeBaseError

    try:
        yield
    except (IndexNotReadyError, KnowledgeBaseError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/]")
        console.print("먼저 `hyanggi setup` 을 실행해 주세요 (run `hyanggi setup` first).")
        raise typer.Exit(1) from None
