"""Where weight goes when a line changes: to carriers, as a perfumer would move it.

Removing a line, clipping an overdose, or raising one material frees or needs weight. A perfumer
moves it through the materials that can carry weight (modifiers and workhorses) — of the same note
position and character first — within each one's ceiling, and never spreads it over traces, nor over
lines the person set themselves. Repair and edits share this policy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from perfumery.amounts import fill_to_total
from perfumery.catalog import Catalog
from perfumery.ifra import IfraCategory
from perfumery.models import NotePosition
from perfumery.similarity import Vector, cosine

TOTAL = 100.0
EPSILON = 1e-6


class Rebalancer:
    """The ceilings and carriers of one formula's product; ``pinned`` lines keep their figure."""

    def __init__(self, catalog: Catalog, load_percent: float, category: IfraCategory,
                 pinned: Mapping[str, float] | None = None, allowed: Callable[[str], bool] | None = None,
                 wanted: Vector | None = None) -> None:
        self.catalog = catalog
        self.load = load_percent
        self.category = category
        self.pinned = dict(pinned or {})
        self._allowed = allowed or (lambda m: self.catalog.ceiling(m, self.load, self.category) > 0
                                    and self.catalog.composable(m, self.category))
        self.wanted = wanted
        self.held: dict[str, float] = {}
        """Lines held at or below a figure for the rest of a repair (contributors to a summed IFRA limit)."""

    def hold(self, material_id: str, percent: float) -> None:
        """Cap a line at ``percent`` from now on: weight moved later must not refill what a summed limit took."""
        self.held[material_id] = min(percent, self.held.get(material_id, percent))

    def allowed(self, material_id: str) -> bool:
        return self._allowed(material_id)

    def ceiling(self, material_id: str) -> float:
        if material_id in self.pinned:
            return self.pinned[material_id]
        if material_id not in self.catalog:
            return TOTAL
        ceiling = self.catalog.ceiling(material_id, self.load, self.category)
        return min(ceiling, self.held[material_id]) if material_id in self.held else ceiling

    def ceilings(self, doses: Mapping[str, float]) -> dict[str, float]:
        return {m: self.ceiling(m) for m in doses}

    def note(self, material_id: str) -> NotePosition | None:
        return self.catalog.material(material_id).note if material_id in self.catalog else None

    def carriers(self, doses: Mapping[str, float], position: NotePosition | None = None,
                 exclude: frozenset[str] = frozenset(), like: str | None = None) -> dict[str, float]:
        """Weights of the lines that may take or give weight: unpinned carriers, by usual dose, and more
        for those whose character is like ``like`` (the material whose weight is moving)."""
        profile = self.catalog.material_profile(like) if like in self.catalog else None
        weights = {}
        for m in doses:
            if m in self.pinned or m in exclude or m not in self.catalog:
                continue
            material = self.catalog.material(m)
            if not material.carrier or (position is not None and material.note != position):
                continue
            kinship = cosine(profile, self.catalog.material_profile(m)) if profile else 0.5
            weights[m] = material.typical_dose * (0.25 + kinship)
        return weights

    def absorb(self, doses: Mapping[str, float], position: NotePosition | None = None,
               exclude: frozenset[str] = frozenset(), like: str | None = None,
               banned: frozenset[str] = frozenset()) -> dict[str, float]:
        """Close the gap to 100 through carriers, ``position`` first, bringing in a new carrier (never one
        of ``banned``) when the present ones are at their ceilings, or taking from them when over 100.
        ``exclude`` lines keep their dose."""
        result = dict(doses)
        if sum(result.values()) > TOTAL:
            # Making room: every carrier gives in proportion to its dose, none below its usual minimum.
            for floors in (self.floors(result), None):
                result = fill_to_total(result, self.carriers(result, None, exclude), self.ceilings(result),
                                       floors=floors)
            return {m: p for m, p in result.items() if p > 0}
        for scope in dict.fromkeys((position, None)):
            result = fill_to_total(result, self.carriers(result, scope, exclude, like), self.ceilings(result))
            while sum(result.values()) < TOTAL - EPSILON:
                extra = self.new_carrier(scope, result, banned)
                if extra is None:
                    break
                result[extra] = 0.0
                result = fill_to_total(result, self.carriers(result, scope, exclude, like), self.ceilings(result))
            if abs(sum(result.values()) - TOTAL) < EPSILON:
                break
        return {m: p for m, p in result.items() if p > 0}

    def floors(self, doses: Mapping[str, float]) -> dict[str, float]:
        return {m: self.catalog.material(m).use_range[0] for m in doses if m in self.catalog}

    def new_carrier(self, position: NotePosition | None, doses: Mapping[str, float],
                     banned: frozenset[str]) -> str | None:
        """The allowed carrier most like what is wanted (or the formula itself) for ``position``."""
        catalog = self.catalog
        vector = dict(self.wanted) if self.wanted else catalog.blend(doses)
        nearest = catalog.nearest_materials(
            vector, k=1, exclude=[*doses, *banned],
            allowed=lambda m: self.allowed(m) and catalog.material(m).carrier
            and (position is None or catalog.material(m).note == position))
        return nearest[0][0] if nearest else None
