"""Kiwi's analyses kept on disk: the same terms as analysing afresh, read back instead of recomputed."""

import json
from pathlib import Path

import pytest

from knowledge import token_cache
from knowledge.korean import word_tokens
from knowledge.token_cache import cached_terms

TEXTS = ["베르가못의 상큼한 시트러스 향", "따뜻한 샌달우드", "iso-e-super 3%"]


class Counting:
    """``word_tokens`` that remembers what it was asked (cached_terms keys the file by this module too)."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, text: str) -> list[str]:
        self.seen.append(text)
        return word_tokens(text)


def test_terms_equal_a_fresh_analysis_and_are_read_back(tmp_path: Path) -> None:
    path = tmp_path / "cache" / "terms.json"
    first = Counting()
    assert cached_terms(TEXTS, path, first) == [word_tokens(t) for t in TEXTS]
    assert first.seen == TEXTS and path.is_file()

    again = Counting()
    assert cached_terms(TEXTS, path, again) == [word_tokens(t) for t in TEXTS]
    assert again.seen == []


def test_only_a_new_text_is_analysed_and_the_file_keeps_exactly_the_texts_asked(tmp_path: Path) -> None:
    path = tmp_path / "terms.json"
    cached_terms(TEXTS, path, Counting())
    changed = Counting()
    texts = [TEXTS[0], "시원한 바다 향"]
    assert cached_terms(texts, path, changed) == [word_tokens(t) for t in texts]
    assert changed.seen == ["시원한 바다 향"]
    assert len(json.loads(path.read_text(encoding="utf-8"))["terms"]) == 2


def test_another_tokenizer_version_starts_afresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "terms.json"
    cached_terms(TEXTS, path, Counting())
    monkeypatch.setattr(token_cache, "tokenizer_key", lambda tokenize: "another kiwi")
    recount = Counting()
    cached_terms(TEXTS, path, recount)
    assert recount.seen == TEXTS


@pytest.mark.parametrize("content", ["{not json", '{"tokenizer": 1}', "[]"])
def test_a_damaged_file_costs_only_the_analysis(tmp_path: Path, content: str) -> None:
    path = tmp_path / "terms.json"
    path.write_text(content, encoding="utf-8")
    counting = Counting()
    assert cached_terms(TEXTS, path, counting) == [word_tokens(t) for t in TEXTS]
    assert counting.seen == TEXTS
    assert json.loads(path.read_text(encoding="utf-8"))["terms"]


def test_without_a_path_nothing_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cached_terms(TEXTS, None, Counting()) == [word_tokens(t) for t in TEXTS]
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_place_still_answers(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    assert cached_terms(TEXTS, blocker / "terms.json", Counting()) == [word_tokens(t) for t in TEXTS]
