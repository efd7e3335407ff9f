"""Two llama.cpp contexts of the real GGUF base and adapter narrate at once, in two threads: both complete
(one context shared by two calls would abort the process)."""

import threading

import pytest

from agent.generators import make_generator
from agent.generators.base import Outcome
from hyanggi.settings import GeneratorBackend, get_settings
from knowledge.kb import load_knowledge_base
from perfumery import compose
from perfumery.brief import Brief

pytestmark = pytest.mark.integration


def test_two_contexts_narrate_at_once() -> None:
    kb = load_knowledge_base()
    settings = get_settings().model_copy(update={"generator_backend": GeneratorBackend.llama_cpp,
                                                 "generator_contexts": 2, "generation_timeout_s": 180.0})
    generator = make_generator(settings, kb)
    briefs = [Brief(descriptors={"rose": 1.0, "musky": 0.5}, text="은은한 장미와 머스크"),
              Brief(descriptors={"citrus": 1.0, "fresh": 0.8}, text="여름에 뿌릴 상큼한 시트러스")]
    narrations = [generator.narrate(compose(b, kb.catalog, n=1, seed=1)[0], b) for b in briefs]
    running = threading.Barrier(2, timeout=120)
    errors: list[BaseException] = []

    def narrate(n: int) -> None:
        try:
            stream = iter(narrations[n])
            next(stream, None)
            running.wait()  # both streams have started before either finishes
            for _ in stream:
                pass
        except BaseException as exc:  # noqa: BLE001 — reported below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=narrate, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors and not any(t.is_alive() for t in threads)
    assert generator._idle.qsize() == 2
    for narration in narrations:
        assert narration.record is not None and narration.record.completion_tokens > 0
        assert narration.record.outcome in (Outcome.ok, Outcome.repaired, Outcome.fallback)
        assert any("가" <= c <= "힣" for c in narration.text)


def test_the_adapter_applied_per_context_is_the_adapter_llama_cpp_python_applies() -> None:
    """Same greedy text as ``Llama(lora_path=…)`` (which copies the weights), so the shared mapping changes
    nothing but memory."""
    from llama_cpp import Llama

    settings = get_settings()
    generator = make_generator(settings.model_copy(update={"generator_backend": GeneratorBackend.llama_cpp}))
    reference = Llama(model_path=str(generator.model_path), lora_path=str(settings.adapter_gguf_path),
                      n_ctx=settings.n_ctx, n_threads=settings.n_threads, verbose=False)
    prompt = "비 오는 날 창가 카페의 커피 같은 향수를 한국어로 소개해 줘.\n"
    texts = [llm.create_completion(prompt, max_tokens=24, temperature=0.0)["choices"][0]["text"]
             for llm in (generator.llm, reference)]
    assert texts[0].strip() and texts[0] == texts[1]
