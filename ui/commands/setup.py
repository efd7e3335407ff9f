"""`hyanggi setup`: make everything the app needs, offline and idempotently (models, index, database)."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from ui.apps import app

console = Console()


@app.command()
def setup(force: bool = typer.Option(False, "--force", help="Rebuild the search index even if it is current.")) -> None:
    """모델·검색 인덱스·데이터베이스 준비 (models, index, database; nothing is downloaded)."""
    from hyanggi.settings import GeneratorBackend, get_settings

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]향기 설정[/] — data dir: {settings.data_dir}")

    if not settings.embedder_model:
        from knowledge.embedding import ensure_embedder, ensure_onnx

        path = ensure_embedder(settings.embedder_dir, progress=True)
        ensure_onnx(path, progress=True)
        console.print(f"✓ 임베더 (embedder): {path}")
    else:
        console.print(f"✓ 임베더 (embedder): {settings.embedder_model} (configured)")

    if settings.generator_backend != GeneratorBackend.composer:
        from agent.generators import ensure_base_gguf, serving_gguf

        console.print(f"✓ 생성 모델 (generator base): {ensure_base_gguf(settings)}")
        if settings.prune_vocab:
            console.print(f"✓ 축소 어휘 모델 (pruned vocabulary): {serving_gguf(settings)}")

    from knowledge.index import build_index

    report = build_index(settings, progress=True, force=force)
    state = "rebuilt" if report.built else "up to date"
    console.print(f"✓ 검색 인덱스 (index): {state} — {settings.index_location}")

    from store import Store

    async def _migrate() -> None:
        store = await Store.open(settings.db_url)
        await store.close()

    asyncio.run(_migrate())
    console.print(f"✓ 데이터베이스 (database): {settings.db_url}")
    console.print("[green]준비 완료.[/] `hyanggi chat` 으로 대화를 시작하세요.")
