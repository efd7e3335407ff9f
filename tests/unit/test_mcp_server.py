"""The MCP server through a real MCP client session: in memory (what stdio carries) and over streamable HTTP
in process, on the real knowledge data with the keyword searcher. The command itself, over stdio and HTTP
with the real index, is tests/integration/test_mcp.py."""

import contextlib
import hashlib
import json

import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.memory import create_connected_server_and_client_session

from agent.service import toolbox_for
from hyanggi.settings import Settings
from perfumery import Recipe, critique
from store import Principal, Store
from tests.unit.agent_fakes import fake_deps
from tools import TOOLS
from ui.mcp_server import FAILURE_KO, MCP_PATH, build_server, http_app

BRIEF = "비 오는 날 카페 같은 포근한 향, 너무 달지 않게"
KEYS = {"alice": "alice-key", "bob": "bob-key"}


@pytest.fixture(scope="module")
def deps():
    return fake_deps()


@pytest.fixture
async def store(tmp_path):
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'mcp.db'}")
    yield store
    await store.close()


@contextlib.asynccontextmanager
async def in_memory(deps, store=None):
    async with create_connected_server_and_client_session(build_server(toolbox_for(deps, store))) as session:
        yield session


def error_of(result: types.CallToolResult) -> dict:
    assert result.isError and result.structuredContent is not None
    error = result.structuredContent["error"]
    assert result.content[0].text == error["message_ko"] and "Traceback" not in error["message_ko"]
    return error


async def test_lists_every_tool_with_its_models_as_schemas(deps) -> None:
    async with in_memory(deps) as session:
        listed = (await session.list_tools()).tools
    assert [t.name for t in listed] == [spec.name for spec in TOOLS]
    for tool, spec in zip(listed, TOOLS, strict=True):
        assert tool.inputSchema == spec.input.model_json_schema()
        assert tool.outputSchema == spec.output.model_json_schema(mode="serialization")
        assert tool.description == spec.description and tool.annotations.readOnlyHint


async def test_designs_from_a_korean_brief_and_the_check_agrees_with_the_critic(deps) -> None:
    async with in_memory(deps) as session:
        designed = await session.call_tool("design_formula", {"brief": BRIEF})
        assert not designed.isError  # and the client validated it against the output schema
        recipe = designed.structuredContent["recipe"]
        checked = await session.call_tool("check_formula", {"recipe": recipe, "brief": BRIEF})
    assert json.loads(designed.content[0].text)["recipe"]["id"] == recipe["id"]
    verdict = checked.structuredContent
    formula = Recipe.model_validate(recipe)
    assert abs(formula.total_percent - 100) < 0.01 and formula.ingredients[0].cas
    assert verdict["score"] == formula.score.model_dump(mode="json") == recipe["score"]
    critic = critique(formula, deps.kb.catalog)
    assert verdict["ifra"]["status"] == critic.compliance_status.value
    assert sum(len(v) for v in verdict["violations"].values()) == len(formula.violations)


async def test_failures_are_tool_errors_in_korean(deps, monkeypatch) -> None:
    async with in_memory(deps) as session:
        invalid = error_of(await session.call_tool("design_formula", {"brief": ""}))
        assert invalid["code"] == "invalid_request" and "brief" in invalid["message_ko"]
        both = error_of(await session.call_tool("check_formula", {}))
        assert "하나만" in both["message_ko"]
        unreadable = error_of(await session.call_tool("import_formula", {"content": "그냥 좋은 향"}))
        assert unreadable["code"] == "invalid_formula" and "줄" in unreadable["message_ko"]
        unknown = error_of(await session.call_tool("brew_coffee", {}))
        assert unknown["code"] == "unknown_tool" and "design_formula" in unknown["message_ko"]
        stored = error_of(await session.call_tool("check_formula", {"recipe_id": "abc"}))
        assert stored["code"] == "invalid_request"  # this server has no store

        def boom(*_: object) -> None:
            raise RuntimeError("secret internal detail")

        monkeypatch.setattr("tools.toolbox.search", boom)
        failed = error_of(await session.call_tool("search_knowledge", {"query": "장미"}))
    assert failed == {"code": "internal_error", "message_ko": FAILURE_KO}


