"""The proposal grammar admits exactly bounded number:percent lines over the candidates."""

import re

import pytest

from agent.generators.parsing import proposal_pairs
from prompts.grammar import MAX_PERCENT, MIN_PERCENT, format_proposal, proposal_gbnf, proposal_percent


def _rule_regex(gbnf: str, name: str) -> re.Pattern[str]:
    """Translate one alternatives-only rule of the grammar into a regex, to test what it admits."""
    rule = next(line for line in gbnf.splitlines() if line.startswith(f"{name} ::="))
    body = rule.split("::=", 1)[1]
    body = re.sub(r'"([^"]*)"', lambda m: re.escape(m.group(1)), body).replace(" ", "")
    return re.compile(f"(?:{body})")


def test_candidate_numbers_are_the_only_alternatives():
    assert _rule_regex(proposal_gbnf(12), "num").pattern == "(?:1|2|3|4|5|6|7|8|9|10|11|12)"


def test_item_count_is_bounded_and_the_line_ends():
    gbnf = proposal_gbnf(5, min_items=3, max_items=5)
    assert 'root ::= item ("," item){2,4} "\\n"' in gbnf


@pytest.mark.parametrize("text", ["0.5", "8", "12", "39", "40"])
def test_bounded_percentages_are_admitted(text):
    assert _rule_regex(proposal_gbnf(1), "pct").fullmatch(text)


@pytest.mark.parametrize("text", ["0", "41", "100", "8.5", "012", "1e3", "-3", "0.0"])
def test_unbounded_or_odd_numbers_are_refused(text):
    assert not _rule_regex(proposal_gbnf(1), "pct").fullmatch(text)


def test_proposal_percent_is_admitted_by_the_grammar():
    pattern = _rule_regex(proposal_gbnf(1), "pct")
    for value in (0.04, 0.3, 0.96, 1.0, 7.25, 12.5, 33.33, 40.0, 55.0):
        text = proposal_percent(value)
        assert pattern.fullmatch(text), text
        assert MIN_PERCENT <= float(text) <= MAX_PERCENT


def test_empty_candidates_or_bad_bounds_raise():
    with pytest.raises(ValueError):
        proposal_gbnf(0)
    with pytest.raises(ValueError):
        proposal_gbnf(3, min_items=4, max_items=2)


def test_a_training_target_is_what_the_parser_reads_exactly():
    target = format_proposal([(7, 20.4), (2, 8.0), (11, 0.25)])
    assert target == "2:8,7:20,11:0.2\n"
    assert proposal_pairs(target) == [(2, "8"), (7, "20"), (11, "0.2")]
