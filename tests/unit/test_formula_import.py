"""Importing a perfumer's own formula: lines, units, dilutions, accords, unknown lines, and the round trip."""

from __future__ import annotations

import pytest

from knowledge.formula_import import import_formula
from perfumery.documents import export_csv, export_json
from perfumery.formula import FormulaError, FormulaFormat, looks_like_formula, parse_line
from perfumery.neat import LineKind
from perfumery.recipe import Solvent
from perfumery.vocabulary import Unit
from tests.unit.perfumery_fixtures import CATALOG

FORMULA = """# 나의 시트러스 우디
베르가못 오일 20g
헤디온 30 g
해디온 2g
Iso E Super 35g
121-33-5 5g
이소유제놀 10% DPG 1g
앰버 어코드 6g
Ambrocenide 1g
합계 100g
"""


def test_a_line_reads_material_amount_unit_and_dilution() -> None:
    line = parse_line("담마스콘 10% DPG 0.5g", 1)
    assert (line.text, line.amount, line.unit, line.dilution.solvent, line.dilution.strength) == (
        "담마스콘", 0.5, Unit.g, Solvent.dpg, 10.0)
    assert parse_line("에틸 바닐린 (10% in ethanol) 3 g", 1).dilution.solvent == Solvent.ethanol
    assert parse_line("Ambrox @10% 2 g", 1).dilution.solvent is None
    assert parse_line("CAS 121-33-5 2%", 1).cas == "121-33-5"
    assert parse_line("Top notes:", 1).reason_ko  # a heading is skipped, with its reason


def test_import_resolves_names_typos_cas_accords_and_keeps_unknown_lines() -> None:
    result = import_formula(FORMULA, CATALOG)
    read = {r.line.text: (r.kind, r.target) for r in result.lines}
    assert read["헤디온"] == (LineKind.material, "hedione")
    assert read["해디온"] == (LineKind.material, "hedione")  # a typo, shown back for confirmation
    assert read["121-33-5"] == (LineKind.material, "vanillin")
    assert read["앰버 어코드"] == (LineKind.accord, "amber_accord")
    assert read["Ambrocenide"][0] == LineKind.unknown
    assert {r.line.text for r in result.to_confirm} == {"해디온", "Ambrocenide"}
    assert [s.reason_ko for s in result.skipped] == ["빈 줄이나 주석", "합계 줄"]
    recipe = result.recipe
    assert recipe.total_percent == pytest.approx(100.0)
    # 100 g written: 20 + 32 + 35 + 5 + 0.1 (neat isoeugenol) + 6 (accord) + 1 = 99.1 g of aroma.
    assert recipe.percent_of("hedione") == pytest.approx(32 / 99.1 * 100, abs=0.01)
    assert recipe.percent_of("isoeugenol") == pytest.approx(0.1 / 99.1 * 100, abs=0.01)
    assert next(i for i in recipe.ingredients if i.material_id == "isoeugenol").dilution.strength == 10.0
    # The amber accord is expanded into its neat materials: labdanum 50, vanillin 30, coumarin 20 parts.
    assert recipe.percent_of("labdanum_absolute") == pytest.approx(3 / 99.1 * 100, abs=0.01)
    assert recipe.percent_of("vanillin") == pytest.approx((5 + 1.8) / 99.1 * 100, abs=0.01)
    assert recipe.percent_of("Ambrocenide") == pytest.approx(1 / 99.1 * 100, abs=0.01)  # counted, flagged


def test_units_that_cannot_be_combined_are_a_korean_error() -> None:
    with pytest.raises(FormulaError, match="밀도"):
        import_formula("헤디온 30g\n바닐린 2 mL\n쿠마린 1g", CATALOG)
    with pytest.raises(FormulaError, match="단위가 섞여"):
        import_formula("헤디온 30%\n바닐린 2g\n쿠마린 1g", CATALOG)
    with pytest.raises(FormulaError):
        import_formula("안녕하세요\n반가워요", CATALOG)


def test_a_formula_in_one_volume_unit_states_its_assumption() -> None:
    result = import_formula("헤디온 30 방울\n바닐린 10 방울\n쿠마린 10 방울", CATALOG)
    assert result.recipe.percent_of("hedione") == pytest.approx(60.0)
    assert any("가정" in note for note in result.notes_ko)


def test_csv_and_json_exports_round_trip_through_import() -> None:
    recipe = import_formula(FORMULA, CATALOG).recipe
    for text, fmt in ((export_csv(recipe), FormulaFormat.csv), (export_json(recipe), FormulaFormat.json)):
        again = import_formula(text, CATALOG, fmt).recipe
        assert [(i.material_id, i.percent, i.dilution) for i in again.ingredients] == [
            (i.material_id, i.percent, i.dilution) for i in recipe.ingredients]
        assert (again.dilution_percent, again.product, again.concentration) == (
            recipe.dilution_percent, recipe.product, recipe.concentration)
        assert import_formula(text, CATALOG).recipe.ingredients == again.ingredients  # format found by itself


