"""`hyanggi chat`: the Chainlit UI and the REST API (`/api/v1`) on one headless server."""

from __future__ import annotations

import os

import typer

from ui.apps import app


@app.command()
def chat(
    host: str | None = typer.Option(None, "--host", help="주소 (default: settings.host, 127.0.0.1)"),
    port: int | None = typer.Option(None, "--port", help="포트 (default: settings.port, 8000)"),
) -> None:
    """채팅 UI와 REST API 서버를 시작합니다 (chat UI + /api/v1; no browser is opened)."""
    from hyanggi.settings import PACKAGE_ROOT, get_settings

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    # Chainlit reads .chainlit/config.toml, chainlit.md and public/ from its app root at import time.
    os.environ.setdefault("CHAINLIT_APP_ROOT", str(PACKAGE_ROOT))
    os.environ["CHAINLIT_HOST"], os.environ["CHAINLIT_PORT"] = host, str(port)

    from chainlit.config import config

    config.run.headless = True
    config.project.allow_origins = served_origins(host, port)  # before chainlit.server builds its CORS layer

    from chainlit.cli import run_chainlit

    typer.echo(f"향기 채팅: http://{host}:{port}  ·  API: http://{host}:{port}/api/v1/docs")
    run_chainlit(str(PACKAGE_ROOT / "ui" / "chainlit_app.py"))


def served_origins(host: str, port: int) -> list[str]:
    """Browser origins allowed to call the server: the served address only (loopback names are aliases)."""
    loopback = {"127.0.0.1", "localhost", "::1"}
    names = ["127.0.0.1", "localhost"] if host in loopback else [host]
    return [f"http://{name}:{port}" for name in names]
