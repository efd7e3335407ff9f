"""How well a formula answers a brief: what it should smell of, and what it must not.

Coverage counts each target descriptor as covered once the formula's odor mass on it reaches
``SATURATION`` — about three materials at their usual dose whose strongest descriptor it is (presence is
dose relative to the material's usual dose, so a potent accent counts as much as a carrier); a
descriptor only reached through its odor family earns half credit.
"""

from __future__ import annotations

from collections.abc import Mapping

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.similarity import Vector, blend

SATURATION = 3.0
FAMILY_CREDIT = 0.5
AVOID_THRESHOLD = 0.5  # a material is off-limits when an avoided descriptor is this prominent in it
AVOID_PENALTY = 0.6

# Families that read as airy/fresh versus dense/warm: they steer the pyramid (lighter → more top).
LIGHT_FAMILIES = frozenset({"citrus", "aromatic", "green", "marine", "aldehydic"})
HEAVY_FAMILIES = frozenset({"amber", "resinous", "gourmand", "leather", "animalic", "woody", "musk", "mossy"})


def odor_mass(doses: Mapping[str, float], catalog: Catalog) -> Vector:
    """Unscaled dose-weighted descriptor vector of a formula (material → percent)."""
    return blend((catalog.vector(m), catalog.presence(m, p)) for m, p in doses.items() if m in catalog)


def family_mass(mass: Mapping[str, float], catalog: Catalog) -> Vector:
    families: Vector = {}
    for descriptor, value in mass.items():
        family = catalog.family_of(descriptor)
        if family:
            families[family] = families.get(family, 0.0) + value
    return families


def coverage(brief: Brief, doses: Mapping[str, float], catalog: Catalog) -> dict[str, float]:
    """Per target descriptor, 0..1: how much of it the formula delivers."""
    mass = odor_mass(doses, catalog)
    families = family_mass(mass, catalog)
    result: dict[str, float] = {}
    for descriptor in brief.descriptors:
        direct = min(1.0, mass.get(descriptor, 0.0) / SATURATION)
        family = catalog.family_of(descriptor)
        related = FAMILY_CREDIT * min(1.0, families.get(family, 0.0) / (2 * SATURATION)) if family else 0.0
        result[descriptor] = max(direct, related)
    return result


def avoided_presence(brief: Brief, doses: Mapping[str, float], catalog: Catalog) -> dict[str, float]:
    """Per avoided descriptor, 0..1: how strongly the formula smells of it anyway."""
    mass = odor_mass(doses, catalog)
    return {d: min(1.0, mass.get(d, 0.0) / SATURATION) for d in brief.avoid_descriptors}


def brief_fit(brief: Brief, doses: Mapping[str, float], catalog: Catalog) -> float:
    """Weighted coverage of the targets minus a penalty for avoided descriptors, in 0..1."""
    covered = coverage(brief, doses, catalog)
    weight = sum(brief.descriptors.values())
    score = sum(brief.descriptors[d] * c for d, c in covered.items()) / weight if weight else 1.0
    avoid_weight = sum(brief.avoid_descriptors.values())
    if avoid_weight:
        present = avoided_presence(brief, doses, catalog)
        score -= AVOID_PENALTY * sum(brief.avoid_descriptors[d] * p for d, p in present.items()) / avoid_weight
    return max(0.0, min(1.0, score))


def avoid_strength(brief: Brief, material_id: str, catalog: Catalog) -> float:
    vector = catalog.vector(material_id)
    return max((w * vector.get(d, 0.0) for d, w in brief.avoid_descriptors.items()), default=0.0)


def is_avoided(brief: Brief | None, material_id: str, catalog: Catalog) -> bool:
    """The brief rules this material out, by name or by a prominent avoided descriptor."""
    if brief is None:
        return False
    return material_id in brief.avoid_materials or avoid_strength(brief, material_id, catalog) >= AVOID_THRESHOLD


def lightness(brief: Brief, catalog: Catalog) -> float:
    """-1 (dense, warm) … +1 (airy, fresh): where the brief wants the pyramid to lean."""
    light = heavy = 0.0
    for descriptor, weight in brief.descriptors.items():
        family = catalog.family_of(descriptor)
        if descriptor == "light" or family in LIGHT_FAMILIES:
            light += weight
        if descriptor == "heavy" or family in HEAVY_FAMILIES:
            heavy += weight
    total = light + heavy
    lean = (light - heavy) / total if total else 0.0
    return max(-1.0, min(1.0, 0.7 * lean + 0.6 * (0.5 - brief.intensity)))
