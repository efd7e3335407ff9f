"""Servers for the integration tier (``ops.servers``), one each per test session, started on first use; a
server that is not installed skips its tests with what to install."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import pytest

from ops.servers import ServerMissingError, chroma_server, postgres_server, redis_server


def _session_server(start: Callable[[], contextlib.AbstractContextManager]):  # noqa: ANN202 - a pytest fixture
    @pytest.fixture(scope="session")
    def _fixture():  # noqa: ANN202
        try:
            server = start()
            value = server.__enter__()
        except ServerMissingError as missing:
            pytest.skip(str(missing))
        try:
            yield value
        finally:
            server.__exit__(None, None, None)

    return _fixture


postgres = _session_server(postgres_server)
redis_url = _session_server(redis_server)
chroma_url = _session_server(chroma_server)
