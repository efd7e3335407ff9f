"""Each key's formulas are its own on PostgreSQL too (store and LangGraph thread memory in the server the suite
starts): the scenario of tests/unit/test_api_tenancy.py, every REST route family."""

from __future__ import annotations

import pytest

from tests.tenancy import check_tenancy, open_service

pytestmark = pytest.mark.integration


async def test_two_keys_see_only_their_own_work_and_the_admin_key_sees_both(postgres, tmp_path, monkeypatch) -> None:
    service = await open_service(postgres.new_database(), tmp_path)
    try:
        assert service.settings.uses_postgres
        await check_tenancy(service, monkeypatch)
    finally:
        await service.close()
