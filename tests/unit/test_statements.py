"""A sentence cut into the atomic statements the judge reads one at a time (eval.statements), on the tiny test KB."""

from __future__ import annotations

import pytest

from agent.reading.interpret import MaterialNames
from eval.statements import atomic_statements
from knowledge.kb import load_knowledge_base
from tests.unit.kb_fixtures import write_kb


@pytest.fixture(scope="module")
def names(tmp_path_factory: pytest.TempPathFactory) -> MaterialNames:
    return MaterialNames(load_knowledge_base(write_kb(tmp_path_factory.mktemp("kb"))))


def test_each_position_clause_lends_the_closing_predicate_and_each_name_gets_its_own_particle(
        names: MaterialNames) -> None:
    sentence = "탑에서는 베르가못 오일 · 레몬 오일이, 미들에서는 헤디온 · 로즈 앱솔루트가, 베이스에서는 바닐린이 향을 이끕니다."
    assert atomic_statements(sentence, names) == [
        "탑에서는 베르가못 오일이 향을 이끕니다.", "탑에서는 레몬 오일이 향을 이끕니다.",
        "미들에서는 헤디온이 향을 이끕니다.", "미들에서는 로즈 앱솔루트가 향을 이끕니다.",
        "베이스에서는 바닐린이 향을 이끕니다."]


def test_clauses_that_each_place_one_name_are_cut_too(names: MaterialNames) -> None:
    sentence = "탑에서는 베르가못 오일이, 미들에서는 헤디온이, 베이스에서는 바닐린이 향을 이끕니다."
    assert atomic_statements(sentence, names) == [
        "탑에서는 베르가못 오일이 향을 이끕니다.", "미들에서는 헤디온이 향을 이끕니다.", "베이스에서는 바닐린이 향을 이끕니다."]
    assert atomic_statements(sentence, names, lists_only=True) == [sentence]  # as the training pairs keep it


def test_a_name_found_without_its_type_word_keeps_it(names: MaterialNames) -> None:
    # the finder knows "라벤더" (라벤더 오일 less its type word), not "라벤더 에센셜 오일"
    sentence = "탑에서는 베르가못 오일 · 라벤더 에센셜 오일이, 베이스에서는 바닐린이 향을 이끕니다."
    assert atomic_statements(sentence, names) == [
        "탑에서는 베르가못 오일이 향을 이끕니다.", "탑에서는 라벤더 에센셜 오일이 향을 이끕니다.", "베이스에서는 바닐린이 향을 이끕니다."]


def test_a_copula_closing_replaces_the_particle(names: MaterialNames) -> None:
    sentence = "첫인상은 베르가못 오일 · 레몬 오일, 중심은 헤디온, 잔향은 바닐린 · 샌달우드 오일입니다."
    assert atomic_statements(sentence, names) == [
        "첫인상은 베르가못 오일입니다.", "첫인상은 레몬 오일입니다.", "중심은 헤디온입니다.",
        "잔향은 바닐린입니다.", "잔향은 샌달우드 오일입니다."]


def test_the_concept_line_is_cut_at_its_connectives_and_instrumental_particles_follow_the_name(
        names: MaterialNames) -> None:
    sentence = "베르가못 오일 · 레몬 오일로 열고 헤디온 · 로즈 앱솔루트가 중심을 잡으며 바닐린 · 샌달우드 오일이 오래 남는 EDP 포뮬러."
    assert atomic_statements(sentence, names) == [
        "베르가못 오일로 열고", "레몬 오일로 열고", "헤디온이 중심을 잡으며", "로즈 앱솔루트가 중심을 잡으며",
        "바닐린이 오래 남는 EDP 포뮬러.", "샌달우드 오일이 오래 남는 EDP 포뮬러."]


@pytest.mark.parametrize("sentence", [
    "헤디온은 미들에서 자스민, 신선한 향을 더합니다.",  # one name
    "요청하신 바닐라, 달콤한 분위기에 맞춰 구성했습니다.",  # commas, no name
    "변경 사항 — v1 → v2 · 추가: 바닐린 2% · 변경: 헤디온 10% → 9.5%, 베르가못 오일 12% → 11.4%",  # "·" not between names
    "피라미드: 탑 24.4% · 미들 36.4% · 베이스 39.2%",
])
def test_a_sentence_without_a_list_of_names_stays_whole(names: MaterialNames, sentence: str) -> None:
    assert atomic_statements(sentence, names) == [sentence]
