"""Each key's formulas are its own, over every REST route family, on SQLite (the same scenario runs on
PostgreSQL in the integration tier)."""

from __future__ import annotations

import pytest

from tests.tenancy import check_tenancy, open_service

pytestmark = pytest.mark.slow


async def test_two_keys_see_only_their_own_work_and_the_admin_key_sees_both(tmp_path, monkeypatch) -> None:
    service = await open_service(f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    try:
        await check_tenancy(service, monkeypatch)
    finally:
        await service.close()
