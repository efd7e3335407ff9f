"""From formula to bench: what to weigh for a batch, and what the concentrate costs.

A perfumer compounds the **concentrate** (the fragrance oil), so a batch sheet weighs that by default; the
finished product — the concentrate at its load in the product's base (ethanol and water for a fine
fragrance, a lotion base, candle wax, a diffuser base …) — is weighed on request. Either way the grams on
the sheet add up exactly to the batch asked for (largest-remainder rounding) and are written in one unit
with one precision, so nothing on the scale is "0.144 g" beside "40 mg".

Cost: a cited public price per kilo where the material has one (``Material.price``, in won, with its source
and date), the material's 1–5 cost tier otherwise; the estimate says which lines each figure rests on.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from perfumery.amounts import round_to_total
from perfumery.catalog import Catalog
from perfumery.ifra import PRODUCTS, Product, product_label_ko
from perfumery.models import DEFAULT_WATER, Concentration
from perfumery.recipe import Recipe

TIER_PRICE = {1: 1.0, 2: 3.0, 3: 9.0, 4: 27.0, 5: 81.0}
TIER_LABEL_KO = {1: "저렴", 2: "보통", 3: "중간", 4: "고가", 5: "최고가"}
_TWO_DECIMALS = 100  # amounts.round_to_total writes two decimals; other precisions are scaled onto it


class BatchBasis(StrEnum):
    """What the sheet's grams weigh."""

    concentrate = "concentrate"  # the fragrance oil alone: what a perfumer compounds
    product = "product"  # the finished product: the concentrate at its load in the product's base


BASIS_KO = {BatchBasis.concentrate: "향료 농축액", BatchBasis.product: "완제품"}


class PricedLine(BaseModel):
    """A line whose cost rests on a cited price."""

    material_id: str
    won_per_kg: float
    source_ko: str = Field(description="supplier, date and exchange rate, in words")


class CostEstimate(BaseModel):
    mean_tier: float = Field(description="dose-weighted cost tier of the concentrate, 1..5")
    relative_index: float = Field(description="price of the concentrate relative to an all-tier-1 formula")
    label_ko: str
    main_drivers: list[str] = Field(default_factory=list, description="material ids that drive the cost, top 3")
    priced: list[PricedLine] = Field(default_factory=list, description="lines with a cited price per kilo")
    priced_share: float = Field(default=0.0, description="share of the concentrate (0..1) with a cited price")
    won_per_kg_priced: float | None = Field(
        default=None, description="won per kilo of concentrate from the priced lines alone (their share of a kilo)")


class BatchLine(BaseModel):
    material_id: str
    name_ko: str
    name_en: str
    cas: str
    percent: float = Field(description="share of the concentrate")
    grams: float
    percent_of_product: float


class BaseLine(BaseModel):
    """What the concentrate goes into, named generically ("로션 베이스", "캔들 왁스"; ethanol for perfume)."""

    name_ko: str
    grams: float


class BatchSheet(BaseModel):
    """What to weigh for ``total_grams`` of concentrate or of finished product; every gram figure carries
    ``decimals`` decimals and they add up to ``total_grams`` exactly."""

    recipe_id: str
    version: int
    product: Product
    concentration: Concentration
    load_percent: float = Field(description="% of the concentrate in the finished product")
    basis: BatchBasis
    total_grams: float
    decimals: int = Field(ge=0, le=3)
    concentrate_grams: float
    lines: list[BatchLine]
    bases: list[BaseLine] = Field(default_factory=list, description="the product's base; empty for a concentrate")
    below_unit: list[str] = Field(default_factory=list,
                                  description="lines lighter than the sheet's unit, weighed up to it by rounding")
    cost: CostEstimate

    @property
    def label_ko(self) -> str:
        """The product as a person names it: "EDP" for a fine fragrance, else the product and its load."""
        return product_label_ko(self.product, self.concentration, self.load_percent)

    def grams_ko(self, grams: float) -> str:
        return f"{grams:,.{self.decimals}f} g"


def gram_decimals(total_grams: float) -> int:
    """One precision per sheet, the one a balance for that batch reads: milligrams up to a kilo, then less."""
    return 3 if total_grams <= 1_000 else 2 if total_grams <= 10_000 else 1


