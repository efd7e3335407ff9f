"""One chat turn, end to end, for every front end (Chainlit, REST, CLI).

The turn is committed to the store *before* its reply is returned or its final event is streamed: an
acknowledged turn is never lost. Bad input gets a Korean answer, a busy model gets "잠시 후 다시", and an
unexpected failure gets an apology — never a traceback.

Each call acts for a ``Principal`` (the REST key or chat login; the CLI and evaluations are ``LOCAL``): a
session or recipe of another principal is "not found", and a session's LangGraph thread is named after its
owner (``store.principals.thread_id``), so a session id alone never reaches another principal's memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, Field
from pydantic_core import to_jsonable_python

from agent.deps import Deps, generation_slots
from agent.graph import build_graph
from agent.reading.guard import clean
from agent.reading.interpret import build_brief
from agent.replies.workbench import import_reply_ko
from agent.state import AgentState, TurnContext, TurnInput
from hyanggi import metrics
from hyanggi.logs import SESSION_ID
from hyanggi.settings import Settings, get_settings
from knowledge.formula_import import ImportResult
from perfumery import Brief, Catalog, EditError, EditOp, Recipe
from perfumery.formula import FormulaFormat
from perfumery.ifra import Product
from perfumery.models import Concentration
from store import LOCAL, NotFoundError, Principal, Store, TurnRecord
from store.checkpointer import ThreadMemory, open_thread_memory
from store.principals import thread_id
from tools import Toolbox, ToolError, ToolErrorCode
from tools.workbench import apply_edit, formula_resolver, read_formula

logger = logging.getLogger(__name__)

BUSY_KO = "지금 다른 요청을 처리하느라 바빠요. 잠시 후 다시 보내 주세요."
TIMEOUT_KO = "응답을 만드는 데 너무 오래 걸려 중단했어요. 조금 더 간단하게 다시 요청해 주세요."
FAILURE_KO = "죄송해요, 요청을 처리하다가 문제가 생겼어요. 이미 저장된 레시피와 대화는 안전합니다. 다시 한 번 시도해 주세요."
TURN_TIMEOUT_FACTOR = 3
IMPORT_MESSAGE = "(레시피 가져오기)"  # the user turn an import stands for in the transcript


class TurnResult(BaseModel):
    session: str
    turn_id: int | None = None
    reply: str
    intent: str
    brief: dict[str, Any] | None = None
    recipe: dict[str, Any] | None = None
    retrieved: list[str] = Field(default_factory=list)
    sources: list[dict[str, Any]] = Field(default_factory=list)
    extras: dict[str, Any] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    error: str | None = None
    chosen: str | None = Field(default=None, description="where the formula the critic chose this turn came from: "
                                                          "composer | llm:<outcome> | repair | repair:llm:<outcome>; None "
                                                          "without a design")

    def contract(self) -> dict[str, Any]:
        """The `hyanggi ask --json` shape of docs/ARCHITECTURE.md §4."""
        return self.model_dump(include={"session", "reply", "intent", "brief", "recipe", "retrieved", "timings_ms"})


class ChatService:
    def __init__(self, settings: Settings, deps: Deps, store: Store, memory: ThreadMemory) -> None:
        self.settings = settings
        self.deps = deps
        self.store = store
        self._memory = memory
        self.graph = build_graph(deps, memory.saver, store)
        self.tools = toolbox_for(deps, store)
        self._waiting = 0
        self._thread_locks: dict[str, asyncio.Lock] = {}

    @classmethod
    async def open(cls, settings: Settings | None = None, deps: Deps | None = None) -> ChatService:
        """Load models and open the databases; must run inside the serving event loop."""
        settings = settings or get_settings()
        deps = deps or await asyncio.to_thread(Deps.load, settings)
        store = await Store.open(settings.db_url)
        return cls(settings, deps, store, await open_thread_memory(settings))

    async def close(self) -> None:
        await self._memory.close()
        await self.store.close()

    async def edit_recipe(self, recipe_id: str, ops: list[EditOp], version: int | None = None, *,
                          principal: Principal = LOCAL) -> Recipe:
        """Apply typed edits outside the chat (REST); the chat thread that owns the recipe continues from the
        new version, so chat and API never hand out the same version number."""
        session = await self.store.recipe_session(principal, recipe_id)
        thread = thread_id(await self._owner(principal, session), session) if session is not None else recipe_id
        async with self._thread_locks.setdefault(thread, asyncio.Lock()):
            recipe = await edit_stored_recipe(self.store, self.deps.kb.catalog, recipe_id, ops, version,
                                              principal=principal)
            if session is not None:
                await self._adopt(thread, recipe)
        return recipe

    async def import_recipe(self, content: str, fmt: FormulaFormat | None = None, session_id: str | None = None,
                            source: str = "api", *, principal: Principal = LOCAL,
                            **settings: Any) -> tuple[ImportResult, str, int]:
        """A perfumer's own formula becomes version 1 of a chat thread: later chat turns edit, critique and
        compare it like any designed formula. ``settings``: name, concentration, product, load_percent.
        Raises ``FormulaError`` (Korean) when the formula cannot be read, ``NotFoundError`` for a session of
        another principal."""
        catalog = self.deps.kb.catalog
        session = session_id or uuid.uuid4().hex[:16]
        thread = thread_id(await self._owner(principal, session), session)
        result = await asyncio.to_thread(read_formula, content, catalog, fmt,
                                         resolver=formula_resolver(catalog, self.deps.searcher), **settings)
        async with self._thread_locks.setdefault(thread, asyncio.Lock()):
            turn_id = await save_import(self.store, catalog, result, session, source, principal=principal)
            config = {"configurable": {"thread_id": thread}}
            state = (await self.graph.aget_state(config)).values
            data = result.recipe.model_dump(mode="json")
            await self.graph.aupdate_state(
                config, {"message": IMPORT_MESSAGE, "recipe": data, "versions": [*state.get("versions", []), data],
                         "reply": import_reply_ko(result, catalog)}, as_node="edit")
        return result, session, turn_id

    async def _owner(self, principal: Principal, session: str) -> str:
        """Whose thread ``session`` is: its owner's, or ``principal``'s when it is new (``NotFoundError`` when
        it is another principal's)."""
        return await self.store.session_owner(principal, session) or principal.id

    async def _adopt(self, thread: str, recipe: Recipe) -> None:
        """Make ``recipe`` the chat thread's current formula, as if the user had asked for it."""
        config = {"configurable": {"thread_id": thread}}
        state = await self.graph.aget_state(config)
        if not state.values:
            return
        memory = AgentState(**state.values)
        if memory.recipe is None or memory.recipe.id != recipe.id:
            return  # the thread has moved on to another formula: leave its memory alone
        await self.graph.aupdate_state(config, {"recipe": recipe, "versions": [*memory.versions, recipe]})

    async def ask(self, message: str, session_id: str | None = None, level: str | None = None,
                  concentration: str | None = None, source: str = "cli", product: str | None = None,
                  **choices: Any) -> TurnResult:
        result: TurnResult | None = None
        async for event in self.stream(message, session_id, level, concentration, source, product, **choices):
            if event["type"] == "result":
                result = event["result"]
        assert result is not None  # stream always ends with a result
        return result

    async def stream(self, message: str, session_id: str | None = None, level: str | None = None,
                     concentration: str | None = None, source: str = "chat", product: str | None = None,
                     backend: str | None = None, proposals: int | None = None, *,
                     principal: Principal = LOCAL) -> AsyncIterator[dict[str, Any]]:
        """Events: {"type": "step", "node", "update"}, {"type": "token", "text"}, then {"type": "result"}.

        The choices (level … proposals) are this turn's ``TurnContext``; None takes the settings' default. A step's
        update is JSON (the state's objects dumped): what a UI or a log reads."""
        session = session_id or uuid.uuid4().hex[:16]
        SESSION_ID.set(session)  # every log record of this turn names its session
        checked = await asyncio.to_thread(clean, message, self.settings.max_message_chars)
        if checked.error_ko:
            metrics.ERRORS.labels("invalid_input").inc()
            yield {"type": "result", "result": TurnResult(session=session, reply=checked.error_ko, intent="invalid",
                                                          error="invalid_input")}
            return
        # The queue size counts per generation slot: a waiting turn's wait stays about the same whatever the
        # number of llama.cpp contexts.
        if self._waiting >= self.settings.generator_queue_size * generation_slots(self.settings):
            metrics.ERRORS.labels("busy").inc()
            yield {"type": "result", "result": TurnResult(session=session, reply=BUSY_KO, intent="busy", error="busy")}
            return
        try:
            thread = thread_id(await self._owner(principal, session), session)
        except NotFoundError:
            yield {"type": "result", "result": TurnResult(session=session, reply=f"세션 {session}을(를) 찾을 수 없어요.",
                                                          intent="not_found", error="not_found")}
            return
        turn = TurnInput(message=checked.text, injection=checked.injection)
        choices = TurnContext(level=level or self.settings.answer_level, concentration=concentration,
                              product=product, backend=backend, proposals=proposals, principal=principal)
        self._waiting += 1
        metrics.WAITING.inc()
        try:
            async with self._thread_locks.setdefault(thread, asyncio.Lock()):
                async for event in self._run(session, thread, turn, choices, source):
                    yield event
        finally:
            self._waiting -= 1
            metrics.WAITING.dec()

    async def _run(self, session: str, thread: str, turn: TurnInput, choices: TurnContext,
                   source: str) -> AsyncIterator[dict[str, Any]]:
        config: RunnableConfig = {"configurable": {"thread_id": thread}}
        start = time.perf_counter()
        error: str | None = None
        first_text = False
        try:
            async with asyncio.timeout(self.settings.generation_timeout_s * TURN_TIMEOUT_FACTOR):
                async for mode, data in self.graph.astream(dataclasses.asdict(turn), config, context=choices,
                                                           stream_mode=["updates", "custom"], durability="sync"):
                    if mode == "custom" and "token" in data:
                        if not first_text:
                            first_text = True
                            metrics.FIRST_TEXT_SECONDS.observe(time.perf_counter() - start)
                        yield {"type": "token", "text": data["token"]}
                    elif mode == "updates":
                        for node, update in data.items():
                            yield {"type": "step", "node": node, "update": to_jsonable_python(update or {})}
            values = (await self.graph.aget_state(config)).values
        except TimeoutError:
            error, values = "timeout", {}
        except Exception:
            logger.exception("turn failed")
            error, values = "failure", {}
        state = AgentState(**values) if values else AgentState(message=turn.message)
        if error:
            state = AgentState(message=turn.message, reply=TIMEOUT_KO if error == "timeout" else FAILURE_KO)
        timings = {**state.timings_ms, "total": round((time.perf_counter() - start) * 1000, 1)}
        result = TurnResult(
            session=session, reply=state.reply, intent=state.route.value if state.route else "error",
            brief=state.brief.model_dump(mode="json") if state.brief else None,
            recipe=state.recipe.model_dump(mode="json") if state.recipe else None,
            retrieved=list(dict.fromkeys(i for r in state.retrieval_log for i in r.ids)),
            sources=[r.model_dump(mode="json") for r in state.retrieved], extras=state.extras, timings_ms=timings,
            error=error, chosen=state.candidates[0].origin if state.candidates else None,
        )
        result.turn_id = await self._commit(session, turn, choices, state, result, source)
        metrics.observe_turn(session, result.intent, timings, error,
                             [g.model_dump(mode="json") for g in state.generation_log])
        yield {"type": "result", "result": result}

    async def _commit(self, session: str, turn: TurnInput, choices: TurnContext, state: AgentState,
                      result: TurnResult, source: str) -> int:
        recipe = state.recipe
        record = TurnRecord(
            session_id=session, user_text=turn.message, reply=result.reply, route=result.intent, level=choices.level.value,
            brief=result.brief, recipe=recipe if recipe and state.new_version else None,
            current_recipe_id=recipe.id if recipe else None, current_recipe_version=recipe.version if recipe else None,
            candidates=[{"origin": c.origin, "id": c.recipe.id, "score": c.recipe.score.total if c.recipe.score else None}
                        for c in state.candidates],
            retrievals=state.retrieval_log, generations=state.generation_log, timings_ms=result.timings_ms,
            source=source,
        )
        return await self.store.commit_turn(choices.principal, record)


async def edit_stored_recipe(store: Store, catalog: Catalog, recipe_id: str, ops: list[EditOp],
                             version: int | None = None, *, principal: Principal) -> Recipe:
    """Edit a stored version (default: the newest) into a new version numbered after the newest stored one.

    One request = one version, whatever number of operations. Raises ``store.NotFoundError`` for an unknown
    recipe and ``EditError`` for an unknown version or an edit the core refuses (messages fit for users).
    """
    versions = await store.list_versions(principal, recipe_id)
    latest = versions[-1]
    base = latest if version is None else next((v for v in versions if v.version == version), None)
    if base is None:
        raise EditError(f"레시피 {recipe_id}에 v{version} 버전이 없어요.")
    recipe = (await asyncio.to_thread(apply_edit, base, ops, catalog)).recipe.model_copy(
        update={"version": latest.version + 1, "parent_version": base.version})
    await store.save_recipe_version(principal, recipe, session_id=await store.recipe_session(principal, recipe_id))
    return recipe


async def save_import(store: Store, catalog: Catalog, result: ImportResult, session: str,
                      source: str = "api", *, principal: Principal) -> int:
    """Commit an imported (critiqued) formula as the turn that opens (or continues) ``session``; its id."""
    recipe = result.recipe
    return await store.commit_turn(principal, TurnRecord(
        session_id=session, user_text=IMPORT_MESSAGE, reply=import_reply_ko(result, catalog), route="import",
        recipe=recipe, current_recipe_id=recipe.id, current_recipe_version=recipe.version, source=source))


class ChatReading:
    """A request read as the chat reads a message (the guard, the lexicon, the material names): what the
    design and check tools are handed, so a brief means the same over MCP as in the chat."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def clean(self, text: str) -> str:
        checked = clean(text, self.deps.settings.max_message_chars)
        if checked.error_ko:
            raise ToolError(ToolErrorCode.invalid_request, checked.error_ko)
        return checked.text

    def brief(self, text: str, *, concentration: Concentration | None, product: Product | None,
              fallback: Sequence[tuple[str, float]]) -> Brief:
        deps = self.deps
        return build_brief(text, deps.kb, deps.matcher.find(text), deps.names.find(text), concentration, fallback,
                           product=product)


def toolbox_for(deps: Deps, store: Store | None = None) -> Toolbox:
    """The typed tools over this process's knowledge and store (REST handlers, the MCP server)."""
    return Toolbox(deps.kb.catalog, deps.searcher, ChatReading(deps), deps.settings, store)


@contextlib.asynccontextmanager
async def chat_service(settings: Settings | None = None) -> AsyncIterator[ChatService]:
    service = await ChatService.open(settings)
    try:
        yield service
    finally:
        await service.close()
