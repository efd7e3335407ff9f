"""How much of what the model narrates a customer may read, re-checked from a replay's logs.

For every logged narration the model's own text (``raw_output``) is cut into whole sentences — at most the
template's ``max_sentences``, as the chat shows — and each is put through the chat's narration filter again
(``agent.replies.narration_check``) against the turn's recipe, brief and records. The lead-material sentence
and the concept line are written from the formula and are not counted: they would flatter the figure. A
sentence the token limit cut is counted apart, as is a narration the template replaced whole. The store keeps
the chat's own verdicts too (``GenerationRecord.problems``, migration 0005), but this re-checks with today's
filter, so a change to the filter is measured on old logs as well.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, computed_field

from agent.generators.base import MIN_HANGUL
from agent.generators.text_quality import hangul_share, sentences, whole_sentences
from agent.replies.claims import ClaimChecker, Grounds
from agent.replies.narration_check import NarrationFilter
from perfumery.brief import Brief
from perfumery.recipe import Recipe
from store.records import GenerationRecord, Outcome


class NarrationTally(BaseModel):
    narrations: int = 0
    sentences: int = 0
    passed: int = 0
    cut: int = 0
    templated: int = 0

    @computed_field
    @property
    def passed_share(self) -> float | None:
        """Share of the model's whole sentences that the claim filter lets through."""
        return round(self.passed / self.sentences, 4) if self.sentences else None


@dataclass
class LoggedNarration:
    record: GenerationRecord
    recipe: Recipe
    brief: Brief
    grounds: Grounds


def sentences_of(raw: str, max_sentences: int | None) -> tuple[list[str], bool]:
    """The model's whole sentences as the chat shows them, and whether it stopped mid-sentence before the limit."""
    done, rest = whole_sentences(raw)
    found = sentences(done)
    shown = found if max_sentences is None else found[:max_sentences]
    return shown, bool(rest.strip()) and (max_sentences is None or len(found) < max_sentences)


def tally(narrations: Iterable[LoggedNarration], checker: ClaimChecker,
          max_sentences: int | None = None) -> NarrationTally:
    result = NarrationTally()
    for item in narrations:
        result.narrations += 1
        if item.record.outcome is Outcome.fallback:
            result.templated += 1
        shown, cut = sentences_of(item.record.raw_output, max_sentences)
        result.cut += cut and hangul_share(item.record.raw_output) >= MIN_HANGUL  # English is replaced, not cut
        check = NarrationFilter(item.recipe, item.brief, checker, item.grounds, template=lambda: "")
        kept = [s for sentence in shown for s in check.feed(sentence + " ")]
        result.sentences += len(shown)
        result.passed += len(kept)
    return result
