"""Evidence selection for the short-input judge: the passages that bear on a statement, within a token budget."""

from __future__ import annotations

from eval.evidence import Evidence, passages


def count_chars(texts: list[str]) -> list[int]:
    """A stand-in tokenizer: one token per character, so budgets are easy to reason about."""
    return [len(t) for t in texts]


RECIPE = "처방 v1 (EDP, 부향률 18%)\n베르가못 오일 (탑, 12%)\n헤디온 (미들, 30%)\n바닐린 (베이스, 4%)"
RECORDS = ["바닐린 (Vanillin). 바닐라의 주성분으로 달콤한 향을 낸다. 구르망에 많이 쓴다.",
           "라벤더 오일: 라벤더 꽃을 증류한 허브 향."]


def test_later_sentences_keep_their_record_name() -> None:
    found = passages([RECORDS[0]])
    assert found[0] == "바닐린 (Vanillin)."
    assert found[1] == "바닐린: 바닐라의 주성분으로 달콤한 향을 낸다."


def test_a_statement_reads_the_recipe_lines_it_names_and_the_records_about_it() -> None:
    evidence = Evidence(RECORDS, count_chars, primary=[RECIPE])
    chosen = evidence.for_statement("바닐린은 베이스에서 달콤한 향을 더합니다.", budget=200).splitlines()
    assert "바닐린 (베이스, 4%)" in chosen
    assert "바닐린: 바닐라의 주성분으로 달콤한 향을 낸다." in chosen
    assert not any("라벤더" in line for line in chosen)  # shares nothing with the statement
    assert chosen.index("바닐린 (베이스, 4%)") < chosen.index("바닐린: 바닐라의 주성분으로 달콤한 향을 낸다.")  # context order


def test_the_budget_is_never_exceeded_and_nothing_unrelated_is_taken() -> None:
    evidence = Evidence(RECORDS, count_chars, primary=[RECIPE])
    for budget in (10, 30, 60):
        assert len(evidence.for_statement("바닐린은 베이스에서 달콤한 향을 더합니다.", budget)) <= budget
    assert evidence.for_statement("전혀 관계없는 문장", budget=200) == ""


def test_no_contexts_give_empty_evidence() -> None:
    assert Evidence([], count_chars).for_statement("바닐린은 달콤하다", budget=100) == ""
