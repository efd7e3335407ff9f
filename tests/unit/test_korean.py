"""Tokens for BM25 and the typo/spacing-tolerant views of text."""

from knowledge.korean import char_ngrams, compact, modifiers_as_nouns, normalize, word_tokens


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


def test_a_mood_word_used_as_a_noun_is_found_and_nouns_are_not() -> None:
    """The slips the model made in the chat's stored replies ("따뜻한을", "가벼운의"); a noun before a particle,
    a modifier before a noun, and a noun kiwi reads as a stem + ᆯ ("시트랄을") are Korean."""
    assert modifiers_as_nouns("따뜻한을 좋아하는 분께 권하고 싶은 EDP 처방입니다.") == ["따뜻한을"]
    assert modifiers_as_nouns("상큼하고 시원한을 떠올리게 하는 향. 가벼운의 장면을 옮겼습니다.") == ["시원한을", "가벼운의"]
    assert modifiers_as_nouns("설레는을 담았다") == ["설레는을"]
    # In this sentence kiwi reads "상큼 한(恨)을": the stem read alone is the adjective it is.
    assert modifiers_as_nouns("상큼한을 떠올리게 하는 향입니다.") == ["상큼한을"]
    for korean in ("봄 기운을 담은 향입니다.", "따뜻한 카페를 떠올리게 하는 향입니다.", "한을 품은 향",
                   "시트랄을 쓰기 어려운 처방에서 레몬 인상을 준다.", "가을의 하루와 잘 어울리는 향입니다.",
                   "벤조인의 달콤함이 남습니다.", "IFRA 상한에 닿았습니다."):
        assert modifiers_as_nouns(korean) == []
