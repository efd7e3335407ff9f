"""Finishing: the traces a perfumer adds once a formula's structure stands.

A formula built from its carriers and its character — the composer's, or a model's 8-line core after repair —
can have few lines under 1 %, where a perfumer's formula keeps a quarter or more of them: potent materials at
trace doses that round the accord. The critic's dose realism asks for that shape, and the model's delivered
formulas lost to the composer's mostly there (README, *Issue 31 item 1*). ``finish`` adds the candidates'
potent materials nearest the brief, each at its usual dose (never above its ceiling or ``TRACE_MAX``), until
``TRACE_SHARE`` of the lines are traces, then repairs. ``finished`` keeps the result only where the critic
scores it higher, so finishing never makes a formula worse by the critic's own measure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.critic import MAX_MATERIALS, better_of, critiqued
from perfumery.fit import is_avoided
from perfumery.pyramid import PyramidBands
from perfumery.recipe import Recipe
from perfumery.repair import repair
from perfumery.similarity import cosine

TRACE_SHARE = 0.3  # aim a little above the critic's quarter, so repair's rounding cannot drop below it
TRACE_MAX = 0.8  # percent of the concentrate: a trace, under the critic's 1 % line


def finish(recipe: Recipe, catalog: Catalog, brief: Brief, candidates: Sequence[str],
           bands: PyramidBands | None = None) -> Recipe:
    """``recipe`` with traces of the candidates' potent materials nearest the brief, repaired (not scored).

    Only materials that may be composed in the product's category, have a ceiling above zero and are not ruled
    out by the brief are added; the lines already there keep their materials. A brief without descriptors gives
    the traces nothing to aim at, so its formula is left as it is."""
    doses = {i.material_id: i.percent for i in recipe.ingredients if i.material_id in catalog}
    load, category = recipe.dilution_percent, recipe.category
    traces = sum(p < 1.0 for p in doses.values())
    # t traces of n + a lines once a are added: a = (share·n − t) / (1 − share)
    wanted = math.ceil((TRACE_SHARE * len(doses) - traces) / (1.0 - TRACE_SHARE))
    room = min(wanted, MAX_MATERIALS - len(doses))
    if room <= 0 or not brief.descriptors:
        return recipe
    target = catalog.profile(brief.descriptors)
    options = [m for m in dict.fromkeys(candidates) if m in catalog and m not in doses
               and not catalog.material(m).carrier and catalog.composable(m, category)
               and catalog.ceiling(m, load, category) > 0 and not is_avoided(brief, m, catalog)]
    options.sort(key=lambda m: (-cosine(target, catalog.material_profile(m)), m))
    if not options:
        return recipe
    lines = list(recipe.ingredients)
    for m in options[:room]:
        dose = min(catalog.material(m).typical_dose, catalog.ceiling(m, load, category), TRACE_MAX)
        lines.append(catalog.ingredient(m, dose))
    return repair(recipe.model_copy(update={"ingredients": lines, "score": None, "violations": [],
                                            "nearest_reference": None}), catalog, brief, bands)


def finished(recipe: Recipe, catalog: Catalog, brief: Brief, candidates: Sequence[str],
             bands: PyramidBands | None = None) -> Recipe:
    """The finished formula, critiqued, where the critic scores it above ``recipe`` (critiqued); else ``recipe``."""
    scored = recipe if recipe.score else critiqued(recipe, catalog, brief, bands=bands)
    result = finish(scored, catalog, brief, candidates, bands)
    if result is scored:
        return scored
    return better_of(scored, critiqued(result, catalog, brief, bands=bands))
