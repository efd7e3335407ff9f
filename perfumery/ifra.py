"""IFRA Standards as law: product categories, limits per category, and the compliance sum of a formula.

A Standard limits a substance in the finished product, per product category. A formula's level of a
substance is the sum over its lines of (share of the concentrate × fragrance load in the product ×
fraction of the substance in that line): 1 for the substance itself, the Annex's level for a natural
that contains it. Where a figure is missing the answer is "확인 필요" (needs checking), never compliant.
Pure data and arithmetic; the tables are loaded by ``knowledge.kb``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from perfumery.models import DEFAULT_DILUTION, Concentration


class IfraCategory(StrEnum):
    """The 18 product categories of the IFRA Standards (49th amendment onward)."""

    c1 = "1"
    c2 = "2"
    c3 = "3"
    c4 = "4"
    c5a = "5A"
    c5b = "5B"
    c5c = "5C"
    c5d = "5D"
    c6 = "6"
    c7a = "7A"
    c7b = "7B"
    c8 = "8"
    c9 = "9"
    c10a = "10A"
    c10b = "10B"
    c11a = "11A"
    c11b = "11B"
    c12 = "12"


class Product(StrEnum):
    """What the fragrance goes into: decides the IFRA category and the usual fragrance load."""

    fine_fragrance = "fine_fragrance"
    body_lotion = "body_lotion"
    face_cream = "face_cream"
    hand_cream = "hand_cream"
    baby_lotion = "baby_lotion"
    deodorant = "deodorant"
    lip_balm = "lip_balm"
    hair_spray = "hair_spray"
    rinse_off = "rinse_off"
    candle = "candle"


class ProductInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    label_ko: str
    category: IfraCategory
    load_percent: float = Field(gt=0, le=40, description="usual fragrance load in the product (% of product)")
    words: tuple[str, ...] = Field(default=(), description="how people name it, spacing removed, lower case")
    rinse_off: bool = Field(default=False, description="washed off after use (EU allergen threshold 0.01 %)")


# Category assignments follow the IFRA Standards' category definitions; loads are common starting
# points a formulator adjusts (shown to the user as adjustable, never as a rule).
PRODUCTS: Mapping[Product, ProductInfo] = {
    Product.fine_fragrance: ProductInfo(label_ko="향수(파인 프래그런스)", category=IfraCategory.c4, load_percent=18.0,
                                        words=("향수용", "향수로", "파인프래그런스", "finefragrance")),
    Product.body_lotion: ProductInfo(label_ko="바디로션", category=IfraCategory.c5a, load_percent=0.5,
                                     words=("바디로션", "보디로션", "바디크림", "바디오일", "로션", "bodylotion")),
    Product.face_cream: ProductInfo(label_ko="페이스 크림", category=IfraCategory.c5b, load_percent=0.3,
                                    words=("페이스크림", "얼굴크림", "수분크림", "facecream")),
    Product.hand_cream: ProductInfo(label_ko="핸드크림", category=IfraCategory.c5c, load_percent=0.5,
                                    words=("핸드크림", "handcream")),
    Product.baby_lotion: ProductInfo(label_ko="베이비 로션", category=IfraCategory.c5d, load_percent=0.2,
                                     words=("베이비로션", "유아로션", "아기로션", "babylotion")),
    Product.deodorant: ProductInfo(label_ko="데오드란트", category=IfraCategory.c2, load_percent=1.0,
                                   words=("데오드란트", "데오도란트", "deodorant")),
    Product.lip_balm: ProductInfo(label_ko="립밤", category=IfraCategory.c1, load_percent=0.5,
                                  words=("립밤", "립글로스", "lipbalm")),
    Product.hair_spray: ProductInfo(label_ko="헤어 미스트·스프레이", category=IfraCategory.c7b, load_percent=1.0,
                                    words=("헤어미스트", "헤어스프레이", "hairmist", "hairspray")),
    Product.rinse_off: ProductInfo(label_ko="샴푸·바디워시·비누", category=IfraCategory.c9, load_percent=1.0, rinse_off=True,
                                   words=("샴푸", "바디워시", "샤워젤", "비누", "핸드워시", "shampoo", "bodywash",
                                          "showergel", "soap")),
    Product.candle: ProductInfo(label_ko="캔들·디퓨저", category=IfraCategory.c12, load_percent=8.0,
                                words=("캔들", "양초", "디퓨저", "방향제", "candle", "diffuser")),
}


def product_named(packed: str) -> Product | None:
    """The product a compacted, lower-cased message names ("바디로션용으로" → body lotion), longest word first."""
    words = sorted(((w, p) for p, info in PRODUCTS.items() for w in info.words), key=lambda item: -len(item[0]))
    return next((product for word, product in words if word in packed), None)


def fragrance_load(product: Product, concentration: Concentration) -> float:
    """% of the concentrate in the finished product: the concentration's for fine fragrance."""
    if product == Product.fine_fragrance:
        return DEFAULT_DILUTION[concentration]
    return PRODUCTS[product].load_percent


class LimitKind(StrEnum):
    value = "value"  # a maximum, % of the finished product
    unrestricted = "unrestricted"
    prohibited = "prohibited"
    see_note = "see_note"  # prohibited as such; the note caps what comes from naturals
    missing = "missing"  # the Standard gives no figure here


class Limit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: LimitKind
    percent: float | None = Field(default=None, ge=0)


