"""IFRA Standards as law: product categories, limits per category, and the compliance sum of a formula.

A Standard limits a substance in the finished product, per product category. A formula's level of a
substance is the sum over its lines of (share of the concentrate × fragrance load in the product ×
fraction of the substance in that line): 1 for the substance itself, the Annex's level for a natural
that contains it. Where a figure is missing the answer is "확인 필요" (needs checking), never compliant.
Pure data and arithmetic; the tables are loaded by ``knowledge.kb``.
"""

from __future__ import annotations

import re
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
    """What the fragrance goes into: decides the IFRA category, the usual fragrance load and the base."""

    fine_fragrance = "fine_fragrance"
    body_lotion = "body_lotion"
    face_cream = "face_cream"
    hand_cream = "hand_cream"
    baby_lotion = "baby_lotion"
    deodorant = "deodorant"
    lip_balm = "lip_balm"
    hair_spray = "hair_spray"
    body_mist = "body_mist"
    rinse_off = "rinse_off"
    hand_wash = "hand_wash"
    candle = "candle"
    reed_diffuser = "reed_diffuser"
    room_spray = "room_spray"
    car_freshener = "car_freshener"
    fabric_softener = "fabric_softener"
    detergent = "detergent"


class ProductInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    label_ko: str
    category: IfraCategory
    load_percent: float = Field(gt=0, le=40, description="usual fragrance load in the product (% of product)")
    load_source: str = Field(default="", description="where the load comes from; empty: an unsourced starting point")
    category_source: str = Field(min_length=1, description="the public statement of IFRA's category guidance")
    base_ko: str = Field(min_length=1, description="what the concentrate goes into, named generically")
    words: tuple[str, ...] = Field(default=(), description="how people name it, spacing removed, lower case")
    rinse_off: bool = Field(default=False, description="washed off after use (EU allergen threshold 0.01 %)")

    @property
    def load_basis_ko(self) -> str:
        """Where the usual load comes from, in words: its source, or that it is a starting point."""
        return f"출처: {self.load_source}" if self.load_source else "출처 없는 시작값, 조정 가능"


# IFRA's category guidance (Guidance for the use of IFRA Standards, 49th Amendment onward) as public pages
# quote it, read 2026-12-06; where two pages disagree the stricter category is kept and both are named.
_CAT_FINE = "IFRA Category 4 'Products related to fine fragrance' (heirloombodycare.com.au/blogs/tutorials/ifra-categories)"
_CAT_LEAVE_ON = ("IFRA Category 5A–5D 'applied … using the hands (palms), primarily leave on' "
                 "(heirloombodycare.com.au/blogs/tutorials/ifra-categories; candle-shack.com: 5A/5C body lotion, "
                 "hand cream)")
_CAT_AXILLAE = ("IFRA Category 2 'Products applied to the axillae: Deodorant and antiperspirant products of all types; "
                "Body sprays/mists' (heirloombodycare.com.au/blogs/tutorials/ifra-categories)")
_CAT_LIPS = "IFRA Category 1 'Products applied to the lips' (heirloombodycare.com.au/blogs/tutorials/ifra-categories)"
_CAT_HAIR = "IFRA Category 7B 'Hair products (leave on)' (stockfragrance.com IFRA 49th Amendment guidelines)"
_CAT_RINSE = ("IFRA Category 9 'Products with body and hand exposure, primarily rinse off' (candle-shack.com: "
              "bar soap, liquid soap)")
_CAT_HOUSEHOLD = ("IFRA Category 10A 'Household care excluding aerosol products' (fragranceoilsdirect.co.uk: "
                  "laundry products, household cleaning products, reed diffusers)")
_CAT_DIFFUSER = ("IFRA Category 10A (candle-shack.com: 'reed diffusers, diffuser re-fills'; fragranceoilsdirect.co.uk); "
                 "stockfragrance.com lists 'diffusers' under 12 — the stricter 10A is kept")
