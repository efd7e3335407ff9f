"""The REST API as a FastAPI sub-application, mounted on the Chainlit server under ``/api/v1``.

A sub-application keeps our error shape, limits and OpenAPI document separate from Chainlit's own routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.routing import Mount

from hyanggi.settings import Settings
from ui.api.errors import error_response, install_error_handlers
from ui.api.limits import BodyLimitMiddleware, BodyTooLargeError, RateLimiter
from ui.api.routes import public, router

if TYPE_CHECKING:
    from agent.service import ChatService

API_PREFIX = "/api/v1"


def create_api(settings: Settings, provider: Callable[[], ChatService | None],
               problem: Callable[[], str | None] = lambda: None) -> FastAPI:
    """``provider`` returns the running ChatService, or None while it is loading or after ``problem``
    (a Korean message) says why it could not load."""
    api = FastAPI(title="향기 API", description="한국어 향수 설계 도우미 REST API. 키: `X-API-Key` 헤더.",
                  version="1", docs_url="/docs", redoc_url=None, openapi_url="/openapi.json")
    api.state.settings = settings
    api.state.provider = provider
    api.state.problem = problem
    api.state.limiter = RateLimiter(settings.rate_limit_per_minute)
    api.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes)
    install_error_handlers(api)

    @api.exception_handler(BodyTooLargeError)
    async def _too_large(_: Request, exc: BodyTooLargeError) -> JSONResponse:
        return error_response(413, "too_large", str(exc.detail))

    api.include_router(public)
    api.include_router(router)
    return api


def mount_api(server: FastAPI, api: FastAPI) -> None:
    """Mount ``api`` ahead of every route already registered.

    Chainlit registers a catch-all ``GET /{full_path:path}`` (its single-page app) when its server module
    is imported; a mount appended after it would never see a GET. Starlette matches routes in order.
    """
    server.router.routes.insert(0, Mount(API_PREFIX, app=api, name="hyanggi_api"))
