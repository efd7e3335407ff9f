"""Training pairs for the verdict model: (statement, evidence) → supported or not, labelled by construction.

A pair is true when the statement was written from the turn's own recipe and records, and false when one
checkable fact in it was changed so that the recipe and records no longer say it. The true statements are
the chat's own: a composed, critiqued formula (``perfumery.compose``) rendered by ``agent.replies.render``
exactly as a reply (its concept line places the lead materials: "A로 열고 B가 중심을 잡으며 C가 오래 남는"),
an edit turn's change line, a question turn's record answer, and "요청하신 X 분위기" sentences;
``ClaimChecker.sentences`` cuts them as the judge will. The generator's narration is left out: its wording
belongs to the generator's training data and changes with it, and the concept line and the per-material
notes already state every position a narration may. Each false statement names what was changed (``kind``):

- ``tier_swap`` / ``tier_intruder``: a material put in another note position (two names swapped, or one
  replaced by a line of another position) — the mistake the 270M narration makes;
- ``foreign_material``: a material the formula and the records do not have;
- ``number``: a figure the context states (a dose, the pyramid, a count, a similarity, an amount) changed;
- ``position_word``, ``concentration``, ``ifra_status``: the position, the concentration, the IFRA verdict;
- ``descriptor``: an odour the formula's materials do not carry ("요청하신 가죽 분위기" without a leather line);
- ``description``: a material given another line's description; ``perfume``: another reference perfume;
- ``removed_present``: a line said removed that the new version still has.

"Requested odour" statements are labelled by the domain's own rule (``perfumery.fit.can_smell``: a line
whose main character it is, at a perceptible dose), and only in the clear cases: perceptible, or carried by
no line at all. The evidence is chosen by ``eval.evidence.Evidence`` with the judge's tokenizer, as at run
time. Nothing here calls the claim checker's verdicts: labels come from how each statement was made.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from agent.replies.claims import ClaimChecker
from agent.replies.render import change_block, document_answer, recipe_reply
from eval.contexts import document_texts, recipe_context
from eval.evidence import Evidence
from eval.faithfulness import Agreement, Statement, agreement_of
from eval.judge import CrossEncoderJudge, Verdict, evidence_budget
from eval.statements import POSITION_CUES, atomic_statements
from finetune.dataset import lexicon_briefs, perfume_briefs
from hyanggi.settings import AnswerLevel
from knowledge.kb import KnowledgeBase
from perfumery.brief import Brief
from perfumery.composer import compose
from perfumery.critic import COMPLIANCE_KO, critiqued
from perfumery.edits import AddMaterial, EditError, EditOp, EditResult, RemoveMaterial, SetPercent, Shift
from perfumery.fit import can_smell, odor_mass
from perfumery.models import Concentration, NotePosition
from perfumery.naming import particle
from perfumery.pool import candidate_pool
from perfumery.recipe import Recipe
from perfumery.vocabulary import POSITION_KO
from tools.workbench import apply_edit

Label = Literal[0, 1]
SUPPORTED: Label = 1
UNSUPPORTED: Label = 0
SEARCH_RESULTS = 8  # records a turn's search returns (settings.retrieval_k)
EDIT_SHARE = 1 / 3  # designed turns shown as an edit of their formula instead
NOTE_SENTENCES = 6  # per-material note sentences kept per turn
NOTES_HEADING = "재료별 역할"
SCORE_HEADS = ("요청 부합도", "품질 점수")
_NUMBER = re.compile(r"(?<![\w.\-])(\d+(?:\.\d+)?)(?![\w.\-]*\d)")
_CONCENTRATIONS = [c.value for c in Concentration]
_REQUEST_TEMPLATES = ("요청하신 {w} 분위기에 맞춰 구성했습니다.", "요청하신 {w} 느낌을 살린 처방입니다.")


def placement_sentences(recipe: Recipe, rng: random.Random) -> list[str]:
    """The formula's placement said the ways narrations say it, true to the recipe: per position one or two of
    its four largest lines. The reply's own concept line says it one way ("A로 열리고 B가 중심을 잡으며 …");
    narrations written before issue 31 said "탑에서는 A · B가, 미들에서는 …가 향을 이끕니다" and "첫인상은 …" —
    most of the yardstick's unsupported statements are in that shape, so the judge must read it too."""
    leads: dict[NotePosition, list[str]] = {}
    for position in NotePosition:
        lines = sorted((i for i in recipe.ingredients if i.note == position and i.name_ko), key=lambda i: -i.percent)
        if lines:
            chosen = rng.sample(lines[:4], min(len(lines[:4]), rng.choice([1, 2])))
            leads[position] = [i.name_ko for i in chosen]
    if len(leads) < 2:
        return []
    joined = {position: " · ".join(names) for position, names in leads.items()}
    by_position = ", ".join(f"{POSITION_KO[p]}에서는 {particle(names, '이', '가')}" for p, names in joined.items())
    first = {NotePosition.top: "첫인상은", NotePosition.heart: "중심은", NotePosition.base: "잔향은"}
    return [f"{by_position} 향을 이끕니다.",
            ", ".join(f"{first[p]} {names}" for p, names in joined.items()) + "입니다.",
            *(f"{POSITION_KO[p]}에서는 {particle(names, '이', '가')} 향을 이끕니다." for p, names in joined.items()
              if rng.random() < 0.5)]


