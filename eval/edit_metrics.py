"""Edits a perfumer can trust, measured (``hyanggi eval edits``): on labelled edits of frozen dev formulas
(eval/data/edits.yaml), each read and applied as the chat does (``agent.nodes.edit_turn``), count

- **wrong-material changes**: a line the request did not allow that was removed (a similar material taken out
  in place of an absent one) unless the reply gives an IFRA reason on its line, or added without a reason;
  a carrier brought in with a stated reason (the others at their ceilings) is counted apart (**carriers
  added**);
- **silent changes**: a line whose dose changed but the reply's change list (the text before the formula
  table) does not name it, or names an untouched line without a reason (요청, 합계 유지, 비율, 최대 사용량,
  IFRA, 상한, 캐리어 on the same line);
- **untouched-line moves**: the largest move of a line the request did not allow, in points of the
  concentrate (overall, and among lines the reply does not say a limit moved), and the largest deviation from
  the common ratio of the untouched lines (a formula in parts keeps it);
- **edits applied as asked**: every expectation of the label holds (removed, added, set, no line of a removed
  character, the new one perceptible, more or less of a descriptor, product and load, lighter, nothing changed
  for an absent material and the reply saying so first);
- **absent offered**: for a material the formula does not hold, the reply offers a present material.

The measures read only the formula before, the formula after and the reply text, so the same set can be run
against any implementation of the edit turn (``System``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import yaml
from pydantic import BaseModel, Field

from knowledge.kb import KnowledgeBase
from perfumery.catalog import Catalog
from perfumery.fit import can_smell, character, odor_mass
from perfumery.models import DEFAULT_DILUTION, Family, NotePosition
from perfumery.recipe import Ingredient, Recipe

EDIT_SET = Path(__file__).parent / "data" / "edits.yaml"
CHANGED = 0.005  # written figures have two decimals
REASON_WORDS = ("요청", "합계 유지", "비율", "최대 사용량", "IFRA", "상한", "캐리어")
LIMIT_WORDS = ("IFRA", "최대 사용량", "상한")  # a line stopped at, or brought under, a limit
CARRIES = 0.3  # a line smells of a descriptor when its weight for it reaches this


class Expect(BaseModel):
    removed: list[str] = Field(default_factory=list)
    added: list[str] = Field(default_factory=list)
    set: dict[str, float] = Field(default_factory=dict)
    no_character: list[str] = Field(default_factory=list)
    perceptible: list[str] = Field(default_factory=list)
    more: str | None = None
    less: str | None = None
    product: str | None = None
    load: float | None = None
    lighter: bool = False
    unchanged: bool = False
    absent: str | None = None


class EditCase(BaseModel):
    formula: str
    kind: str
    text: str
    allowed: list[str] = Field(default_factory=list)
    expect: Expect


class Outcome(BaseModel):
    """What a system answers to one message: the formula after it (None when no new version) and the reply."""

    recipe: Recipe | None
    reply: str


System = Callable[[Recipe, str], Outcome]


class CaseResult(BaseModel):
    formula: str
    kind: str
    text: str
    applied: bool
    failed: list[str] = Field(default_factory=list, description="expectations that did not hold")
    wrong_material: list[str] = Field(default_factory=list)
    carriers_added: list[str] = Field(default_factory=list)
    silent_unnamed: list[str] = Field(default_factory=list)
    silent_unexplained: list[str] = Field(default_factory=list)
    untouched_move: float = 0.0
    total_move: float = Field(default=0.0, description="largest move of an untouched line not held by a limit")
    ratio_deviation: float = 0.0
    offered: bool | None = None


class KindSummary(BaseModel):
    cases: int
    applied: float
    silent: int
    wrong_material: int


class EditReport(BaseModel):
    cases: int
    formulas: int
    applied_as_asked: float
    wrong_material_changes: int = Field(description="lines (target 0)")
    wrong_material_cases: int
    carriers_added: int = Field(description="lines not asked for, brought in with a stated reason")
    silent_changes: int = Field(description="lines: unnamed + named without a reason (target 0)")
    silent_unnamed: int
    silent_unexplained: int
    largest_untouched_move: float = Field(description="points of the concentrate")
    largest_total_move: float = Field(description="the same, among lines the reply does not say a limit moved")
    largest_ratio_deviation: float = Field(description="points from the untouched lines' common ratio")
    mean_ratio_deviation: float
    absent_offered: float = Field(description="share of absent-material requests answered with an offer")
    by_kind: dict[str, KindSummary]
    misses: list[CaseResult]


def formula_recipes(raw: dict[str, dict[str, list]], catalog: Catalog) -> dict[str, Recipe]:
    recipes = {}
    for name, lines in raw.items():
        ingredients = [Ingredient(material_id=m, name_ko=catalog.material(m).name_ko,
                                  name_en=catalog.material(m).name_en, cas=catalog.material(m).cas,
                                  note=NotePosition(note), percent=float(percent))
                       for m, (note, percent) in lines.items()]
        recipes[name] = Recipe(id=name, name=name, ingredients=ingredients)
    return recipes


def load_edit_set(catalog: Catalog, path: Path = EDIT_SET) -> tuple[dict[str, Recipe], list[EditCase]]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    formulas = formula_recipes(raw["formulas"], catalog)
    cases = [EditCase.model_validate(c) for c in raw["edits"]]
    unknown = sorted({c.formula for c in cases} - set(formulas))
    if unknown:
        raise ValueError(f"edits name unknown formulas: {unknown}")
    return formulas, cases


def chat_system(kb: KnowledgeBase) -> System:
    """The chat's own edit turn: the message read once, then ``agent.nodes.edit_turn`` at the default level."""
    from agent.nodes import edit_turn
    from agent.reading.interpret import MaterialNames
    from agent.reading.message import Route, read
    from hyanggi.settings import AnswerLevel
    from knowledge.lexicon import get_lexicon_matcher

    matcher, names = get_lexicon_matcher(kb), MaterialNames(kb)

    def run(recipe: Recipe, text: str) -> Outcome:
        reading = read(text, kb=kb, matcher=matcher, names=names, recipe=recipe)
        if reading.route != Route.edit or reading.edit is None:
            return Outcome(recipe=None, reply=f"(route: {reading.route.value})")
        turn = edit_turn(recipe, reading.edit, kb, AnswerLevel.detailed)
        return Outcome(recipe=turn.recipe, reply=turn.reply)

    return run


