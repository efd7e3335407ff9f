"""Every web worker serves the adapter the ledger marks active.

`POST /api/v1/admin/models/{id}/activate` swaps the generator of the worker that answered at once; every
other worker notices the change at its next check (each ``ADAPTER_CHECK_S``: one indexed SELECT) and swaps
too. The same check makes a restarted worker come up on the active adapter rather than the shipped one.
A swap loads the new model beside the old one and replaces it under the model lock, so it falls between two
generations.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from hyanggi.settings import GeneratorBackend
from jobs.ledger import Ledger

if TYPE_CHECKING:
    from agent.service import ChatService

logger = logging.getLogger(__name__)

ADAPTER_CHECK_S = 10.0


def swaps_adapters(svc: ChatService) -> bool:
    """Whether this process loads the model itself: the composer backend runs none, and a remote
    generator's adapter is whatever its model server was started with."""
    return svc.deps.generator is not None and svc.settings.generator_backend != GeneratorBackend.remote


async def serve_adapter(svc: ChatService | None, adapter: Path) -> bool:
    """Swap this process's generator to ``adapter`` between two generations; False when no model is served
    here (see ``swaps_adapters``, or the service still loading)."""
    if svc is None or not swaps_adapters(svc):
        return False
    from agent.generators import make_generator

    settings = svc.settings.model_copy(update={"lora_path": adapter})
    generator = await asyncio.to_thread(make_generator, settings, svc.deps.kb)
    async with svc.deps.model_lock:
        svc.deps.generator = generator
        svc.settings = settings
    return True


async def follow_active_adapter(svc: ChatService, ledger: Ledger) -> bool:
    """One check: swap to the ledger's active adapter if this worker serves another; True when it swapped."""
    if not swaps_adapters(svc):
        return False
    active = await asyncio.to_thread(ledger.active_model)
    if active is None or Path(active.adapter_path) == svc.settings.adapter_gguf_path:
        return False
    if not await asyncio.to_thread(Path(active.adapter_path).is_file):
        raise FileNotFoundError(f"active adapter {active.id} is not on this worker: {active.adapter_path} "
                                "(put HYANGGI_DATA_DIR on storage every worker sees)")
    swapped = await serve_adapter(svc, Path(active.adapter_path))
    if swapped:
        logger.info("now serving adapter %s (%s)", active.id, active.adapter_path)
    return swapped


async def keep_following(svc: ChatService, ledger: Ledger, every_s: float = ADAPTER_CHECK_S) -> None:
    """Check every ``every_s`` until cancelled. A failed check is logged once per distinct problem (a
    database blip, an adapter file not yet copied here) and tried again next time."""
    if not swaps_adapters(svc):
        return
    last_problem = ""
    while True:
        try:
            await follow_active_adapter(svc, ledger)
            last_problem = ""
        except Exception as problem:  # noqa: BLE001 - the worker keeps serving its current adapter
            if str(problem) != last_problem:
                logger.warning("could not follow the active adapter: %s", problem)
            last_problem = str(problem)
        await asyncio.sleep(every_s)