async def test_over_stdio_the_caller_is_the_local_principal(deps, store) -> None:
    recipe = Recipe(ingredients=[deps.kb.catalog.ingredient("hedione", 60.0), deps.kb.catalog.ingredient(
        "iso_e_super", 40.0)])
    await store.save_recipe_version(Principal(id="local"), recipe)
    async with in_memory(deps, store) as session:
        exported = await session.call_tool("export_document", {"recipe_id": recipe.id, "kind": "csv"})
    assert not exported.isError and "hedione" in exported.structuredContent["text"]


# --- streamable HTTP, in process ---------------------------------------------------------------------
def keyed_settings(tmp_path, **overrides) -> Settings:
    return Settings(data_dir=tmp_path, api_keys=[f"{name}:{hashlib.sha256(key.encode()).hexdigest()}"
                                                 for name, key in KEYS.items()], **overrides)


@contextlib.asynccontextmanager
async def http_client(app, headers: dict[str, str] | None = None):
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765", headers=headers) as client:
        yield client


@contextlib.asynccontextmanager
async def mcp_over_http(client: httpx.AsyncClient):
    async with streamable_http_client(f"http://127.0.0.1:8765{MCP_PATH}", http_client=client) as (read, write, _), \
            ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def test_http_needs_a_key_and_reads_stored_recipes_as_its_principal(deps, store, tmp_path) -> None:
    recipe = Recipe(ingredients=[deps.kb.catalog.ingredient("hedione", 60.0), deps.kb.catalog.ingredient(
        "iso_e_super", 40.0)])
    await store.save_recipe_version(Principal(id="key:alice"), recipe)
    app = http_app(keyed_settings(tmp_path), "127.0.0.1", 8765, contextlib.nullcontext(toolbox_for(deps, store)))
    async with http_client(app) as anonymous:
        refused = await anonymous.post(MCP_PATH, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                       headers={"Accept": "application/json, text/event-stream"})
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "unauthorized"
        assert "API 키" in refused.json()["error"]["message_ko"]
        with pytest.raises(ExceptionGroup) as failed:  # the SDK client: the 401 from its transport's task group
            async with mcp_over_http(anonymous):
                pass
        assert failed.group_contains(httpx.HTTPStatusError, match="401")
        malformed = await anonymous.post(MCP_PATH, json={}, headers={"Authorization": "Token alice-key"})
        assert malformed.status_code == 401
    async with http_client(app, {"X-API-Key": KEYS["alice"]}) as alice, mcp_over_http(alice) as session:
        assert len((await session.list_tools()).tools) == len(TOOLS)
        mine = await session.call_tool("check_formula", {"recipe_id": recipe.id})
        assert not mine.isError and mine.structuredContent["recipe_id"] == recipe.id
    async with http_client(app, {"Authorization": f"Bearer {KEYS['bob']}"}) as bob, mcp_over_http(bob) as session:
        hidden = error_of(await session.call_tool("check_formula", {"recipe_id": recipe.id}))
        assert hidden["code"] == "not_found"


async def test_http_shares_the_rest_rate_limit(deps, tmp_path) -> None:
    app = http_app(keyed_settings(tmp_path, rate_limit_per_minute=3), "127.0.0.1", 8765,
                   contextlib.nullcontext(toolbox_for(deps)))
    body = {"jsonrpc": "2.0", "id": 1, "method": "ping"}
    headers = {"X-API-Key": KEYS["alice"], "Accept": "application/json, text/event-stream"}
    async with http_client(app, headers) as client:
        answers = [await client.post(MCP_PATH, json=body) for _ in range(4)]
    assert all(a.status_code != 429 for a in answers[:3]) and answers[-1].status_code == 429
    assert int(answers[-1].headers["Retry-After"]) >= 1


async def test_a_foreign_host_is_refused_on_a_loopback_server(deps, tmp_path) -> None:
    app = http_app(keyed_settings(tmp_path), "127.0.0.1", 8765, contextlib.nullcontext(toolbox_for(deps)))
    statuses = {}
    async with http_client(app, {"X-API-Key": KEYS["alice"]}) as client:
        for host in ("evil.example:8765", "localhost:8765", "[::1]:8765"):
            answer = await client.post(MCP_PATH, json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                                       headers={"Accept": "application/json, text/event-stream", "Host": host})
            statuses[host] = answer.status_code
    assert statuses == {"evil.example:8765": 421, "localhost:8765": 200, "[::1]:8765": 200}