class JudgePair(BaseModel):
    """One training or evaluation pair; ``label`` 1 = the evidence supports the statement."""

    statement: str
    evidence: str
    label: Label
    kind: str
    source: Literal["synthetic", "yardstick"]
    group: str  # the turn it comes from: pairs of one turn stay on one side of a split


@dataclass
class Turn:
    """A synthetic turn: its recipe (if any), its contexts, and its statements with labels and kinds."""

    key: str
    recipe: Recipe | None
    records: list[str]
    statements: list[tuple[str, Label, str]] = field(default_factory=list)


class Perturber:
    """Changes one checkable fact of a true statement; every method returns None when it cannot."""

    def __init__(self, kb: KnowledgeBase, recipe: Recipe | None, records: Sequence[str], context: str,
                 rng: random.Random) -> None:
        self.kb, self.recipe, self.rng = kb, recipe, rng
        self.lines = {i.name_ko: i for i in recipe.ingredients} if recipe else {}
        self.context = context
        present = set(records) | {i.material_id for i in recipe.ingredients} if recipe else set(records)
        self.foreign = [m for m in kb.materials.values() if m.id not in present and m.name_ko not in context]
        self.figures = [float(n) for n in _NUMBER.findall(context)]

    def names_in(self, text: str) -> list[str]:
        """Recipe line names found in ``text``, longest first so '리날룰' does not match inside '에틸 리날룰'."""
        found, taken = [], text
        for name in sorted(self.lines, key=len, reverse=True):
            if name in taken:
                found.append(name)
                taken = taken.replace(name, "\0" * len(name))
        return found

    def tier_swap(self, text: str) -> str | None:
        names = self.names_in(text)
        pairs = [(a, b) for a in names for b in names if self.lines[a].note != self.lines[b].note]
        if not pairs or not any(cue in text for cue in POSITION_CUES):
            return None
        a, b = self.rng.choice(pairs)
        return text.replace(a, "\0").replace(b, a).replace("\0", b)

    def tier_intruder(self, text: str) -> str | None:
        names = self.names_in(text)
        if not names or not any(cue in text for cue in POSITION_CUES):
            return None
        name = self.rng.choice(names)
        others = [n for n, i in self.lines.items() if i.note != self.lines[name].note and n not in names]
        return text.replace(name, self.rng.choice(others)) if others else None

    def foreign_material(self, text: str) -> str | None:
        names = self.names_in(text)
        if not names or not self.foreign:
            return None
        name = self.rng.choice(names)
        same = [m for m in self.foreign if m.note == self.lines[name].note] or self.foreign
        return text.replace(name, self.rng.choice(same).name_ko)

    def number(self, text: str) -> str | None:
        """A figure that the context states (within rounding), changed by 25–60 % either way."""
        grounded = [m for m in _NUMBER.finditer(text) if "→" not in text[m.end():m.end() + 4]
                    and any(abs(float(m.group(1)) - f) <= max(0.051, 0.005 * f) for f in self.figures)]
        if not grounded:
            return None
        match = self.rng.choice(grounded)
        value = float(match.group(1))
        factor = self.rng.choice([self.rng.uniform(0.4, 0.75), self.rng.uniform(1.25, 1.6)])
        decimals = len(match.group(1).partition(".")[2])
        new = round(value * factor, decimals) if value >= 1 or decimals else value + self.rng.randint(1, 5)
        if value == 0 or any(abs(new - f) <= max(0.051, 0.005 * f) for f in self.figures):
            return None
        written = f"{new:.{decimals}f}" if decimals else str(int(new))
        return text[:match.start(1)] + written + text[match.end(1):]

    def position_word(self, text: str) -> str | None:
        match = re.search(r"\((탑|미들|베이스),", text)
        if not match:
            return None
        other = self.rng.choice([p for p in POSITION_KO.values() if p != match.group(1)])
        return text[:match.start(1)] + other + text[match.end(1):]

    def concentration(self, text: str) -> str | None:
        said = [c for c in _CONCENTRATIONS if re.search(rf"\b{c}\b", text)]
        if not said or self.recipe is None:
            return None
        other = self.rng.choice([c for c in _CONCENTRATIONS if c != self.recipe.concentration.value])
        return re.sub(rf"\b{said[0]}\b", other, text, count=1)

    def ifra_status(self, text: str) -> str | None:
        said = [label for label in COMPLIANCE_KO.values() if f"IFRA: {label}" in text]
        if not said:
            return None
        other = self.rng.choice([label for label in COMPLIANCE_KO.values() if label != said[0]])
        return text.replace(f"IFRA: {said[0]}", f"IFRA: {other}", 1)

    def description(self, text: str) -> str | None:
        """'A (탑, 8%): <A's description>' → the same head with another line's description."""
        head, colon, _ = text.partition("): ")
        names = self.names_in(head)
        if not colon or not names:
            return None
        others = [i.material_id for n, i in self.lines.items() if n != names[0] and i.material_id in self.kb.materials]
        if not others:
            return None
        sentence = self.kb.materials[self.rng.choice(others)].description_ko.split(". ")[0].rstrip(".")
        return f"{head}{colon}{sentence}."

    def perfume(self, text: str) -> str | None:
        reference = self.recipe.nearest_reference if self.recipe else None
        if reference is None or reference.name not in text:
            return None
        others = [p for p in self.kb.perfumes.values() if p.id != reference.id and f"{p.brand} {p.name}" not in self.context]
        chosen = self.rng.choice(others)
        return text.replace(reference.name, f"{chosen.brand} {chosen.name}")

    def removed_present(self, text: str) -> str | None:
        """'요청: 베르가못 8.0% → 뺌' with a line the new version still has in place of the removed one."""
        match = re.search(r"(?:^|: |, )([^:,]+?) [\d.]+% → 뺌", text)
        if not match or not self.lines:
            return None
        return text[:match.start(1)] + self.rng.choice(list(self.lines)) + text[match.end(1):]

    def descriptor(self, text: str, absent: Sequence[str]) -> str | None:
        """One odour word of a request/character sentence replaced by one no line carries."""
        match = re.search(r"(?:요청하신 )?(.+?) (?:분위기에|느낌을 담은|느낌을 살린|인상을 살렸)", text)
        if not match or not absent:
            return None
        words = match.group(1).split(", ")
        words[self.rng.randrange(len(words))] = self.rng.choice(absent)
        return text[:match.start(1)] + ", ".join(words) + text[match.end(1):]

    def methods(self) -> list[Callable[[str], str | None]]:
        return [self.tier_swap, self.tier_intruder, self.foreign_material, self.number, self.position_word,
                self.concentration, self.ifra_status, self.description, self.perfume, self.removed_present]


