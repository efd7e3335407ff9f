"""One error shape for every API failure: ``{"error": {"code", "message_ko"}}`` — Korean text, never a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from store import NotFoundError
from tools import ToolError, ToolErrorCode
from tools.errors import KOREAN_RULE

logger = logging.getLogger(__name__)

_HTTP_KO = {
    400: ("bad_request", "요청 형식이 올바르지 않아요."),
    401: ("unauthorized", "API 키가 없거나 올바르지 않아요."),
    403: ("forbidden", "이 작업을 할 권한이 없어요."),
    404: ("not_found", "요청하신 주소를 찾을 수 없어요."),
    405: ("method_not_allowed", "이 주소에서는 지원하지 않는 요청 방식이에요."),
    413: ("too_large", "요청이 너무 커요."),
    415: ("unsupported_media_type", "JSON 형식으로 보내 주세요."),
    422: ("invalid_request", "요청 내용을 확인해 주세요."),
    429: ("rate_limited", "요청이 너무 많아요. 잠시 후 다시 시도해 주세요."),
    503: ("not_ready", "서비스를 준비하고 있어요. 잠시 후 다시 시도해 주세요."),
}

# Pydantic error types → what a person should fix, in Korean.
_VALIDATION_KO = {
    "missing": "값이 필요해요",
    "string_too_short": "너무 짧아요",
    "string_too_long": "너무 길어요",
    "string_type": "문자열이어야 해요",
    "string_pattern_mismatch": "영문자·숫자·'-'·'_'만 쓸 수 있어요",
    "bool_type": "true 또는 false 여야 해요",
    "int_parsing": "정수여야 해요",
    "int_type": "정수여야 해요",
    "float_parsing": "숫자여야 해요",
    "float_type": "숫자여야 해요",
    "greater_than": "값이 너무 작아요",
    "greater_than_equal": "값이 너무 작아요",
    "less_than": "값이 너무 커요",
    "less_than_equal": "값이 너무 커요",
    "too_short": "항목이 너무 적어요",
    "too_long": "항목이 너무 많아요",
    "enum": "허용된 값 중 하나여야 해요",
    "literal_error": "허용된 값 중 하나여야 해요",
    "union_tag_invalid": "알 수 없는 편집 종류예요",
    "union_tag_not_found": "편집 종류(op)가 필요해요",
    "extra_forbidden": "알 수 없는 항목이에요",
    "json_invalid": "JSON 형식이 올바르지 않아요",
    "model_attributes_type": "객체(JSON object)여야 해요",
    "dict_type": "객체(JSON object)여야 해요",
    "list_type": "목록(JSON array)이어야 해요",
}


class ApiError(Exception):
    """A failure the client can act on; ``headers`` carries e.g. Retry-After."""

    def __init__(self, status: int, code: str, message_ko: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.status, self.code, self.message_ko, self.headers = status, code, message_ko, headers or {}


def error_response(status: int, code: str, message_ko: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message_ko": message_ko}}, status_code=status, headers=headers)


# A tool's failure → the status REST answers it with.
TOOL_STATUS = {ToolErrorCode.invalid_request: 422, ToolErrorCode.not_found: 404, ToolErrorCode.invalid_formula: 409,
               ToolErrorCode.invalid_edit: 409, ToolErrorCode.invalid_batch: 409}


def validation_message_ko(exc: RequestValidationError | ValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path"))
        kind = err.get("type", "")
        what = err.get("msg", "") if kind == KOREAN_RULE else _VALIDATION_KO.get(kind, "값이 올바르지 않아요")
        parts.append(f"{where}: {what}" if where else what)
    return "요청 내용을 확인해 주세요 — " + "; ".join(parts)


_KIND_KO = {"recipe": "레시피", "session": "세션", "turn": "대화 턴", "job": "작업", "dataset": "데이터셋",
            "model": "어댑터", "material": "재료"}


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message_ko, exc.headers)

    @api.exception_handler(ToolError)
    async def _tool_error(_: Request, exc: ToolError) -> JSONResponse:
        return error_response(TOOL_STATUS[exc.code], exc.code.value, exc.message_ko)

    @api.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return error_response(404, "not_found", f"{_KIND_KO.get(exc.kind, exc.kind)} {exc.key}을(를) 찾을 수 없어요.")

    @api.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(422, "invalid_request", validation_message_ko(exc))

    @api.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code, message = _HTTP_KO.get(exc.status_code, ("http_error", "요청을 처리할 수 없어요."))
        return error_response(exc.status_code, code, message, getattr(exc, "headers", None))

    @api.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        logger.exception("API request failed", exc_info=exc)
        return error_response(500, "internal_error", "요청을 처리하다가 문제가 생겼어요. 잠시 후 다시 시도해 주세요.")
