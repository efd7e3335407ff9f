"""Reference conversations: enough of them, ids that resolve, and a replay that sends every turn in order."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.service import TurnResult
from eval.replay import (
    Conversation,
    load_conversations,
    new_run_tag,
    parse_session_id,
    replay,
    session_id,
    unresolved_ids,
)
from knowledge.kb import load_knowledge_base


def test_at_least_fifty_conversations_of_every_kind() -> None:
    conversations = load_conversations()
    assert len(conversations) >= 50
    assert {c.kind for c in conversations} == {"new_brief", "edit", "question"}
    assert all(len(c.turns) >= 2 for c in conversations if c.kind == "edit")


def test_every_reference_id_resolves_in_the_knowledge_base() -> None:
    assert unresolved_ids(load_conversations(), load_knowledge_base()) == []


def test_unresolved_ids_names_the_conversation() -> None:
    bad = Conversation(id="x", kind="question", turns=[{"user": "뭐야?", "reference": "답", "reference_ids": ["nope"]}])
    assert unresolved_ids([bad], load_knowledge_base()) == ["x: nope"]


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    row = "- id: a\n  kind: question\n  turns: [{user: 뭐야, reference: 답, reference_ids: [hedione]}]\n"
    path = tmp_path / "c.yaml"
    path.write_text(row + row, encoding="utf-8")
    with pytest.raises(ValueError, match="중복"):
        load_conversations(path)


def test_session_ids_round_trip_and_other_sessions_are_not_replays() -> None:
    tag = new_run_tag()
    assert "-" not in tag
    assert parse_session_id(session_id("brief_rainy_cafe", tag)) == ("brief_rainy_cafe", tag)
    assert parse_session_id("a1b2c3d4e5f6a7b8") is None
    assert parse_session_id("replay-") is None


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, str]] = []

    async def ask(self, message: str, session_id: str | None = None, level: str | None = None,
                  concentration: str | None = None, source: str = "cli") -> TurnResult:
        self.calls.append((message, session_id, source))
        error = "failure" if message == "고장" else None
        return TurnResult(session=session_id or "", reply="답", intent="question", error=error,
                          timings_ms={"total": 12.0})


async def test_replay_sends_turns_in_order_one_session_per_conversation() -> None:
    conversations = [
        Conversation(id="a", kind="edit", turns=[{"user": "만들어 줘", "reference": "r", "reference_ids": ["x"]},
                                                 {"user": "고장", "reference": "r", "reference_ids": ["x"]}]),
        Conversation(id="b", kind="question", turns=[{"user": "뭐야?", "reference": "r", "reference_ids": ["x"]}]),
    ]
    service = _Recorder()
    report = await replay(service, conversations, run_tag="T1")
    assert service.calls == [("만들어 줘", "replay-a-T1", "replay"), ("고장", "replay-a-T1", "replay"),
                             ("뭐야?", "replay-b-T1", "replay")]
    assert [(t.conversation, t.index) for t in report.turns] == [("a", 0), ("a", 1), ("b", 0)]
    assert [t.conversation for t in report.errors] == ["a"]
