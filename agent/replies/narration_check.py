"""A narration the customer may read: every sentence whose claims the formula or its records do not support,
that praises what the person ruled out, or that is pasted word for word from a record (a description's
"헬리오트로프 꽃을 떠올리게 하는 알데하이드." is a fragment out of its context: the narration explains, it does
not paste), or that is not Korean (a mood word used as a noun: "따뜻한을 좋아하는 분께") is withheld; a narration
that loses everything becomes the template's, built from the formula.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from agent.replies.claims import ClaimChecker, Grounds
from knowledge.kb import KnowledgeBase
from knowledge.korean import compact, modifiers_as_nouns
from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.naming import lead_ids, narration_facts
from perfumery.recipe import Recipe
from store.records import Withheld

AVOIDED_WEIGHT = 0.5  # a brief's avoided descriptor this firm may not be praised
MIN_PASTED_CHARS = 8  # shorter overlaps ("장미 향이") are words, not a pasted sentence


def avoided_words(brief: Brief, text: str, kb: KnowledgeBase) -> list[str]:
    """Korean words of the brief's firmly avoided descriptors that ``text`` uses."""
    firm = [d for d, weight in brief.avoid_descriptors.items() if weight >= AVOIDED_WEIGHT]
    return [w for w in kb.descriptor_words_ko(firm) if w in text]


def narration_grounds(recipe: Recipe, catalog: Catalog, ids: Iterable[str] = (), texts: Iterable[str] = ()) -> Grounds:
    """What a narration may rest on: the lead materials' records (its last sentence is about the lead,
    ``perfumery.naming.lead_sentence``) and the records ``ids``/``texts`` the turn retrieved. The chat, the
    training targets and the replay's re-check all ground a narration here."""
    return Grounds(record_ids=[*lead_ids(recipe), *ids], record_texts=[*narration_facts(recipe, catalog), *texts])


# A sentence ends at . ! ? after a word (not "3.5") followed by a space; the stream's last piece is
# judged when the narration finishes.
_END = re.compile(r"(?<=[^\d\s])[.!?](?=\s)")


class NarrationFilter:
    """Sentences of a streamed narration, each let through only once its claims are checked, so the customer
    never sees a claim the final reply withdraws. ``template`` makes the fallback narration. ``stand_in``
    gives the sentence shown where the first one (the story's mood) is withheld — the template's mood
    sentence, true by construction — so a story that loses its opening still says what it is about; it is
    checked like any other, and the problems still name what was withheld."""

    def __init__(self, recipe: Recipe, brief: Brief, checker: ClaimChecker, records: Grounds,
                 template: Callable[[], str], stand_in: Callable[[], str] = lambda: "") -> None:
        self._brief, self._checker, self._template, self._stand_in = brief, checker, template, stand_in
        self._grounds = records.model_copy(update={"recipe": recipe})
        self._records = [compact(t) for t in records.record_texts if t]
        self._buffer = ""
        self._opening = True
        self.kept: list[str] = []
        self.problems: list[str] = []

    def feed(self, piece: str) -> list[str]:
        """The sentences ``piece`` completes that may be shown."""
        self._buffer += piece
        shown = []
        while (end := _END.search(self._buffer)) is not None:
            sentence, self._buffer = self._buffer[: end.end()].strip(), self._buffer[end.end():]
            opening, self._opening = self._opening, False
            if self._accept(sentence):
                shown.append(sentence)
            elif opening and (stand_in := self._stand_in().strip()) and self._accept(stand_in):
                shown.append(stand_in)
        return shown

    def finish(self) -> tuple[str, list[str], bool]:
        """(the narration to show, what was withdrawn and why, whether it is the template's)."""
        tail = self._buffer.strip()
        self._buffer = ""
        if tail.endswith((".", "!", "?")):
            self._accept(tail)
        elif tail:  # a narration cut off mid-sentence states half a claim
            self.problems.append(f"{Withheld.cut}: {tail}")
        if not self.kept:
            if not self.problems:
                self.problems.append("설명이 비어 템플릿 설명으로 대체")
            return self._template(), self.problems, True
        return " ".join(self.kept), self.problems, False

    def _accept(self, sentence: str) -> bool:
        praised = avoided_words(self._brief, sentence, self._checker.kb)
        wrong = [c for c in self._checker.check_sentence(sentence, self._grounds) if not c.supported]
        key = compact(sentence)
        pasted = len(key) >= MIN_PASTED_CHARS and any(key in text for text in self._records)
        if pasted:
            self.problems.append(f"{Withheld.pasted}: {sentence}")
        elif praised:
            self.problems.append(f"{Withheld.praises_avoided} ({', '.join(praised)}): {sentence}")
        elif wrong:
            self.problems.append(f"{Withheld.unsupported} ({'; '.join(c.reason for c in wrong)}): {sentence}")
        elif slips := modifiers_as_nouns(sentence):  # kiwi per word: only for a sentence nothing else withheld
            self.problems.append(f"{Withheld.misworded} ({', '.join(slips)}): {sentence}")
        else:
            self.kept.append(sentence)
            return True
        return False


def supported_narration(text: str, recipe: Recipe, brief: Brief, checker: ClaimChecker, records: Grounds,
                        template: Callable[[], str]) -> tuple[str, list[str]]:
    """A whole narration through the filter: (the narration to show, what was withdrawn and why)."""
    check = NarrationFilter(recipe, brief, checker, records, template)
    check.feed(text)
    narration, problems, _ = check.finish()
    return narration, problems
