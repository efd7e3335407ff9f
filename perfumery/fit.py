"""How well a formula answers a brief: what it should smell of, and what it must not.

A descriptor's *presence* in a formula is the sum over its lines of how much the material smells of it
(its descriptor weight) times how strongly the line reads (dose relative to the material's usual dose,
``Catalog.presence``): a potent accent at its usual dose counts as much as a carrier at its own.

- A **headline** is a descriptor the brief weights at least ``HEADLINE_WEIGHT``: it is what the person asked
  for, and it must be *perceptible* — a presence of ``PERCEPTIBLE`` or more, about one material whose main
  character it is at three-quarters of its usual dose (coffee CO2 at 0.5 %, phenylethyl alcohol at 3 %).
- A **firmly avoided** descriptor (weight ``FIRM_AVOID`` or more: "너무 달지 않게", "바닐라 없이") may not be the
  main character (``MAIN_CHARACTER``) of any line above a trace (``TRACE_PRESENCE``).
- **Coverage** counts each target descriptor as covered once its presence reaches ``SATURATION`` (about three
  materials at their usual dose whose strongest descriptor it is); a descriptor only reached through its odor
  family earns half credit.

Every measure reads materials through an ``OdorReading``: the knowledge base's own tags by default
(``TagReading``), or an independent public reference (``eval.odor_reference.Judge``) so the composer is not
graded by the tags it composed from.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.similarity import Vector, blend

SATURATION = 3.0
FAMILY_CREDIT = 0.5
AVOID_THRESHOLD = 0.5  # a material is off-limits when an avoided descriptor is this prominent in it
AVOID_PENALTY = 0.6
HEADLINE_WEIGHT = 0.8
FIRM_AVOID = 0.8
MAIN_CHARACTER = 0.6  # among a material's first two descriptors (1, 0.67), or implied by its first (0.8)
PERCEPTIBLE = 1.5
TRACE_PRESENCE = 0.5  # a line at about a twelfth of its usual dose
MISSED_HEADLINE_CAP = 0.6  # a formula whose headline cannot be smelled fits its brief at most this well

# Families that read as airy/fresh versus dense/warm: they steer the pyramid (lighter → more top).
LIGHT_FAMILIES = frozenset({"citrus", "aromatic", "green", "marine", "aldehydic"})
HEAVY_FAMILIES = frozenset({"amber", "resinous", "gourmand", "leather", "animalic", "woody", "musk", "mossy"})

class OdorReading(Protocol):
    """What a material smells of, as one source reads it."""

    def vector(self, material_id: str) -> Mapping[str, float]:
        """Descriptor → how much the material smells of it (strongest 1)."""
        ...

    def character(self, material_id: str, descriptor: str) -> float:
        """How much ``descriptor`` is the material's main character (0 when it is only a facet)."""
        ...


class TagReading:
    """The knowledge base's own tags: a descriptor is a main character among the first two (or implied by
    the first)."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def vector(self, material_id: str) -> Mapping[str, float]:
        return self.catalog.vector(material_id)

    def character(self, material_id: str, descriptor: str) -> float:
        return character(self.catalog, material_id, descriptor)


def odor_mass(doses: Mapping[str, float], catalog: Catalog, reading: OdorReading | None = None) -> Vector:
    """Presence per descriptor: each line's descriptor weights times how strongly the line reads."""
    reading = reading or TagReading(catalog)
    return blend((reading.vector(m), catalog.presence(m, p)) for m, p in doses.items() if m in catalog)


def family_mass(mass: Mapping[str, float], catalog: Catalog) -> Vector:
    families: Vector = {}
    for descriptor, value in mass.items():
        family = catalog.family_of(descriptor)
        if family:
            families[family] = families.get(family, 0.0) + value
    return families


