"""Repair: bring any formula to a fixed point that the critic's hard rules accept.

One pass substitutes forbidden materials (prohibited by IFRA in the product's category, or ruled out by
the brief) with the nearest allowed one by descriptors, brings every line under its ceiling (typical
maximum and IFRA cap), moves the pyramid toward its bands, brings every IFRA Standard's sum over the
lines under its limit (after rebalancing, which could lift a contributor back), and rounds to written
figures without lifting a shrunk line. Weight taken from a line goes to carriers —
materials that can hold weight — never proportionally into traces. Lines the person pinned are left as
they are. Passes repeat until nothing changes, so ``repair(repair(r)) == repair(r)``.
"""

from __future__ import annotations

from perfumery.amounts import allocate, floor_to_step, normalise, round_to_total
from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.fit import is_avoided
from perfumery.ifra import CheckStatus
from perfumery.models import NotePosition
from perfumery.pyramid import PyramidBands, fit_into_bands
from perfumery.rebalance import Rebalancer
from perfumery.recipe import Fix, Recipe

MAX_PASSES = 12
STANDARD_MARGIN = 0.99  # land just under a summed limit so rounding cannot cross it


def _rebalancer(catalog: Catalog, recipe: Recipe, brief: Brief | None) -> Rebalancer:
    pinned = {i.material_id: i.percent for i in recipe.ingredients if i.pinned}
    must = set(brief.must_include) if brief else set()
    category, load = recipe.category, recipe.dilution_percent

    def allowed(m: str) -> bool:
        if m in pinned:
            return True
        if m in must:
            return catalog.ceiling(m, load, category) > 0
        return catalog.ceiling(m, load, category) > 0 and catalog.composable(m, category) and not is_avoided(
            brief, m, catalog)

    wanted = dict(brief.descriptors) if brief and brief.descriptors else None
    return Rebalancer(catalog, load, category, pinned, allowed, wanted)


def repair(recipe: Recipe, catalog: Catalog, brief: Brief | None = None,
           bands: PyramidBands | None = None) -> Recipe:
    """The nearest formula that sums to 100, keeps every ceiling and IFRA limit, avoids what it must,
    and sits in the pyramid's bands where its materials allow.

    Unknown material ids are dropped (they cannot be weighed). Id, version and name are kept: repair
    completes a formula, it is not a user's edit. Score and violations are cleared when anything changed.
    """
    context = _rebalancer(catalog, recipe, brief)
    bands = bands or PyramidBands()
    doses: dict[str, float] = {}
    for ing in recipe.ingredients:
        if ing.material_id in catalog and ing.percent > 0:
            doses[ing.material_id] = doses.get(ing.material_id, 0.0) + ing.percent
    for _ in range(MAX_PASSES):
        fixed = _pass(doses, context, bands)
        if fixed == doses:
            break
        doses = fixed
    order = [i.material_id for i in recipe.ingredients]
    ingredients = [catalog.ingredient(m, doses[m]).model_copy(update={"pinned": m in context.pinned})
                   for m in sorted(doses, key=lambda m: _rank(order, m))]
    if ingredients == recipe.ingredients:
        return recipe
    return recipe.model_copy(update={"ingredients": ingredients, "score": None, "violations": [],
                                     "nearest_reference": None})


def _rank(order: list[str], material_id: str) -> tuple[int, str]:
    return (order.index(material_id) if material_id in order else len(order), material_id)


def _pass(doses: dict[str, float], context: Rebalancer, bands: PyramidBands) -> dict[str, float]:
    if not doses:
        return {}
    doses = _substitute_forbidden(doses, context)
    doses = _to_total(doses, context)
    if not doses:
        return {}
    doses = _under_ceilings(doses, context)
    doses = _rebalance(doses, context, bands)
    # Standards last: rebalancing may lift a contributor back over a summed limit, and rounding must not.
    doses = _under_standards(doses, context)
    return round_to_total(doses, context.ceilings(doses))


def _to_total(doses: dict[str, float], context: Rebalancer) -> dict[str, float]:
    """Scale the unpinned lines so the whole sums to 100 (pinned lines keep their figure)."""
    pinned = {m: p for m, p in doses.items() if m in context.pinned}
    rest = normalise({m: p for m, p in doses.items() if m not in pinned}, max(0.0, 100.0 - sum(pinned.values())))
    return {m: pinned.get(m, rest.get(m, 0.0)) for m in doses if m in pinned or m in rest}


def _substitute_forbidden(doses: dict[str, float], context: Rebalancer) -> dict[str, float]:
    catalog = context.catalog
    result: dict[str, float] = {}
    for material_id, percent in doses.items():
        if context.allowed(material_id):
            result[material_id] = result.get(material_id, 0.0) + percent
            continue
        nearest = catalog.nearest_materials(catalog.vector(material_id), k=1, exclude=[material_id],
                                            note=context.note(material_id), allowed=context.allowed)
        if nearest:
            replacement = nearest[0][0]
            result[replacement] = result.get(replacement, 0.0) + min(percent, context.ceiling(replacement))
    return result


