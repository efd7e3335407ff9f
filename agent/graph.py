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
from langgraph.checkpoint.serde.base import maybe_add_typed_methods
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from agent.deps import Deps
from agent.nodes import Nodes
from agent.state import STATE_CLASSES, AgentState, TurnContext, TurnInput
from store import Store


def build_graph(deps: Deps, checkpointer: BaseCheckpointSaver | None = None,
                store: Store | None = None) -> CompiledStateGraph:
    """The turn's graph: a narrow input (the message), the typed working state, the turn's choices as the
    run's context; every node is named after the ``Nodes`` method it runs."""
    nodes = Nodes(deps, store)
    graph = StateGraph(AgentState, context_schema=TurnContext, input_schema=TurnInput)
    design = (nodes.interpret, nodes.retrieve, nodes.generate, nodes.critique, nodes.revise, nodes.respond)
    terminals = (nodes.respond, nodes.edit, nodes.compare, nodes.answer, nodes.chat, nodes.import_formula,
                 nodes.where_used, nodes.replacements, nodes.redirect)
    for node in dict.fromkeys((nodes.route, *design, *terminals)):
        graph.add_node(node)
    graph.add_edge(START, nodes.route.__name__)
    for before, after in ((nodes.interpret, nodes.retrieve), (nodes.retrieve, nodes.generate),
                          (nodes.generate, nodes.critique), (nodes.revise, nodes.critique)):
        graph.add_edge(before.__name__, after.__name__)
    for terminal in terminals:
        graph.add_edge(terminal.__name__, END)
    if checkpointer is not None:
        # A saved thread revives only the state's own classes (no arbitrary import from the database).
        checkpointer.serde = maybe_add_typed_methods(JsonPlusSerializer(allowed_msgpack_modules=STATE_CLASSES))
    return graph.compile(checkpointer=checkpointer)
