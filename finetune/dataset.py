"""SFT examples for the generator: (prompt → target) pairs for both of its tasks.

Sources:
- synthetic briefs from the Korean lexicon (1–3 phrases combined into a request) and from the
  reference perfumes ("X 같은 향"); proposal targets are the composer's formulas over a candidate
  pool, kept only when the critic scores them at or above a threshold; narration targets are
  Korean explanations assembled from knowledge-base facts (the same facts the prompt shows).
- logged sessions the user liked, when a store is given: (brief, recipe, reply) triples.
Examples are deduplicated, split train/dev by brief (a dev brief is never seen in training),
written as JSONL, and described by a data card with counts, sources and the content hash.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from finetune.rft import RftStats, Sampler, preferred
from knowledge.kb import KnowledgeBase
from knowledge.korean import modifiers_as_nouns
from perfumery.amounts import fill_to_total, normalise, round_to_total
from perfumery.brief import Brief
from perfumery.catalog import Catalog
from perfumery.composer import compose
from perfumery.critic import critique, critiqued
from perfumery.fit import delivered
from perfumery.models import Concentration, LexiconEntry, ReferencePerfume
from perfumery.naming import lead_sentence, particle
from perfumery.pool import candidate_pool
from perfumery.recipe import Ingredient, Recipe
from prompts import MAX_ITEMS, MIN_ITEMS, NARRATION_TARGETS, PromptBuilder, format_proposal

Task = Literal["propose", "narrate"]
Source = Literal["lexicon", "perfume", "session", "rft"]

CONCENTRATIONS = [Concentration.EDP] * 4 + [Concentration.EDT] * 3 + [Concentration.EDC, Concentration.Parfum]
LEXICON_CATEGORIES_FIRST = ("mood", "texture", "nature", "food", "material", "colour", "persona", "style")

_REQUEST_ENDINGS = (
    "{p} 향수 만들어 주세요", "{p} 향을 원해요", "{p} 느낌의 향수를 찾고 있어요", "{p} 향수를 설계해 줘",
    "{p} 분위기의 향이 좋겠어요", "{p} 향으로 부탁드려요",
)
_PERFUME_REQUESTS = (
    "{name} 같은 향을 원해요", "{name}처럼 {words} 향수 만들어 주세요", "{words} 느낌, {name} 비슷하게요",
    "{name}에서 영감을 받은 {words} 향",
)


class Example(BaseModel):
    task: Task
    source: Source
    brief_key: str
    prompt: str
    target: str


@dataclass
class BuildStats:
    briefs: int = 0
    composed: int = 0
    kept: int = 0
    below_threshold: int = 0


def _renormalised(recipe: Recipe, lines: Sequence[Ingredient], catalog: Catalog) -> Recipe:
    """The kept lines back to 100 the way a perfumer would: the carriers take the dropped weight within
    their ceilings (accents keep their dose); only what they cannot hold is spread over every line."""
    doses = {i.material_id: i.percent for i in lines}
    carriers = {m: catalog.material(m).typical_dose for m in doses if catalog.material(m).carrier}
    ceilings = {m: catalog.ceiling(m, recipe.dilution_percent, recipe.category) for m in doses}
    doses = normalise(fill_to_total(doses, carriers, ceilings))
    written = round_to_total(doses)
    lines = [i.model_copy(update={"percent": written[i.material_id]}) for i in lines]
    return recipe.model_copy(update={"ingredients": lines, "score": None, "violations": []})


def core_formula(recipe: Recipe, brief: Brief, catalog: Catalog) -> Recipe:
    """The composer's formula cut to ``MAX_ITEMS`` lines, scored by the critic.

    The composer writes 10–15 lines; a proposal of that length would take the grammar-constrained
    model too long, so the model proposes the core and the perfumery core completes it. Lines are
    dropped one at a time, each time the one whose loss the critic minds least (brief fit, structure
    and balance together), so the target teaches which materials carry the brief rather than which
    happen to be dosed highest. The result comes back critiqued.
    """
    lines = list(recipe.ingredients)
    while len(lines) > MAX_ITEMS:
        drop = max(range(len(lines)), key=lambda k: critique(
            _renormalised(recipe, lines[:k] + lines[k + 1:], catalog), catalog, brief).score.total)
        lines.pop(drop)
    return critiqued(_renormalised(recipe, lines, catalog), catalog, brief)


def proposal_target(recipe: Recipe, candidate_ids: Sequence[str]) -> str:
    """The recipe as the grammar's ``number:percent`` line over candidates numbered as the prompt shows them."""
    number = {m: k for k, m in enumerate(candidate_ids, start=1)}
    return format_proposal((number[i.material_id], i.percent) for i in recipe.ingredients)


