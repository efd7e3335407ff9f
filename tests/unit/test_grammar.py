"""The proposal grammar admits exactly bounded JSON over the candidate ids."""

import json
import re

import pytest

from prompts.grammar import MAX_PERCENT, MIN_PERCENT, format_percent, proposal_gbnf


def _pct_regex(gbnf: str) -> re.Pattern[str]:
    """Translate the grammar's pct rule into a regex, to test what it admits."""
    rule = next(line for line in gbnf.splitlines() if line.startswith("pct ::="))
    body = rule.split("::=", 1)[1]
    body = re.sub(r'"([^"]*)"', lambda m: re.escape(m.group(1)), body).replace(" ", "")
    return re.compile(f"(?:{body})")


def test_ids_are_the_only_alternatives_and_quoted():
    gbnf = proposal_gbnf(["rose_absolute", "hedione", "hedione"])
    id_rule = next(line for line in gbnf.splitlines() if line.startswith("id ::="))
    assert id_rule == 'id ::= "\\"hedione\\"" | "\\"rose_absolute\\""'


def test_item_count_is_bounded():
    gbnf = proposal_gbnf(["a", "b", "c"], min_items=3, max_items=5)
    assert '("," item){2,4}' in gbnf


@pytest.mark.parametrize("text", ["0.5", "8", "8.5", "12", "39.9", "40"])
def test_bounded_percentages_are_admitted(text):
    assert _pct_regex(proposal_gbnf(["a"])).fullmatch(text)


@pytest.mark.parametrize("text", ["0", "41", "100", "8.25", "012", "1e3", "-3"])
def test_unbounded_or_odd_numbers_are_refused(text):
    assert not _pct_regex(proposal_gbnf(["a"])).fullmatch(text)


def test_format_percent_is_admitted_by_the_grammar():
    pattern = _pct_regex(proposal_gbnf(["a"]))
    for value in (0.04, 0.3, 1.0, 7.25, 12.0, 33.33, 40.0, 55.0):
        text = format_percent(value)
        assert pattern.fullmatch(text), text
        assert MIN_PERCENT <= float(text) <= MAX_PERCENT


def test_empty_candidates_or_bad_bounds_raise():
    with pytest.raises(ValueError):
        proposal_gbnf([])
    with pytest.raises(ValueError):
        proposal_gbnf(["a"], min_items=4, max_items=2)


def test_training_target_shape_matches_the_grammar():
    target = "{" + ",".join(f"{json.dumps(k)}:{format_percent(v)}" for k, v in {"a": 8, "b": 20.5}.items()) + "}"
    assert target == '{"a":8,"b":20.5}'
