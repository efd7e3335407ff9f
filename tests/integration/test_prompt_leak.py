"""The no-leak check of `tests/unit/test_prompt_leak.py` with the real stack: the GGUF model with the shipped
adapter narrates whatever the guard lets through, and still no reply quotes our prompts."""

import pytest
import pytest_asyncio

from agent.service import ChatService
from hyanggi.settings import get_settings
from tests.unit.test_prompt_leak import attempts, prompt_fragments

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def service(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("leak")
    settings = get_settings().model_copy(update={"database_url": f"sqlite+aiosqlite:///{work / 'h.db'}",
                                                 "checkpoint_db": work / "checkpoints.db"})
    opened = await ChatService.open(settings)
    yield opened
    await opened.close()


@pytest.mark.asyncio(loop_scope="module")
async def test_no_reply_of_the_real_model_contains_a_prompt_fragment(service: ChatService) -> None:
    fragments = prompt_fragments()
    leaks, designed = [], 0
    for text in attempts():
        result = await service.ask(text, source="test")
        designed += result.intent == "new_brief"
        leaks += [(text, fragment) for fragment in fragments if fragment in result.reply]
    assert not leaks
    assert designed  # some attempts did reach the model's narration prompt
