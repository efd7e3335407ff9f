"""The perfumer's organ as the core sees it: materials, accords, reference perfumes and odor families.

Immutable and pure. Built by ``knowledge.kb`` from the curated YAML; tests build small ones by hand.
Vectors are computed once per catalog and cached.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import combinations
from types import MappingProxyType

from perfumery.amounts import floor_to_step
from perfumery.ifra import (
    Contribution,
    IfraCategory,
    IfraStandard,
    IfraStatus,
    StandardCheck,
    check_standards,
    material_cap,
    newest_amendment,
)
from perfumery.models import FAMILY_KO, Accord, Family, Material, NotePosition, ReferencePerfume
from perfumery.recipe import Ingredient
from perfumery.similarity import (
    Vector,
    blend,
    cosine,
    dose_impact,
    presence_percent,
    rank_weights,
    scaled_to_max,
    with_families,
    with_implied,
)

PRESENCE_REFERENCE = 3.0  # % of concentrate: a material at its usual dose reads like this on the sqrt scale


class UnknownMaterialError(KeyError):
    """A material id the catalog does not hold; ``message_ko`` is safe to show a user."""

    def __init__(self, material_id: str) -> None:
        super().__init__(material_id)
        self.material_id = material_id
        self.message_ko = f"'{material_id}'은(는) 재료 목록에 없는 재료입니다."

    def __str__(self) -> str:
        return self.message_ko


@dataclass(frozen=True, eq=False)
class Catalog:
    materials: Mapping[str, Material]
    accords: Mapping[str, Accord]
    references: Mapping[str, ReferencePerfume]
    descriptor_families: Mapping[str, str]
    standards: Mapping[str, IfraStandard] = field(default_factory=dict)
    contributions: Mapping[str, tuple[Contribution, ...]] = field(default_factory=dict)
    descriptor_implies: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    descriptor_words: Mapping[str, str] = field(default_factory=dict, metadata={"doc": "descriptor → Korean word"})
    impressions: frozenset[str] = field(default_factory=frozenset,
                                        metadata={"doc": "qualities (warm, soft) perceived through their family"})

    def __post_init__(self) -> None:
        for name in ("materials", "accords", "references", "descriptor_families", "standards", "contributions",
                     "descriptor_implies", "descriptor_words"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    # --- lookup ----------------------------------------------------------------------------
    def material(self, material_id: str) -> Material:
        try:
            return self.materials[material_id]
        except KeyError:
            raise UnknownMaterialError(material_id) from None

    def __contains__(self, material_id: object) -> bool:
        return material_id in self.materials

    def ingredient(self, material_id: str, percent: float, note: NotePosition | None = None) -> Ingredient:
        """An ingredient line with names, CAS and note position taken from the catalog."""
        material = self.material(material_id)
        return Ingredient(material_id=material_id, name_ko=material.name_ko, name_en=material.name_en,
                          cas=material.cas, note=note or material.note, percent=percent)

    def is_prohibited(self, material_id: str, category: IfraCategory = IfraCategory.c4) -> bool:
        return self.ifra_status(material_id, category) == IfraStatus.prohibited

    def cap(self, material_id: str, dilution_percent: float, category: IfraCategory = IfraCategory.c4) -> float:
        """IFRA maximum in the concentrate at this fragrance load (0 when prohibited, 100 when unrestricted).

        Only figures we hold count; where a figure is missing, ``ifra_status`` says unknown.
        """
        self.material(material_id)
        return material_cap(self.contributions.get(material_id, ()), self.standards, category, dilution_percent)[0]

    def ceiling(self, material_id: str, dilution_percent: float, category: IfraCategory = IfraCategory.c4) -> float:
        """The most a composed formula may hold: the typical maximum, never past the IFRA cap."""
        return min(self.material(material_id).use_max, floor_to_step(self.cap(material_id, dilution_percent,
                                                                                category)))

    def composable(self, material_id: str, category: IfraCategory = IfraCategory.c4) -> bool:
        """May be offered for composition: not banned by law, neither prohibited nor of unknown IFRA standing."""
        return not self.material(material_id).prohibited_by and self.ifra_status(material_id, category) not in (
            IfraStatus.prohibited, IfraStatus.unknown)

    def ifra_unidentified(self, material_id: str) -> bool:
        """No Standard matched the material and we hold neither its CAS number nor an IFRA note, so nothing
        tells whether a Standard applies: its standing is 확인 필요, never "not under a Standard".

        The one home of this rule: the critic, the IFRA summary and the chat's compliance report all ask here.
        """
        material = self.material(material_id)
        return not self.contributions.get(material_id) and not (material.cas or material.ifra_note)

    def ifra_status(self, material_id: str, category: IfraCategory = IfraCategory.c4) -> IfraStatus:
        contributions = self.contributions.get(material_id, ())
        if not contributions:
            return IfraStatus.unknown if self.ifra_unidentified(material_id) else IfraStatus.none
        cap, missing = material_cap(contributions, self.standards, category, 100.0)  # the load scales, not decides
        if cap == 0.0:
            return IfraStatus.prohibited
        if missing:
            return IfraStatus.unknown
        return IfraStatus.restricted

    @cached_property
    def ifra_amendment(self) -> str:
        """The amendment of the IFRA tables this catalog was built from, for every sentence that names it."""
        return newest_amendment(s.amendment for s in self.standards.values())

    def standards_of(self, material_id: str) -> list[IfraStandard]:
        """The Standards that touch a material, directly or through its constituents."""
        ids = dict.fromkeys(c.standard for c in self.contributions.get(material_id, ()))
        return [self.standards[s] for s in ids if s in self.standards]

    def check_ifra(self, doses: Mapping[str, float], category: IfraCategory,
                   load_percent: float) -> list[StandardCheck]:
        """Every Standard the formula touches, summed over its lines (an IFRA certificate's arithmetic)."""
        return check_standards({m: p for m, p in doses.items() if m in self.materials}, self.contributions,
                               self.standards, category, load_percent)

    # --- vectors ---------------------------------------------------------------------------
    @cached_property
    def _material_vectors(self) -> dict[str, Vector]:
        return {mid: with_implied(rank_weights(m.descriptors), self.descriptor_implies)
                for mid, m in self.materials.items()}

    @cached_property
    def _material_profiles(self) -> dict[str, Vector]:
        return {mid: self.profile(v) for mid, v in self._material_vectors.items()}

    def vector(self, material_id: str) -> Vector:
        """Descriptor weights of one material (strongest descriptor = 1), implied descriptors included."""
        self.material(material_id)
        return self._material_vectors[material_id]

    def material_profile(self, material_id: str) -> Vector:
        self.material(material_id)
        return self._material_profiles[material_id]

    @cached_property
    def _likeness(self) -> dict[tuple[str, str], float]:
        return {}

    def likeness(self, a: str, b: str) -> float:
        """Cosine of two materials' profiles, remembered: the composer asks for the same pairs many times."""
        key = (a, b) if a <= b else (b, a)
        if key not in self._likeness:
            self._likeness[key] = cosine(self.material_profile(a), self.material_profile(b))
        return self._likeness[key]

    def profile(self, vector: Mapping[str, float]) -> Vector:
        """A descriptor vector with odor-family dimensions added, for similarity."""
        return with_families(vector, self.descriptor_families)

    def descriptor_word(self, descriptor: str) -> str | None:
        """The Korean word a customer uses for a descriptor (its family's word when none is listed)."""
        if descriptor in self.descriptor_words:
            return self.descriptor_words[descriptor]
        family = self.family_of(descriptor)
        return FAMILY_KO.get(Family(family)) if family in Family.__members__ else None

    def family_of(self, descriptor: str) -> str | None:
        family = self.descriptor_families.get(descriptor)
        return str(family) if family is not None else None

    def presence(self, material_id: str, percent: float) -> float:
        """How strongly a line reads in the formula: its dose relative to the material's usual dose.

        Potent materials are used in tenths of a percent and carriers in tens; each at its usual dose
        reads about as present as ``PRESENCE_REFERENCE`` % did on the plain square-root scale, so a
        trace at 0.1 % is not drowned by a workhorse at 20 %, and overdosing buys little.
        """
        return dose_impact(percent * PRESENCE_REFERENCE / self.material(material_id).typical_dose)

    def presence_dose(self, material_id: str, presence: float) -> float:
        """The dose at which a line reads with ``presence``: the inverse of ``presence``."""
        return presence_percent(presence) * self.material(material_id).typical_dose / PRESENCE_REFERENCE

    def blend(self, doses: Mapping[str, float]) -> Vector:
        """Odor vector of a formula (material → percent), scaled so its strongest descriptor is 1."""
        return scaled_to_max(blend((self._material_vectors[m], self.presence(m, p))
                                   for m, p in doses.items() if m in self.materials))

    @cached_property
    def _reference_profiles(self) -> dict[str, Vector]:
        profiles: dict[str, Vector] = {}
        for ref_id, ref in self.references.items():
            notes = [m for m in ref.material_ids() if m in self.materials]
            listed = scaled_to_max(blend((self._material_vectors[m], 1.0) for m in notes))
            profiles[ref_id] = self.profile(blend([(rank_weights(ref.descriptors), 1.0), (listed, 0.6)]))
        return profiles

    def reference_profile(self, reference_id: str) -> Vector:
        return self._reference_profiles[reference_id]

    # --- neighbours ------------------------------------------------------------------------
    def nearest_materials(self, vector: Mapping[str, float], k: int = 5, exclude: Iterable[str] = (),
                          note: NotePosition | None = None,
                          allowed: Callable[[str], bool] | None = None) -> list[tuple[str, float]]:
        """Materials most like ``vector`` (cosine on family-expanded profiles), best first.

        With ``note`` set, materials of that position rank ahead of the others at equal likeness.
        """
        target = self.profile(vector)
        excluded = set(exclude)
        scored = []
        for mid, material_profile in self._material_profiles.items():
            if mid in excluded or (allowed is not None and not allowed(mid)):
                continue
            score = cosine(target, material_profile)
            if note is not None and self.materials[mid].note == note:
                score += 0.15
            scored.append((mid, score))
        scored.sort(key=lambda item: (-item[1], item[0]))
        return scored[:k]

    @cached_property
    def partners(self) -> Mapping[str, frozenset[str]]:
        """Materials known to work together: they share an accord or a published perfume."""
        pairs: dict[str, set[str]] = {}
        groups = [[c.material for c in a.components] for a in self.accords.values()]
        groups += [ref.material_ids() for ref in self.references.values()]
        for group in groups:
            for a, b in combinations(sorted(set(group)), 2):
                pairs.setdefault(a, set()).add(b)
                pairs.setdefault(b, set()).add(a)
        return MappingProxyType({k: frozenset(v) for k, v in pairs.items()})

    def accord_profile(self, accord_id: str) -> Vector:
        return self.profile(rank_weights(self.accords[accord_id].descriptors))

    def similarity(self, a: Mapping[str, float], b: Mapping[str, float]) -> float:
        """Cosine of two descriptor vectors after adding family dimensions."""
        return cosine(self.profile(a), self.profile(b))
