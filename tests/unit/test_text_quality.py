from agent.generators.text_quality import RepetitionGuard, SentenceCounter, hangul_share, repetition_rate


def test_hangul_share_ignores_digits_and_punctuation():
    assert hangul_share("장미 20%, 머스크!") == 1.0
    assert hangul_share("rose 장미") == 2 / 6
    assert hangul_share("123 !!") == 0.0


def test_repetition_rate_separates_loops_from_prose():
    prose = "베르가못이 밝게 열리고 장미가 중심을 잡으며 머스크가 잔향으로 남습니다."
    assert repetition_rate(prose) < 0.05
    assert repetition_rate("장미 향기 " * 20) > 0.8


def test_guard_trips_on_a_loop_and_not_on_prose():
    guard = RepetitionGuard()
    assert all(guard.accept(piece) for piece in ["베르가못이", "밝게", "열리고", "장미가", "중심을", "잡으며", "머스크가", "잔향으로", "오래", "남습니다."])
    looping = RepetitionGuard()
    results = [looping.accept("꽃잎의 향기가 매력적입니다. ") for _ in range(6)]
    assert results[0] and not results[-1] and looping.tripped


def test_sentence_counter_stops_after_the_limit_and_ignores_decimals():
    counter = SentenceCounter(2)
    assert counter.accept("헤디온 12.5%로 밝게 열립니다.")
    assert not counter.accept(" 머스크가 오래 남아요.")
    assert SentenceCounter(None).accept("끝입니다. 또 끝입니다. 정말 끝입니다.")
