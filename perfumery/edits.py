"""Conversational edits as typed operations. The agent parses Korean ("더 우디하게") into these.

Every edit returns a new version (version + 1, parent_version set) and never touches the original.
Edits do what the person asked even when it breaks a rule (the critic says so), and a figure the person
typed is pinned: later edits and repair leave it as is. Amounts the system chooses itself (a default
dose, a substitute, the weight moved to make room) stay under each material's ceiling, and that weight
moves through carriers of the same position and character, never proportionally into every line.
The name and concept line follow the formula: they never name a material that is no longer in it.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from perfumery.amounts import allocate, fill_to_total, normalise, round_to_total
from perfumery.catalog import Catalog, UnknownMaterialError
from perfumery.ifra import Product, fragrance_load
from perfumery.models import DEFAULT_DILUTION, Concentration, Family, NotePosition
from perfumery.naming import concept_ko, formula_name, formula_themes
from perfumery.pyramid import PyramidBands
from perfumery.rebalance import TOTAL, Rebalancer
from perfumery.recipe import Recipe
from perfumery.similarity import rank_weights

_LIGHTER, _HEAVIER = "light", "heavy"
MAX_ID = 80  # material ids are short; a bound keeps an edit request's size honest
_CONCENTRATION_ORDER = list(Concentration)


class EditError(ValueError):
    """An edit that cannot apply to this recipe; ``message_ko`` is shown to the user."""

    def __init__(self, message_ko: str) -> None:
        super().__init__(message_ko)
        self.message_ko = message_ko


class _Op(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SetPercent(_Op):
    """Set one material's share; the others keep their proportions among themselves."""

    op: Literal["set_percent"] = "set_percent"
    material_id: str = Field(max_length=MAX_ID)
    percent: float = Field(gt=0, lt=100)


class AddMaterial(_Op):
    """Add a material (default dose: the middle of its typical range, within its IFRA cap)."""

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


class ChangeConcentration(_Op):
    op: Literal["concentration"] = "concentration"
    concentration: Concentration
    dilution_percent: float | None = Field(default=None, gt=0, le=40)


class ChangeProduct(_Op):
    """Put the formula into another product ("바디로션용으로"): its IFRA category and usual fragrance load."""

    op: Literal["product"] = "product"
    product: Product
    load_percent: float | None = Field(default=None, gt=0, le=40)


EditOp = Annotated[SetPercent | AddMaterial | RemoveMaterial | Substitute | Shift | ChangeConcentration | ChangeProduct,
                   Field(discriminator="op")]


def edit(recipe: Recipe, op: EditOp, catalog: Catalog, bands: PyramidBands | None = None) -> Recipe:
    """Apply ``op`` and return the next version of ``recipe``."""
    doses = {i.material_id: i.percent for i in recipe.ingredients}
    pinned = {i.material_id: i.percent for i in recipe.ingredients if i.pinned}
    concentration, dilution, product = recipe.concentration, recipe.dilution_percent, recipe.product
    scale = Rebalancer(catalog, dilution, recipe.category, pinned)
    try:
        if isinstance(op, SetPercent):
            doses = _set(doses, op.material_id, op.percent, scale)
            pinned[op.material_id] = op.percent
        elif isinstance(op, AddMaterial):
            percent = op.percent or _default_dose(catalog, op.material_id, scale)
            doses = _set(doses, op.material_id, percent, scale)
            if op.percent:
                pinned[op.material_id] = op.percent
        elif isinstance(op, RemoveMaterial):
            doses = _remove(doses, op.material_id, scale)
            pinned.pop(op.material_id, None)
        elif isinstance(op, Substitute):
            doses = _substitute(doses, op, scale)
            pinned.pop(op.material_id, None)
        elif isinstance(op, Shift):
            if op.target in (_LIGHTER, _HEAVIER):
                lighter = (op.direction == 1) == (op.target == _LIGHTER)
                doses, concentration = _lighten(doses, scale, lighter, op.strength, concentration,
                                                bands or PyramidBands())
                dilution = DEFAULT_DILUTION[concentration] if concentration != recipe.concentration else dilution
            else:
                doses = _shift(doses, op, scale)
        elif isinstance(op, ChangeConcentration):
            concentration = op.concentration
            dilution = op.dilution_percent or DEFAULT_DILUTION[op.concentration]
        elif isinstance(op, ChangeProduct):
            product = op.product
            dilution = op.load_percent or fragrance_load(op.product, concentration)
    except UnknownMaterialError as exc:
        raise EditError(exc.message_ko) from None
    notes = {i.material_id: i.note for i in recipe.ingredients}
    dilutions = {i.material_id: i.dilution for i in recipe.ingredients}  # how a kept line is weighed stays
    # Rounding never cuts a line below the dose the edit left it at (a person's own formula may sit above
    # a typical maximum: the critic says so, the rounding does not silently clip it).
    ceilings = {m: max(c, doses[m]) for m, c in scale.ceilings({m: 0 for m in doses if m not in pinned}).items()}
    rounded = round_to_total(doses, {**ceilings, **pinned})
    ingredients = [
        (catalog.ingredient(m, rounded[m], notes.get(m)) if m in catalog else
         next(i for i in recipe.ingredients if i.material_id == m).model_copy(update={"percent": rounded[m]})
         ).model_copy(update={"pinned": m in pinned, "dilution": dilutions.get(m)})
        for m in doses if m in rounded
    ]
    return recipe.model_copy(update={
        "version": recipe.version + 1, "parent_version": recipe.version, "ingredients": ingredients,
        "concentration": concentration, "dilution_percent": dilution, "product": product,
        **_names(recipe, rounded, catalog, concentration),
        "score": None, "violations": [], "nearest_reference": None,
    })