class TurnMaker:
    """Synthetic chat turns: new briefs, edits and record questions, with true and false statements."""

    def __init__(self, kb: KnowledgeBase, checker: ClaimChecker, rng: random.Random) -> None:
        self.kb, self.checker, self.rng = kb, checker, rng
        self.catalog = kb.catalog
        self.documents = document_texts(kb)

    def contexts(self, turn: Turn) -> tuple[list[str], list[str]]:
        """(primary, other) contexts: the recipe, then every record the turn searched or quoted."""
        primary = [recipe_context(turn.recipe)] if turn.recipe else []
        return primary, [self.documents[r] for r in dict.fromkeys(turn.records) if r in self.documents]

    def search(self, descriptors: Sequence[str]) -> list[str]:
        """Stand-in for the hybrid search: records sharing the most descriptors with the brief."""
        wanted = set(descriptors)
        records = [(r.id, r.descriptors) for r in (*self.kb.materials.values(), *self.kb.perfumes.values(),
                                                    *self.kb.accords.values())]
        ranked = sorted(records, key=lambda r: (-len(wanted & set(r[1])), self.rng.random()))
        return [r for r, _ in ranked[:SEARCH_RESULTS]]

    def design(self, brief: Brief) -> Recipe | None:
        recipes = compose(brief, self.catalog, candidate_pool(brief, self.catalog, self.rng), n=1,
                          seed=self.rng.randrange(1 << 30))
        return critiqued(recipes[0], self.catalog, brief) if recipes else None

    def brief_turn(self, brief: Brief) -> Turn | None:
        """A new brief (or, one time in three, an edit of it): the rendered reply, true and false statements."""
        recipe = self.design(brief)
        if recipe is None:
            return None
        key = hashlib.sha256(brief.model_dump_json().encode()).hexdigest()[:16]
        intro, shown = "", recipe  # a designed turn's reply opens with its concept line
        if self.rng.random() < EDIT_SHARE and (edited := self.edit(recipe, brief)) is not None:
            intro, shown = change_block(edited), edited.recipe
        reply, grounded = recipe_reply(shown, self.kb, AnswerLevel.detailed, intro)
        turn = Turn(key=key, recipe=shown, records=[*self.search(list(brief.descriptors)), *grounded])
        self.add_statements(turn, [*self.fewer_notes(self.checker.sentences(reply)),
                                   *placement_sentences(shown, self.rng)])
        self.add_requests(turn)
        return turn

    def fewer_notes(self, sentences: list[str]) -> list[str]:
        """The per-material notes (a third of a reply, all alike) cut to ``NOTE_SENTENCES`` of them."""
        if NOTES_HEADING not in sentences:
            return sentences
        start = sentences.index(NOTES_HEADING)
        end = next((k for k in range(start + 1, len(sentences)) if sentences[k].startswith(SCORE_HEADS)),
                   len(sentences))
        notes = sentences[start + 1:end]
        kept = sorted(self.rng.sample(range(len(notes)), min(NOTE_SENTENCES, len(notes))))
        return [*sentences[:start], *(notes[k] for k in kept), *sentences[end:]]

    def edit(self, recipe: Recipe, brief: Brief) -> EditResult | None:
        lines = recipe.ingredients
        outside = [m for m in self.kb.materials.values() if m.id not in {i.material_id for i in lines}
                   and set(m.descriptors) & set(brief.descriptors)]
        line = self.rng.choice(lines)
        ops: list[EditOp] = [SetPercent(material_id=line.material_id, percent=round(line.percent * 1.5 + 0.5, 1)),
                             RemoveMaterial(material_id=self.rng.choice(lines).material_id),
                             Shift(target=self.rng.choice(list(brief.descriptors)), direction=self.rng.choice([1, -1]))]
        if outside:
            ops.append(AddMaterial(material_id=self.rng.choice(outside).id))
        try:
            return apply_edit(recipe, [self.rng.choice(ops)], self.catalog, brief)
        except EditError:
            return None

    def question_turn(self, record_ids: Sequence[str], key: str) -> Turn:
        """A question about records: the answer quotes them; the search also returned their neighbours."""
        descriptors = [d for r in record_ids for d in self._descriptors(r)]
        turn = Turn(key=key, recipe=None, records=[*record_ids, *self.search(descriptors)])
        self.add_statements(turn, self.checker.sentences(document_answer(record_ids, self.kb)))
        return turn

    def _descriptors(self, record_id: str) -> list[str]:
        record = self.kb.materials.get(record_id) or self.kb.perfumes.get(record_id) or self.kb.accords.get(record_id)
        return list(record.descriptors) if record else []

    def add_statements(self, turn: Turn, sentences: list[str], false_per_true: float = 0.8) -> None:
        """Every true statement once; for a share of them, one false version (a method picked at random
        among those that apply). A sentence that lists materials is cut into its atomic statements first
        (``eval.statements``), as the judge cuts it at run time: an atom of a true sentence is true, and its
        false versions are made from the atom itself, so every label still comes from how it was made.

        A sentence that places one name per clause stays whole here (``lists_only``), and so also gets a
        tier-swap twin, two of its names exchanged; the judge cuts it at run time all the same. Cutting it
        here too measured no better (model card: dev 0.878 against 0.900)."""
        primary, other = self.contexts(turn)
        perturber = Perturber(self.kb, turn.recipe, turn.records, "\n".join([*primary, *other]), self.rng)
        atoms = [atom for sentence in sentences
                 for atom in atomic_statements(sentence, self.checker.names, lists_only=True)]
        for sentence in dict.fromkeys(atoms):
            turn.statements.append((sentence, SUPPORTED, "true"))
            if self.rng.random() >= false_per_true:
                continue
            methods = perturber.methods()
            self.rng.shuffle(methods)
            for method in methods:
                if (changed := method(sentence)) is not None and changed != sentence:
                    turn.statements.append((changed, UNSUPPORTED, method.__name__))
                    break
            # the yardstick's unsupported statements are mostly a material in the wrong position, the
            # narration's own mistake: a sentence that places materials gets one of each kind of that error
            for method in (perturber.tier_swap, perturber.tier_intruder):
                changed = method(sentence)
                if changed is not None and changed != sentence and (changed, UNSUPPORTED, method.__name__) \
                        not in turn.statements:
                    turn.statements.append((changed, UNSUPPORTED, method.__name__))
            absent = self.absent_words(turn.recipe) if turn.recipe is not None else []
            if (changed := perturber.descriptor(sentence, absent)) is not None and changed != sentence:
                turn.statements.append((changed, UNSUPPORTED, "descriptor"))

    def add_requests(self, turn: Turn) -> None:
        """"요청하신 X …": X perceptible in the formula (true), or carried by none of its lines (false)."""
        assert turn.recipe is not None
        mass = odor_mass({i.material_id: i.percent for i in turn.recipe.ingredients}, self.catalog)
        smelled = [d for d in self.kb.descriptors if can_smell(d, mass, self.catalog)]
        if smelled:
            word = self.kb.descriptors[self.rng.choice(smelled)].ko[0]
            turn.statements.append((self.rng.choice(_REQUEST_TEMPLATES).format(w=word), SUPPORTED, "request"))
        if absent := self.absent_words(turn.recipe):
            turn.statements.append((self.rng.choice(_REQUEST_TEMPLATES).format(w=self.rng.choice(absent)),
                                    UNSUPPORTED, "request"))

    def absent_words(self, recipe: Recipe) -> list[str]:
        """Korean words of descriptors that no line of the formula carries, even through its family."""
        carried: set[str] = set()
        for line in recipe.ingredients:
            if line.material_id in self.catalog:
                carried |= self.checker.facets(self.catalog.material(line.material_id))
        return [d.ko[0] for key, d in self.kb.descriptors.items()
                if key not in carried and d.family.value not in carried]