_CAT_SPRAY = ("IFRA Category 10B 'Household aerosol/spray products' (candle-shack.com: room sprays; "
              "fragranceoilsdirect.co.uk: air fresheners)")
_CAT_NO_SKIN = ("IFRA Category 12 'Products not intended for direct skin contact' (candle-shack.com: candles; "
                "stockfragrance.com: 'Candles, plug-ins, diffusers, car')")
_LOTIONS = "cosmeticstudio.co.za: 'typically 0.1-0.5% fragrance in creams, shower gels, bubble bath and lotions'"

# A load with a source is what that source says (or inside its range); the others are starting points a
# formulator adjusts, shown as such (``ProductInfo.load_basis_ko``).
PRODUCTS: Mapping[Product, ProductInfo] = {
    Product.fine_fragrance: ProductInfo(
        label_ko="향수(파인 프래그런스)", category=IfraCategory.c4, load_percent=18.0, category_source=_CAT_FINE,
        load_source="농도(EDC·EDT·EDP·Parfum·Extrait)별 관례 부향률", base_ko="에탄올",
        words=("향수용", "향수로", "파인프래그런스", "finefragrance")),
    Product.body_lotion: ProductInfo(
        label_ko="바디로션", category=IfraCategory.c5a, load_percent=0.5, category_source=_CAT_LEAVE_ON,
        load_source=_LOTIONS, base_ko="로션 베이스",
        words=("바디로션", "보디로션", "바디크림", "바디오일", "로션", "bodylotion")),
    Product.face_cream: ProductInfo(
        label_ko="페이스 크림", category=IfraCategory.c5b, load_percent=0.3, category_source=_CAT_LEAVE_ON,
        load_source=_LOTIONS, base_ko="크림 베이스", words=("페이스크림", "얼굴크림", "수분크림", "facecream")),
    Product.hand_cream: ProductInfo(
        label_ko="핸드크림", category=IfraCategory.c5c, load_percent=0.5, category_source=_CAT_LEAVE_ON,
        load_source=_LOTIONS, base_ko="크림 베이스", words=("핸드크림", "handcream")),
    Product.baby_lotion: ProductInfo(
        label_ko="베이비 로션", category=IfraCategory.c5d, load_percent=0.2, category_source=_CAT_LEAVE_ON,
        load_source=_LOTIONS, base_ko="로션 베이스", words=("베이비로션", "유아로션", "아기로션", "babylotion")),
    Product.deodorant: ProductInfo(
        label_ko="데오드란트", category=IfraCategory.c2, load_percent=1.0, category_source=_CAT_AXILLAE,
        base_ko="데오드란트 베이스", words=("데오드란트", "데오도란트", "deodorant")),
    Product.lip_balm: ProductInfo(
        label_ko="립밤", category=IfraCategory.c1, load_percent=0.5, category_source=_CAT_LIPS, base_ko="립밤 베이스",
        words=("립밤", "립글로스", "lipbalm")),
    Product.hair_spray: ProductInfo(
        label_ko="헤어 미스트·스프레이", category=IfraCategory.c7b, load_percent=0.5, category_source=_CAT_HAIR,
        load_source="colonialchem.com 'Freshening Hair Mist' 시작 처방: Fragrance 0.50%", base_ko="헤어 미스트 베이스",
        words=("헤어미스트", "헤어퍼퓸", "헤어스프레이", "hairmist", "hairspray", "hairperfume")),
    Product.body_mist: ProductInfo(
        label_ko="바디 미스트", category=IfraCategory.c2, load_percent=3.0, category_source=_CAT_AXILLAE,
        base_ko="미스트 베이스(에탄올·정제수)", words=("바디미스트", "바디스프레이", "bodymist", "bodyspray")),
    Product.rinse_off: ProductInfo(
        label_ko="샴푸·바디워시·비누", category=IfraCategory.c9, load_percent=1.0, rinse_off=True,
        category_source=_CAT_RINSE, base_ko="샴푸·바디워시 베이스",
        load_source="canwax.com: 바디워시 0.5%, 비누 2.0% 사이",
        words=("샴푸", "바디워시", "샤워젤", "비누", "shampoo", "bodywash", "showergel", "soap")),
    Product.hand_wash: ProductInfo(
        label_ko="핸드워시", category=IfraCategory.c9, load_percent=0.5, rinse_off=True, category_source=_CAT_RINSE,
        load_source="canwax.com: 'Gels, Body Wash, Bubble Bath, Castile Soap 0.5%'", base_ko="핸드워시 베이스",
        words=("핸드워시", "손세정제", "액체비누", "물비누", "handwash", "liquidsoap")),
    Product.candle: ProductInfo(
        label_ko="캔들(향초)", category=IfraCategory.c12, load_percent=6.0, category_source=_CAT_NO_SKIN,
        load_source="canwax.com: 'Candles (depends on wax) 4-12%' … 'we usually only use on average 6%'",
        base_ko="캔들 왁스", words=("캔들", "향초", "양초", "candle")),
    Product.reed_diffuser: ProductInfo(
        label_ko="리드 디퓨저", category=IfraCategory.c10a, load_percent=20.0, category_source=_CAT_DIFFUSER,
        load_source="engineerfix.com: 'typically between 20% and 30%' (향료:베이스 = 20–30:70–80)",
        base_ko="디퓨저 베이스", words=("리드디퓨저", "디퓨저", "reeddiffuser", "diffuser")),
    Product.room_spray: ProductInfo(
        label_ko="룸 스프레이(실내 방향제)", category=IfraCategory.c10b, load_percent=5.0, category_source=_CAT_SPRAY,
        load_source="luxeolabs.com: '3% to 10%'; necolebitchie.com: '1-5%' — 두 범위에 드는 값",
        base_ko="룸 스프레이 베이스", words=("룸스프레이", "룸미스트", "실내방향제", "방향제", "roomspray", "airfreshener")),
    Product.car_freshener: ProductInfo(
        label_ko="차량용 방향제", category=IfraCategory.c12, load_percent=10.0, category_source=_CAT_NO_SKIN,
        base_ko="차량용 방향제 베이스", words=("차량용방향제", "차량방향제", "차량용", "카방향제", "carfreshener")),
    Product.fabric_softener: ProductInfo(
        label_ko="섬유유연제", category=IfraCategory.c10a, load_percent=1.5, rinse_off=True,
        category_source=_CAT_HOUSEHOLD, base_ko="섬유유연제 베이스",
        load_source="ravetllat.com 섬유유연제 시험 조건: 'Concentrated softener … Fragrance dose: 1,5%'",
        words=("섬유유연제", "유연제", "fabricsoftener")),
    Product.detergent: ProductInfo(
        label_ko="세제(세탁·주방)", category=IfraCategory.c10a, load_percent=0.5, rinse_off=True,
        category_source=_CAT_HOUSEHOLD, base_ko="세제 베이스",
        words=("세탁세제", "주방세제", "세제", "detergent")),
}

