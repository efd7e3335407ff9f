"""Graph state, field by field, and the per-turn choices that travel beside it in the run config.

Everything in the state is plain JSON (dicts, lists, strings) so the SQLite checkpointer stores it without
custom serialisers; ``brief_of`` / ``recipe_of`` / ``reading_of`` turn it back into models. Fields marked
*per turn* are reset by the input of each turn (``turn_reset``); the others are the thread's memory. Logs
have reducers: a node returns only its new entries, and ``None`` (sent by ``turn_reset``) empties them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Annotated, Any

from langchain_core.runnables import RunnableConfig
from pydantic import BaseModel, ConfigDict, Field

from agent.reading import Reading, Route
from hyanggi.settings import AnswerLevel, GeneratorBackend
from perfumery.brief import Brief
from perfumery.ifra import Product
from perfumery.models import Concentration
from perfumery.recipe import Recipe
from store.principals import LOCAL, Principal


def _log(left: list[dict[str, Any]] | None, right: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Append a node's new entries; ``None`` starts the turn's log afresh."""
    return [] if right is None else [*(left or []), *right]


def _timings(left: dict[str, float] | None, right: dict[str, float] | None) -> dict[str, float]:
    return {} if right is None else {**(left or {}), **right}


class TurnConfig(BaseModel):
    """Choices that shape one turn (chat settings, REST fields), read from ``config["configurable"]``
    beside ``thread_id``: the same graph and service serve every combination."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    level: AnswerLevel = AnswerLevel.detailed
    concentration: Concentration | None = Field(default=None, description="None: from the message, else EDP")
    product: Product | None = Field(default=None, description="None: from the message, else fine fragrance")
    backend: GeneratorBackend | None = Field(default=None, description="composer: no language model this turn")
    proposals: int | None = Field(default=None, ge=0, le=3, description="LLM proposals; None: settings")
    principal: Principal = Field(default=LOCAL, description="whom the turn is for: what the store shows it")

    @classmethod
    def of(cls, config: RunnableConfig) -> TurnConfig:
        return cls.model_validate(config.get("configurable") or {})

    def configurable(self, thread_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": thread_id, **self.model_dump(mode="json", exclude_none=True)}}


@dataclass(kw_only=True)
class TurnInput:
    """What a caller hands the graph for one turn."""

    message: str
    """The user's message, already cleaned by ``agent.guard``."""
    injection: bool = False
    """The guard saw a prompt-injection attempt: answer it as such, never obey it."""


@dataclass(kw_only=True)
class AgentState(TurnInput):
    """The graph's working state; the thread's memory persists in the checkpointer between turns."""

    # --- thread memory -------------------------------------------------------------------
    brief: dict[str, Any] | None = None
    """The latest Brief (as JSON); follow-ups refine it instead of starting over."""
    recipe: dict[str, Any] | None = None
    """The current formula (Recipe JSON) that edits apply to."""
    versions: list[dict[str, Any]] = field(default_factory=list)
    """Every version made in this thread, oldest first, for comparisons; nothing is overwritten."""

    # --- per turn ------------------------------------------------------------------------
    route: Route | None = None
    """What the message asks for."""
    reading: dict[str, Any] | None = None
    """The message read once (agent.reading.Reading as JSON): lexicon matches, materials named, the edit."""
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    """Search results used this turn (id, collection, names, score, text) — the grounding of the reply."""
    retrieval_log: Annotated[list[dict[str, Any]], _log] = field(default_factory=list)
    """One entry per search (query, collection, ids, scores, texts) for the store."""
    candidate_ids: list[str] = field(default_factory=list)
    """Materials retrieval offered to the generator and the composer this turn."""
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """Scored candidate formulas of this turn: {"origin": composer|llm:<outcome>|repair, "recipe": Recipe JSON}."""
    revisions: int = 0
    """Critique → revise loops done this turn; bounded by settings.max_revisions."""
    generation_log: Annotated[list[dict[str, Any]], _log] = field(default_factory=list)
    """Model calls made this turn (backend, prompt, raw output, outcome, speed)."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Level-dependent attachments: batch sheet, cost, alternatives, diff, compliance report."""
    reply: str = ""
    """The Korean answer sent to the user."""
    new_version: bool = False
    """True when this turn produced a new recipe version (the store saves it)."""
    timings_ms: Annotated[dict[str, float], _timings] = field(default_factory=dict)
    """Milliseconds per node this turn."""


_LOGS = frozenset({"retrieval_log", "generation_log", "timings_ms"})
_MEMORY = frozenset({"brief", "recipe", "versions"})


def turn_reset(turn: TurnInput) -> dict[str, Any]:
    """The input of a turn: its own fields plus every per-turn field back at its default."""
    reset: dict[str, Any] = dataclasses.asdict(turn)
    for f in dataclasses.fields(AgentState):
        if f.name in reset or f.name in _MEMORY:
            continue
        reset[f.name] = None if f.name in _LOGS else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
    return reset


def reading_of(state: AgentState) -> Reading:
    """The turn's reading as a model (set by the route node)."""
    return Reading.model_validate(state.reading)


def brief_of(state: AgentState) -> Brief | None:
    return Brief.model_validate(state.brief) if state.brief is not None else None


def recipe_of(state: AgentState) -> Recipe | None:
    return Recipe.model_validate(state.recipe) if state.recipe is not None else None
