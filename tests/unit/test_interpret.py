"""Korean briefs → Brief, and the router."""

import pytest

from agent.interpret import MaterialNames, build_brief, concentration_in
from agent.reading import read
from knowledge.kb import load_knowledge_base
from knowledge.lexicon import get_lexicon_matcher
from perfumery.brief import Brief
from perfumery.composer import compose


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def _brief(kb, text, **kwargs):
    return build_brief(text, kb, get_lexicon_matcher(kb).find(text), MaterialNames(kb).find(text), **kwargs)


def test_the_brief_of_the_product_spec(kb) -> None:
    brief = _brief(kb, "비 오는 날 카페 같은 포근한 향, 너무 달지 않게")
    assert brief.descriptors and "sweet" in brief.avoid_descriptors and "sweet" not in brief.descriptors
    assert brief.concentration.value == "EDP" and brief.text.startswith("비 오는 날")


def test_seasons_intensity_and_concentration_words(kb) -> None:
    brief = _brief(kb, "가을에 은은하게 뿌릴 우디한 오드뚜왈렛")
    assert brief.season == "autumn" and brief.intensity < 0.5 and brief.concentration.value == "EDT"
    assert "woody" in brief.descriptors
    assert concentration_in("엑스트레 드 퍼퓸으로") .value == "Extrait"
    assert concentration_in("그냥 향수") is None


def test_named_materials_to_include_and_to_avoid(kb) -> None:
    brief = _brief(kb, "베르가못 넣어주고 바닐라는 빼줘")
    assert "bergamot_oil" in brief.must_include
    assert brief.avoid_materials and all("vanill" in m for m in brief.avoid_materials)


def test_unknown_words_fall_back_to_retrieved_descriptors(kb) -> None:
    brief = _brief(kb, "그 느낌 알지?", fallback_descriptors=[("tea", 0.9), ("green", 0.5)])
    assert brief.descriptors == {"tea": 0.9, "green": 0.5}


@pytest.mark.parametrize(("text", "has_recipe", "expected"), [
    ("비 오는 날 카페 같은 향 만들어줘", False, "new_brief"),
    ("베르가못 8%로", True, "edit"),
    ("더 우디하게", True, "edit"),
    ("v1이랑 v2 비교해줘", True, "compare"),
    ("헤디온이 뭐야?", False, "question"),
    ("샤넬 N°5는 어떤 향이야?", True, "question"),
    ("오늘 주식 시장 어때", False, "off_topic"),
    ("청량한 여름 향수 추천해줘", True, "new_brief"),
])
def test_router(kb, text, has_recipe, expected) -> None:
    matcher, names = get_lexicon_matcher(kb), MaterialNames(kb)
    recipe = compose(Brief(descriptors={"woody": 1.0}), kb.catalog, n=1, seed=1)[0] if has_recipe else None
    got = read(text, kb=kb, matcher=matcher, names=names, recipe=recipe).route
    assert got == expected


def test_an_explicit_wish_outweighs_a_side_effect_of_a_negation(kb) -> None:
    brief = _brief(kb, "포근한 향, 너무 달지 않게")
    assert "warm" in brief.descriptors and "warm" not in brief.avoid_descriptors
    assert "sweet" in brief.avoid_descriptors and "sweet" not in brief.descriptors


def test_a_negation_in_the_next_clause_does_not_reach_back(kb) -> None:
    [bergamot, vanilla] = MaterialNames(kb).find("베르가못 넣고, 바닐라는 빼줘")
    assert (bergamot.material_id, bergamot.negated, bergamot.include) == ("bergamot_oil", False, True)
    assert vanilla.negated and "베르가못 넣고, 바닐라는 빼줘"[vanilla.start:vanilla.end] == "바닐라"