class StandardType(StrEnum):
    prohibition = "prohibition"
    restriction = "restriction"
    specification = "specification"


class IfraStandard(BaseModel):
    """One IFRA Standard: its limit in every product category, and where the figures come from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^IFRA_STD_\d{3}$")
    name: str
    types: frozenset[StandardType]
    limits: dict[IfraCategory, Limit]
    expressed_as: str = ""
    note_limit: float | None = None
    amendment: str
    source: str

    def limit(self, category: IfraCategory, *, from_natural: bool = False) -> Limit:
        """The limit that applies in ``category``; a "see note" cell caps natural contributions only."""
        limit = self.limits.get(category, Limit(kind=LimitKind.missing))
        if limit.kind == LimitKind.see_note:
            if not from_natural:
                return Limit(kind=LimitKind.prohibited)
            if self.note_limit is None:
                return Limit(kind=LimitKind.missing)
            return Limit(kind=LimitKind.value, percent=self.note_limit)
        if limit.kind == LimitKind.missing and self.types == frozenset({StandardType.prohibition}):
            return Limit(kind=LimitKind.prohibited)
        return limit

    @property
    def specification_only(self) -> bool:
        return self.types == frozenset({StandardType.specification})

    @property
    def label(self) -> str:
        return f"{self.name} ({self.id.replace('IFRA_STD_', 'IFRA Standard ')}, {self.amendment}차 개정)"


class Contribution(BaseModel):
    """A line's share of a Standard's substance: 1 for the substance itself, the Annex level for a natural,
    ``None`` when the Standard applies but no source gives the amount (a family Standard, say)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    standard: str
    fraction: float | None = Field(default=1.0, gt=0, le=1)
    from_natural: bool = False


class IfraStatus(StrEnum):
    none = "none"  # not under any Standard (checked by CAS)
    restricted = "restricted"
    prohibited = "prohibited"
    unknown = "unknown"  # a figure is missing or the material cannot be matched: 확인 필요


IFRA_STATUS_KO = {IfraStatus.none: "51차 개정 IFRA 표준 대상 아님 (CAS 기준)", IfraStatus.restricted: "제한",
                  IfraStatus.prohibited: "금지", IfraStatus.unknown: "확인 필요"}


class StandardCheck(BaseModel):
    """One Standard summed over a formula, in the finished product."""

    standard: str
    name: str
    level_percent: float
    limit: Limit
    contributors: list[str]
    status: str = Field(pattern=r"^(ok|over|prohibited|unknown|specification)$")


def product_level(percent_of_concentrate: float, load_percent: float, fraction: float = 1.0) -> float:
    """% of the finished product contributed by one line."""
    return percent_of_concentrate * load_percent / 100.0 * fraction


def check_standards(doses: Mapping[str, float], contributions: Mapping[str, Iterable[Contribution]],
                    standards: Mapping[str, IfraStandard], category: IfraCategory,
                    load_percent: float) -> list[StandardCheck]:
    """Every Standard a formula touches, summed over its lines, as an IFRA certificate adds them up."""
    levels: dict[str, float] = {}
    contributors: dict[str, list[str]] = {}
    natural_only: dict[str, bool] = {}
    unmeasured: set[str] = set()
    for material_id, percent in doses.items():
        for contribution in contributions.get(material_id, ()):
            if contribution.standard not in standards:
                continue
            key = contribution.standard
            if contribution.fraction is None:
                unmeasured.add(key)
            else:
                levels[key] = levels.get(key, 0.0) + product_level(percent, load_percent, contribution.fraction)
            levels.setdefault(key, 0.0)
            contributors.setdefault(key, []).append(material_id)
            natural_only[key] = natural_only.get(key, True) and contribution.from_natural
    checks = []
    for key in sorted(levels):
        standard = standards[key]
        limit = standard.limit(category, from_natural=natural_only[key])
        level = levels[key]
        if standard.specification_only:
            status = "specification"
        elif limit.kind == LimitKind.prohibited:
            status = "prohibited"
        elif limit.kind == LimitKind.value and level > (limit.percent or 0.0) + 1e-9:
            status = "over"
        elif limit.kind in (LimitKind.missing, LimitKind.see_note) or (
                key in unmeasured and limit.kind == LimitKind.value):
            status = "unknown"
        else:
            status = "ok"
        checks.append(StandardCheck(standard=key, name=standard.name, level_percent=level, limit=limit,
                                    contributors=contributors[key], status=status))
    return checks


def material_cap(contributions: Iterable[Contribution], standards: Mapping[str, IfraStandard],
                 category: IfraCategory, load_percent: float) -> tuple[float, bool]:
    """Highest % of the concentrate one material may take alone (0 when prohibited, 100 when free),
    and whether a Standard applies whose figure is missing (then the cap claims nothing for it).
    """
    cap, missing = 100.0, False
    for contribution in contributions:
        standard = standards.get(contribution.standard)
        if standard is None or standard.specification_only:
            continue
        limit = standard.limit(category, from_natural=contribution.from_natural)
        if limit.kind == LimitKind.prohibited:
            return 0.0, False
        if limit.kind in (LimitKind.missing, LimitKind.see_note) or (
                contribution.fraction is None and limit.kind == LimitKind.value):
            missing = True
        elif limit.kind == LimitKind.value and limit.percent is not None and contribution.fraction is not None:
            cap = min(cap, limit.percent / (load_percent / 100.0) / contribution.fraction)
    return min(cap, 100.0), missing
