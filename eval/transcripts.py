"""Logged chat turns → evaluation samples (ours, then ragas ``EvaluationDataset``s).

A turn logs several retrievals; two of them matter for evaluation and are kept apart:
- the *search*: the hybrid search over the user's own message (collection ``all``) — what retrieval found;
- the *grounding*: the records the reply quotes (ingredients, answered materials) — what the reply rests on.
Retrieval metrics score the search alone (it is what a retriever change moves) — or, for a turn that
made no search (an edit), the grounding, so "add vanilla" is scored on whether vanillin is in the new
recipe. Judge metrics (faithfulness) see search + grounding, since a reply may state whatever either contains.
Turns of replayed reference conversations get their curated reference answer and ids.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from eval.contexts import recipe_context, recipe_key
from eval.replay import Conversation, parse_session_id
from perfumery.recipe import Recipe
from store import RetrievalRecord, SessionTranscript

if TYPE_CHECKING:
    from ragas import EvaluationDataset
    from ragas.dataset_schema import MultiTurnSample, SingleTurnSample


SEARCH_COLLECTION = "all"
GROUNDING_QUERY = "reply grounding"


class TurnSample(BaseModel):
    """One logged turn with everything the metrics need; ``scores`` is filled by the runner."""

    session: str
    source: str
    turn_index: int
    route: str
    user_input: str
    response: str
    retrieved_ids: list[str] = Field(default_factory=list, description="the search over the user's message")
    retrieved_texts: list[str] = Field(default_factory=list)
    grounding_ids: list[str] = Field(default_factory=list, description="records the reply quotes")
    grounding_texts: list[str] = Field(default_factory=list)
    reference: str | None = None
    reference_ids: list[str] = Field(default_factory=list)
    reference_texts: list[str] = Field(default_factory=list)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    feedback: list[int] = Field(default_factory=list)
    recipe: Recipe | None = Field(default=None, description="the recipe version the turn was about")
    scores: dict[str, float | None] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.session}#{self.turn_index}"

    @property
    def has_reference(self) -> bool:
        return bool(self.reference and self.reference_ids)

    def contexts(self) -> tuple[list[str], list[str]]:
        """The recipe, then search, then grounding, each id once: what the reply could draw on."""
        ids: dict[str, str] = {recipe_key(self.recipe): recipe_context(self.recipe)} if self.recipe else {}
        for i, text in [*zip(self.retrieved_ids, self.retrieved_texts, strict=True),
                        *zip(self.grounding_ids, self.grounding_texts, strict=True)]:
            ids.setdefault(i, text)
        return list(ids), list(ids.values())

    def retrieval_sample(self) -> SingleTurnSample:
        """For the reference-based metrics (ids, string overlap, chrF, semantic similarity)."""
        from ragas.dataset_schema import SingleTurnSample

        return SingleTurnSample(user_input=self.user_input, response=self.response, reference=self.reference,
                                retrieved_contexts=self.retrieved_texts, retrieved_context_ids=self.retrieved_ids,
                                reference_contexts=self.reference_texts, reference_context_ids=self.reference_ids)

    def judged_sample(self) -> SingleTurnSample:
        """For the judge metrics: the reply against everything it could draw on."""
        from ragas.dataset_schema import SingleTurnSample

        ids, texts = self.contexts()
        return SingleTurnSample(user_input=self.user_input, response=self.response, retrieved_contexts=texts,
                                retrieved_context_ids=ids, reference=self.reference)


class ConversationSample(BaseModel):
    """A session that edited a recipe, as a dialogue (edits only make sense in context)."""

    session: str
    source: str
    routes: list[str]
    messages: list[tuple[str, str]] = Field(description="(user, reply) per turn")
    reference: str | None = None

    def ragas_sample(self) -> MultiTurnSample:
        from ragas.dataset_schema import MultiTurnSample
        from ragas.messages import AIMessage, HumanMessage

        dialogue: list[Any] = []
        for user, reply in self.messages:
            dialogue += [HumanMessage(content=user), AIMessage(content=reply)]
        return MultiTurnSample(user_input=dialogue, reference=self.reference)


def _pick(retrievals: list[RetrievalRecord], keep: Callable[[RetrievalRecord], bool]) -> tuple[list[str], list[str]]:
    ids: dict[str, str] = {}
    for record in retrievals:
        if keep(record):
            for i, text in zip(record.ids, record.texts or [""] * len(record.ids), strict=True):
                ids.setdefault(i, text)
    return list(ids), list(ids.values())


def reference_index(conversations: Iterable[Conversation]) -> dict[tuple[str, int], tuple[str, list[str]]]:
    """(conversation id, turn index) → (reference answer, reference ids)."""
    return {(c.id, i): (t.reference, t.reference_ids) for c in conversations for i, t in enumerate(c.turns)}


def turn_samples(
    transcripts: Iterable[SessionTranscript],
    references: dict[tuple[str, int], tuple[str, list[str]]] | None = None,
    texts: dict[str, str] | None = None,
) -> list[TurnSample]:
    """One sample per logged turn, in session order, with curated references where the session is a replay."""
    references = references or {}
    texts = texts or {}
    samples = []
    for transcript in transcripts:
        replayed = parse_session_id(transcript.id)
        for turn in transcript.turns:
            ids, found = _pick(turn.retrievals,
                               lambda r, q=turn.user_text: r.collection == SEARCH_COLLECTION and r.query == q)
            grounding_ids, grounding = _pick(turn.retrievals, lambda r: r.query == GROUNDING_QUERY)
            if not ids:
                ids, found = grounding_ids, grounding
            reference, reference_ids = references.get((replayed[0], turn.index), (None, [])) if replayed else (None, [])
            samples.append(TurnSample(
                session=transcript.id, source=transcript.source, turn_index=turn.index, route=turn.route,
                user_input=turn.user_text, response=turn.reply, retrieved_ids=ids, retrieved_texts=found,
                grounding_ids=grounding_ids, grounding_texts=grounding, reference=reference,
                reference_ids=reference_ids, reference_texts=[texts[i] for i in reference_ids if i in texts],
                timings_ms={k: float(v) for k, v in turn.timings_ms.items() if isinstance(v, int | float)},
                feedback=turn.feedback,
            ))
    return samples


def conversation_samples(
    transcripts: Iterable[SessionTranscript], references: dict[tuple[str, int], tuple[str, list[str]]] | None = None
) -> list[ConversationSample]:
    """Sessions with at least one edit turn; the reference is that of the last turn, when curated."""
    references = references or {}
    found = []
    for transcript in transcripts:
        routes = [t.route for t in transcript.turns]
        if "edit" not in routes:
            continue
        replayed = parse_session_id(transcript.id)
        last = transcript.turns[-1].index
        reference = references.get((replayed[0], last), (None, []))[0] if replayed else None
        found.append(ConversationSample(session=transcript.id, source=transcript.source, routes=routes,
                                        messages=[(t.user_text, t.reply) for t in transcript.turns],
                                        reference=reference))
    return found


def latest_replay(transcripts: list[SessionTranscript]) -> list[SessionTranscript]:
    """The sessions of the most recent replay run (tags sort by time); all transcripts if none is a replay."""
    tags = {t.id: parsed[1] for t in transcripts if (parsed := parse_session_id(t.id))}
    if not tags:
        return transcripts
    newest = max(tags.values())
    return [t for t in transcripts if tags.get(t.id) == newest]


def single_turn_dataset(samples: Iterable[TurnSample], judged: bool = False) -> EvaluationDataset:
    from ragas import EvaluationDataset

    return EvaluationDataset(samples=[s.judged_sample() if judged else s.retrieval_sample() for s in samples])


def multi_turn_dataset(samples: Iterable[ConversationSample]) -> EvaluationDataset:
    from ragas import EvaluationDataset

    return EvaluationDataset(samples=[s.ragas_sample() for s in samples])
