"""The turn's progress as a person reads it: one Korean line per stage (요청 해석 → 자료 검색 → 설계 → 검토 → 설명),
read from the graph's stream of node updates (``ChatService.stream``'s step events).

A line says what matters to the person who asked — the moods read and what is ruled out, how many materials
were considered, which formula the critic chose and what it fixed, a requested odor the formula could not
carry — in Korean words. Internal ids, descriptor keys, candidate origins and per-component scores are for
developers: shown only with the chat's developer view on. Nothing the person ruled out is listed as a source:
a retrieved record whose main character is an avoided odor, or a material the brief names to avoid, is
counted as set aside instead.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from agent.reading.message import ROUTE_KO, Reading, Route
from agent.state import Source, repaired_origin, source_of
from knowledge.documents import CollectionName
from knowledge.kb import KnowledgeBase
from knowledge.search import SearchResult
from perfumery.brief import Brief
from perfumery.diff import RecipeDiff
from perfumery.fit import HEADLINE_WEIGHT, headlines, is_avoided
from perfumery.ifra import PRODUCTS, Product
from perfumery.models import SEASON_KO, STYLE_KO
from perfumery.recipe import Recipe, Severity, Violation, ViolationCode
from store.records import GenerationRecord, Outcome


class Stage(StrEnum):
    """The stages a person follows, in order. Each is one Chainlit step, updated while its stage lasts."""

    interpret = "요청 해석"
    retrieve = "자료 검색"
    design = "설계"
    review = "검토"
    explain = "설명"


# Chainlit's step type per stage (it picks the step's icon).
STEP_TYPE: dict[Stage, str] = {Stage.interpret: "tool", Stage.retrieve: "retrieval", Stage.design: "tool",
                               Stage.review: "tool", Stage.explain: "llm"}
COLLECTION_KO = {CollectionName.materials: "재료", CollectionName.accords: "어코드", CollectionName.perfumes: "향수"}
ORIGIN_KO = {Source.composer: "조합기", Source.llm: "언어 모델", Source.repair: "보정"}
# Routes without a line of their own: a new brief is told by 요청 해석 itself; small talk needs no progress.
_NO_ROUTE_LINE = frozenset({Route.new_brief, Route.smalltalk, Route.off_topic, Route.injection})
MAX_SUMMARY = 70  # characters of a step's title line before a shorter wording is used
SHOWN_CANDIDATES = 5


class StepLine(BaseModel):
    """One stage as the chat shows it: the title line (always visible) and what unfolds under it."""

    model_config = ConfigDict(frozen=True)

    stage: Stage
    summary: str
    detail: str = ""

    @property
    def title(self) -> str:
        return f"{self.stage.value} · {self.summary}"


class TurnSteps:
    """Reads one turn's node updates in order and says, per stage, what a person should know.

    Stateful because a stage spans nodes: the review line names the fixes the ``revise`` node applied to
    the candidates the previous ``critique`` ranked, and every line judges sources against the turn's brief.
    """

    def __init__(self, kb: KnowledgeBase, developer: bool = False) -> None:
        self.kb = kb
        self.developer = developer
        self.reading: Reading | None = None
        self.brief: Brief | None = None
        self.ranked: list[dict[str, Any]] = []  # the last critique's candidates, best first
        self.fixed: dict[str, list[str]] = {}  # recipe id → what revise fixed in it, in Korean
        self.rounds = 0
        self._lines: dict[str, Callable[[dict[str, Any]], StepLine | None]] = {
            "route": self._route, "interpret": self._interpret, "retrieve": self._retrieve,
            "generate": self._generate, "critique": self._critique, "revise": self._revise,
            "respond": self._respond, "edit": self._edit, "import_formula": self._import,
        }

    def add(self, node: str, update: dict[str, Any]) -> StepLine | None:
        """The line for a finished node, or None when it has nothing a person needs to follow."""
        line = self._lines.get(node)
        result = line(update) if line else None
        if result is None or not self.developer:
            return result
        timings = ", ".join(f"{name} {ms:g} ms" for name, ms in (update.get("timings_ms") or {}).items())
        return result.model_copy(update={"detail": "\n".join(filter(None, [result.detail, f"- ⏱ {timings}"
                                                                              if timings else ""]))})

    def writing(self) -> StepLine:
        """The explanation while it streams, before ``respond`` reports how its sentences fared."""
        return StepLine(stage=Stage.explain, summary="소개 문장을 확인하며 쓰는 중")

    # --- stages ------------------------------------------------------------------------
    def _route(self, update: dict[str, Any]) -> StepLine | None:
        self.reading = Reading.model_validate(update["reading"]) if update.get("reading") else None
        route = Route(update["route"])
        if route in _NO_ROUTE_LINE:
            return None
        summary = ROUTE_KO[route]
        request = self.reading.edit if self.reading else None
        if request is not None:
            if request.batch_grams:
                summary += f" · {request.batch_grams:g} g 배합표"
            elif request.cost:
                summary += " · 예상 원가"
            elif request.ops:
                summary += f" · 바꿀 곳 {len(request.ops)}개"
        dev = [f"route `{route.value}`", *(f"`{op.model_dump_json()}`" for op in (request.ops if request else []))]
        return StepLine(stage=Stage.interpret, summary=summary, detail=self._developer(dev))

    def _interpret(self, update: dict[str, Any]) -> StepLine:
        brief = self.brief = Brief.model_validate(update["brief"])
        leading = headlines(brief)
        others = [d for d in brief.top_descriptors(8) if d not in leading]
        avoided = self._words(sorted(brief.avoid_descriptors, key=lambda d: -brief.avoid_descriptors[d]))
        avoided += [self._material_name(m) for m in brief.avoid_materials]
        moods = brief.themes or self._words(brief.top_descriptors(3))
        summary = " · ".join(moods) or "원하는 향"
        if avoided:
            summary += f" · 빼기: {', '.join(avoided[:3])}"
        lines = [
            f"꼭 느껴지게 할 향: {', '.join(self._words(leading))}" if leading else "",
            f"함께 담을 향: {', '.join(self._words(others))}" if others else "",
            f"빼기로 한 향·재료: {', '.join(avoided)}" if avoided else "",
            f"꼭 넣을 재료: {', '.join(self._material_name(m) for m in brief.must_include)}" if brief.must_include else "",
            f"계절: {SEASON_KO[brief.season]}" if brief.season else "",
            f"상황: {self._occasion(brief.occasion)}" if brief.occasion and self._occasion(brief.occasion) else "",
            f"{self._product(brief)} · 강도 {_intensity_ko(brief.intensity)} · {STYLE_KO[brief.style]}",
        ]
        dev = [
            "descriptors: " + ", ".join(f"`{d}` {w:.2f}" for d, w in sorted(brief.descriptors.items(),
                                                                               key=lambda kv: -kv[1])),
            "avoid: " + ", ".join(f"`{d}` {w:.2f}" for d, w in brief.avoid_descriptors.items()),
            f"avoid_materials: {brief.avoid_materials} · must_include: {brief.must_include}",
            f"occasion `{brief.occasion}` · intensity {brief.intensity:.2f} · budget {brief.budget_tier}/5 · "
            f"headline ≥ {HEADLINE_WEIGHT}",
        ]
        return StepLine(stage=Stage.interpret, summary=summary, detail=_bullets(lines) + self._developer(dev))

    def _retrieve(self, update: dict[str, Any]) -> StepLine:
        hits = [SearchResult.model_validate(r) for r in update.get("retrieved") or []]
        kept = [hit for hit in hits if not self.ruled_out(hit)]
        considered = len(update.get("candidate_ids") or [])
        lines = [f"{self._record_name(hit)} ({COLLECTION_KO[hit.collection]})" for hit in kept]
        detail = (f"재료 {considered}개를 후보로 놓고 설계했어요." + ("\n\n참고한 자료\n" + _bullets(lines) if lines else "")
                  + (f"\n\n빼 달라고 하신 향이 중심인 자료 {len(hits) - len(kept)}개는 참고하지 않았어요."
                     if len(kept) < len(hits) else ""))
        dev = [f"`{hit.id}` {hit.collection.value} {hit.score:.2f}" + (" — 제외 (ruled out)" if hit not in kept else "")
               for hit in hits]
        dev.append("candidate_ids: " + ", ".join(f"`{m}`" for m in update.get("candidate_ids") or []))
        return StepLine(stage=Stage.retrieve, summary=f"재료 후보 {considered}개 · 참고 자료 {len(kept)}개",
                        detail=detail + self._developer(dev))

    def _generate(self, update: dict[str, Any]) -> StepLine:
        candidates = update.get("candidates") or []
        origins = Counter(source_of(c["origin"]) for c in candidates)
        summary = f"후보 배합 {len(candidates)}개"
        if origins[Source.llm]:
            summary += f" (언어 모델 제안 {origins[Source.llm]}개 포함)"
        detail = ", ".join(f"{ORIGIN_KO.get(origin, origin)} {n}개" for origin, n in origins.items())
        dev = [f"`{c['origin']}` `{c['recipe']['id']}` {c['recipe'].get('name', '')}" for c in candidates]
        return StepLine(stage=Stage.design, summary=summary, detail=detail + self._developer(dev))

    def _revise(self, update: dict[str, Any]) -> StepLine:
        """``revise`` repairs the best candidates in rank order and appends them after the ranked ones."""
        self.rounds = update.get("revisions") or self.rounds + 1
        added = (update.get("candidates") or [])[len(self.ranked):]
        repaired = [c for c in added if repaired_origin(c["origin"])]
        fixes: list[str] = []
        for parent in self.ranked[:len(repaired)]:
            recipe = Recipe.model_validate(parent["recipe"])
            found = _fixes_ko(recipe.violations)
            self.fixed.setdefault(recipe.id, []).extend(found)
            fixes += found
        summary = f"보정 {self.rounds}회차 · 고친 배합 {len(repaired)}개와 새 후보를 다시 평가"
        return StepLine(stage=Stage.review, summary=summary, detail=_bullets(list(dict.fromkeys(fixes))))

    def _critique(self, update: dict[str, Any]) -> StepLine | None:
        self.ranked = update.get("candidates") or []
        if not self.ranked:
            return None
        best = self.ranked[0]
        chosen = Recipe.model_validate(best["recipe"])
        total = chosen.score.total if chosen.score else 0.0
        summary = f"‘{chosen.name or '새 배합'}’ 선택 · 점수 {total:.2f}"
        fixed = list(dict.fromkeys(self.fixed.get(chosen.id, []))) if repaired_origin(best["origin"]) else []
        if fixed:
            summary += f" · 보정 {len(fixed)}곳"
        missed = [v for v in chosen.violations if v.code == ViolationCode.headline_missing]
        if missed:
            summary += f" · 살리지 못한 향 {len(missed)}개"
        rows = [f"{'✓ ' if i == 0 else ''}{Recipe.model_validate(c['recipe']).name or '배합'}"
                f"{' (보정)' if repaired_origin(c['origin']) else ''} — {c['recipe']['score']['total']:.2f}"
                for i, c in enumerate(self.ranked[:SHOWN_CANDIDATES])]
        parts = [f"후보 {len(self.ranked)}개를 점수로 견줘 가장 나은 배합을 골랐어요"
                 + (f" (보정 {self.rounds}회)." if self.rounds else "."), _bullets(rows)]
        if fixed:
            parts.append("고친 점\n" + _bullets(fixed))
        if missed:
            parts.append(_bullets([f"⚠️ {v.message_ko}" for v in missed]))
        dev = [f"`{c['origin']}` `{c['recipe']['id']}` {c['recipe']['score']['total']:.3f}" for c in self.ranked]
        if chosen.score:
            dev.append("components: " + ", ".join(f"{k} {v:.2f}" for k, v in chosen.score.components.items()))
        return StepLine(stage=Stage.review, summary=summary, detail="\n\n".join(parts) + self._developer(dev))

    def _respond(self, update: dict[str, Any]) -> StepLine:
        recipe = Recipe.model_validate(update["recipe"])
        records = [GenerationRecord.model_validate(g) for g in update.get("generation_log") or []
                   if g.get("task") == "narrate"]
        summary, detail = f"v{recipe.version} 완성", "소개 문장은 처방과 자료에 맞는지 한 문장씩 확인한 뒤에 보여 드려요."
        dev: list[str] = []
        if not records:
            summary += " · 기본 소개"
        else:
            record = records[-1]
            withheld = len(record.problems)
            summary += {Outcome.ok: " · 언어 모델 소개, 모든 문장 확인",
                        Outcome.repaired: f" · 확인되지 않은 문장 {withheld}개 뺌",
                        Outcome.fallback: f" · 확인되지 않은 문장 {withheld}개 빼고 기본 소개"}[record.outcome]
            dev = [f"{record.backend} {record.outcome.value} · {record.completion_tokens} tokens, "
                   f"{record.tokens_per_s or 0:.1f} tok/s", *record.problems]
        return StepLine(stage=Stage.explain, summary=summary, detail=detail + self._developer(dev))

    def _edit(self, update: dict[str, Any]) -> StepLine | None:
        if not update.get("new_version"):
            return None
        recipe = Recipe.model_validate(update["recipe"])
        change = RecipeDiff.model_validate(update["extras"]["diff"]) if "diff" in (update.get("extras") or {}) else None
        said = change.summary_ko() if change else f"v{recipe.version}"
        moved = len(change.added) + len(change.removed) + len(change.changed) if change else 0
        summary = said if len(said) <= MAX_SUMMARY else f"v{change.from_version} → v{change.to_version} · 재료 {moved}곳"
        return StepLine(stage=Stage.design, summary=summary, detail=said + self._developer([f"`{recipe.id}`"]))

    def _import(self, update: dict[str, Any]) -> StepLine | None:
        if not update.get("new_version"):
            return None
        recipe = Recipe.model_validate(update["recipe"])
        return StepLine(stage=Stage.design, summary=f"v{recipe.version} · 재료 {len(recipe.ingredients)}개 읽음",
                        detail=self._developer([f"`{recipe.id}`"]))

    # --- helpers -----------------------------------------------------------------------
    def ruled_out(self, hit: SearchResult) -> bool:
        """Does the brief rule this record out? A material as the critic judges it (``fit.is_avoided``); an
        accord or a perfume when an avoided odor is its main character — its first two descriptors, or one
        its first implies, as for a material — or when it is built on a material the brief names to avoid."""
        brief, catalog = self.brief, self.kb.catalog
        if brief is None:
            return False
        if hit.collection == CollectionName.materials:
            return hit.id in catalog and is_avoided(brief, hit.id, catalog)
        record = self.kb.accords.get(hit.id) if hit.collection == CollectionName.accords else self.kb.perfumes.get(hit.id)
        if record is None:
            return False
        main = [*record.descriptors[:2], *catalog.descriptor_implies.get(record.descriptors[0], ())]
        avoided = set(brief.avoid_descriptors)
        parts = ([c.material for c in record.components] if hit.collection == CollectionName.accords
                 else record.material_ids())
        return (any(d in avoided or catalog.family_of(d) in avoided for d in main)
                or any(m in brief.avoid_materials for m in parts))

    def _words(self, descriptors: list[str]) -> list[str]:
        """One Korean word per descriptor key, without repeats."""
        words = (self.kb.catalog.descriptor_word(d) for d in descriptors)
        return list(dict.fromkeys(w for w in words if w))

    def _material_name(self, material_id: str) -> str:
        material = self.kb.materials.get(material_id)
        return material.name_ko if material else "목록에 없는 재료"

    def _record_name(self, hit: SearchResult) -> str:
        perfume = self.kb.perfumes.get(hit.id) if hit.collection == CollectionName.perfumes else None
        return f"{perfume.brand} {perfume.name}" if perfume else hit.name_ko

    def _occasion(self, occasion: str) -> str:
        """The person's own word for the occasion (the lexicon term that set it)."""
        terms = [m.entry.term for m in (self.reading.matches if self.reading else []) if m.entry.occasion == occasion]
        return terms[0] if terms else ""

    @staticmethod
    def _product(brief: Brief) -> str:
        label = PRODUCTS[brief.product].label_ko
        return f"{label} {brief.concentration.value}" if brief.product == Product.fine_fragrance else label

    def _developer(self, lines: list[str]) -> str:
        return "\n\n**개발자 보기**\n" + _bullets(lines) if self.developer and lines else ""


def _bullets(lines: list[str]) -> str:
    return "\n".join(f"- {line}" for line in lines if line)


def _fixes_ko(violations: list[Violation]) -> list[str]:
    """What repairing a formula with these violations sets out to fix: the critic's own fixes where it
    stated them, else (plain repair) every warning and error."""
    with_fixes = [v for v in violations if v.fixes]
    chosen = with_fixes or [v for v in violations if v.severity != Severity.info]
    return [f"{v.message_ko} → {v.fix_ko}" if v.fix_ko else v.message_ko for v in chosen]


def _intensity_ko(intensity: float) -> str:
    return "은은하게" if intensity < 0.35 else "강하게" if intensity > 0.65 else "보통"
