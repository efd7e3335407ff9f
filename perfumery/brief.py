"""What the person asked for, in the perfumer's terms."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from perfumery.ifra import PRODUCTS, IfraCategory, Product, fragrance_load
from perfumery.models import Concentration, Season, Style


class Brief(BaseModel):
    """A design brief: weighted target descriptors plus the constraints around them.

    Descriptor keys come from the shared vocabulary (``knowledge/data/descriptors.yaml``).
    """

    model_config = ConfigDict(extra="forbid")

    descriptors: dict[str, float] = Field(default_factory=dict, description="target descriptor → weight (0, 1].")
    avoid_descriptors: dict[str, float] = Field(default_factory=dict, description="descriptor → how strongly to avoid.")
    avoid_materials: list[str] = Field(default_factory=list)
    must_include: list[str] = Field(default_factory=list, description="material ids the formula must contain.")
    season: Season | None = None
    occasion: str | None = None
    intensity: float = Field(default=0.5, ge=0, le=1, description="0 = skin scent … 1 = loud.")
    style: Style = Style.unisex
    concentration: Concentration = Concentration.EDP
    product: Product = Field(default=Product.fine_fragrance, description="what the fragrance goes into.")
    budget_tier: int = Field(default=3, ge=1, le=5, description="highest cost tier to lean on (1 cheap … 5 luxury).")
    text: str = Field(default="", description="the original request, kept for explanation and logging.")
    themes: list[str] = Field(default_factory=list, max_length=8,
                              description="the person's own words for mood and scene, mood first; name the formula")

    @property
    def category(self) -> IfraCategory:
        return PRODUCTS[self.product].category

    @property
    def fragrance_load(self) -> float:
        return fragrance_load(self.product, self.concentration)

    def top_descriptors(self, n: int = 5) -> list[str]:
        return [d for d, _ in sorted(self.descriptors.items(), key=lambda kv: -kv[1])[:n]]
