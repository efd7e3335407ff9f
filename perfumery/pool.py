"""The candidate pool a language model chooses from: one builder for the chat's proposals, the training data,
the generator evaluation and the bench, so the model is always shown the kind of list it learned on."""

from __future__ import annotations

import random

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.fit import character, headline_sources, headlines, is_avoided
from perfumery.models import NotePosition

# The nearest materials per note position plus a few random ones, so the model learns to choose rather
# than to copy the whole list.
POOL_PER_NOTE = {NotePosition.top: 4, NotePosition.heart: 4, NotePosition.base: 4}
POOL_DISTRACTORS = 1
# The materials whose main character is a headline of the brief (coffee for a café): without them the
# composer's targets lost the lines that carry the brief (candidate adherence 0.046 after the 26 composer).
CHARACTERS_PER_HEADLINE = 2
MAX_CHARACTERS = 4


def candidate_pool(brief: Brief, catalog: Catalog, rng: random.Random) -> list[str]:
    """Material ids to offer the model for ``brief``: the must-includes, the materials that carry each
    headline's character, brief-near ones per note position and a random other; never prohibited or avoided
    ones. Shuffled: the prompt numbers them in this order, so a number says nothing of position."""

    def usable(material_id: str) -> bool:
        return catalog.composable(material_id, brief.category) and not is_avoided(brief, material_id, catalog)

    target = brief.descriptors or {"fresh": 1.0}
    pool: list[str] = [m for m in brief.must_include if m in catalog]
    required = len(pool)
    for descriptor in headlines(brief):
        carriers = [m for m in headline_sources(catalog, descriptor)
                    if character(catalog, m, descriptor) and m not in pool and usable(m)]
        pool.extend(carriers[:CHARACTERS_PER_HEADLINE])
    pool = pool[:required + MAX_CHARACTERS]
    for note, k in POOL_PER_NOTE.items():
        # Half of each position's candidates can carry weight, so the composer's targets stay in the pool.
        carriers = catalog.nearest_materials(target, k=k // 2, exclude=pool, allowed=lambda m, n=note: (
            catalog.materials[m].note == n and catalog.materials[m].carrier and usable(m)))
        pool.extend(m for m, _ in carriers)
        near = catalog.nearest_materials(
            target, k=k - len(carriers), exclude=pool,
            allowed=lambda m, n=note: catalog.materials[m].note == n and usable(m))
        pool.extend(m for m, _ in near)
    others = sorted(m for m in catalog.materials if m not in pool and usable(m))
    pool.extend(rng.sample(others, min(POOL_DISTRACTORS, len(others))))
    rng.shuffle(pool)
    return pool
