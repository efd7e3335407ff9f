"""The one mapping of known failures (setup not run, bad data, a busy database, no judge) to a Korean + English
message and exit code 1 — applied to every `hyanggi` command by the command group (ui/apps.py)."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator

import typer
from rich.console import Console


@contextlib.contextmanager
def friendly_errors(console: Console) -> Iterator[None]:
    from eval.judge import JudgeNotReadyError
    from knowledge.embedding import EmbedderNotReadyError
    from knowledge.index import IndexNotReadyError
    from knowledge.kb import KnowledgeBaseError

    try:
        yield
    except (IndexNotReadyError, EmbedderNotReadyError, FileNotFoundError) as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        console.print("먼저 `hyanggi setup` 을 실행해 주세요 (run `hyanggi setup` first).")
        raise typer.Exit(1) from None
    except KnowledgeBaseError as exc:
        console.print(f"[red]지식 베이스를 불러오지 못했습니다 (knowledge/data/ is invalid):[/]\n{exc}", highlight=False)
        raise typer.Exit(1) from None
    except JudgeNotReadyError as exc:
        console.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from None
    except sqlite3.OperationalError as exc:
        console.print(f"[red]데이터베이스를 열 수 없어요: {exc}[/]")
        console.print("다른 hyanggi 프로세스(예: `hyanggi chat`)가 쓰는 중이면 잠시 후 다시 시도해 주세요 "
                      "(another hyanggi process may hold the database; retry shortly).")
        raise typer.Exit(1) from None