# A product word followed by one of these names a smell, not the product: "비누 향", "섬유유연제 냄새 나는 향수".
_SCENT_OF = re.compile(r"향(?!초)|냄새|내음|같|처럼|느낌|scent|smell")


def product_named(packed: str) -> Product | None:
    """The product a compacted, lower-cased message names ("바디로션용으로" → body lotion), longest word first;
    "비누향" or "섬유유연제 냄새" describe a scent and name no product."""
    words = sorted(((w, p) for p, info in PRODUCTS.items() for w in info.words), key=lambda item: -len(item[0]))
    for word, product in words:
        for match in re.finditer(re.escape(word), packed):
            if not _SCENT_OF.match(packed, match.end()):
                return product
    return None


def fragrance_load(product: Product, concentration: Concentration) -> float:
    """% of the concentrate in the finished product: the concentration's for fine fragrance."""
    if product == Product.fine_fragrance:
        return DEFAULT_DILUTION[concentration]
    return PRODUCTS[product].load_percent


def product_label_ko(product: Product, concentration: Concentration, load_percent: float) -> str:
    """How a formula's product is named to a person: "EDP" for a fine fragrance, else the product and its load
    ("바디로션 · 향료 0.5%") — a concentration means nothing in a lotion or a candle."""
    if product == Product.fine_fragrance:
        return concentration.value
    return f"{PRODUCTS[product].label_ko} · 향료 {load_percent:g}%"


