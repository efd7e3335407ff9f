"""The API wins over a single-page app's catch-all route registered before it (as Chainlit's is)."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from fastapi.responses import HTMLResponse

from hyanggi.settings import Settings
from ui.api import API_PREFIX, create_api, mount_api


async def test_mounted_api_is_matched_before_the_catch_all() -> None:
    server = FastAPI()

    @server.get("/{full_path:path}")
    async def spa(full_path: str) -> HTMLResponse:
        return HTMLResponse("<html>app</html>")

    mount_api(server, create_api(Settings(), lambda: None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://t") as client:
        health = await client.get(f"{API_PREFIX}/health")
        page = await client.get("/some/page")
        docs = await client.get(f"{API_PREFIX}/openapi.json")
    assert health.headers["content-type"].startswith("application/json") and health.json()["status"] == "starting"
    assert page.text == "<html>app</html>"
    assert "/generate/batch" in docs.json()["paths"]
