"""Finishing adds traces a perfumer would add — potent, near the brief, at their usual doses — and is kept only
where the critic scores it higher."""

import random

import pytest

from knowledge.kb import load_knowledge_base
from perfumery.brief import Brief
from perfumery.critic import critiqued
from perfumery.finish import TRACE_MAX, finish, finished
from perfumery.fit import is_avoided
from perfumery.pool import candidate_pool
from perfumery.recipe import Recipe


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def brief():
    """A rose with musk that must not be smoky: the traces must aim at the rose and keep smoke out."""
    return Brief(descriptors={"rose": 1.0, "musky": 0.5}, avoid_descriptors={"smoky": 1.0}, text="스모키하지 않은 장미 머스크")


def core(kb, brief, pool):
    """An 8-line core of carriers, as a model proposes it: whole percents, no traces."""
    carriers = [m for m in pool if kb.catalog.material(m).carrier][:8]
    share = 100.0 / len(carriers)
    return Recipe(concentration=brief.concentration, dilution_percent=brief.fragrance_load, product=brief.product,
                  ingredients=[kb.catalog.ingredient(m, share) for m in carriers])


def test_a_core_gets_traces_of_potent_candidates_at_their_usual_doses(kb, brief):
    catalog = kb.catalog
    pool = candidate_pool(brief, catalog, random.Random(0))
    before = core(kb, brief, pool)
    after = finish(before, catalog, brief, pool)
    new = [i for i in after.ingredients if i.material_id not in {b.material_id for b in before.ingredients}]
    # Repair may bring a carrier to keep the pyramid in its bands; the traces are the candidates' potent ones.
    added = [i for i in new if not catalog.material(i.material_id).carrier]
    assert added and all(i.material_id in pool for i in added)
    for line in added:
        assert not is_avoided(brief, line.material_id, catalog)
        assert line.percent <= min(TRACE_MAX, catalog.ceiling(line.material_id, after.dilution_percent)) + 1e-9
    assert sum(i.percent for i in after.ingredients) == pytest.approx(100.0, abs=0.01)
    assert critiqued(after, catalog, brief).score.components["dose_realism"] >= \
        critiqued(before, catalog, brief).score.components["dose_realism"]


def test_finished_never_scores_lower_and_leaves_what_it_cannot_improve(kb, brief):
    catalog = kb.catalog
    pool = candidate_pool(brief, catalog, random.Random(1))
    before = critiqued(core(kb, brief, pool), catalog, brief)
    result = finished(before, catalog, brief, pool)
    assert result.score.total >= before.score.total
    again = finished(result, catalog, brief, pool)
    assert again.score.total >= result.score.total
    # No candidate to add, or no descriptor to aim at: the formula is returned as it is.
    assert finished(before, catalog, brief, []) is before
    assert finish(before, catalog, brief.model_copy(update={"descriptors": {}}), pool) is before
