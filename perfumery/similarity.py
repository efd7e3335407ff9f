"""Sparse odor vectors: descriptor → weight. How alike two materials, formulas or perfumes smell.

A material lists its descriptors strongest first; rank decides weight. A formula's vector is the
dose-weighted blend of its materials, with dose counted by its square root: odor impact grows much
more slowly than the amount on the scale.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

Vector = dict[str, float]

IMPLIED_WEIGHT = 0.8  # vanillin lists vanilla first: it reads sweet at 0.8 of that, even where "sweet" is unlisted
FAMILY_PREFIX = "@"
FAMILY_WEIGHT = 0.5  # family dimensions let "rose" and "jasmine" count as somewhat alike


def rank_weights(descriptors: Sequence[str]) -> Vector:
    """Strongest-first descriptors → weights 1, 0.67, 0.5, 0.4 … (first occurrence wins)."""
    vector: Vector = {}
    for rank, descriptor in enumerate(descriptors):
        vector.setdefault(descriptor, 1.0 / (1.0 + 0.5 * rank))
    return vector


def with_implied(vector: Mapping[str, float], implies: Mapping[str, Sequence[str]]) -> Vector:
    """Add the descriptors each one implies (vanilla → sweet) at ``IMPLIED_WEIGHT`` of the implying one,
    never lowering a weight the material states itself."""
    expanded: Vector = dict(vector)
    for descriptor, weight in vector.items():
        for implied in implies.get(descriptor, ()):
            expanded[implied] = max(expanded.get(implied, 0.0), IMPLIED_WEIGHT * weight)
    return expanded


def dose_impact(percent: float) -> float:
    return math.sqrt(max(percent, 0.0))


def presence_percent(impact: float) -> float:
    """The inverse of ``dose_impact``."""
    return max(impact, 0.0) ** 2


def add_scaled(target: Vector, vector: Mapping[str, float], factor: float) -> None:
    for key, value in vector.items():
        target[key] = target.get(key, 0.0) + factor * value


def blend(parts: Iterable[tuple[Mapping[str, float], float]]) -> Vector:
    """Sum of ``vector × factor`` for each (vector, factor) pair."""
    total: Vector = {}
    for vector, factor in parts:
        add_scaled(total, vector, factor)
    return total


def with_families(vector: Mapping[str, float], families: Mapping[str, str]) -> Vector:
    """Add one ``@family`` dimension per odor family, so related descriptors overlap partly."""
    expanded: Vector = dict(vector)
    for descriptor, weight in vector.items():
        family = families.get(descriptor)
        if family:
            key = FAMILY_PREFIX + str(family)
            expanded[key] = expanded.get(key, 0.0) + FAMILY_WEIGHT * weight
    return expanded


def norm(vector: Mapping[str, float]) -> float:
    return math.sqrt(sum(v * v for v in vector.values()))


def cosine(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    dot = sum(v * b.get(k, 0.0) for k, v in a.items())
    denominator = norm(a) * norm(b)
    return dot / denominator if denominator else 0.0


def scaled_to_max(vector: Mapping[str, float]) -> Vector:
    peak = max(vector.values(), default=0.0)
    return {k: v / peak for k, v in vector.items()} if peak > 0 else dict(vector)


def dose_distance(a: Mapping[str, float], b: Mapping[str, float]) -> float:
    """1 − weighted Jaccard of two material → percent maps: 0 identical formulas, 1 nothing shared."""
    keys = set(a) | set(b)
    high = sum(max(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    low = sum(min(a.get(k, 0.0), b.get(k, 0.0)) for k in keys)
    return 1.0 - low / high if high else 0.0
