"""The graph's nodes. Each takes the state, does one job, and returns an update (or a typed Command).

CPU-bound work (search, composing, the model) runs in worker threads so the chat server's event loop
stays responsive; the model itself is used by one turn at a time (``Deps.model_lock``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Literal

from langgraph.config import get_stream_writer
from langgraph.types import Command

from agent import render
from agent.answers import UNSURE_KO, answer_ids, topic_reply
from agent.deps import Deps
from agent.generators.base import Outcome
from agent.interpret import build_brief
from agent.reading import Route, read
from agent.state import AgentState, reading_of
from agent.workbench_render import import_reply_ko
from knowledge.formula_import import import_formula
from perfumery import EditError, diff, edit_many
from perfumery.brief import Brief
from perfumery.critic import critiqued
from perfumery.formula import FormulaError
from perfumery.recipe import Recipe

REDIRECT_KO = ("저는 향수 설계를 돕는 '향기'예요. 원하시는 분위기나 계절, 장소를 말씀해 주시면 향을 설계해 드릴게요. "
               "예: \"비 오는 날 카페 같은 포근한 향, 너무 달지 않게\"")
INJECTION_KO = ("그 요청은 도와드릴 수 없어요. 저는 향수 설계 도우미로서의 역할과 내부 지침을 바꾸거나 공개하지 않아요. "
                "대신 원하시는 향을 말씀해 주시면 바로 설계해 드릴게요.")


def timed(name: str) -> Callable:
    """Record a node's wall time in ``timings_ms`` (merged into whatever the node returns)."""

    def wrap(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def node(self: Nodes, state: AgentState) -> Any:
            start = time.perf_counter()
            result = await fn(self, state)
            elapsed = {**state.timings_ms, name: round((time.perf_counter() - start) * 1000, 1)}
            if isinstance(result, Command):
                return Command(goto=result.goto, update={**(result.update or {}), "timings_ms": elapsed})
            return {**result, "timings_ms": elapsed}

        node.__name__ = fn.__name__
        return node

    return wrap


def _retrieval_entry(query: str, collection: str, results: list) -> dict[str, Any]:
    return {"query": query, "collection": collection, "ids": [r.id for r in results],
            "scores": [r.score for r in results], "texts": [r.text for r in results]}


class Nodes:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # --- routing ---------------------------------------------------------------------------
    @timed("route")
    async def route(self, state: AgentState) -> Command[Literal["interpret", "edit", "answer", "compare", "chat",
                                                                "redirect", "import_formula"]]:
        deps = self.deps
        recipe = Recipe.model_validate(state.recipe) if state.recipe is not None else None
        reading = read(state.message, kb=deps.kb, matcher=deps.matcher, names=deps.names, recipe=recipe,
                       injection=state.injection)
        goto = {Route.new_brief: "interpret", Route.edit: "edit", Route.question: "answer", Route.compare: "compare",
                Route.smalltalk: "chat", Route.off_topic: "redirect", Route.injection: "redirect",
                Route.import_formula: "import_formula"}[reading.route]
        return Command(goto=goto, update={"route": reading.route.value, "reading": reading.model_dump(mode="json")})

    # --- design loop -----------------------------------------------------------------------
    @timed("interpret")
    async def interpret(self, state: AgentState) -> dict[str, Any]:
        deps = self.deps
        reading = reading_of(state)
        hits = await deps.tools.call("search_knowledge", query=state.message, collection="materials", k=5)
        fallback = []
        for rank, hit in enumerate(hits):
            for i, descriptor in enumerate(deps.kb.materials[hit.id].descriptors[:2]):
                fallback.append((descriptor, round((1.0 - 0.15 * rank) * (1.0 - 0.3 * i), 3)))
        brief = build_brief(state.message, deps.kb, reading.matches, reading.mentions, state.concentration, fallback,
                            product=state.product)
        return {"brief": brief.model_dump(mode="json"),
                "retrieval_log": [*state.retrieval_log, _retrieval_entry(state.message, "materials", hits)]}

    @timed("retrieve")
    async def retrieve(self, state: AgentState) -> dict[str, Any]:
        deps = self.deps
        brief = Brief.model_validate(state.brief)
        context = await deps.tools.call("search_knowledge", query=state.message, k=deps.settings.retrieval_k)
        query = " ".join([state.message, *brief.top_descriptors(6)])
        materials = await deps.tools.call("search_knowledge", query=query, collection="materials",
                                          k=deps.settings.candidate_pool)
        by_descriptor = deps.kb.catalog.nearest_materials(brief.descriptors, k=deps.settings.candidate_pool) \
            if brief.descriptors else []
        pool = dict.fromkeys([*brief.must_include, *(r.id for r in materials), *(m for m, _ in by_descriptor)])
        avoid = set(brief.avoid_materials)
        candidate_ids = [m for m in pool if m not in avoid and (m in brief.must_include
                                                                 or deps.kb.catalog.composable(m, brief.category))]
        return {
            "retrieved": [r.model_dump(mode="json") for r in context],
            "candidate_ids": candidate_ids,
            "retrieval_log": [*state.retrieval_log, _retrieval_entry(state.message, "all", context),
                              _retrieval_entry(query, "materials", materials)],
        }

    @timed("generate")
    async def generate(self, state: AgentState) -> dict[str, Any]:
        deps = self.deps
        brief = Brief.model_validate(state.brief)
        catalog = deps.kb.catalog
        composed = await deps.tools.call("compose_formulas", brief=brief, candidates=state.candidate_ids,
                                         n=deps.settings.n_candidates, seed=deps.settings.seed)
        candidates = [{"origin": "composer", "recipe": r.model_dump(mode="json")} for r in composed]
        log = list(state.generation_log)
        if deps.generator is not None and deps.settings.llm_proposals:
            materials = [catalog.material(m) for m in state.candidate_ids[: deps.settings.candidate_pool]]
            async with deps.model_lock:
                drafts = await asyncio.to_thread(deps.generator.propose, brief, materials, deps.settings.llm_proposals)
            for draft in drafts:
                candidates.append({"origin": f"llm:{draft.record.outcome.value}",
                                   "recipe": draft.recipe.model_dump(mode="json")})
                log.append(draft.record.model_dump(mode="json"))
        return {"candidates": candidates, "generation_log": log}

    @timed("critique")
    async def critique(self, state: AgentState) -> Command[Literal["revise", "respond"]]:
        deps = self.deps
        brief = Brief.model_validate(state.brief)
        scored = []
        for candidate in state.candidates:
            recipe = await deps.tools.call("critique_formula", recipe=candidate["recipe"], brief=brief)
            scored.append({**candidate, "recipe": recipe.model_dump(mode="json")})
        scored.sort(key=lambda c: -c["recipe"]["score"]["total"])
        best = scored[0]["recipe"]["score"]["total"] if scored else 0.0
        again = best < deps.settings.score_threshold and state.revisions < deps.settings.max_revisions
        return Command(goto="revise" if again else "respond", update={"candidates": scored})

    @timed("revise")
    async def revise(self, state: AgentState) -> dict[str, Any]:
        """Repair the best candidates and add fresh composer variants with new seeds."""
        deps = self.deps
        brief = Brief.model_validate(state.brief)
        repaired = [
            {"origin": "repair",
             "recipe": (await deps.tools.call("repair_formula", recipe=c["recipe"], brief=brief)).model_dump(mode="json")}
            for c in state.candidates[:2]
        ]
        seed = deps.settings.seed + 101 * (state.revisions + 1)
        fresh = await deps.tools.call("compose_formulas", brief=brief, candidates=state.candidate_ids,
                                      n=deps.settings.n_candidates, seed=seed)
        return {"candidates": [*state.candidates, *repaired,
                               *({"origin": "composer", "recipe": r.model_dump(mode="json")} for r in fresh)],
                "revisions": state.revisions + 1}

    @timed("respond")
    async def respond(self, state: AgentState) -> dict[str, Any]:
        deps = self.deps
        brief = Brief.model_validate(state.brief)
        recipe = Recipe.model_validate(state.candidates[0]["recipe"])
        extras = await self._premium(recipe, state) if state.level == "프리미엄" else {}
        intro, log = await self._narrate(recipe, brief, state)
        reply, grounded = render.recipe_reply(recipe, deps.kb, state.level, intro, extras)
        return {"recipe": recipe.model_dump(mode="json"), "versions": [*state.versions, recipe.model_dump(mode="json")],
                "new_version": True, "reply": reply, "extras": extras,
                "generation_log": [*state.generation_log, *log],
                "retrieval_log": [*state.retrieval_log, self._grounding(grounded)]}

    # --- follow-ups ------------------------------------------------------------------------
    @timed("edit")
    async def edit(self, state: AgentState) -> dict[str, Any]:
        deps = self.deps
        current = Recipe.model_validate(state.recipe)
        request = reading_of(state).edit
        if request.error_ko:
            return {"reply": request.error_ko}
        brief = Brief.model_validate(state.brief) if state.brief else None
        if request.batch_grams:
            sheet = await deps.tools.call("scale_formula", recipe=current, grams=request.batch_grams)
            return {"reply": render.batch_sheet(sheet, current), "extras": {"batch": sheet.model_dump(mode="json")}}
        if request.cost:
            cost = await deps.tools.call("estimate_formula_cost", recipe=current)
            return {"reply": render.cost_block(cost, current), "extras": {"cost": cost.model_dump(mode="json")}}
        try:
            recipe = await asyncio.to_thread(edit_many, current, request.ops, deps.kb.catalog)
        except EditError as exc:
            return {"reply": exc.message_ko}
        recipe = await deps.tools.call("critique_formula", recipe=recipe, brief=brief)
        change = diff(current, recipe)
        reply, grounded = render.recipe_reply(recipe, deps.kb, state.level, render.diff_block(change))
        if request.skipped:
            reply += "\n\n" + render.skipped_block(request.skipped)
        return {"recipe": recipe.model_dump(mode="json"), "versions": [*state.versions, recipe.model_dump(mode="json")],
                "new_version": True, "reply": reply, "extras": {"diff": change.model_dump(mode="json")},
                "retrieval_log": [*state.retrieval_log, self._grounding(grounded)]}

    @timed("import_formula")
    async def import_formula(self, state: AgentState) -> dict[str, Any]:
        """A pasted formula becomes the thread's next version, critiqued; lines not read surely are shown back."""
        catalog = self.deps.kb.catalog
        try:
            result = await asyncio.to_thread(import_formula, state.message, catalog,
                                             concentration=state.concentration, product=state.product)
        except FormulaError as exc:
            return {"reply": exc.message_ko}
        version = max((v["version"] for v in state.versions), default=0) + 1
        recipe = await asyncio.to_thread(critiqued, result.recipe.model_copy(update={"version": version}), catalog)
        result = result.model_copy(update={"recipe": recipe})
        data = recipe.model_dump(mode="json")
        return {"recipe": data, "versions": [*state.versions, data], "new_version": True,
                "reply": import_reply_ko(result, catalog)}

    @timed("compare")
    async def compare(self, state: AgentState) -> dict[str, Any]:
        versions = [Recipe.model_validate(v) for v in state.versions]
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

    @timed("answer")
    async def answer(self, state: AgentState) -> dict[str, Any]:
        deps = self.deps
        results = await deps.tools.call("search_knowledge", query=state.message, k=5)
        ids = answer_ids(reading_of(state), results, state.message, deps.kb)
        reply = render.document_answer(ids, deps.kb) if ids else (topic_reply(state.message) or UNSURE_KO)
        return {"reply": reply, "retrieved": [r.model_dump(mode="json") for r in results if r.id in ids],
                "retrieval_log": [*state.retrieval_log, _retrieval_entry(state.message, "all", results)]}

    @timed("chat")
    async def chat(self, state: AgentState) -> dict[str, Any]:
        return {"reply": render.smalltalk_reply(reading_of(state).chat)}

    @timed("redirect")
    async def redirect(self, state: AgentState) -> dict[str, Any]:
        return {"reply": INJECTION_KO if state.route == "injection" else REDIRECT_KO}

    # --- helpers ---------------------------------------------------------------------------
    async def _premium(self, recipe: Recipe, state: AgentState) -> dict[str, Any]:
        sheet = await self.deps.tools.call("scale_formula", recipe=recipe, grams=100.0)
        cost = await self.deps.tools.call("estimate_formula_cost", recipe=recipe)
        alternatives = [Recipe.model_validate(c["recipe"]) for c in state.candidates[1:3]]
        return {"batch_md": render.batch_sheet(sheet, recipe), "cost_md": render.cost_block(cost, recipe),
                "compliance_md": render.compliance_report(recipe, self.deps.kb),
                "alternatives_md": render.alternatives(alternatives),
                "batch": sheet.model_dump(mode="json"), "cost": cost.model_dump(mode="json")}

    async def _narrate(self, recipe: Recipe, brief: Brief, state: AgentState) -> tuple[str, list[dict[str, Any]]]:
        """Stream the generator's Korean introduction to the UI while collecting it."""
        generator = self.deps.generator
        if generator is None:
            return "", []
        writer = get_stream_writer()
        context = [r["text"] for r in state.retrieved[:4]]
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[str | None] = asyncio.Queue()

        def run() -> Any:
            narration = generator.narrate(recipe, brief, context)
            for piece in narration:
                loop.call_soon_threadsafe(queue.put_nowait, piece)
            loop.call_soon_threadsafe(queue.put_nowait, None)
            return narration

        async with self.deps.model_lock:
            task = asyncio.create_task(asyncio.to_thread(run))
            while (piece := await queue.get()) is not None:
                writer({"token": piece})
            narration = await task
        text, record = narration.text, narration.record
        contradicted = self._avoided_words(brief, text)
        if contradicted and record is not None:
            # The 270M model sometimes reads "너무 달지 않게" as a wish for sweetness: the final reply
            # replaces a narration that praises what the person ruled out (the streamed draft is superseded).
            text = generator.fallback.narration(recipe, brief)
            record = record.model_copy(update={
                "outcome": Outcome.fallback,
                "problems": [*record.problems, f"피하려는 향({', '.join(contradicted)})을 내세워 템플릿 설명으로 대체"]})
        return text, [record.model_dump(mode="json")] if record else []

    def _avoided_words(self, brief: Brief, text: str) -> list[str]:
        """Korean words of the brief's firmly avoided descriptors (weight ≥ 0.5) that a narration uses."""
        firm = [d for d, weight in brief.avoid_descriptors.items() if weight >= 0.5]
        words = self.deps.kb.descriptor_words_ko(firm)
        return [w for w in words if w in text]

    def _grounding(self, ids: list[str]) -> dict[str, Any]:
        """The KB records the reply quotes, logged as a retrieval so every claim has a logged source."""
        kb = self.deps.kb
        texts = [(kb.materials.get(i) or kb.perfumes.get(i)).description_ko for i in ids]
        return {"query": "reply grounding", "collection": "materials+perfumes", "ids": ids,
                "scores": [1.0] * len(ids), "texts": texts}

