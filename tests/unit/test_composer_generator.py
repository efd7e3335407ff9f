"""The no-model backend proposes composer formulas over the candidates and narrates from a template."""

from agent.generators.base import Outcome
from agent.generators.fallback import FallbackComposer
from eval.composer_reference import ComposerReference as ComposerGenerator
from perfumery.brief import Brief
from prompts import PromptBuilder
from tests.unit.perfumery_fixtures import make_catalog

POOL = ("bergamot_oil", "lemon_oil", "lavender_oil", "hedione", "rose_absolute", "linalool", "iso_e_super",
        "vanillin", "galaxolide")


def make() -> tuple[ComposerGenerator, list]:
    catalog = make_catalog()
    builder = PromptBuilder({"citrus": "시트러스", "floral": "꽃향기"})
    return ComposerGenerator(builder, FallbackComposer(catalog, builder)), [catalog.material(m) for m in POOL]


def test_variants_differ_and_stay_within_candidates():
    gen, candidates = make()
    brief = Brief(descriptors={"citrus": 1.0, "floral": 0.6})
    drafts = gen.propose(brief, candidates, 2)
    assert [d.record.outcome for d in drafts] == [Outcome.ok, Outcome.ok]
    assert all({i.material_id for i in d.recipe.ingredients} <= set(POOL) for d in drafts)
    assert drafts[0].recipe.ingredients != drafts[1].recipe.ingredients
    assert drafts[0].proposed == drafts[0].recipe


def test_template_narration_names_the_brief():
    gen, candidates = make()
    brief = Brief(descriptors={"citrus": 1.0, "floral": 0.6})
    recipe = gen.propose(brief, candidates, 1)[0].recipe
    narration = gen.narrate(recipe, brief)
    text = narration.read()
    assert text.startswith("요청하신 시트러스, 꽃향기 느낌에 맞춘 처방입니다.")
    assert narration.record.outcome is Outcome.ok and narration.record.backend == "composer"
