"""`hyanggi mcp`: Hyanggi's tools for other agents (Model Context Protocol), over stdio or streamable HTTP."""

from __future__ import annotations

import asyncio

import typer

from ui.apps import app


@app.command()
def mcp(
    http: bool = typer.Option(False, "--http", help="stdio 대신 streamable HTTP 로 (POST /mcp; REST 와 같은 API 키)"),
    host: str = typer.Option("127.0.0.1", "--host", help="--http 의 주소"),
    port: int = typer.Option(8765, "--port", help="--http 의 포트"),
) -> None:
    """MCP 서버: 검색·설계·점검·가져오기·편집·내보내기 도구 (stdio by default; --http for streamable HTTP)."""
    from hyanggi.settings import get_settings
    from ui.mcp_server import MCP_PATH, http_app, load_deps, open_toolbox, serve_stdio

    settings = get_settings()
    if not http:
        asyncio.run(serve_stdio(settings))
        return
    import uvicorn

    deps = load_deps(settings)  # here, so a missing index is a Korean message rather than a failed startup
    # On standard error, beside the server's own log lines.
    typer.echo(f"향기 MCP: http://{host}:{port}{MCP_PATH}" + ("" if settings.api_keys else
                                                           "  (API 키 없음: HYANGGI_API_KEYS 를 설정하세요)"), err=True)
    uvicorn.run(http_app(settings, host, port, open_toolbox(settings, deps)), host=host, port=port,
                log_level="warning")
