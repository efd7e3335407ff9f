"""Progress on long commands: a step per answered turn (a "busy" refusal is not one), counts as tables."""

from types import SimpleNamespace

from rich.console import Console

from ui.commands.eval_suite import _CountedAsker, _CountedStreamer
from ui.progress import progress
from ui.tables import counts_table


class Service:
    def __init__(self, errors: list[str | None]) -> None:
        self.errors = errors

    async def ask(self, message: str, **_: object) -> str:
        return f"answer to {message}"

    async def stream(self, message: str, **_: object):
        yield {"type": "token", "text": "…"}
        yield {"type": "result", "result": SimpleNamespace(error=self.errors.pop(0))}


async def test_a_replayed_turn_is_one_step() -> None:
    steps: list[None] = []
    asker = _CountedAsker(Service([]), lambda: steps.append(None))
    assert await asker.ask("안녕", session_id="s") == "answer to 안녕"
    assert len(steps) == 1


async def test_a_busy_refusal_is_not_an_answered_turn() -> None:
    steps: list[None] = []
    streamer = _CountedStreamer(Service(["busy", None, "timeout"]), lambda: steps.append(None))
    for _ in range(3):
        events = [event async for event in streamer.stream("상큼한 향")]
        assert [e["type"] for e in events] == ["token", "result"]
    assert len(steps) == 2


def test_the_bar_counts_to_its_total(capsys) -> None:
    with progress("대화 재생", 3) as advance:
        for _ in range(3):
            advance()
    assert "3/3" in capsys.readouterr().err


def test_counts_are_a_table_not_a_dict() -> None:
    console = Console(record=True, width=80)
    console.print(counts_table("index", {"materials": 342, "perfumes": 1520}, "collection", "documents"))
    text = console.export_text()
    assert "materials" in text and "1,520" in text and "{" not in text
