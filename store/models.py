"""Relational record of everything Hyanggi does: sessions, turns, recipes, retrievals, generations, feedback.

This database is the system of record (Chainlit's own data layer is fire-and-forget); evaluation and
LoRA retraining read from it. Schema changes go through Alembic (``store/migrations``).

Sessions, recipes, feedback and jobs carry their ``owner`` (``store.principals``): no default, so a row
written without one fails instead of landing in someone's workspace. Turns belong to their session.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from store.principals import OWNER_CHARS


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class ChatSession(Base):
    __tablename__ = "chat_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    source: Mapped[str] = mapped_column(String(20), default="chat", doc="chat | api | cli | replay")
    owner: Mapped[str] = mapped_column(String(OWNER_CHARS), index=True, doc="the principal whose session it is")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    turns: Mapped[list[Turn]] = relationship(back_populates="session", order_by="Turn.index")


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("session_id", "index"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    index: Mapped[int] = mapped_column(Integer, doc="0-based position of the turn in its session")
    user_text: Mapped[str] = mapped_column(Text)
    reply: Mapped[str] = mapped_column(Text)
    route: Mapped[str] = mapped_column(String(30))
    level: Mapped[str] = mapped_column(String(10), default="상세")
    brief: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    recipe_id: Mapped[str | None] = mapped_column(String(64))
    recipe_version: Mapped[int | None] = mapped_column(Integer)
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="scored candidate summaries")
    timings_ms: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    session: Mapped[ChatSession] = relationship(back_populates="turns")
    retrievals: Mapped[list[Retrieval]] = relationship(back_populates="turn", cascade="all, delete-orphan")
    generations: Mapped[list[GenerationLog]] = relationship(back_populates="turn", cascade="all, delete-orphan")
    feedback: Mapped[list[Feedback]] = relationship(back_populates="turn", cascade="all, delete-orphan")


class RecipeRecord(Base):
    """A formula lineage; each edit adds a RecipeVersion, none is overwritten."""

    __tablename__ = "recipes"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str | None] = mapped_column(ForeignKey("chat_sessions.id"), index=True)
    owner: Mapped[str] = mapped_column(String(OWNER_CHARS), index=True, doc="the principal whose formula it is")
    name: Mapped[str] = mapped_column(String(200), default="")
    saved: Mapped[bool] = mapped_column(default=False, doc="the user pressed 저장")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    versions: Mapped[list[RecipeVersion]] = relationship(back_populates="recipe", order_by="RecipeVersion.version")


class RecipeVersion(Base):
    __tablename__ = "recipe_versions"
    __table_args__ = (UniqueConstraint("recipe_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[str] = mapped_column(ForeignKey("recipes.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    parent_version: Mapped[int | None] = mapped_column(Integer)
    concentration: Mapped[str] = mapped_column(String(10))
    dilution_percent: Mapped[float] = mapped_column(Float)
    score_total: Mapped[float | None] = mapped_column(Float)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, doc="the full Recipe contract JSON")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    recipe: Mapped[RecipeRecord] = relationship(back_populates="versions")
    ingredients: Mapped[list[RecipeIngredient]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="RecipeIngredient.position"
    )


class RecipeIngredient(Base):
    __tablename__ = "recipe_ingredients"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("recipe_versions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    material_id: Mapped[str] = mapped_column(String(80), index=True)
    cas: Mapped[str] = mapped_column(String(20), default="")
    note: Mapped[str] = mapped_column(String(10))
    percent: Mapped[float] = mapped_column(Float)

    version: Mapped[RecipeVersion] = relationship(back_populates="ingredients")


class Retrieval(Base):
    __tablename__ = "retrievals"

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    query: Mapped[str] = mapped_column(Text)
    collection: Mapped[str] = mapped_column(String(20))
    ids: Mapped[list[Any]] = mapped_column(JSON)
    scores: Mapped[list[Any]] = mapped_column(JSON)
    texts: Mapped[list[Any]] = mapped_column(JSON)

    turn: Mapped[Turn] = relationship(back_populates="retrievals")


class GenerationLog(Base):
    __tablename__ = "generation_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    backend: Mapped[str] = mapped_column(String(30))
    purpose: Mapped[str] = mapped_column(String(20), doc="propose | narrate")
    prompt: Mapped[str] = mapped_column(Text)
    raw_output: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(20), doc="ok | repaired | fallback | error")
    tokens: Mapped[int] = mapped_column(Integer, default=0)
    tokens_per_s: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list, doc="what was fixed, or why a sentence or the "
                                                                       "whole output was not used (Withheld)")

    turn: Mapped[Turn] = relationship(back_populates="generations")


class Feedback(Base):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    turn_id: Mapped[int] = mapped_column(ForeignKey("turns.id"), index=True)
    owner: Mapped[str] = mapped_column(String(OWNER_CHARS), index=True, doc="the principal who rated")
    rating: Mapped[int] = mapped_column(Integer, doc="-1 (thumbs down) or +1 (thumbs up)")
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    turn: Mapped[Turn] = relationship(back_populates="feedback")


class SearchLog(Base):
    __tablename__ = "search_logs"

    id: Mapped[int] = mapped_column(primary_key=True)
    query: Mapped[str] = mapped_column(Text)
    collection: Mapped[str] = mapped_column(String(20))
    k: Mapped[int] = mapped_column(Integer)
    result_ids: Mapped[list[Any]] = mapped_column(JSON)
    latency_ms: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(20), default="api")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TrainingDataset(Base):
    """A fine-tuning dataset a dataset job built (train/dev JSONL in ``path``)."""

    __tablename__ = "training_datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    n_train: Mapped[int] = mapped_column(Integer)
    n_dev: Mapped[int] = mapped_column(Integer)
    sources: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ModelCheckpoint(Base):
    """A LoRA adapter a training job exported; ``evaluation`` gates whether it may become the ``active`` one."""

    __tablename__ = "model_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    base: Mapped[str] = mapped_column(String(200))
    adapter_path: Mapped[str] = mapped_column(Text)
    data_sha256: Mapped[str] = mapped_column(String(64))
    steps: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("training_datasets.id"))
    job_id: Mapped[str | None] = mapped_column(String(32))
    evaluation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="generator eval of this adapter")
    active: Mapped[bool] = mapped_column(default=False, doc="the adapter the generator serves")


class Job(Base):
    """A long task (reindex, dataset, training, evaluation) and how far it got; any worker may run it."""

    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(OWNER_CHARS), index=True, doc="the principal who started it")
    state: Mapped[str] = mapped_column(String(12), index=True, doc="queued | running | succeeded | failed | cancelled")
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, doc="figures so far, then final")
    log: Mapped[str] = mapped_column(Text, default="", doc="the newest lines only")
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    heartbeat_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), doc="last sign of life from the worker running it; stale = the worker was lost")
