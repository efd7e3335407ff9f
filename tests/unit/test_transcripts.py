"""Transcripts → samples: the search and the grounding kept apart, references attached to replays only."""

from __future__ import annotations

from datetime import UTC, datetime

from eval.replay import Conversation, ReferenceTurn
from eval.transcripts import (
    conversation_samples,
    latest_replay,
    multi_turn_dataset,
    reference_index,
    single_turn_dataset,
    turn_samples,
)
from store import RetrievalRecord, SessionTranscript, TurnView

NOW = datetime(2025, 1, 1, tzinfo=UTC)


def _turn(index: int, text: str, route: str, retrievals: list[RetrievalRecord]) -> TurnView:
    return TurnView(id=index + 1, index=index, user_text=text, reply=f"답 {index}", route=route, level="상세",
                    brief=None, recipe_id=None, recipe_version=None, retrievals=retrievals, generations=[],
                    timings_ms={"total": 1500.0, "respond": 10}, feedback=[1], created_at=NOW)


def _session(session: str, turns: list[TurnView], source: str = "replay") -> SessionTranscript:
    return SessionTranscript(id=session, title="t", source=source, owner="local", created_at=NOW, turns=turns)


BRIEF = "비 오는 날 카페 향수 만들어 줘"
SEARCH = RetrievalRecord(query=BRIEF, collection="all", ids=["coffee", "vanillin", "coffee"],
                         texts=["커피 어코드", "바닐린", "커피 어코드"])
INTERPRET = RetrievalRecord(query=BRIEF, collection="materials", ids=["lemon_oil"], texts=["레몬"])
CANDIDATES = RetrievalRecord(query=BRIEF + " coffee", collection="materials", ids=["cedrol"], texts=["세드롤"])
GROUNDING = RetrievalRecord(query="reply grounding", collection="materials+perfumes", ids=["vanillin", "cedrol"],
                            texts=["바닐린 설명", "세드롤 설명"])
EDIT_GROUNDING = RetrievalRecord(query="reply grounding", collection="materials+perfumes", ids=["hedione"],
                                 texts=["헤디온 설명"])
CONVERSATION = Conversation(id="cafe", kind="edit", turns=[
    ReferenceTurn(user=BRIEF, reference="커피와 바닐라", reference_ids=["coffee", "petrichor"]),
    ReferenceTurn(user="헤디온 추가해 줘", reference="헤디온을 더함", reference_ids=["hedione"]),
])


def _samples(session: str = "replay-cafe-T1"):
    transcript = _session(session, [_turn(0, BRIEF, "new_brief", [INTERPRET, SEARCH, CANDIDATES, GROUNDING]),
                                     _turn(1, "헤디온 추가해 줘", "edit", [EDIT_GROUNDING])])
    texts = {"coffee": "커피 문서", "petrichor": "페트리코 문서", "hedione": "헤디온 문서"}
    return turn_samples([transcript], reference_index([CONVERSATION]), texts), transcript


def test_search_is_the_user_message_search_and_grounding_is_apart() -> None:
    samples, _ = _samples()
    brief = samples[0]
    assert brief.retrieved_ids == ["coffee", "vanillin"]  # the 'all' search over the message, each id once
    assert brief.retrieved_texts == ["커피 어코드", "바닐린"]
    assert brief.grounding_ids == ["vanillin", "cedrol"]
    assert brief.contexts() == (["coffee", "vanillin", "cedrol"], ["커피 어코드", "바닐린", "세드롤 설명"])


def test_a_turn_without_search_is_scored_on_what_it_quotes() -> None:
    samples, _ = _samples()
    assert samples[1].route == "edit"
    assert samples[1].retrieved_ids == ["hedione"]


def test_replays_get_their_curated_references_with_document_texts() -> None:
    samples, _ = _samples()
    assert samples[0].reference == "커피와 바닐라"
    assert samples[0].reference_ids == ["coffee", "petrichor"]
    assert samples[0].reference_texts == ["커피 문서", "페트리코 문서"]
    assert samples[1].reference_ids == ["hedione"] and samples[1].has_reference
    assert samples[0].timings_ms == {"total": 1500.0, "respond": 10.0}


def test_live_sessions_have_no_reference() -> None:
    samples, _ = _samples(session="a1b2c3d4e5f6a7b8")
    assert all(s.reference is None and not s.has_reference for s in samples)


def test_ragas_datasets_carry_ids_texts_and_dialogues() -> None:
    samples, transcript = _samples()
    plain = single_turn_dataset(samples).samples[0]
    assert plain.retrieved_context_ids == ["coffee", "vanillin"]
    assert plain.reference_context_ids == ["coffee", "petrichor"]
    assert plain.reference_contexts == ["커피 문서", "페트리코 문서"]
    judged = single_turn_dataset(samples, judged=True).samples[0]
    assert judged.retrieved_contexts == ["커피 어코드", "바닐린", "세드롤 설명"]
    dialogues = conversation_samples([transcript], reference_index([CONVERSATION]))
    assert dialogues[0].reference == "헤디온을 더함"
    messages = multi_turn_dataset(dialogues).samples[0].user_input
    assert [m.type for m in messages] == ["human", "ai", "human", "ai"]
    assert messages[2].content == "헤디온 추가해 줘"


def test_sessions_without_edits_are_not_dialogue_samples() -> None:
    transcript = _session("replay-q-T1", [_turn(0, "헤디온이 뭐야?", "question", [])])
    assert conversation_samples([transcript]) == []


def test_latest_replay_keeps_only_the_newest_run() -> None:
    old = _session("replay-cafe-20250101T000000", [])
    new = _session("replay-cafe-20250102T000000", [])
    newer_other = _session("replay-q-20250102T000000", [])
    live = _session("a1b2c3d4e5f6a7b8", [], source="chat")
    assert [t.id for t in latest_replay([old, new, newer_other, live])] == [new.id, newer_other.id]
    assert latest_replay([live]) == [live]
