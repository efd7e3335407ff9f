"""Rejection-sampling fine-tuning (RFT): proposal targets the composer alone could not give.

Imitating the composer teaches the model at best to tie with it. Here the current model proposes several
formulas for a brief; each is scored as the user would receive it — the critic's total, minus a share for
every headline that cannot be smelled and every firmly avoided odour a line carries — and a proposal that
scores above the composer's best core for the same brief, and is no worse on IFRA compliance or dose
realism, becomes a training target beside the composer's. The model thus learns from its own wins, judged
by the measures the chat and ``hyanggi eval generator`` use.

The sampler is passed in (the ``hyanggi finetune dataset --rft`` command wires the generator), so this
package stays below ``agent/`` in the layers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.critic import critiqued
from perfumery.fit import avoided_lines, headlines, perceptible
from perfumery.models import Material
from perfumery.recipe import Recipe

# The model's proposals for a brief over the candidates in the order the prompt numbers them.
Sampler = Callable[[Brief, Sequence[Material]], list[Recipe]]

MISSED_HEADLINE = 0.1  # per headline the formula does not make perceptible
AVOIDED_PRESENT = 0.1  # per firmly avoided odour a line carries
GUARDED = ("compliance", "dose_realism")  # a preferred proposal is never below the composer on these


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


def preferred(samples: Sequence[Recipe], composed: Sequence[Recipe], brief: Brief,
              catalog: Catalog) -> list[Recipe]:
    """The samples, critiqued, that beat every composed core on ``reward`` and are not below the best core
    on any ``GUARDED`` component; best first, one per distinct set of materials."""
    if not composed:
        return []
    best = max(composed, key=lambda r: reward(r, brief, catalog))
    bar = reward(best, brief, catalog)
    floor = {c: (best.score.components.get(c, 0.0) if best.score else 0.0) for c in GUARDED}
    winners: dict[frozenset[str], tuple[float, Recipe]] = {}
    for sample in samples:
        scored = critiqued(sample, catalog, brief)
        value = reward(scored, brief, catalog)
        parts = scored.score.components if scored.score else {}
        if value <= bar or any(parts.get(c, 0.0) < floor[c] for c in GUARDED):
            continue
        key = frozenset(i.material_id for i in scored.ingredients)
        if key not in winners or value > winners[key][0]:
            winners[key] = (value, scored)
    return [r for _, r in sorted(winners.values(), key=lambda vr: -vr[0])]
