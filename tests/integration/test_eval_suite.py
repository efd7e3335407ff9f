"""Replay two reference conversations through the real agent, then score them with ragas' non-LLM metrics.

Real ChromaDB index, embedder, SQLite store and generator (what `hyanggi setup` left in the data dir).
Transcripts go to a temporary database; graph checkpoints live in the data dir (the index and the
checkpoints share it), under session ids unique to this run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agent.service import ChatService
from eval.contexts import document_texts
from eval.ragas_runner import run_ragas
from eval.replay import load_conversations, new_run_tag, replay
from eval.report import summarise, write_run
from eval.transcripts import reference_index, turn_samples
from hyanggi.settings import get_settings
from knowledge.embedding.embedder import Embedder
from knowledge.kb import load_knowledge_base
from store import LOCAL, Store
from ui.cli import app

pytestmark = pytest.mark.integration


async def test_replay_then_reference_metrics_on_real_transcripts(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = get_settings().model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'eval.db'}"})
    conversations = [c for c in load_conversations() if c.id in ("q_hedione", "edit_add_hedione")]
    service = await ChatService.open(settings)
    try:
        report = await replay(service, conversations, run_tag=f"test{new_run_tag()}")
    finally:
        await service.close()
    assert len(report.turns) == 3 and not report.errors

    store = await Store.open(settings.db_url)
    try:
        transcripts = await store.transcripts(LOCAL)
    finally:
        await store.close()
    assert {t.source for t in transcripts} == {"replay"}
    samples = turn_samples(transcripts, reference_index(conversations), document_texts(load_knowledge_base()))
    assert sorted(s.route for s in samples) == ["edit", "new_brief", "question"]
    assert all(s.has_reference for s in samples)

    run = run_ragas(samples, Embedder.from_settings(settings))
    by_route = {s.route: s for s in samples}
    assert by_route["question"].scores["id_based_context_recall"] == 1.0  # "헤디온이 뭐야?" finds hedione
    assert by_route["edit"].scores["id_based_context_recall"] == 1.0  # "헤디온 추가해 줘" puts it in the recipe
    assert run.metrics["chrf_score"].nan == 0 and 0 < run.metrics["semantic_similarity"].mean <= 1
    path = write_run(tmp_path / "report", summarise(run, "test", 1, {}), run.samples)
    assert "id_based_context_recall" in path.read_text(encoding="utf-8")

    # The command over the same transcripts: with --json its stdout is the report alone (progress on stderr).
    monkeypatch.setenv("HYANGGI_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["eval", "ragas", "--no-judge", "--json", "--out", str(tmp_path / "cli")])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["turns"] == 3