def _object(word: str) -> str:
    return particle(word, "을", "를")


def story_sentences(brief: Brief, builder: PromptBuilder) -> tuple[list[str], list[str]]:
    """Candidate (mood, scene) sentences of a narration target for ``brief`` — the brief as the formula
    delivers it, so every odour word is one the formula makes perceptible. They name no material and no
    position: the model learns to write the story only (``prompts/generator.yaml``)."""
    targets = builder.descriptor_words(brief.descriptors, limit=NARRATION_TARGETS) if brief.descriptors else ""
    words = " ".join(brief.themes[:2])
    conc = brief.concentration.value
    moods = []
    if targets:
        moods += [f"요청하신 {targets} 분위기를 담았습니다.", f"{targets} 느낌이 먼저 다가오는 향입니다.",
                  f"{targets} 인상이 차분하게 어우러지도록 구성했습니다."]
        if words:
            moods += [f"{_object(words)} 떠올리게 하는 {targets} 향입니다.",
                      f"{words}의 장면을 {targets} 향으로 옮겼습니다."]
    elif words:
        moods += [f"{words}의 분위기를 담아 구성했습니다.", f"{_object(words)} 떠올리며 구성한 향입니다."]
    else:
        moods.append("요청하신 분위기에 맞춰 차분하게 구성했습니다.")
    scenes = [f"{conc} 처방으로 하루의 장면에 어울리게 담았습니다."]
    if brief.season:
        season = builder.labels.season.get(brief.season.value, brief.season.value)
        scenes += [f"{season}에 어울리도록 구성한 {conc} 처방입니다.", f"{season}의 하루와 잘 어울리는 향입니다."]
    if words:
        scenes.append(f"{_object(words)} 좋아하는 분께 권하고 싶은 {conc} 처방입니다.")
    # The person's words go where a noun goes; a mood word alone there ("따뜻한을") is not Korean.
    return [m for m in moods if not modifiers_as_nouns(m)], [c for c in scenes if not modifiers_as_nouns(c)]


def narration_target(brief: Brief, builder: PromptBuilder, rng: random.Random,
                     accept: Callable[[str], bool] = lambda text: True) -> str:
    """Two sentences of mood and scene for the story prompt, chosen at random among those ``accept`` passes
    (the claim checker, when the caller has one); empty when none does."""
    moods, scenes = story_sentences(brief, builder)
    pairs = [(m, c) for m in moods for c in scenes]
    rng.shuffle(pairs)
    return next((f"{m} {c}" for m, c in pairs if accept(f"{m} {c}")), "")


def _merge_lexicon(entries: Sequence[LexiconEntry], text: str, rng: random.Random) -> Brief:
    """One brief from lexicon entries; their terms are the person's words (``Brief.themes``), as the chat's
    reading keeps them."""
    descriptors: dict[str, float] = {}
    avoid: dict[str, float] = {}
    fields: dict[str, Any] = {}
    for entry in entries:
        for d, w in entry.descriptors.items():
            descriptors[d] = max(descriptors.get(d, 0.0), w)
        for d, w in entry.avoid.items():
            avoid[d] = max(avoid.get(d, 0.0), w)
        for name in ("season", "occasion", "intensity", "style"):
            value = getattr(entry, name)
            if value is not None:
                fields[name] = value
    top = dict(sorted(descriptors.items(), key=lambda kv: -kv[1])[:6])
    avoid = {d: w for d, w in avoid.items() if d not in top}
    return Brief(descriptors=top, avoid_descriptors=avoid, concentration=rng.choice(CONCENTRATIONS), text=text,
                 themes=[e.term for e in entries], **fields)


def lexicon_briefs(kb: KnowledgeBase, n: int, rng: random.Random) -> Iterator[Brief]:
    """Requests made of 1–3 lexicon phrases: a mood/texture word plus, often, a season or place."""
    by_category: dict[str, list[LexiconEntry]] = {}
    for entry in kb.lexicon.values():
        if entry.descriptors and entry.category != "negation":
            by_category.setdefault(entry.category, []).append(entry)
    if not by_category:
        return
    heads = [e for c in LEXICON_CATEGORIES_FIRST for e in by_category.get(c, [])] or \
        [e for es in by_category.values() for e in es]
    contexts = [e for c, es in by_category.items() if c not in LEXICON_CATEGORIES_FIRST for e in es]
    for _ in range(n):
        chosen = [rng.choice(heads)]
        if contexts and rng.random() < 0.7:
            chosen.insert(0, rng.choice(contexts))
        if rng.random() < 0.3:
            extra = rng.choice(heads)
            if extra not in chosen:
                chosen.insert(-1, extra)
        phrase = " ".join(e.term for e in chosen)
        yield _merge_lexicon(chosen, rng.choice(_REQUEST_ENDINGS).format(p=phrase), rng)


