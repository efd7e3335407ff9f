"""The replay's narration tally re-checks the model's own sentences with the chat's filter."""

import pytest

from agent.replies.claims import ClaimChecker, Grounds
from eval.narration_metrics import LoggedNarration, sentences_of, tally
from knowledge.kb import load_knowledge_base
from perfumery import compose
from perfumery.brief import Brief
from perfumery.naming import lead_ids, narration_facts
from store.records import GenerationRecord, Outcome


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


def logged(kb, raw: str, outcome: Outcome = Outcome.ok) -> LoggedNarration:
    brief = Brief(descriptors={"citrus": 1.0}, text="상큼한 향")
    recipe = compose(brief, kb.catalog, n=1, seed=2)[0]
    grounds = Grounds(record_ids=lead_ids(recipe), record_texts=narration_facts(recipe, kb.catalog))
    return LoggedNarration(record=GenerationRecord(backend="llama_cpp", task="narrate", outcome=outcome,
                                                   raw_output=raw), recipe=recipe, brief=brief, grounds=grounds)


def test_sentences_are_those_shown_and_a_cut_is_a_stop_before_the_limit():
    assert sentences_of("하나. 둘. 셋.", 2) == (["하나.", "둘."], False)
    assert sentences_of("하나. 둘", 2) == (["하나."], True)
    assert sentences_of("하나. 둘. 셋", 2) == (["하나.", "둘."], False)  # the limit stopped it: never shown


def test_a_sentence_the_formula_does_not_support_fails_and_templates_are_counted(kb):
    checker = ClaimChecker(kb)
    told = tally([logged(kb, "상큼한 시트러스 향입니다. 요청하신 바닐라 분위기를 담았습니다."),
                  logged(kb, "This is English", Outcome.fallback)], checker, max_sentences=2)
    assert (told.narrations, told.sentences, told.passed, told.cut, told.templated) == (2, 2, 1, 0, 1)
    assert told.passed_share == 0.5
    assert tally([], checker).passed_share is None