def synthetic_turns(maker: TurnMaker, n_briefs: int, n_questions: int) -> Iterator[Turn]:
    """``n_briefs`` designed turns (lexicon and reference-perfume briefs mixed) and ``n_questions`` record
    questions (one to two records each)."""
    rng = maker.rng
    briefs = list(lexicon_briefs(maker.kb, n_briefs, rng)) + list(perfume_briefs(maker.kb, rng))
    rng.shuffle(briefs)
    for brief in briefs[:n_briefs]:
        if (turn := maker.brief_turn(brief)) is not None:
            yield turn
    records = sorted([*maker.kb.materials, *maker.kb.perfumes, *maker.kb.accords])
    for k in range(n_questions):
        yield maker.question_turn(rng.sample(records, rng.choice([1, 1, 2])), key=f"question-{k}")


def turn_pairs(turn: Turn, maker: TurnMaker, count_tokens: Callable[[list[str]], list[int]],
               max_length: int) -> list[JudgePair]:
    primary, other = maker.contexts(turn)
    evidence = Evidence(other, count_tokens, primary=primary)
    return [JudgePair(statement=s, evidence=evidence.for_statement(s, evidence_budget(s, count_tokens, max_length)),
                      label=label, kind=kind, source="synthetic", group=turn.key)
            for s, label, kind in turn.statements]


