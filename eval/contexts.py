"""What a reply could draw on, written as judge contexts: the formula as Korean lines under its own id, and
each record as the text the index embeds.

Both the transcript samples (``eval.transcripts``) and the claim-checker metric (``eval.faithfulness``) read
these; they live apart from both so neither imports the other.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.replies.render import COMPONENT_KO
from perfumery.critic import COMPLIANCE_KO, compliance_status
from perfumery.ifra import PRODUCTS
from perfumery.models import NotePosition
from perfumery.recipe import Recipe, Severity
from perfumery.vocabulary import POSITION_KO

if TYPE_CHECKING:
    from knowledge.kb import KnowledgeBase

RECIPE_PREFIX = "recipe:"


def recipe_key(recipe: Recipe) -> str:
    """The context id of a formula version (``recipe:<id>@v<version>``), which the metric resolves to the Recipe."""
    return f"{RECIPE_PREFIX}{recipe.id}@v{recipe.version}"


def recipe_context(recipe: Recipe) -> str:
    """The formula as a context, one fact per line: what every statement about the formula is checked on.

    A reply quotes more of its recipe than the lines (the pyramid, the IFRA verdict, the allergen count, the
    critic's warnings, the score, the nearest reference), so a judge that reads only this text must see all
    of it; one fact per line lets a judge with a short input (``eval.evidence``) take only the lines a
    statement needs. The verdict lines appear only for a critiqued recipe (one with a score).
    """
    product = PRODUCTS[recipe.product]
    lines = [f"처방 v{recipe.version} ({recipe.concentration.value}, 부향률 {recipe.dilution_percent:g}%, "
             f"{product.label_ko})"]
    lines += [f"{i.name_ko} ({POSITION_KO[i.note]}, {i.percent:g}%)" for i in recipe.ingredients]
    shares = recipe.pyramid
    lines.append("피라미드: " + " · ".join(f"{POSITION_KO[p]} {shares[p.value]:g}%" for p in NotePosition))
    if recipe.score is not None:
        lines.append(f"IFRA: {COMPLIANCE_KO[compliance_status(recipe.violations)]} ({product.label_ko}, "
                     f"카테고리 {product.category.value}, 부향률 {recipe.dilution_percent:g}%)")
        lines += [f"주의: {v.message_ko}" + (f" → {v.fix_ko}" if v.fix_ko else "")
                  for v in recipe.violations if v.severity != Severity.info]
        lines.append(f"알레르기 유발 성분 표시 대상 {sum(v.severity == Severity.info for v in recipe.violations)}건")
        parts = ", ".join(f"{COMPONENT_KO.get(k, k)} {v:.2f}" for k, v in recipe.score.components.items())
        lines.append(f"품질 점수 {recipe.score.total:.2f} ({parts})")
    if recipe.nearest_reference:
        lines.append(f"가장 가까운 향수: {recipe.nearest_reference.name} "
                     f"(유사도 {recipe.nearest_reference.similarity:.2f})")
    return "\n".join(lines)


def document_texts(kb: KnowledgeBase) -> dict[str, str]:
    """id → the text the index embeds, so reference contexts read like retrieved ones."""
    from knowledge.documents import build_documents  # builds the embedder's text only when asked

    return {d.id: d.text for docs in build_documents(kb).values() for d in docs}