def round_grams(amounts: dict[str, float], total: float, decimals: int) -> dict[str, float]:
    """Largest-remainder rounding to ``decimals`` so the figures add up to exactly ``total``."""
    scale = 10.0 ** decimals / _TWO_DECIMALS
    rounded = round_to_total({k: v * scale for k, v in amounts.items()}, total=total * scale)
    return {k: round(v / scale, decimals) for k, v in rounded.items()}


def estimate_cost(recipe: Recipe, catalog: Catalog) -> CostEstimate:
    known = [i for i in recipe.ingredients if i.material_id in catalog and i.percent > 0]
    total = sum(i.percent for i in known)
    if not total:
        return CostEstimate(mean_tier=0.0, relative_index=0.0, label_ko="계산 불가")
    tiers = {i.material_id: catalog.material(i.material_id).cost_tier for i in known}
    mean_tier = sum(i.percent * tiers[i.material_id] for i in known) / total
    spend = {i.material_id: i.percent * TIER_PRICE[tiers[i.material_id]] / total for i in known}
    drivers = sorted(spend, key=lambda m: (-spend[m], m))[:3]
    prices = {i.material_id: catalog.material(i.material_id).price for i in known}
    priced = [PricedLine(material_id=m, won_per_kg=price.won_per_kg, source_ko=price.source_ko)
              for m, price in prices.items() if price is not None]
    share = {i.material_id: i.percent / total for i in known}
    return CostEstimate(
        mean_tier=round(mean_tier, 2), relative_index=round(sum(spend.values()), 2),
        label_ko=TIER_LABEL_KO[min(5, max(1, round(mean_tier)))], main_drivers=drivers, priced=priced,
        priced_share=round(sum(share[p.material_id] for p in priced), 4),
        won_per_kg_priced=round(sum(share[p.material_id] * p.won_per_kg for p in priced)) if priced else None)


def _bases(recipe: Recipe, grams: float) -> dict[str, float]:
    """The product's base by weight: ethanol and water for a fine fragrance, the product's own base otherwise."""
    base = grams * (1 - recipe.dilution_percent / 100.0)
    if recipe.product != Product.fine_fragrance:
        return {PRODUCTS[recipe.product].base_ko: base}
    water = grams * DEFAULT_WATER[recipe.concentration] / 100.0
    return {"에탄올": base - water, **({"정제수": water} if water > 0 else {})}


def scale_batch(recipe: Recipe, grams: float, catalog: Catalog,
                basis: BatchBasis = BatchBasis.concentrate) -> BatchSheet:
    """Grams of each material for ``grams`` of concentrate (default) or of finished product, with the base.

    Ratios between materials are those of the formula; rounding keeps the total exact.
    """
    if grams <= 0:
        raise ValueError("배치 용량은 0보다 커야 합니다.")
    decimals = gram_decimals(grams)
    total_percent = recipe.total_percent or 1.0
    concentrate = grams * recipe.dilution_percent / 100.0 if basis == BatchBasis.product else grams
    amounts = {f"line:{n}": concentrate * i.percent / total_percent for n, i in enumerate(recipe.ingredients)}
    bases = _bases(recipe, grams) if basis == BatchBasis.product else {}
    rounded = round_grams({**amounts, **{f"base:{name}": g for name, g in bases.items()}}, grams, decimals)
    lines = []
    for n, i in enumerate(recipe.ingredients):
        known = catalog.material(i.material_id) if i.material_id in catalog else None
        lines.append(BatchLine(
            material_id=i.material_id, name_ko=i.name_ko or (known.name_ko if known else i.material_id),
            name_en=i.name_en or (known.name_en if known else ""), cas=i.cas or (known.cas if known else ""),
            percent=i.percent, grams=rounded[f"line:{n}"],
            percent_of_product=round(i.percent / total_percent * recipe.dilution_percent, 4)))
    return BatchSheet(
        recipe_id=recipe.id, version=recipe.version, product=recipe.product, concentration=recipe.concentration,
        load_percent=recipe.dilution_percent, basis=basis, total_grams=grams, decimals=decimals,
        concentrate_grams=round(sum(line.grams for line in lines), decimals), lines=lines,
        bases=[BaseLine(name_ko=name, grams=rounded[f"base:{name}"]) for name in bases],
        below_unit=[lines[int(k.split(":")[1])].name_ko for k, g in amounts.items() if g < 10.0 ** -decimals],
        cost=estimate_cost(recipe, catalog))
