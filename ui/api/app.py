"""The REST API as a FastAPI sub-application, mounted on the Chainlit server under ``/api/v1``.

A sub-application keeps our error shape, limits, security headers and OpenAPI document separate from
Chainlit's own routes.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp

from hyanggi.logs import RequestIdMiddleware
from hyanggi.metrics import exposition
from hyanggi.settings import Settings
from jobs.ledger import ledger_for
from ui.api.admin import operations
from ui.api.contract import contract
from ui.api.errors import error_response, install_error_handlers
from ui.api.limits import BodyLimitMiddleware, BodyTooLargeError, RateLimiter
from ui.api.routes import public, router
from ui.api.security import API_CSP, SecurityHeadersMiddleware, page_csp

if TYPE_CHECKING:
    from agent.service import ChatService

API_PREFIX = "/api/v1"
SWAGGER_CDN = "https://cdn.jsdelivr.net"


def create_api(settings: Settings, provider: Callable[[], ChatService | None],
               problem: Callable[[], str | None] = lambda: None, limiter: RateLimiter | None = None) -> FastAPI:
    """``provider`` returns the running ChatService, or None while it is loading or after ``problem``
    (a Korean message) says why it could not load. ``limiter`` is shared with the chat socket, so a client
    has one budget whichever door it uses."""
    api = FastAPI(title="향기 API",
                  description="한국어 향수 설계 도우미 REST API. 키가 설정된 서버는 `X-API-Key` 헤더 "
                              "(또는 `Authorization: Bearer`)를 요구해요. 세션·레시피·평가·작업은 만든 키의 것이라 "
                              "다른 키에는 404로 답해요; `X-Admin-Key` 를 함께 보내면 모든 키의 기록을 봐요. 모든 오류는 "
                              '`{"error": {"code", "message_ko"}}` 형식이에요.',
                  version="1", docs_url=None, redoc_url=None, openapi_url="/openapi.json")
    api.state.settings = settings
    api.state.provider = provider
    api.state.problem = problem
    api.state.limiter = limiter or RateLimiter.from_settings(settings)
    api.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    api.add_middleware(SecurityHeadersMiddleware, csp=API_CSP)
    api.add_middleware(RequestIdMiddleware)
    install_error_handlers(api)

    @api.exception_handler(BodyTooLargeError)
    async def _too_large(_: Request, exc: BodyTooLargeError) -> JSONResponse:
        return error_response(413, "too_large", str(exc.detail))

    @api.get("/docs", include_in_schema=False)
    async def _docs(request: Request) -> HTMLResponse:
        """Swagger UI, with a CSP that admits its CDN and its one inline script (by hash)."""
        page = get_swagger_ui_html(openapi_url=request.scope.get("root_path", "") + api.openapi_url,
                                   title=f"{api.title} — docs")
        page.headers["Content-Security-Policy"] = page_csp(
            page.body.decode(), scripts=[SWAGGER_CDN], styles=[SWAGGER_CDN], images=["https://fastapi.tiangolo.com"])
        return page

    @api.get("/metrics", include_in_schema=False)
    async def _metrics() -> Response:
        """Prometheus scrape of this worker (no personal data: counts and latencies only)."""
        # Job states once the service is up (it migrates the database the ledger reads).
        counts = ledger_for(settings.db_url).counts if provider() is not None else None
        body, content_type = await asyncio.to_thread(exposition, counts)
        return Response(content=body, media_type=content_type)

    api.include_router(public)
    api.include_router(router)
    api.include_router(operations)
    api.openapi = contract(api, settings)  # type: ignore[method-assign]
    return api


class ApiMount(Mount):
    """A mount that takes every path under its prefix, whatever it holds.

    Starlette's own pattern is ``^/prefix/(?P<path>.*)$``: ``.`` stops at a newline, so ``/api/v1/a%0Ab``
    would fall through to the chat app's 404 in the wrong error shape. Here any character matches, up to the
    very end of the path, and the API answers every one of its paths in its own error shape.
    """

    def __init__(self, path: str, app: ASGIApp, name: str) -> None:
        super().__init__(path, app=app, name=name)
        self.path_regex = re.compile(rf"^{re.escape(self.path)}/(?P<path>.*)\Z", re.DOTALL)


def mount_api(server: FastAPI, api: FastAPI) -> None:
    """Mount ``api`` ahead of every route already registered.

    Chainlit registers a catch-all ``GET /{full_path:path}`` (its single-page app) when its server module
    is imported; a mount appended after it would never see a GET. Starlette matches routes in order.
    """
    server.router.routes.insert(0, ApiMount(API_PREFIX, app=api, name="hyanggi_api"))
