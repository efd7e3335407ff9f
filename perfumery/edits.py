"""Conversational edits as typed operations. The agent parses Korean ("더 우디하게") into these.

An edit changes what was asked, and nothing silently. Every edit returns a new version (version + 1,
parent_version set) and an account of it (``EditResult``): every line whose dose changed, with the reason
(``ChangeReason``: asked for, keeping the total, a usual maximum, an IFRA cap), and how the weight freed or
needed was absorbed (``Absorb``).

The default is the perfumer's own (``Absorb.ratios``): the lines the edit does not touch keep their ratios,
as in a formula written in parts — removing a line lets the others rise together, raising one lowers the
others together — each within its usual maximum and IFRA cap, and a line that had to stop short is named.
On request the weight goes through carriers of the same position and character instead
(``Absorb.carriers``, "캐리어로 채워"), or into one named line ("나머지는 헤디온으로 채워").

Edits do what the person asked even when it breaks a rule (the critic says so), and a figure the person
typed is pinned: later edits and repair leave it. Removing a character ("시트러스는 빼줘") removes every line
whose main character it is (``perfumery.fit.character``); substituting one character for another ("장미 빼고
재스민으로") removes the old entirely and brings the new one in at a perceptible dose. A product change
re-reads the IFRA caps of the new category and load. The name and concept line follow the formula.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from perfumery.amounts import allocate, floor_to_step, round_to_total
from perfumery.catalog import Catalog, UnknownMaterialError
from perfumery.critic import pct
from perfumery.fit import can_smell, character, dose_to_perceive, headline_sources, odor_mass
from perfumery.ifra import PRODUCTS, Product, fragrance_load, product_label_ko
from perfumery.models import DEFAULT_DILUTION, Concentration, Family, NotePosition
from perfumery.naming import concept_ko, formula_name, formula_themes, particle
from perfumery.pyramid import PyramidBands
from perfumery.rebalance import TOTAL, Bound, Rebalancer
from perfumery.recipe import Recipe
from perfumery.similarity import rank_weights
from perfumery.vocabulary import POSITION_KO

_LIGHTER, _HEAVIER = "light", "heavy"
MAX_ID = 80  # material ids are short; a bound keeps an edit request's size honest
_CONCENTRATION_ORDER = list(Concentration)
MAX_GIVE = 0.5  # a character shift takes at most half of what the other lines hold
PERCEIVE_MARGIN = 1.2  # a substituted character lands a little above the perceptible presence
MAX_NEW_SOURCES = 3
EPSILON = 1e-6


class EditError(ValueError):
    """An edit that cannot apply to this recipe; ``message_ko`` is shown to the user."""

    def __init__(self, message_ko: str) -> None:
        super().__init__(message_ko)
        self.message_ko = message_ko


class Absorb(StrEnum):
    """How the weight an edit frees or needs is taken up by the lines it does not touch."""

    ratios = "ratios"  # "나머지는 비율 유지": they keep their ratios (a formula in parts); the default
    carriers = "carriers"  # "캐리어로 채워": carriers of the same position and character take it


ABSORB_KO = {Absorb.ratios: "나머지 재료는 서로의 비율을 유지한 채 함께 조정했어요",
             Absorb.carriers: "늘거나 준 무게는 같은 노트·성격의 캐리어가 받도록 조정했어요"}


class ChangeReason(StrEnum):
    """Why a line's dose changed."""

    requested = "requested"  # the person asked for it (a named line, or a line carrying the named character)
    keep_total = "keep_total"  # the formula still sums to 100
    use_max = "use_max"  # stopped at the material's usual maximum
    ifra_cap = "ifra_cap"  # stopped at, or brought under, an IFRA limit


REASON_KO = {ChangeReason.requested: "요청", ChangeReason.keep_total: "합계 유지", ChangeReason.use_max: "최대 사용량",
             ChangeReason.ifra_cap: "IFRA 상한"}
_PRIORITY = {ChangeReason.keep_total: 0, ChangeReason.use_max: 1, ChangeReason.ifra_cap: 2,
             ChangeReason.requested: 3}
_BOUND_REASON = {Bound.use_max: ChangeReason.use_max, Bound.ifra: ChangeReason.ifra_cap}


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SetPercent(_Op):
    """Set one material's share; the others keep their proportions among themselves."""

    op: Literal["set_percent"] = "set_percent"
    material_id: str = Field(max_length=MAX_ID)
    percent: float = Field(gt=0, lt=100)


