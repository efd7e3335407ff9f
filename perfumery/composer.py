"""Deterministic composer: a brief and an organ of materials → formulas a perfumer would respect.

A formula is built on its character, as a perfumer builds it: the materials whose main character is one of
the brief's headline descriptors come first (a rose on phenylethyl alcohol, citronellol and geraniol, a café
on coffee extract), generic carriers only make up the weight the character cannot carry, and every headline
ends up perceptible. Per variant: pick a pyramid inside the bands (leaning lighter or denser as the brief
asks), maybe lay a fitting accord from the knowledge base as a building block, take the character
materials, then fill each note position greedily with materials that cover the rest of the brief's
descriptors without repeating each other. Doses work the way a
perfumer weighs: what a material can carry is physics, so its typical maximum (and IFRA cap) is a hard
ceiling. Potent materials (traces, accents) sit near their usual dose; carriers (modifiers, workhorses)
take the rest of each position's weight. When a position cannot reach its share without overdosing,
the pyramid gives way, never the ceiling. Last, the formula is finished where the critic scores it higher
(``perfumery.finish``): the critic's own fixes, the weight on a few carriers, potent lines at their usual
doses, traces of potent materials nearest the brief. A seed makes it reproducible;
variants of one call also avoid the materials earlier variants leaned on, so they differ in substance and not
just in noise.
"""

from __future__ import annotations

import math
import random
from collections import Counter
from collections.abc import Sequence
from itertools import zip_longest

from perfumery.amounts import allocate, fill_to_total, round_to_total
from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.critic import critiqued
from perfumery.finish import finished
from perfumery.fit import (
    PERCEPTIBLE,
    avoid_strength,
    character,
    dose_to_perceive,
    headline_sources,
    headlines,
    is_avoided,
    lightness,
    odor_mass,
)
from perfumery.ifra import IfraCategory
from perfumery.models import Concentration, NotePosition
from perfumery.naming import brief_themes, concept_ko, formula_name
from perfumery.pyramid import PyramidBands
from perfumery.recipe import Recipe
from perfumery.repair import repair
from perfumery.similarity import Vector, cosine

NOISE = 0.12  # Gumbel temperature of each greedy pick
MAX_MATERIALS = 24
MIN_CARRIERS = {NotePosition.top: 2, NotePosition.heart: 2, NotePosition.base: 2}
TASTE = 0.15  # per-variant spread of material preference: enough for seeds to matter, not to pick off-brief
ACCORD_MIN_FIT = 0.45
ACCORD_CORE = 6
ACCORD_REUSED = 0.75  # share of an accord's core already used by earlier variants that rules it out
FALLBACK_TARGET = {"fresh": 0.6, "floral": 0.6, "woody": 0.6, "musky": 0.5}
CHARACTER_CARRIERS = 3  # per position: the character's workhorses (a rose heart: PEA, citronellol, geraniol)
CHARACTER_ACCENTS = 2  # potent materials of the character (rose oxide, a damascone; coffee CO2)
CHARACTER_COMPANIONS = 3  # from the knowledge base's accord of that character: a café's roasted, nutty, woody ones
CHARACTER_PICKS = 10  # all headlines together: the character leads, it does not crowd out the structure
CHARACTER_BONUS = 4.0  # how much more weight a character carrier takes than a generic one
PERCEPTIBLE_MARGIN = 2.0  # aim for a clear presence (the saturation of fit.coverage), not the bare threshold


