"""Conversational edits as typed operations. The agent parses Korean ("더 우디하게") into these.

Every edit returns a new version (version + 1, parent_version set) and never touches the original.
Edits do what the person asked even when it breaks a rule (the critic will say so); only amounts the
system chooses itself (a default dose, a substitute) are kept inside IFRA caps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from perfumery.amounts import floor_to_step, normalise, round_to_total
from perfumery.catalog import Catalog, UnknownMaterialError
from perfumery.models import DEFAULT_DILUTION, Concentration, Family, NotePosition
from perfumery.pyramid import PyramidBands
from perfumery.recipe import Recipe
from perfumery.similarity import rank_weights

_LIGHTER, _HEAVIER = "light", "heavy"
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
    material_id: str
    percent: float = Field(gt=0, lt=100)


class AddMaterial(_Op):
    """Add a material (default dose: the middle of its typical range, within its IFRA cap)."""

    op: Literal["add"] = "add"
    material_id: str
    percent: float | None = Field(default=None, gt=0, lt=100)


class RemoveMaterial(_Op):
    op: Literal["remove"] = "remove"
    material_id: str


class Substitute(_Op):
    """Swap a material for a named one, or for the nearest by descriptors in the same note position."""

    op: Literal["substitute"] = "substitute"
    material_id: str
    replacement: str | None = None


class Shift(_Op):
    """More or less of a descriptor or family ("더 우디하게", "덜 달게").

    ``target`` "light" means lighter overall (더 가볍게): shares move toward the top notes within the
    pyramid bands, and the concentration steps down once the pyramid has no room left; "heavy" the reverse.
    """

    op: Literal["shift"] = "shift"
    target: str
    direction: Literal[1, -1] = 1
    strength: float = Field(default=0.3, gt=0, le=1)


class ChangeConcentration(_Op):
    op: Literal["concentration"] = "concentration"
    concentration: Concentration
    dilution_percent: float | None = Field(default=None, gt=0, le=40)


EditOp = Annotated[SetPercent | AddMaterial | RemoveMaterial | Substitute | Shift | ChangeConcentration,
                   Field(discriminator="op")]


def edit(recipe: Recipe, op: EditOp, catalog: Catalog, bands: PyramidBands | None = None) -> Recipe:
    """Apply ``op`` and return the next version of ``recipe``."""
    doses = {i.material_id: i.percent for i in recipe.ingredients}
    concentration, dilution = recipe.concentration, recipe.dilution_percent
    try:
        if isinstance(op, SetPercent):
            doses = _set(doses, op.material_id, op.percent, catalog)
        elif isinstance(op, AddMaterial):
            percent = op.percent or _default_dose(catalog, op.material_id, dilution)
            doses = _set(doses, op.material_id, percent, catalog)
        elif isinstance(op, RemoveMaterial):
            doses = _remove(doses, op.material_id, catalog)
        elif isinstance(op, Substitute):
            doses = _substitute(doses, op, catalog, dilution)
        elif isinstance(op, Shift):
            if op.target in (_LIGHTER, _HEAVIER):
                lighter = (op.direction == 1) == (op.target == _LIGHTER)
                doses, concentration = _lighten(doses, catalog, lighter, op.strength, concentration,
                                                bands or PyramidBands())
                dilution = DEFAULT_DILUTION[concentration] if concentration != recipe.concentration else dilution
            else:
                doses = _shift(doses, op, catalog, dilution)
        elif isinstance(op, ChangeConcentration):
            concentration = op.concentration
            dilution = op.dilution_percent or DEFAULT_DILUTION[op.concentration]
    except UnknownMaterialError as exc:
        raise EditError(exc.message_ko) from None
    notes = {i.material_id: i.note for i in recipe.ingredients}
    order = list(doses)
    rounded = round_to_total(doses, _pinned(op, doses))
    ingredients = [
        catalog.ingredient(m, rounded[m], notes.get(m)) if m in catalog else
        next(i for i in recipe.ingredients if i.material_id == m).model_copy(update={"percent": rounded[m]})
        for m in order if m in rounded
    ]
    return recipe.model_copy(update={
        "version": recipe.version + 1, "parent_version": recipe.version, "ingredients": ingredients,
        "concentration": concentration, "dilution_percent": dilution,
        "score": None, "violations": [], "nearest_reference": None,
    })


def _pinned(op: EditOp, doses: Mapping[str, float]) -> dict[str, float]:
    """The figure the person typed must survive rounding."""
    if isinstance(op, (SetPercent, AddMaterial)) and op.percent and op.material_id in doses:
        return {op.material_id: op.percent}
    return {}


def _name(catalog: Catalog, material_id: str) -> str:
    return catalog.material(material_id).name_ko if material_id in catalog else material_id


def _set(doses: dict[str, float], material_id: str, percent: float, catalog: Catalog) -> dict[str, float]:
    catalog.material(material_id)
    rest = {m: p for m, p in doses.items() if m != material_id}
    if not sum(rest.values()):
        raise EditError(f"{_name(catalog, material_id)} 외에 다른 재료가 없어 비율을 바꿀 수 없습니다.")
    scaled = normalise(rest, 100.0 - percent)
    if material_id in doses:  # keep its place in the list
        return {m: (percent if m == material_id else scaled[m]) for m in doses if m == material_id or m in scaled}
    return {**scaled, material_id: percent}


def _remove(doses: dict[str, float], material_id: str, catalog: Catalog) -> dict[str, float]:
    if material_id not in doses:
        raise EditError(f"{_name(catalog, material_id)}은(는) 이 레시피에 없습니다.")
    rest = {m: p for m, p in doses.items() if m != material_id}
    if not rest:
        raise EditError("마지막 남은 재료는 뺄 수 없습니다.")
    return normalise(rest)


def _default_dose(catalog: Catalog, material_id: str, dilution: float) -> float:
    low, high = catalog.material(material_id).use_range
    typical = math.sqrt(max(low, high / 20) * high)
    return max(0.01, min(typical, floor_to_step(catalog.cap(material_id, dilution)), 50.0))


def _substitute(doses: dict[str, float], op: Substitute, catalog: Catalog, dilution: float) -> dict[str, float]:
    if op.material_id not in doses:
        raise EditError(f"{_name(catalog, op.material_id)}은(는) 이 레시피에 없습니다.")
    replacement = op.replacement
    if replacement is None:
        original = catalog.material(op.material_id)
        nearest = catalog.nearest_materials(catalog.vector(op.material_id), k=1, exclude=doses, note=original.note,
                                            allowed=lambda m: catalog.cap(m, dilution) > 0)
        if not nearest:
            raise EditError(f"{original.name_ko}을(를) 대신할 재료를 찾지 못했습니다.")
        replacement = nearest[0][0]
    catalog.material(replacement)
    percent = doses[op.material_id]
    if op.replacement is None:
        percent = min(percent, floor_to_step(catalog.cap(replacement, dilution))) or percent
    result = {(replacement if m == op.material_id else m): p for m, p in doses.items() if m != replacement}
    result[replacement] = percent + (doses.get(replacement, 0.0) if replacement != op.material_id else 0.0)
    return normalise(result)


def _affinity(catalog: Catalog, material_id: str, target: str) -> float:
    """How much a material carries a descriptor or a whole odor family, 0..1."""
    vector = catalog.vector(material_id)
    if target in Family.__members__:
        family_weight = sum(w for d, w in vector.items() if catalog.family_of(d) == target)
        own = 0.6 if catalog.material(material_id).family == target else 0.0
        return min(1.0, own + 0.5 * family_weight)
    return vector.get(target, 0.0)


def _shift(doses: dict[str, float], op: Shift, catalog: Catalog, dilution: float) -> dict[str, float]:
    if op.target not in Family.__members__ and op.target not in catalog.descriptor_families:
        raise EditError(f"'{op.target}'은(는) 알 수 없는 향 성격입니다.")
    affinity = {m: _affinity(catalog, m, op.target) if m in catalog else 0.0 for m in doses}
    if op.direction == -1:
        if max(affinity.values(), default=0.0) <= 0:
            raise EditError(f"줄일 만한 '{op.target}' 성격의 재료가 레시피에 없습니다.")
        return normalise({m: p * max(0.05, 1.0 - 1.5 * op.strength * affinity[m]) for m, p in doses.items()})
    shifted = {m: p * (1.0 + 2.0 * op.strength * affinity[m]) for m, p in doses.items()}
    if max(affinity.values(), default=0.0) < 0.3:
        # Nothing in the formula carries it: bring in the material that best does.
        wanted = (rank_weights([d for d, f in catalog.descriptor_families.items() if f == op.target][:6])
                  if op.target in Family.__members__ else {op.target: 1.0})
        nearest = catalog.nearest_materials(wanted, k=1, exclude=doses,
                                            allowed=lambda m: catalog.cap(m, dilution) > 0)
        if not nearest:
            raise EditError(f"'{op.target}' 성격을 더할 재료를 찾지 못했습니다.")
        added = nearest[0][0]
        shifted[added] = _default_dose(catalog, added, dilution) * (0.5 + op.strength)
    return normalise(shifted)


def _lighten(doses: dict[str, float], catalog: Catalog, lighter: bool, strength: float,
             concentration: Concentration, bands: PyramidBands) -> tuple[dict[str, float], Concentration]:
    """Move share from base to top (or back) within the bands; step the concentration when out of room."""
    def position(m: str) -> NotePosition:
        return catalog.material(m).note if m in catalog else NotePosition.heart
    shares = {p: sum(v for m, v in doses.items() if position(m) == p) for p in NotePosition}
    gain, lose = (NotePosition.top, NotePosition.base) if lighter else (NotePosition.base, NotePosition.top)
    wanted = 15.0 * strength
    room_gain = (bands.band(gain)[1] - 0.5 - shares[gain]) if shares[gain] > 0 else 0.0
    room_lose = shares[lose] - (bands.band(lose)[0] + 0.5)
    heart_room = shares[NotePosition.heart] - (bands.band(NotePosition.heart)[0] + 0.5)
    moved = max(0.0, min(wanted, room_gain, max(room_lose, 0.0) + max(heart_room, 0.0)))
    if moved < 0.5:
        index = _CONCENTRATION_ORDER.index(concentration) + (-1 if lighter else 1)
        if not 0 <= index < len(_CONCENTRATION_ORDER):
            raise EditError("이미 가장 " + ("가벼운" if lighter else "진한") + " 구성입니다.")
        return doses, _CONCENTRATION_ORDER[index]
    from_lose = min(moved, max(room_lose, 0.0))
    target = dict(shares)
    target[gain] += moved
    target[lose] -= from_lose
    target[NotePosition.heart] -= moved - from_lose
    return ({m: p * target[position(m)] / shares[position(m)] for m, p in doses.items()}, concentration)
