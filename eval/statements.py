"""A reply sentence cut into the atomic statements a verdict model can judge one at a time.

ragas' Faithfulness first has an LLM "break each sentence into fully understandable statements", then judges
each. Our judge has no LLM to do the first step, and the sentences it fails on are the ones that say six things
at once: "탑에서는 A · B가, 미들에서는 C · D가, 베이스에서는 E · F가 향을 이끕니다." One wrong placement among
six barely moves a cross-encoder's score over the whole sentence. Cut into "탑에서는 A가 향을 이끕니다.",
"탑에서는 B가 향을 이끕니다.", … each placement is judged alone, and the sentence holds only if all of them do.

The cut reads only the sentence's shape, never the formula: clauses at ", " and at the connectives "…고 " /
"…며 " when material names stand on both sides, and within a clause each list of material names joined by
" · " expanded into one statement per name. A clause without a predicate of its own ("탑에서는 A · B가,")
borrows the sentence's last one ("향을 이끕니다."). A sentence stays whole when it names fewer than two
materials, or neither lists them nor places them (a change line "A 10% → 9.5%, B 12% → 11.4%").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from agent.reading.interpret import MaterialNames
from perfumery.naming import instrumental, particle
from perfumery.vocabulary import NAME_TYPE_WORD_AFTER

# words that place a material in the pyramid ("탑에서는", "잔향은", "…로 열고", "중심을 잡으며", "오래 남는")
POSITION_CUES = ("탑", "미들", "하트", "베이스", "잔향", "열고", "열리", "중심", "오래 남", "첫인상")
LIST_JOINT = re.compile(r"^\s*·\s*$")
# a clause boundary: ", " or a connective ending ("열고 ", "잡으며 ") before the next clause
_BOUNDARY = re.compile(r",\s+|(?<=[고며])\s+")
# the particle right after a name, to be re-chosen for the name that replaces a list
_PARTICLE = re.compile(r"^(이|가|은|는|을|를|으로|로)(?=[\s,.]|$)")
_SUBJECT = re.compile(r"^.*?(?:이|가|은|는)(\s.*)$", re.DOTALL)
_PAIRS = {"이": ("이", "가"), "가": ("이", "가"), "은": ("은", "는"), "는": ("은", "는"),
          "을": ("을", "를"), "를": ("을", "를")}
COPULA = ("입니", "이다", "이에", "예요")
PREDICATE_LESS = 2  # characters after a clause's last name when it has no predicate of its own (a particle)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int


def _lists(sentence: str, names: MaterialNames) -> list[list[_Span]]:
    """Runs of material names joined by " · ", in order; a lone name is a run of one."""
    runs: list[list[_Span]] = []
    for mention in names.find(sentence):
        end = mention.end
        if sentence[mention.start:end].count("(") > sentence[mention.start:end].count(")"):
            end = sentence.find(")", end) + 1 or end  # "라임 오일 (증류" is matched without its ")"
        if typed := NAME_TYPE_WORD_AFTER.match(sentence[end:]):
            end += typed.end()  # "샌달우드" matched without its " 오일"
        span = _Span(mention.start, end)
        if runs and LIST_JOINT.match(sentence[runs[-1][-1].end:span.start]):
            runs[-1].append(span)
        else:
            runs.append([span])
    return runs


def _with_particle(name: str, rest: str) -> str:
    """``name`` followed by ``rest``, whose leading particle is re-chosen for ``name``'s last syllable."""
    found = _PARTICLE.match(rest)
    if not found:
        return name + rest
    word = found.group(1)
    tail = rest[found.end():]
    if word in ("으로", "로"):
        return instrumental(name) + tail
    return particle(name, *_PAIRS[word]) + tail


def _clauses(sentence: str, runs: list[list[_Span]]) -> list[tuple[int, int]]:
    """The sentence's clauses as (start, end), cut only at boundaries outside a list with names on both sides."""
    starts = [run[0].start for run in runs]
    ends = [run[-1].end for run in runs]
    cuts = [0]
    for boundary in _BOUNDARY.finditer(sentence):
        before = any(cuts[-1] <= s < boundary.start() for s in starts)
        after = any(s >= boundary.end() for s in starts)
        inside = any(run[0].start < boundary.start() < run[-1].end for run in runs)
        if before and after and not inside and any(e <= boundary.start() for e in ends):
            cuts.append(boundary.end())
    bounds = [*cuts, len(sentence)]
    return [(a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


def _predicate(sentence: str, clause: tuple[int, int], runs: list[list[_Span]]) -> str:
    """What follows the last name of ``clause`` after its subject particle: the sentence's closing predicate
    ("가 향을 이끕니다." → " 향을 이끕니다."; "입니다." stays; " · 갈락솔이 향을 …": a name we do not know, too)."""
    inside = [run for run in runs if clause[0] <= run[0].start < clause[1]]
    rest = sentence[inside[-1][-1].end:clause[1]] if inside else ""
    found = _SUBJECT.match(rest)
    return found.group(1) if found else rest


def atomic_statements(sentence: str, names: MaterialNames, lists_only: bool = False) -> list[str]:
    """``sentence`` as the statements it makes, one material name each where it lists several (see module).
    ``lists_only`` leaves whole a sentence that places one name per clause (the judge's training pairs, where
    such a sentence also gets a tier-swap twin: ``eval.judge_data``)."""
    runs = _lists(sentence, names)
    listing = any(len(run) > 1 for run in runs)
    places = not lists_only and any(cue in sentence for cue in POSITION_CUES)
    if sum(len(run) for run in runs) < 2 or not (listing or places):
        return [sentence]
    clauses = _clauses(sentence, runs)
    closing = _predicate(sentence, clauses[-1], runs)
    atoms: list[str] = []
    for index, (start, end) in enumerate(clauses):
        text = sentence[start:end].rstrip(", ")
        inside = [run for run in runs if start <= run[0].start < end]
        after = sentence[inside[-1][-1].end:end].rstrip(", ") if inside else ""
        if index < len(clauses) - 1 and inside and len(after) <= PREDICATE_LESS:
            if closing.startswith(COPULA):  # "첫인상은 A" + "입니다." ; "탑에서는 A가" loses its particle before it
                text = text[:len(text) - len(after)] + closing
            else:
                text = f"{text} {closing.lstrip()}"
        expand = next((run for run in inside if len(run) > 1), None)
        if expand is None:
            atoms.append(text)
            continue
        head = sentence[start:expand[0].start]
        rest = text[expand[-1].end - start:]
        atoms += [head + _with_particle(sentence[s.start:s.end], rest) for s in expand]
    return [atom.strip() for atom in atoms if atom.strip()]
