"""The shared generator machinery: every model output becomes a usable draft, with an honest record."""

from collections.abc import Iterator, Sequence

import pytest

from agent.generators.base import Generator, Outcome, proposal_recipe
from agent.generators.fallback import FallbackComposer
from perfumery.brief import Brief
from perfumery.naming import lead_sentence
from prompts import PromptBuilder
from tests.unit.perfumery_fixtures import make_catalog

CANDIDATES = ("bergamot_oil", "lemon_oil", "hedione", "rose_absolute", "linalool", "iso_e_super", "vanillin")


class ScriptedGenerator(Generator):
    """Streams pre-written outputs; an Exception in the script is raised mid-call."""

    backend = "scripted"

    def __init__(self, outputs: list, **kwargs) -> None:
        catalog = make_catalog()
        builder = PromptBuilder({})
        super().__init__(builder, FallbackComposer(catalog, builder), **kwargs)
        self.outputs = list(outputs)
        self.grammars: list[str | None] = []

    def _stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
                grammar: str | None) -> Iterator[str]:
        self.grammars.append(grammar)
        output = self.outputs.pop(0)
        if isinstance(output, Exception):
            raise output
        for i in range(0, len(output), 3):
            yield output[i : i + 3]

    def count_tokens(self, text: str) -> int:
        return len(text) // 2


@pytest.fixture
def catalog():
    return make_catalog()


@pytest.fixture
def brief():
    return Brief(descriptors={"citrus": 1.0, "floral": 0.6, "woody": 0.5}, text="상큼한 꽃 향")


def candidates(catalog):
    return [catalog.material(m) for m in CANDIDATES]


def proposal(pool, **doses: float) -> str:
    """The grammar's line naming ``doses`` by the numbers the prompt gives ``pool``."""
    numbers = {c.id: k for k, c in enumerate(pool, start=1)}
    return ",".join(f"{numbers[m]}:{v:g}" for m, v in doses.items()) + "\n"


def test_clean_proposal_is_ok_and_normalised(catalog, brief):
    line = proposal(candidates(catalog), bergamot_oil=10, hedione=20, iso_e_super=20)
    gen = ScriptedGenerator([line])
    [draft] = gen.propose(brief, candidates(catalog), 1)
    assert gen.grammars[0] is not None and '| "7"\n' in gen.grammars[0] and '"8"' not in gen.grammars[0]
    assert draft.proposed is not None
    assert draft.proposed.total_percent == pytest.approx(100.0)
    assert draft.proposed.percent_of("bergamot_oil") == pytest.approx(20.0)
    assert draft.record.raw_output == line
    assert draft.record.completion_tokens > 0 and draft.record.tokens_per_s > 0
    assert draft.recipe.score is not None
    assert draft.record.outcome in (Outcome.ok, Outcome.repaired)
    if draft.record.outcome is Outcome.ok:
        assert not draft.record.problems


def test_off_list_number_is_dropped_and_marked_repaired(catalog, brief):
    gen = ScriptedGenerator([proposal(candidates(catalog), bergamot_oil=10, hedione=20, iso_e_super=20) + "8:5"])
    [draft] = gen.propose(brief, candidates(catalog), 1)
    assert draft.record.outcome is Outcome.repaired
    assert any("번호 8" in p for p in draft.record.problems)
    assert {i.material_id for i in draft.proposed.ingredients} == {"bergamot_oil", "hedione", "iso_e_super"}


def test_unusable_output_falls_back_to_the_composer(catalog, brief):
    gen = ScriptedGenerator(["장미 장미 장미"])
    [draft] = gen.propose(brief, candidates(catalog), 1)
    assert draft.record.outcome is Outcome.fallback
    assert draft.proposed is None
    assert len(draft.recipe.ingredients) >= 3
    # Only carriers may come from outside the candidates: a thin pool cannot hold a pyramid's weight otherwise.
    extra = {i.material_id for i in draft.recipe.ingredients} - set(CANDIDATES)
    assert all(catalog.material(m).carrier for m in extra)


def test_backend_crash_never_raises(catalog, brief):
    gen = ScriptedGenerator([RuntimeError("boom"), proposal(candidates(catalog), bergamot_oil=10, hedione=20,
                                                            iso_e_super=20)])
    drafts = gen.propose(brief, candidates(catalog), 2)
    assert drafts[0].record.outcome is Outcome.fallback
    assert any("boom" in p for p in drafts[0].record.problems)
    assert drafts[1].record.outcome in (Outcome.ok, Outcome.repaired)


