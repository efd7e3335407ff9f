"""Graph state, field by field, and the per-turn choices that travel beside it as the run's context.

The state holds domain objects — a ``Brief``, ``Recipe`` versions, the message's ``Reading``, scored
``Candidate`` formulas, typed log entries — so a node reads ``state.recipe.ingredients``, not
``state["recipe"]["ingredients"]``, and go-to-definition leads from a node to the domain. The checkpointer
stores them through its serializer, restricted to the classes listed here (``STATE_CLASSES``); a thread saved
as JSON dicts before this change is read back into the same objects (``AgentState.__post_init__``).

Fields marked *per turn* are reset by the route node at the start of each turn (``fresh_turn``); the others
are the thread's memory. Logs have reducers: a node returns only its new entries, and ``None`` empties them.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from agent.reading.message import Reading, Route
from hyanggi.settings import AnswerLevel, GeneratorBackend
from knowledge.search import SearchResult
from perfumery.brief import Brief
from perfumery.critic import holds_ground
from perfumery.ifra import Product
from perfumery.models import Concentration
from perfumery.recipe import Recipe
from store.principals import LOCAL, Principal
from store.records import GenerationRecord, RetrievalRecord


def _log(left: list[Any] | None, right: list[Any] | None) -> list[Any]:
    """Append a node's new entries; ``None`` starts the turn's log afresh."""
    return [] if right is None else [*(left or []), *right]


@dataclass(frozen=True)
class Restart:
    """A timings update that first empties the turn's timings: the route node resets the turn and records its own
    time in one update, which a plain ``None`` followed by a dict cannot say."""

    entries: dict[str, float]


def _timings(left: dict[str, float] | None, right: dict[str, float] | Restart | None) -> dict[str, float]:
    if right is None:
        return {}
    if isinstance(right, Restart):
        return dict(right.entries)
    return {**(left or {}), **right}


class TurnContext(BaseModel):
    """Choices that shape one turn (chat settings, REST fields) and whom it is for: the graph's runtime context
    (``graph.astream(…, context=…)``, ``Runtime.context`` in a node). The same graph serves every combination."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: AnswerLevel = AnswerLevel.detailed
    concentration: Concentration | None = Field(default=None, description="None: from the message, else EDP")
    product: Product | None = Field(default=None, description="None: from the message, else fine fragrance")
    backend: GeneratorBackend | None = Field(default=None, description="composer: no language model this turn")
    proposals: int | None = Field(default=None, ge=0, le=3, description="LLM proposals; None: settings")
    principal: Principal = Field(default=LOCAL, description="whom the turn is for: what the store shows it")


class Source(enum.StrEnum):
    """Who made a candidate formula: the parts of its ``origin`` — ``composer``, ``llm:<outcome>``, ``repair`` (a
    composer formula the revise node repaired) or ``repair:llm:<outcome>`` (a model proposal it repaired, still
    the model's). The origin stays one string, as the checkpoints, the store and the turn results keep it; it is
    built and read only here and in ``agent.nodes``."""

    composer = "composer"
    llm = "llm"
    repair = "repair"


def source_of(origin: str) -> str:
    """The first part of an origin: ``llm:<outcome>`` → ``llm``, ``repair:llm:<outcome>`` → ``repair``."""
    return origin.split(":", 1)[0]


def model_origin(origin: str) -> bool:
    """The model's proposal, as proposed or as the revise node repaired it: guarded alike, counted alike."""
    return source_of(origin.removeprefix(f"{Source.repair}:")) == Source.llm


def repaired_origin(origin: str) -> bool:
    """A formula the revise node repaired, whoever proposed it."""
    return source_of(origin) == Source.repair


class Candidate(BaseModel):
    """A formula the design loop considers this turn, and where it came from."""

    origin: str = Field(description="composer | llm:<outcome> | repair | repair:llm:<outcome> (``Source``)")
    recipe: Recipe

    @property
    def score(self) -> float:
        return self.recipe.score.total if self.recipe.score else 0.0

    @property
    def proposed_by_model(self) -> bool:
        return model_origin(self.origin)


def ranked(candidates: list[Candidate]) -> list[Candidate]:
    """Scored candidates, best first by the critic's total — except that a model proposal below the best composer
    formula on IFRA compliance or dose realism (``perfumery.critic.GUARDED``) ranks just after that formula: a
    higher total must not buy a less legal or less realistic formula (issue 31)."""
    composed = [c.recipe.score for c in candidates if c.origin == Source.composer and c.recipe.score]
    reference = max(composed, key=lambda card: card.total, default=None)

    def rank(c: Candidate) -> tuple[float, bool]:
        if reference is not None and c.proposed_by_model and c.recipe.score is not None \
                and not holds_ground(c.recipe.score, reference):
            return (-min(c.score, reference.total), True)
        return (-c.score, False)

    return sorted(candidates, key=rank)


