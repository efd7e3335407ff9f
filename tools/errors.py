"""The one failure a tool raises: a machine code and a Korean message fit for the person who asked.

REST turns the code into an HTTP status, the MCP server into a tool error whose text is the message; the
domain's own errors (``FormulaError``, ``EditError``, a store's ``NotFoundError``) become one of these at
the tool boundary, so no caller needs to know them.
"""

from __future__ import annotations

from enum import StrEnum

# The error type of a validation rule whose message is already Korean (``PydanticCustomError(KOREAN_RULE, …)``):
# shown as written wherever validation errors are explained.
KOREAN_RULE = "hyanggi_rule"


class ToolErrorCode(StrEnum):
    invalid_request = "invalid_request"  # the arguments are well-formed but cannot be used as given
    not_found = "not_found"  # a stored recipe that does not exist, or is another principal's
    invalid_formula = "invalid_formula"  # a formula that cannot be read
    invalid_edit = "invalid_edit"  # an edit this formula cannot take
    invalid_batch = "invalid_batch"  # a batch sheet that cannot be weighed as asked: its size, or the dilutions


class ToolError(Exception):
    def __init__(self, code: ToolErrorCode, message_ko: str) -> None:
        super().__init__(message_ko)
        self.code, self.message_ko = code, message_ko
