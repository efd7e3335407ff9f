"""The generator interface: propose formulas and narrate them in Korean, whatever runs the model.

A backend only streams text for a prompt (``_stream``) and counts tokens (``count_tokens``).
Everything that makes the output safe to use lives here, shared by all backends: parsing,
repair through the perfumery core, falling back to the composer, and the ``GenerationRecord``
of what happened, which the store logs for every call.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from agent.generators.fallback import FallbackComposer
from agent.generators.parsing import parse_proposal
from agent.generators.text_quality import RepetitionGuard, SentenceCounter, hangul_share, whole_sentences
from perfumery.brief import Brief
from perfumery.models import Material
from perfumery.recipe import Ingredient, Recipe
from prompts import MIN_ITEMS, PromptBuilder, proposal_gbnf
from store.records import GenerationRecord, Outcome, Withheld

logger = logging.getLogger(__name__)

# Narration is held back until this many non-space characters show it is Korean.
_OPENING_CHARS = 6
MIN_HANGUL = 0.3


class RecipeDraft(BaseModel):
    """A candidate formula for the design loop, with the model's own proposal kept for evaluation."""

    recipe: Recipe = Field(description="what the design loop should use: repaired and finished "
                                       "(``perfumery.finish``), or composed when the proposal is unusable.")
    proposed: Recipe | None = Field(
        default=None, description="the model's formula, amounts normalised, before any repair; None if unusable."
    )
    record: GenerationRecord


@dataclass
class Completion:
    text: str
    prompt_tokens: int
    completion_tokens: int
    seconds: float
    first_token_s: float | None
    error: str = ""


class Narration:
    """A stream of Korean text; ``record`` is filled once the stream is exhausted."""

    def __init__(self, pieces: Iterator[str]) -> None:
        self._pieces = pieces
        self._parts: list[str] = []
        self.record: GenerationRecord | None = None

    def __iter__(self) -> Iterator[str]:
        for piece in self._pieces:
            self._parts.append(piece)
            yield piece

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def read(self) -> str:
        """Drain the stream and return the whole text."""
        for _ in self:
            pass
        return self.text