def _under_ceilings(doses: dict[str, float], context: Rebalancer) -> dict[str, float]:
    over = {m: p for m, p in doses.items() if p > context.ceiling(m) + 1e-9}
    if not over:
        return doses
    result = {m: min(p, context.ceiling(m)) for m, p in doses.items()}
    for material_id in sorted(over, key=lambda m: -over[m]):
        result = context.absorb(result, context.note(material_id), exclude=frozenset(over), like=material_id)
    return result


def _under_standards(doses: dict[str, float], context: Rebalancer) -> dict[str, float]:
    """Each IFRA Standard summed over the lines stays under its limit: contributors shrink together, and are
    held there (``Rebalancer.hold``) so that neither later weight moves nor rounding lift them again."""
    result = dict(doses)
    checks = [c for c in context.catalog.check_ifra(result, context.category, context.load) if c.status == CheckStatus.over]
    if not checks:
        return result
    shrunk: set[str] = set()
    for check in checks:
        factor = STANDARD_MARGIN * (check.limit.percent or 0.0) / check.level_percent
        for material_id in check.contributors:
            if material_id not in context.pinned:
                # Written figures are floored: rounding a shrunk line back up would cross the limit again.
                result[material_id] = floor_to_step(result[material_id] * factor)
                context.hold(material_id, result[material_id])
                shrunk.add(material_id)
    return context.absorb(result, None, exclude=frozenset(shrunk))


def _rebalance(doses: dict[str, float], context: Rebalancer, bands: PyramidBands) -> dict[str, float]:
    """Move weight between positions through their carriers; a band gives way before a ceiling does."""
    catalog = context.catalog
    shares = {p: sum(v for m, v in doses.items() if context.note(m) == p) for p in NotePosition}
    if not any(bands.outside(p, s) for p, s in shares.items()):
        return doses
    targets = fit_into_bands(shares, bands)
    result = dict(doses)
    for position in NotePosition:
        # A position whose carriers cannot hold its target gets a carrier more (the old band-keeping).
        while sum(context.ceiling(m) for m in context.carriers(result, position)) < targets[position]:
            extra = context.new_carrier(position, result, frozenset())
            if extra is None:
                break
            result[extra] = 0.0
        carriers = context.carriers(result, position)
        if not carriers:
            continue
        fixed = sum(v for m, v in result.items() if context.note(m) == position and m not in carriers)
        room = max(0.0, targets[position] - fixed)
        ceilings = context.ceilings(carriers)
        lows = {m: min(catalog.material(m).use_range[0], ceilings[m]) for m in carriers}
        weights = {m: max(result[m], catalog.material(m).typical_dose / 10) for m in carriers}
        result.update(allocate(room, weights, lows, ceilings))
    # What the bands could not place (ceilings held) is absorbed, or trimmed, by carriers with room.
    return context.absorb(result)


def apply_fixes(recipe: Recipe, fixes: list[Fix], catalog: Catalog, brief: Brief | None = None,
                bands: PyramidBands | None = None) -> Recipe:
    """The critic's own advice carried out: each named line set to its figure (0 removes it), the weight
    freed or needed moved through carriers of the same position and character, then repaired. A fixed line
    keeps its new figure through the repair (it is pinned for the repair, unpinned after, unless the person
    pinned it)."""
    if not fixes:
        return recipe
    targets = {fix.material_id: fix.percent for fix in fixes if fix.material_id in catalog}
    context = _rebalancer(catalog, recipe, brief)
    doses: dict[str, float] = {}
    for ing in recipe.ingredients:
        doses[ing.material_id] = doses.get(ing.material_id, 0.0) + ing.percent
    for material_id, percent in targets.items():
        if percent <= 0:
            doses.pop(material_id, None)
        else:
            doses[material_id] = min(percent, context.ceiling(material_id))
    for material_id in targets:
        doses = context.absorb(doses, context.note(material_id), exclude=frozenset(targets), like=material_id)
    held = {m for m, p in targets.items() if p > 0}
    person = recipe.pinned
    order = [i.material_id for i in recipe.ingredients]
    ingredients = [catalog.ingredient(m, doses[m]).model_copy(update={"pinned": m in held or m in person})
                   for m in sorted(doses, key=lambda m: _rank(order, m)) if m in catalog]
    fixed = repair(recipe.model_copy(update={"ingredients": ingredients}), catalog, brief, bands)
    return fixed.model_copy(update={"ingredients": [i.model_copy(update={"pinned": i.material_id in person})
                                                    for i in fixed.ingredients],
                                    "score": None, "violations": [], "nearest_reference": None})
