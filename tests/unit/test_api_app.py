"""The API app: mounted ahead of Chainlit's catch-all, security headers everywhere, an OpenAPI document that
states every status and the auth it enforces."""

from __future__ import annotations

import base64
import hashlib
import re

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


async def test_every_response_carries_security_headers() -> None:
    api = create_api(Settings(max_request_bytes=1024), lambda: None)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
        responses = [await client.get("/health"), await client.get("/recipes"), await client.get("/nowhere"),
                     await client.post("/chat", content=b"x" * 2000), await client.get("/openapi.json")]
        docs = await client.get("/docs")
    for response in responses:
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert [r.status_code for r in responses] == [200, 503, 404, 413, 200]
    policy = docs.headers["content-security-policy"]
    inline = re.search(r"<script>(.*?)</script>", docs.text, re.DOTALL).group(1)
    digest = base64.b64encode(hashlib.sha256(inline.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in policy and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]


def test_openapi_is_the_contract() -> None:
    schema = create_api(Settings(api_keys=["0" * 64]), lambda: None).openapi()
    assert set(schema["components"]["securitySchemes"]) == {"ApiKey", "Bearer", "AdminKey"}
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    error = {"$ref": "#/components/schemas/ErrorResponse"}
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            responses = operation["responses"]
            documented = {code for code in responses if not code.startswith("2")}
            assert all(responses[c]["content"]["application/json"]["schema"] == error for c in documented), path
            if path == "/health":
                continue
            security = [{"ApiKey": []}, {"Bearer": []}]
            if path.startswith(("/training/", "/admin/")):  # operations want an API key *and* the admin key
                security = [{"ApiKey": [], "AdminKey": []}, {"Bearer": [], "AdminKey": []}]
                assert "403" in documented, path
            assert operation["security"] == security, path
            assert {"401", "429", "503", "500"} <= documented, (method, path)
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                assert {"400", "413", "415", "422"} <= documented, path
            if "{" in path or path == "/feedback":
                assert "404" in documented, path
    assert schema["paths"]["/feedback"]["post"]["requestBody"]  # bounds below come from the same models
    feedback = schema["components"]["schemas"]["FeedbackRequest"]["properties"]["turn_id"]
    assert feedback["maximum"] == 2**53 - 1  # exact as a JSON number, storable in SQLite
    # Without keys the same operations say so: anonymous callers are accepted.
    open_schema = create_api(Settings(), lambda: None).openapi()
    assert open_schema["paths"]["/recipes"]["get"]["security"][-1] == {}
    assert open_schema["paths"]["/admin/status"]["get"]["security"] == [{"AdminKey": []}]  # never anonymous


async def test_every_api_path_however_malformed_answers_in_the_api_error_shape() -> None:
    """A newline in a path (`%0A`) once fell through Starlette's mount to the chat app's 404 page."""
    server = FastAPI()

    @server.get("/{full_path:path}")
    async def _spa(full_path: str) -> HTMLResponse:  # Chainlit's catch-all, as the real server has it
        return HTMLResponse("<html>chat</html>")

    mount_api(server, create_api(Settings(), lambda: None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=server), base_url="http://t") as client:
        for path in ("/api/v1/sessions/probe%0A", "/api/v1/a%0Ab/c", "/api/v1/%0A", "/api/v1/recipes/x%0D%0Ay",
                     "/api/v1/nowhere", "/api/v1/sessions/%00"):
            response = await client.get(path)
            assert response.headers["content-type"] == "application/json", path
            assert set(response.json()["error"]) == {"code", "message_ko"}, path
        assert (await client.get("/chat/page")).text == "<html>chat</html>"
