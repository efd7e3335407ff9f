"""What every real backend's proposal must be: the grammar's line over the pool's numbers, bounded."""

from __future__ import annotations

from agent.generators.base import Outcome, RecipeDraft
from agent.generators.parsing import proposal_pairs
from prompts import MAX_ITEMS, MAX_PERCENT, MIN_ITEMS, MIN_PERCENT


def assert_bounded_proposal(draft: RecipeDraft, pool: list[str]) -> None:
    pairs = proposal_pairs(draft.record.raw_output)
    assert pairs is not None, draft.record.raw_output
    assert MIN_ITEMS <= len(pairs) <= MAX_ITEMS
    assert all(1 <= k <= len(pool) and MIN_PERCENT <= float(v) <= MAX_PERCENT for k, v in pairs)
    assert draft.proposed is not None and {i.material_id for i in draft.proposed.ingredients} <= set(pool)
    assert draft.record.outcome in (Outcome.ok, Outcome.repaired)
