"""LangChain tools with typed arguments over the knowledge base and the perfumery core.

The graph calls them deterministically (a 270M model cannot choose tools reliably); the same tools are
what a stronger tool-calling model or an external agent would be given.
"""

from tools.perfumery_tools import perfumery_tools
from tools.registry import Toolbox
from tools.search_tools import search_tools

__all__ = ["Toolbox", "perfumery_tools", "search_tools"]
