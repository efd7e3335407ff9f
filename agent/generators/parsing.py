"""Turn a model's proposal text into material → percent, tolerating what small models get wrong.

The grammar makes llama.cpp output well-formed, but the transformers backend runs unconstrained
and any backend can be cut off by the token or time limit, so the parser accepts, in order:
one JSON object, then ``id: percent`` / ``id percent`` pairs found anywhere (which also recovers
a truncated JSON object). Everything it had to fix is listed in ``problems``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection

from pydantic import BaseModel, Field

from prompts import MAX_ITEMS, MAX_PERCENT, MIN_PERCENT

_OBJECT = re.compile(r"\{[^{}]*\}")
_PAIR = re.compile(r'"?([a-z0-9][a-z0-9_]*)"?\s*[:=]?\s*(\d{1,3}(?:\.\d+)?)\s*%?')


class ParsedProposal(BaseModel):
    """What could be read from one proposal; ``clean`` means nothing had to be fixed."""

    doses: dict[str, float] = Field(default_factory=dict, description="candidate material id → percent as written.")
    valid_json: bool = False
    problems: list[str] = Field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.valid_json and not self.problems


def json_pairs(text: str) -> list[tuple[str, object]] | None:
    """Key/value pairs of the first flat JSON object in ``text``, duplicates kept; None if there is none."""
    match = _OBJECT.search(text)
    if match is None:
        return None
    try:
        # object_pairs_hook keeps duplicate keys, which a plain dict would silently merge.
        return json.loads(match.group(0), object_pairs_hook=list)
    except json.JSONDecodeError:
        return None


def parse_proposal(text: str, candidate_ids: Collection[str]) -> ParsedProposal:
    """Read ``{"id": percent, ...}`` (or anything close to it) restricted to ``candidate_ids``."""
    problems: list[str] = []
    pairs = json_pairs(text)
    valid_json = pairs is not None
    if pairs is None:
        pairs = [(m.group(1), m.group(2)) for m in _PAIR.finditer(text)]
        if pairs:
            problems.append("JSON이 아니어서 id-비율 쌍을 직접 읽었습니다")
    doses: dict[str, float] = {}
    for material_id, raw_value in pairs:
        try:
            value = float(raw_value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            problems.append(f"{material_id}: 비율이 숫자가 아닙니다")
            continue
        if material_id not in candidate_ids:
            problems.append(f"후보가 아닌 재료 {material_id!r} 제외")
            continue
        if not MIN_PERCENT <= value <= MAX_PERCENT:
            problems.append(f"{material_id}: 비율 {value}% 범위 밖이라 제외")
            continue
        if material_id in doses:
            problems.append(f"{material_id}: 중복 항목 합침")
        doses[material_id] = doses.get(material_id, 0.0) + value
    if len(doses) > MAX_ITEMS:
        problems.append(f"재료 {len(doses)}개 중 비율이 큰 {MAX_ITEMS}개만 사용")
        doses = dict(sorted(doses.items(), key=lambda kv: -kv[1])[:MAX_ITEMS])
    return ParsedProposal(doses=doses, valid_json=valid_json, problems=problems)