def _carries(catalog: Catalog, material_id: str, descriptor: str) -> bool:
    """Smells of ``descriptor`` at all (a family word: any descriptor of that family, or its own family)."""
    vector = catalog.vector(material_id)
    if descriptor in Family.__members__:
        return catalog.material(material_id).family == descriptor or any(
            w >= CARRIES for d, w in vector.items() if catalog.family_of(d) == descriptor)
    return vector.get(descriptor, 0.0) >= CARRIES


def allowed(catalog: Catalog, material_id: str, patterns: list[str]) -> bool:
    """Whether the label lets this line change (see the header of eval/data/edits.yaml)."""
    if material_id not in catalog:
        return False
    material = catalog.material(material_id)
    for pattern in patterns:
        kind, _, rest = pattern.partition(":")
        target, _, position = rest.partition("@")
        if pattern in ("*", material_id) or (pattern == "carrier" and material.carrier):
            return True
        if position and material.note.value != position:
            continue
        if (kind == "character" and character(catalog, material_id, target)) or (
                kind == "carries" and _carries(catalog, material_id, target)):
            return True
    return False


def _doses(recipe: Recipe) -> dict[str, float]:
    return {i.material_id: i.percent for i in recipe.ingredients}


def change_list(reply: str) -> str:
    """The part of a reply that says what changed: everything before the formula table."""
    head = []
    for line in reply.splitlines():
        if line.lstrip().startswith("|"):
            break
        head.append(line)
    return "\n".join(head)


def _presence(doses: dict[str, float], catalog: Catalog, target: str) -> float:
    descriptor, _, position = target.partition("@")
    scoped = {m: p for m, p in doses.items() if m in catalog
              and (not position or catalog.material(m).note.value == position)}
    mass = odor_mass(scoped, catalog)
    if descriptor in Family.__members__:
        return sum(v for d, v in mass.items() if catalog.family_of(d) == descriptor)
    return mass.get(descriptor, 0.0)


def _check(case: EditCase, before: Recipe, after: Recipe, outcome: Outcome, catalog: Catalog) -> list[str]:
    """The expectations that do not hold."""
    expect, a, b = case.expect, _doses(after), _doses(before)
    failed = []
    first = outcome.reply.strip().splitlines()[0] if outcome.reply.strip() else ""
    if expect.unchanged and (outcome.recipe is not None and any(abs(a.get(m, 0) - b.get(m, 0)) >= CHANGED
                                                                 for m in {*a, *b})):
        failed.append("unchanged")
    if expect.absent and catalog.material(expect.absent).name_ko not in first:
        failed.append("absent said first")
    if outcome.recipe is None and not expect.unchanged:
        failed.append("no new version")
    failed += [f"removed {m}" for m in expect.removed if a.get(m, 0) > 0]
    failed += [f"added {m}" for m in expect.added if a.get(m, 0) <= 0]
    failed += [f"set {m}" for m, p in expect.set.items() if abs(a.get(m, 0) - p) >= CHANGED]
    failed += [f"no {d} line" for d in expect.no_character if any(character(catalog, m, d) for m in a if m in catalog)]
    mass = odor_mass(a, catalog)
    failed += [f"{d} perceptible" for d in expect.perceptible if not can_smell(d, mass, catalog)]
    if expect.more and _presence(a, catalog, expect.more) <= _presence(b, catalog, expect.more) + 1e-9:
        failed.append(f"more {expect.more}")
    if expect.less and _presence(a, catalog, expect.less) >= _presence(b, catalog, expect.less) - 1e-9:
        failed.append(f"less {expect.less}")
    if expect.product and (after.product.value != expect.product or
                           (expect.load is not None and abs(after.dilution_percent - expect.load) > 1e-6)):
        failed.append(f"product {expect.product} {expect.load}")
    if expect.lighter and not (after.pyramid["top"] > before.pyramid["top"] + 0.01
                               or DEFAULT_DILUTION[after.concentration] < DEFAULT_DILUTION[before.concentration]):
        failed.append("lighter")
    return failed


