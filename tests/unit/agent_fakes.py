"""Fakes for graph unit tests: the real knowledge data and perfumery core, a keyword searcher instead of
embeddings + Chroma, and a scripted generator instead of the GGUF model."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from agent.deps import Deps
from agent.generators.base import GenerationRecord, Narration, Outcome, RecipeDraft
from agent.reading.interpret import MaterialNames
from hyanggi.settings import GeneratorBackend, Settings
from knowledge.documents import CollectionName
from knowledge.kb import KnowledgeBase, load_knowledge_base
from knowledge.korean import compact
from knowledge.lexicon import get_lexicon_matcher
from knowledge.search import SearchResult
from perfumery import compose
from perfumery.brief import Brief
from perfumery.models import Material
from perfumery.recipe import Recipe


class KeywordSearcher:
    """Ranks records by how many of their Korean/English names occur in the query (no embeddings)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb

    def search(self, query: str, collections=None, k: int | None = 5, filters: object = None) -> list[SearchResult]:
        k = k or 5
        packed = compact(query)
        names = list(collections or CollectionName)
        scored = []
        for name in names:
            records = {CollectionName.materials: self.kb.materials, CollectionName.accords: self.kb.accords,
                       CollectionName.perfumes: self.kb.perfumes}[name]
            for record in records.values():
                title_ko = getattr(record, "name_ko", "") or record.name
                title_en = getattr(record, "name_en", "") or getattr(record, "brand", "")
                words = [title_ko, title_en, *getattr(record, "descriptors", [])]
                score = sum(1.0 for w in words if w and compact(w) in packed)
                scored.append((score, name, record, title_ko, title_en))
        scored.sort(key=lambda s: -s[0])
        return [SearchResult(id=r.id, collection=n, name_ko=ko, name_en=en, cas=getattr(r, "cas", ""),
                             score=max(0.01, s / 3), text=r.description_ko) for s, n, r, ko, en in scored[:k]]


class TemplateNarration:
    def narration(self, recipe: Recipe, brief: Brief) -> str:
        return f"템플릿 설명: {recipe.name}"


class ScriptedGenerator:
    """Proposes the composer's formula with a different seed and narrates a fixed Korean sentence."""

    backend = "fake"
    fallback = TemplateNarration()

    def __init__(self, kb: KnowledgeBase, sentence: str = "비 오는 날의 포근한 카페를 그렸어요.") -> None:
        self.kb = kb
        self.sentence = sentence
        self.proposals = 0

    def propose(self, brief: Brief, candidates: Sequence[Material], n: int) -> list[RecipeDraft]:
        self.proposals += n
        recipes = compose(brief, self.kb.catalog, [m.id for m in candidates], n=n, seed=999)
        record = GenerationRecord(backend=self.backend, task="propose", outcome=Outcome.ok, raw_output="…")
        return [RecipeDraft(recipe=r, proposed=r, record=record) for r in recipes]

    def narrate(self, recipe: Recipe, brief: Brief, context: Sequence[str] = ()) -> Narration:
        def pieces() -> Iterator[str]:
            yield from re.findall(r"\S+\s*", self.sentence)
            narration.record = GenerationRecord(backend=self.backend, task="narrate", outcome=Outcome.ok,
                                                raw_output=self.sentence)

        narration = Narration(pieces())
        return narration


def fake_deps(**overrides: object) -> Deps:
    kb = load_knowledge_base()
    settings = Settings(generator_backend=GeneratorBackend.llama_cpp, **{"llm_proposals": 1, **overrides})
    return Deps(settings=settings, kb=kb, searcher=KeywordSearcher(kb), matcher=get_lexicon_matcher(kb),
                names=MaterialNames(kb), generator=ScriptedGenerator(kb))