def _names(recipe: Recipe, doses: Mapping[str, float], catalog: Catalog,
           concentration: Concentration) -> dict[str, str]:
    """Name and concept that describe the new formula: a name whose hero left the formula is renamed."""
    known = {m: p for m, p in doses.items() if m in catalog}
    if not known:
        return {}
    gone = {i.material_id for i in recipe.ingredients} - set(doses)
    names = {"concept_ko": concept_ko(known, catalog, concentration)}
    if any(m in catalog and catalog.material(m).name_ko in recipe.name for m in gone):
        names["name"] = formula_name(formula_themes(known, catalog), random.Random(f"{recipe.id}:{recipe.version + 1}"))
    return names


def _name(catalog: Catalog, material_id: str) -> str:
    return catalog.material(material_id).name_ko if material_id in catalog else material_id


def _settle(doses: dict[str, float], scale: Rebalancer, changed: str | None) -> dict[str, float]:
    """Bring the formula back to 100: carriers of the changed line's position and character first,
    then any carrier, then (only when no carrier can move) every line the person did not set."""
    position = scale.note(changed) if changed else None
    keep = frozenset({changed}) if changed else frozenset()
    result = scale.absorb(doses, position, exclude=keep, like=changed)
    if abs(sum(result.values()) - TOTAL) < 1e-6:
        return result
    free = {m: p for m, p in result.items() if m not in scale.pinned and m not in keep}
    fixed = sum(p for m, p in result.items() if m not in free)
    if not free or fixed > TOTAL:
        raise EditError("직접 정한 비율의 합이 100%를 넘어 나머지 재료를 맞출 수 없습니다. 고정한 비율을 낮춰 주세요.")
    return {**result, **normalise(free, TOTAL - fixed)}


def _set(doses: dict[str, float], material_id: str, percent: float, scale: Rebalancer) -> dict[str, float]:
    scale.catalog.material(material_id)
    if not any(m != material_id for m in doses):
        raise EditError(f"{_name(scale.catalog, material_id)} 외에 다른 재료가 없어 비율을 바꿀 수 없습니다.")
    return _settle({**doses, material_id: percent}, scale, material_id)


def _remove(doses: dict[str, float], material_id: str, scale: Rebalancer) -> dict[str, float]:
    if material_id not in doses:
        raise EditError(f"{_name(scale.catalog, material_id)}은(는) 이 레시피에 없습니다.")
    rest = {m: p for m, p in doses.items() if m != material_id}
    if not rest:
        raise EditError("마지막 남은 재료는 뺄 수 없습니다.")
    position = scale.note(material_id)
    result = scale.absorb(rest, position, like=material_id if material_id in scale.catalog else None,
                          banned=frozenset({material_id}))
    return result if abs(sum(result.values()) - TOTAL) < 1e-6 else _settle(result, scale, None)


