"""What the training-data build takes from the running system: the claim check every narration target must
pass, and the current model as the sampler of rejection-sampling fine-tuning (``finetune.rft``).

``finetune/`` sits below ``agent/`` in the layers, so the CLI and the job worker build these here and pass
them in (``finetune.dataset.Signals``).
"""

from __future__ import annotations

from collections.abc import Sequence

from agent.generators import make_generator
from agent.replies.claims import ClaimChecker
from agent.replies.narration_check import narration_grounds, supported_narration
from finetune.dataset import NarrationCheck, Signals
from finetune.rft import Sample
from hyanggi.settings import Settings
from knowledge.kb import KnowledgeBase
from perfumery.brief import Brief
from perfumery.models import Material
from perfumery.recipe import Recipe


def narration_check(kb: KnowledgeBase) -> NarrationCheck:
    """(text, recipe, brief) → whether the chat's narration filter would show every sentence of ``text``,
    with the grounds the chat gives it (the lead materials' records)."""
    checker = ClaimChecker(kb)

    def check(text: str, recipe: Recipe, brief: Brief) -> bool:
        records = narration_grounds(recipe, kb.catalog)
        _, problems = supported_narration(text, recipe, brief, checker, records, template=lambda: "")
        return not problems

    return check


def dataset_signals(settings: Settings, kb: KnowledgeBase, *, rft_briefs: int = 0, samples: int = 4) -> Signals:
    """The claim check, and — for ``rft_briefs`` > 0 — the configured generator proposing ``samples`` formulas
    per brief (its adapter as shipped: the model learns from its own wins)."""
    if rft_briefs <= 0:
        return Signals(narration_check=narration_check(kb))
    # Samples are drawn one at a time: one context with every thread (the chat's pool splits the threads between
    # its contexts, which left one of two cores idle while 160 briefs were sampled).
    generator = make_generator(settings.model_copy(update={"generator_contexts": 1}), kb)

    def sample(brief: Brief, candidates: Sequence[Material]) -> list[Sample]:
        return [Sample(proposal=d.proposed, delivered=d.recipe)
                for d in generator.propose(brief, candidates, samples) if d.proposed is not None]

    return Signals(sampler=sample, rft_briefs=rft_briefs, narration_check=narration_check(kb))
