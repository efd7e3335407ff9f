"""HYANGGI_GENERATOR_URL: the remote backend against a real llama-cpp-python server running the base GGUF with
the shipped LoRA adapter — a grammar-bounded proposal and a streamed Korean narration."""

from __future__ import annotations

import random
from collections.abc import Iterator

import pytest

from agent.generators import make_generator, serving_gguf
from agent.generators.base import Outcome
from agent.generators.remote import RemoteGenerator
from agent.generators.text_quality import hangul_share
from hyanggi.settings import GeneratorBackend, get_settings
from knowledge.kb import load_knowledge_base
from ops.servers import llama_server
from perfumery import compose
from perfumery.brief import Brief
from perfumery.pool import candidate_pool
from tests.integration.proposals import assert_bounded_proposal

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def generator(kb) -> Iterator[RemoteGenerator]:
    settings = get_settings()
    if not settings.base_gguf_path.is_file():
        pytest.skip("base GGUF missing: run `hyanggi setup`")
    with llama_server(serving_gguf(settings), lora=settings.adapter_gguf_path, n_threads=settings.n_threads) as url:
        # Correctness, not speed: a generous time limit so a busy machine cannot cut the JSON short.
        remote = get_settings().model_copy(update={"generator_backend": GeneratorBackend.remote,
                                                   "generator_url": url, "generation_timeout_s": 180.0})
        generator = make_generator(remote, kb)
        assert isinstance(generator, RemoteGenerator)
        yield generator
        generator.close()


def test_proposal_over_the_server_is_the_grammars_line(generator, kb):
    brief = Brief(descriptors={"citrus": 1.0, "fresh": 0.8, "floral": 0.4}, season="summer",
                  text="여름에 뿌릴 상큼하고 가벼운 시트러스 향")
    pool = candidate_pool(brief, kb.catalog, random.Random(0))
    [draft] = generator.propose(brief, [kb.catalog.material(m) for m in pool], 1)
    record = draft.record
    assert record.backend == "remote" and record.completion_tokens > 0 and record.first_token_s is not None
    assert_bounded_proposal(draft, pool)


def test_narration_streams_korean_from_the_server(generator, kb):
    brief = Brief(descriptors={"rose": 1.0, "musky": 0.5}, text="은은한 장미와 머스크")
    recipe = compose(brief, kb.catalog, n=1, seed=1)[0]
    narration = generator.narrate(recipe, brief)
    pieces = list(narration)
    assert len(pieces) > 1 and hangul_share(narration.text) > 0.5
    assert narration.record.outcome in (Outcome.ok, Outcome.repaired)
    assert narration.record.prompt_tokens > 0