def headlines(brief: Brief) -> list[str]:
    """The descriptors the brief is about, strongest first."""
    return [d for d, w in sorted(brief.descriptors.items(), key=lambda kv: (-kv[1], kv[0])) if w >= HEADLINE_WEIGHT]


def firm_avoids(brief: Brief) -> list[str]:
    return sorted(d for d, w in brief.avoid_descriptors.items() if w >= FIRM_AVOID)


def character(catalog: Catalog, material_id: str, descriptor: str) -> float:
    """How much ``descriptor`` is the material's main character by our tags: its weight when it is, else 0.

    A descriptor that names a whole odor family ("citrus", "marine", "fruity") is the character of every
    material whose main character lies in that family: lemon oil is a citrus, floralozone (ozonic) a marine,
    γ-decalactone (peach) a fruity material — "시트러스 빼줘" and "바다 느낌 없이" mean the family.
    """
    vector = catalog.vector(material_id)
    if catalog.family_of(descriptor) == descriptor:
        weight = max((w for d, w in vector.items() if catalog.family_of(d) == descriptor), default=0.0)
    else:
        weight = vector.get(descriptor, 0.0)
    return weight if weight >= MAIN_CHARACTER else 0.0


def headline_sources(catalog: Catalog, descriptor: str, among: Iterable[str] | None = None) -> list[str]:
    """Materials that can make ``descriptor`` perceptible, best first: those whose main character it is
    before those that only touch it, then the most potent (smallest usual dose)."""
    ids = catalog.materials if among is None else [m for m in among if m in catalog]
    found = [m for m in ids if catalog.vector(m).get(descriptor, 0.0) > 0]
    return sorted(found, key=lambda m: (not character(catalog, m, descriptor), catalog.material(m).typical_dose, m))


def dose_to_perceive(catalog: Catalog, doses: Mapping[str, float], descriptor: str, material_id: str,
                     margin: float = 1.0) -> float:
    """The dose of ``material_id`` at which ``descriptor`` reaches ``margin`` × the perceptible presence in
    this formula (its present dose when it already does; before any ceiling)."""
    missing = margin * PERCEPTIBLE - odor_mass(doses, catalog).get(descriptor, 0.0)
    have = doses.get(material_id, 0.0)
    if missing <= 0:
        return have
    weight = catalog.vector(material_id)[descriptor]
    return max(have, catalog.presence_dose(material_id, catalog.presence(material_id, have) + missing / weight))


def delivered(brief: Brief, doses: Mapping[str, float], catalog: Catalog) -> Brief:
    """The brief as the formula answers it: only the descriptors it makes perceptible. What a reply may say
    it matched ("요청하신 커피 분위기") and what a narration is told to speak of."""
    mass = odor_mass(doses, catalog)
    return brief.model_copy(update={"descriptors": {d: w for d, w in brief.descriptors.items()
                                                    if can_smell(d, mass, catalog)}})


def can_smell(descriptor: str, mass: Mapping[str, float], catalog: Catalog) -> bool:
    """Whether a formula with this odor mass smells of ``descriptor``: its presence reaches ``PERCEPTIBLE``;
    a quality rather than an odor (``Catalog.impressions``: warm, soft, fresh …) is perceived through its
    family as well, at twice the presence (half credit, as in ``coverage``) — warm through ambers."""
    if mass.get(descriptor, 0.0) >= PERCEPTIBLE:
        return True
    family = catalog.family_of(descriptor)
    return (descriptor in catalog.impressions and family is not None
            and family_mass(mass, catalog).get(family, 0.0) >= 2 * PERCEPTIBLE)


def perceptible(brief: Brief, doses: Mapping[str, float], catalog: Catalog,
                reading: OdorReading | None = None) -> dict[str, bool]:
    """Per headline descriptor: can it be smelled in the formula?"""
    mass = odor_mass(doses, catalog, reading)
    return {d: can_smell(d, mass, catalog) for d in headlines(brief)}


