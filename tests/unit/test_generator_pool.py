"""The llama.cpp generator's pool of contexts, with fake ``Llama`` objects: a context serves one call at a time,
calls of different threads run at once, a failed or abandoned call gives its context back, and counting
tokens never waits for a context. The queue limit of the chat counts per context."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.deps import generation_slots
from agent.generators.llama_cpp import LlamaCppGenerator
from hyanggi.settings import GeneratorBackend, Settings


class FakeLlama:
    """Streams '가', '나'; counts calls that overlap on it (llama.cpp would abort the process on one)."""

    def __init__(self, together: threading.Barrier | None = None) -> None:
        self.together = together
        self.active = 0
        self.overlaps = 0
        self.calls = 0

    def create_completion(self, prompt: str, **_: Any) -> Iterator[dict[str, Any]]:
        return self._chunks(prompt)

    def _chunks(self, prompt: str) -> Iterator[dict[str, Any]]:
        self.active += 1
        self.overlaps += self.active > 1
        self.calls += 1
        try:
            if self.together is not None:
                self.together.wait()  # both contexts are generating at this moment, or this times out
            if "실패" in prompt:
                raise RuntimeError("decode failed")
            yield {"choices": [{"text": "가"}]}
            yield {"choices": [{"text": "나"}]}
        finally:
            self.active -= 1

    def tokenize(self, text: bytes, add_bos: bool = True, special: bool = False) -> list[int]:
        return list(text.decode("utf-8"))


def _generator(tmp_path: Path, contexts: int, n_threads: int = 2,
               together: threading.Barrier | None = None) -> tuple[LlamaCppGenerator, list[FakeLlama]]:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    generator = LlamaCppGenerator(None, None, model_path=model, lora_path=None, n_threads=n_threads,
                                  contexts=contexts)
    loaded: list[FakeLlama] = []

    def load() -> FakeLlama:
        loaded.append(FakeLlama(together))
        return loaded[-1]

    generator._load = load  # type: ignore[method-assign]
    return generator, loaded


def _complete(generator: LlamaCppGenerator, prompt: str = "향") -> str:
    completion = generator.complete(prompt, max_tokens=8, temperature=0.0, seed=0)
    return completion.error or completion.text


def test_concurrent_calls_run_at_once_and_never_share_a_context(tmp_path: Path) -> None:
    generator, loaded = _generator(tmp_path, contexts=2, together=threading.Barrier(2, timeout=10))
    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(_complete(generator))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == ["가나"] * 6  # a barrier timeout (contexts not used at once) would be an error text
    assert len(loaded) == 2 and all(f.calls == 3 for f in loaded) and all(f.overlaps == 0 for f in loaded)


def test_a_failed_call_gives_its_context_back(tmp_path: Path) -> None:
    generator, loaded = _generator(tmp_path, contexts=1)
    assert _complete(generator, "실패").startswith("RuntimeError")
    assert generator._idle.qsize() == 1  # otherwise the next call would wait forever
    assert _complete(generator) == "가나" and loaded[0].calls == 2


def test_an_abandoned_stream_gives_its_context_back(tmp_path: Path) -> None:
    generator, _ = _generator(tmp_path, contexts=2)
    stream = generator._stream("향", max_tokens=8, temperature=0.0, seed=0, stop=(), grammar=None)
    assert next(stream) == "가" and generator._idle.qsize() == 1
    stream.close()  # what Generator._timed does at the time limit
    assert generator._idle.qsize() == 2


def test_counting_tokens_does_not_wait_for_a_busy_context(tmp_path: Path) -> None:
    generator, _ = _generator(tmp_path, contexts=1)
    with generator._context():
        assert generator.count_tokens("장미 향") == 4


def test_contexts_load_once_and_split_the_threads(tmp_path: Path) -> None:
    generator, loaded = _generator(tmp_path, contexts=2, n_threads=2)
    threads = [threading.Thread(target=lambda: generator.llm) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(loaded) == 2 and generator.llm is loaded[0]
    assert generator.n_threads == 1


def test_a_missing_model_file_is_reported_before_any_context_loads(tmp_path: Path) -> None:
    generator, loaded = _generator(tmp_path, contexts=2)
    generator.model_path = tmp_path / "missing.gguf"
    with pytest.raises(FileNotFoundError):
        _ = generator.llm
    assert loaded == []


@pytest.mark.parametrize(("backend", "slots"), [(GeneratorBackend.llama_cpp, 3), (GeneratorBackend.transformers, 1)])
def test_generation_slots_are_the_llama_cpp_contexts(backend: GeneratorBackend, slots: int) -> None:
    assert generation_slots(Settings(generator_backend=backend, generator_contexts=3)) == slots


async def test_the_chat_queue_limit_counts_per_context(tmp_path: Path) -> None:
    from agent.service import BUSY_KO, ChatService
    from tests.unit.agent_fakes import fake_deps

    deps = fake_deps(llm_proposals=0)
    settings = deps.settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path / 'h.db'}",
                                                "checkpoint_db": tmp_path / "checkpoints.db",
                                                "generator_queue_size": 1, "generator_contexts": 2})
    service = await ChatService.open(settings, deps=deps)
    try:
        async def reply(waiting: int) -> str:
            service._waiting = waiting  # turns already in progress
            result = await service.ask("비 오는 날 카페 같은 향 만들어줘", session_id=f"q-{waiting}")
            return result.reply

        assert await reply(1) != BUSY_KO  # one turn per context: the second still runs
        assert await reply(2) == BUSY_KO
    finally:
        await service.close()
