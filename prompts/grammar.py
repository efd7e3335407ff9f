"""The proposal output format and the GBNF grammar that enforces it in llama.cpp.

A proposal is one compact JSON object ``{"material_id":percent,...}``. The grammar admits only
the candidate ids and percentages in [MIN_PERCENT, MAX_PERCENT] with at most one decimal:
the base model loops forever on unbounded numbers, so every number has a bounded length.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

MIN_ITEMS = 3
MAX_ITEMS = 8
MIN_PERCENT = 0.1
MAX_PERCENT = 40.0

# 0.1-0.9 | 1-9 with an optional decimal | 10-39 with an optional decimal | 40
_PERCENT_RULE = 'pct ::= "0." [1-9] | [1-9] ("." [0-9])? | [1-3] [0-9] ("." [0-9])? | "40"'


def format_percent(value: float) -> str:
    """The canonical text of a percentage: what training targets contain and the grammar admits."""
    clipped = min(MAX_PERCENT, max(MIN_PERCENT, value))
    text = f"{clipped:.1f}".rstrip("0").rstrip(".")
    return text


def proposal_gbnf(candidate_ids: Iterable[str], min_items: int = MIN_ITEMS, max_items: int = MAX_ITEMS) -> str:
    """GBNF for a proposal over exactly these candidate ids, with ``min_items``..``max_items`` entries."""
    ids = sorted(set(candidate_ids))
    if not ids:
        raise ValueError("a proposal grammar needs at least one candidate id")
    if not 1 <= min_items <= max_items:
        raise ValueError(f"need 1 <= min_items <= max_items, got {min_items}, {max_items}")
    # json.dumps gives the quoted id; dumping once more escapes it as a GBNF string literal.
    alternatives = " | ".join(json.dumps(json.dumps(i)) for i in ids)
    more_min, more_max = min_items - 1, max_items - 1
    return "\n".join(
        [
            f'root ::= "{{" item ("," item){{{more_min},{more_max}}} "}}"',
            'item ::= id ":" pct',
            f"id ::= {alternatives}",
            _PERCENT_RULE,
        ]
    )
