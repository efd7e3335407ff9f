"""The proposal output format and the GBNF grammar that enforces it in llama.cpp.

The prompt numbers its candidates (``1 베르가못(…)``) and a proposal is one line of
``number:percent`` pairs, ``3:12,7:8,11:0.5``, ended by a newline. Numbers cost the 270M model a
token or two where a quoted material id cost five to eight, so a proposal decodes in about half the
tokens of the JSON object it replaced. The grammar admits only the candidates' numbers and bounded
percentages — whole numbers from 1 to 40, tenths below 1 — because the base model loops forever
on unbounded numbers; the perfumery core normalises the amounts afterwards, so whole percent is
precision enough for a draft.
"""

from __future__ import annotations

from collections.abc import Iterable

MIN_ITEMS = 3
MAX_ITEMS = 8
MIN_PERCENT = 0.1
MAX_PERCENT = 40.0

# 0.1-0.9 | 1-9 | 10-39 | 40
_PERCENT_RULE = 'pct ::= "0." [1-9] | [1-9] | [1-3] [0-9] | "40"'


def proposal_percent(value: float) -> str:
    """A percentage as a proposal writes it: what training targets contain and the grammar admits."""
    clipped = min(MAX_PERCENT, max(MIN_PERCENT, value))
    return f"{clipped:.1f}" if clipped < 0.95 else str(round(clipped))


def format_proposal(pairs: Iterable[tuple[int, float]]) -> str:
    """``number:percent`` pairs, in candidate order, in the grammar's exact form (newline included)."""
    return ",".join(f"{number}:{proposal_percent(value)}" for number, value in sorted(pairs)) + "\n"


def proposal_gbnf(n_candidates: int, min_items: int = MIN_ITEMS, max_items: int = MAX_ITEMS) -> str:
    """GBNF for a proposal over candidates numbered 1..``n_candidates``, with ``min_items``..``max_items`` pairs."""
    if n_candidates < 1:
        raise ValueError("a proposal grammar needs at least one candidate")
    if not 1 <= min_items <= max_items:
        raise ValueError(f"need 1 <= min_items <= max_items, got {min_items}, {max_items}")
    numbers = " | ".join(f'"{k}"' for k in range(1, n_candidates + 1))
    return "\n".join(
        [
            f'root ::= item ("," item){{{min_items - 1},{max_items - 1}}} "\\n"',
            'item ::= num ":" pct',
            f"num ::= {numbers}",
            _PERCENT_RULE,
        ]
    )
