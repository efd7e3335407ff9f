"""The perfumer's vocabulary: materials, accords, reference perfumes, briefs and recipes.

These pydantic models are both the domain objects and the schema that validates the
curated data in ``knowledge/data/`` on load. Pure data: no I/O here.
"""

from __future__ import annotations

import math
import re
import statistics
from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

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


def percent_range(value: tuple[float, float], what: str) -> tuple[float, float]:
    """A (min, max) range of % of the concentrate, checked: 0 <= min <= max <= 100."""
    low, high = value
    if not 0 <= low <= high <= 100:
        raise ValueError(f"{what} must satisfy 0 <= min <= max <= 100, got {value}")
    return value


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


class SourceKind(StrEnum):
    """What kind of public source a figure comes from (``hyanggi kb check`` counts coverage by kind)."""

    supplier = "supplier"  # a supplier's product page or certificate
    database = "database"  # a reference database (The Good Scents Company)
    practitioner = "practitioner"  # a perfumer's notes or course material
    formula_statistics = "formula_statistics"  # doses counted over published formulas
    literature = "literature"  # a book
    regulation = "regulation"  # an IFRA Standard or a law


class UseBasis(StrEnum):
    """How a material's maximum was settled: agreeing sources, disagreeing ones, one source, a ban, or by hand."""

    consensus = "consensus"
    conflict = "conflict"
    single = "single"
    prohibited = "prohibited"
    editorial = "editorial"


USE_AGREEMENT = 1.5  # maxima within this factor of the lowest count as agreeing


def _percent(value: float) -> str:
    return f"{value:g}"


class Citation(BaseModel):
    """One public source's figures for one material, traceable: where, when, and its own words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    kind: SourceKind
    url: HttpUrl | None = None
    accessed: date | None = None
    published: str = Field(default="", description="Year or edition, for a book without an address.")
    quote: str = Field(min_length=1, description="The source's phrase the figures come from.")
    min: float | None = Field(default=None, ge=0, le=100)
    typical: float | None = Field(default=None, gt=0, le=100)
    max: float | None = Field(default=None, gt=0, le=100)
    via: str = Field(default="", description="Research lot that collected it (smortenax/perfumeria-app).")
    note: str = ""

    @model_validator(mode="after")
    def _traceable(self) -> Citation:
        if self.url is None and not self.published:
            raise ValueError("a citation needs an address (url and date accessed) or a publication")
        if self.url is not None and self.accessed is None:
            raise ValueError("a web citation needs the date it was accessed")
        figures = [v for v in (self.min, self.typical, self.max) if v is not None]
        if not figures:
            raise ValueError("a citation must give at least one figure (min, typical or max)")
        if figures != sorted(figures):
            raise ValueError(f"figures must satisfy min <= typical <= max, got {figures}")
        return self


class DerivedUse(BaseModel):
    """What the loader puts on a Material from its use-level record."""

    use_range: tuple[float, float]
    use_typical: float | None
    use_basis: UseBasis
    use_source: str


class UseLevels(BaseModel):
    """One material's use levels as public sources state them (% of the fragrance concentrate).

    The one truth for ``Material.use_range``/``use_typical``/``use_source``: the loader derives them with
    ``derive``. The maximum is the lowest sourced maximum (a composed formula must stay under every source's
    ceiling); ``editorial`` is the hand estimate, used only where no source gives the figure.
    """

    model_config = ConfigDict(extra="forbid")

    material: MaterialId
    editorial: tuple[float, float]
    prohibited: bool = Field(default=False, description="Banned (IFRA or law): no use level at all.")
    citations: list[Citation] = Field(default_factory=list)

    @field_validator("editorial")
    @classmethod
    def _ordered(cls, value: tuple[float, float]) -> tuple[float, float]:
        return percent_range(value, "editorial range")

    @model_validator(mode="after")
    def _ban_is_final(self) -> UseLevels:
        if self.prohibited and (self.editorial != (0, 0) or self.citations):
            raise ValueError("a prohibited material has range [0, 0] and no use-level citations")
        return self

    def derive(self) -> DerivedUse:
        if self.prohibited:
            return DerivedUse(use_range=(0.0, 0.0), use_typical=None, use_basis=UseBasis.prohibited,
                              use_source="사용 금지 물질 (IFRA 또는 법규)")
        maxima = sorted((c.max, c.source) for c in self.citations if c.max is not None)
        low_e, high_e = self.editorial
        if not maxima:
            typical = self._typical(low_e, high_e)
            return DerivedUse(use_range=(low_e, high_e), use_typical=typical, use_basis=UseBasis.editorial,
                              use_source="")
        (high, low_source), (top, top_source) = maxima[0], maxima[-1]
        minima = [c.min for c in self.citations if c.min is not None and c.min <= high]
        if minima:
            low = statistics.median(minima)
        else:  # no sourced minimum: the hand estimate, scaled down when it does not fit under the sourced maximum
            low = low_e if low_e <= high or high_e == 0 else round(high * low_e / high_e, 4)
        sources = list(dict.fromkeys(source for _, source in maxima))
        if top > high * USE_AGREEMENT:  # disagreeing sources: name both, keep the lower maximum
            basis = UseBasis.conflict
            text = f"{low_source} {_percent(high)}% · {top_source} {_percent(top)}% 중 낮은 값"
        elif len(sources) > 1:
            basis, text = UseBasis.consensus, f"{'·'.join(sources)} 합의"
        else:
            basis, text = UseBasis.single, low_source
        return DerivedUse(use_range=(low, high), use_typical=self._typical(low, high), use_basis=basis,
                          use_source=text)

    def _typical(self, low: float, high: float) -> float | None:
        typicals = [c.typical for c in self.citations if c.typical is not None and low <= c.typical <= high]
        return statistics.median(typicals) if typicals else None


class ConstituentLevel(BaseModel):
    """One declared constituent of a natural: its share of the natural, in the certificate's words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    cas: str
    percent: float = Field(gt=0, le=100)
    quote: str = Field(min_length=1)

    @field_validator("cas")
    @classmethod
    def _cas_check_digit(cls, value: str) -> str:
        if not cas_is_valid(value):
            raise ValueError(f"invalid CAS number {value!r} (shape or check digit)")
        return value


