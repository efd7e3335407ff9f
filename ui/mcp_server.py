"""`hyanggi mcp`: the toolbox (tools/) as a Model Context Protocol server, for other agents.

Built on the official SDK's low-level ``Server``: each tool's input schema is its pydantic request model and
its output schema its response model, so an MCP client sees exactly the types the REST handlers use.
Over stdio (one client, the local principal) or streamable HTTP, where every request passes the REST API's
own guard (``ui.api.routes.guard``: the same API keys, admin key and rate-limit buckets) and a stored recipe
is read as the key's principal. A failure reaches the client as a tool error carrying the Korean message
(and ``{"error": {"code", "message_ko"}}``, the REST error shape), never a traceback.

The knowledge base, searcher and catalog load once per process, before the first request.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.metadata
import logging
from collections.abc import AsyncIterator
from typing import Any

from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from agent.deps import Deps
from agent.service import toolbox_for
from hyanggi.settings import GeneratorBackend, Settings
from store import LOCAL, Principal, Store
from tools import TOOLS, Toolbox, ToolError
from ui.api.errors import ApiError, error_response, validation_message_ko
from ui.api.limits import BodyLimitMiddleware, RateLimiter
from ui.api.routes import api_key_header, bearer, guard
from ui.api.security import API_CSP, SecurityHeadersMiddleware

logger = logging.getLogger(__name__)

MCP_PATH = "/mcp"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")  # a loopback server answers to each of these
PRINCIPAL = "hyanggi_principal"  # request-state key the HTTP guard fills
INSTRUCTIONS_KO = ("향기(Hyanggi): 한국어 향수 설계 도우미의 도구들입니다. design_formula 로 요청 문장에서 처방을 만들고, "
                   "check_formula 로 IFRA·알레르기·사용량을 점검하고, import_formula·edit_formula·export_document 로 "
                   "조향사의 레시피를 다룹니다. IFRA 수치는 점검용이며 공급사의 적합성 증명서가 우선합니다.")
UNKNOWN_TOOL_KO = "알 수 없는 도구예요: {name}. 쓸 수 있는 도구: {names}."
FAILURE_KO = "요청을 처리하다가 문제가 생겼어요. 잠시 후 다시 시도해 주세요."
NO_PRINCIPAL_KO = "요청한 키를 확인하지 못했어요."


def _tool_error(code: str, message_ko: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message_ko)],
                                structuredContent={"error": {"code": code, "message_ko": message_ko}}, isError=True)


def build_server(toolbox: Toolbox) -> Server:
    """An MCP server offering every tool of ``TOOLS`` over ``toolbox``."""
    server: Server = Server("hyanggi", version=importlib.metadata.version("hyanggi"), instructions=INSTRUCTIONS_KO)
    specs = {spec.name: spec for spec in TOOLS}
    listed = [types.Tool(name=spec.name, title=spec.title, description=spec.description,
                         inputSchema=spec.input.model_json_schema(),
                         outputSchema=spec.output.model_json_schema(mode="serialization"),
                         annotations=types.ToolAnnotations(readOnlyHint=True, openWorldHint=False))
              for spec in TOOLS]

    @server.list_tools()
    async def list_tools() -> list[types.Tool]:
        return listed

    # Arguments are validated by the tool's pydantic model (Korean messages), not by the SDK's JSON-schema pass.
    @server.call_tool(validate_input=False)
    async def call_tool(name: str, arguments: dict[str, Any]) -> dict[str, Any] | types.CallToolResult:
        spec = specs.get(name)
        if spec is None:
            return _tool_error("unknown_tool", UNKNOWN_TOOL_KO.format(name=name, names=", ".join(specs)))
        principal = caller(server)
        if principal is None:
            return _tool_error("unauthorized", NO_PRINCIPAL_KO)
        try:
            result = await spec.run(toolbox, spec.input.model_validate(arguments), principal)
        except ValidationError as exc:
            return _tool_error("invalid_request", validation_message_ko(exc))
        except ToolError as exc:
            return _tool_error(exc.code.value, exc.message_ko)
        except Exception:  # noqa: BLE001 - the client gets an apology, the log gets the traceback
            logger.exception("MCP tool %s failed", name)
            return _tool_error("internal_error", FAILURE_KO)
        return result.model_dump(mode="json")

    return server


def caller(server: Server) -> Principal | None:
    """Who is calling: the local principal over stdio, the key's principal over HTTP (None when an HTTP
    request somehow skipped the guard: refused, never treated as local)."""
    request = server.request_context.request
    if request is None:
        return LOCAL
    return getattr(request.state, PRINCIPAL, None)


def load_deps(settings: Settings) -> Deps:
    """Knowledge, lexicon, names and searcher (seconds), loaded once; no language model: every tool is
    deterministic. Raises the setup errors ``hyanggi`` explains (a missing or stale index …)."""
    return Deps.load(settings.model_copy(update={"generator_backend": GeneratorBackend.composer}))


@contextlib.asynccontextmanager
async def open_toolbox(settings: Settings, deps: Deps | None = None) -> AsyncIterator[Toolbox]:
    """The toolbox over ``deps`` (loaded here when not given) and the store, opened in the serving loop."""
    deps = deps or await asyncio.to_thread(load_deps, settings)
    store = await Store.open(settings.db_url)
    try:
        yield toolbox_for(deps, store)
    finally:
        await store.close()


async def serve_stdio(settings: Settings) -> None:
    from mcp.server.stdio import stdio_server

    async with open_toolbox(settings) as toolbox:
        server = build_server(toolbox)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())


# --- streamable HTTP ------------------------------------------------------------------------------
class KeyGuard:
    """Every HTTP request passes the REST API's guard first: a missing or wrong key is 401, too many
    requests 429, in the REST error shape; the principal it finds goes into the request's state."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            principal = await guard(request, await api_key_header(request), await bearer(request))
        except ApiError as exc:
            await error_response(exc.status, exc.code, exc.message_ko, exc.headers)(scope, receive, send)
            return
        scope.setdefault("state", {})[PRINCIPAL] = principal
        await self.app(scope, receive, send)


