"""Finishing: what a perfumer checks once a formula's structure stands — the weight and the traces.

A formula built from its carriers and its character — the composer's, or a model's 8-line core after repair —
can spread its weight thin over many mid lines, or have few lines under 1 %. A perfumer's formula has a few
carriers holding at least half of it and a quarter or more of its lines at trace doses: potent materials that
round the accord. The critic's dose realism asks for that shape, and the model's delivered formulas lost to
the composer's mostly there (README, *Issue 31 item 1*).

``finished`` takes five steps, each kept only where the critic scores the formula higher, so finishing never
makes a formula worse by the critic's own measure:

1. **The critic's advice.** Its own fixes (a headline made perceptible, an avoided odor halved, a
   must-include added) carried out.
2. **Weight.** Where the ``TOP_LINES`` largest lines hold under ``TOP_SHARE`` of the formula, weight moves
   to them from the mid lines (1 % and over), within each top line's ceiling.
3. **Potent lines at their usual dose.** A potent material held at 1 % or more whose usual dose is a trace
   goes back to that dose; the carriers take the weight.
4. **Traces.** The candidates' potent materials nearest the brief are tried one at a time, each at its usual
   dose (never above its ceiling or ``TRACE_MAX``), until ``TRACE_SHARE`` of the lines are traces or the
   critic has refused ``MAX_REFUSED`` in a row.
5. **Accents to traces.** Where the critic still faults the doses' shape — the candidates are all in the
   formula already, or one more line costs more than it brings — the smallest lines from 1 % up are tried
   one at a time at a trace dose (``TRACE_MAX``, within the material's usual range; repair gives the weight
   to the carriers), until the critic's dose realism is whole or it has refused ``MAX_REFUSED`` in a row. A
   model's core after repair holds 18–23 lines at 1–10 %; the composer's formulas mostly have their shape,
   so this step leaves them as they are.

Every trial is repaired (``perfumery.repair``) before the critic sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.critic import MAX_MATERIALS, better_of, critiqued
from perfumery.fit import is_avoided
from perfumery.pyramid import PyramidBands
from perfumery.recipe import Recipe
from perfumery.repair import apply_fixes, repair
from perfumery.similarity import cosine

TRACE_SHARE = 0.3  # aim a little above the critic's quarter, so repair's rounding cannot drop below it
TRACE_MAX = 0.8  # percent of the concentrate: a trace, under the critic's 1 % line
TOP_LINES = 5  # the critic's "few lines that carry the weight"
TOP_SHARE = 0.55  # aim a little above the critic's half, for the same reason as TRACE_SHARE
MID_LINE = 1.0  # percent: lines from here up give weight; traces keep theirs
MAX_REFUSED = 3  # traces the critic refused in a row: the formula has what it can take


def finished(recipe: Recipe, catalog: Catalog, brief: Brief, candidates: Sequence[str],
             bands: PyramidBands | None = None) -> Recipe:
    """``recipe`` finished (the module's five steps), critiqued; each step kept only where the critic scores it
    higher, so ``recipe`` itself (critiqued) where none helps.

    Traces are only materials that may be composed in the product's category, have a ceiling above zero and
    are not ruled out by the brief; no step removes a material but the critic's advice. A brief without
    descriptors gives the traces nothing to aim at, so none is added."""
    best = recipe if recipe.score else critiqued(recipe, catalog, brief, bands=bands)
    if advice := [fix for violation in best.violations for fix in violation.fixes]:
        best = better_of(best, _trial(apply_fixes(best, advice, catalog, brief, bands), catalog, brief, bands))
    for step in (_weighted, _demoted):
        if (changed := step(best, catalog)) is not None:
            best = better_of(best, _trial(changed, catalog, brief, bands))
    traces = (_with_trace(catalog, m) for m in _trace_options(best, catalog, brief, candidates))
    best = _one_at_a_time(best, traces, _wants_trace, catalog, brief, bands)
    accents = (_at_trace(m) for m in _accents(best, catalog))
    return _one_at_a_time(best, accents, _short_of_shape, catalog, brief, bands)


def _one_at_a_time(best: Recipe, changes: Iterable[Callable[[Recipe], Recipe]], wants: Callable[[Recipe], bool],
                   catalog: Catalog, brief: Brief, bands: PyramidBands | None) -> Recipe:
    """``changes`` tried one at a time on the best so far, each kept where the critic scores it higher, while
    the formula ``wants`` more and the critic has not refused ``MAX_REFUSED`` in a row."""
    refused = 0
    for change in changes:
        if not wants(best) or refused == MAX_REFUSED:
            break
        kept = better_of(best, _trial(change(best), catalog, brief, bands))
        refused = 0 if kept is not best else refused + 1
        best = kept
    return best


def _trial(recipe: Recipe, catalog: Catalog, brief: Brief, bands: PyramidBands | None) -> Recipe:
    unscored = recipe.model_copy(update={"score": None, "violations": [], "nearest_reference": None})
    return critiqued(repair(unscored, catalog, brief, bands), catalog, brief, bands=bands)


def _weighted(recipe: Recipe, catalog: Catalog) -> Recipe | None:
    """Weight moved from the mid lines to the ``TOP_LINES`` largest until they hold ``TOP_SHARE``, each top
    line given in proportion to its room under its ceiling and each mid line giving in proportion to its dose
    above ``MID_LINE``; None where the top lines already hold enough or have no room. A dose the person set
    (pinned) neither gives nor takes."""
    doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in catalog}
    total = sum(doses.values())
    ranked = sorted(doses, key=lambda m: (-doses[m], m))
    pinned = recipe.pinned
    top = [m for m in ranked[:TOP_LINES] if m not in pinned]
    mid = [m for m in ranked[TOP_LINES:] if doses[m] > MID_LINE and m not in pinned]
    short = TOP_SHARE * total - sum(doses[m] for m in top)
    room = {m: max(0.0, catalog.ceiling(m, recipe.dilution_percent, recipe.category) - doses[m]) for m in top}
    spare = {m: doses[m] - MID_LINE for m in mid}
    takes, gives = sum(room.values()), sum(spare.values())
    moved = min(short, takes, gives)
    if moved <= 0:
        return None
    for m in top:
        doses[m] += moved * room[m] / takes
    for m in mid:
        doses[m] -= moved * spare[m] / gives
    lines = [i.model_copy(update={"percent": doses[i.material_id]}) if i.material_id in doses else i
             for i in recipe.ingredients]
    return recipe.model_copy(update={"ingredients": lines})


def _demoted(recipe: Recipe, catalog: Catalog) -> Recipe | None:
    """Potent lines (not carriers) at ``MID_LINE`` or more whose usual dose is a trace, set to that dose: a
    repaired core keeps a potent material where the model put it, where a perfumer uses it in tenths of a
    percent. None where there is no such line. Repair gives the weight back to the carriers. A dose the
    person set (pinned) stays."""
    lines = []
    for line in recipe.ingredients:
        material = catalog.material(line.material_id) if line.material_id in catalog else None
        if material and not material.carrier and not line.pinned and line.percent >= MID_LINE \
                and material.typical_dose < MID_LINE:
            line = line.model_copy(update={"percent": material.typical_dose})
        lines.append(line)
    return recipe.model_copy(update={"ingredients": lines}) if lines != recipe.ingredients else None


def _with_trace(catalog: Catalog, material_id: str) -> Callable[[Recipe], Recipe]:
    """A line of ``material_id`` added at its usual dose, never above its ceiling or ``TRACE_MAX``."""
    def change(recipe: Recipe) -> Recipe:
        dose = min(catalog.material(material_id).typical_dose,
                   catalog.ceiling(material_id, recipe.dilution_percent, recipe.category), TRACE_MAX)
        return recipe.model_copy(update={"ingredients": [*recipe.ingredients, catalog.ingredient(material_id, dose)]})
    return change


def _at_trace(material_id: str) -> Callable[[Recipe], Recipe]:
    """The line of ``material_id`` set to ``TRACE_MAX``; repair gives the weight back to the carriers."""
    def change(recipe: Recipe) -> Recipe:
        lines = [i.model_copy(update={"percent": TRACE_MAX}) if i.material_id == material_id else i
                 for i in recipe.ingredients]
        return recipe.model_copy(update={"ingredients": lines})
    return change


def _accents(recipe: Recipe, catalog: Catalog) -> list[str]:
    """Lines that may become traces, smallest first (the least change): from ``MID_LINE`` up, not pinned, and
    with a usual range that reaches down to ``TRACE_MAX``. (Those that say least of the brief first, tried:
    a higher mean total, but fewer guarded wins over the composer at both seeds of ``hyanggi eval generator``.)"""
    lines = [i for i in recipe.ingredients if i.material_id in catalog and not i.pinned and i.percent >= MID_LINE
             and catalog.material(i.material_id).use_range[0] <= TRACE_MAX]
    return [i.material_id for i in sorted(lines, key=lambda i: (i.percent, i.material_id))]


def _short_of_shape(recipe: Recipe) -> bool:
    """The critic still finds fault with the doses' shape (its dose realism is not whole)."""
    return recipe.score is not None and recipe.score.components.get("dose_realism", 1.0) < 1.0


def _wants_trace(recipe: Recipe) -> bool:
    lines = len(recipe.ingredients)
    return lines < MAX_MATERIALS and sum(i.percent < 1.0 for i in recipe.ingredients) < TRACE_SHARE * lines


def _trace_options(recipe: Recipe, catalog: Catalog, brief: Brief, candidates: Sequence[str]) -> list[str]:
    """The candidates' potent materials that may be added as traces, nearest the brief first. Only candidates:
    a formula composed over retrieved materials stays within them (carriers aside, ``perfumery.composer``)."""
    if not brief.descriptors:
        return []
    present = {i.material_id for i in recipe.ingredients}
    load, category = recipe.dilution_percent, recipe.category
    target = catalog.profile(brief.descriptors)
    options = [m for m in dict.fromkeys(candidates) if m in catalog and m not in present
               and not catalog.material(m).carrier and catalog.composable(m, category)
               and catalog.ceiling(m, load, category) > 0 and not is_avoided(brief, m, catalog)]
    return sorted(options, key=lambda m: (-cosine(target, catalog.material_profile(m)), m))
