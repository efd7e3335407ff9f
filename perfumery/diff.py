"""What changed between two versions of a formula, in figures and in one Korean sentence: its lines, its
product and load, and — for a fine fragrance only — its concentration."""

from __future__ import annotations

from pydantic import BaseModel, Field

from perfumery.ifra import PRODUCTS, Product
from perfumery.models import Concentration
from perfumery.recipe import Recipe

CHANGE_EPSILON = 0.005


class IngredientChange(BaseModel):
    material_id: str
    name_ko: str = ""
    before: float = Field(description="% of concentrate in the older version (0 if absent)")
    after: float = Field(description="% of concentrate in the newer version (0 if absent)")

    @property
    def delta(self) -> float:
        return round(self.after - self.before, 4)


class RecipeDiff(BaseModel):
    from_version: int
    to_version: int
    added: list[IngredientChange] = Field(default_factory=list)
    removed: list[IngredientChange] = Field(default_factory=list)
    changed: list[IngredientChange] = Field(default_factory=list)
    concentration: tuple[Concentration, Concentration] | None = None
    dilution: tuple[float, float] | None = None
    product: tuple[Product, Product] | None = None
    pyramid_before: dict[str, float]
    pyramid_after: dict[str, float]

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.concentration or self.dilution
                    or self.product)

    def summary_ko(self) -> str:
        if self.is_empty:
            return f"v{self.from_version}와 v{self.to_version}는 같습니다."
        parts = [f"추가: {', '.join(f'{c.name_ko or c.material_id} {c.after:g}%' for c in self.added)}"] if self.added else []
        if self.removed:
            parts.append(f"제거: {', '.join(c.name_ko or c.material_id for c in self.removed)}")
        if self.changed:
            parts.append("변경: " + ", ".join(f"{c.name_ko or c.material_id} {c.before:g}% → {c.after:g}%"
                                              for c in self.changed))
        if self.product:
            parts.append(f"제품: {PRODUCTS[self.product[0]].label_ko} → {PRODUCTS[self.product[1]].label_ko}")
        fine = self.product is None or self.product[1] == Product.fine_fragrance
        if self.concentration and fine:  # a concentration names a fine fragrance only
            parts.append(f"농도: {self.concentration[0].value} → {self.concentration[1].value}")
        if self.dilution:
            parts.append(f"향료 {self.dilution[0]:g}% → {self.dilution[1]:g}%")
        return f"v{self.from_version} → v{self.to_version} · " + " · ".join(parts)


def diff(a: Recipe, b: Recipe) -> RecipeDiff:
    """Changes from ``a`` (older) to ``b`` (newer), largest moves first."""
    before = {i.material_id: i for i in a.ingredients}
    after = {i.material_id: i for i in b.ingredients}
    result = RecipeDiff(from_version=a.version, to_version=b.version, pyramid_before=a.pyramid,
                        pyramid_after=b.pyramid)
    for material_id in [*before, *(m for m in after if m not in before)]:
        old = a.percent_of(material_id) if material_id in before else 0.0
        new = b.percent_of(material_id) if material_id in after else 0.0
        name = (after.get(material_id) or before[material_id]).name_ko
        change = IngredientChange(material_id=material_id, name_ko=name, before=old, after=new)
        if material_id not in before:
            result.added.append(change)
        elif material_id not in after:
            result.removed.append(change)
        elif abs(new - old) > CHANGE_EPSILON:
            result.changed.append(change)
    result.changed.sort(key=lambda c: (-abs(c.delta), c.material_id))
    if a.concentration != b.concentration:
        result.concentration = (a.concentration, b.concentration)
    if a.product != b.product:
        result.product = (a.product, b.product)
    if abs(a.dilution_percent - b.dilution_percent) > 1e-9:
        result.dilution = (a.dilution_percent, b.dilution_percent)
    return result