def perfume_briefs(kb: KnowledgeBase, rng: random.Random) -> Iterator[Brief]:
    """One request per reference perfume: its published descriptors as the target."""
    for perfume in kb.perfumes.values():
        yield _perfume_brief(perfume, kb, rng)


def _perfume_brief(perfume: ReferencePerfume, kb: KnowledgeBase, rng: random.Random) -> Brief:
    descriptors = {d: round(1.0 - 0.12 * i, 2) for i, d in enumerate(perfume.descriptors[:6])}
    words = " ".join(kb.descriptor_words_ko(perfume.descriptors[:2])[:2])
    text = rng.choice(_PERFUME_REQUESTS).format(name=perfume.name, words=words)
    return Brief(descriptors=descriptors, style=perfume.gender, concentration=rng.choice(CONCENTRATIONS), text=text)


def brief_key(brief: Brief) -> str:
    return hashlib.sha256(brief.model_dump_json().encode()).hexdigest()[:16]


# Whether a narration may be shown for (text, recipe, brief): the claim checker, wired by the command.
NarrationCheck = Callable[[str, Recipe, Brief], bool]


@dataclass
class Signals:
    """What the build may use beyond the composer: the current model's proposals (RFT) for the first
    ``rft_briefs`` briefs (their order is random), and the claim check narration targets must pass."""

    sampler: Sampler | None = None
    rft_briefs: int = 0
    narration_check: NarrationCheck | None = None
    rft: RftStats = field(default_factory=RftStats)


def examples_for_brief(brief: Brief, source: Source, kb: KnowledgeBase, builder: PromptBuilder,
                       rng: random.Random, threshold: float, stats: BuildStats, variants: int = 2,
                       signals: Signals | None = None, orders: int = 1) -> list[Example]:
    """Proposal examples for the composer's formulas that pass the critic — and, while ``signals`` has RFT
    briefs left, the model's own proposals whose delivered formulas beat the composer's (``finetune.rft``) —
    and one narration example. With ``orders`` > 1, each proposal target is also shown over the same candidates
    in other orders: the materials stay, their numbers move, so only reading the names fits them all."""
    signals = signals or Signals()
    catalog = kb.catalog
    pool = candidate_pool(brief, catalog, rng)
    recipes = compose(brief, catalog, candidates=pool, n=variants, seed=rng.randrange(1 << 30))
    stats.briefs += 1
    stats.composed += len(recipes)
    cores = [core_formula(r, brief, catalog) for r in recipes]
    good = [r for r in cores if r.score and r.score.total >= threshold]
    stats.below_threshold += len(recipes) - len(good)
    stats.kept += len(good)
    # An accord the composer lays may bring components from outside the pool: show them too, so a
    # target never uses an id its prompt did not offer (the grammar would forbid it at run time).
    extra = sorted({i.material_id for r in cores for i in r.ingredients} - set(pool))
    if extra:
        pool = [*pool, *extra]
        rng.shuffle(pool)
    candidates = [catalog.material(m) for m in pool]
    won: list[Recipe] = []
    if signals.sampler is not None and signals.rft.briefs < signals.rft_briefs:
        samples = signals.sampler(brief, candidates)
        offered = set(pool)  # a target may use only what its prompt numbers
        won = [r for r in preferred(samples, recipes, brief, catalog)
               if {i.material_id for i in r.ingredients} <= offered]
        signals.rft.briefs += 1
        signals.rft.sampled += len(samples)
        signals.rft.preferred += len(won)
    if not good and not won:
        return []
    key = brief_key(brief)
    examples = []
    for order in [pool, *(rng.sample(pool, len(pool)) for _ in range(orders - 1))]:
        prompt = builder.proposal(brief, [catalog.material(m) for m in order])
        examples += [Example(task="propose", source=source if r in good else "rft", brief_key=key, prompt=prompt,
                             target=proposal_target(r, order)) for r in [*won, *good]]
    narration = narration_example(([*won, *good])[0], brief, source, key, catalog, builder, rng,
                                  signals.narration_check)
    return [*examples, *([narration] if narration else [])]