class LimitKind(StrEnum):
    value = "value"  # a maximum, % of the finished product
    unrestricted = "unrestricted"
    prohibited = "prohibited"
    see_note = "see_note"  # prohibited as such; the note caps what comes from naturals
    missing = "missing"  # the Standard gives no figure here


LIMIT_KO: dict[LimitKind, str] = {LimitKind.value: "한도", LimitKind.unrestricted: "제한 없음",
                                   LimitKind.prohibited: "금지", LimitKind.see_note: "부속서 주석 기준",
                                   LimitKind.missing: "수치 없음(확인 필요)"}


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
        return f"{self.name} ({self.id.replace('IFRA_STD_', 'IFRA Standard ')}, {amendment_ko(self.amendment)})"


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


IFRA_STATUS_KO = {IfraStatus.none: "IFRA 표준 대상 아님 (CAS 기준)", IfraStatus.restricted: "제한",
                  IfraStatus.prohibited: "금지", IfraStatus.unknown: "확인 필요"}


def newest_amendment(amendments: Iterable[str]) -> str:
    """The amendment a set of IFRA tables is: the newest any of its Standards carries (each Standard keeps the
    amendment that last revised it, and every amendment revises or adds Standards). Empty without tables."""
    numbers = [int(a) for a in amendments if a.strip().isdigit()]
    return str(max(numbers)) if numbers else ""


def amendment_ko(amendment: str) -> str:
    """The amendment named in a Korean sentence ("51차 개정"); read from the tables, never typed."""
    return f"{amendment}차 개정" if amendment else "개정 차수 확인 필요"


def ifra_status_ko(status: IfraStatus, amendment: str) -> str:
    """A material's IFRA standing in words; "not under a Standard" says which amendment's tables were searched."""
    label = IFRA_STATUS_KO[status]
    return f"{amendment_ko(amendment)} {label}" if status == IfraStatus.none else label


class CheckStatus(StrEnum):
    """The verdict of one Standard summed over a formula (``check_standards``)."""

    ok = "ok"
    over = "over"  # above the category's limit
    prohibited = "prohibited"
    unknown = "unknown"  # the Standard applies but a figure is missing: 확인 필요
    specification = "specification"  # a purity specification, not a dose limit


# The one Korean wording of a check's verdict: the chat's compliance table and the IFRA summary both read it.
CHECK_VERDICT_KO: Mapping[CheckStatus, str] = {
    CheckStatus.ok: "적합", CheckStatus.over: "초과", CheckStatus.prohibited: "금지",
    CheckStatus.unknown: "확인 필요", CheckStatus.specification: "규격 기준(함량 한도 아님)"}


class StandardCheck(BaseModel):
    """One Standard summed over a formula, in the finished product."""

    standard: str
    name: str
    level_percent: float
    limit: Limit
    contributors: list[str]
    status: CheckStatus


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
            status = CheckStatus.specification
        elif limit.kind == LimitKind.prohibited:
            status = CheckStatus.prohibited
        elif limit.kind == LimitKind.value and level > (limit.percent or 0.0) + 1e-9:
            status = CheckStatus.over
        elif limit.kind in (LimitKind.missing, LimitKind.see_note) or (
                key in unmeasured and limit.kind == LimitKind.value):
            status = CheckStatus.unknown
        else:
            status = CheckStatus.ok
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