def compose(brief: Brief, catalog: Catalog, candidates: Sequence[str] | None = None, n: int = 1,
            seed: int = 0, bands: PyramidBands | None = None) -> list[Recipe]:
    """``n`` scored, repaired formulas for ``brief``; the same inputs always give the same formulas.

    ``candidates`` narrows the organ (e.g. to retrieved materials); must-include materials are always
    allowed. Materials the brief avoids, and prohibited ones, are never used.
    """
    bands = bands or PyramidBands()
    dilution = brief.fragrance_load
    category = brief.category
    pool = _eligible(brief, catalog, candidates, dilution, category)
    target = catalog.profile(brief.descriptors or FALLBACK_TARGET)
    relevance = {m: cosine(target, catalog.material_profile(m)) for m in pool}
    ceiling = {m: catalog.ceiling(m, dilution, category) for m in pool}  # the same for every variant
    used: Counter[str] = Counter()
    recipes = []
    for k in range(n):
        rng = random.Random(seed * 7919 + k)
        # Each variant reads the brief with its own emphasis, so seeds differ in substance, not noise.
        emphasis = {m: r + rng.gauss(0.0, TASTE) for m, r in relevance.items()}
        doses = _variant(brief, catalog, pool, emphasis, used, rng, bands, ceiling)
        used.update(doses)
        recipe = Recipe(
            name=formula_name(brief_themes(brief, catalog), rng),
            concept_ko=concept_ko(doses, catalog, brief.concentration, brief.product, dilution),
            concentration=brief.concentration,
            dilution_percent=dilution,
            product=brief.product,
            ingredients=[catalog.ingredient(m, p) for m, p in sorted(doses.items(), key=_pyramid_order(catalog))],
        )
        recipes.append(finished(critiqued(repair(recipe, catalog, brief, bands), catalog, brief), catalog, brief, pool,
                                bands))
    return recipes


def _pyramid_order(catalog: Catalog):
    rank = {NotePosition.top: 0, NotePosition.heart: 1, NotePosition.base: 2}
    return lambda item: (rank[catalog.material(item[0]).note], -item[1], item[0])


def _eligible(brief: Brief, catalog: Catalog, candidates: Sequence[str] | None, dilution: float,
              category: IfraCategory) -> list[str]:
    ids = list(catalog.materials) if candidates is None else [c for c in dict.fromkeys(candidates) if c in catalog]
    ids += [m for m in brief.must_include if m in catalog and m not in ids]

    def usable(m: str) -> bool:
        # A material whose IFRA figure we lack is used only when asked for by name: composed formulas
        # should be ones we can call compliant.
        return catalog.ceiling(m, dilution, category) > 0 and (m in brief.must_include
                                                               or catalog.composable(m, category))

    allowed = [m for m in ids if usable(m) and (m in brief.must_include or not is_avoided(brief, m, catalog))]
    # The brief's character is never lost to retrieval: a café is built on coffee even when the search for
    # "비 오는 날 카페" did not return it.
    allowed += [m for d in headlines(brief) for m in [*_characters(catalog, d), *_companions(catalog, d)]
                if m not in allowed and usable(m) and not is_avoided(brief, m, catalog)]
    allowed = list(dict.fromkeys(allowed))
    missing = {p for p in NotePosition if sum(catalog.material(m).note == p and catalog.material(m).carrier
                                              for m in allowed) < MIN_CARRIERS[p]}
    if candidates is not None:
        # Too few candidates to carry a pyramid: the organ's carriers closest to the brief fill the gap.
        target = brief.descriptors or FALLBACK_TARGET
        for position in missing:
            allowed += [m for m, _ in catalog.nearest_materials(
                target, k=MIN_CARRIERS[position] + 1, exclude=allowed,
                allowed=lambda m, p=position: catalog.material(m).note == p and catalog.material(m).carrier
                and usable(m) and not is_avoided(brief, m, catalog))]
    return allowed


