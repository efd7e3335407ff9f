"""`hyanggi ask`: one chat turn from the command line (or one per stdin line with `-`)."""

from __future__ import annotations

import asyncio
import json
import sys

import typer
from rich.console import Console
from rich.markdown import Markdown

from ui.apps import app

console = Console()


@app.command()
def ask(
    message: str = typer.Argument(..., help="메시지; '-' 이면 표준입력에서 한 줄에 하나씩 (each line a new session)."),
    session: str | None = typer.Option(None, "--session", help="이어서 대화할 세션 ID (continue a session)."),
    level: str | None = typer.Option(None, "--level", help="기본 | 상세 | 프리미엄"),
    as_json: bool = typer.Option(False, "--json", help="계약 JSON 출력 (contract JSON, one line per message)."),
) -> None:
    """향 설계 요청을 한 번 보내고 답을 받습니다 (one turn through the agent)."""
    from hyanggi.settings import AnswerLevel
    if level is not None and level not in {lv.value for lv in AnswerLevel}:
        console.print(f"[red]--level 은 기본, 상세, 프리미엄 중 하나여야 해요 (got {level!r}).[/]")
        raise typer.Exit(2)
    messages = [line.strip() for line in sys.stdin if line.strip()] if message == "-" else [message]
    asyncio.run(_ask_all(messages, session, level, as_json))


async def _ask_all(messages: list[str], session: str | None, level: str | None, as_json: bool) -> None:
    from agent.service import chat_service

    async with chat_service() as service:
        for text in messages:
            result = await service.ask(text, session_id=session, level=level, source="cli")
            if as_json:
                print(json.dumps(result.contract(), ensure_ascii=False), flush=True)
            else:
                console.print(Markdown(result.reply))
                console.print(f"[dim]session {result.session} · {result.intent} · "
                              f"{result.timings_ms.get('total', 0):.0f} ms[/]")
