"""Tenancy over every REST route family, on the real ChatService (graph, store, thread memory) with the scripted
generator: two keys each see only their own work, the admin key sees both. Run on SQLite by the unit tier
(tests/unit/test_api_tenancy.py) and on PostgreSQL by the integration tier (tests/integration/test_tenancy_postgres.py).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from agent.service import ChatService
from jobs.records import JobKind
from jobs.tasks import TASKS
from store.principals import thread_id
from tests.unit.agent_fakes import fake_deps
from ui.api import create_api

KEY_A, KEY_B, ADMIN_KEY = "studio-a-key", "studio-b-key", "operator-key"
A, B = {"X-API-Key": KEY_A}, {"Authorization": f"Bearer {KEY_B}"}
A_ADMIN, B_ADMIN = {**A, "X-Admin-Key": ADMIN_KEY}, {**B, "X-Admin-Key": ADMIN_KEY}
PRINCIPAL_A = "key:studio-a"  # a named key
FORMULA = "베르가못 오일 20g\n헤디온 30g\nIso E Super 35g\n바닐린 5g\n"


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def open_service(database_url: str, work: Path) -> ChatService:
    deps = fake_deps(llm_proposals=0)
    settings = deps.settings.model_copy(update={
        "database_url": database_url, "checkpoint_db": work / "checkpoints.db", "data_dir": work,
        "api_keys": [f"studio-a:{_digest(KEY_A)}", _digest(KEY_B)], "admin_key": _digest(ADMIN_KEY),
        "rate_limit_per_minute": 10_000})
    return await ChatService.open(settings, deps=deps)


async def check_tenancy(service: ChatService, monkeypatch) -> None:  # noqa: ANN001 - pytest's MonkeyPatch
    monkeypatch.setitem(TASKS, JobKind.reindex, lambda *_: {"built": True})
    api = create_api(service.settings, lambda: service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t", timeout=120) as client:
        # A designs a formula in its session, imports another, rates a turn.
        designed = await client.post("/chat", headers=A, json={"message": "비 오는 날 카페 같은 포근한 향 만들어줘",
                                                               "session_id": "studio-brief"})
        assert designed.status_code == 200, designed.text
        session, recipe, turn_id = designed.json()["session"], designed.json()["recipe"]["id"], designed.json()["turn_id"]
        imported = (await client.post("/recipes/import", headers=A, json={"content": FORMULA})).json()
        assert (await client.post("/feedback", headers=A, json={"turn_id": turn_id, "rating": 1})).status_code == 200
        b_own = (await client.post("/generate", headers=B, json={"brief": "상큼한 시트러스 향"})).json()
        b_recipe = b_own["recipe"]["id"]

        # B: every route family answers 404 for A's ids, lists hold none of A's, and nothing of A's changes.
        material = designed.json()["recipe"]["ingredients"][0]["material_id"]
        refused = [
            ("POST", "/chat", {"json": {"message": "더 우디하게", "session_id": session}}),
            ("POST", "/recipes/import", {"json": {"content": FORMULA, "session_id": session}}),
            ("POST", "/recipes/import/file", {"files": {"file": ("f.txt", FORMULA.encode())},
                                              "data": {"session_id": session}}),
            ("GET", f"/sessions/{session}", {}),
            ("POST", "/feedback", {"json": {"turn_id": turn_id, "rating": -1}}),
            ("GET", f"/recipes/{recipe}", {}),
            ("GET", f"/recipes/{recipe}/versions", {}),
            ("GET", f"/recipes/{recipe}/diff", {}),
            ("POST", f"/recipes/{recipe}/edit", {"json": {"ops": [{"op": "remove", "material_id": material}]}}),
            ("GET", f"/recipes/{recipe}/export/csv", {}),
            ("GET", f"/recipes/{recipe}/export/json", {}),
            ("GET", f"/recipes/{recipe}/export/batch-sheet", {}),
            ("GET", f"/recipes/{recipe}/documents/ifra", {}),
            ("GET", f"/recipes/{recipe}/documents/allergens", {}),
            ("GET", f"/recipes/{recipe}/replacements", {"params": {"material_id": material}}),
            ("POST", f"/recipes/{recipe}/replace", {"json": {"material_id": material, "replacement": "hedione"}}),
            ("GET", f"/recipes/{imported['recipe']['id']}", {}),
        ]
        for method, path, options in refused:
            response = await client.request(method, path, headers=B, **options)
            assert response.status_code == 404, (method, path, response.text)
            assert response.json()["error"]["code"] in ("not_found",), (path, response.text)
        assert {r["id"] for r in (await client.get("/recipes", headers=B)).json()} == {b_recipe}
        assert (await client.get("/recipes", headers=B, params={"session_id": session})).json() == []
        assert {s["id"] for s in (await client.get("/sessions", headers=B)).json()} == {b_own["session"]}
        uses = (await client.get(f"/materials/{material}/where-used", headers=B)).json()["uses"]
        assert all(use["recipe_id"] == b_recipe for use in uses)
        assert (await client.get(f"/materials/{material}/where-used", headers=A)).json()["uses"]

        # A sees its own work unchanged, and A's thread memory was never B's to reach.
        versions = (await client.get(f"/recipes/{recipe}/versions", headers=A)).json()
        assert [v["version"] for v in versions] == [1]
        own = (await client.get(f"/sessions/{session}", headers=A)).json()
        assert [t["feedback"] for t in own["turns"]] == [[1]] and own["owner"] == PRINCIPAL_A
        assert {r["id"] for r in (await client.get("/recipes", headers=A)).json()} == {recipe, imported["recipe"]["id"]}
        edited = await client.post("/chat", headers=A, json={"message": "더 우디하게", "session_id": session})
        assert edited.status_code == 200 and edited.json()["recipe"]["version"] == 2, edited.text
        memory = await service.graph.aget_state({"configurable": {"thread_id": thread_id(PRINCIPAL_A, session)}})
        assert memory.values["recipe"].id == recipe and len(memory.values["versions"]) == 2
        assert not (await service.graph.aget_state({"configurable": {"thread_id": session}})).values

        # The admin key (with either API key) sees both principals' work; without it, B still cannot.
        for admin in (A_ADMIN, B_ADMIN):
            assert {r["id"] for r in (await client.get("/recipes", headers=admin)).json()} >= {recipe, b_recipe}
            assert (await client.get(f"/sessions/{session}", headers=admin)).status_code == 200
            assert (await client.get(f"/recipes/{b_recipe}/export/csv", headers=admin)).status_code == 200
        assert (await client.get(f"/sessions/{session}", headers={**B, "X-Admin-Key": "wrong"})).status_code == 403

        # Jobs belong to the key that started them; every admin request sees them.
        job = (await client.post("/admin/reindex", headers=A_ADMIN)).json()
        assert job["owner"] == PRINCIPAL_A
        assert (await client.get(f"/training/jobs/{job['id']}", headers=B_ADMIN)).json()["owner"] == PRINCIPAL_A
