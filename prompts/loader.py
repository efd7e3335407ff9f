"""Load the generator templates and render them from briefs, candidates and recipes.

Rendering takes duck-typed objects (Protocols) so this package stays free of imports from the
rest of the project while the runtime and the training-data builder share one renderer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

TEMPLATES_FILE = Path(__file__).with_name("generator.yaml")
# Longest request text and fact block kept in a prompt: prompt time is the first-token latency.
MAX_REQUEST_CHARS = 160
# The person's own scene and mood words a story prompt shows.
MAX_THEMES = 3
# Descriptor words shown after each candidate: the 270M model cannot know what every material smells
# of, but it can match these words against the brief's "향조" line.
CANDIDATE_TAGS = 2
# Target descriptors a narration names: the prompt states them so the model copies the parsed brief
# instead of re-reading the request ("너무 달지 않게" is not a wish for sweetness).
NARRATION_TARGETS = 3


class PromptTemplate(BaseModel):
    """One frame of the generator's plain-text format, with its decoding defaults."""

    model_config = ConfigDict(extra="forbid")

    description: str
    fields: list[str]
    template: str
    max_tokens: int = Field(gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2, description="None: the configured temperature.")
    stop: list[str] = Field(default_factory=list)
    max_sentences: int | None = Field(default=None, gt=0, description="stop after this many sentences.")

    @model_validator(mode="after")
    def _fields_match_template(self) -> PromptTemplate:
        for name in self.fields:
            if "{" + name + "}" not in self.template:
                raise ValueError(f"template does not use its field {name!r}")
        return self

    def render(self, **values: str) -> str:
        missing = set(self.fields) - set(values)
        if missing:
            raise KeyError(f"missing prompt fields: {sorted(missing)}")
        return self.template.format(**{k: values[k] for k in self.fields})


class Labels(BaseModel):
    model_config = ConfigDict(extra="forbid")

    none: str
    note: dict[str, str]
    season: dict[str, str]
    style: dict[str, str]
    intensity: list[str] = Field(min_length=3, max_length=3)


class Templates(BaseModel):
    model_config = ConfigDict(extra="forbid")

    propose: PromptTemplate
    narrate: PromptTemplate
    labels: Labels
    fallback_narration: str
    fallback_narration_plain: str


@lru_cache
def load_templates(path: Path = TEMPLATES_FILE) -> Templates:
    return Templates.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


class BriefLike(Protocol):
    text: str
    descriptors: dict[str, float]
    avoid_descriptors: dict[str, float]
    season: str | None
    style: str
    intensity: float
    concentration: Any
    themes: list[str]


class CandidateLike(Protocol):
    id: str
    name_ko: str
    note: Any
    descriptors: Sequence[str]


def _value(enum_or_str: Any) -> str:
    return str(getattr(enum_or_str, "value", enum_or_str))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class PromptBuilder:
    """Renders proposal and narration prompts; ``descriptor_ko`` maps vocabulary keys to Korean words."""

    def __init__(self, descriptor_ko: Mapping[str, str], templates: Templates | None = None) -> None:
        self.descriptor_ko = dict(descriptor_ko)
        self.templates = templates or load_templates()

    @property
    def labels(self) -> Labels:
        return self.templates.labels

    def descriptor_words(self, weights: Mapping[str, float], limit: int = 5) -> str:
        """The strongest descriptors in Korean, strongest first (ties by key, so renders are stable)."""
        ranked = [d for d, _ in sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
        return ", ".join(self.descriptor_ko.get(d, d) for d in ranked) or self.labels.none

    def _details(self, brief: BriefLike) -> str:
        labels = self.labels
        level = labels.intensity[min(2, int(brief.intensity * 3))]
        parts = [_value(brief.concentration), labels.style.get(brief.style, brief.style), level]
        if brief.season:
            parts.insert(1, labels.season.get(brief.season, brief.season))
        return ", ".join(parts)

    def request_text(self, brief: BriefLike) -> str:
        return _clip(brief.text, MAX_REQUEST_CHARS) or self.descriptor_words(brief.descriptors)

    def candidate_lines(self, candidates: Iterable[CandidateLike]) -> str:
        """One line per note position (``탑: 7 베르가못(향·향), 2 …``): the position costs one label, not one
        per material. Candidates are numbered in the order given — the pool is shuffled, so a number says
        nothing about position and a proposal must read the names (numbered by position, the model learned
        that the last numbers are the base); the strongest descriptors in the brief's own words let the model
        match them."""
        lines: dict[str, list[str]] = {note: [] for note in self.labels.note}
        for number, c in enumerate(candidates, start=1):
            tags = "·".join(self.descriptor_ko.get(d, d) for d in c.descriptors[:CANDIDATE_TAGS])
            name = c.name_ko or c.id
            lines.setdefault(_value(c.note), []).append(f"{number} {name}({tags})" if tags else f"{number} {name}")
        return "\n".join(f"{self.labels.note.get(note, note)}: {', '.join(items)}"
                         for note, items in lines.items() if items)

    def proposal(self, brief: BriefLike, candidates: Sequence[CandidateLike]) -> str:
        """The proposal prompt; candidate ``k`` (from 1) is ``candidates[k - 1]``."""
        return self.templates.propose.render(
            request=self.request_text(brief),
            targets=self.descriptor_words(brief.descriptors),
            avoid=self.descriptor_words(brief.avoid_descriptors, limit=3),
            details=self._details(brief),
            candidates=self.candidate_lines(candidates),
        )

    def fallback_narration(self, brief: BriefLike, concept: str) -> str:
        """The template narration; it names only the descriptors in ``brief`` (the caller passes the delivered
        ones), and none at all when there are none."""
        targets = self.descriptor_words(brief.descriptors, limit=NARRATION_TARGETS) if brief.descriptors else ""
        template = self.templates.fallback_narration if targets else self.templates.fallback_narration_plain
        return template.format(targets=targets, concept=concept)

    def scene(self, brief: BriefLike) -> str:
        """What the story may draw on besides the odour: the person's own words for the scene and mood
        ("포근한, 카페"), the season and the concentration."""
        parts = [*brief.themes[:MAX_THEMES]]
        if brief.season:
            parts.append(self.labels.season.get(brief.season, brief.season))
        parts.append(_value(brief.concentration))
        return ", ".join(parts)

    def narration(self, brief: BriefLike) -> str:
        """The story prompt for a formula; ``brief`` holds only what the formula delivers (perfumery.fit)."""
        return self.templates.narrate.render(
            request=self.request_text(brief),
            targets=self.descriptor_words(brief.descriptors, limit=NARRATION_TARGETS),
            scene=self.scene(brief),
        )
