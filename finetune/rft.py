"""Rejection-sampling fine-tuning (RFT): proposal targets the composer alone could not give.

Imitating the composer teaches the model at best to tie with it. Here the current model proposes several
formulas for a brief; each is judged as the user would receive it — the formula the chat delivers from it
(after repair and finishing), scored by the critic's total less a share for every headline that cannot be smelled and every
firmly avoided odour a line carries — against the composer's formulas for the same brief and candidates,
delivered the same way. A proposal whose delivered formula scores above the best of them and is no worse on
IFRA compliance or dose realism (``perfumery.critic.holds_ground``, the critic node's own rule) becomes a
training target beside the composer's, written as the model wrote it. The model thus learns from its own
wins, judged by the measures the chat and ``hyanggi eval generator`` use. (Judging the proposal as written,
before repair, against the composer's core found no winner in 400 samples: repair is part of what the
model's line delivers.)

The sampler is passed in (the ``hyanggi finetune dataset --rft`` command wires the generator), so this
package stays below ``agent/`` in the layers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.critic import holds_ground
from perfumery.fit import avoided_lines, headlines, perceptible
from perfumery.models import Material
from perfumery.recipe import Recipe


@dataclass(frozen=True)
class Sample:
    """One proposal of the model: its formula as written (amounts normalised; the training target) and the
    formula the chat delivers from it (repaired, finished and critiqued; what is judged)."""

    proposal: Recipe
    delivered: Recipe


# The model's proposals for a brief over the candidates in the order the prompt numbers them.
Sampler = Callable[[Brief, Sequence[Material]], list[Sample]]

MISSED_HEADLINE = 0.1  # per headline the formula does not make perceptible
AVOIDED_PRESENT = 0.1  # per firmly avoided odour a line carries


@dataclass
class RftStats:
    briefs: int = 0
    sampled: int = 0
    preferred: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"rft_briefs": self.briefs, "rft_sampled": self.sampled, "rft_preferred": self.preferred}


def reward(recipe: Recipe, brief: Brief, catalog: Catalog) -> float:
    """The critic's total (``recipe`` must be critiqued) less the brief-fidelity penalties."""
    doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in catalog}
    missed = sum(not heard for heard in perceptible(brief, doses, catalog).values()) if headlines(brief) else 0
    avoided = len(avoided_lines(brief, doses, catalog))
    total = recipe.score.total if recipe.score else 0.0
    return total - MISSED_HEADLINE * missed - AVOIDED_PRESENT * avoided


def preferred(samples: Sequence[Sample], composed: Sequence[Recipe], brief: Brief,
              catalog: Catalog) -> list[Recipe]:
    """The proposals whose delivered formula beats every composed formula (critiqued) on ``reward`` and holds its
    ground against the best of them on IFRA compliance and dose realism; best first, one per distinct set of
    materials."""
    best = max(composed, key=lambda r: reward(r, brief, catalog), default=None)
    if best is None or best.score is None:
        return []
    bar = reward(best, brief, catalog)
    winners: dict[frozenset[str], tuple[float, Recipe]] = {}
    for sample in samples:
        judged = sample.delivered
        value = reward(judged, brief, catalog)
        if value <= bar or judged.score is None or not holds_ground(judged.score, best.score):
            continue
        key = frozenset(i.material_id for i in sample.proposal.ingredients)
        if key not in winners or value > winners[key][0]:
            winners[key] = (value, sample.proposal)
    return [r for _, r in sorted(winners.values(), key=lambda vr: -vr[0])]