@dataclass(kw_only=True)
class TurnInput:
    """What a caller hands the graph for one turn (the graph's input schema)."""

    message: str
    """The user's message, already cleaned by ``agent.reading.guard``."""
    injection: bool = False
    """The guard saw a prompt-injection attempt: answer it as such, never obey it."""


@dataclass(kw_only=True)
class AgentState(TurnInput):
    """The graph's working state; the thread's memory persists in the checkpointer between turns."""

    # --- thread memory -------------------------------------------------------------------
    brief: Brief | None = None
    """The latest brief; follow-ups refine it instead of starting over."""
    recipe: Recipe | None = None
    """The current formula that edits apply to."""
    versions: list[Recipe] = field(default_factory=list)
    """Every version made in this thread, oldest first, for comparisons; nothing is overwritten."""

    # --- per turn ------------------------------------------------------------------------
    route: Route | None = None
    """What the message asks for."""
    reading: Reading | None = None
    """The message read once: lexicon matches, materials named, the parsed edit."""
    retrieved: list[SearchResult] = field(default_factory=list)
    """Search results used this turn — the grounding of the reply."""
    retrieval_log: Annotated[list[RetrievalRecord], _log] = field(default_factory=list)
    """One entry per search (query, collection, ids, scores, texts) for the store."""
    candidate_ids: list[str] = field(default_factory=list)
    """Materials retrieval offered to the generator and the composer this turn."""
    candidates: list[Candidate] = field(default_factory=list)
    """Scored candidate formulas of this turn, best first once critiqued."""
    revisions: int = 0
    """Critique → revise loops done this turn; bounded by settings.max_revisions."""
    generation_log: Annotated[list[GenerationRecord], _log] = field(default_factory=list)
    """Model calls made this turn (backend, prompt, raw output, outcome, speed)."""
    extras: dict[str, Any] = field(default_factory=dict)
    """Level-dependent attachments as JSON: batch sheet, cost, alternatives, diff, offers, compliance report."""
    reply: str = ""
    """The Korean answer sent to the user."""
    new_version: bool = False
    """True when this turn produced a new recipe version (the store saves it)."""
    timings_ms: Annotated[dict[str, float], _timings] = field(default_factory=dict)
    """Milliseconds per node this turn."""

    def __post_init__(self) -> None:
        # A thread checkpointed before the state was typed holds JSON dicts, and PostgreSQL's saver keeps a
        # string-valued enum (the route) inline as its string: read every such field back into its objects.
        # Fields already typed are left alone: LangGraph builds this state for every node, so no revalidation.
        for name, adapter in _ADAPTERS.items():
            value = getattr(self, name)
            if not _typed(value):
                setattr(self, name, adapter.validate_python(value))


def _typed(value: Any) -> bool:
    items = value if isinstance(value, list) else [value]
    return all(item is None or isinstance(item, BaseModel | enum.Enum) for item in items)


_LOGS = frozenset({"retrieval_log", "generation_log", "timings_ms"})
_MEMORY = frozenset({"brief", "recipe", "versions"})


def _revivable(*roots: type) -> tuple[type, ...]:
    """``roots`` and every model and enum inside their fields, found by walking the annotations: the serializer
    stores a model's nested models as plain data but keeps each enum as its class, so every enum a field can hold
    must be allowed or it is blocked (and warned about) on the way back."""
    found: dict[type, None] = {}

    def walk(annotation: Any) -> None:
        if args := typing.get_args(annotation):
            for arg in args:
                walk(arg)
        elif isinstance(annotation, type) and annotation not in found:
            found[annotation] = None
            if issubclass(annotation, BaseModel):
                for info in annotation.model_fields.values():
                    walk(info.annotation)

    for root in roots:
        walk(root)
    return tuple(t for t in found if issubclass(t, BaseModel | enum.Enum) or dataclasses.is_dataclass(t))


_FIELD_TYPES: dict[str, Any] = typing.get_type_hints(AgentState)
# The fields that hold domain objects (models or enums), each with the adapter that reads a saved value back.
_ADAPTERS: dict[str, TypeAdapter[Any]] = {name: TypeAdapter(hint) for name, hint in _FIELD_TYPES.items()
                                          if _revivable(hint)}
# Every class the checkpointer may revive from a saved thread (no arbitrary import from a database row).
STATE_CLASSES: tuple[type, ...] = _revivable(*_FIELD_TYPES.values(), Restart)


def fresh_turn() -> dict[str, Any]:
    """Every per-turn field back at its default (logs emptied): the update that starts a turn."""
    reset: dict[str, Any] = {}
    for f in dataclasses.fields(AgentState):
        if f.name in _MEMORY or f.name in ("message", "injection"):
            continue
        reset[f.name] = None if f.name in _LOGS else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default)
    return reset