def avoided_lines(brief: Brief, doses: Mapping[str, float], catalog: Catalog,
                  reading: OdorReading | None = None) -> dict[str, list[str]]:
    """Per firmly avoided descriptor: the lines whose main character it is, above a trace."""
    reading = reading or TagReading(catalog)
    found: dict[str, list[str]] = {}
    for descriptor in firm_avoids(brief):
        lines = [m for m, p in doses.items() if m in catalog and reading.character(m, descriptor)
                 and catalog.presence(m, p) >= TRACE_PRESENCE]
        if lines:
            found[descriptor] = sorted(lines, key=lambda m: (-catalog.presence(m, doses[m]), m))
    return found


def coverage(brief: Brief, doses: Mapping[str, float], catalog: Catalog,
             reading: OdorReading | None = None) -> dict[str, float]:
    """Per target descriptor, 0..1: how much of it the formula delivers."""
    mass = odor_mass(doses, catalog, reading)
    families = family_mass(mass, catalog)
    result: dict[str, float] = {}
    for descriptor in brief.descriptors:
        direct = min(1.0, mass.get(descriptor, 0.0) / SATURATION)
        family = catalog.family_of(descriptor)
        related = FAMILY_CREDIT * min(1.0, families.get(family, 0.0) / (2 * SATURATION)) if family else 0.0
        result[descriptor] = max(direct, related)
    return result


def avoided_presence(brief: Brief, doses: Mapping[str, float], catalog: Catalog,
                     reading: OdorReading | None = None) -> dict[str, float]:
    """Per avoided descriptor, 0..1: how strongly the formula smells of it anyway — through the lines whose
    main character it is. A nuance further down a material's list (the fruity facet of an ionone, the fresh
    one of rosewood) is not what a person who asked for "no fruit" or "nothing fresh" objects to."""
    reading = reading or TagReading(catalog)
    found = {}
    for descriptor in brief.avoid_descriptors:
        mass = sum(reading.character(m, descriptor) * catalog.presence(m, p)
                   for m, p in doses.items() if m in catalog)
        found[descriptor] = min(1.0, mass / SATURATION)
    return found


def brief_fit(brief: Brief, doses: Mapping[str, float], catalog: Catalog, reading: OdorReading | None = None) -> float:
    """Weighted coverage of the targets minus a penalty for avoided descriptors, in 0..1.

    A formula in which a headline cannot be smelled, or a firmly avoided descriptor is a line's main
    character, does not answer its brief whatever else it covers: its fit is capped.
    """
    covered = coverage(brief, doses, catalog, reading)
    weight = sum(brief.descriptors.values())
    score = sum(brief.descriptors[d] * c for d, c in covered.items()) / weight if weight else 1.0
    avoid_weight = sum(brief.avoid_descriptors.values())
    if avoid_weight:
        present = avoided_presence(brief, doses, catalog, reading)
        score -= AVOID_PENALTY * sum(brief.avoid_descriptors[d] * p for d, p in present.items()) / avoid_weight
    if not all(perceptible(brief, doses, catalog, reading).values()) or avoided_lines(brief, doses, catalog,
                                                                                       reading):
        score = min(score, MISSED_HEADLINE_CAP)
    return max(0.0, min(1.0, score))


def avoid_strength(brief: Brief, material_id: str, catalog: Catalog) -> float:
    vector = catalog.vector(material_id)
    return max((w * vector.get(d, 0.0) for d, w in brief.avoid_descriptors.items()), default=0.0)


def is_avoided(brief: Brief | None, material_id: str, catalog: Catalog) -> bool:
    """The brief rules this material out, by name, by a prominent avoided descriptor, or because a firmly
    avoided descriptor is its main character."""
    if brief is None:
        return False
    return (material_id in brief.avoid_materials or avoid_strength(brief, material_id, catalog) >= AVOID_THRESHOLD
            or any(character(catalog, material_id, d) for d in firm_avoids(brief)))


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
