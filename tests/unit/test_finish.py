"""Finishing does what a perfumer does once a formula's structure stands — heeds the critic's advice, puts the
weight on a few carriers, brings potent lines back to their usual doses, adds traces near the brief — and keeps
each step only where the critic scores it higher."""

import random

import pytest

from knowledge.kb import load_knowledge_base
from perfumery.brief import Brief
from perfumery.critic import critiqued
from perfumery.finish import TRACE_MAX, _demoted, _weighted, finished
from perfumery.fit import is_avoided
from perfumery.models import NotePosition
from perfumery.pool import candidate_pool
from perfumery.recipe import Recipe, ViolationCode


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def brief():
    """A rose with musk that must not be smoky: the traces must aim at the rose and keep smoke out."""
    return Brief(descriptors={"rose": 1.0, "musky": 0.5}, avoid_descriptors={"smoky": 1.0}, text="스모키하지 않은 장미 머스크")


def lines_of(kb, brief, ids, share=None):
    share = share or 100.0 / len(ids)
    return Recipe(concentration=brief.concentration, dilution_percent=brief.fragrance_load, product=brief.product,
                  ingredients=[kb.catalog.ingredient(m, share) for m in ids])


def core(kb, brief, pool):
    """An 8-line core of carriers, as a model proposes it: whole percents, no traces."""
    return lines_of(kb, brief, [m for m in pool if kb.catalog.material(m).carrier][:8])


def spread_thin(kb, brief):
    """20 roomy carriers, 5 % each, in the pyramid's bands (30 / 40 / 30): only the weight's shape is wrong."""
    catalog = kb.catalog
    roomy = [m for m in catalog.materials if catalog.material(m).carrier and not is_avoided(brief, m, catalog)
             and catalog.ceiling(m, brief.fragrance_load) >= 10]
    by_note = {note: [m for m in roomy if catalog.material(m).note == note] for note in NotePosition}
    return [*by_note[NotePosition.top][:6], *by_note[NotePosition.heart][:8], *by_note[NotePosition.base][:6]]


def top_share(recipe, lines=5):
    doses = sorted((i.percent for i in recipe.ingredients), reverse=True)
    return sum(doses[:lines]) / sum(doses)


def test_a_core_gets_traces_of_potent_materials_at_their_usual_doses(kb, brief):
    catalog = kb.catalog
    pool = candidate_pool(brief, catalog, random.Random(0))
    before = critiqued(core(kb, brief, pool), catalog, brief)
    after = finished(before, catalog, brief, pool)
    new = [i for i in after.ingredients if i.material_id not in {b.material_id for b in before.ingredients}]
    # Repair may bring a carrier to keep the pyramid in its bands; the traces are potent materials.
    added = [i for i in new if not catalog.material(i.material_id).carrier]
    assert added and all(i.material_id in pool for i in added)
    for line in added:
        assert not is_avoided(brief, line.material_id, catalog)
        assert line.percent <= min(TRACE_MAX, catalog.ceiling(line.material_id, after.dilution_percent)) + 1e-9
    assert sum(i.percent for i in after.ingredients) == pytest.approx(100.0, abs=0.01)
    assert after.score.components["dose_realism"] > before.score.components["dose_realism"]


def test_weight_spread_thin_moves_to_a_few_carriers(kb, brief):
    catalog = kb.catalog
    pool = candidate_pool(brief, catalog, random.Random(2))
    before = critiqued(lines_of(kb, brief, spread_thin(kb, brief)), catalog, brief)
    assert before.score.components["balance"] == 1.0
    assert top_share(before) < 0.5  # the critic's "a few lines carry the weight" is broken
    after = finished(before, catalog, brief, pool)
    assert top_share(after) >= 0.5 and after.score.total > before.score.total
    for line in after.ingredients:
        assert line.percent <= catalog.ceiling(line.material_id, after.dilution_percent) + 0.01
    # A dose the person set neither gives nor takes weight.
    held = before.ingredients[0].model_copy(update={"pinned": True})
    weighted = _weighted(before.model_copy(update={"ingredients": [held, *before.ingredients[1:]]}), catalog)
    assert weighted is not None and weighted.ingredients[0] == held


