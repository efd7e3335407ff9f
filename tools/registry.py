"""All tools by name, for the graph's deterministic calls."""

from __future__ import annotations

from typing import Any

from langchain_core.tools import BaseTool

from knowledge.search import HybridSearcher
from perfumery import Catalog
from tools.perfumery_tools import perfumery_tools
from tools.search_tools import search_tools


class Toolbox:
    def __init__(self, searcher: HybridSearcher, catalog: Catalog) -> None:
        self.tools: dict[str, BaseTool] = {t.name: t for t in (*search_tools(searcher), *perfumery_tools(catalog))}

    async def call(self, name: str, **arguments: Any) -> Any:
        """Validate the arguments against the tool's schema and run it off the event loop."""
        return await self.tools[name].ainvoke(arguments)
