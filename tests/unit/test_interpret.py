"""Korean briefs → Brief, and the router."""

import pytest

from agent.reading.interpret import MaterialNames, build_brief, concentration_in
from agent.reading.message import read
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


def test_english_and_mixed_briefs_are_read_like_korean_ones(kb) -> None:
    brief = _brief(kb, "a fresh citrus perfume for summer")
    assert {"citrus", "fresh"} <= set(brief.descriptors) and brief.season == "summer"
    assert brief.themes == ["상쾌한", "시트러스"]  # named in Korean
    cozy = _brief(kb, "cozy vanilla scent for winter nights, not too sweet")
    assert "vanilla" in cozy.descriptors and "sweet" in cozy.avoid_descriptors
    mixed = _brief(kb, "rose 향수인데 바닐라는 없이")
    assert "rose" in mixed.descriptors and "vanilla" in mixed.avoid_descriptors
    assert "rose" not in _brief(kb, "rosemary oil fougere").descriptors  # whole words only


def test_a_scene_shades_its_subject_and_names_the_formula(kb) -> None:
    brief = _brief(kb, "비 오는 날 카페 같은 포근한 향, 너무 달지 않게")
    assert brief.descriptors["coffee"] == 1.0 and brief.descriptors["watery"] < 0.8  # rain shades the café
    assert brief.themes == ["포근한", "카페"]
    alone = _brief(kb, "비 오는 날 느낌")  # without a subject, the scene is the whole brief
    assert alone.descriptors["watery"] >= 0.8


def test_a_mood_without_the_word_scent_is_a_brief(kb) -> None:
    from knowledge.lexicon import get_lexicon_matcher as matcher

    names = MaterialNames(kb)
    for text in ("겨울 밤 벽난로 앞에 있는 느낌", "여름밤 바닷가 산책하는 느낌", "a fresh citrus perfume for summer"):
        assert read(text, kb=kb, matcher=matcher(kb), names=names, recipe=None).route == "new_brief", text
    for text in ("오늘 점심 메뉴 추천해줘", "how do I cook pasta?"):
        assert read(text, kb=kb, matcher=matcher(kb), names=names, recipe=None).route == "off_topic", text
