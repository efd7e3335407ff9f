"""From the lines a perfumer weighs to the neat formula the critic and IFRA judge.

A line weighed as a 10 % solution holds a tenth of its weight of material; an accord line holds its
components in proportion; a solvent line holds no odour. The neat formula is the materials' share of the
aroma part (unknown materials included, so the total is honest), and each line remembers its dilution so
the batch sheet weighs what is poured. Volumes need densities the catalog does not hold: a formula written
wholly in one volume unit is read by volume with that assumption stated; mixed with weights it is refused.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from perfumery.amounts import normalise, round_to_total
from perfumery.catalog import Catalog
from perfumery.formula import FormulaError, FormulaLine
from perfumery.ifra import Product, fragrance_load
from perfumery.models import Concentration, NotePosition
from perfumery.recipe import Dilution, Ingredient, Recipe, Solvent
from perfumery.vocabulary import GRAMS, UNIT_KO, Unit

UNKNOWN_NOTE = NotePosition.heart  # an unknown material's position is not known: shown as an assumption
MAX_ID = 80


class LineKind(StrEnum):
    material = "material"
    accord = "accord"
    solvent = "solvent"
    unknown = "unknown"


class ResolvedLine(BaseModel):
    """A written line and what it was read as, with how sure the reading is."""

    model_config = ConfigDict(extra="forbid")

    line: FormulaLine
    kind: LineKind
    target: str | None = Field(default=None, description="material id, accord id or solvent value")
    confidence: float = Field(ge=0, le=1)
    confirm: bool = Field(default=False, description="shown back: the reading is a guess")
    suggestion: str | None = Field(default=None, description="a material the unknown line may be")


def unknown_id(text: str) -> str:
    """The id an unknown line keeps in the formula: its own text, so the critic and the user see it."""
    return re.sub(r"\s+", " ", text).strip()[:MAX_ID] or "unknown"


def _quantities(lines: list[ResolvedLine]) -> tuple[dict[int, float], list[str]]:
    """Each line's amount in one comparable unit, and the assumptions that took."""
    explicit = {r.line.unit for r in lines if r.line.unit is not None}
    default = next(iter(explicit)) if len(explicit) == 1 else Unit.parts
    units = {r.line.line_no: r.line.unit or default for r in lines}
    used = set(units.values())
    notes = []
    if used <= {*GRAMS, Unit.parts} and not (used & set(GRAMS) and Unit.parts in used):
        factor = {**GRAMS, Unit.parts: 1.0}
    elif len(used) == 1 and used <= {Unit.percent, Unit.ml, Unit.drops}:
        factor = {next(iter(used)): 1.0}  # not pop(): the percent-total check below reads `used`
        if factor.keys() & {Unit.ml, Unit.drops}:
            notes.append(f"밀도 자료가 없어 {UNIT_KO[next(iter(factor))]} 부피 비율을 무게 비율로 보았습니다 (가정). "
                         "무게(g)로 적으면 정확해집니다.")
    else:
        written = ", ".join(UNIT_KO[u] for u in sorted(used))
        raise FormulaError(f"단위가 섞여 있어 비율을 정할 수 없어요 ({written}). 모든 줄을 g 또는 %로 적어 주세요"
                           + (" — mL·방울은 재료별 밀도 자료가 없어 무게로 바꿀 수 없어요." if used & {Unit.ml, Unit.drops}
                              else "."))
    if used == {Unit.percent} and abs(sum(r.line.amount for r in lines) - 100.0) > 0.5:
        notes.append(f"비율 합계가 {sum(r.line.amount for r in lines):g}%여서 100%로 비례 환산했습니다.")
    return {r.line.line_no: r.line.amount * factor[units[r.line.line_no]] for r in lines}, notes


def build_recipe(lines: list[ResolvedLine], catalog: Catalog, *, name: str = "",
                 concentration: Concentration = Concentration.EDP, product: Product = Product.fine_fragrance,
                 load_percent: float | None = None) -> tuple[Recipe, list[str]]:
    """The neat formula (version 1) and Korean notes on every assumption and expansion made."""
    if not lines:
        raise FormulaError("가져올 재료 줄이 없어요.")
    quantity, notes = _quantities(lines)
    doses: dict[str, float] = {}
    dilutions: dict[str, Dilution] = {}
    unknown: dict[str, str] = {}
    solvent_amount: dict[str, float] = {}
    for resolved in lines:
        line = resolved.line
        amount = quantity[line.line_no]
        neat = amount * (line.dilution.strength / 100.0 if line.dilution and not line.neat else 1.0)
        if resolved.kind == LineKind.solvent:
            solvent_amount[str(resolved.target)] = solvent_amount.get(str(resolved.target), 0.0) + amount
        elif resolved.kind == LineKind.accord and resolved.target is not None:
            accord = catalog.accords[resolved.target]
            for component in accord.components:
                doses[component.material] = doses.get(component.material, 0.0) + neat * component.parts / 100.0
            notes.append(f"{accord.name_ko}를 구성 재료 {len(accord.components)}가지로 펼쳐 계산했습니다.")
        else:
            key = resolved.target if resolved.kind == LineKind.material and resolved.target else unknown_id(line.text)
            if resolved.kind == LineKind.unknown:
                unknown[key] = line.text
            if key in doses and dilutions.get(key) != line.dilution:
                notes.append(f"'{line.text}'이(가) 희석이 다른 두 줄로 적혀 있어 한 줄로 합쳤습니다 (먼저 적힌 희석을 따름).")
            elif key in doses:
                notes.append(f"'{line.text}'이(가) 두 줄로 적혀 있어 합쳤습니다.")
            doses[key] = doses.get(key, 0.0) + neat
            if line.dilution and key not in dilutions:
                dilutions[key] = line.dilution
    for solvent, amount in solvent_amount.items():
        notes.append(f"용매 줄({Solvent(solvent).value} {amount:g})은 향이 없어 향료 비율에서 빼고, 부향률은 향료 원액 기준입니다.")
    if unknown:
        notes.append(f"목록에 없는 재료 {len(unknown)}가지({', '.join(unknown.values())})는 합계에 넣되 평가와 IFRA 계산에서는 "
                     "제외했습니다. 노트 위치를 몰라 하트로 두었습니다.")
    shares = normalise(doses)
    if not shares:
        raise FormulaError("양이 0보다 큰 재료 줄이 없어요.")
    rounded = round_to_total(shares)
    ingredients = []
    for key, percent in rounded.items():
        base = (catalog.ingredient(key, percent) if key in catalog else
                Ingredient(material_id=key, name_ko=unknown.get(key, key), name_en=unknown.get(key, key),
                           note=UNKNOWN_NOTE, percent=percent))
        ingredients.append(base.model_copy(update={"dilution": dilutions.get(key)}))
    load = load_percent or fragrance_load(product, concentration)
    recipe = Recipe(name=name or "가져온 레시피", concentration=concentration, dilution_percent=load, product=product,
                    ingredients=ingredients)
    return recipe, notes
