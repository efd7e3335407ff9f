"""The chat server's one ChatService, loaded in the background so the server answers (health) at once.

Chat settings that change how a turn is designed (generator backend, creativity) travel with each turn
(``agent.state.TurnContext``): one service serves every combination.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from agent.deps import Deps
from agent.service import ChatService
from hyanggi.settings import GeneratorBackend, Settings
from jobs.adapters import keep_following
from jobs.ledger import ledger_for

logger = logging.getLogger(__name__)

LOADING_KO = "모델과 검색 인덱스를 불러오는 중이에요. 잠시만 기다려 주세요."
SETUP_KO = "향기를 시작하지 못했어요. 터미널에서 `hyanggi setup` 을 먼저 실행한 뒤 다시 시작해 주세요."


class ServiceUnavailableError(RuntimeError):
    """The service could not be loaded; ``message_ko`` tells the user what to do."""

    def __init__(self, message_ko: str) -> None:
        super().__init__(message_ko)
        self.message_ko = message_ko


class Runtime:
    def __init__(self, settings: Settings, deps_factory: Callable[[Settings], Deps] | None = None) -> None:
        self.settings = settings
        self.deps_factory = deps_factory or Deps.load
        self.base: ChatService | None = None
        self.error: str | None = None
        self._task: asyncio.Task[None] | None = None
        self._adapters: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin loading inside the serving loop (idempotent)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._load())

    async def _load(self) -> None:
        try:
            deps = await asyncio.to_thread(self.deps_factory, self.settings)
            self.base = await ChatService.open(self.settings, deps=deps)
        except Exception:  # any failure becomes one Korean instruction; the log keeps the detail
            logger.exception("could not load the chat service")
            self.error = SETUP_KO
            return
        # the adapter activated on any worker reaches this one too
        self._adapters = asyncio.get_running_loop().create_task(
            keep_following(self.base, ledger_for(self.settings.db_url)))

    def service(self) -> ChatService | None:
        return self.base

    async def wait(self) -> ChatService:
        if self._task is None:
            self.start()
        assert self._task is not None
        await asyncio.shield(self._task)
        if self.base is None:
            raise ServiceUnavailableError(self.error or SETUP_KO)
        return self.base

    def backends(self) -> list[str]:
        """Backends a chat may pick: the loaded one, and always the composer (no model needed)."""
        return list(dict.fromkeys([self.settings.generator_backend.value, GeneratorBackend.composer.value]))

    async def close(self) -> None:
        for task in (self._task, self._adapters):
            if task is not None and not task.done():
                task.cancel()
        if self.base is not None:
            await self.base.close()