def _default_dose(catalog: Catalog, material_id: str, scale: Rebalancer) -> float:
    """A material's usual dose, under its ceiling: what a perfumer would weigh in first."""
    return max(0.01, min(catalog.material(material_id).typical_dose, scale.ceiling(material_id)))


def _substitute(doses: dict[str, float], op: Substitute, scale: Rebalancer) -> dict[str, float]:
    catalog = scale.catalog
    if op.material_id not in doses:
        raise EditError(f"{_name(catalog, op.material_id)}은(는) 이 레시피에 없습니다.")
    replacement = op.replacement
    if replacement is None:
        original = catalog.material(op.material_id)
        nearest = catalog.nearest_materials(catalog.vector(op.material_id), k=1, exclude=doses, note=original.note,
                                            allowed=lambda m: scale.ceiling(m) > 0 and catalog.composable(m))
        if not nearest:
            raise EditError(f"{original.name_ko}을(를) 대신할 재료를 찾지 못했습니다.")
        replacement = nearest[0][0]
    catalog.material(replacement)
    # The newcomer takes the old line's weight only as far as it can carry it; carriers take the rest.
    percent = min(doses[op.material_id] + doses.get(replacement, 0.0), scale.ceiling(replacement))
    result = {(replacement if m == op.material_id else m): p for m, p in doses.items() if m != replacement}
    result[replacement] = percent
    # What the newcomer cannot carry goes to carriers; the material just replaced is never brought back as one.
    settled = scale.absorb(result, scale.note(replacement), exclude=frozenset({replacement}), like=replacement,
                           banned=frozenset({op.material_id}))
    return settled if abs(sum(settled.values()) - TOTAL) < 1e-6 else _settle(settled, scale, replacement)


def _affinity(catalog: Catalog, material_id: str, target: str) -> float:
    """How much a material carries a descriptor or a whole odor family, 0..1."""
    vector = catalog.vector(material_id)
    if target in Family.__members__:
        family_weight = sum(w for d, w in vector.items() if catalog.family_of(d) == target)
        own = 0.6 if catalog.material(material_id).family == target else 0.0
        return min(1.0, own + 0.5 * family_weight)
    return vector.get(target, 0.0)


AFFINE = 0.3  # a line carries the shifted character when its affinity reaches this


def _shift(doses: dict[str, float], op: Shift, scale: Rebalancer) -> dict[str, float]:
    """More (or less) of a character: its carriers move within their ceilings, the others make room."""
    catalog = scale.catalog
    if op.target not in Family.__members__ and op.target not in catalog.descriptor_families:
        raise EditError(f"'{op.target}'은(는) 알 수 없는 향 성격입니다.")

    def in_scope(m: str) -> bool:
        return m in catalog and (op.position is None or catalog.material(m).note == op.position)

    affinity = {m: _affinity(catalog, m, op.target) if in_scope(m) else 0.0 for m in doses}
    movable = {m for m in doses if m not in scale.pinned}
    result = dict(doses)
    if op.direction == -1:
        if max(affinity.values(), default=0.0) <= 0:
            raise EditError(f"줄일 만한 '{op.target}' 성격의 재료가 레시피에 없습니다.")
        for m in movable:
            result[m] = doses[m] * max(0.05, 1.0 - 1.5 * op.strength * affinity[m])
        # The freed weight goes to the carriers without that character, within their ceilings.
        others = {m: w for m, w in scale.carriers(result, op.position).items() if affinity.get(m, 0.0) < AFFINE}
        result = fill_to_total(result, others, scale.ceilings(result))
        return result if abs(TOTAL - sum(result.values())) <= 1e-6 else _settle(result, scale, None)
    carriers = [m for m in movable if affinity[m] >= AFFINE]
    wanted_gain = sum(doses[m] * 2.0 * op.strength * affinity[m] for m in carriers)
    for m in carriers:
        result[m] = min(doses[m] * (1.0 + 2.0 * op.strength * affinity[m]), max(doses[m], scale.ceiling(m)))
    gained = sum(result.values()) - sum(doses.values())
    if gained < max(1.0, 0.5 * wanted_gain):
        # Nothing present can carry more of it: bring in the material that best does, at its usual dose.
        wanted = (rank_weights([d for d, f in catalog.descriptor_families.items() if f == op.target][:6])
                  if op.target in Family.__members__ else {op.target: 1.0})
        nearest = catalog.nearest_materials(
            wanted, k=1, exclude=doses,
            allowed=lambda m: scale.ceiling(m) > 0 and catalog.composable(m)
            and (op.position is None or catalog.material(m).note == op.position))
        if not nearest:
            raise EditError(f"'{op.target}' 성격을 더할 재료를 찾지 못했습니다.")
        added = nearest[0][0]
        result[added] = min(catalog.material(added).typical_dose * (0.5 + 2 * op.strength), scale.ceiling(added))
        affinity[added] = 1.0
    return _others_make_room(result, affinity, scale)


