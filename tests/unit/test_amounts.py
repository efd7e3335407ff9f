from hypothesis import given
from hypothesis import strategies as st

from perfumery.amounts import allocate, floor_to_step, normalise, round_to_total


def test_allocate_fixes_capped_share_and_resplits_the_rest():
    assert allocate(10, {"a": 1, "b": 1}, {}, {"a": 2}) == {"a": 2, "b": 8}


def test_allocate_raises_shares_to_their_lows():
    shares = allocate(10, {"a": 1, "b": 9}, {"a": 3}, {})
    assert shares == {"a": 3, "b": 7}


def test_allocate_when_highs_cannot_hold_total_returns_highs():
    assert allocate(10, {"a": 1, "b": 1}, {}, {"a": 2, "b": 3}) == {"a": 2, "b": 3}


def test_floor_to_step_never_rounds_a_cap_up():
    assert floor_to_step(0.5555) == 0.55
    assert floor_to_step(0.56) == 0.56


def test_normalise_drops_non_positive_doses():
    assert normalise({"a": 1, "b": 3, "c": 0}) == {"a": 25.0, "b": 75.0}


def test_round_to_total_adds_up_exactly_with_largest_remainder():
    rounded = round_to_total({"a": 100 / 3, "b": 100 / 3, "c": 100 / 3})
    assert sorted(rounded.values()) == [33.33, 33.33, 33.34]


def test_round_to_total_respects_ceilings():
    rounded = round_to_total({"a": 0.5599, "b": 99.4401}, {"a": 0.5555})
    assert rounded == {"a": 0.55, "b": 99.45}


@given(st.lists(st.floats(min_value=0.001, max_value=80), min_size=1, max_size=25))
def test_round_to_total_always_sums_to_100(values):
    doses = normalise({f"m{i}": v for i, v in enumerate(values)})
    rounded = round_to_total(doses)
    assert abs(sum(rounded.values()) - 100) < 1e-6
    assert all(v > 0 for v in rounded.values())