def _target_pyramid(brief: Brief, catalog: Catalog, bands: PyramidBands, rng: random.Random) -> dict[NotePosition, float]:
    """Shares inside the bands, a point of margin from every edge, leaning with the brief."""
    lean = max(-1.0, min(1.0, lightness(brief, catalog) + rng.uniform(-0.25, 0.25)))
    def place(position: NotePosition, t: float) -> float:
        low, high = bands.band(position)
        margin = min(1.0, (high - low) / 4)
        return low + margin + (high - low - 2 * margin) * t
    top = place(NotePosition.top, 0.5 + 0.4 * lean)
    base = place(NotePosition.base, 0.5 - 0.4 * lean)
    heart = 100.0 - top - base
    low, high = bands.band(NotePosition.heart)
    margin = min(1.0, (high - low) / 4)
    if not low + margin <= heart <= high - margin:
        clipped = min(max(heart, low + margin), high - margin)
        base += heart - clipped
        heart = clipped
    return {NotePosition.top: top, NotePosition.heart: heart, NotePosition.base: base}


def _counts(brief: Brief, rng: random.Random) -> dict[NotePosition, int]:
    rich = brief.concentration in (Concentration.Parfum, Concentration.Extrait)
    total = rng.randint(10, 15) + (2 if rich else 0) - (1 if brief.concentration == Concentration.EDC else 0)
    top = max(3, round(total * 0.28))
    heart = max(3, round(total * 0.36))
    return {NotePosition.top: top, NotePosition.heart: heart, NotePosition.base: max(3, total - top - heart)}


def _pick_accord(catalog: Catalog, pool: list[str], target: Vector, used: Counter[str],
                 rng: random.Random) -> str | None:
    """A fitting accord from the knowledge base, or none (some variants are built freely)."""
    pool_set = set(pool)
    fitting = []
    for accord_id, accord in catalog.accords.items():
        members = [c.material for c in sorted(accord.components, key=lambda c: (-c.parts, c.material))][:ACCORD_CORE]
        if all(m in pool_set for m in members):
            fit = cosine(target, catalog.accord_profile(accord_id))
            reused = sum(1 for m in members if used[m]) / len(members)
            # An accord an earlier variant already laid is not laid again: variants differ in substance.
            if fit >= ACCORD_MIN_FIT and reused < ACCORD_REUSED:
                fitting.append((fit - 0.3 * reused + _gumbel(rng), accord_id))
    if not fitting or rng.random() > 0.7:
        return None
    return max(fitting)[1]


def _gumbel(rng: random.Random) -> float:
    return -NOISE * math.log(-math.log(rng.random() or 1e-12))


def _variant(brief: Brief, catalog: Catalog, pool: list[str], relevance: dict[str, float], used: Counter[str],
             rng: random.Random, bands: PyramidBands, ceiling: dict[str, float]) -> dict[str, float]:
    shares = _target_pyramid(brief, catalog, bands, rng)
    fixed = _accord_block(brief, catalog, pool, used, rng, shares, ceiling)
    chosen = _select(brief, catalog, pool, relevance, used, rng, fixed)
    doses: dict[str, float] = dict(fixed)
    picked = {m for members in chosen.values() for m in members}
    for position in NotePosition:
        accents = [m for m in chosen[position] if m not in fixed and not catalog.material(m).carrier]
        # The accord gives its carriers their starting proportion; they still take the position's weight with the
        # others (a rose base's PEA and citronellol carry the heart, not whatever carrier is left beside them).
        carriers = [m for m in chosen[position] if catalog.material(m).carrier]
        # Accents and traces are dosed as a perfumer doses them: near their usual level, not to fill space.
        for m in accents:
            material = catalog.material(m)
            wish = material.typical_dose * (0.7 + 4.0 * _carries(catalog, brief, m)) * _avoid_factor(brief, m, catalog)
            doses[m] = min(max(wish, material.use_range[0]), ceiling[m])
        room = shares[position] - sum(doses.get(m, 0.0) for m in chosen[position] if m not in carriers)
        options = [m for m in pool if catalog.material(m).note == position and m not in picked
                   and catalog.material(m).carrier]
        # Carriers whose ceilings cannot hold the room: bring in another carrier of this position.
        while sum(ceiling[m] for m in carriers) < room and options and len(picked) < MAX_MATERIALS:
            extra = max(options, key=lambda m: (relevance[m] + 0.01 * ceiling[m], m))
            options.remove(extra)
            carriers.append(extra)
            picked.add(extra)
        while len(carriers) > 2 and sum(catalog.material(m).use_range[0] for m in carriers) > room:
            carriers.remove(min(carriers, key=lambda m: (relevance[m], m)))
        doses.update(allocate(max(room, 0.0), _carrier_weights(brief, catalog, carriers, relevance),
                              {m: max(min(catalog.material(m).use_range[0], ceiling[m]), fixed.get(m, 0.0))
                               for m in carriers},
                              {m: ceiling[m] for m in carriers}))
    doses = fill_to_total(doses, _carrier_weights(brief, catalog, list(doses), relevance),
                          {m: ceiling[m] for m in doses})
    if sum(doses.values()) < 100.0 - 1e-6:
        doses = _add_global_carriers(brief, catalog, pool, doses, relevance, ceiling)
    doses = make_perceptible(brief, catalog, doses, pool, ceiling)
    return round_to_total(doses, {m: ceiling[m] for m in doses})


