"""A formula: materials and their share of the fragrance concentrate, versioned."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from perfumery.ifra import PRODUCTS, IfraCategory, Product
from perfumery.models import DEFAULT_DILUTION, Concentration, NotePosition


class Solvent(StrEnum):
    """Solvents a perfumer dilutes a material in before weighing it: carriers, not part of the odour."""

    dpg = "DPG"
    ethanol = "ethanol"
    ipm = "IPM"
    tec = "TEC"


class Dilution(BaseModel):
    """How a line is weighed: as a ``strength`` % solution of the material in ``solvent``.

    The line's ``percent`` stays the neat material's share, so the critic and IFRA judge what is really
    there; the batch sheet weighs ``percent / strength × 100`` of the solution.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    solvent: Solvent | None = Field(default=None, description="None when the formula does not say")
    strength: float = Field(gt=0, lt=100, description="% of the material in the solution")


class Ingredient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    material_id: str
    name_ko: str = ""
    name_en: str = ""
    cas: str = ""
    note: NotePosition
    percent: float = Field(ge=0, le=100, description="share of the concentrate")
    pinned: bool = Field(default=False, description="set by the person: later edits and repair leave it as is")
    dilution: Dilution | None = Field(default=None, description="weighed as a solution; percent is still neat")


class ScoreCard(BaseModel):
    total: float = 0.0
    components: dict[str, float] = Field(default_factory=dict)


class ViolationCode(StrEnum):
    """Every rule the critic checks, named once."""

    empty_formula = "empty_formula"
    unknown_material = "unknown_material"
    duplicate_material = "duplicate_material"
    sum_not_100 = "sum_not_100"
    material_count = "material_count"
    pyramid_band = "pyramid_band"
    dose_over_max = "dose_over_max"
    ifra_cap = "ifra_cap"
    ifra_prohibited = "ifra_prohibited"
    ifra_unknown = "ifra_unknown"
    law_prohibited = "law_prohibited"
    allergen_label = "allergen_label"
    family_clash = "family_clash"
    near_reference = "near_reference"
    avoided_material = "avoided_material"
    avoided_descriptor = "avoided_descriptor"
    headline_missing = "headline_missing"
    must_include_missing = "must_include_missing"


class Severity(StrEnum):
    error = "error"  # a hard rule: the formula may not be offered as it is
    warning = "warning"
    info = "info"


class Fix(BaseModel):
    """The critic's advice as an action the design loop can apply: set a line to ``percent`` (0 removes it)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    material_id: str
    percent: float = Field(ge=0, le=100)


class Violation(BaseModel):
    """A rule the formula breaks, explained in Korean with a concrete fix."""

    code: ViolationCode
    severity: Severity
    material_id: str | None = None
    message_ko: str
    fix_ko: str = ""
    fixes: list[Fix] = Field(default_factory=list, description="fix_ko as actions, where it can be applied as is")


class NearestReference(BaseModel):
    id: str
    name: str
    similarity: float


class Recipe(BaseModel):
    """A versioned formula. Edits never mutate a recipe: they return a new version."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    version: int = 1
    parent_version: int | None = None
    name: str = ""
    concept_ko: str = ""
    concentration: Concentration = Concentration.EDP
    dilution_percent: float = Field(default=DEFAULT_DILUTION[Concentration.EDP], gt=0, le=40,
                                    description="fragrance load: % of the concentrate in the finished product")
    product: Product = Product.fine_fragrance
    ingredients: list[Ingredient] = Field(default_factory=list)
    score: ScoreCard | None = None
    violations: list[Violation] = Field(default_factory=list)
    nearest_reference: NearestReference | None = None

    @model_validator(mode="before")
    @classmethod
    def _drop_derived(cls, data: object) -> object:
        """Accept the contract JSON back: ``pyramid`` is derived from the ingredients, never trusted."""
        if isinstance(data, dict) and "pyramid" in data:
            data = {k: v for k, v in data.items() if k != "pyramid"}
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def pyramid(self) -> dict[str, float]:
        shares = {p.value: 0.0 for p in NotePosition}
        for ing in self.ingredients:
            shares[ing.note.value] += ing.percent
        return {k: round(v, 2) for k, v in shares.items()}

    @property
    def category(self) -> IfraCategory:
        return PRODUCTS[self.product].category

    @property
    def pinned(self) -> set[str]:
        return {i.material_id for i in self.ingredients if i.pinned}

    @property
    def total_percent(self) -> float:
        return sum(i.percent for i in self.ingredients)

    def percent_of(self, material_id: str) -> float:
        return sum(i.percent for i in self.ingredients if i.material_id == material_id)

    def to_contract(self) -> dict:
        """The Recipe JSON of the public contract (docs/ARCHITECTURE.md §4)."""
        data = self.model_dump(mode="json", exclude={"parent_version"})
        data["score"] = data["score"] or {"total": 0.0, "components": {}}
        return data