class AddMaterial(_Op):
    """Add a material (default dose: its usual dose, within its ceiling)."""

    op: Literal["add"] = "add"
    material_id: str = Field(max_length=MAX_ID)
    percent: float | None = Field(default=None, gt=0, lt=100)


class RemoveMaterial(_Op):
    op: Literal["remove"] = "remove"
    material_id: str = Field(max_length=MAX_ID)


class Substitute(_Op):
    """Swap a material for a named one, or for the nearest by descriptors in the same note position."""

    op: Literal["substitute"] = "substitute"
    material_id: str = Field(max_length=MAX_ID)
    replacement: str | None = Field(default=None, max_length=MAX_ID)


class Shift(_Op):
    """More or less of a descriptor or family ("더 우디하게", "덜 달게").

    ``target`` "light" means lighter overall (더 가볍게): shares move toward the top notes within the
    pyramid bands, and the concentration steps down once the pyramid has no room left; "heavy" the reverse.
    """

    op: Literal["shift"] = "shift"
    target: str = Field(max_length=MAX_ID)
    direction: Literal[1, -1] = 1
    strength: float = Field(default=0.3, gt=0, le=1)
    position: NotePosition | None = Field(default=None, description="only this note position ('베이스를 더 …')")


class RemoveCharacter(_Op):
    """Take a character out ("시트러스는 빼줘"): every line whose main character it is (a family word means
    the whole family), in ``position`` only when one is named."""

    op: Literal["remove_character"] = "remove_character"
    target: str = Field(max_length=MAX_ID)
    position: NotePosition | None = None


class SubstituteCharacter(_Op):
    """One character for another ("장미 빼고 재스민으로"): the old one out entirely, the new one in at a
    perceptible dose."""

    op: Literal["substitute_character"] = "substitute_character"
    target: str = Field(max_length=MAX_ID)
    replacement: str = Field(max_length=MAX_ID)


class ChangeConcentration(_Op):
    op: Literal["concentration"] = "concentration"
    concentration: Concentration
    dilution_percent: float | None = Field(default=None, gt=0, le=40)


class ChangeProduct(_Op):
    """Put the formula into another product ("바디로션용으로"): its IFRA category and usual fragrance load."""

    op: Literal["product"] = "product"
    product: Product
    load_percent: float | None = Field(default=None, gt=0, le=40)


EditOp = Annotated[SetPercent | AddMaterial | RemoveMaterial | Substitute | Shift | RemoveCharacter
                   | SubstituteCharacter | ChangeConcentration | ChangeProduct, Field(discriminator="op")]


class LineChange(BaseModel):
    """One line whose dose changed, and why."""

    material_id: str
    name_ko: str
    before: float = Field(description="% of concentrate before (0: added)")
    after: float = Field(description="% of concentrate after (0: removed)")
    reason: ChangeReason
    detail_ko: str = Field(default="", description="what the reason refers to: the character, the limit …")

    def moved_ko(self) -> str:
        if not self.after:
            return f"{self.name_ko} {pct(self.before)}% → 뺌"
        if not self.before:
            return f"{self.name_ko} 새로 {pct(self.after)}%"
        return f"{self.name_ko} {pct(self.before)}% → {pct(self.after)}%"


class EditResult(BaseModel):
    """The new version and everything that changed in it, each line with its reason."""

    recipe: Recipe
    changes: list[LineChange]
    absorb: Absorb
    factor: float | None = Field(default=None, description="the common factor of the lines that kept their ratios")
    notes_ko: list[str] = Field(default_factory=list, description="changes that are not a line: product, load …")

    def lines_ko(self) -> list[str]:
        """The account in Korean: notes, then every changed line grouped by its reason, and how the rest took
        up the weight."""
        lines = list(self.notes_ko)
        groups: dict[tuple[ChangeReason, str], list[LineChange]] = {}
        for change in self.changes:
            groups.setdefault((change.reason, change.detail_ko), []).append(change)
        for (reason, detail), changes in groups.items():
            label = REASON_KO[reason] + (f" ({detail})" if detail else "")
            if reason == ChangeReason.keep_total and not detail:
                factor = f" (×{self.factor:.3g})" if self.factor else ""
                label += f" — {ABSORB_KO[self.absorb]}{factor}"
            lines.append(f"{label}: " + ", ".join(change.moved_ko() for change in changes))
        return lines or ["바뀐 재료 비율은 없어요."]


