"""The graph's nodes. Each takes the typed state and the run's ``Runtime`` (its context holds the turn's choices,
``TurnContext``), does one job, and returns only what it adds: logs have reducers (agent/state.py). The
graph's node names are these methods' names.

Nodes call the domain functions they mean (``compose``, ``critiqued``, the searcher); CPU-bound
work runs in worker threads so the chat server's event loop stays responsive, and the model by at most one
turn per llama.cpp context (``Deps.model_lock``). Reading a pasted formula, applying an edit and the design
loop's pieces are ``tools/`` functions, the ones REST and the MCP server call too.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.config import get_stream_writer
from langgraph.runtime import Runtime
from langgraph.types import Command

from agent.deps import Deps
from agent.generators.base import Generator, Outcome
from agent.reading.answers import UNSURE_KO, answer_ids, topic_reply
from agent.reading.edit_parser import EditRequest
from agent.reading.interpret import build_brief
from agent.reading.message import Route, read
from agent.replies import render
from agent.replies.narration_check import NarrationFilter, narration_grounds
from agent.replies.workbench import import_reply_ko, replacements_ko, where_used_ko
from agent.state import AgentState, Candidate, Restart, Source, TurnContext, fresh_turn, ranked
from hyanggi import metrics
from hyanggi.settings import AnswerLevel, GeneratorBackend
from knowledge.documents import CollectionName
from knowledge.kb import KnowledgeBase
from knowledge.search import SearchResult
from perfumery import EditError, compose, critiqued, diff, estimate_cost, scale_batch
from perfumery.brief import Brief
from perfumery.edits import ChangeProduct
from perfumery.formula import FormulaError
from perfumery.ifra import Product
from perfumery.pool import candidate_pool
from perfumery.recipe import Recipe
from perfumery.replacements import replacements
from store import Store
from store.records import GenerationRecord, RetrievalRecord
from tools.design import (
    FALLBACK_HITS,
    candidate_ids,
    fallback_descriptors,
    materials_query,
    revised,
    revision_seed,
)
from tools.workbench import apply_edit, formula_resolver, read_formula

REDIRECT_KO = ("저는 향수 설계를 돕는 '향기'예요. 원하시는 분위기나 계절, 장소를 말씀해 주시면 향을 설계해 드릴게요. "
               "예: \"비 오는 날 카페 같은 포근한 향, 너무 달지 않게\"")
INJECTION_KO = ("그 요청은 도와드릴 수 없어요. 저는 향수 설계 도우미로서의 역할과 내부 지침을 바꾸거나 공개하지 않아요. "
                "대신 원하시는 향을 말씀해 주시면 바로 설계해 드릴게요.")
Turn = Runtime[TurnContext]
Node = Callable[["Nodes", AgentState, Turn], Awaitable[Any]]


def timed(fn: Node) -> Node:
    """Record a node's wall time in ``timings_ms`` under its name (merged by the state's reducer)."""

    async def node(self: Nodes, state: AgentState, runtime: Turn) -> Any:
        start = time.perf_counter()
        result = await fn(self, state, runtime)
        elapsed = {fn.__name__: round((time.perf_counter() - start) * 1000, 1)}
        update = (result.update or {}) if isinstance(result, Command) else result
        # A node that starts the turn (its update empties the timings) records its own time in the fresh log.
        timings = Restart(elapsed) if "timings_ms" in update and update["timings_ms"] is None else elapsed
        update = {**update, "timings_ms": timings}
        return Command(goto=result.goto, update=update) if isinstance(result, Command) else update

    node.__name__ = fn.__name__
    node.__doc__ = fn.__doc__
    return node


def _retrieval_entry(query: str, collection: str, results: list[SearchResult]) -> RetrievalRecord:
    return RetrievalRecord(query=query, collection=collection, ids=[r.id for r in results],
                           scores=[r.score for r in results], texts=[r.text for r in results])


def _new_version(state: AgentState, recipe: Recipe) -> dict[str, Any]:
    """The update that makes ``recipe`` the thread's current formula and its newest kept version."""
    return {"recipe": recipe, "versions": [*state.versions, recipe], "new_version": True}


