"""The proposal parser reads JSON, recovers near-JSON, and reports every fix."""

from agent.generators.parsing import json_pairs, parse_proposal

IDS = {"bergamot_oil", "hedione", "iso_e_super", "aldehyde_c12_mna"}


def test_clean_json_is_clean():
    parsed = parse_proposal('{"bergamot_oil":8,"hedione":20.5,"iso_e_super":30}', IDS)
    assert parsed.clean
    assert parsed.doses == {"bergamot_oil": 8.0, "hedione": 20.5, "iso_e_super": 30.0}


def test_unknown_ids_and_out_of_range_values_are_dropped_with_problems():
    parsed = parse_proposal('{"bergamot_oil":8,"unicorn":5,"hedione":95,"iso_e_super":30}', IDS)
    assert parsed.valid_json and not parsed.clean
    assert parsed.doses == {"bergamot_oil": 8.0, "iso_e_super": 30.0}
    assert len(parsed.problems) == 2


def test_duplicates_are_merged_not_lost():
    parsed = parse_proposal('{"hedione":10,"hedione":5,"iso_e_super":30}', IDS)
    assert parsed.doses["hedione"] == 15.0
    assert any("중복" in p for p in parsed.problems)


def test_truncated_json_is_recovered_pairwise():
    parsed = parse_proposal('{"bergamot_oil":8,"aldehyde_c12_mna":0.5,"hedi', IDS)
    assert not parsed.valid_json
    assert parsed.doses == {"bergamot_oil": 8.0, "aldehyde_c12_mna": 0.5}


def test_id_percent_lines_are_read():
    parsed = parse_proposal("bergamot_oil 8%\nhedione: 20\niso_e_super = 30", IDS)
    assert parsed.doses == {"bergamot_oil": 8.0, "hedione": 20.0, "iso_e_super": 30.0}


def test_non_numeric_values_are_problems():
    parsed = parse_proposal('{"bergamot_oil":"lots","hedione":20}', IDS)
    assert parsed.doses == {"hedione": 20.0}
    assert parsed.problems


def test_garbage_gives_nothing():
    assert parse_proposal("향수를 만들어 보았습니다!", IDS).doses == {}
    assert json_pairs("no braces") is None