@dataclass
class _Work:
    """The formula while one request's operations are applied to it."""

    catalog: Catalog
    doses: dict[str, float]
    pinned: dict[str, float]
    concentration: Concentration
    dilution: float
    product: Product
    absorb: Absorb
    into: str | None
    reasons: dict[str, tuple[ChangeReason, str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    factors: list[float] = field(default_factory=list)
    removed_doses: dict[str, float] = field(default_factory=dict)
    positions: dict[str, NotePosition] = field(default_factory=dict)
    avoided: set[str] = field(default_factory=set)  # characters taken out: no newcomer may carry one

    @property
    def removed(self) -> set[str]:
        return set(self.removed_doses)

    @property
    def banned(self) -> frozenset[str]:
        """What may not come back as a newcomer: the lines taken out and, once a character is taken out,
        every material whose main character it is."""
        kept_out = {m for m in self.catalog.materials for d in self.avoided if character(self.catalog, m, d)}
        return frozenset(self.removed | kept_out)

    @property
    def scale(self) -> Rebalancer:
        return Rebalancer(self.catalog, self.dilution, PRODUCTS[self.product].category, self.pinned)

    def mark(self, material_ids: Iterable[str], reason: ChangeReason, detail: str = "") -> None:
        for m in material_ids:
            old = self.reasons.get(m)
            if old is None or _PRIORITY[reason] >= _PRIORITY[old[0]]:
                self.reasons[m] = (reason, detail)

    def remove(self, material_id: str, detail: str = "", reason: ChangeReason = ChangeReason.requested) -> None:
        self.removed_doses[material_id] = self.doses.pop(material_id, 0.0)
        self.pinned.pop(material_id, None)
        self.reasons[material_id] = (reason, detail)


def _name(catalog: Catalog, material_id: str) -> str:
    return catalog.material(material_id).name_ko if material_id in catalog else material_id


def _word(catalog: Catalog, target: str) -> str:
    """A descriptor or family in the Korean a person uses ("시트러스", "스모키")."""
    return catalog.descriptor_word(target) or target


def _check_character(catalog: Catalog, target: str) -> None:
    if target not in Family.__members__ and target not in catalog.descriptor_families:
        raise EditError(f"'{target}'은(는) 알 수 없는 향 성격입니다.")


def apply_edits(recipe: Recipe, ops: list[EditOp], catalog: Catalog, bands: PyramidBands | None = None,
                absorb: Absorb = Absorb.ratios, into: str | None = None) -> EditResult:
    """Apply every operation of one request in order: one request is one new version, with its account."""
    removed = {op.material_id for op in ops if isinstance(op, RemoveMaterial)}
    if removed and removed >= {i.material_id for i in recipe.ingredients}:
        raise EditError("마지막 남은 재료는 뺄 수 없습니다.")
    doses: dict[str, float] = {}
    for ingredient in recipe.ingredients:
        doses[ingredient.material_id] = doses.get(ingredient.material_id, 0.0) + ingredient.percent
    work = _Work(catalog=catalog, doses=doses, pinned={i.material_id: i.percent for i in recipe.ingredients
                                                       if i.pinned},
                 concentration=recipe.concentration, dilution=recipe.dilution_percent, product=recipe.product,
                 absorb=absorb, into=into, positions={i.material_id: i.note for i in recipe.ingredients})
    if into is not None and into not in catalog:
        raise EditError(UnknownMaterialError(into).message_ko)
    try:
        for op in ops:
            _apply(work, op, bands or PyramidBands())
    except UnknownMaterialError as exc:
        raise EditError(exc.message_ko) from None
    return _result(recipe, work)


def edit_many(recipe: Recipe, ops: list[EditOp], catalog: Catalog, bands: PyramidBands | None = None,
              absorb: Absorb = Absorb.ratios) -> Recipe:
    """The new version of ``recipe`` after every operation (see ``apply_edits`` for its account)."""
    return apply_edits(recipe, ops, catalog, bands, absorb).recipe


def edit(recipe: Recipe, op: EditOp, catalog: Catalog, bands: PyramidBands | None = None) -> Recipe:
    """Apply one operation and return the next version of ``recipe``."""
    return apply_edits(recipe, [op], catalog, bands).recipe


def _apply(work: _Work, op: EditOp, bands: PyramidBands) -> None:
    catalog = work.catalog
    if isinstance(op, SetPercent):
        catalog.material(op.material_id)
        if not any(m != op.material_id for m in work.doses):
            raise EditError(f"{_name(catalog, op.material_id)} 외에 다른 재료가 없어 비율을 바꿀 수 없습니다.")
        work.doses[op.material_id] = op.percent
        work.pinned[op.material_id] = op.percent
        work.mark([op.material_id], ChangeReason.requested)
        _settle(work, {op.material_id})
    elif isinstance(op, AddMaterial):
        percent = op.percent or _default_dose(catalog, op.material_id, work.scale)
        work.doses[op.material_id] = percent
        if op.percent:
            work.pinned[op.material_id] = op.percent
        work.mark([op.material_id], ChangeReason.requested)
        _settle(work, {op.material_id})
    elif isinstance(op, RemoveMaterial):
        if op.material_id not in work.doses:
            raise EditError(f"{particle(_name(catalog, op.material_id), '은', '는')} 이 레시피에 없습니다.")
        if len(work.doses) == 1:
            raise EditError("마지막 남은 재료는 뺄 수 없습니다.")
        work.remove(op.material_id)
        _settle(work, set(), like=op.material_id)
    elif isinstance(op, Substitute):
        _substitute(work, op)
    elif isinstance(op, Shift):
        if op.target in (_LIGHTER, _HEAVIER):
            _lighten(work, (op.direction == 1) == (op.target == _LIGHTER), op.strength, bands)
        else:
            _shift(work, op)
    elif isinstance(op, RemoveCharacter):
        lines = _character_lines(work, op.target, op.position)
        work.avoided.add(op.target)
        for m in lines:
            work.remove(m, f"{_word(catalog, op.target)} 성격")
        _settle(work, set())
    elif isinstance(op, SubstituteCharacter):
        _substitute_character(work, op)
    elif isinstance(op, ChangeConcentration):
        if work.product != Product.fine_fragrance:
            work.notes.append(f"{op.concentration.value} 같은 농도는 향수에만 쓰는 이름이라 제품을 "
                              f"{PRODUCTS[Product.fine_fragrance].label_ko}(으)로 바꿨어요.")
            work.product = Product.fine_fragrance
        work.concentration = op.concentration
        work.dilution = op.dilution_percent or DEFAULT_DILUTION[op.concentration]
        _recap(work)
    elif isinstance(op, ChangeProduct):
        work.product = op.product
        work.dilution = op.load_percent or fragrance_load(op.product, work.concentration)
        _recap(work)


def _settle(work: _Work, fixed: set[str], like: str | None = None) -> None:
    """Bring the formula back to 100 the way the person chose: ratios (default), carriers, or one named line."""
    doses, scale = work.doses, work.scale
    frozen = fixed | set(work.pinned)
    if abs(sum(doses.values()) - TOTAL) < EPSILON:
        return
    if not any(m not in frozen for m in doses) and work.into is None:
        raise EditError("직접 정한 비율의 합이 100%를 넘어 나머지 재료를 맞출 수 없습니다. 고정한 비율을 낮춰 주세요.")
    before = dict(doses)
    into = work.into if work.into is not None and work.into not in frozen else None
    if into is not None:
        gap = TOTAL - sum(doses.values())
        room = scale.ceiling(into) - doses.get(into, 0.0)
        doses[into] = max(0.01, doses.get(into, 0.0) + min(gap, room))
        frozen = frozen | {into}
    if work.absorb == Absorb.carriers and abs(sum(doses.values()) - TOTAL) > EPSILON:
        position = scale.note(like) if like else None
        absorbed = scale.absorb(doses, position, exclude=frozenset(frozen), like=like, banned=work.banned)
        doses.clear()
        doses.update(absorbed)
    if abs(sum(doses.values()) - TOTAL) > EPSILON:
        free_before = sum(p for m, p in doses.items() if m not in frozen)
        settled, bounds = scale.keep_ratios(doses, frozen, banned=work.banned)
        if free_before > 0:
            work.factors.append((TOTAL - sum(p for m, p in doses.items() if m in frozen)) / free_before)
        doses.clear()
        doses.update(settled)
        for m, bound in bounds.items():
            work.mark([m], _BOUND_REASON[bound])
    if abs(sum(doses.values()) - TOTAL) > 1e-4:
        raise EditError("모든 재료가 최대 사용량에 닿아 합계를 100%로 맞출 수 없습니다. 비율을 낮추거나 재료를 더해 주세요.")
    moved = [m for m in doses if abs(doses[m] - before.get(m, 0.0)) > EPSILON and m != into]
    work.mark([m for m in moved if m in before], ChangeReason.keep_total,
              "캐리어" if work.absorb == Absorb.carriers else "")
    work.mark([m for m in moved if m not in before], ChangeReason.keep_total, "새로 더한 캐리어")
    if into is not None:
        work.mark([into], ChangeReason.keep_total, "나머지를 채우도록 지정한 재료")


def _default_dose(catalog: Catalog, material_id: str, scale: Rebalancer) -> float:
    """A material's usual dose, under its ceiling: what a perfumer would weigh in first."""
    return max(0.01, min(catalog.material(material_id).typical_dose, scale.ceiling(material_id)))


def _substitute(work: _Work, op: Substitute) -> None:
    catalog, scale = work.catalog, work.scale
    if op.material_id not in work.doses:
        raise EditError(f"{particle(_name(catalog, op.material_id), '은', '는')} 이 레시피에 없습니다.")
    replacement = op.replacement
    if replacement is None:
        original = catalog.material(op.material_id)
        nearest = catalog.nearest_materials(catalog.vector(op.material_id), k=1, exclude=work.doses,
                                            note=original.note,
                                            allowed=lambda m: scale.ceiling(m) > 0 and catalog.composable(m))
        if not nearest:
            raise EditError(f"{particle(original.name_ko, '을', '를')} 대신할 재료를 찾지 못했습니다.")
        replacement = nearest[0][0]
    catalog.material(replacement)
    # The newcomer takes the old line's weight only as far as its ceiling allows; the rest is absorbed.
    percent = min(work.doses[op.material_id] + work.doses.get(replacement, 0.0), scale.ceiling(replacement))
    work.remove(op.material_id, f"{_name(catalog, replacement)}(으)로 대체")
    work.doses[replacement] = percent
    work.mark([replacement], ChangeReason.requested, f"{_name(catalog, op.material_id)} 대신")
    _settle(work, {replacement}, like=replacement)


def _character_lines(work: _Work, target: str, position: NotePosition | None = None) -> list[str]:
    catalog = work.catalog
    _check_character(catalog, target)
    lines = [m for m in work.doses if m in catalog and character(catalog, m, target) > 0
             and (position is None or catalog.material(m).note == position)]
    word = _word(catalog, target)
    if not lines:
        raise EditError(f"이 포뮬러에는 {particle(word, '이', '가')} 주된 성격인 재료가 없어 바꾸지 않았어요.")
    if len(lines) == len(work.doses):
        raise EditError(f"모든 재료가 {word} 성격이라 뺄 수 없어요.")
    return lines


def _substitute_character(work: _Work, op: SubstituteCharacter) -> None:
    """The old character out entirely; the new one in from its most potent main-character sources, each at
    the dose that makes it perceptible (within its ceiling), until it can be smelled."""
    catalog, scale = work.catalog, work.scale
    _check_character(catalog, op.replacement)
    old_word, new_word = _word(catalog, op.target), _word(catalog, op.replacement)
    work.avoided.add(op.target)
    for m in _character_lines(work, op.target):
        work.remove(m, f"{old_word} 성격")
    freed = sum(p for m, p in work.removed_doses.items())
    sources = [m for m in headline_sources(catalog, op.replacement) if m not in work.removed
               and character(catalog, m, op.replacement) > 0 and not character(catalog, m, op.target)
               and scale.ceiling(m) > 0 and catalog.composable(m, PRODUCTS[work.product].category)]
    added: set[str] = set()
    for m in sources:  # most potent first, until the new character can be smelled
        if added and (len(added) >= MAX_NEW_SOURCES or can_smell(op.replacement, odor_mass(work.doses, catalog),
                                                                 catalog)):
            break
        dose = dose_to_perceive(catalog, work.doses, op.replacement, m, PERCEIVE_MARGIN)
        work.doses[m] = min(max(dose, work.doses.get(m, 0.0)), scale.ceiling(m))
        added.add(m)
    if not added:
        raise EditError(f"{particle(new_word, '을', '를')} 낼 재료를 찾지 못했어요.")
    # A substitution: the new character takes the old one's weight as far as its materials' ceilings allow
    # (its carriers first among them); only what they cannot hold is absorbed by the rest.
    room = freed - sum(work.doses[m] for m in added)
    if room > 0:
        takers = list(dict.fromkeys([*added, *(m for m in sources if catalog.material(m).carrier)][:MAX_NEW_SOURCES
                                                                                                   + 2]))
        extra = allocate(room, {m: catalog.material(m).typical_dose for m in takers}, {},
                         {m: max(0.0, scale.ceiling(m) - work.doses.get(m, 0.0)) for m in takers})
        for m, grams in extra.items():
            if grams > EPSILON:
                work.doses[m] = work.doses.get(m, 0.0) + grams
                added.add(m)
    work.mark(added, ChangeReason.requested, f"{new_word} 성격")
    _settle(work, added)


def _affinity(catalog: Catalog, material_id: str, target: str) -> float:
    """How much a material carries a descriptor or a whole odor family, 0..1."""
    vector = catalog.vector(material_id)
    if target in Family.__members__:
        family_weight = sum(w for d, w in vector.items() if catalog.family_of(d) == target)
        own = 0.6 if catalog.material(material_id).family == target else 0.0
        return min(1.0, own + 0.5 * family_weight)
    return vector.get(target, 0.0)


AFFINE = 0.3  # a line carries the shifted character when its affinity reaches this


def _shift(work: _Work, op: Shift) -> None:
    """More (or less) of a character: the lines that carry it move (within their ceilings); the others keep
    the total as the person chose."""
    catalog, scale = work.catalog, work.scale
    _check_character(catalog, op.target)
    word = _word(catalog, op.target)

    def in_scope(m: str) -> bool:
        return m in catalog and (op.position is None or catalog.material(m).note == op.position)

    affinity = {m: _affinity(catalog, m, op.target) if in_scope(m) else 0.0 for m in work.doses}
    movable = [m for m in work.doses if m not in work.pinned and affinity[m] > 0]
    strong = [m for m in movable if affinity[m] >= AFFINE]
    carriers = strong or movable
    doses = work.doses
    if op.direction == -1:
        if not carriers:
            raise EditError(f"줄일 만한 {word} 성격의 재료가 레시피에 없습니다.")
        for m in carriers:
            doses[m] = doses[m] * max(0.05, 1.0 - 1.5 * op.strength * affinity[m])
        work.mark(carriers, ChangeReason.requested, f"덜 {word}")
        _settle(work, set(carriers))
        return
    carriers = strong
    wanted_gain = sum(doses[m] * 2.0 * op.strength * affinity[m] for m in carriers)
    before = sum(doses[m] for m in carriers)
    # The others make the room, and give at most half of what they hold: in a formula that is mostly this
    # character already, its lines grow less.
    room = MAX_GIVE * sum(p for m, p in doses.items() if m not in carriers and m not in work.pinned)
    damp = min(1.0, room / wanted_gain) if wanted_gain > 0 else 1.0
    for m in carriers:
        doses[m] = min(doses[m] * (1.0 + 2.0 * op.strength * affinity[m] * damp), max(doses[m], scale.ceiling(m)))
    gained = sum(doses[m] for m in carriers) - before
    moved = set(carriers)
    if gained < max(1.0, 0.5 * wanted_gain) and room > 1.0:
        # Nothing present can carry more of it: bring in the material that best does, at its usual dose.
        wanted = (rank_weights([d for d, f in catalog.descriptor_families.items() if f == op.target][:6])
                  if op.target in Family.__members__ else {op.target: 1.0})
        nearest = catalog.nearest_materials(
            wanted, k=1, exclude=[*doses, *work.removed],
            allowed=lambda m: scale.ceiling(m) > 0 and catalog.composable(m)
            and (op.position is None or catalog.material(m).note == op.position))
        if not nearest:
            raise EditError(f"{particle(word, '을', '를')} 더할 재료를 찾지 못했습니다.")
        added = nearest[0][0]
        doses[added] = min(catalog.material(added).typical_dose * (0.5 + 2 * op.strength), scale.ceiling(added))
        moved.add(added)
    work.mark(moved, ChangeReason.requested, f"더 {word}")
    _settle(work, moved)


def _lighten(work: _Work, lighter: bool, strength: float, bands: PyramidBands) -> None:
    """Move share from base to top (or back) through each position's carriers, within the bands and the
    carriers' ceilings; step the concentration when there is no room left."""
    scale, doses = work.scale, work.doses

    def position(m: str) -> NotePosition:  # as the formula writes it (a pasted formula may differ from ours)
        return work.positions.get(m) or scale.note(m) or NotePosition.heart

    def carriers(at: NotePosition) -> dict[str, float]:
        return {m: w for m, w in scale.carriers(doses).items() if position(m) == at}

    shares = {p: sum(v for m, v in doses.items() if position(m) == p) for p in NotePosition}
    gain, lose = (NotePosition.top, NotePosition.base) if lighter else (NotePosition.base, NotePosition.top)
    gainers = {m: w for m, w in carriers(gain).items() if scale.ceiling(m) > doses[m] + EPSILON}
    givers = {**carriers(lose), **carriers(NotePosition.heart)}
    room_band = bands.band(gain)[1] - 0.5 - shares[gain] if shares[gain] > 0 else 0.0
    room_ceiling = sum(max(0.0, scale.ceiling(m) - doses[m]) for m in gainers)
    room_give = shares[lose] - (bands.band(lose)[0] + 0.5) + shares[NotePosition.heart] - (
        bands.band(NotePosition.heart)[0] + 0.5)
    moved = max(0.0, min(15.0 * strength, room_band, room_ceiling, room_give))
    if moved < 0.5 or not givers:
        index = _CONCENTRATION_ORDER.index(work.concentration) + (-1 if lighter else 1)
        if not 0 <= index < len(_CONCENTRATION_ORDER):
            raise EditError("이미 가장 " + ("가벼운" if lighter else "진한") + " 구성입니다.")
        step = _CONCENTRATION_ORDER[index]
        if work.product != Product.fine_fragrance:
            raise EditError("피라미드에 더 옮길 여지가 없어요. 향수가 아닌 제품은 농도 대신 부향률을 직접 정해 주세요 "
                            "(예: \"향료 0.3%로\").")
        work.notes.append(f"피라미드에 더 옮길 여지가 없어 농도를 {work.concentration.value}에서 {step.value}(으)로 "
                          "바꿨어요.")
        work.concentration, work.dilution = step, DEFAULT_DILUTION[step]
        _recap(work)
        return
    wish = "더 가볍게" if lighter else "더 무겁게"
    changed = set()
    for m, extra in allocate(moved, gainers, {}, {m: scale.ceiling(m) - doses[m] for m in gainers}).items():
        doses[m] += extra
        changed.add(m)
    work.mark(changed, ChangeReason.requested, f"{wish}: {POSITION_KO[gain]} 비중 늘림")
    # The base gives first; the heart only what the base cannot give without leaving its band.
    from_lose = min(moved, max(0.0, shares[lose] - (bands.band(lose)[0] + 0.5)))
    for group, amount in ((carriers(lose), from_lose), (carriers(NotePosition.heart), moved - from_lose)):
        if group and amount > 0:
            taken = allocate(amount, {m: doses[m] for m in group}, {}, {m: doses[m] for m in group})
            for m, grams in taken.items():
                doses[m] -= grams
            work.mark(taken, ChangeReason.requested, f"{wish}: {POSITION_KO[lose]}·미들에서 덜어냄")
            changed |= set(taken)
    _settle(work, changed)


def _recap(work: _Work) -> None:
    """The product or its load changed: lines above the IFRA cap of the new category and load come down to
    it (a prohibited material leaves), summed Standards included, and the total is settled again."""
    scale, catalog = work.scale, work.catalog
    label = product_label_ko(work.product, work.concentration, work.dilution)
    capped = set()
    for m in list(work.doses):
        if m not in catalog or m in work.pinned:
            continue
        cap = floor_to_step(catalog.cap(m, work.dilution, PRODUCTS[work.product].category))
        if work.doses[m] > cap + EPSILON:
            if cap <= 0:
                work.remove(m, f"{label}: IFRA 금지", ChangeReason.ifra_cap)
            else:
                work.doses[m] = cap
                capped.add(m)
    held = scale.hold_standards(work.doses, [m for m in work.doses if m not in work.pinned])
    capped |= set(held)
    work.mark(capped, ChangeReason.ifra_cap, f"{label} IFRA 상한")
    _settle(work, capped)


def _names(recipe: Recipe, doses: Mapping[str, float], catalog: Catalog, work: _Work) -> dict[str, str]:
    """Name and concept that describe the new formula: a name whose hero left the formula is renamed."""
    known = {m: p for m, p in doses.items() if m in catalog}
    if not known:
        return {}
    gone = {i.material_id for i in recipe.ingredients} - set(doses)
    names = {"concept_ko": concept_ko(known, catalog, work.concentration, work.product, work.dilution)}
    if any(m in catalog and catalog.material(m).name_ko in recipe.name for m in gone):
        names["name"] = formula_name(formula_themes(known, catalog), random.Random(f"{recipe.id}:{recipe.version + 1}"))
    return names


def _round(original: Mapping[str, float], doses: Mapping[str, float], work: _Work) -> dict[str, float]:
    """Written figures adding up to exactly 100: a line the edit did not move keeps its figure to the digit;
    the moved lines are rounded (largest remainder) within their ceilings, never below a dose the edit left
    (a person's own formula may sit above a usual maximum: the critic says so, rounding does not clip it)."""
    kept = {m: original[m] if abs(p - original.get(m, -1.0)) < EPSILON else p for m, p in doses.items()
            if abs(p - original.get(m, -1.0)) < EPSILON or (m in work.pinned and abs(p * 100 - round(p * 100)) < EPSILON)}
    moving = {m: p for m, p in doses.items() if m not in kept}
    if not moving:
        return dict(doses)
    scale = work.scale
    ceilings = {m: max(scale.ceiling(m), floor_to_step(p)) for m, p in moving.items()}
    return {**kept, **round_to_total(moving, ceilings, total=TOTAL - sum(kept.values()))}


def _result(recipe: Recipe, work: _Work) -> EditResult:
    catalog = work.catalog
    original = {i.material_id: i.percent for i in recipe.ingredients}
    rounded = _round(original, work.doses, work)
    notes = {i.material_id: i.note for i in recipe.ingredients}
    dilutions = {i.material_id: i.dilution for i in recipe.ingredients}  # how a kept line is weighed stays
    ingredients = [
        (catalog.ingredient(m, rounded[m], notes.get(m)) if m in catalog else
         next(i for i in recipe.ingredients if i.material_id == m).model_copy(update={"percent": rounded[m]})
         ).model_copy(update={"pinned": m in work.pinned, "dilution": dilutions.get(m)})
        for m in rounded
    ]
    new = recipe.model_copy(update={
        "version": recipe.version + 1, "parent_version": recipe.version, "ingredients": ingredients,
        "concentration": work.concentration, "dilution_percent": work.dilution, "product": work.product,
        **_names(recipe, rounded, catalog, work), "score": None, "violations": [], "nearest_reference": None,
    })
    names = {i.material_id: i.name_ko or i.material_id for i in (*recipe.ingredients, *ingredients)}
    changes = []
    for m in dict.fromkeys([*original, *rounded]):
        before, after = original.get(m, 0.0), rounded.get(m, 0.0)
        if abs(after - before) < 0.005:
            continue
        reason, detail = work.reasons.get(m, (ChangeReason.keep_total, ""))
        changes.append(LineChange(material_id=m, name_ko=names[m], before=before, after=after, reason=reason,
                                  detail_ko=detail))
    changes.sort(key=lambda c: (-_PRIORITY[c.reason], -abs(c.after - c.before), c.material_id))
    if recipe.product != work.product or abs(recipe.dilution_percent - work.dilution) > EPSILON:
        work.notes.insert(0, "제품: " + product_label_ko(recipe.product, recipe.concentration, recipe.dilution_percent)
                          + " → " + product_label_ko(work.product, work.concentration, work.dilution)
                          + f" (IFRA 카테고리 {PRODUCTS[work.product].category.value}, "
                          + PRODUCTS[work.product].load_basis_ko + ")")
    stopped = [names[m] for m, (reason, _) in work.reasons.items() if m in rounded
               and reason in (ChangeReason.use_max, ChangeReason.ifra_cap) and abs(rounded[m] - original.get(m, 0)) < 0.005]
    if stopped:
        work.notes.append(f"{', '.join(stopped)}: 이미 최대 사용량이나 IFRA 상한이라 그대로 두었어요.")
    factor = work.factors[0] if len(work.factors) == 1 and work.absorb == Absorb.ratios else None
    if factor is not None:  # a line the ratios could not carry alone is named as such
        for change in changes:
            expected = change.before * factor
            if change.reason == ChangeReason.keep_total and change.before and not change.detail_ko \
                    and abs(change.after - expected) > max(0.02, 0.02 * expected):
                change.detail_ko = ("다른 재료가 상한에 닿아 비율보다 더 받음" if change.after > expected
                                    else "비율보다 덜 받음")
    return EditResult(recipe=new, changes=changes, absorb=work.absorb, factor=factor, notes_ko=work.notes)