def is_dev(group: str, dev_share: float) -> bool:
    """A turn's side of the split, fixed by its key: every pair of one turn lands on the same side."""
    return int(hashlib.sha256(group.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF < dev_share


class PairSummary(BaseModel):
    train: int
    dev: int
    kinds: dict[str, int]
    sha256: str


def build_pairs(kb: KnowledgeBase, checker: ClaimChecker, count_tokens: Callable[[list[str]], list[int]],
                max_length: int, out_dir: Path, n_briefs: int, n_questions: int, dev_share: float,
                seed: int) -> PairSummary:
    """Write ``train.jsonl`` and ``dev.jsonl`` (synthetic pairs only, split by turn) in ``out_dir``.

    The hand-checked yardstick is not written here: its dev split chooses the threshold and its test split
    is only ever measured (``hyanggi eval judge``)."""
    maker = TurnMaker(kb, checker, random.Random(seed))
    sides: dict[str, list[str]] = {"train": [], "dev": []}
    kinds: Counter[str] = Counter()
    for turn in synthetic_turns(maker, n_briefs, n_questions):
        side = "dev" if is_dev(turn.key, dev_share) else "train"
        for pair in turn_pairs(turn, maker, count_tokens, max_length):
            sides[side].append(pair.model_dump_json())
            kinds[f"{side}/{pair.label}/{pair.kind}"] += 1
    out_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for side, lines in sides.items():
        text = "".join(f"{line}\n" for line in lines)
        digest.update(text.encode())
        (out_dir / f"{side}.jsonl").write_text(text, encoding="utf-8")
    return PairSummary(train=len(sides["train"]), dev=len(sides["dev"]), kinds=dict(sorted(kinds.items())),
                       sha256=digest.hexdigest())


def yardstick_contexts(row: Statement, documents: dict[str, str]) -> tuple[list[str], list[str]]:
    """(primary, other) contexts of a yardstick statement as its ragas sample had them: the recipe, then the
    records the turn retrieved, every line of its recipe (the reply quotes each) and the nearest reference."""
    primary = [recipe_context(row.recipe)] if row.recipe else []
    ids = list(row.record_ids)
    if row.recipe:
        ids += [i.material_id for i in row.recipe.ingredients]
        ids += [row.recipe.nearest_reference.id] if row.recipe.nearest_reference else []
    return primary, [documents[i] for i in dict.fromkeys(ids) if i in documents]


def yardstick_pairs(rows: Sequence[Statement], documents: dict[str, str],
                    count_tokens: Callable[[list[str]], list[int]], max_length: int) -> list[JudgePair]:
    pairs = []
    for row in rows:
        primary, other = yardstick_contexts(row, documents)
        evidence = Evidence(other, count_tokens, primary=primary)
        pairs.append(JudgePair(statement=row.statement, label=SUPPORTED if row.label == "supported" else UNSUPPORTED,
                               evidence=evidence.for_statement(row.statement,
                                                               evidence_budget(row.statement, count_tokens, max_length)),
                               kind=row.route, source="yardstick", group=row.conversation))
    return pairs


def yardstick_verdicts(judge: CrossEncoderJudge, rows: Sequence[Statement],
                       documents: dict[str, str]) -> list[Verdict]:
    """The judge's verdict on each yardstick statement, on the evidence its turn's contexts give."""
    verdicts = []
    for row in rows:
        primary, other = yardstick_contexts(row, documents)
        verdicts += judge.judge([row.statement], other, primary)
    return verdicts


def judge_agreement(rows: Sequence[Statement], verdicts: Sequence[Verdict], split: str) -> Agreement:
    said = [("supported" if v.supported else "unsupported", f"p(supported)={v.probability:.3f}; evidence: {v.evidence}")
            for v in verdicts]
    return agreement_of(list(rows), said, split)


def choose_threshold(probabilities: Sequence[float], labels: Sequence[bool]) -> float:
    """The cut on p(supported) that agrees most often with ``labels`` (True = supported); among equally good
    cuts (midpoints between observed probabilities) the middle one, away from both ends of the tie."""
    values = sorted(set(probabilities))
    cuts = [0.0, *((a + b) / 2 for a, b in itertools.pairwise(values)), 1.0]

    def hits(cut: float) -> int:
        return sum((p >= cut) == label for p, label in zip(probabilities, labels, strict=True))

    best = max(hits(c) for c in cuts)
    chosen = [c for c in cuts if hits(c) == best]
    return round(chosen[len(chosen) // 2], 4)