def narration_example(recipe: Recipe, brief: Brief, source: Source, key: str, catalog: Catalog,
                      builder: PromptBuilder, rng: random.Random, check: NarrationCheck | None = None,
                      ) -> Example | None:
    """The story prompt for ``recipe`` and a two-sentence target that passes ``check`` with the lead sentence
    the chat appends (``perfumery.naming.lead_sentence``); None when no candidate passes."""
    answered = delivered(brief, {i.material_id: i.percent for i in recipe.ingredients}, catalog)
    lead = lead_sentence(recipe, catalog)
    target = narration_target(answered, builder, rng,
                              (lambda text: check(f"{text} {lead}", recipe, brief)) if check else lambda text: True)
    if not target:
        return None
    return Example(task="narrate", source=source, brief_key=key, prompt=builder.narration(answered), target=target)


def story_of(reply: str, recipe: Recipe) -> str:
    """The story a liked reply told: its narration paragraph (after the title line) without the sentences
    that name one of the formula's materials — those the chat writes from the formula itself."""
    sections = [part.strip() for part in reply.split("\n\n") if part.strip()]
    paragraph = next((part for part in sections if not part.startswith(("#", "|", "**"))), "")
    names = [i.name_ko for i in recipe.ingredients if i.name_ko]
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", " ".join(paragraph.split())) if s]
    return " ".join(s for s in sentences if s.endswith((".", "!", "?")) and not any(n in s for n in names))


def session_examples(rows: Iterable[tuple[Brief | Mapping[str, Any], Recipe, str]], kb: KnowledgeBase,
                     builder: PromptBuilder, rng: random.Random, check: NarrationCheck | None = None,
                     ) -> list[Example]:
    """Examples from logged (brief, recipe, reply) triples the user liked: the recipe as a proposal over a
    pool that contains it — cut to its core (``core_formula``) as the composer's are, since a chat formula
    runs to 15–25 lines and a proposal holds ``MAX_ITEMS`` — and the reply's story (``story_of``) as the
    narration when it passes ``check`` on the whole formula the reply told."""
    catalog = kb.catalog
    examples = []
    for raw_brief, recipe, reply in rows:
        brief = raw_brief if isinstance(raw_brief, Brief) else Brief.model_validate(raw_brief)
        known = [i for i in recipe.ingredients if i.material_id in catalog]
        if len(known) < MIN_ITEMS or not reply.strip():
            continue
        clean = recipe.model_copy(update={"ingredients": known})
        core = core_formula(clean, brief, catalog) if len(known) > MAX_ITEMS else clean
        chosen = {i.material_id: None for i in core.ingredients}
        pool = [*chosen, *(m for m in candidate_pool(brief, catalog, rng) if m not in chosen)]
        rng.shuffle(pool)
        key = brief_key(brief)
        examples.append(Example(task="propose", source="session", brief_key=key,
                                prompt=builder.proposal(brief, [catalog.material(m) for m in pool]),
                                target=proposal_target(core, pool)))
        story = story_of(reply, clean)
        if story and (check is None or check(story, clean, brief)):
            answered = delivered(brief, {i.material_id: i.percent for i in known}, catalog)
            examples.append(Example(task="narrate", source="session", brief_key=key,
                                    prompt=builder.narration(answered), target=story))
    return examples


def liked_sessions(db_url: str) -> list[tuple[dict[str, Any], Recipe, str]]:
    """Liked turns from the store; empty when there is no database yet (a fresh install)."""
    import asyncio

    if db_url.startswith("sqlite"):
        path = Path(db_url.split("///", 1)[-1])
        if not path.is_file():
            return []
    from store import SYSTEM, Store

    async def read() -> list[tuple[dict[str, Any], Recipe, str]]:
        store = await Store.open(db_url)
        try:
            return await store.liked_turns(SYSTEM)  # every owner's: an operator's job (README, tenancy)
        finally:
            await store.close()

    return asyncio.run(read())


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for example in examples:
        key = (example.prompt, example.target)
        if key not in seen:
            seen.add(key)
            unique.append(example)
    return unique


def split(examples: Sequence[Example], dev_share: float, rng: random.Random) -> tuple[list[Example], list[Example]]:
    """Train/dev split by brief, so dev measures briefs the model never saw."""
    keys = sorted({e.brief_key for e in examples})
    rng.shuffle(keys)
    dev_keys = set(keys[: max(1, round(len(keys) * dev_share))])
    train = [e for e in examples if e.brief_key not in dev_keys]
    dev = [e for e in examples if e.brief_key in dev_keys]
    return train, dev


class DatasetSummary(BaseModel):
    out_dir: str
    train: int
    dev: int
    sha256: str
    counts: dict[str, int]
    stats: dict[str, int]


