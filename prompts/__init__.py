"""Prompt templates (Korean, data files) and the output grammar of the generator.

Templates live in ``generator.yaml``; this package only loads and fills them, so the
runtime (``agent/``) and the fine-tuning data builder (``finetune/``) render identical text.
"""

from prompts.grammar import (
    MAX_ITEMS,
    MAX_PERCENT,
    MIN_ITEMS,
    MIN_PERCENT,
    format_proposal,
    proposal_gbnf,
)
from prompts.loader import NARRATION_TARGETS, PromptBuilder, PromptTemplate, load_templates

__all__ = [
    "MAX_ITEMS",
    "MAX_PERCENT",
    "MIN_ITEMS",
    "MIN_PERCENT",
    "NARRATION_TARGETS",
    "PromptBuilder",
    "PromptTemplate",
    "format_proposal",
    "load_templates",
    "proposal_gbnf",
]
