"""Percent arithmetic shared by composer, repair and edits: split, scale, round to a clean 100.

Formulas are written to two decimals of the concentrate (0.01 % ≈ 0.1 mg in a 1 g trial), and
the written numbers must add up to exactly 100 — a perfumer weighs what is written, not a float.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

DECIMALS = 2
STEP = 10.0**-DECIMALS


def floor_to_step(value: float) -> float:
    """Round down to the written precision: a cap rounded up would break the cap."""
    return math.floor(value / STEP + 1e-9) * STEP


def allocate(total: float, weights: Mapping[str, float], lows: Mapping[str, float],
             highs: Mapping[str, float]) -> dict[str, float]:
    """Split ``total`` in proportion to ``weights`` with each share kept inside [low, high].

    Water-filling: shares that hit a bound are fixed there and the rest is re-split among the others.
    When the bounds cannot hold ``total`` (all lows too big, or all highs too small) the result is the
    nearest feasible split: lows scaled down, or every share at its high.
    """
    ids = list(weights)
    if not ids:
        return {}
    low = {i: min(lows.get(i, 0.0), highs.get(i, total)) for i in ids}
    high = {i: highs.get(i, total) for i in ids}
    low_sum = sum(low.values())
    if low_sum >= total:
        return {i: (low[i] * total / low_sum if low_sum else total / len(ids)) for i in ids}
    if sum(high.values()) <= total:
        return dict(high)
    fixed: dict[str, float] = {}
    while True:
        free = [i for i in ids if i not in fixed]
        remaining = total - sum(fixed.values())
        weight_sum = sum(max(weights[i], 1e-9) for i in free)
        share = {i: remaining * max(weights[i], 1e-9) / weight_sum for i in free}
        over = [i for i in free if share[i] > high[i] + 1e-12]
        if over:
            fixed.update({i: high[i] for i in over})
            continue
        under = [i for i in free if share[i] < low[i] - 1e-12]
        if under:
            fixed.update({i: low[i] for i in under})
            continue
        return {**fixed, **share}


def fill_to_total(doses: Mapping[str, float], weights: Mapping[str, float], ceilings: Mapping[str, float],
                  total: float = 100.0, floors: Mapping[str, float] | None = None) -> dict[str, float]:
    """Close the gap to ``total`` through the lines in ``weights`` only, each kept between its floor and
    its ceiling.

    This is how a perfumer rebalances: the carriers named in ``weights`` give or take weight in
    proportion to their weights (taking, in proportion to their doses); every other line keeps its
    dose. When the carriers cannot close the gap the result falls short of (or above) ``total``.
    """
    floors = floors or {}
    result = dict(doses)
    gap = total - sum(result.values())
    movable = [m for m in weights if m in result]
    if abs(gap) < 1e-9 or not movable:
        return result
    if gap > 0:
        room = {m: max(0.0, ceilings.get(m, total) - result[m]) for m in movable}
        added = allocate(gap, {m: weights[m] for m in movable}, {}, room)
    else:
        spare = {m: max(0.0, result[m] - floors.get(m, 0.0)) for m in movable}
        added = {m: -v for m, v in allocate(-gap, {m: result[m] for m in movable}, {}, spare).items()}
    for m, change in added.items():
        result[m] += change
    return result


def normalise(doses: Mapping[str, float], total: float = 100.0) -> dict[str, float]:
    """Scale positive doses so they sum to ``total`` (drops zeros and negatives)."""
    positive = {k: v for k, v in doses.items() if v > 0}
    current = sum(positive.values())
    if current <= 0:
        return {}
    return {k: v * total / current for k, v in positive.items()}


def round_to_total(doses: Mapping[str, float], ceilings: Mapping[str, float] | None = None,
                   total: float = 100.0) -> dict[str, float]:
    """Round to two decimals so the written figures add up to exactly ``total``.

    Largest-remainder rounding; a dose at its ceiling (an IFRA cap) is never rounded above it, and
    no positive dose is rounded away to zero.
    """
    ceilings = ceilings or {}
    units = round(total / STEP)
    raw = {k: max(v, 0.0) / STEP for k, v in doses.items() if v > 0}
    if not raw:
        return {}
    limit = {k: math.floor(ceilings[k] / STEP + 1e-9) if k in ceilings else units for k in raw}
    floored = {k: max(1, min(math.floor(v + 1e-9), limit[k])) for k, v in raw.items()}
    gap = units - sum(floored.values())
    order = sorted(raw, key=lambda k: (-(raw[k] - math.floor(raw[k] + 1e-9)), -raw[k], k))
    while gap > 0:
        progressed = False
        for k in order:
            if gap == 0:
                break
            if floored[k] < limit[k]:
                floored[k] += 1
                gap -= 1
                progressed = True
        if not progressed:
            break
    by_size = sorted(raw, key=lambda k: (-floored[k], k))
    while gap < 0:
        progressed = False
        for k in by_size:
            if gap == 0:
                break
            if floored[k] > 1:
                floored[k] -= 1
                gap += 1
                progressed = True
        if not progressed:
            break
    return {k: round(v * STEP, DECIMALS) for k, v in floored.items()}
