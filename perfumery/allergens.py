"""EU fragrance-allergen labelling: what a formula puts into the finished product, and what must be named.

One place for the arithmetic the critic's labelling note and the allergen declaration both use: each line
carries ``dose × its content of the allergen × load`` into the product, summed per Annex III entry. The
content is the material's ``allergen_content`` (derived on load from the IFRA Annex and cited certificates);
where a material is known to contain an allergen but no source gives how much, the line is 확인 필요 —
never counted at 100 % of the material, never silently 0. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from perfumery.models import Material, cas_is_valid

LEAVE_ON_PERCENT = 0.001  # Annex III: named on the label above 0.001 % of a leave-on product
RINSE_OFF_PERCENT = 0.01  # … and above 0.01 % of a rinse-off product
REGULATION_KO = ("EU 화장품 규정 (EC) No 1223/2009 부속서 III, 위원회 규정 (EU) 2023/1545로 개정 "
                 "(Commission Regulation (EU) 2023/1545, OJ L 188, 27.7.2023)")
NEW_PRODUCTS_FROM = date(2026, 7, 31)  # products placed on the market from this day follow the new list
EXISTING_PRODUCTS_UNTIL = date(2028, 7, 31)  # products already on the market may be sold until this day
TRANSITION_KO = (f"{NEW_PRODUCTS_FROM:%Y-%m-%d}부터 새로 출시하는 제품에 적용, 그 전에 출시된 제품은 "
                 f"{EXISTING_PRODUCTS_UNTIL:%Y-%m-%d}까지 판매 가능")


class AnnexChange(StrEnum):
    """What Regulation (EU) 2023/1545 did to an Annex III entry."""

    added = "added"  # a new entry (327–371)
    substituted = "substituted"  # an entry it rewrote
    unchanged = "unchanged"  # an earlier entry it left as it was


class AnnexEntry(BaseModel):
    """One Annex III entry that must be named on the label, with the CAS numbers the regulation gives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry: int = Field(gt=0, description="Annex III reference number.")
    label: str = Field(min_length=1, description="The name the label uses.")
    change: AnnexChange
    cas: list[str] = Field(default_factory=list)
    names: list[str] = Field(default_factory=list, description="Other names the regulation gives.")
    note: str = ""

    @field_validator("cas")
    @classmethod
    def _cas_check_digits(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not cas_is_valid(c)]
        if bad:
            raise ValueError(f"invalid CAS {bad}")
        return value


def threshold_percent(rinse_off: bool) -> float:
    return RINSE_OFF_PERCENT if rinse_off else LEAVE_ON_PERCENT


class AllergenLine(BaseModel):
    """One allergen across a formula: its level in the finished product and where it comes from."""

    allergen: str
    level_percent: float = Field(description="% of the finished product, from the lines whose content is known")
    sources: list[tuple[str, float]] = Field(default_factory=list, description="(material, % of product), largest first")
    unquantified: list[str] = Field(default_factory=list, description="materials that contain it in an unknown amount")

    def declare(self, threshold: float) -> bool:
        return self.level_percent > threshold


def allergen_lines(materials: Mapping[str, Material], doses: Mapping[str, float], load: float) -> list[AllergenLine]:
    """Every allergen the formula's lines carry into a product at ``load`` % of concentrate, by label.

    ``doses`` are % of the concentrate. A line adds ``dose × fraction × load / 100``; a listed allergen
    without a fraction marks the line as 확인 필요 for that allergen instead.
    """
    levels: dict[str, dict[str, float]] = {}
    unknown: dict[str, list[str]] = {}
    for material_id, percent in doses.items():
        material = materials[material_id]
        shares = {share.allergen: share for share in material.allergen_content}
        for label in dict.fromkeys([*shares, *material.allergens]):
            share = shares.get(label)
            if share is None or share.fraction is None:
                unknown.setdefault(label, []).append(material_id)
                continue
            by_line = levels.setdefault(label, {})
            by_line[material_id] = by_line.get(material_id, 0.0) + percent * share.fraction * load / 100.0
    lines = []
    for label in sorted({*levels, *unknown}):
        found = sorted(levels.get(label, {}).items(), key=lambda item: -item[1])
        lines.append(AllergenLine(allergen=label, level_percent=sum(p for _, p in found), sources=found,
                                  unquantified=unknown.get(label, [])))
    return lines