def test_a_potent_line_goes_back_to_its_usual_dose(kb, brief):
    catalog = kb.catalog
    potent = catalog.material("pink_pepper_oil")
    assert not potent.carrier and potent.typical_dose < 1.0 < potent.use_max
    pool = candidate_pool(brief, catalog, random.Random(0))
    recipe = core(kb, brief, pool)
    lines = [catalog.ingredient("pink_pepper_oil", 3.0), *recipe.ingredients]
    demoted = _demoted(recipe.model_copy(update={"ingredients": lines}), catalog)
    assert demoted is not None
    doses = {i.material_id: i.percent for i in demoted.ingredients}
    assert doses["pink_pepper_oil"] == pytest.approx(potent.typical_dose)
    assert all(doses[i.material_id] == i.percent for i in recipe.ingredients)  # carriers wait for repair
    assert _demoted(recipe, catalog) is None  # nothing potent above its usual dose: nothing to do
    asked = lines[0].model_copy(update={"pinned": True})  # "핑크 페퍼 3%로": the person's dose stays
    assert _demoted(recipe.model_copy(update={"ingredients": [asked, *recipe.ingredients]}), catalog) is None


def test_the_critics_advice_is_carried_out(kb, brief):
    """Hedione was asked for and is missing: the critic says to add it, and the finished formula has it (a
    carrier: no trace step would bring it)."""
    catalog = kb.catalog
    asked = brief.model_copy(update={"must_include": ["hedione"]})
    pool = [m for m in candidate_pool(brief, catalog, random.Random(0)) if m != "hedione"]
    before = critiqued(core(kb, asked, pool), catalog, asked)
    assert any(v.code == ViolationCode.must_include_missing for v in before.violations)
    after = finished(before, catalog, asked, pool)
    assert "hedione" in {i.material_id for i in after.ingredients}
    assert after.score.total > before.score.total


def test_finished_never_scores_lower_and_leaves_what_it_cannot_improve(kb, brief):
    catalog = kb.catalog
    pool = candidate_pool(brief, catalog, random.Random(1))
    before = critiqued(core(kb, brief, pool), catalog, brief)
    result = finished(before, catalog, brief, pool)
    assert result.score.total >= before.score.total
    again = finished(result, catalog, brief, pool)
    assert again.score.total >= result.score.total
    # No descriptor to aim at: no trace is added (the weight may still move, and repair may bring a carrier
    # where a line became a trace).
    aimless = finished(before, catalog, brief.model_copy(update={"descriptors": {}}), pool)
    added = {i.material_id for i in aimless.ingredients} - {i.material_id for i in before.ingredients}
    assert all(catalog.material(m).carrier for m in added)


def test_accents_become_traces_where_no_candidate_is_left(kb, brief):
    """Every candidate already in the formula (a model's core after repair: 20 lines at 5 %, none under 1 %): the
    traces come from its own smallest lines, at a trace dose within their usual ranges, and the critic scores it
    higher."""
    catalog = kb.catalog
    lines = spread_thin(kb, brief)
    before = critiqued(lines_of(kb, brief, lines), catalog, brief)
    assert not [i for i in before.ingredients if i.percent < 1.0]
    after = finished(before, catalog, brief, lines)
    traced = [i for i in after.ingredients if i.percent < 1.0]
    assert len(traced) >= 0.25 * len(after.ingredients)
    assert {i.material_id for i in traced} <= set(lines)  # its own lines: no candidate was left to add
    for line in traced:
        assert catalog.material(line.material_id).use_range[0] <= TRACE_MAX
    assert after.score.components["dose_realism"] > before.score.components["dose_realism"]
    assert after.score.total > before.score.total
