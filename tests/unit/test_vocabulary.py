"""One vocabulary for every door: units, the batch limit, note positions and material-name noise words."""

from perfumery.models import NotePosition
from perfumery.vocabulary import (
    BATCH_AMOUNT_MAX,
    BATCH_AMOUNT_MIN,
    BATCH_RANGE_KO,
    NAME_QUALIFIER,
    NAME_TYPE_WORD,
    POSITION_KO,
    POSITION_WORDS,
    UNIT_KO,
    UNIT_WORDS,
    BatchUnit,
    Unit,
    batch_grams,
    batch_in_range,
    unit_named,
)


def test_every_unit_has_words_and_a_korean_name() -> None:
    assert set(UNIT_WORDS) == set(UNIT_KO) == set(Unit)
    words = [w for ws in UNIT_WORDS.values() for w in ws]
    assert len(words) == len(set(words)), "a word names one unit only"
    assert unit_named("킬로") == unit_named("KG") == Unit.kg and unit_named("그램") == Unit.g
    assert unit_named("컵") is None and unit_named(None) is None


def test_one_batch_limit_whatever_the_unit() -> None:
    assert batch_grams(2, BatchUnit.kg) == 2000 and batch_grams(50, BatchUnit.g) == 50
    assert batch_in_range(batch_grams(100, BatchUnit.kg)) and not batch_in_range(batch_grams(101, BatchUnit.kg))
    assert batch_in_range(1.0) and not batch_in_range(0.5)
    assert "1 g에서 100 kg" in BATCH_RANGE_KO
    # The amount a schema states bounds both units: 1 g written in kg, 100 kg written in g.
    assert batch_grams(BATCH_AMOUNT_MIN, BatchUnit.kg) == 1.0 and batch_grams(BATCH_AMOUNT_MAX, BatchUnit.g) == 100_000


def test_positions_are_named_in_korean_and_english() -> None:
    assert set(POSITION_KO) == set(POSITION_WORDS) == set(NotePosition)
    assert all(POSITION_KO[p] in POSITION_WORDS[p] and p.value in POSITION_WORDS[p] for p in NotePosition)


def test_noise_words_drop_from_spaced_and_compacted_names() -> None:
    cases = {"베르가못 오일": "베르가못", "라벤더 에센셜 오일": "라벤더", "라벤더에센셜오일": "라벤더",
             "Orris butter": "Orris", "시프레 어코드": "시프레", "rosemaryco2": "rosemary", "헤디온": "헤디온"}
    assert {name: NAME_TYPE_WORD.sub("", name) for name in cases} == cases
    assert NAME_QUALIFIER.sub("", "로즈 앱솔루트 (로즈 드 메)") == "로즈 앱솔루트"
