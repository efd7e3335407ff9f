"""The candidate pool a language model chooses from: one builder for the chat's proposals, the training data,
the generator evaluation and the bench, so the model is always shown the kind of list it learned on."""

from __future__ import annotations

import random

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.fit import is_avoided
from perfumery.models import NotePosition

# The nearest materials per note position plus a few random ones, so the model learns to choose rather
# than to copy the whole list.
POOL_PER_NOTE = {NotePosition.top: 4, NotePosition.heart: 4, NotePosition.base: 4}
POOL_DISTRACTORS = 1


def candidate_pool(brief: Brief, catalog: Catalog, rng: random.Random) -> list[str]:
    """Material ids to offer the model for ``brief``: brief-near ones per note position, a few random
    others, and the must-includes; never prohibited or avoided ones. Shuffled: position means nothing."""

    def usable(material_id: str) -> bool:
        return catalog.composable(material_id, brief.category) and not is_avoided(brief, material_id, catalog)

    target = brief.descriptors or {"fresh": 1.0}
    pool: list[str] = [m for m in brief.must_include if m in catalog]
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
