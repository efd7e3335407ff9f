"""Graph state, field by field.

Everything here is plain JSON (dicts, lists, strings) so the SQLite checkpointer stores it without custom
serialisers; pydantic models are rebuilt at node boundaries. Fields marked *per turn* are reset by the
input of each turn; the others are the thread's memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agent.reading import Reading, Route


@dataclass(kw_only=True)
class TurnInput:
    """What a caller hands the graph for one turn."""

    message: str
    """The user's message, already cleaned by ``agent.guard``."""
    level: str = "상세"
    """Answer level: 기본 | 상세 | 프리미엄."""
    concentration: str | None = None
    """Concentration picked in the chat settings (EDC…Extrait); None = from the message or the default."""
    product: str | None = None
    """Product picked in the chat settings or over REST (perfumery.ifra.Product); None = from the message."""
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
    retrieval_log: list[dict[str, Any]] = field(default_factory=list)
    """One entry per search (query, collection, ids, scores, texts) for the store."""
    candidate_ids: list[str] = field(default_factory=list)
    """Materials retrieval offered to the generator and the composer this turn."""
    candidates: list[dict[str, Any]] = field(default_factory=list)
    """Scored candidate formulas of this turn: {"origin": composer|llm:<outcome>|repair, "recipe": Recipe JSON}."""
    revisions: int = 0
    """Critique → revise loops done this turn; bounded by settings.max_revisions."""
    generation_log: list[dict[str, Any]] = field(default_factory=list)
    """Model calls made this turn (backend, prompt, raw output, outcome, speed)."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Level-dependent attachments: batch sheet, cost, alternatives, diff, compliance report."""
    reply: str = ""
    """The Korean answer sent to the user."""
    new_version: bool = False
    """True when this turn produced a new recipe version (the store saves it)."""
    timings_ms: dict[str, float] = field(default_factory=dict)
    """Milliseconds per node this turn."""


def turn_reset(turn: TurnInput) -> dict[str, Any]:
    """The input of a turn: its own fields plus every per-turn field back at its default."""
    return {
        "message": turn.message, "level": turn.level, "concentration": turn.concentration,
        "product": turn.product,
        "injection": turn.injection, "route": None, "reading": None, "retrieved": [], "retrieval_log": [], "candidate_ids": [],
        "candidates": [], "revisions": 0, "generation_log": [],
        "extras": {}, "reply": "", "new_version": False, "timings_ms": {},
    }


def reading_of(state: AgentState) -> Reading:
    """The turn's reading as a model (set by the route node)."""
    return Reading.model_validate(state.reading)
