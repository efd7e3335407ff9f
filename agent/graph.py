"""The LangGraph state machine of one chat turn (docs/ARCHITECTURE.md §1).

route ─┬─ interpret → retrieve → generate → critique ─┬─ respond → END
       │                                  ↑ revise ←──┘ (while score < threshold and revisions < limit)
       ├─ edit → END          (perfumer's edits: %, add/remove, 더 우디하게, EDT로, 100g 배합표)
       ├─ answer → END        (questions: the records they name, a basic from our tables, or "잘 모르겠어요")
       ├─ import_formula → END (a pasted formula of the perfumer's own becomes the next version)
       ├─ where_used → END    ("헤디온 쓰는 버전": stored versions holding a material, with its dose)
       ├─ replacements → END  ("이소 이 슈퍼 대체재": candidates with reasons)
       ├─ chat → END          (thanks, greetings, "뭘 할 수 있어?": a sentence, never a formula)
       ├─ compare → END       (version diff)
       └─ redirect → END      (off-topic or prompt injection)
"""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.deps import Deps
from agent.nodes import Nodes
from agent.state import AgentState
from store import Store


def build_graph(deps: Deps, checkpointer: BaseCheckpointSaver | None = None,
                store: Store | None = None) -> CompiledStateGraph:
    nodes = Nodes(deps, store)
    # The full state is the input: each turn passes ``turn_reset`` so per-turn fields start empty.
    graph = StateGraph(AgentState)
    graph.add_node("route", nodes.route)
    graph.add_node("interpret", nodes.interpret)
    graph.add_node("retrieve", nodes.retrieve)
    graph.add_node("generate", nodes.generate)
    graph.add_node("critique", nodes.critique)
    graph.add_node("revise", nodes.revise)
    graph.add_node("respond", nodes.respond)
    graph.add_node("edit", nodes.edit)
    graph.add_node("compare", nodes.compare)
    graph.add_node("answer", nodes.answer)
    graph.add_node("chat", nodes.chat)
    graph.add_node("import_formula", nodes.import_formula)
    graph.add_node("where_used", nodes.where_used)
    graph.add_node("replacements", nodes.replacements)
    graph.add_node("redirect", nodes.redirect)

    graph.add_edge(START, "route")
    graph.add_edge("interpret", "retrieve")
    graph.add_edge("retrieve", "generate")
    graph.add_edge("generate", "critique")
    graph.add_edge("revise", "critique")
    for terminal in ("respond", "edit", "compare", "answer", "chat", "import_formula", "where_used", "replacements",
                     "redirect"):
        graph.add_edge(terminal, END)
    return graph.compile(checkpointer=checkpointer)