class Certificate(BaseModel):
    """A supplier's declaration for one lot of a natural (certificate of conformity, allergen statement)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=1)
    kind: SourceKind = SourceKind.supplier
    product: str = Field(min_length=1, description="The product the certificate is for, as the supplier names it.")
    url: HttpUrl
    accessed: date
    via: str = ""
    note: str = ""
    levels: list[ConstituentLevel] = Field(min_length=1)

    @model_validator(mode="after")
    def _whole(self) -> Certificate:
        total = sum(level.percent for level in self.levels)
        if total > 100:
            raise ValueError(f"declared constituents add up to {total:g} % (> 100 %)")
        return self


class Unquantified(BaseModel):
    """An EU-listed allergen a natural is known to contain, with no public figure: declared as 확인 필요."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allergen: str = Field(min_length=1, description="Label of the Annex III entry.")
    note: str = Field(min_length=1, description="Why we believe it is there.")


class OtherPart(BaseModel):
    """An Annex III entry that shares the natural's CAS but names another part of the plant."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entry: int = Field(gt=0, description="Annex III reference number.")
    note: str = Field(min_length=1, description="Why the entry does not name this natural.")


class NaturalComposition(BaseModel):
    """Cited constituents of one natural; the IFRA Annex levels are read from ``ifra/naturals.csv``."""

    model_config = ConfigDict(extra="forbid")

    material: MaterialId
    certificates: list[Certificate] = Field(default_factory=list)
    unquantified: list[Unquantified] = Field(default_factory=list)
    not_entries: list[OtherPart] = Field(
        default_factory=list, description="Entries whose CAS it shares without being that oil (leaf vs bark).")


class AllergenShare(BaseModel):
    """How much of one EU-listed allergen a material carries (fraction of the material; None = 확인 필요)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    allergen: str = Field(min_length=1, description="Label of the Annex III entry.")
    fraction: float | None = Field(default=None, gt=0, le=1)
    source: str = Field(default="", description="Where the fraction comes from, in words.")


class ListPrice(BaseModel):
    """A cited public price of one kilo of a material in won; derived on load from ``knowledge/data/prices/``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    won_per_kg: float = Field(gt=0)
    source_ko: str = Field(min_length=1, description="who priced it, when, and the exchange rate used, in words")


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
    use_basis: UseBasis = Field(default=UseBasis.editorial, description="How the maximum was settled.")
    impact: Impact | None = Field(default=None, description="Stated odor-strength class; None = from use_range.")
    substantivity_hours: float | None = Field(default=None, gt=0, description="Hours on a strip, where sourced.")
    substantivity_source: str = Field(default="", description="Where the substantivity figure comes from.")
    ifra_standards: list[str] = Field(
        default_factory=list,
        description="IFRA Standards that apply without a CAS match (family Standards, or no CAS).")
    ifra_note: str = Field(default="", description="How the IFRA status was established when CAS cannot tell.")
    prohibited_by: str = Field(default="", description="A law other than IFRA that bans it in cosmetics, cited.")
    allergens: list[str] = Field(
        default_factory=list, description="EU-listed allergens this material is or contains (Annex III labels)."
    )
    allergen_content: list[AllergenShare] = Field(
        default_factory=list, description="How much of each listed allergen it carries; derived on load.")
    origin: Origin
    cost_tier: int = Field(ge=1, le=5, description="1 = commodity … 5 = very expensive.")
    price: ListPrice | None = Field(default=None, description="A cited public price per kilo; derived on load.")
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
        return percent_range(value, "use_range")

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
