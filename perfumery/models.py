"""The perfumer's vocabulary: materials, accords, reference perfumes, briefs and recipes.

These pydantic models are both the domain objects and the schema that validates the
curated data in ``knowledge/data/`` on load. Pure data: no I/O here.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_]*$"
MaterialId = Annotated[str, Field(pattern=ID_PATTERN)]


class Family(StrEnum):
    """Odor families; each descriptor in the shared vocabulary belongs to one."""

    citrus = "citrus"
    aromatic = "aromatic"
    green = "green"
    floral = "floral"
    fruity = "fruity"
    spicy = "spicy"
    gourmand = "gourmand"
    woody = "woody"
    amber = "amber"
    resinous = "resinous"
    musk = "musk"
    aldehydic = "aldehydic"
    marine = "marine"
    leather = "leather"
    animalic = "animalic"
    earthy = "earthy"
    mossy = "mossy"
    powdery = "powdery"


class NotePosition(StrEnum):
    top = "top"
    heart = "heart"
    base = "base"


class Origin(StrEnum):
    natural = "natural"
    synthetic = "synthetic"


class Concentration(StrEnum):
    """Product types with their conventional dilution (percent of concentrate in the product)."""

    EDC = "EDC"
    EDT = "EDT"
    EDP = "EDP"
    Parfum = "Parfum"
    Extrait = "Extrait"


POSITION_KO: dict[NotePosition, str] = {NotePosition.top: "탑", NotePosition.heart: "미들", NotePosition.base: "베이스"}
# How people name a position in a message ("베이스를 더 스모키하게", "탑에서는 …").
POSITION_WORDS: dict[NotePosition, tuple[str, ...]] = {
    NotePosition.top: ("탑", "톱", "첫향", "top"),
    NotePosition.heart: ("하트", "미들", "중간향", "heart", "middle"),
    NotePosition.base: ("베이스", "잔향", "base"),
}
FAMILY_KO: dict[Family, str] = {
    Family.citrus: "시트러스", Family.aromatic: "아로마틱", Family.green: "그린", Family.floral: "플로럴",
    Family.fruity: "프루티", Family.spicy: "스파이시", Family.gourmand: "구르망", Family.woody: "우디",
    Family.amber: "앰버", Family.resinous: "레진", Family.musk: "머스크", Family.aldehydic: "알데하이드",
    Family.marine: "마린", Family.leather: "레더", Family.animalic: "애니멀릭", Family.earthy: "어시",
    Family.mossy: "모스", Family.powdery: "파우더리",
}


class Season(StrEnum):
    spring = "spring"
    summer = "summer"
    autumn = "autumn"
    winter = "winter"


class Style(StrEnum):
    feminine = "feminine"
    masculine = "masculine"
    unisex = "unisex"


SEASON_KO: dict[Season, str] = {Season.spring: "봄", Season.summer: "여름", Season.autumn: "가을", Season.winter: "겨울"}
STYLE_KO: dict[Style, str] = {Style.feminine: "여성향", Style.masculine: "남성향", Style.unisex: "남녀공용"}

DEFAULT_DILUTION: dict[Concentration, float] = {
    Concentration.EDC: 5.0,
    Concentration.EDT: 10.0,
    Concentration.EDP: 18.0,
    Concentration.Parfum: 22.0,
    Concentration.Extrait: 28.0,
}

# Water in the solvent (percent of the finished product): colognes and toilet waters are
# traditionally cut with a little water; richer types are pure ethanol.
DEFAULT_WATER: dict[Concentration, float] = {
    Concentration.EDC: 10.0,
    Concentration.EDT: 5.0,
    Concentration.EDP: 0.0,
    Concentration.Parfum: 0.0,
    Concentration.Extrait: 0.0,
}


def cas_is_valid(cas: str) -> bool:
    """True when ``cas`` has the CAS Registry Number shape and its check digit is right.

    The check digit is the sum of every other digit weighted by its position from the right,
    modulo 10 — a typo in any single digit is always caught.
    """
    match = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas)
    if not match:
        return False
    digits = (match.group(1) + match.group(2))[::-1]
    total = sum((i + 1) * int(d) for i, d in enumerate(digits))
    return total % 10 == int(match.group(3))


class Impact(StrEnum):
    """Odor strength as a dose class: how much of the concentrate a material can carry.

    trace: potent, hundredths to tenths of a percent; accent: tenths of a percent to a few; modifier: up to ~12 %;
    workhorse: carries weight (citrus oils, linalool, Hedione, Iso E Super, musks, cedarwood …).
    """

    trace = "trace"
    accent = "accent"
    modifier = "modifier"
    workhorse = "workhorse"


# Highest typical maximum (% of concentrate) each impact class is consistent with, and the class a
# maximum implies when no source gives one. Checked by ``hyanggi kb check``.
IMPACT_MAX: dict[Impact, float] = {Impact.trace: 1.0, Impact.accent: 5.0, Impact.modifier: 15.0,
                                   Impact.workhorse: 100.0}
IMPACT_FROM_MAX: tuple[tuple[float, Impact], ...] = (
    (0.5, Impact.trace), (5.0, Impact.accent), (12.0, Impact.modifier), (100.0, Impact.workhorse))


class Synonyms(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ko: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)
    trade: list[str] = Field(default_factory=list)


class Material(BaseModel):
    """One perfumery raw material, natural or synthetic, as a perfumer would look it up."""

    model_config = ConfigDict(extra="forbid")

    id: MaterialId
    name_ko: str = Field(min_length=1)
    name_en: str = Field(min_length=1)
    synonyms: Synonyms = Field(default_factory=Synonyms)
    cas: str = Field(default="", description="CAS number; empty when none exists or it is not certain.")
    chemical_identity: str = Field(default="", description="For captives/trade names: the chemical behind it.")
    family: Family
    note: NotePosition
    volatility: float = Field(ge=0, le=1, description="1 = flashes off in minutes, 0 = lasts for days.")
    descriptors: list[str] = Field(min_length=1, description="Shared-vocabulary descriptors, strongest first.")
    descriptors_ko: list[str] = Field(default_factory=list)
    use_range: tuple[float, float] = Field(
        description="Typical % of the concentrate (min, max); the max is a hard ceiling for composed formulas.")
    use_typical: float | None = Field(default=None, gt=0, le=100, description="Usual dose, % of concentrate.")
    use_source: str = Field(default="", description="Where the use levels come from; empty = not sourced.")
    impact: Impact | None = Field(default=None, description="Stated odor-strength class; None = from use_range.")
    substantivity_hours: float | None = Field(default=None, gt=0, description="Hours on a strip, where sourced.")
    substantivity_source: str = Field(default="", description="Where the substantivity figure comes from.")
    ifra_standards: list[str] = Field(
        default_factory=list,
        description="IFRA Standards that apply without a CAS match (family Standards, or no CAS).")
    ifra_note: str = Field(default="", description="How the IFRA status was established when CAS cannot tell.")
    prohibited_by: str = Field(default="", description="A law other than IFRA that bans it in cosmetics, cited.")
    allergens: list[str] = Field(
        default_factory=list, description="EU-listed allergens this material is or contains (INCI names)."
    )
    origin: Origin
    cost_tier: int = Field(ge=1, le=5, description="1 = commodity … 5 = very expensive.")
    description_ko: str = Field(min_length=5)

    @field_validator("cas")
    @classmethod
    def _cas_check_digit(cls, value: str) -> str:
        if value and not cas_is_valid(value):
            raise ValueError(f"invalid CAS number {value!r} (shape or check digit)")
        return value

    @field_validator("use_range")
    @classmethod
    def _range_ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        low, high = value
        if not 0 <= low <= high <= 100:
            raise ValueError(f"use_range must satisfy 0 <= min <= max <= 100, got {value}")
        return value

    @model_validator(mode="after")
    def _typical_inside_range(self) -> Material:
        low, high = self.use_range
        if self.use_typical is not None and not low <= self.use_typical <= high:
            raise ValueError(f"use_typical {self.use_typical} lies outside use_range {self.use_range}")
        return self

    @property
    def names(self) -> list[str]:
        """Every name a perfumer may write for it: Korean, English, synonyms and trade names."""
        return list(dict.fromkeys([self.name_ko, self.name_en, *self.synonyms.ko, *self.synonyms.en,
                                   *self.synonyms.trade]))

    @property
    def use_max(self) -> float:
        return self.use_range[1]

    @property
    def typical_dose(self) -> float:
        """The sourced usual dose, else the geometric middle of the range (doses spread on a log scale)."""
        if self.use_typical is not None:
            return self.use_typical
        low, high = self.use_range
        if high <= 0:  # banned or withdrawn: no usual dose; 1 % keeps presence arithmetic neutral
            return 1.0
        return math.sqrt(max(low, high / 20) * high)

    @property
    def impact_class(self) -> Impact:
        if self.impact is not None:
            return self.impact
        return next(impact for bound, impact in IMPACT_FROM_MAX if self.use_max <= bound)

    @property
    def carrier(self) -> bool:
        """Can carry the weight of a note position (modifier or workhorse), not only accent it."""
        return self.impact_class in (Impact.modifier, Impact.workhorse)


class AccordComponent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    material: MaterialId
    parts: float = Field(gt=0, description="Parts per hundred of the accord.")


class Accord(BaseModel):
    """A classic building block (chypre, fougère, …) made of materials in proportion."""

    model_config = ConfigDict(extra="forbid")

    id: MaterialId
    name_ko: str
    name_en: str
    family: Family
    descriptors: list[str] = Field(min_length=1)
    components: list[AccordComponent] = Field(min_length=2)
    description_ko: str = Field(min_length=5)

    @model_validator(mode="after")
    def _parts_sum_to_100(self) -> Accord:
        total = sum(c.parts for c in self.components)
        if abs(total - 100.0) > 0.5:
            raise ValueError(f"accord {self.id}: parts sum to {total}, expected 100")
        return self


class PerfumeNote(BaseModel):
    """A published note as the brand lists it, mapped to a material where one fits."""

    model_config = ConfigDict(extra="forbid")

    text: str
    material: MaterialId | None = None


class ReferencePerfume(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: MaterialId
    brand: str
    name: str
    year: int = Field(ge=1700, le=2030)
    perfumers: list[str] = Field(default_factory=list)
    family: Family
    subfamily: str = ""
    gender: str = Field(pattern=r"^(feminine|masculine|unisex)$")
    top: list[PerfumeNote] = Field(default_factory=list)
    heart: list[PerfumeNote] = Field(default_factory=list)
    base: list[PerfumeNote] = Field(default_factory=list)
    descriptors: list[str] = Field(min_length=1)
    description_ko: str = Field(min_length=5)

    def material_ids(self) -> list[str]:
        return [n.material for n in (*self.top, *self.heart, *self.base) if n.material]


class LexiconEntry(BaseModel):
    """How Koreans talk about scent, mapped to weighted descriptors and brief attributes."""

    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=1)
    variants: list[str] = Field(default_factory=list, description="Inflections and spellings to match.")
    en: list[str] = Field(default_factory=list,
                          description="English words and phrases for it, matched as whole words (\"cozy\", \"sea breeze\").")
    category: str = Field(
        pattern=r"^(mood|season|weather|place|occasion|persona|texture|colour|time|intensity|negation|"
        r"material|style|food|nature)$"
    )
    descriptors: dict[str, float] = Field(default_factory=dict, description="descriptor → weight in (0, 1].")
    avoid: dict[str, float] = Field(default_factory=dict, description="descriptors this phrase rules out.")
    season: str | None = Field(default=None, pattern=r"^(spring|summer|autumn|winter)$")
    occasion: str | None = None
    intensity: float | None = Field(default=None, ge=0, le=1)
    style: str | None = Field(default=None, pattern=r"^(feminine|masculine|unisex)$")

    @model_validator(mode="after")
    def _says_something(self) -> LexiconEntry:
        if not (self.descriptors or self.avoid or self.season or self.occasion or self.intensity is not None
                or self.style):
            raise ValueError(f"lexicon entry {self.term!r} maps to nothing")
        for weight in (*self.descriptors.values(), *self.avoid.values()):
            if not 0 < weight <= 1:
                raise ValueError(f"lexicon entry {self.term!r}: weights must be in (0, 1]")
        return self
