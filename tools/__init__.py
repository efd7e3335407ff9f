"""The one typed interface to Hyanggi's abilities: search, design, check, import, edit and export.

REST handlers and the MCP server call the ``Toolbox``; the graph's nodes call the same functions
(``tools.workbench``, ``tools.design``), so a formula is read, edited and designed one way whichever door a
request came through. Inputs and outputs are pydantic models; failures are ``ToolError`` (Korean).
"""

from tools.errors import ToolError, ToolErrorCode
from tools.toolbox import TOOLS, Toolbox, ToolSpec

__all__ = ["TOOLS", "ToolError", "ToolErrorCode", "ToolSpec", "Toolbox"]