def _avoid_factor(brief: Brief, material_id: str, catalog: Catalog) -> float:
    return (1.0 - avoid_strength(brief, material_id, catalog)) ** 2


def _carrier_weights(brief: Brief, catalog: Catalog, ids: Sequence[str], relevance: dict[str, float]) -> dict[str, float]:
    """How much of a position's weight each material should take: carriers by usual dose and relevance."""
    weights = {}
    for m in ids:
        material = catalog.material(m)
        if not material.carrier:
            continue
        weights[m] = (material.typical_dose * (0.2 + relevance.get(m, 0.0) + 4.0 * _carries(catalog, brief, m)
                                               + CHARACTER_BONUS * _character_of(catalog, brief, m))
                      * _avoid_factor(brief, m, catalog))
    return weights


def _character_of(catalog: Catalog, brief: Brief, material_id: str) -> float:
    """How much a material is the brief's character: its main-character weight on a headline, by the
    headline's weight."""
    return max((brief.descriptors[d] * character(catalog, material_id, d) for d in headlines(brief)), default=0.0)


def _companions(catalog: Catalog, descriptor: str) -> list[str]:
    """The materials the knowledge base's accords of this character put beside it (the coffee accord's
    pyrazine, guaiacol, cardamom and patchouli), largest part first, the character materials themselves and
    plain carriers of other characters left out."""
    members: dict[str, float] = {}
    for accord in catalog.accords.values():
        if accord.descriptors[0] == descriptor:
            for component in accord.components:
                members[component.material] = max(members.get(component.material, 0.0), component.parts)
    ranked = sorted(members, key=lambda m: (-members[m], m))
    return [m for m in ranked if m in catalog and not character(catalog, m, descriptor)]


def _characters(catalog: Catalog, descriptor: str) -> list[str]:
    """Every material whose main character is ``descriptor``, most characteristic first."""
    found = [(character(catalog, m, descriptor), m) for m in catalog.materials]
    return [m for weight, m in sorted(found, key=lambda item: (-item[0], item[1])) if weight > 0]


def _add_global_carriers(brief: Brief, catalog: Catalog, pool: list[str], doses: dict[str, float],
                         relevance: dict[str, float], ceiling: dict[str, float]) -> dict[str, float]:
    """Everything chosen is at its ceiling below 100: add the most relevant carriers that can take the rest."""
    options = sorted((m for m in pool if m not in doses and catalog.material(m).carrier),
                     key=lambda m: (-(relevance[m] + 0.01 * ceiling[m]), m))
    result = dict(doses)
    for extra in options:
        gap = 100.0 - sum(result.values())
        if gap <= 1e-6:
            break
        result[extra] = min(ceiling[extra], gap)
    return result


