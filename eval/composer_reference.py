"""The reference the language-model backends are evaluated against (`hyanggi eval generator`'s "composer"
row): the deterministic composer proposes and the template narrates, behind the generator interface.

The chat's "composer" backend is simpler still: no generator at all (``Deps.generator is None``)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence

from agent.generators.base import GenerationRecord, Generator, Narration, Outcome, RecipeDraft
from perfumery.brief import Brief
from perfumery.models import Material
from perfumery.recipe import Recipe


class ComposerReference(Generator):
    backend = "composer"

    def _stream(self, prompt: str, **_: object) -> Iterator[str]:
        raise NotImplementedError("the composer backend runs no language model")

    def count_tokens(self, text: str) -> int:
        return 0

    def propose(self, brief: Brief, candidates: Sequence[Material], n: int) -> list[RecipeDraft]:
        ids = [c.id for c in candidates]
        drafts = []
        for i in range(n):
            start = time.perf_counter()
            recipe = self.fallback.compose(brief, i, ids)
            record = GenerationRecord(backend=self.backend, task="propose", outcome=Outcome.ok,
                                      seconds=round(time.perf_counter() - start, 3))
            drafts.append(RecipeDraft(recipe=recipe, proposed=recipe, record=record))
        return drafts

    def narrate(self, recipe: Recipe, brief: Brief, context: Sequence[str] = ()) -> Narration:
        narration: Narration

        def pieces() -> Iterator[str]:
            yield self.fallback.narration(recipe, brief)
            narration.record = GenerationRecord(backend=self.backend, task="narrate", outcome=Outcome.ok)

        narration = Narration(pieces())
        return narration