def test_a_spreadsheet_csv_with_its_own_header() -> None:
    text = "재료,양,단위,희석,용매\n헤디온,30,g,,\n이소유제놀,1,g,10,DPG\n바닐린,2,g,,\n"
    recipe = import_formula(text, CATALOG).recipe
    assert recipe.percent_of("isoeugenol") == pytest.approx(0.1 / 32.1 * 100, abs=0.01)


def test_looks_like_formula_tells_a_pasted_formula_from_a_message() -> None:
    assert looks_like_formula("헤디온 30g\n베르가못 12g\nIso E Super 20g\n바닐린 2g")
    assert not looks_like_formula("더 우디하게 해줘")
    assert not looks_like_formula("안녕\n오늘 향수 추천해줘\n시트러스 좋아해")


@pytest.mark.parametrize(("content", "fmt", "reason"), [
    ("헤디온 1e309g", None, "지수 표기"),
    ("헤디온 -30g", None, "음수"),
    ("헤디온 1000%", None, "100% 이하"),
    ("헤디온 " + "1" * 15_000 + "g", None, "너무 길어요"),
    ("헤디온 60%\n바닐린 60%", None, "합계가 120%"),
    ("name,percent\n헤디온,NaN\n", FormulaFormat.csv, "숫자로 읽을 수 없음"),
    ("name,percent\n헤디온,Infinity\n", FormulaFormat.csv, "숫자로 읽을 수 없음"),
    ("name,percent\n헤디온,1e309\n", FormulaFormat.csv, "숫자로 읽을 수 없음"),
    ("name,percent\n헤디온,-5\n", FormulaFormat.csv, "음수"),
    ("name,amount,unit\n헤디온,5,lbs\n", FormulaFormat.csv, "단위 'lbs'"),
    ('{"ingredients": [{"material_id": "hedione", "note": "heart", "percent": NaN}]}', None, "NaN"),
    ('{"ingredients": [{"material_id": "hedione", "note": "heart", "percent": 1e309}]}', None, "너무 커요"),
    ('{"ingredients": [{"material_id": "hedione", "note": "heart", "percent": 1' + "0" * 5000 + "}]}", None,
     "너무 길어요"),
    ("[" * 5000 + "]" * 5000, FormulaFormat.json, "중첩"),
    ('{"a": ' * 2000 + "1" + "}" * 2000, None, "중첩"),
    ("안녕하세요\n반가워요", None, "찾지 못했어요"),
])
def test_hostile_amounts_are_refused_in_korean_never_misread(content: str, fmt: FormulaFormat | None,
                                                             reason: str) -> None:
    """The probes of issue 29: no value is read as something else, and nothing but a FormulaError escapes."""
    with pytest.raises(FormulaError, match=reason) as refused:
        import_formula(content, CATALOG, fmt)
    assert "validation error" not in refused.value.message_ko and "recursion" not in refused.value.message_ko


def test_a_line_the_parser_cannot_read_is_skipped_with_its_reason_while_the_rest_is_kept() -> None:
    result = import_formula("헤디온 30g\n바닐린 -2g\n쿠마린 1e3g\n베르가못 오일 10g", CATALOG)
    assert {i.material_id for i in result.recipe.ingredients} == {"hedione", "bergamot_oil"}
    assert [s.reason_ko.split()[0] for s in result.skipped] == ["음수", "지수"]
    result = import_formula("헤디온 500%\n바닐린 20%\n쿠마린 80%", CATALOG)
    assert [s.reason_ko for s in result.skipped] == ["500%는 한 재료의 비율이 될 수 없어요 (100% 이하)"]


def test_a_percent_total_a_little_off_100_is_rescaled_and_said() -> None:
    result = import_formula("헤디온 52%\n바닐린 52%", CATALOG)
    assert result.recipe.total_percent == pytest.approx(100.0)
    assert any("104%" in note for note in result.notes_ko)


def test_two_swapped_letters_are_read_and_shown_back() -> None:
    """Likeness is rapidfuzz's InDel ratio (longest common subsequence): "Linaolol" keeps 7 of Linalool's 8
    letters (0.875). difflib's greedy block matching found fewer (0.75) and left the line unknown."""
    [line] = import_formula("Linaolol 10\n", CATALOG).lines
    assert (line.kind, line.target, line.confidence, line.confirm) == (LineKind.material, "linalool", 0.875, True)
