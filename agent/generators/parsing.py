"""Turn a model's proposal text into material → percent, tolerating what small models get wrong.

A proposal is ``number:percent`` pairs over the prompt's numbered candidates (``prompts.grammar``).
The grammar makes llama.cpp output well-formed, but the transformers backend runs unconstrained
and any backend can be cut off by the token or time limit, so the parser also reads
``number: percent`` / ``number=percent%`` pairs wherever they are (which recovers a truncated
line). Everything it had to fix is listed in ``problems``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pydantic import BaseModel, Field

from prompts import MAX_ITEMS, MAX_PERCENT, MIN_PERCENT

_PAIR = re.compile(r"(?<![\d.])(\d{1,2})\s*[:=]\s*(\d{1,3}(?:\.\d+)?)\s*%?")
_ITEM = r"\d{1,2}:\d{1,2}(?:\.\d)?"
_STRICT = re.compile(rf"{_ITEM}(?:,{_ITEM})*")


class ParsedProposal(BaseModel):
    """What could be read from one proposal; ``clean`` means nothing had to be fixed."""

    doses: dict[str, float] = Field(default_factory=dict, description="candidate material id → percent as written.")
    well_formed: bool = Field(default=False, description="the text is exactly the grammar's format.")
    problems: list[str] = Field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.well_formed and not self.problems


def proposal_pairs(text: str) -> list[tuple[int, str]] | None:
    """The (number, percent) pairs of a proposal in the exact format, duplicates kept; None otherwise."""
    line = text.strip()
    if not _STRICT.fullmatch(line):
        return None
    return [(int(number), value) for number, value in (item.split(":") for item in line.split(","))]


def parse_proposal(text: str, candidate_ids: Sequence[str]) -> ParsedProposal:
    """Read ``3:12,7:8,…`` (or anything close to it); number k names ``candidate_ids[k - 1]``."""
    problems: list[str] = []
    pairs: list[tuple[int, str]] | None = proposal_pairs(text)
    well_formed = pairs is not None
    if pairs is None:
        pairs = [(int(m.group(1)), m.group(2)) for m in _PAIR.finditer(text)]
        if pairs:
            problems.append("형식이 어긋나 번호-비율 쌍을 직접 읽었습니다")
    doses: dict[str, float] = {}
    for number, raw_value in pairs:
        if not 1 <= number <= len(candidate_ids):
            problems.append(f"후보에 없는 번호 {number} 제외")
            continue
        material_id = candidate_ids[number - 1]
        value = float(raw_value)
        if not MIN_PERCENT <= value <= MAX_PERCENT:
            problems.append(f"{material_id}: 비율 {value}% 범위 밖이라 제외")
            continue
        if material_id in doses:
            problems.append(f"{material_id}: 중복 항목 합침")
        doses[material_id] = doses.get(material_id, 0.0) + value
    if len(doses) > MAX_ITEMS:
        problems.append(f"재료 {len(doses)}개 중 비율이 큰 {MAX_ITEMS}개만 사용")
        doses = dict(sorted(doses.items(), key=lambda kv: -kv[1])[:MAX_ITEMS])
    return ParsedProposal(doses=doses, well_formed=well_formed, problems=problems)