@dataclass(frozen=True)
class EditTurn:
    """What an edit turn answers: the new version (None when nothing changed), the reply and its extras."""

    recipe: Recipe | None
    reply: str
    extras: dict[str, Any]
    grounded: list[str]


def edit_turn(current: Recipe, request: EditRequest, kb: KnowledgeBase, level: AnswerLevel,
              brief: Brief | None = None, product: Product | None = None) -> EditTurn:
    """One edit turn, synchronously (the chat's edit node and ``hyanggi eval edits`` both run it).

    A material the formula does not hold is said first and offered as a question (``extras["offers"]``),
    never swapped for a similar one; every line that moved is listed with its reason; a sheet weighs the
    concentrate unless the product was asked for. A product chosen in the chat settings that differs from the
    formula's is applied with the edit (its IFRA category and load re-read).
    """
    catalog = kb.catalog
    if request.error_ko and not request.absent:
        return EditTurn(None, request.error_ko, {}, [])
    if request.batch_grams:
        sheet = scale_batch(current, request.batch_grams, catalog, request.batch_basis)
        return EditTurn(None, render.batch_sheet(sheet, current), {"batch": sheet.model_dump(mode="json")}, [])
    if request.cost:
        cost = estimate_cost(current, catalog)
        return EditTurn(None, render.cost_block(cost, current), {"cost": cost.model_dump(mode="json")}, [])
    absent, offers = render.absent_block(request.absent)
    ops = list(request.ops)
    if ops and product is not None and product != current.product \
            and not any(isinstance(op, ChangeProduct) for op in ops):
        ops.insert(0, ChangeProduct(product=product))
    if not ops:
        return EditTurn(None, f"{absent}\n\n포뮬러는 그대로예요 (v{current.version}).", {"offers": offers}, [])
    try:
        result = apply_edit(current, ops, catalog, brief, request.absorb, request.absorb_into)
    except EditError as exc:
        return EditTurn(None, "\n\n".join(filter(None, [absent, exc.message_ko])), {"offers": offers}, [])
    recipe = result.recipe
    reply, grounded = render.recipe_reply(recipe, kb, level, render.change_block(result))
    if request.skipped:
        reply += "\n\n" + render.skipped_block(request.skipped)
    extras = {"diff": diff(current, recipe).model_dump(mode="json"), "offers": offers,
              "changes": [c.model_dump(mode="json") for c in result.changes]}
    return EditTurn(recipe, "\n\n".join(filter(None, [absent, reply])), extras, grounded)


