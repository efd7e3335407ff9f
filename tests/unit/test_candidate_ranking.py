"""The critic node's pick: best total first, but a model proposal may not win by being less legal or less
realistic than the composer's best formula (issue 31)."""

from agent.state import Candidate, model_origin, ranked, repaired_origin
from perfumery.recipe import Recipe, ScoreCard


def candidate(origin: str, total: float, compliance: float = 1.0, dose_realism: float = 0.9) -> Candidate:
    card = ScoreCard(total=total, components={"compliance": compliance, "dose_realism": dose_realism})
    return Candidate(origin=origin, recipe=Recipe(score=card))


def order(candidates: list[Candidate]) -> list[tuple[str, float]]:
    return [(c.origin, c.score) for c in ranked(candidates)]


def test_a_model_proposal_that_holds_its_ground_wins_on_total():
    assert order([candidate("composer", 0.8), candidate("llm:ok", 0.85)]) == [("llm:ok", 0.85), ("composer", 0.8)]


def test_a_model_proposal_below_the_composer_on_dose_realism_or_ifra_ranks_after_it():
    composer, weaker_doses = candidate("composer", 0.8), candidate("llm:repaired", 0.9, dose_realism=0.7)
    less_legal = candidate("llm:ok", 0.95, compliance=0.85)
    assert order([less_legal, weaker_doses, composer]) == [("composer", 0.8), ("llm:ok", 0.95), ("llm:repaired", 0.9)]
    # Below the composer's total it keeps its place among the rest.
    assert order([candidate("llm:ok", 0.5, dose_realism=0.1), composer, candidate("composer", 0.6)])[-1] == ("llm:ok", 0.5)


def test_without_a_composer_formula_the_totals_decide():
    assert order([candidate("llm:ok", 0.7, dose_realism=0.1), candidate("repair", 0.8)]) == [("repair", 0.8), ("llm:ok", 0.7)]


def test_a_model_proposal_the_revise_node_repaired_is_still_guarded():
    composer, repaired = candidate("composer", 0.8), candidate("repair:llm:repaired", 0.9, dose_realism=0.7)
    assert repaired.proposed_by_model and not candidate("repair", 0.9).proposed_by_model
    assert order([repaired, composer])[0] == ("composer", 0.8)


def test_an_origin_says_who_proposed_it_and_whether_the_revise_node_repaired_it() -> None:
    assert model_origin("llm:ok") and model_origin("repair:llm:repaired")
    assert not model_origin("composer") and not model_origin("repair")
    assert repaired_origin("repair") and repaired_origin("repair:llm:ok")
    assert not repaired_origin("llm:repaired")  # the generator's own repair is an outcome, not the revise node's