def test_no_candidates_falls_back(brief):
    gen = ScriptedGenerator([])
    [draft] = gen.propose(brief, [], 1)
    assert draft.record.outcome is Outcome.fallback


def test_ifra_breach_is_repaired_by_the_core(catalog, brief):
    pool = [*candidates(catalog), catalog.material("isoeugenol")]
    gen = ScriptedGenerator([proposal(pool, bergamot_oil=10, isoeugenol=20, hedione=20, iso_e_super=20)])
    [draft] = gen.propose(brief, pool, 1)
    assert draft.record.outcome is Outcome.repaired
    assert draft.recipe.percent_of("isoeugenol") < draft.proposed.percent_of("isoeugenol")
    assert not [v for v in draft.recipe.violations if v.code == "ifra_cap"]


def _recipe(catalog, brief):
    return proposal_recipe({"bergamot_oil": 10, "hedione": 30, "iso_e_super": 20},
                           {m.id: m for m in candidates(catalog)}, brief)


def lead(catalog, brief) -> str:
    """The sentence the generator appends about the lead material, written from the formula."""
    return " " + lead_sentence(_recipe(catalog, brief), catalog)


def test_korean_narration_streams_whole_sentences_then_the_formulas_own_lead_sentence(catalog, brief):
    said = "상큼한 봄날 아침 같은 향입니다. 가볍게 뿌리기 좋은 EDP 처방입니다."
    gen = ScriptedGenerator([said])
    narration = gen.narrate(_recipe(catalog, brief), brief)
    pieces = list(narration)
    assert pieces == ["상큼한 봄날 아침 같은 향입니다.", " 가볍게 뿌리기 좋은 EDP 처방입니다.", lead(catalog, brief)]
    assert pieces[-1] == " 헤디온은 미들에서 " + pieces[-1].split("미들에서 ", 1)[1]  # the heart lead, in the heart
    assert narration.text == said + lead(catalog, brief)
    assert narration.record.outcome is Outcome.ok
    assert gen.grammars == [None]


def test_non_korean_narration_is_replaced_before_it_is_shown(catalog, brief):
    gen = ScriptedGenerator(["This perfume opens with bergamot and then"])
    narration = gen.narrate(_recipe(catalog, brief), brief)
    text = narration.read()
    assert "This" not in text
    assert text.startswith("요청하신")
    assert narration.record.outcome is Outcome.fallback
    assert narration.record.raw_output.startswith("This")


def test_looping_narration_is_cut_and_marked_repaired(catalog, brief):
    gen = ScriptedGenerator(["잎의 향기가 매력적입니다. " + "꽃잎의 향기가 매력적인 " * 10])
    narration = gen.narrate(_recipe(catalog, brief), brief)
    text = narration.read()
    assert text == "잎의 향기가 매력적입니다." + lead(catalog, brief)  # the loop never finished a sentence
    assert narration.record.outcome is Outcome.repaired


def test_a_sentence_cut_by_the_token_limit_is_not_shown(catalog, brief):
    gen = ScriptedGenerator(["베르가못이 밝게 열립니다. 헤디온이 중심을"])
    narration = gen.narrate(_recipe(catalog, brief), brief)
    assert narration.read() == "베르가못이 밝게 열립니다." + lead(catalog, brief)
    assert narration.record.outcome is Outcome.repaired and "끝나지 않은 문장" in narration.record.problems[-1]


def test_crashing_narration_uses_the_template(catalog, brief):
    gen = ScriptedGenerator([RuntimeError("dead")])
    narration = gen.narrate(_recipe(catalog, brief), brief)
    assert narration.read()
    assert narration.record.outcome is Outcome.fallback


def test_time_limit_stops_a_runaway_stream(catalog, brief):
    gen = ScriptedGenerator(["가나다라마바사" * 200], timeout_s=0.0)
    narration = gen.narrate(_recipe(catalog, brief), brief)
    narration.read()
    assert len(narration.record.raw_output) < 20


def test_narration_stops_after_the_template_sentence_limit(catalog, brief):
    gen = ScriptedGenerator(["첫 문장입니다. 둘째 문장입니다. 셋째 문장입니다. 넷째 문장입니다."])
    narration = gen.narrate(_recipe(catalog, brief), brief)
    text = narration.read()
    assert text == "첫 문장입니다. 둘째 문장입니다." + lead(catalog, brief)
    assert narration.record.outcome is Outcome.ok
