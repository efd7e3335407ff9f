"""The one door to the database: async methods, each a single transaction.

Every method that reads or writes a client's records takes the ``Principal`` asking, first: a record it may
not see is reported missing (``NotFoundError``, the same answer as for an id that does not exist), so no
front end can forget whose data it serves and none can tell another's ids from unknown ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select, text, true
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import selectinload

from perfumery.recipe import Recipe
from store import models as m
from store.engine import make_engine, make_sessionmaker
from store.migrate import upgrade
from store.principals import Principal
from store.records import GenerationRecord, RetrievalRecord, SessionTranscript, TurnRecord, TurnView


class NotFoundError(LookupError):
    """Asked for a record that does not exist: ``kind`` (recipe, session, turn, job, dataset, model) and ``key``
    let every front end say so once, in its own words (ui/api/errors.py, one handler)."""

    def __init__(self, kind: str, key: str | int) -> None:
        super().__init__(f"{kind} {key}")
        self.kind = kind
        self.key = key


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = make_sessionmaker(engine)

    @classmethod
    async def open(cls, url: str) -> Store:
        """Connect and migrate to the newest schema (idempotent)."""
        engine = make_engine(url)
        await upgrade(engine)
        return cls(engine)

    async def close(self) -> None:
        await self.engine.dispose()

    async def integrity_check(self) -> str:
        async with self.engine.connect() as connection:
            return (await connection.execute(text("PRAGMA integrity_check"))).scalar_one()

    # --- turns ---------------------------------------------------------------------------
    async def commit_turn(self, principal: Principal, record: TurnRecord) -> int:
        """Persist a whole turn (session, recipe version, retrievals, generations) in one transaction.

        A new session becomes ``principal``'s; a session or recipe it may not see is a ``NotFoundError``."""
        async with self._sessions.begin() as db:
            session = await self._ensure_session(db, principal, record.session_id, record.source, record.user_text)
            recipe_id, recipe_version = record.current_recipe_id, record.current_recipe_version
            if record.recipe is not None:
                await self._add_version(db, principal, record.recipe, record.session_id, session.owner)
                recipe_id, recipe_version = record.recipe.id, record.recipe.version
            index = await db.scalar(select(func.count()).where(m.Turn.session_id == record.session_id))
            turn = m.Turn(
                session_id=record.session_id, index=index or 0, user_text=record.user_text, reply=record.reply,
                route=record.route, level=record.level, brief=record.brief, recipe_id=recipe_id,
                recipe_version=recipe_version, candidates=record.candidates, timings_ms=record.timings_ms,
                retrievals=[m.Retrieval(**r.model_dump()) for r in record.retrievals],
                generations=[m.GenerationLog(backend=g.backend, purpose=g.task, prompt="", raw_output=g.raw_output,
                                             outcome=g.outcome.value, tokens=g.completion_tokens,
                                             tokens_per_s=g.tokens_per_s, latency_ms=round(g.seconds * 1000, 1),
                                             problems=g.problems)
                             for g in record.generations],
            )
            db.add(turn)
            await db.flush()
            return turn.id

    async def session_owner(self, principal: Principal, session_id: str) -> str | None:
        """The owner of a session, None when there is no such session yet (the caller's to open);
        ``NotFoundError`` when it is another principal's."""
        async with self._sessions() as db:
            session = await db.get(m.ChatSession, session_id)
        if session is None:
            return None
        if not principal.sees(session.owner):
            raise NotFoundError("session", session_id)
        return session.owner

    async def _ensure_session(self, db: AsyncSession, principal: Principal, session_id: str, source: str,
                              first_text: str) -> m.ChatSession:
        session = await db.get(m.ChatSession, session_id)
        if session is None:
            session = m.ChatSession(id=session_id, source=source, title=first_text[:60], owner=principal.id)
            db.add(session)
        elif not principal.sees(session.owner):
            raise NotFoundError("session", session_id)
        else:
            session.updated_at = m.utcnow()
        return session

    async def _add_version(self, db: AsyncSession, principal: Principal, recipe: Recipe, session_id: str | None,
                           owner: str) -> None:
        """Add ``recipe`` to its lineage; a new lineage belongs to ``owner`` (the session's, else the caller)."""
        lineage = await db.get(m.RecipeRecord, recipe.id)
        if lineage is None:
            db.add(m.RecipeRecord(id=recipe.id, session_id=session_id, name=recipe.name, owner=owner))
        elif not principal.sees(lineage.owner):
            raise NotFoundError("recipe", recipe.id)
        elif recipe.name:
            lineage.name = recipe.name
        exists = await db.scalar(
            select(m.RecipeVersion.id).where(
                m.RecipeVersion.recipe_id == recipe.id, m.RecipeVersion.version == recipe.version
            )
        )
        if exists is not None:
            return  # versions are immutable: the same version is never written twice
        db.add(
            m.RecipeVersion(
                recipe_id=recipe.id, version=recipe.version, parent_version=recipe.parent_version,
                concentration=recipe.concentration.value, dilution_percent=recipe.dilution_percent,
                score_total=recipe.score.total if recipe.score else None,
                payload=recipe.model_dump(mode="json"),
                ingredients=[
                    m.RecipeIngredient(position=i, material_id=ing.material_id, cas=ing.cas, note=ing.note.value,
                                       percent=ing.percent)
                    for i, ing in enumerate(recipe.ingredients)
                ],
            )
        )

    # --- recipes -------------------------------------------------------------------------
    async def save_recipe_version(self, principal: Principal, recipe: Recipe, session_id: str | None = None) -> None:
        async with self._sessions.begin() as db:
            owner = principal.id
            if session_id is not None:
                owner = (await self._ensure_session(db, principal, session_id, "api", recipe.name)).owner
            await self._add_version(db, principal, recipe, session_id, owner)

    async def get_recipe(self, principal: Principal, recipe_id: str, version: int | None = None) -> Recipe:
        async with self._sessions() as db:
            query = (select(m.RecipeVersion).join(m.RecipeRecord)
                     .where(m.RecipeVersion.recipe_id == recipe_id, _visible(m.RecipeRecord.owner, principal)))
            query = query.where(m.RecipeVersion.version == version) if version is not None else query.order_by(
                m.RecipeVersion.version.desc()
            )
            row = (await db.scalars(query.limit(1))).first()
            if row is None:
                raise NotFoundError("recipe", recipe_id + (f" v{version}" if version else ""))
            return Recipe.model_validate(row.payload)

    async def list_versions(self, principal: Principal, recipe_id: str) -> list[Recipe]:
        async with self._sessions() as db:
            rows = await db.scalars(
                select(m.RecipeVersion).join(m.RecipeRecord)
                .where(m.RecipeVersion.recipe_id == recipe_id, _visible(m.RecipeRecord.owner, principal))
                .order_by(m.RecipeVersion.version)
            )
            versions = [Recipe.model_validate(r.payload) for r in rows]
        if not versions:
            raise NotFoundError("recipe", recipe_id)
        return versions

    async def list_recipes(self, principal: Principal, session_id: str | None = None,
                           limit: int = 50) -> list[dict[str, Any]]:
        async with self._sessions() as db:
            query = (select(m.RecipeRecord).options(selectinload(m.RecipeRecord.versions))
                     .where(_visible(m.RecipeRecord.owner, principal)))
            if session_id:
                query = query.where(m.RecipeRecord.session_id == session_id)
            rows = await db.scalars(query.order_by(m.RecipeRecord.created_at.desc()).limit(limit))
            return [
                {"id": r.id, "name": r.name, "session_id": r.session_id, "saved": r.saved,
                 "versions": [v.version for v in r.versions], "created_at": r.created_at.isoformat(),
                 "owner": r.owner}
                for r in rows
            ]

    async def mark_saved(self, principal: Principal, recipe_id: str) -> None:
        async with self._sessions.begin() as db:
            lineage = await self._lineage(db, principal, recipe_id)
            lineage.saved = True

    async def recipe_session(self, principal: Principal, recipe_id: str) -> str | None:
        """The chat session a recipe lineage was designed in (None for API-only recipes)."""
        async with self._sessions() as db:
            return (await self._lineage(db, principal, recipe_id)).session_id

    @staticmethod
    async def _lineage(db: AsyncSession, principal: Principal, recipe_id: str) -> m.RecipeRecord:
        lineage = await db.get(m.RecipeRecord, recipe_id)
        if lineage is None or not principal.sees(lineage.owner):
            raise NotFoundError("recipe", recipe_id)
        return lineage

    async def where_used(self, principal: Principal, material_id: str, session_id: str | None = None,
                         limit: int = 100) -> list[dict[str, Any]]:
        """Every stored version holding ``material_id`` with its dose, newest first (optionally one session's)."""
        async with self._sessions() as db:
            query = (
                select(m.RecipeRecord.id, m.RecipeRecord.name, m.RecipeRecord.session_id, m.RecipeVersion.version,
                       m.RecipeIngredient.percent, m.RecipeVersion.created_at)
                .join(m.RecipeVersion, m.RecipeVersion.recipe_id == m.RecipeRecord.id)
                .join(m.RecipeIngredient, m.RecipeIngredient.version_id == m.RecipeVersion.id)
                .where(m.RecipeIngredient.material_id == material_id, _visible(m.RecipeRecord.owner, principal))
            )
            if session_id:
                query = query.where(m.RecipeRecord.session_id == session_id)
            rows = await db.execute(query.order_by(m.RecipeVersion.created_at.desc(), m.RecipeVersion.version.desc())
                                    .limit(limit))
            return [{"recipe_id": r, "name": n, "session_id": s, "version": v, "percent": p}
                    for r, n, s, v, p, _ in rows]

    # --- feedback ------------------------------------------------------------------------
    async def set_feedback(self, principal: Principal, turn_id: int, rating: int, comment: str = "") -> int:
        """The turn's current rating and comment: a later thumb or an edited comment replaces the earlier.
        Only a turn of a session ``principal`` sees can be rated; the rating belongs to the session's owner."""
        if rating not in (-1, 1):
            raise ValueError("rating must be -1 or +1")
        async with self._sessions.begin() as db:
            owner = await db.scalar(select(m.ChatSession.owner).join(m.Turn).where(m.Turn.id == turn_id))
            if owner is None or not principal.sees(owner):
                raise NotFoundError("turn", turn_id)
            feedback = await db.scalar(select(m.Feedback).where(m.Feedback.turn_id == turn_id))
            if feedback is None:
                feedback = m.Feedback(turn_id=turn_id, rating=rating, comment=comment[:2000], owner=owner)
                db.add(feedback)
            else:
                feedback.rating, feedback.comment, feedback.created_at = rating, comment[:2000], m.utcnow()
            await db.flush()
            return feedback.id

    async def delete_feedback(self, principal: Principal, feedback_id: int) -> bool:
        """Withdraw a rating (the user un-clicked the thumb); False when there was none it may see."""
        async with self._sessions.begin() as db:
            feedback = await db.get(m.Feedback, feedback_id)
            if feedback is None or not principal.sees(feedback.owner):
                return False
            await db.delete(feedback)
            return True

    # --- transcripts ---------------------------------------------------------------------
    async def transcripts(
        self, principal: Principal, since: datetime | None = None, session_ids: Iterable[str] | None = None,
        limit: int = 1000,
    ) -> list[SessionTranscript]:
        async with self._sessions() as db:
            query = select(m.ChatSession).options(
                selectinload(m.ChatSession.turns).selectinload(m.Turn.retrievals),
                selectinload(m.ChatSession.turns).selectinload(m.Turn.generations),
                selectinload(m.ChatSession.turns).selectinload(m.Turn.feedback),
            ).where(_visible(m.ChatSession.owner, principal))
            if since is not None:
                query = query.where(m.ChatSession.updated_at >= since)
            if session_ids is not None:
                query = query.where(m.ChatSession.id.in_(list(session_ids)))
            sessions = await db.scalars(query.order_by(m.ChatSession.created_at).limit(limit))
            return [_transcript(s) for s in sessions]

    async def transcript(self, principal: Principal, session_id: str) -> SessionTranscript:
        found = await self.transcripts(principal, session_ids=[session_id])
        if not found:
            raise NotFoundError("session", session_id)
        return found[0]

    async def list_sessions(self, principal: Principal, limit: int = 50,
                            source: str | None = None) -> list[dict[str, Any]]:
        async with self._sessions() as db:
            query = (select(m.ChatSession, func.count(m.Turn.id)).outerjoin(m.Turn)
                     .where(_visible(m.ChatSession.owner, principal)))
            if source is not None:
                query = query.where(m.ChatSession.source == source)
            rows = await db.execute(
                query.group_by(m.ChatSession.id).order_by(m.ChatSession.updated_at.desc()).limit(limit))
            return [
                {"id": s.id, "title": s.title, "source": s.source, "turns": n, "updated_at": s.updated_at.isoformat(),
                 "owner": s.owner}
                for s, n in rows
            ]

    # --- logs and registries -------------------------------------------------------------
    async def log_search(self, query: str, collection: str, k: int, result_ids: list[str], latency_ms: float,
                         source: str = "api") -> None:
        async with self._sessions.begin() as db:
            db.add(m.SearchLog(query=query, collection=collection, k=k, result_ids=result_ids,
                               latency_ms=latency_ms, source=source))

    async def liked_turns(self, principal: Principal) -> list[tuple[dict[str, Any], Recipe, str]]:
        """(brief, recipe, reply) of turns with thumbs-up feedback and a recipe that ``principal`` sees: LoRA
        training material."""
        async with self._sessions() as db:
            # EXISTS, not JOIN + DISTINCT: PostgreSQL has no equality on JSON columns to de-duplicate by.
            liked = select(m.Feedback.id).where(m.Feedback.turn_id == m.Turn.id, m.Feedback.rating > 0).exists()
            rows = await db.execute(
                select(m.Turn, m.RecipeVersion)
                .join(m.RecipeVersion, (m.RecipeVersion.recipe_id == m.Turn.recipe_id)
                      & (m.RecipeVersion.version == m.Turn.recipe_version))
                .join(m.ChatSession, m.ChatSession.id == m.Turn.session_id)
                .where(liked, m.Turn.brief.is_not(None), _visible(m.ChatSession.owner, principal))
            )
            return [(t.brief, Recipe.model_validate(v.payload), t.reply) for t, v in rows]


