"""One reading per message: the labelled routing set, small talk that never becomes a formula, and
questions answered from what they name (or honestly not)."""

import pytest

from agent.reading.answers import UNSURE_KO, answer_ids, topic_reply
from agent.reading.interpret import MaterialNames
from agent.reading.message import Chat, Route, read
from eval.routing import evaluate_routing, ops_match
from knowledge.kb import load_knowledge_base
from knowledge.lexicon import get_lexicon_matcher


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def _read(kb, text, recipe=None):
    return read(text, kb=kb, matcher=get_lexicon_matcher(kb), names=MaterialNames(kb), recipe=recipe)


def test_the_labelled_set_is_read_as_labelled(kb) -> None:
    report = evaluate_routing(kb)
    assert report.messages >= 200
    assert report.by_split["test"] >= 0.97 and report.route_accuracy >= 0.97, report.misses
    assert report.edit_exact >= 0.95, report.misses
    assert report.formula_from_non_design == 0
    assert report.briefs_with_product >= 10 and report.product_exact >= 0.95, report.misses


@pytest.mark.parametrize(("text", "kind"), [("고마워요!", Chat.thanks), ("안녕하세요", Chat.greeting),
                                             ("뭘 할 수 있어?", Chat.help), ("그 레시피 저장해줘", Chat.saved)])
def test_small_talk_is_answered_in_kind(kb, text, kind) -> None:
    reading = _read(kb, text)
    assert (reading.route, reading.chat) == (Route.smalltalk, kind)


@pytest.mark.parametrize("text", ["오늘 점심 메뉴 추천해줘", "여행 계획 세워줘", "수학 문제 풀어줘: 3x+5=20"])
def test_a_scene_without_a_scent_is_not_a_brief(kb, text) -> None:
    assert _read(kb, text).route == Route.off_topic


def test_a_qualified_natural_is_found_by_its_head_noun(kb) -> None:
    [mention] = MaterialNames(kb).find("시더우드 빼줘")
    assert "cedarwood" in mention.material_id


def test_a_question_quotes_what_it_names_and_nothing_else(kb) -> None:
    named = _read(kb, "헤디온이 뭐야?")
    assert answer_ids(named, [], "헤디온이 뭐야?", kb) == ["hedione"]
    how_to = _read(kb, "향수 만드는 법 알려줘")
    assert answer_ids(how_to, [], "향수 만드는 법 알려줘", kb) == []
    assert topic_reply("향수 만드는 법 알려줘", "51") is None and "잘 모르겠어요" in UNSURE_KO
    assert "EDP" in topic_reply("EDP랑 EDT 차이가 뭐야?", "51")
    assert "베이스" in topic_reply("탑노트가 뭐야?", "51")
    assert "52차 개정 표" in topic_reply("IFRA가 뭐야?", "52")  # the amendment is the tables', never typed


def test_ops_match_is_order_free_and_takes_globs() -> None:
    assert ops_match(["shift:sweet:-", "remove:hedione"], ["remove:hedione", "shift:sweet:-"])
    assert ops_match(["sub:a>*sandalwood_oil"], ["sub:a>australian_sandalwood_oil"])
    assert not ops_match(["remove:hedione"], ["remove:hedione", "add:vanillin"])
