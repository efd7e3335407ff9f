"""Where weight goes when a line changes, as a perfumer would move it.

Two policies, both within every line's ceiling (its usual maximum and its IFRA cap) and never over lines the
person set themselves:

- **Keep the ratios** (``keep_ratios``): a formula written in parts. Removing a line leaves the other parts
  as they were, so the percentages of the untouched lines rise together and their ratios are kept; raising
  one line lowers the others together. A line that would pass its ceiling stops there and is named, with the
  bound that stopped it. This is what a person's edit does by default.
- **Through carriers** (``absorb``): the materials that can carry weight (modifiers and workhorses) — of the
  same note position and character first — take or give it, never traces. Repair completes a formula this
  way, and an edit does when the person asks for it ("캐리어로 채워").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from enum import StrEnum

from perfumery.amounts import allocate, fill_to_total, floor_to_step
from perfumery.catalog import Catalog
from perfumery.ifra import CheckStatus, IfraCategory
from perfumery.models import NotePosition
from perfumery.similarity import Vector, cosine

TOTAL = 100.0
EPSILON = 1e-6
STANDARD_MARGIN = 0.99  # land just under a summed IFRA limit so rounding cannot cross it
RATIO_PASSES = 6
# Keeping ratios, no line takes more than this times its share when others stop at their ceilings: what the
# lines in proportion cannot take goes to a carrier like the formula, not into one line that balloons.
RATIO_STRETCH = 2.0


class Bound(StrEnum):
    """What stopped a line from keeping its ratio."""

    use_max = "use_max"  # the material's usual maximum
    ifra = "ifra"  # an IFRA cap, alone or summed over the lines of one Standard


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

    def bound(self, material_id: str) -> Bound:
        """Which ceiling a line stops at: its IFRA cap when that is below its usual maximum or a summed
        Standard holds it, else the usual maximum."""
        cap = floor_to_step(self.catalog.cap(material_id, self.load, self.category))
        return Bound.ifra if material_id in self.held or cap < self.catalog.material(material_id).use_max \
            else Bound.use_max

    def keep_ratios(self, doses: Mapping[str, float], fixed: Iterable[str] = (),
                    banned: frozenset[str] = frozenset()) -> tuple[dict[str, float], dict[str, Bound]]:
        """Close the gap to 100 as a formula written in parts does: every line neither ``fixed`` nor pinned
        scales by one factor, so their ratios stay. Scaling up, a line stops at its ceiling (a line already
        above it keeps its dose) and the others take the rest, each at most ``RATIO_STRETCH`` times its
        proportional share; a summed IFRA Standard the scaling would break holds its free contributors just
        under the limit. What the free lines cannot take goes to a carrier like the formula (never one of
        ``banned``). Returns the doses and, for each line that could not keep its ratio, the bound that
        stopped it."""
        result = dict(doses)
        frozen = set(fixed) | set(self.pinned)
        reference = {m: p for m, p in result.items() if m not in frozen}  # the ratios to keep
        free = list(reference)
        newcomers: list[str] = []
        bounds: dict[str, Bound] = {}
        for _ in range(RATIO_PASSES):
            need = TOTAL - sum(p for m, p in result.items() if m not in free and m not in newcomers)
            total = sum(reference[m] for m in free)
            if total <= 0 or need <= 0 or abs(sum(result[m] for m in (*free, *newcomers)) - need) < EPSILON:
                break
            factor = need / total
            if factor > 1:
                highs = {m: min(max(reference[m], self.ceiling(m)), reference[m] * factor * RATIO_STRETCH)
                         for m in free}
                highs.update({m: self.ceiling(m) for m in newcomers})
            else:
                highs = {m: need for m in (*free, *newcomers)}
            weights = {**{m: reference[m] for m in free}, **{m: 0.0 for m in newcomers}}
            allocated = allocate(need, weights, {}, highs)
            bounds.update({m: self.bound(m) for m in free
                           if factor > 1 and allocated[m] < reference[m] * factor - EPSILON
                           and allocated[m] >= self.ceiling(m) - EPSILON})
            result.update(allocated)
            held = self.hold_standards(result, [*free, *newcomers])
            bounds.update({m: Bound.ifra for m in held})
            free = [m for m in free if m not in held]
            newcomers = [m for m in newcomers if m not in held]
            if held:
                continue
            if sum(result.values()) >= TOTAL - EPSILON:
                break
            extra = self.new_carrier(None, result, frozenset(banned))
            if extra is None:
                break
            result[extra] = 0.0
            newcomers.append(extra)
        return {m: p for m, p in result.items() if p > 0}, bounds

    def hold_standards(self, doses: dict[str, float], free: list[str]) -> list[str]:
        """Shrink the free contributors of every IFRA Standard now over its limit to just under it, and hold
        them there; the lines held."""
        held = []
        for check in self.catalog.check_ifra(doses, self.category, self.load):
            contributors = [m for m in check.contributors if m in free and m not in held]
            if check.status != CheckStatus.over or not contributors or not check.level_percent:
                continue
            factor = STANDARD_MARGIN * (check.limit.percent or 0.0) / check.level_percent
            for material_id in contributors:
                doses[material_id] = floor_to_step(doses[material_id] * factor)
                self.hold(material_id, doses[material_id])
                held.append(material_id)
        return held

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
