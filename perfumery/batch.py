"""From formula to bench: scale to a batch in grams (concentrate, ethanol, water) and estimate cost.

Cost has no currency: the catalog only knows a 1–5 tier per material. Tiers are roughly a factor of
three apart in price per kilo, so the index says "how many times a commodity formula" it costs.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from perfumery.catalog import Catalog
from perfumery.models import DEFAULT_WATER, Concentration
from perfumery.recipe import Recipe

TIER_PRICE = {1: 1.0, 2: 3.0, 3: 9.0, 4: 27.0, 5: 81.0}
TIER_LABEL_KO = {1: "저렴", 2: "보통", 3: "중간", 4: "고가", 5: "최고가"}
GRAM_DECIMALS = 3


class CostEstimate(BaseModel):
    mean_tier: float = Field(description="dose-weighted cost tier of the concentrate, 1..5")
    relative_index: float = Field(description="price of the concentrate relative to an all-tier-1 formula")
    label_ko: str
    main_drivers: list[str] = Field(default_factory=list, description="material ids that drive the cost, top 3")


class BatchLine(BaseModel):
    material_id: str
    name_ko: str
    name_en: str
    cas: str
    percent: float = Field(description="share of the concentrate")
    grams: float
    percent_of_product: float


class BatchSheet(BaseModel):
    """What to weigh out for ``total_grams`` of finished product."""

    recipe_id: str
    version: int
    concentration: Concentration
    dilution_percent: float
    total_grams: float
    concentrate_grams: float
    ethanol_grams: float
    water_grams: float
    lines: list[BatchLine]
    cost: CostEstimate


def estimate_cost(recipe: Recipe, catalog: Catalog) -> CostEstimate:
    known = [i for i in recipe.ingredients if i.material_id in catalog and i.percent > 0]
    total = sum(i.percent for i in known)
    if not total:
        return CostEstimate(mean_tier=0.0, relative_index=0.0, label_ko="계산 불가")
    tiers = {i.material_id: catalog.material(i.material_id).cost_tier for i in known}
    mean_tier = sum(i.percent * tiers[i.material_id] for i in known) / total
    spend = {i.material_id: i.percent * TIER_PRICE[tiers[i.material_id]] / total for i in known}
    drivers = sorted(spend, key=lambda m: (-spend[m], m))[:3]
    return CostEstimate(mean_tier=round(mean_tier, 2), relative_index=round(sum(spend.values()), 2),
                        label_ko=TIER_LABEL_KO[min(5, max(1, round(mean_tier)))], main_drivers=drivers)


def scale_batch(recipe: Recipe, grams: float, catalog: Catalog) -> BatchSheet:
    """Grams of each material, ethanol and water for ``grams`` of finished product.

    Ratios between materials are exactly those of the formula; water follows the product type's
    convention (``DEFAULT_WATER``), ethanol takes the rest.
    """
    if grams <= 0:
        raise ValueError("배치 용량은 0보다 커야 합니다.")
    concentrate = grams * recipe.dilution_percent / 100.0
    water = grams * DEFAULT_WATER[recipe.concentration] / 100.0
    total_percent = recipe.total_percent or 1.0
    lines = [
        BatchLine(material_id=i.material_id, name_ko=i.name_ko or catalog.material(i.material_id).name_ko,
                  name_en=i.name_en or catalog.material(i.material_id).name_en,
                  cas=i.cas or (catalog.material(i.material_id).cas if i.material_id in catalog else ""),
                  percent=i.percent,
                  grams=round(concentrate * i.percent / total_percent, GRAM_DECIMALS),
                  percent_of_product=round(i.percent / total_percent * recipe.dilution_percent, 4))
        for i in recipe.ingredients
    ]
    return BatchSheet(recipe_id=recipe.id, version=recipe.version, concentration=recipe.concentration,
                      dilution_percent=recipe.dilution_percent, total_grams=grams,
                      concentrate_grams=round(concentrate, GRAM_DECIMALS),
                      ethanol_grams=round(grams - concentrate - water, GRAM_DECIMALS),
                      water_grams=round(water, GRAM_DECIMALS), lines=lines, cost=estimate_cost(recipe, catalog))
