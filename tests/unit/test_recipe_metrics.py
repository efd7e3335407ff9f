import yaml

from eval.recipe_metrics import DEFAULT_BRIEFS, diversity, evaluate, load_cases, to_markdown
from perfumery.recipe import Recipe
from tests.unit.perfumery_fixtures import CATALOG

VOCABULARY = yaml.safe_load((DEFAULT_BRIEFS.parent.parent.parent / "knowledge/data/descriptors.yaml").read_text())


def test_dev_set_is_large_korean_and_uses_the_vocabulary():
    cases = load_cases()
    assert len(cases) >= 60 and len({c.id for c in cases}) == len(cases)
    assert len({c.concentration for c in cases}) == 5
    for case in cases:
        assert any("가" <= ch <= "힣" for ch in case.text)
        assert set(case.descriptors) | set(case.avoid) <= set(VOCABULARY), case.id


def test_diversity_is_mean_pairwise_distance():
    a = Recipe(ingredients=[CATALOG.ingredient("hedione", 100)])
    b = Recipe(ingredients=[CATALOG.ingredient("iso_e_super", 100)])
    assert diversity([a, b]) == 1.0
    assert diversity([a, a, b]) == (0 + 1 + 1) / 3


def test_evaluate_on_the_fixture_catalog():
    report = evaluate(load_cases()[:6], CATALOG, variants=2)
    assert report.n_recipes == 12
    assert report.feasibility == 1.0 and report.balanced == 1.0
    assert 0 < report.diversity <= 1 and 0 < report.avg_quality <= 1
    assert "| feasibility (IFRA-compliant share) | 1.0 |" in to_markdown(report)
