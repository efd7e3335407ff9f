"""The store against a real SQLite file and a real PostgreSQL server (the same tests on both): round trips,
immutability of versions, durability under kill -9."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from perfumery.recipe import Ingredient, Recipe
from store import LOCAL, GenerationRecord, NotFoundError, RetrievalRecord, Store, TurnRecord

pytestmark = pytest.mark.integration


def _recipe(version: int = 1, percent: float = 60.0, recipe_id: str = "r1") -> Recipe:
    return Recipe(id=recipe_id, version=version, parent_version=version - 1 or None, name="비 오는 카페",
                  ingredients=[Ingredient(material_id="bergamot_oil", note="top", percent=100 - percent),
                               Ingredient(material_id="iso_e_super", note="base", percent=percent)])


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each engine; PostgreSQL is the server `conftest.postgres` started."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
async def store(store_url: str):
    opened = await Store.open(store_url)
    yield opened
    await opened.close()


async def test_turn_round_trip_keeps_everything(store: Store) -> None:
    turn_id = await store.commit_turn(LOCAL, TurnRecord(
        session_id="s1", user_text="포근한 향", reply="추천합니다", route="new_brief", brief={"descriptors": {"soft": 1}},
        recipe=_recipe(), timings_ms={"total": 1200.0},
        retrievals=[RetrievalRecord(query="포근한", collection="materials", ids=["a", "b"], scores=[0.9, 0.8],
                                    texts=["A", "B"])],
        generations=[GenerationRecord(backend="llama_cpp", task="propose", raw_output="o", outcome="repaired",
                                      completion_tokens=10, problems=["수정: 베르가못 30% → 25%"])],
    ))
    transcript = await store.transcript(LOCAL, "s1")
    turn = transcript.turns[0]
    assert turn.id == turn_id and turn.index == 0 and turn.route == "new_brief"
    assert turn.retrievals[0].ids == ["a", "b"] and turn.generations[0].outcome == "repaired"
    assert turn.generations[0].problems == ["수정: 베르가못 30% → 25%"]  # the chat's own verdicts are kept
    assert (turn.recipe_id, turn.recipe_version) == ("r1", 1)
    assert (await store.get_recipe(LOCAL, "r1")).ingredients[1].material_id == "iso_e_super"


async def test_versions_accumulate_and_are_never_overwritten(store: Store) -> None:
    await store.save_recipe_version(LOCAL, _recipe(1, 60.0), session_id="s1")
    await store.save_recipe_version(LOCAL, _recipe(2, 70.0), session_id="s1")
    await store.save_recipe_version(LOCAL, _recipe(2, 10.0), session_id="s1")  # same version again: ignored
    versions = await store.list_versions(LOCAL, "r1")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].percent_of("iso_e_super") == 70.0
    assert (await store.get_recipe(LOCAL, "r1", 1)).percent_of("iso_e_super") == 60.0


async def test_turn_indexes_follow_the_conversation(store: Store) -> None:
    for i in range(3):
        await store.commit_turn(LOCAL, TurnRecord(session_id="s2", user_text=f"t{i}", reply="r", route="question"))
    assert [t.index for t in (await store.transcript(LOCAL, "s2")).turns] == [0, 1, 2]
    assert (await store.list_sessions(LOCAL))[0]["turns"] == 3


async def test_feedback_and_liked_turns(store: Store) -> None:
    turn_id = await store.commit_turn(LOCAL, TurnRecord(session_id="s3", user_text="상큼", reply="답", route="new_brief",
                                                 brief={"descriptors": {"citrus": 1.0}}, recipe=_recipe(recipe_id="r3")))
    first = await store.set_feedback(LOCAL, turn_id, -1, "별로")
    assert await store.set_feedback(LOCAL, turn_id, 1, "좋아요") == first  # one current rating per turn
    liked = await store.liked_turns(LOCAL)
    assert len(liked) == 1 and liked[0][1].id == "r3" and liked[0][0] == {"descriptors": {"citrus": 1.0}}
    assert (await store.transcript(LOCAL, "s3")).turns[0].feedback == [1]
    assert await store.delete_feedback(LOCAL, first) and not await store.delete_feedback(LOCAL, first)
    assert await store.liked_turns(LOCAL) == []
    with pytest.raises(ValueError):
        await store.set_feedback(LOCAL, turn_id, 5)
    with pytest.raises(NotFoundError):
        await store.set_feedback(LOCAL, 9999, 1)
    assert await store.recipe_session(LOCAL, "r3") == "s3"


async def test_missing_things_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError):
        await store.get_recipe(LOCAL, "nope")
    with pytest.raises(NotFoundError):
        await store.transcript(LOCAL, "nope")


async def test_durability_pragmas_are_on(store: Store) -> None:
    if store.engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    async with store.engine.connect() as connection:
        from sqlalchemy import text
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar_one() == "wal"
        assert (await connection.execute(text("PRAGMA synchronous"))).scalar_one() == 2  # FULL


async def test_kill_9_loses_no_acknowledged_turn(store_url: str) -> None:
    """A writer is killed mid-flight twice; every turn it acknowledged must be there, a SQLite file intact."""
    url = store_url
    writer = Path(__file__).with_name("store_writer.py")
    acknowledged: set[int] = set()
    for round_ in range(2):
        child = subprocess.Popen([sys.executable, str(writer), url, f"crash{round_}"], stdout=subprocess.PIPE,
                                 text=True, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])})
        for line in child.stdout:
            acknowledged.add(int(line.split()[1]))
            if len(acknowledged) >= 25 * (round_ + 1):
                break
        child.send_signal(signal.SIGKILL)
        child.wait()
    store = await Store.open(url)
    try:
        if store.engine.dialect.name == "sqlite":
            assert await store.integrity_check() == "ok"
        stored = {t.id for s in await store.transcripts(LOCAL) for t in s.turns}
        assert acknowledged <= stored
        for session in await store.transcripts(LOCAL):
            for turn in session.turns:
                assert turn.recipe_id is None or (await store.get_recipe(LOCAL, turn.recipe_id, turn.recipe_version))
    finally:
        await store.close()
