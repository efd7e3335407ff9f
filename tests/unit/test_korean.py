"""Tokens for BM25 and the typo/spacing-tolerant views of text."""

from knowledge.korean import char_ngrams, compact, normalize, word_tokens


def test_normalize_folds_width_case_and_spaces() -> None:
    assert normalize("  Ｉso  E Super ") == "iso e super"


def test_compact_ignores_spacing_and_punctuation() -> None:
    assert compact("샌달 우드!") == compact("샌달우드") == "샌달우드"


def test_word_tokens_keep_content_morphemes_and_english_words() -> None:
    tokens = word_tokens("상큼한 베르가못 향이 나는 Iso-E-Super")
    assert {"상큼", "베르가못", "향", "iso-e-super"} <= set(tokens)
    assert "이" not in tokens  # particles are noise


def test_irregular_adjective_stems_are_kept() -> None:
    assert word_tokens("가벼운") == ["가볍"]


def test_one_letter_typo_keeps_most_jamo_trigrams() -> None:
    right, typo = set(char_ngrams("베르가못")), set(char_ngrams("베르가뭇"))
    assert len(right & typo) / len(right) >= 0.6
    assert set(char_ngrams("샌달 우드")) == set(char_ngrams("샌달우드"))


def test_short_text_is_its_own_ngram() -> None:
    assert char_ngrams("ab") == ["ab"]
    assert char_ngrams(" ") == []