def score_case(case: EditCase, before: Recipe, outcome: Outcome, catalog: Catalog) -> CaseResult:
    after = outcome.recipe or before
    a, b = _doses(after), _doses(before)
    names = {i.material_id: i.name_ko for i in (*before.ingredients, *after.ingredients)}
    listed = change_list(outcome.reply)
    lines = listed.splitlines()
    moved = [m for m in dict.fromkeys([*b, *a]) if abs(a.get(m, 0) - b.get(m, 0)) >= CHANGED]
    untouched = {m for m in {*a, *b} if not allowed(catalog, m, case.allowed)}

    def explained(m: str, words: tuple[str, ...] = REASON_WORDS) -> bool:
        return any(names[m] in line and any(w in line for w in words) for line in lines)

    removed = [m for m in moved if m in untouched and a.get(m, 0) == 0 and not explained(m, ("IFRA",))]
    added = [m for m in moved if m in untouched and b.get(m, 0) == 0]
    wrong = removed + [m for m in added if not explained(m)]
    unnamed = [m for m in moved if names[m] not in listed]
    unexplained = [m for m in moved if m in untouched and names[m] in listed and not explained(m)]
    kept = [m for m in untouched if m in a and m in b]
    before_sum, after_sum = sum(b[m] for m in kept), sum(a[m] for m in kept)
    factor = after_sum / before_sum if before_sum else 1.0
    failed = _check(case, before, after, outcome, catalog)
    offered = None
    if case.expect.absent:
        offered = any(names[m] in outcome.reply.split("\n\n")[0] for m in b)
    return CaseResult(
        formula=case.formula, kind=case.kind, text=case.text, applied=not failed, failed=failed,
        wrong_material=wrong, carriers_added=[m for m in added if m not in wrong], silent_unnamed=unnamed, silent_unexplained=unexplained,
        untouched_move=round(max((abs(a[m] - b[m]) for m in kept), default=0.0), 3),
        total_move=round(max((abs(a[m] - b[m]) for m in kept if not explained(m, LIMIT_WORDS)), default=0.0), 3),
        ratio_deviation=round(max((abs(a[m] - b[m] * factor) for m in kept), default=0.0), 3), offered=offered)


def evaluate_edits(kb: KnowledgeBase, system: System | None = None, path: Path = EDIT_SET) -> EditReport:
    """Run every labelled edit through ``system`` (default: the chat's edit turn) and score it."""
    catalog = kb.catalog
    formulas, cases = load_edit_set(catalog, path)
    run = system or chat_system(kb)
    results = [score_case(case, formulas[case.formula], run(formulas[case.formula], case.text), catalog)
               for case in cases]
    by_kind: dict[str, list[CaseResult]] = {}
    for result in results:
        by_kind.setdefault(result.kind, []).append(result)
    offers = [r.offered for r in results if r.offered is not None]
    count = Counter()
    for r in results:
        count["wrong"] += len(r.wrong_material)
        count["unnamed"] += len(r.silent_unnamed)
        count["unexplained"] += len(r.silent_unexplained)
    return EditReport(
        cases=len(results), formulas=len(formulas),
        applied_as_asked=round(sum(r.applied for r in results) / len(results), 4),
        wrong_material_changes=count["wrong"], wrong_material_cases=sum(bool(r.wrong_material) for r in results),
        carriers_added=sum(len(r.carriers_added) for r in results),
        silent_changes=count["unnamed"] + count["unexplained"], silent_unnamed=count["unnamed"],
        silent_unexplained=count["unexplained"],
        largest_untouched_move=max(r.untouched_move for r in results),
        largest_total_move=max(r.total_move for r in results),
        largest_ratio_deviation=max(r.ratio_deviation for r in results),
        mean_ratio_deviation=round(sum(r.ratio_deviation for r in results) / len(results), 4),
        absent_offered=round(sum(offers) / len(offers), 4) if offers else 0.0,
        by_kind={kind: KindSummary(cases=len(rs), applied=round(sum(r.applied for r in rs) / len(rs), 4),
                                   silent=sum(len(r.silent_unnamed) + len(r.silent_unexplained) for r in rs),
                                   wrong_material=sum(len(r.wrong_material) for r in rs))
                 for kind, rs in sorted(by_kind.items())},
        misses=[r for r in results if not r.applied or r.wrong_material or r.silent_unnamed
                or r.silent_unexplained])