class Generator(ABC):
    """Proposes formulas over given candidates and narrates recipes; subclasses run a model."""

    backend: ClassVar[str]

    def __init__(
        self,
        builder: PromptBuilder,
        fallback: FallbackComposer,
        *,
        max_new_tokens: int = 320,
        temperature: float = 0.7,
        seed: int = 42,
        timeout_s: float = 20.0,
    ) -> None:
        self.builder = builder
        self.fallback = fallback
        self.max_new_tokens = max_new_tokens
        self.temperature = temperature
        self.seed = seed
        self.timeout_s = timeout_s

    # --- backend hooks ---------------------------------------------------------------------
    @abstractmethod
    def _stream(
        self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str], grammar: str | None
    ) -> Iterator[str]:
        """Yield the completion of ``prompt`` piece by piece (``grammar``: GBNF, if the backend can use it)."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` under the model's tokenizer (no BOS)."""

    # --- shared machinery ------------------------------------------------------------------
    def _timed(self, pieces: Iterator[str], on_piece: Callable[[str], bool] | None = None) -> Iterator[str]:
        """Pass pieces through while enforcing the time limit; ``on_piece`` returning False stops early."""
        start = time.perf_counter()
        try:
            for piece in pieces:
                yield piece
                if on_piece is not None and not on_piece(piece):
                    return
                if time.perf_counter() - start > self.timeout_s:
                    logger.warning("generation stopped at the %.0f s limit", self.timeout_s)
                    return
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # frees the backend (and its lock) now, not whenever the generator is collected

    def complete(self, prompt: str, *, max_tokens: int, temperature: float, seed: int,
                 stop: Sequence[str] = (), grammar: str | None = None) -> Completion:
        """Run the model to the end (or the limits); never raises — errors land in ``Completion.error``."""
        start = time.perf_counter()
        first: float | None = None
        parts: list[str] = []
        error = ""
        try:
            stream = self._stream(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed,
                                  stop=stop, grammar=grammar)
            for piece in self._timed(stream):
                if first is None:
                    first = time.perf_counter() - start
                parts.append(piece)
        except Exception as exc:  # a broken backend must not break the turn
            logger.exception("generator backend failed")
            error = f"{type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        text = "".join(parts)
        return Completion(text=text, prompt_tokens=self._safe_count(prompt), completion_tokens=self._safe_count(text),
                          seconds=seconds, first_token_s=first, error=error)

    def _safe_count(self, text: str) -> int:
        try:
            return self.count_tokens(text) if text else 0
        except Exception:  # counting is for the log only
            return 0

    # --- proposals -------------------------------------------------------------------------
    def propose(self, brief: Brief, candidates: Sequence[Material], n: int) -> list[RecipeDraft]:
        """``n`` formulas using only ``candidates``; each is usable whatever the model wrote."""
        if not candidates:
            return [self._fallback_draft(brief, [], ["후보 재료가 없습니다"], i) for i in range(n)]
        template = self.builder.templates.propose
        prompt = self.builder.proposal(brief, candidates)
        grammar = proposal_gbnf(len(candidates))
        drafts = []
        for i in range(n):
            temperature = self.temperature if template.temperature is None else template.temperature
            completion = self.complete(prompt, max_tokens=template.max_tokens, temperature=temperature,
                                       seed=self.seed + i, stop=template.stop, grammar=grammar)
            drafts.append(self._draft(completion, brief, candidates, i))
        return drafts

    def _record(self, task: Literal["propose", "narrate"], outcome: Outcome, completion: Completion | None,
                problems: list[str]) -> GenerationRecord:
        if completion is None:
            return GenerationRecord(backend=self.backend, task=task, outcome=outcome, problems=problems)
        if completion.error:
            problems = [f"모델 오류: {completion.error}", *problems]
        return GenerationRecord(
            backend=self.backend, task=task, outcome=outcome, raw_output=completion.text,
            prompt_tokens=completion.prompt_tokens, completion_tokens=completion.completion_tokens,
            seconds=round(completion.seconds, 3),
            tokens_per_s=round(completion.completion_tokens / completion.seconds, 2) if completion.seconds > 0 else 0.0,
            first_token_s=round(completion.first_token_s, 3) if completion.first_token_s is not None else None,
            problems=problems,
        )

    def _fallback_draft(self, brief: Brief, candidate_ids: list[str], problems: list[str], variant: int,
                        completion: Completion | None = None) -> RecipeDraft:
        recipe = self.fallback.compose(brief, variant, candidate_ids)
        record = self._record("propose", Outcome.fallback, completion, [*problems, "조합기(composer) 처방으로 대체"])
        return RecipeDraft(recipe=recipe, proposed=None, record=record)

    def _draft(self, completion: Completion, brief: Brief, candidates: Sequence[Material], variant: int) -> RecipeDraft:
        by_id = {c.id: c for c in candidates}
        parsed = parse_proposal(completion.text, [c.id for c in candidates])
        problems = list(parsed.problems)
        if len(parsed.doses) < MIN_ITEMS:
            problems.append(f"쓸 수 있는 재료가 {len(parsed.doses)}개뿐입니다 (최소 {MIN_ITEMS}개)")
            return self._fallback_draft(brief, list(by_id), problems, variant, completion)
        proposed = proposal_recipe(parsed.doses, by_id, brief)
        final, fixes = self.fallback.check_and_repair(proposed, brief)
        final = self.fallback.finish(final, brief, list(by_id))
        problems.extend(fixes)
        outcome = Outcome.ok if parsed.clean and not fixes and not completion.error else Outcome.repaired
        return RecipeDraft(recipe=final, proposed=proposed, record=self._record("propose", outcome, completion, problems))

    # --- narration -------------------------------------------------------------------------
    def narrate(self, recipe: Recipe, brief: Brief) -> Narration:
        """Stream a short Korean explanation of ``recipe``; a template answers if the model cannot.

        The model writes the mood and the scene (``prompts/generator.yaml``: it is shown no material); the
        sentence about the lead material follows it, written from the formula (``perfumery.naming``), so
        every position the narration states is the formula's. The first few characters are held back until they show Korean, so a model that starts
        in the wrong language is replaced by the template before the user sees any of it. Only whole
        sentences are streamed: a narration stopped by the token limit loses its unfinished last sentence
        (a problem is recorded), never shows half of it.
        """
        narration: Narration

        def pieces() -> Iterator[str]:
            template = self.builder.templates.narrate
            prompt = self.builder.narration(self.fallback.delivered(recipe, brief))
            guard = RepetitionGuard()
            sentences = SentenceCounter(template.max_sentences)
            start = time.perf_counter()
            first: float | None = None
            held: list[str] = []
            released = False
            pending = ""  # released text not yet ending a sentence
            shown = False  # a whole sentence reached the reader
            parts: list[str] = []
            problems: list[str] = []
            error = ""
            try:
                temperature = self.temperature if template.temperature is None else template.temperature
                stream = self._stream(prompt, max_tokens=min(template.max_tokens, self.max_new_tokens),
                                      temperature=temperature, seed=self.seed, stop=template.stop, grammar=None)
                for piece in self._timed(stream, lambda p: guard.accept(p) and sentences.accept(p)):
                    if first is None:
                        first = time.perf_counter() - start
                    parts.append(piece)
                    if released:
                        done, pending = whole_sentences(pending + piece)
                        if done:
                            shown = True
                            yield done
                        continue
                    held.append(piece)
                    opening = "".join(held)
                    if len("".join(opening.split())) >= _OPENING_CHARS:
                        if hangul_share(opening) < MIN_HANGUL:
                            break
                        released = True
                        done, pending = whole_sentences(opening.lstrip())
                        if done:
                            shown = True
                            yield done
            except Exception as exc:  # a broken backend must not break the turn
                logger.exception("narration failed")
                error = f"{type(exc).__name__}: {exc}"
            text = "".join(parts)
            if not released and text.strip() and hangul_share(text) >= MIN_HANGUL:
                done, pending = whole_sentences(text.lstrip())  # a short but Korean answer: what was held
                if done:
                    shown = True
                    yield done
            cut = bool(pending.strip()) and not sentences.full and hangul_share(text) >= MIN_HANGUL
            if cut:
                problems.append(f"{Withheld.cut}: {pending.strip()}")
            if guard.tripped:
                problems.append("반복이 감지되어 설명을 중단했습니다")
            completion = Completion(text=text, prompt_tokens=self._safe_count(prompt),
                                    completion_tokens=self._safe_count(text), seconds=time.perf_counter() - start,
                                    first_token_s=first, error=error)
            if shown:
                outcome = Outcome.repaired if (guard.tripped or error or cut) else Outcome.ok
                if lead := self.fallback.lead_sentence(recipe):
                    yield " " + lead
            else:
                problems.append("한국어 설명이 나오지 않아 템플릿 설명으로 대체")
                yield self.fallback.narration(recipe, brief)
                outcome = Outcome.fallback
            narration.record = self._record("narrate", outcome, completion, problems)

        narration = Narration(pieces())
        return narration


def proposal_recipe(doses: dict[str, float], candidates: dict[str, Material], brief: Brief) -> Recipe:
    """The model's doses as a Recipe over the candidates, amounts scaled to 100 % of the concentrate."""
    total = sum(doses.values())
    ingredients = [
        Ingredient(material_id=m.id, name_ko=m.name_ko, name_en=m.name_en, cas=m.cas, note=m.note,
                   percent=round(doses[m.id] * 100.0 / total, 2))
        for m in (candidates[mid] for mid in doses)
    ]
    return Recipe(concentration=brief.concentration, dilution_percent=brief.fragrance_load, product=brief.product,
                  ingredients=ingredients)
