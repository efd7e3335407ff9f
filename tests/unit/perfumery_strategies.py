"""Hypothesis strategies over the fixture catalog: arbitrary formulas a person or an LLM might write."""

from __future__ import annotations

from hypothesis import strategies as st

from perfumery.models import DEFAULT_DILUTION, Concentration
from perfumery.recipe import Recipe
from tests.unit.perfumery_fixtures import CATALOG

MATERIAL_IDS = sorted(CATALOG.materials)


@st.composite
def recipes(draw, min_size: int = 1, max_size: int = 20) -> Recipe:
    ids = draw(st.lists(st.sampled_from(MATERIAL_IDS), min_size=min_size, max_size=max_size, unique=True))
    percents = draw(st.lists(st.floats(min_value=0.01, max_value=60, allow_nan=False), min_size=len(ids),
                             max_size=len(ids)))
    concentration = draw(st.sampled_from(list(Concentration)))
    return Recipe(concentration=concentration, dilution_percent=DEFAULT_DILUTION[concentration],
                  ingredients=[CATALOG.ingredient(m, round(p, 3)) for m, p in zip(ids, percents, strict=True)])
