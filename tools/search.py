"""Search the knowledge base: materials, accords and published perfumes, hybrid (dense + BM25, fused)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from knowledge.documents import CollectionName
from knowledge.search import SearchFilters, SearchResult
from perfumery.models import Family, NotePosition


class Searcher(Protocol):
    """What the tools need of ``knowledge.search.HybridSearcher`` (tests give a keyword stand-in)."""

    def search(self, query: str, collections: Iterable[CollectionName] | None = None, k: int | None = None,
               filters: SearchFilters | None = None) -> list[SearchResult]: ...


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=500, description="검색어 (한국어 또는 영어), e.g. '베르가못', 'smoky leather'")
    collection: CollectionName | None = Field(default=None, description="materials | accords | perfumes; 없으면 모두")
    k: int = Field(default=5, ge=1, le=50, description="결과 수")
    note: NotePosition | None = Field(default=None, description="노트 자리로 거르기 (재료·어코드)")
    family: Family | None = Field(default=None, description="향 계열로 거르기")
    restricted: bool | None = Field(default=None, description="IFRA 제한 재료만 (true) 또는 제외 (false)")


class SearchHits(BaseModel):
    query: str
    results: list[SearchResult]


def search(searcher: Searcher, request: SearchRequest) -> SearchHits:
    collections = [request.collection] if request.collection else None
    filters = SearchFilters(note=request.note, family=request.family, restricted=request.restricted)
    return SearchHits(query=request.query, results=searcher.search(request.query, collections, request.k,
                                                                   filters=filters))
