"""Repair: bring any formula to a fixed point that the critic's hard rules accept.

One pass substitutes forbidden materials (prohibited by IFRA, or ruled out by the brief) with the
nearest allowed one by descriptors, scales to 100, clips each material to its IFRA cap in this
dilution, moves the pyramid back inside its bands, and rounds to written figures. Passes repeat until
nothing changes, so ``repair(repair(r)) == repair(r)``. A formula that needs nothing comes back as is.
"""

from __future__ import annotations

from collections.abc import Mapping

from perfumery.amounts import allocate, floor_to_step, normalise, round_to_total
from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.fit import is_avoided
from perfumery.models import NotePosition
from perfumery.pyramid import PyramidBands, fit_into_bands
from perfumery.recipe import Recipe

MAX_PASSES = 12


def repair(recipe: Recipe, catalog: Catalog, brief: Brief | None = None,
           bands: PyramidBands | None = None) -> Recipe:
    """The nearest formula that sums to 100, respects IFRA caps, avoids what it must, and is balanced.

    Unknown material ids are dropped (they cannot be weighed). Id, version and name are kept: repair
    completes a formula, it is not a user's edit. Score and violations are cleared when anything changed.
    """
    bands = bands or PyramidBands()
    doses: dict[str, float] = {}
    for ing in recipe.ingredients:
        if ing.material_id in catalog and ing.percent > 0:
            doses[ing.material_id] = doses.get(ing.material_id, 0.0) + ing.percent
    for _ in range(MAX_PASSES):
        fixed = _pass(doses, catalog, recipe.dilution_percent, brief, bands)
        if fixed == doses:
            break
        doses = fixed
    order = [i.material_id for i in recipe.ingredients]
    ingredients = [catalog.ingredient(m, doses[m]) for m in sorted(doses, key=lambda m: _rank(order, m))]
    if ingredients == recipe.ingredients:
        return recipe
    return recipe.model_copy(update={"ingredients": ingredients, "score": None, "violations": [],
                                     "nearest_reference": None})


def _rank(order: list[str], material_id: str) -> tuple[int, str]:
    return (order.index(material_id) if material_id in order else len(order), material_id)


def _ceilings(doses: Mapping[str, float], catalog: Catalog, dilution: float) -> dict[str, float]:
    return {m: floor_to_step(catalog.cap(m, dilution)) for m in doses}


def _allowed(catalog: Catalog, brief: Brief | None, dilution: float):
    must = set(brief.must_include) if brief else set()
    return lambda m: floor_to_step(catalog.cap(m, dilution)) > 0 and (m in must or not is_avoided(brief, m, catalog))


def _pass(doses: dict[str, float], catalog: Catalog, dilution: float, brief: Brief | None,
          bands: PyramidBands) -> dict[str, float]:
    if not doses:
        return {}
    allowed = _allowed(catalog, brief, dilution)
    doses = _substitute_forbidden(doses, catalog, allowed)
    doses = normalise(doses)
    if not doses:
        return {}
    doses = _clip_to_caps(doses, catalog, dilution, brief, allowed)
    doses = _rebalance(doses, catalog, dilution, brief, bands, allowed)
    return round_to_total(doses, _ceilings(doses, catalog, dilution))


def _substitute_forbidden(doses: dict[str, float], catalog: Catalog, allowed) -> dict[str, float]:
    result: dict[str, float] = {}
    for material_id, percent in doses.items():
        if allowed(material_id):
            result[material_id] = result.get(material_id, 0.0) + percent
            continue
        nearest = catalog.nearest_materials(catalog.vector(material_id), k=1, exclude=[material_id],
                                            note=catalog.material(material_id).note, allowed=allowed)
        if nearest:
            replacement = nearest[0][0]
            result[replacement] = result.get(replacement, 0.0) + percent
    return result


def _add_for(position: NotePosition | None, doses: Mapping[str, float], catalog: Catalog, brief: Brief | None,
             allowed) -> str | None:
    """The allowed material that best suits the formula (or brief) to fill a gap in ``position``."""
    vector = dict(brief.descriptors) if brief and brief.descriptors else catalog.blend(doses)
    nearest = catalog.nearest_materials(
        vector, k=1, exclude=doses,
        allowed=lambda m: allowed(m) and (position is None or catalog.material(m).note == position))
    return nearest[0][0] if nearest else None


def _clip_to_caps(doses: dict[str, float], catalog: Catalog, dilution: float, brief: Brief | None,
                  allowed) -> dict[str, float]:
    caps = _ceilings(doses, catalog, dilution)
    if all(p <= caps[m] + 1e-9 for m, p in doses.items()):
        return doses
    while sum(caps.values()) < 100.0:
        # Everything present is capped too low to fill the formula: bring in an unrestricted material.
        extra = _add_for(None, doses, catalog, brief, lambda m: allowed(m) and catalog.cap(m, dilution) >= 100)
        if extra is None:
            break
        doses = {**doses, extra: 0.0}
        caps[extra] = 100.0
    weights = {m: max(p, 1e-6) for m, p in doses.items()}
    return allocate(100.0, weights, {}, caps)


def _rebalance(doses: dict[str, float], catalog: Catalog, dilution: float, brief: Brief | None,
               bands: PyramidBands, allowed) -> dict[str, float]:
    shares = {p: sum(v for m, v in doses.items() if catalog.material(m).note == p) for p in NotePosition}
    if not any(bands.outside(p, s) for p, s in shares.items()):
        return doses
    targets = fit_into_bands(shares, bands)
    caps = _ceilings(doses, catalog, dilution)
    result: dict[str, float] = {}
    for position in NotePosition:
        members = {m: v for m, v in doses.items() if catalog.material(m).note == position}
        capacity = sum(caps[m] for m in members)
        while capacity < targets[position]:
            extra = _add_for(position, {**doses, **result, **members}, catalog, brief,
                             allowed)
            if extra is None:
                break
            low, high = catalog.material(extra).use_range
            members[extra] = max(low, high / 4)
            caps[extra] = floor_to_step(catalog.cap(extra, dilution))
            capacity += caps[extra]
        if members:
            result.update(allocate(targets[position], {m: max(v, 1e-6) for m, v in members.items()}, {},
                                   {m: caps[m] for m in members}))
    return normalise(result)
