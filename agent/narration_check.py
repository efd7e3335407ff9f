"""A narration the customer may read: every sentence whose claims the formula or its records do not support
is withdrawn, and a narration that loses everything (or praises what the person ruled out) becomes the
template's, which is built from the formula itself.
"""

from __future__ import annotations

from collections.abc import Callable

from agent.claims import ClaimChecker, Grounds
from knowledge.kb import KnowledgeBase
from perfumery.brief import Brief
from perfumery.recipe import Recipe

AVOIDED_WEIGHT = 0.5  # a brief's avoided descriptor this firm may not be praised


def avoided_words(brief: Brief, text: str, kb: KnowledgeBase) -> list[str]:
    """Korean words of the brief's firmly avoided descriptors that ``text`` uses."""
    firm = [d for d, weight in brief.avoid_descriptors.items() if weight >= AVOIDED_WEIGHT]
    return [w for w in kb.descriptor_words_ko(firm) if w in text]


def supported_narration(text: str, recipe: Recipe, brief: Brief, checker: ClaimChecker, records: Grounds,
                        template: Callable[[], str]) -> tuple[str, list[str]]:
    """(the narration to show, what was withdrawn and why).

    ``records`` carries the retrieved record ids/texts (its recipe is replaced by ``recipe``); ``template``
    makes the fallback narration. Sentences are kept in order; an unfinished last sentence (no final
    punctuation) is dropped, since a narration cut off mid-sentence states half a claim.
    """
    grounds = records.model_copy(update={"recipe": recipe})
    problems: list[str] = []
    kept: list[str] = []
    sentences = checker.sentences(text)
    for index, sentence in enumerate(sentences):
        if index == len(sentences) - 1 and not sentence.rstrip().endswith((".", "!", "?")):
            problems.append(f"끝나지 않은 문장 제외: {sentence}")
            continue
        wrong = [c for c in checker.check_sentence(sentence, grounds) if not c.supported]
        if wrong:
            problems.append(f"근거 없는 문장 제외 ({'; '.join(c.reason for c in wrong)}): {sentence}")
            continue
        kept.append(sentence)
    narration = " ".join(kept)
    praised = avoided_words(brief, narration, checker.kb)
    if praised or not kept:
        if praised:
            problems.append(f"피하려는 향({', '.join(praised)})을 내세워 템플릿 설명으로 대체")
        elif text.strip():
            problems.append("남은 문장이 없어 템플릿 설명으로 대체")
        return template(), problems
    return narration, problems
