"""A fake ChatService for the REST API tests: a real SQLite store in a temp dir, a scripted turn, a list searcher."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

from agent.service import BUSY_KO, TurnResult, edit_stored_recipe, save_import
from hyanggi.settings import Settings
from knowledge.documents import CollectionName
from knowledge.formula_import import ImportResult
from knowledge.search import SearchResult
from perfumery import Brief, EditOp, critiqued
from perfumery.formula import FormulaFormat
from perfumery.recipe import Recipe
from store import LOCAL, Principal, Store, TurnRecord
from tests.unit.perfumery_fixtures import CATALOG
from tools import Toolbox
from tools.workbench import formula_resolver, read_formula

FORMULA = {"bergamot_oil": 20.0, "hedione": 30.0, "iso_e_super": 35.0, "vanillin": 15.0}


class ListSearcher:
    def __init__(self) -> None:
        self.queries: list[tuple[str, object, int]] = []

    def search(self, query: str, collections=None, k: int = 5, **_: object) -> list[SearchResult]:
        self.queries.append((query, collections, k))
        return [SearchResult(id="hedione", collection=CollectionName.materials, name_ko="헤디온", name_en="Hedione",
                             cas="24851-98-7", score=1.0, text="재스민 같은 투명한 플로럴")][:k]


class LiteralReading:
    """A brief reader for the small test catalog: the text as given, the fallback as its descriptors."""

    def clean(self, text: str) -> str:
        return text.strip()

    def brief(self, text: str, *, concentration=None, product=None, fallback=()) -> Brief:
        return Brief(text=text, descriptors=dict(fallback), **({"product": product} if product else {}),
                     **({"concentration": concentration} if concentration else {}))


class FakeService:
    """``ask`` designs the same four-material formula (or answers without one), and commits like the real one."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.deps = SimpleNamespace(searcher=ListSearcher(), kb=SimpleNamespace(catalog=CATALOG), generator=None)
        self.tools = Toolbox(CATALOG, self.deps.searcher, LiteralReading(), Settings(), store)
        self.calls: list[dict] = []

    async def ask(self, message: str, session_id: str | None = None, level: str | None = None,
                  concentration: str | None = None, source: str = "cli", product: str | None = None, *,
                  principal: Principal = LOCAL) -> TurnResult:
        self.calls.append({"message": message, "session_id": session_id, "level": level,
                           "concentration": concentration, "source": source, "product": product,
                           "principal": principal})
        session = session_id or uuid.uuid4().hex[:16]
        if message == "busy":
            return TurnResult(session=session, reply=BUSY_KO, intent="busy", error="busy")
        if message == "boom":
            raise RuntimeError("secret internal detail")
        recipe = None
        if "향" in message:
            recipe = critiqued(Recipe(name="테스트 향", ingredients=[CATALOG.ingredient(m, p) for m, p in FORMULA.items()]),
                               CATALOG)
        reply = "레시피를 만들었어요." if recipe else "헤디온은 투명한 재스민 향이에요."
        turn_id = await self.store.commit_turn(principal, TurnRecord(
            session_id=session, user_text=message, reply=reply, route="new_brief" if recipe else "question",
            recipe=recipe, source=source))
        return TurnResult(session=session, turn_id=turn_id, reply=reply, intent="new_brief" if recipe else "question",
                          recipe=recipe.to_contract() if recipe else None)

    async def edit_recipe(self, recipe_id: str, ops: list[EditOp], version: int | None = None, *,
                          principal: Principal = LOCAL) -> Recipe:
        return await edit_stored_recipe(self.store, CATALOG, recipe_id, ops, version, principal=principal)

    async def import_recipe(self, content: str, fmt: FormulaFormat | None = None, session_id: str | None = None,
                            source: str = "api", *, principal: Principal = LOCAL,
                            **settings: object) -> tuple[ImportResult, str, int]:
        session = session_id or uuid.uuid4().hex[:16]
        result = read_formula(content, CATALOG, fmt, resolver=formula_resolver(CATALOG, self.deps.searcher),
                              **settings)
        turn_id = await save_import(self.store, CATALOG, result, session, source, principal=principal)
        return result, session, turn_id
