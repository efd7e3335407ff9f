"""Lexicon terms are found through inflection and spacing, with their spans and negation."""

from __future__ import annotations

import pytest

from knowledge.lexicon import LexiconMatcher
from perfumery.models import LexiconEntry
from tests.unit.kb_fixtures import LEXICON

ENTRIES = [LexiconEntry.model_validate(e) for e in LEXICON]


@pytest.fixture(scope="module")
def matcher() -> LexiconMatcher:
    return LexiconMatcher(ENTRIES)


def _found(matcher: LexiconMatcher, text: str) -> list[tuple[str, str, bool]]:
    return [(m.entry.term, m.surface, m.negated) for m in matcher.find(text)]


def test_inflections_match_through_morphemes(matcher: LexiconMatcher) -> None:
    assert _found(matcher, "상큼하고 가볍게") == [("상큼한", "상큼", False), ("가벼운", "가볍게", False)]
    assert _found(matcher, "가벼워요") == [("가벼운", "가벼워", False)]


def test_spacing_does_not_matter(matcher: LexiconMatcher) -> None:
    assert _found(matcher, "비오는날 어울리는 향") == [("비 오는 날", "비오는날", False)]
    assert _found(matcher, "샌달 우드 향") == [("샌달우드", "샌달 우드", False)]


def test_spans_point_into_the_original_text(matcher: LexiconMatcher) -> None:
    text = "음… 장미 향이 좋아요"
    (match,) = matcher.find(text)
    assert text[match.start : match.end] == "장미"


def test_one_syllable_terms_match_only_whole_words(matcher: LexiconMatcher) -> None:
    assert _found(matcher, "봄에 뿌릴 향수") == [("봄", "봄", False)]
    assert _found(matcher, "보물 같은") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("바닐라는 빼고 장미로", [("바닐라", True), ("장미", False)]),
        ("바닐라 말고 장미", [("바닐라", True), ("장미", False)]),
        ("너무 달지 않게 해주세요", [("달다", True)]),
        ("달달한 건 싫어, 상큼한 게 좋아", [("달콤한", True), ("상큼한", False)]),
        ("장미 없이 바닐라만", [("장미", True), ("바닐라", False)]),
        ("안 달게", [("달다", True)]),
        ("장미가 좋은데 바닐라는 별로", [("장미", False), ("바닐라", True)]),
        ("장미랑 바닐라 둘 다 좋아요", [("장미", False), ("바닐라", False)]),
    ],
)
def test_negation_attaches_to_the_term_it_follows(matcher: LexiconMatcher, text: str, expected: list) -> None:
    assert [(m.entry.term, m.negated) for m in matcher.find(text)] == expected


def test_negation_entries_become_cues_not_matches() -> None:
    matcher = LexiconMatcher([*ENTRIES, LexiconEntry(term="노노", variants=["사절"], category="negation",
                                                     avoid={"sweet": 1.0})])
    assert [(m.entry.term, m.negated) for m in matcher.find("바닐라 사절")] == [("바닐라", True)]