def _accord_block(brief: Brief, catalog: Catalog, pool: list[str], used: Counter[str], rng: random.Random,
                  shares: dict[NotePosition, float], ceiling: dict[str, float]) -> dict[str, float]:
    """Doses of a fitting accord's components, in the accord's proportions (empty when none is laid)."""
    accord_id = _pick_accord(catalog, pool, catalog.profile(brief.descriptors or FALLBACK_TARGET), used, rng)
    if accord_id is None:
        return {}
    block = rng.uniform(12.0, 22.0)
    # Large accords are whole bases; their core (biggest parts) is the building block.
    core = sorted(catalog.accords[accord_id].components, key=lambda c: (-c.parts, c.material))[:ACCORD_CORE]
    core_parts = sum(c.parts for c in core)
    fixed = {c.material: min(block * c.parts / core_parts, ceiling[c.material]) for c in core}
    # The accord is a building block, not the whole position: leave room for other materials.
    crowding = max(sum(v for m, v in fixed.items() if catalog.material(m).note == p) / (0.6 * shares[p])
                   for p in NotePosition)
    return {m: v / crowding for m, v in fixed.items()} if crowding > 1 else fixed


def _select(brief: Brief, catalog: Catalog, pool: list[str], relevance: dict[str, float], used: Counter[str],
            rng: random.Random, fixed: dict[str, float]) -> dict[NotePosition, list[str]]:
    """Greedy choice per position: relevant, covering what is still uncovered, unlike what is already in."""
    wanted = brief.descriptors or FALLBACK_TARGET
    wanted_total = sum(wanted.values())
    counts = _counts(brief, rng)
    chosen: dict[NotePosition, list[str]] = {p: [] for p in NotePosition}
    covered: Vector = {}

    def take(m: str) -> None:
        position = catalog.material(m).note
        if m not in chosen[position]:
            chosen[position].append(m)
        for d, w in catalog.vector(m).items():
            covered[d] = max(covered.get(d, 0.0), w)

    def score(m: str, position: NotePosition) -> float:
        material = catalog.material(m)
        vector = catalog.vector(m)
        gain = sum(w * max(0.0, vector.get(d, 0.0) - covered.get(d, 0.0)) for d, w in wanted.items()) / wanted_total
        redundancy = max((catalog.likeness(m, o)
                          for o in chosen[position]), default=0.0)
        over_budget = max(0, material.cost_tier - brief.budget_tier)
        return (relevance[m] + 0.8 * gain - 0.35 * redundancy - 0.4 * min(used[m], 2) - 0.12 * over_budget
                - 2.0 * avoid_strength(brief, m, catalog) + _gumbel(rng))

    for m in [*fixed, *(m for m in brief.must_include if m in pool), *_character_picks(brief, catalog, pool,
                                                                                          relevance, used, rng)]:
        take(m)
    for position in NotePosition:
        wanted_count = max(counts[position], len(chosen[position]) + 1)
        options = [m for m in pool if catalog.material(m).note == position and m not in chosen[position]
                   and m not in fixed]
        # The weight of a position needs materials that can carry it; the rest of the slots go to character.
        while sum(catalog.material(m).carrier for m in chosen[position]) < MIN_CARRIERS[position]:
            carriers = [m for m in options if catalog.material(m).carrier]
            if not carriers:
                break
            best = max(carriers, key=lambda m, p=position: (score(m, p), m))
            options.remove(best)
            take(best)
        while len(chosen[position]) < wanted_count and options:
            best = max(options, key=lambda m, p=position: (score(m, p), m))
            options.remove(best)
            take(best)
    return chosen


