"""Design a formula from a brief, the deterministic way: read the brief, draw a pool of materials, compose,
critique, revise — the graph's design branch with the composer alone, in one call.

No language model runs, so the tool is quick and safe to hand to another agent: the same text gives the
same formula. The pieces the graph's nodes share with it (the fallback
descriptors, the materials pool, one revision) live here, once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from hyanggi.settings import Settings
from knowledge.documents import CollectionName
from knowledge.search import SearchResult
from perfumery import Brief, Catalog, Recipe, compose, critiqued, repair
from perfumery.ifra import Product
from perfumery.models import Concentration
from perfumery.repair import apply_fixes
from tools.errors import ToolError, ToolErrorCode
from tools.fields import PRODUCT_HELP
from tools.search import Searcher

FALLBACK_HITS = 5  # materials whose descriptors stand in for a message the lexicon does not know
REVISION_SEED_STEP = 101  # each revision round composes fresh variants from a seed this far on


class BriefReader(Protocol):
    """How the chat reads a request; the reading lives with the chat (agent/), which hands it to the toolbox:
    tools/ sits below the graph that calls it."""

    def clean(self, text: str) -> str:
        """The text as the chat's guard leaves it (NFC, invisible characters out); ``ToolError`` when the
        guard refuses it."""
        ...

    def brief(self, text: str, *, concentration: Concentration | None, product: Product | None,
              fallback: Sequence[tuple[str, float]]) -> Brief:
        """Clean text → the Brief a perfumer would write down; ``fallback`` (descriptor, weight) is used only
        when the words name no scent the lexicon knows."""
        ...


class DesignRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    brief: str = Field(min_length=1, description="향 설계 요청 (한국어 또는 영어; 채팅 메시지와 같은 길이 제한), e.g. "
                                                 "'비 오는 날 카페 같은 포근한 향, 너무 달지 않게'")
    product: Product | None = Field(default=None, description=PRODUCT_HELP)
    concentration: Concentration | None = Field(default=None, description="부향 농도 (향수만); 없으면 요청에서 읽거나 EDP")


class Design(BaseModel):
    recipe: Recipe = Field(description="설계된 레시피 (docs/ARCHITECTURE.md §4 의 레시피 JSON), 점수·위반 사항 포함")
    brief: Brief = Field(description="요청을 읽은 결과: 목표 향 묘사어와 가중치, 피할 것, 제품, 농도")
    revisions: int = Field(description="점수가 기준에 못 미쳐 고친 횟수")
    considered: int = Field(description="비교한 후보 처방 수")


def fallback_descriptors(hits: Sequence[SearchResult], catalog: Catalog) -> list[tuple[str, float]]:
    """The first two descriptors of each material retrieval found, weighed down by rank and by order."""
    fallback = []
    for rank, hit in enumerate(hits):
        for i, descriptor in enumerate(catalog.materials[hit.id].descriptors[:2]):
            fallback.append((descriptor, round((1.0 - 0.15 * rank) * (1.0 - 0.3 * i), 3)))
    return fallback


def materials_query(message: str, brief: Brief) -> str:
    """The message with the brief's strongest descriptors: what the materials pool is retrieved with."""
    return " ".join([message, *brief.top_descriptors(6)])


def candidate_ids(brief: Brief, catalog: Catalog, retrieved: Sequence[str], pool_size: int) -> list[str]:
    """The materials the composer may use: those asked for, those retrieved, those nearest the brief's
    descriptors — less the avoided ones and those the product's category rules out."""
    by_descriptor = catalog.nearest_materials(brief.descriptors, k=pool_size) if brief.descriptors else []
    pool = dict.fromkeys([*brief.must_include, *retrieved, *(m for m, _ in by_descriptor)])
    avoid = set(brief.avoid_materials)
    return [m for m in pool if m not in avoid and (m in brief.must_include or catalog.composable(m, brief.category))]


def revised(recipe: Recipe, catalog: Catalog, brief: Brief) -> Recipe:
    """The critic's own fixes applied (a plain repair where it stated none)."""
    fixes = [fix for violation in recipe.violations for fix in violation.fixes]
    return apply_fixes(recipe, fixes, catalog, brief) if fixes else repair(recipe, catalog, brief)


def revision_seed(seed: int, revisions: int) -> int:
    """The composer's seed for the fresh variants of revision round ``revisions`` (0-based)."""
    return seed + REVISION_SEED_STEP * (revisions + 1)


def _score(recipe: Recipe) -> float:
    return recipe.score.total if recipe.score else 0.0


def _ranked(recipes: list[Recipe]) -> list[Recipe]:
    """Best first; equal scores keep their order (the graph's critique sorts the same way)."""
    return sorted(recipes, key=lambda r: -_score(r))


def read_brief(text: str, catalog: Catalog, searcher: Searcher, reader: BriefReader, *,
               concentration: Concentration | None = None, product: Product | None = None) -> Brief:
    """The brief the chat would read from ``text`` (its ``text`` is the cleaned request)."""
    text = reader.clean(text)
    hits = searcher.search(text, [CollectionName.materials], FALLBACK_HITS)
    return reader.brief(text, concentration=concentration, product=product,
                        fallback=fallback_descriptors(hits, catalog))


def design(request: DesignRequest, catalog: Catalog, searcher: Searcher, reader: BriefReader,
           settings: Settings) -> Design:
    """Read, retrieve, compose ``settings.n_candidates`` variants, critique, and revise the best two (with
    fresh variants) while the best scores under ``settings.score_threshold``, at most
    ``settings.max_revisions`` times — as the graph does when its turn uses the composer alone."""
    brief = read_brief(request.brief, catalog, searcher, reader, concentration=request.concentration,
                       product=request.product)
    retrieved = searcher.search(materials_query(brief.text, brief), [CollectionName.materials],
                                settings.candidate_pool)
    pool = candidate_ids(brief, catalog, [r.id for r in retrieved], settings.candidate_pool)
    seed, n = settings.seed, settings.n_candidates
    scored = _ranked([critiqued(r, catalog, brief) for r in compose(brief, catalog, pool, n=n, seed=seed)])
    if not scored:
        raise ToolError(ToolErrorCode.invalid_request, "이 요청에 쓸 수 있는 재료를 찾지 못했어요. 원하는 향을 조금 더 "
                                                       "구체적으로 적어 주세요.")
    considered, revisions = len(scored), 0
    while _score(scored[0]) < settings.score_threshold and revisions < settings.max_revisions:
        repaired = [critiqued(revised(r, catalog, brief), catalog, brief) for r in scored[:2]]
        fresh = [critiqued(r, catalog, brief)
                 for r in compose(brief, catalog, pool, n=n, seed=revision_seed(seed, revisions))]
        scored = _ranked([*scored, *repaired, *fresh])
        considered += len(repaired) + len(fresh)
        revisions += 1
    return Design(recipe=scored[0], brief=brief, revisions=revisions, considered=considered)
