"""No reply quotes our prompts: every attempt of the injection corpus goes through the design graph (real
knowledge data and perfumery core, scripted generator), and no reply carries a distinctive fragment of the
generator's prompt frames. `tests/integration/test_prompt_leak.py` repeats it with the real model."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from agent.graph import build_graph
from agent.reading.guard import clean
from agent.state import TurnContext, TurnInput
from prompts.loader import load_templates
from tests.unit.agent_fakes import fake_deps
from ui.commands.eval_injection import default_corpus, load_corpus

BRIEF = "비 오는 날 카페 같은 포근한 향, 너무 달지 않게. "


def prompt_fragments() -> list[str]:
    """What only our prompts say: each frame's description, and its fixed lines of five characters or more."""
    templates = load_templates()
    frames = [templates.propose, templates.narrate]
    lines = [line.strip() for frame in frames for line in frame.template.splitlines()]
    return [frame.description for frame in frames] + [line for line in lines if "{" not in line and len(line) >= 5]


def attempts() -> list[str]:
    """Each attack alone, and hidden after a real brief (so an undetected one reaches the model's prompt)."""
    attacks = [a.text for a in load_corpus(default_corpus()).attacks]
    return attacks + [BRIEF + text for text in attacks]


def test_fragments_are_distinctive() -> None:
    fragments = prompt_fragments()
    assert "[향수 처방]" in fragments and "[향수 이야기]" in fragments and len(fragments) >= 4


@pytest.mark.slow
async def test_no_reply_contains_a_prompt_fragment() -> None:
    graph = build_graph(fake_deps(llm_proposals=0), InMemorySaver())
    fragments = prompt_fragments()
    leaks = []
    for n, text in enumerate(attempts()):
        checked = clean(text, 2000)
        config = {"configurable": {"thread_id": f"leak-{n}"}}
        await graph.ainvoke(asdict(TurnInput(message=checked.text, injection=checked.injection)), config,
                            context=TurnContext())
        reply = (await graph.aget_state(config)).values["reply"]
        leaks += [(text, fragment) for fragment in fragments if fragment in reply]
    assert not leaks
