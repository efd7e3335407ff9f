"""Rejection sampling: the model's own proposals become targets only when they beat the composer for the
brief on the reward, and never at the price of IFRA compliance or dose realism."""

import random

import pytest

from finetune.dataset import BuildStats, Signals, core_formula, examples_for_brief
from finetune.rft import MISSED_HEADLINE, Sample, preferred, reward
from knowledge.kb import load_knowledge_base
from perfumery import compose
from perfumery.brief import Brief
from perfumery.critic import critiqued, holds_ground
from perfumery.recipe import ScoreCard
from prompts import PromptBuilder


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def brief():
    return Brief(descriptors={"citrus": 1.0, "woody": 0.6}, avoid_descriptors={"sweet": 1.0}, text="상큼한 나무 향")


def scaled(recipe, material_id, factor):
    lines = [i.model_copy(update={"percent": i.percent * (factor if i.material_id == material_id else 1.0)})
             for i in recipe.ingredients]
    total = sum(i.percent for i in lines)
    return recipe.model_copy(update={"ingredients": [i.model_copy(update={"percent": i.percent * 100 / total})
                                                     for i in lines], "score": None, "violations": []})


def test_reward_takes_a_share_for_each_headline_that_cannot_be_smelled(kb, brief):
    recipe = compose(brief, kb.catalog, n=1, seed=1)[0]
    wider = brief.model_copy(update={"descriptors": {**brief.descriptors, "vanilla": 1.0}})
    scored = critiqued(recipe, kb.catalog, wider)
    assert not any(kb.catalog.vector(i.material_id).get("vanilla") for i in recipe.ingredients)
    assert reward(scored, wider, kb.catalog) == pytest.approx(scored.score.total - MISSED_HEADLINE)
    assert reward(recipe, brief, kb.catalog) == pytest.approx(recipe.score.total)


def as_written(recipe):
    return Sample(proposal=recipe, delivered=recipe)


def test_only_samples_that_beat_the_composer_without_losing_compliance_are_preferred(kb, brief):
    weak, strong = compose(brief, kb.catalog, n=2, seed=4)
    weak, strong = sorted([weak, strong], key=lambda r: reward(r, brief, kb.catalog))
    assert reward(weak, brief, kb.catalog) < reward(strong, brief, kb.catalog)
    # Against the weaker formula the stronger one wins; against itself nothing does (it must beat, not tie).
    assert [r.score.total for r in preferred([as_written(strong)], [weak], brief, kb.catalog)] == [strong.score.total]
    assert preferred([as_written(strong), as_written(weak)], [strong], brief, kb.catalog) == []
    # A sample that would win on score but drops compliance or dose realism is refused.
    lead = max(strong.ingredients, key=lambda i: i.percent).material_id
    over = critiqued(scaled(strong, lead, 40.0), kb.catalog, brief)
    assert not holds_ground(over.score, weak.score)
    assert preferred([Sample(proposal=over, delivered=over.model_copy(update={"score": ScoreCard(
        total=1.0, components=over.score.components)}))], [weak], brief, kb.catalog) == []


def test_the_delivered_formula_is_judged_and_the_proposal_as_written_is_the_target(kb, brief):
    weak, strong = sorted(compose(brief, kb.catalog, n=2, seed=4), key=lambda r: reward(r, brief, kb.catalog))
    written = core_formula(weak, brief, kb.catalog)
    assert preferred([Sample(proposal=written, delivered=strong)], [weak], brief, kb.catalog) == [written]
    assert preferred([Sample(proposal=strong, delivered=weak)], [weak], brief, kb.catalog) == []


def test_a_brief_with_a_winning_sample_gets_an_rft_target_beside_the_composers(kb, brief):
    builder = PromptBuilder({key: d.ko[0] for key, d in kb.descriptors.items()})
    seen = []

    def sampler(b, candidates):
        """Stands in for the model: more composer variants over the offered candidates, written as their core."""
        ids = {c.id for c in candidates}
        seen.append(ids)
        variants = compose(b, kb.catalog, candidates=sorted(ids), n=8, seed=99)
        return [Sample(proposal=core_formula(r.model_copy(update={"ingredients": [
            i for i in r.ingredients if i.material_id in ids]}), b, kb.catalog), delivered=r) for r in variants]

    signals = Signals(sampler=sampler, rft_briefs=1)
    first = examples_for_brief(brief, "lexicon", kb, builder, random.Random(0), 0.0, BuildStats(), signals=signals)
    second = examples_for_brief(brief, "lexicon", kb, builder, random.Random(1), 0.0, BuildStats(), signals=signals)
    assert len(seen) == 1 and signals.rft.briefs == 1 and signals.rft.sampled == 8  # only the first brief sampled
    assert signals.rft.preferred == sum(e.source == "rft" for e in first) >= 1
    assert all(e.source != "rft" for e in second)
    assert [e.task for e in first].count("narrate") == 1