def _others_make_room(result: dict[str, float], affinity: Mapping[str, float], scale: Rebalancer) -> dict[str, float]:
    """Take the weight a character gained from the carriers that do not carry it, in proportion to dose."""
    if sum(result.values()) > TOTAL:
        others = {m: w for m, w in scale.carriers(result).items() if affinity.get(m, 0.0) < AFFINE}
        result = fill_to_total(result, others, scale.ceilings(result))
    return _settle({m: p for m, p in result.items() if p > 0}, scale, None)


def _lighten(doses: dict[str, float], scale: Rebalancer, lighter: bool, strength: float,
             concentration: Concentration, bands: PyramidBands) -> tuple[dict[str, float], Concentration]:
    """Move share from base to top (or back) through each position's carriers, within the bands and the
    carriers' ceilings; step the concentration when there is no room left."""
    def position(m: str) -> NotePosition:
        return scale.note(m) or NotePosition.heart
    shares = {p: sum(v for m, v in doses.items() if position(m) == p) for p in NotePosition}
    gain, lose = (NotePosition.top, NotePosition.base) if lighter else (NotePosition.base, NotePosition.top)
    gainers = scale.carriers(doses, gain)
    givers = {**scale.carriers(doses, lose), **scale.carriers(doses, NotePosition.heart)}
    room_band = bands.band(gain)[1] - 0.5 - shares[gain] if shares[gain] > 0 else 0.0
    room_ceiling = sum(max(0.0, scale.ceiling(m) - doses[m]) for m in gainers)
    room_give = shares[lose] - (bands.band(lose)[0] + 0.5) + shares[NotePosition.heart] - (
        bands.band(NotePosition.heart)[0] + 0.5)
    moved = max(0.0, min(15.0 * strength, room_band, room_ceiling, room_give))
    if moved < 0.5 or not givers:
        index = _CONCENTRATION_ORDER.index(concentration) + (-1 if lighter else 1)
        if not 0 <= index < len(_CONCENTRATION_ORDER):
            raise EditError("이미 가장 " + ("가벼운" if lighter else "진한") + " 구성입니다.")
        return doses, _CONCENTRATION_ORDER[index]
    result = dict(doses)
    for m, extra in allocate(moved, gainers, {}, {m: scale.ceiling(m) - doses[m] for m in gainers}).items():
        result[m] += extra
    # The base gives first; the heart only what the base cannot give without leaving its band.
    from_lose = min(moved, max(0.0, shares[lose] - (bands.band(lose)[0] + 0.5)))
    for group, amount in ((scale.carriers(doses, lose), from_lose),
                          (scale.carriers(doses, NotePosition.heart), moved - from_lose)):
        if group and amount > 0:
            for m, taken in allocate(amount, {m: doses[m] for m in group}, {}, {m: doses[m] for m in group}).items():
                result[m] -= taken
    return _settle({m: p for m, p in result.items() if p > 0}, scale, None), concentration


def edit_many(recipe: Recipe, ops: list[EditOp], catalog: Catalog, bands: PyramidBands | None = None) -> Recipe:
    """Apply every operation of one request in order: one request is one new version."""
    removed = {op.material_id for op in ops if isinstance(op, RemoveMaterial)}
    if removed and removed >= {i.material_id for i in recipe.ingredients}:
        raise EditError("마지막 남은 재료는 뺄 수 없습니다.")
    result = recipe
    for op in ops:
        result = edit(result, op, catalog, bands)
    return result.model_copy(update={"version": recipe.version + 1, "parent_version": recipe.version})
