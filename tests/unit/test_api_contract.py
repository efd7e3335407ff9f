"""Schemathesis against the API in-process: every check, on the coverage, fuzzing and stateful phases, with a
fixed seed and a bounded number of examples (`make contract` runs the same with many more).

The API runs with an API key and the admin key configured (so `ignored_auth` can probe both, and the
admin operations are exercised too), a real SQLite store, the fake service of the route tests and stand-ins
for the long jobs (a training job must not train here).
"""

from __future__ import annotations

import asyncio
import hashlib
import os

import pytest
import schemathesis
import schemathesis.engine
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import Status, events

from agent.service import TurnResult
from hyanggi.settings import GeneratorBackend, Settings
from jobs.records import JobKind
from jobs.tasks import TASKS
from store import Store
from tests.unit.api_fakes import FakeService
from ui.api import create_api

pytestmark = pytest.mark.slow

KEY = "contract-key"
ADMIN_KEY = "contract-admin-key"
SEED = 15
# Examples per operation and phase; `make contract` raises it (HYANGGI_CONTRACT_EXAMPLES).
EXAMPLES = int(os.environ.get("HYANGGI_CONTRACT_EXAMPLES", "40"))


class ContractService(FakeService):
    """The route tests' fake without its scripted failures: here any 5xx is a bug."""

    async def ask(self, message: str, *args: object, **kwargs: object) -> TurnResult:
        return await super().ask(f"{message}!" if message in {"busy", "boom"} else message, *args, **kwargs)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("contract")
    url = f"sqlite+aiosqlite:///{work / 'api.db'}"
    store = asyncio.run(Store.open(url))
    service = ContractService(store)
    api_settings = Settings(data_dir=work, database_url=url, generator_backend=GeneratorBackend.composer,
                            api_keys=[hashlib.sha256(KEY.encode()).hexdigest()],
                            admin_key=hashlib.sha256(ADMIN_KEY.encode()).hexdigest(), rate_limit_per_minute=1_000_000)
    config = SchemathesisConfig.from_dict({
        "seed": SEED,
        "headers": {"X-API-Key": KEY, "X-Admin-Key": ADMIN_KEY},
        "generation": {"max-examples": EXAMPLES, "database": "none"},
        "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
        # A body over the byte limit is refused before it is read (413, documented on every body operation): a
        # rejection like 422, which schemathesis's default list for invalid data leaves out. Its 1,000-example
        # run found one — a `content` of 16,001 control characters, 96 kB once JSON-escaped.
        "checks": {"negative_data_rejection": {"expected-statuses": [
            400, 401, 403, 404, 405, 406, 409, 413, 415, 422, 428, 429, "5xx"]}},
    })
    with pytest.MonkeyPatch.context() as patch:
        for kind in JobKind:
            patch.setitem(TASKS, kind, lambda *_: {"stand_in": True})
        yield schemathesis.openapi.from_asgi("/openapi.json", create_api(api_settings, lambda: service),
                                             config=config)
    asyncio.run(store.close())


def test_schemathesis_finds_no_failure(api_schema) -> None:
    """The engine `st run --checks all` uses: examples, coverage, fuzzing, then stateful sequences. Prints how
    many requests it sent (`make contract` shows it)."""
    failures, phases, requests = [], set(), 0
    for event in schemathesis.engine.from_schema(api_schema).execute():
        if isinstance(event, events.ScenarioFinished):
            phases.add(event.phase.value)
            requests += len(event.recorder.interactions)
            for case_id, checks in event.recorder.checks.items():
                case = event.recorder.cases[case_id].value
                failures += [f"{check.name} — {case.operation.label} {case.path_parameters or ''} "
                             f"{case.query or ''} {case.body!r:.200}\n{check.failure_info.failure.title}: "
                             f"{check.failure_info.failure.message}"
                             for check in checks if check.status == Status.FAILURE]
        elif isinstance(event, events.NonFatalError | events.FatalError):
            failures.append(str(getattr(event, "info", None) or getattr(event, "exception", event)))
    print(f"schemathesis: {EXAMPLES} examples per operation and phase, {requests:,} requests, "
          f"{len(failures)} failures")
    assert not failures, "\n\n".join(failures)
    assert {"coverage", "fuzzing", "stateful"} <= phases, phases
