"""The generator evaluation measures what it says, on scripted generators."""

from collections.abc import Iterator

import pytest

from agent.generators import generator_parts
from agent.generators.base import Generator
from agent.generators.fallback import FallbackComposer
from eval.composer_reference import ComposerReference
from eval.generator_eval import (
    EVAL_MARKER,
    Versus,
    card_section,
    chance_jaccard,
    evaluate_system,
    jaccard,
    load_dev_cases,
    versus,
    write_card_section,
)
from hyanggi.settings import Settings
from knowledge.kb import load_knowledge_base
from perfumery.recipe import ScoreCard
from prompts import PromptBuilder


class Echo(Generator):
    """Proposes the first three candidates (or garbage), narrates a fixed Korean or English sentence."""

    backend = "echo"

    def __init__(self, kb, garbage=False, english=False) -> None:
        builder = PromptBuilder({})
        super().__init__(builder, FallbackComposer(kb.catalog, builder))
        self.garbage, self.english = garbage, english

    def _stream(self, prompt: str, *, grammar: str | None, **_: object) -> Iterator[str]:
        if grammar is None:
            yield "A bright opening with citrus." if self.english else "상큼하게 열리는 향입니다."
            return
        if self.garbage:
            yield "nothing useful"
            return
        numbers = [line.split(": ", 1)[1].split(", ")[0].split(" ")[0]
                   for line in prompt.split("후보:\n")[1].splitlines() if ": " in line]
        yield ",".join(f"{k}:20" for k in numbers) + "\n"

    def count_tokens(self, text: str) -> int:
        return len(text)


@pytest.fixture(scope="module")
def kb():
    return load_knowledge_base()


@pytest.fixture(scope="module")
def cases():
    return load_dev_cases(limit=3)


def test_clean_generator_scores_full_validity_and_korean(kb, cases):
    report = evaluate_system(Echo(kb), cases, kb, n=2)
    assert report.n_proposals == 6
    assert report.valid_rate == 1.0 and report.candidate_adherence == 1.0
    assert 0 < report.brief_fit <= 1 and 0 < report.score <= 1
    assert report.hangul_share == 1.0
    assert report.outcomes["narrate_ok"] == 3


def test_garbage_generator_scores_zero_and_falls_back(kb, cases):
    report = evaluate_system(Echo(kb, garbage=True, english=True), cases, kb)
    assert report.valid_rate == 0.0 and report.candidate_adherence == 0.0
    assert report.brief_fit == 0.0 and report.score == 0.0
    assert report.outcomes == {"propose_fallback": 3, "narrate_fallback": 3}
    assert report.hangul_share > 0.5  # the template replaced the English


def test_composer_reference(kb, cases):
    composer = ComposerReference(*generator_parts(Settings(), kb))
    report = evaluate_system(composer, cases, kb)
    assert report.valid_rate == 1.0 and report.score > 0.5


def test_card_section_replaces_the_old_one(kb, cases, tmp_path):
    report = evaluate_system(Echo(kb), cases[:1], kb)
    card = tmp_path / "MODEL_CARD.md"
    card.write_text("# card\n\ntraining\n\n" + EVAL_MARKER + "\nold\n")
    write_card_section(card, card_section({"echo": report}, "ab" * 32, "cmd", threads=1))
    text = card.read_text()
    assert text.count(EVAL_MARKER) == 1 and "old" not in text and "abababab" in text and "training" in text
    assert "on 1 of this repository's dev" in text  # the sample size travels with the figures


def test_versus_compares_the_delivered_formulas_brief_by_brief(kb, cases):
    report = evaluate_system(Echo(kb), cases, kb)
    assert set(report.delivered) == {c.id for c in cases}
    ids = sorted(report.delivered)

    def with_scores(*rows):
        return report.model_copy(update={"delivered": {
            b: ScoreCard(total=s, components={"compliance": c, "dose_realism": d})
            for b, (s, c, d) in zip(ids, rows, strict=True)}})

    # Brief 1 won outright; brief 3 has the higher total but is less compliant: not a win, as in the critic node.
    model = with_scores((0.9, 1.0, 1.0), (0.5, 1.0, 1.0), (0.85, 0.5, 1.0))
    composer = with_scores((0.8, 1.0, 1.0), (0.7, 1.0, 0.9), (0.8, 1.0, 1.0))
    assert versus(model, composer) == Versus(briefs=3, beats=0.3333, higher_total=0.6667, below_guarded=1)
    assert versus(composer, composer) == Versus(briefs=3, beats=0.0, higher_total=0.0, below_guarded=0)


class Positional(Echo):
    """Writes the same three numbers whatever the candidates: a model that learned positions, not names."""

    def _stream(self, prompt: str, *, grammar: str | None, **_: object) -> Iterator[str]:
        if grammar is None:
            yield "상큼하게 열리는 향입니다."
            return
        yield "1:30,2:30,3:40\n"


def test_reordering_tells_a_name_reader_from_a_position_reader(kb, cases):
    positional = evaluate_system(Positional(kb), cases, kb, reorder=True).reads_names
    assert positional.numbers == 1.0 and positional.materials < 1.0
    # The composer reads what each candidate is (its order only breaks ties): well above chance, writes no numbers.
    composer = evaluate_system(ComposerReference(*generator_parts(Settings(), kb)), cases, kb, reorder=True)
    assert composer.reads_names.materials > composer.reads_names.chance + 0.15
    assert composer.reads_names.numbers is None
    assert 0 < positional.chance < 1 and 0 < composer.reads_names.chance < 1
    assert evaluate_system(Positional(kb), cases, kb).reads_names is None  # only when asked: it costs a proposal


def test_chance_overlap_of_random_picks():
    assert chance_jaccard(8, 8, 14) == pytest.approx((64 / 14) / (16 - 64 / 14))
    assert chance_jaccard(5, 5, 5) == 1.0
    assert jaccard(set(), set()) == 1.0 and jaccard({1, 2}, {2, 3}) == pytest.approx(1 / 3)