def build_dataset(kb: KnowledgeBase, out_dir: Path, *, n_lexicon: int = 600, threshold: float = 0.8,
                  dev_share: float = 0.1, seed: int = 42,
                  sessions: Iterable[tuple[Brief | Mapping[str, Any], Recipe, str]] = (),
                  signals: Signals | None = None, progress: bool = True, orders: int = 1) -> DatasetSummary:
    """Build, deduplicate, split and write ``train.jsonl``, ``dev.jsonl`` and ``DATA_CARD.md``."""
    from tqdm import tqdm

    signals = signals or Signals()
    rng = random.Random(seed)
    builder = PromptBuilder({key: d.ko[0] for key, d in kb.descriptors.items()})
    stats = BuildStats()
    sources: list[tuple[Source, Brief]] = [("lexicon", b) for b in lexicon_briefs(kb, n_lexicon, rng)]
    sources += [("perfume", b) for b in perfume_briefs(kb, rng)]
    examples: list[Example] = []
    for source, brief in tqdm(sources, desc="briefs", disable=not progress):
        examples.extend(examples_for_brief(brief, source, kb, builder, rng, threshold, stats, signals=signals,
                                           orders=orders))
    examples.extend(session_examples(sessions, kb, builder, rng, signals.narration_check))
    examples = deduplicate(examples)
    train, dev = split(examples, dev_share, rng)
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for name, rows in (("train", train), ("dev", dev)):
        payload = "".join(json.dumps(e.model_dump(), ensure_ascii=False) + "\n" for e in rows)
        (out_dir / f"{name}.jsonl").write_text(payload, encoding="utf-8")
        digest.update(payload.encode())
    counts = Counter(f"{split_name}/{e.task}/{e.source}" for split_name, rows in (("train", train), ("dev", dev))
                     for e in rows)
    summary = DatasetSummary(out_dir=str(out_dir), train=len(train), dev=len(dev), sha256=digest.hexdigest(),
                             counts=dict(sorted(counts.items())), stats={**vars(stats), **signals.rft.as_dict()})
    (out_dir / "DATA_CARD.md").write_text(data_card(summary, kb, threshold, seed), encoding="utf-8")
    return summary


def dataset_hash(out_dir: Path) -> str:
    """The hash the data card states: sha256 over train.jsonl then dev.jsonl."""
    digest = hashlib.sha256()
    for name in ("train", "dev"):
        digest.update((out_dir / f"{name}.jsonl").read_bytes())
    return digest.hexdigest()


def data_card(summary: DatasetSummary, kb: KnowledgeBase, threshold: float, seed: int) -> str:
    rows = "\n".join(f"| {k} | {v} |" for k, v in summary.counts.items())
    s = summary.stats
    return f"""# Hyanggi generator SFT data

- sha256 (train.jsonl + dev.jsonl): `{summary.sha256}`
- knowledge base content hash: `{kb.content_hash}`
- examples: {summary.train} train, {summary.dev} dev (split by brief: dev briefs never appear in train)
- seed: {seed}; critic threshold for proposal targets: {threshold}

## Sources
- **lexicon**: synthetic requests combining 1–3 phrases of the Korean lexicon ({len(kb.lexicon)} entries).
- **perfume**: one request per reference perfume ({len(kb.perfumes)} perfumes), its published descriptors as target.
- **session**: liked turns from the store (brief, recipe, reply), when a database exists.

- **rft**: the current model's own proposals, written as it wrote them, whose delivered formula (repaired, finished)
  beats the composer's formulas for the same brief and candidates on the reward of `finetune/rft.py` (critic
  total − 0.1 per imperceptible headline − 0.1 per avoided odour present), never below the best of them on
  compliance or dose realism: {s['rft_preferred']} preferred of {s['rft_sampled']} sampled for {s['rft_briefs']}
  briefs.

Proposal targets are the deterministic composer's formulas over the numbered candidate pool shown in the
prompt (numbered in shuffled order, so a number says nothing of position), written as the grammar's
`number:percent` line (whole percent, tenths below 1), cut to their {MAX_ITEMS}-line core (the lines whose
removal the critic minds most), kept when the core's critic total score ≥ {threshold} ({s['kept']} of
{s['composed']} composed for {s['briefs']} briefs; {s['below_threshold']} below threshold). Narration targets
are the story only — two sentences of mood and scene from the brief as the formula delivers it, no material
named — each kept only when, with the lead-material sentence the chat appends, it passes the claim checker.

## Counts (split/task/source)
| bucket | examples |
|---|---|
{rows}
"""