class Nodes:
    def __init__(self, deps: Deps, store: Store | None = None) -> None:
        self.deps = deps
        self.store = store
        """Where-used looks across every stored session when there is a store, else in this thread."""
        self._next: dict[Route, Node] = {
            Route.new_brief: self.interpret, Route.edit: self.edit, Route.question: self.answer,
            Route.compare: self.compare, Route.smalltalk: self.chat, Route.off_topic: self.redirect,
            Route.injection: self.redirect, Route.import_formula: self.import_formula,
            Route.where_used: self.where_used, Route.replacements: self.replacements}

    def _generator(self, turn: TurnContext) -> Generator | None:
        """The language model of this turn: none when the turn asks for the composer alone."""
        return None if turn.backend == GeneratorBackend.composer else self.deps.generator

    async def _search(self, query: str, collection: CollectionName | None = None, k: int = 5) -> list[SearchResult]:
        start = time.perf_counter()
        hits = await asyncio.to_thread(self.deps.searcher.search, query, [collection] if collection else None, k)
        metrics.SEARCH_SECONDS.observe(time.perf_counter() - start)
        return hits

    # --- routing ---------------------------------------------------------------------------
    @timed
    async def route(self, state: AgentState, runtime: Turn) -> Command[Literal[
            "interpret", "edit", "answer", "compare", "chat", "redirect", "import_formula", "where_used",
            "replacements"]]:
        """Read the message once, start the turn afresh and go where the reading says."""
        deps = self.deps
        # Reading the message is the turn's parsing of user text: off the event loop (issue 29).
        reading = await asyncio.to_thread(read, state.message, kb=deps.kb, matcher=deps.matcher, names=deps.names,
                                          recipe=state.recipe, injection=state.injection)
        return Command(goto=self._next[reading.route].__name__,
                       update={**fresh_turn(), "route": reading.route, "reading": reading})

    # --- design loop -----------------------------------------------------------------------
    @timed
    async def interpret(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """The brief a perfumer would write down from the message."""
        deps, turn, reading = self.deps, runtime.context, state.reading
        hits = await self._search(state.message, CollectionName.materials, FALLBACK_HITS)
        brief = build_brief(state.message, deps.kb, reading.matches, reading.mentions, turn.concentration,
                            fallback_descriptors(hits, deps.kb.catalog), product=turn.product)
        return {"brief": brief, "retrieval_log": [_retrieval_entry(state.message, "materials", hits)]}

    @timed
    async def retrieve(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """What grounds the reply, and the materials the composer and the model may use."""
        deps, brief = self.deps, state.brief
        catalog, pool_size = deps.kb.catalog, deps.settings.candidate_pool
        context = await self._search(state.message, k=deps.settings.retrieval_k)
        query = materials_query(state.message, brief)
        materials = await self._search(query, CollectionName.materials, k=pool_size)
        pool = candidate_ids(brief, catalog, [r.id for r in materials], pool_size)
        return {"retrieved": context, "candidate_ids": pool,
                "retrieval_log": [_retrieval_entry(state.message, "all", context),
                                  _retrieval_entry(query, "materials", materials)]}

    @timed
    async def generate(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """Candidate formulas: the composer's variants, and the model's proposals when the turn has a model."""
        deps, brief, turn = self.deps, state.brief, runtime.context
        catalog, settings = deps.kb.catalog, deps.settings
        composed = await asyncio.to_thread(compose, brief, catalog, state.candidate_ids, n=settings.n_candidates,
                                           seed=settings.seed)
        candidates = [Candidate(origin=Source.composer, recipe=r) for r in composed]
        log = []
        generator = self._generator(turn)
        proposals = settings.llm_proposals if turn.proposals is None else turn.proposals
        if generator is not None and proposals:
            # The model chooses from the kind of list it was trained on (perfumery.pool), not the composer's
            # wider retrieval pool: same builder as the training data, seeded by the message.
            pool = candidate_pool(brief, catalog, random.Random(f"{settings.seed}:{state.message}"))
            materials = [catalog.material(m) for m in pool]
            async with deps.model_lock:
                drafts = await asyncio.to_thread(generator.propose, brief, materials, proposals)
            for draft in drafts:
                candidates.append(Candidate(origin=f"{Source.llm}:{draft.record.outcome.value}", recipe=draft.recipe))
                log.append(draft.record)
        return {"candidates": candidates, "generation_log": log}

    @timed
    async def critique(self, state: AgentState, runtime: Turn) -> Command[Literal["revise", "respond"]]:
        """Score every candidate; revise while the best is below the threshold and revisions are left."""
        deps, brief = self.deps, state.brief
        scored = [c.model_copy(update={"recipe": await asyncio.to_thread(critiqued, c.recipe, deps.kb.catalog, brief)})
                  for c in state.candidates]
        scored = ranked(scored)
        best = scored[0].score if scored else 0.0
        again = best < deps.settings.score_threshold and state.revisions < deps.settings.max_revisions
        return Command(goto=(self.revise if again else self.respond).__name__, update={"candidates": scored})

    @timed
    async def revise(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """Apply the critic's own fixes to the best candidates (plain repair where it stated none) and add fresh
        composer variants with new seeds; the critique node scores them all again."""
        deps, brief = self.deps, state.brief
        catalog, settings = deps.kb.catalog, deps.settings
        repaired = [Candidate(origin=f"{Source.repair}:{c.origin}" if c.proposed_by_model else Source.repair,
                              recipe=await asyncio.to_thread(revised, c.recipe, catalog, brief))
                    for c in state.candidates[:2]]
        fresh = await asyncio.to_thread(compose, brief, catalog, state.candidate_ids, n=settings.n_candidates,
                                        seed=revision_seed(settings.seed, state.revisions))
        return {"candidates": [*state.candidates, *repaired, *(Candidate(origin=Source.composer, recipe=r) for r in fresh)],
                "revisions": state.revisions + 1}

    @timed
    async def respond(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """The chosen formula as the thread's next version, narrated and rendered at the turn's level."""
        deps, brief, turn = self.deps, state.brief, runtime.context
        recipe = state.candidates[0].recipe
        extras = await self._premium(recipe, state) if turn.level == AnswerLevel.premium else {}
        intro, log = await self._narrate(recipe, brief, state, self._generator(turn))
        reply, grounded = render.recipe_reply(recipe, deps.kb, turn.level, intro, extras)
        return {**_new_version(state, recipe), "reply": reply, "extras": extras, "generation_log": log,
                "retrieval_log": [self._grounding(grounded)]}

    # --- follow-ups ------------------------------------------------------------------------
    @timed
    async def edit(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """Apply the parsed edit (see ``edit_turn``); a new version only when something changed."""
        turn = runtime.context
        result = await asyncio.to_thread(edit_turn, state.recipe, state.reading.edit, self.deps.kb, turn.level,
                                         state.brief, turn.product)
        update: dict[str, Any] = {"reply": result.reply, "extras": result.extras}
        if result.recipe is not None:
            update.update(_new_version(state, result.recipe))
            update["retrieval_log"] = [self._grounding(result.grounded)]
        return update

    @timed
    async def import_formula(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """A pasted formula becomes the thread's next version, critiqued; lines not read surely are shown back."""
        catalog, turn = self.deps.kb.catalog, runtime.context
        version = max((v.version for v in state.versions), default=0) + 1
        try:
            result = await asyncio.to_thread(
                read_formula, state.message, catalog, resolver=formula_resolver(catalog, self.deps.searcher),
                version=version, concentration=turn.concentration, product=turn.product)
        except FormulaError as exc:
            return {"reply": exc.message_ko}
        recipe = result.recipe
        # What was read (and what to confirm) first, then the critique any formula gets.
        reply, grounded = render.recipe_reply(recipe, self.deps.kb, turn.level, import_reply_ko(result, catalog))
        return {**_new_version(state, recipe), "reply": reply, "retrieval_log": [self._grounding(grounded)]}

    @timed
    async def where_used(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """"헤디온 쓰는 버전 보여줘": every stored version holding the material, with its dose."""
        material_id = state.reading.mentions[0].material_id
        if self.store is not None:
            rows = await self.store.where_used(runtime.context.principal, material_id)
        else:
            rows = [{"recipe_id": v.id, "name": v.name, "version": v.version, "percent": v.percent_of(material_id)}
                    for v in reversed(state.versions) if v.percent_of(material_id) > 0]
        return {"reply": where_used_ko(rows, self.deps.kb.materials[material_id].name_ko)}

    @timed
    async def replacements(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """"이소 이 슈퍼 대체재": candidates with reasons; the person applies one by naming it."""
        material_id = state.reading.mentions[0].material_id
        found = await asyncio.to_thread(replacements, state.recipe, material_id, self.deps.kb.catalog)
        return {"reply": replacements_ko(found, self.deps.kb.materials[material_id].name_ko)}

    @timed
    async def compare(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """Two versions side by side: the ones named ("v1이랑 v3"), else the last two."""
        versions = state.versions
        wanted = render.version_numbers(state.message)
        by_number = {v.version: v for v in versions}
        if len(wanted) >= 2 and all(n in by_number for n in wanted[:2]):
            a, b = by_number[wanted[0]], by_number[wanted[1]]
        elif len(versions) >= 2:
            a, b = versions[-2], versions[-1]
        else:
            return {"reply": "비교할 이전 버전이 아직 없어요. 레시피를 한 번 수정해 보신 뒤 다시 요청해 주세요."}
        change = diff(a, b)
        return {"reply": render.compare_reply(a, b, change), "extras": {"diff": change.model_dump(mode="json")}}

    @timed
    async def answer(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """A question answered from the records it names, a basic from our tables, or an honest "잘 모르겠어요"."""
        deps = self.deps
        results = await self._search(state.message, k=3)
        ids = answer_ids(state.reading, results, state.message, deps.kb)
        reply = render.document_answer(ids, deps.kb) if ids else (topic_reply(state.message, deps.kb.catalog.ifra_amendment) or UNSURE_KO)
        # The records quoted (a material named may not be among the hits) are logged as the reply's grounding.
        return {"reply": reply, "retrieved": [r for r in results if r.id in ids],
                "retrieval_log": [_retrieval_entry(state.message, "all", results), *([self._grounding(ids)] if ids else [])]}

    @timed
    async def chat(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """Small talk gets a sentence, never a formula."""
        return {"reply": render.smalltalk_reply(state.reading.chat)}

    @timed
    async def redirect(self, state: AgentState, runtime: Turn) -> dict[str, Any]:
        """Off-topic messages and injection attempts are turned back to perfume design."""
        return {"reply": INJECTION_KO if state.route == Route.injection else REDIRECT_KO}

    # --- helpers ---------------------------------------------------------------------------
    async def _premium(self, recipe: Recipe, state: AgentState) -> dict[str, Any]:
        catalog = self.deps.kb.catalog
        sheet = await asyncio.to_thread(scale_batch, recipe, 100.0, catalog)
        cost = await asyncio.to_thread(estimate_cost, recipe, catalog)
        alternatives = [c.recipe for c in state.candidates[1:3]]
        return {"batch_md": render.batch_sheet(sheet, recipe), "cost_md": render.cost_block(cost, recipe),
                "compliance_md": render.compliance_report(recipe, self.deps.kb),
                "alternatives_md": render.alternatives(alternatives),
                "batch": sheet.model_dump(mode="json"), "cost": cost.model_dump(mode="json")}

    async def _narrate(self, recipe: Recipe, brief: Brief, state: AgentState,
                       generator: Generator | None) -> tuple[str, list[GenerationRecord]]:
        """Stream the generator's Korean introduction to the UI while collecting it."""
        writer = get_stream_writer()
        # The final reply begins with this line, so the streamed draft is its prefix.
        writer({"token": render.title_line(recipe) + "\n\n"})
        if generator is None:
            return "", []
        records = narration_grounds(recipe, self.deps.kb.catalog, [r.id for r in state.retrieved[:4]],
                                    [r.text for r in state.retrieved[:4]])
        check = NarrationFilter(recipe, brief, self.deps.claims, records,
                                lambda: generator.fallback.narration(recipe, brief),
                                lambda: generator.fallback.mood_sentence(recipe, brief))
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def run() -> Any:
            narration = generator.narrate(recipe, brief)
            for piece in narration:
                loop.call_soon_threadsafe(queue.put_nowait, piece)
            loop.call_soon_threadsafe(queue.put_nowait, None)
            return narration

        async with self.deps.model_lock:
            task = asyncio.create_task(asyncio.to_thread(run))
            while (piece := await queue.get()) is not None:
                # Sentence by sentence, each after its claims are checked: the customer never reads a
                # claim the final reply withdraws (the 270M model misplaces notes, praises what was ruled out).
                for sentence in check.feed(piece):
                    writer({"token": sentence + " "})
            narration = await task
        text, problems, templated = check.finish()
        record = narration.record
        if problems and record is not None:
            record = record.model_copy(update={"outcome": Outcome.fallback if templated else Outcome.repaired,
                                               "problems": [*record.problems, *problems]})
        return text, [record] if record else []

    def _grounding(self, ids: list[str]) -> RetrievalRecord:
        """The KB records the reply quotes, logged as a retrieval so every claim has a logged source."""
        kb = self.deps.kb
        texts = [(kb.materials.get(i) or kb.perfumes.get(i) or kb.accords.get(i)).description_ko for i in ids]
        return RetrievalRecord(query="reply grounding", collection="records", ids=ids, scores=[1.0] * len(ids),
                               texts=texts)