def _character_picks(brief: Brief, catalog: Catalog, pool: list[str], relevance: dict[str, float],
                     used: Counter[str], rng: random.Random) -> list[str]:
    """The character comes first: per headline, its workhorses in each position, a potent accent or two and
    companions from its accord, taken in turn across headlines up to ``CHARACTER_PICKS``.

    Within the character materials, a variant's emphasis decides which, and materials earlier variants
    leaned on step back, so variants are different roses rather than one rose three times.
    """
    lists = []
    for descriptor in headlines(brief):
        members = [m for m in pool if character(catalog, m, descriptor)]
        ranked = sorted(members, key=lambda m: (-(character(catalog, m, descriptor) + 0.5 * relevance[m]
                                                 - 0.6 * min(used[m], 2) + _gumbel(rng)), m))
        picks: list[str] = []
        for position in NotePosition:
            carriers = [m for m in ranked if catalog.material(m).note == position and catalog.material(m).carrier]
            picks += carriers[:rng.randint(CHARACTER_CARRIERS - 1, CHARACTER_CARRIERS)]
        picks += [m for m in ranked if not catalog.material(m).carrier][:CHARACTER_ACCENTS]
        companions = [m for m in _companions(catalog, descriptor) if m in pool and m not in picks]
        companions.sort(key=lambda m: (-(relevance[m] - 0.6 * min(used[m], 2) + _gumbel(rng)), m))
        lists.append(picks + companions[:CHARACTER_COMPANIONS])
    # In turn: the first headline's best, the second's best, … so every headline is carried.
    taken = [m for row in zip_longest(*lists) for m in row if m is not None]
    return list(dict.fromkeys(taken))[:CHARACTER_PICKS]


def make_perceptible(brief: Brief, catalog: Catalog, doses: dict[str, float], pool: Sequence[str],
                     ceiling: dict[str, float]) -> dict[str, float]:
    """Raise each headline that cannot be smelled to a perceptible presence, within every ceiling.

    The material that carries the headline best (its main character, the most potent first) is raised, then
    another from the pool is brought in; the weight comes from the lines that are not the character,
    carriers first. A headline no material can carry stays as it is: the critic names it and the reply
    says so.
    """
    result = dict(doses)
    for descriptor in headlines(brief):
        sources = headline_sources(catalog, descriptor, dict.fromkeys([*result, *pool]))
        for m in (m for m in sources if ceiling.get(m, 0.0) > 0 and (m in result or len(result) < MAX_MATERIALS)):
            if odor_mass(result, catalog).get(descriptor, 0.0) >= PERCEPTIBLE * PERCEPTIBLE_MARGIN:
                break
            result[m] = min(dose_to_perceive(catalog, result, descriptor, m, PERCEPTIBLE_MARGIN), ceiling[m])
        keep = frozenset(m for m in result if any(character(catalog, m, d) for d in headlines(brief)))
        result = _make_room(catalog, result, keep, ceiling)
    return result


def _make_room(catalog: Catalog, doses: dict[str, float], keep: frozenset[str],
               ceiling: dict[str, float]) -> dict[str, float]:
    """Bring the total back to 100 from the lines not in ``keep``: carriers give in proportion to their dose,
    none below its usual minimum; only if they cannot, every other line gives."""
    result = dict(doses)
    others = {m: 1.0 for m in result if m not in keep and catalog.material(m).carrier}
    floors = {m: catalog.material(m).use_range[0] for m in result}
    result = fill_to_total(result, others, ceiling, floors=floors)
    if sum(result.values()) > 100.0 + 1e-6:
        result = fill_to_total(result, {m: 1.0 for m in result if m not in keep}, ceiling)
    if sum(result.values()) > 100.0 + 1e-6:
        result = fill_to_total(result, {m: 1.0 for m in result}, ceiling)
    return {m: p for m, p in result.items() if p > 1e-9}


def _carries(catalog: Catalog, brief: Brief, material_id: str) -> float:
    """How much of the brief's wanted descriptors a material carries: those earn a larger dose."""
    vector = catalog.vector(material_id)
    wanted = brief.descriptors or FALLBACK_TARGET
    return sum(w * vector.get(d, 0.0) for d, w in wanted.items()) / sum(wanted.values())