def _visible(owner: Any, principal: Principal) -> ColumnElement[bool]:
    """The rows of ``owner`` (a column) that ``principal`` sees."""
    return true() if principal.admin else owner == principal.id


def _transcript(session: m.ChatSession) -> SessionTranscript:
    return SessionTranscript(
        id=session.id, title=session.title, source=session.source, owner=session.owner,
        created_at=session.created_at,
        turns=[
            TurnView(
                id=t.id, index=t.index, user_text=t.user_text, reply=t.reply, route=t.route, level=t.level,
                brief=t.brief, recipe_id=t.recipe_id, recipe_version=t.recipe_version,
                retrievals=[RetrievalRecord(query=r.query, collection=r.collection, ids=r.ids, scores=r.scores,
                                            texts=r.texts) for r in t.retrievals],
                generations=[GenerationRecord(backend=g.backend, task=g.purpose, outcome=g.outcome,
                                              raw_output=g.raw_output, completion_tokens=g.tokens,
                                              tokens_per_s=g.tokens_per_s, seconds=g.latency_ms / 1000,
                                              problems=g.problems)
                             for g in t.generations],
                timings_ms=t.timings_ms, feedback=[f.rating for f in t.feedback], created_at=t.created_at,
            )
            for t in session.turns
        ],
    )
