"""What a reply could draw on, written as judge contexts: the formula as one Korean line under its own id, and
each record as the text the index embeds.

Both the transcript samples (``eval.transcripts``) and the claim-checker metric (``eval.faithfulness``) read
these; they live apart from both so neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from perfumery.recipe import Recipe
from perfumery.vocabulary import POSITION_KO

if TYPE_CHECKING:
    from knowledge.kb import KnowledgeBase

RECIPE_PREFIX = "recipe:"


def recipe_key(recipe: Recipe) -> str:
    """The context id of a formula version (``recipe:<id>@v<version>``), which the metric resolves to the Recipe."""
    return f"{RECIPE_PREFIX}{recipe.id}@v{recipe.version}"


def recipe_context(recipe: Recipe) -> str:
    """The formula as a context line: what every statement about note positions and doses is checked on."""
    lines = ", ".join(f"{i.name_ko} ({POSITION_KO[i.note]}, {i.percent:g}%)" for i in recipe.ingredients)
    reference = f"; 가장 가까운 향수 {recipe.nearest_reference.name}" if recipe.nearest_reference else ""
    return f"처방 v{recipe.version} ({recipe.concentration.value}, 부향률 {recipe.dilution_percent:g}%): {lines}{reference}"


def document_texts(kb: KnowledgeBase) -> dict[str, str]:
    """id → the text the index embeds, so reference contexts read like retrieved ones."""
    from knowledge.documents import build_documents  # builds the embedder's text only when asked

    return {d.id: d.text for docs in build_documents(kb).values() for d in docs}