class _Endpoint:
    """The session manager the app's lifespan started (an ASGI app, so Starlette routes to it as is)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope["app"].state.mcp.handle_request(scope, receive, send)


def transport_security(host: str, port: int) -> TransportSecuritySettings | None:
    """On a loopback address, accept only loopback Host and Origin headers (DNS rebinding: a web page must
    not reach a local server through a name it controls); elsewhere the keys are the protection."""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        return None
    hosts = [f"{name}:{port}" for name in LOOPBACK_NAMES]
    return TransportSecuritySettings(allowed_hosts=hosts, allowed_origins=[f"http://{h}" for h in hosts])


def http_app(settings: Settings, host: str, port: int, toolbox: contextlib.AbstractAsyncContextManager[Toolbox]
             | None = None) -> Starlette:
    """The MCP endpoint at ``/mcp`` (stateless streamable HTTP, JSON responses) behind the REST guard;
    ``toolbox`` (default: ``open_toolbox``) is entered by the app's lifespan."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with toolbox or open_toolbox(settings) as box:
            manager = StreamableHTTPSessionManager(app=build_server(box), json_response=True, stateless=True,
                                                   security_settings=transport_security(host, port))
            async with manager.run():
                app.state.mcp = manager
                yield

    app = Starlette(routes=[Route(MCP_PATH, endpoint=_Endpoint(), methods=["GET", "POST", "DELETE"])],
                    middleware=[Middleware(SecurityHeadersMiddleware, csp=API_CSP),
                                Middleware(BodyLimitMiddleware, max_bytes=settings.max_request_bytes),
                                Middleware(KeyGuard)],
                    lifespan=lifespan)
    app.state.settings = settings  # what the guard reads: keys, admin key …
    app.state.limiter = RateLimiter.from_settings(settings)  # … and the rate-limit buckets
    return app
