"""The llama.cpp generator with the real GGUF base and the shipped LoRA adapter (a few short generations)."""

import random

import pytest

from agent.generators import ensure_base_gguf, make_generator
from agent.generators.base import Outcome
from hyanggi.settings import GeneratorBackend, get_settings
from knowledge.kb import load_knowledge_base
from perfumery import compose
from perfumery.brief import Brief
from perfumery.naming import lead_sentence
from perfumery.pool import candidate_pool
from tests.integration.proposals import assert_bounded_proposal

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def generator(kb):
    # Correctness, not speed: a generous time limit so a busy CI machine cannot cut the JSON short.
    settings = get_settings().model_copy(update={"generator_backend": GeneratorBackend.llama_cpp,
                                                 "generation_timeout_s": 180.0})
    if not settings.adapter_gguf_path.is_file():
        pytest.fail(f"the shipped adapter is missing: {settings.adapter_gguf_path}")
    return make_generator(settings, kb)


def test_base_gguf_is_assembled_idempotently():
    settings = get_settings()
    assert ensure_base_gguf(settings) == ensure_base_gguf(settings) == settings.base_gguf_path


def test_shipped_adapter_is_a_gemma3_lora_gguf():
    import gguf

    reader = gguf.GGUFReader(str(get_settings().adapter_gguf_path))
    value = lambda key: bytes(reader.fields[key].parts[-1]).decode()  # noqa: E731
    assert (value("general.type"), value("general.architecture"), value("adapter.type")) == \
        ("adapter", "gemma3", "lora")
    assert all(t.name.endswith((".lora_a", ".lora_b")) for t in reader.tensors)


def test_proposal_is_the_grammars_line_over_the_candidates(generator, kb):
    brief = Brief(descriptors={"citrus": 1.0, "fresh": 0.8, "floral": 0.4}, season="summer",
                  text="여름에 뿌릴 상큼하고 가벼운 시트러스 향")
    pool = candidate_pool(brief, kb.catalog, random.Random(0))
    [draft] = generator.propose(brief, [kb.catalog.material(m) for m in pool], 1)
    record = draft.record
    assert record.backend == "llama_cpp" and record.completion_tokens > 0
    assert_bounded_proposal(draft, pool)
    assert draft.recipe.total_percent == pytest.approx(100.0, abs=0.5)


def test_narration_streams_korean(generator, kb):
    brief = Brief(descriptors={"rose": 1.0, "musky": 0.5}, text="은은한 장미와 머스크")
    recipe = compose(brief, kb.catalog, n=1, seed=1)[0]
    narration = generator.narrate(recipe, brief)
    pieces = list(narration)
    assert pieces and narration.text.strip()
    assert narration.record is not None and narration.record.backend == "llama_cpp"
    assert narration.record.outcome in (Outcome.ok, Outcome.repaired, Outcome.fallback)
    assert any("가" <= c <= "힣" for c in narration.text)
    if narration.record.outcome is not Outcome.fallback:  # the model's story, then the formula's own sentence
        assert narration.text.endswith(lead_sentence(recipe, kb.catalog))


def test_loading_the_model_and_adapter_prints_nothing(kb, capfd):
    """llama.cpp's messages (~30 lines of LoRA fallbacks) go to the `hyanggi.llama_cpp` debug log, not stderr."""
    settings = get_settings().model_copy(update={"generator_backend": GeneratorBackend.llama_cpp})
    fresh = make_generator(settings, kb)
    capfd.readouterr()
    fresh.count_tokens("베르가못")  # loads every context and applies the adapter
    assert capfd.readouterr().err == ""
