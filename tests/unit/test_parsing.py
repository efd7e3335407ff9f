"""The proposal parser reads the numbered line, recovers near-misses, and reports every fix."""

from agent.generators.parsing import parse_proposal, proposal_pairs

IDS = ["bergamot_oil", "hedione", "iso_e_super", "aldehyde_c12_mna"]


def test_the_grammars_line_is_clean():
    parsed = parse_proposal("1:8,2:20,3:30\n", IDS)
    assert parsed.clean
    assert parsed.doses == {"bergamot_oil": 8.0, "hedione": 20.0, "iso_e_super": 30.0}


def test_numbers_outside_the_candidates_and_out_of_range_values_are_dropped_with_problems():
    parsed = parse_proposal("1:8,5:5,2:95,3:30,0:4", IDS)
    assert parsed.well_formed and not parsed.clean
    assert parsed.doses == {"bergamot_oil": 8.0, "iso_e_super": 30.0}
    assert len(parsed.problems) == 3


def test_duplicates_are_merged_not_lost():
    parsed = parse_proposal("2:10,2:5,3:30", IDS)
    assert parsed.doses["hedione"] == 15.0
    assert any("중복" in p for p in parsed.problems)


def test_a_truncated_line_is_recovered_pairwise():
    parsed = parse_proposal("1:8,4:0.5,2", IDS)
    assert not parsed.well_formed
    assert parsed.doses == {"bergamot_oil": 8.0, "aldehyde_c12_mna": 0.5}


def test_loose_pairs_are_read_but_marked():
    parsed = parse_proposal("처방: 1 = 8%\n2: 20\n3:30", IDS)
    assert parsed.doses == {"bergamot_oil": 8.0, "hedione": 20.0, "iso_e_super": 30.0}
    assert not parsed.clean and any("형식" in p for p in parsed.problems)


def test_decimals_inside_numbers_are_not_read_as_pairs():
    assert parse_proposal("12.5:3", IDS).doses == {}


def test_garbage_gives_nothing():
    assert parse_proposal("향수를 만들어 보았습니다!", IDS).doses == {}
    assert proposal_pairs('{"bergamot_oil":8}') is None
    assert proposal_pairs("1:8,2:20") == [(1, "8"), (2, "20")]
