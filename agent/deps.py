"""What the nodes need, built once per process: knowledge, search, the generator and the model lock."""

from __future__ import annotations

import asyncio
from dataclasses import InitVar, dataclass, field
from pathlib import Path

from agent.generators.base import Generator
from agent.reading.interpret import MaterialNames
from agent.replies.claims import ClaimChecker
from hyanggi.settings import GeneratorBackend, Settings
from knowledge.kb import KnowledgeBase, load_knowledge_base
from knowledge.lexicon import LexiconMatcher, get_lexicon_matcher
from knowledge.search import HybridSearcher, get_searcher
from knowledge.token_cache import cache_path


@dataclass
class Deps:
    settings: Settings
    kb: KnowledgeBase
    searcher: HybridSearcher
    matcher: LexiconMatcher
    names: MaterialNames
    generator: Generator | None
    """None when the backend is 'composer' (no language model)."""
    model_lock: asyncio.Lock | asyncio.Semaphore = field(default_factory=asyncio.Lock)
    """Generations running at once (``generation_slots``); a waiting turn waits here, in the event loop,
    not in a worker thread."""
    claims: ClaimChecker = field(init=False)
    """Checks a narration's claims against the formula and its records before the customer reads them."""
    claim_stems_cache: InitVar[Path | None] = None
    """Where kiwi's analyses of the claim checker's odour words are kept between processes (knowledge/token_cache)."""

    def __post_init__(self, claim_stems_cache: Path | None) -> None:
        self.claims = ClaimChecker(self.kb, self.names, claim_stems_cache)

    @classmethod
    def load(cls, settings: Settings, generator: Generator | None = None) -> Deps:
        """Load everything (seconds: embedder, BM25, the GGUF); raises a clear error if setup is missing."""
        kb = load_knowledge_base()
        if generator is None and settings.generator_backend != GeneratorBackend.composer:
            from agent.generators import make_generator

            generator = make_generator(settings)
        return cls(settings=settings, kb=kb, searcher=get_searcher(settings), matcher=get_lexicon_matcher(kb),
                   names=MaterialNames(kb), generator=generator,
                   model_lock=asyncio.Semaphore(generation_slots(settings)),
                   claim_stems_cache=cache_path(settings, "claim_stems"))


def generation_slots(settings: Settings) -> int:
    """Generations that can run at once in this process: one per llama.cpp context (contexts are not
    re-entrant); one for the others (transformers runs one model, a remote server schedules its own)."""
    return settings.generator_contexts if settings.generator_backend == GeneratorBackend.llama_cpp else 1
