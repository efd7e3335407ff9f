"""Retrieval tools: hybrid search and "more like this"."""

from __future__ import annotations

from typing import Literal

from langchain_core.tools import BaseTool, StructuredTool

from knowledge.documents import CollectionName
from knowledge.search import HybridSearcher, SearchFilters, SearchResult
from perfumery.models import Family, NotePosition


def search_tools(searcher: HybridSearcher) -> list[BaseTool]:
    def search_knowledge(query: str, collection: Literal["materials", "accords", "perfumes", "all"] = "all",
                         k: int = 5, note: NotePosition | None = None, family: Family | None = None,
                         restricted: bool | None = None) -> list[SearchResult]:
        """재료·어코드·향수 지식 베이스 하이브리드 검색 (dense + BM25, RRF). Search the fragrance knowledge base."""
        collections = None if collection == "all" else [CollectionName(collection)]
        filters = SearchFilters(note=note, family=family, restricted=restricted)
        return searcher.search(query, collections, k, filters)

    def similar_items(item_id: str, k: int = 5) -> list[SearchResult]:
        """비슷한 재료/향수 찾기 (more like this), by embedding."""
        return searcher.get_similar_items(item_id, k)

    return [StructuredTool.from_function(search_knowledge), StructuredTool.from_function(similar_items)]
