"""deploy/compose.yaml, run natively: Docker is not available on these machines, so each app-side service's
command runs as compose gives it — the same arguments, the same environment (compose's own plus the image's
``ENV`` from deploy/Dockerfile) — with the services' host names mapped to 127.0.0.1, their ports to free
loopback ports and the image's paths (/data, /app, /chroma, /opt/venv) to local ones. Each must become ready
the way compose would see it: its own healthcheck command passes.

- db, redis: the images' commands are the server binaries; ops.servers starts them (with the user and
  database compose's PostgreSQL environment names).
- chroma (`chroma run`), models (llama_cpp.server with the base GGUF and the LoRA adapter): healthcheck.
- setup (`hyanggi setup`): exits 0 — migrations into PostgreSQL, the index into the Chroma server.
- web1 (`hyanggi chat`): healthcheck (health "ok"), then its /api/v1/metrics answers without a key, and its
  status names the stack's servers. web2 is web1 but for its name and published port (checked), so only
  web1 runs: a second would double the model loading on a 2-core machine and prove nothing more.
- worker (`hyanggi worker`): runs a reindex job started through web1's admin API (Celery through Redis).

Prometheus and Grafana cannot be installed here; tests/unit/test_deploy_config.py checks their configs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hyanggi.settings import get_settings
from ops.servers import Postgres, free_port, stop

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
ADMIN_KEY, CLIENT_KEY = "compose-admin", "compose-client"
READY_S, SETUP_S, JOB_S = 90.0, 240.0, 90.0


def _sha256(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


# What an operator puts in the shell (or deploy/.env) before `docker compose up`.
OPERATOR = {"HYANGGI_ADMIN_KEY": _sha256(ADMIN_KEY), "HYANGGI_API_KEYS": json.dumps([_sha256(CLIENT_KEY)])}


def _interpolate(value: Any) -> Any:
    """Compose's ``${NAME}`` and ``${NAME:-default}`` over the loaded file; any other ``$`` form fails."""
    if isinstance(value, dict):
        return {k: _interpolate(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v) for v in value]
    if not isinstance(value, str):
        return value
    done = re.sub(r"\$\{(\w+)(?::-([^}]*))?\}", lambda m: OPERATOR.get(m[1]) or m[2] or "", value)
    assert "$" not in done, f"unsupported interpolation in {value!r}"
    return done


def _services() -> dict[str, dict]:
    return _interpolate(yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8")))["services"]


def _image_env() -> dict[str, str]:
    """The final stage's ENV of deploy/Dockerfile."""
    final = (DEPLOY / "Dockerfile").read_text(encoding="utf-8").split("\nFROM ")[-1].replace("\\\n", " ")
    pairs = [pair for line in final.splitlines() if line.startswith("ENV ") for pair in shlex.split(line[4:])]
    return dict(pair.split("=", 1) for pair in pairs)


def _own_port(service: dict) -> int | None:
    command = service.get("command", [])
    return int(command[command.index("--port") + 1]) if "--port" in command else None


@dataclass
class Native:
    """Container names, ports and paths → this machine's."""

    ports: dict[tuple[str, int], int]  # (service, container port) → loopback port
    paths: dict[str, str]  # container path → local path

    def text(self, value: str, service: str) -> str:
        for (name, port), local in self.ports.items():
            value = value.replace(f"{name}:{port}", f"127.0.0.1:{local}")
            if name == service:  # its own address inside the container, as its healthcheck uses it
                value = value.replace(f"127.0.0.1:{port}", f"127.0.0.1:{local}")
        value = value.replace("0.0.0.0", "127.0.0.1")
        for inside, outside in self.paths.items():
            value = re.sub(rf"(^|:){re.escape(inside)}(?=/|:|$)", rf"\g<1>{outside}", value)
        return os.path.expandvars(value)

    def command(self, name: str, args: list[str]) -> list[str]:
        own = self.ports.get((name, int(args[args.index("--port") + 1]))) if "--port" in args else None
        native = [self.text(arg, name) for arg in args]
        if own is not None:
            native[args.index("--port") + 1] = str(own)
        return native

    def env(self, name: str, service: dict) -> dict[str, str]:
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("HYANGGI_", "CHAINLIT_"))}
        image = {k: self.text(v, name) for k, v in _image_env().items()}
        return {**inherited, **image, **{k: self.text(str(v), name) for k, v in service["environment"].items()}}


@dataclass
class Stack:
    services: dict[str, dict]
    native: Native
    logs: Path
    processes: contextlib.ExitStack

    def start(self, name: str) -> subprocess.Popen:
        service = self.services[name]
        log = (self.logs / f"{name}.log").open("wb")
        process = subprocess.Popen(self.native.command(name, service["command"]), cwd=REPO, stdout=log,
                                   stderr=subprocess.STDOUT, env=self.native.env(name, service))
        log.close()
        self.processes.callback(stop, process)
        return process

    def tail(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")[-3000:]

    def healthy(self, name: str, process: subprocess.Popen, timeout_s: float = READY_S) -> None:
        """Run the service's own healthcheck until it passes, as compose's `service_healthy` waits."""
        test = self.services[name]["healthcheck"]["test"]
        assert test[0] == "CMD", test
        check = self.native.command(name, test[1:])
        env = self.native.env(name, self.services[name])
        deadline = time.monotonic() + timeout_s
        while subprocess.run(check, env=env, capture_output=True, timeout=30).returncode != 0:
            assert process.poll() is None, f"{name} exited {process.returncode}:\n{self.tail(name)}"
            assert time.monotonic() < deadline, f"{name} not healthy in {timeout_s:.0f} s:\n{self.tail(name)}"
            time.sleep(1)


@pytest.fixture
def stack(postgres: Postgres, redis_url: str, tmp_path: Path) -> Iterator[Stack]:
    models = get_settings().models_dir
    if not (models / "gemma3-270m-q4_k_m.pruned.gguf").is_file():
        pytest.skip("needs the models `hyanggi setup` makes (make setup)")
    services = _services()
    db = services["db"]["environment"]
    assert db["POSTGRES_USER"] == postgres.user, "ops.servers' PostgreSQL user must be the compose one"
    import psycopg

    with psycopg.connect(host=postgres.host, port=postgres.port, user=postgres.user, dbname="postgres",
                         autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{db["POSTGRES_DB"]}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{db["POSTGRES_DB"]}"')
    data = tmp_path / "data"
    data.mkdir()
    (data / "models").symlink_to(models)  # the image's /data/models, made at build by `hyanggi setup`
    ports = {("db", 5432): postgres.port, ("redis", 6379): int(redis_url.rsplit(":", 1)[1].split("/")[0])}
    ports |= {(name, port): free_port() for name, s in services.items() if (port := _own_port(s)) is not None}
    native = Native(ports, {"/data": str(data), "/app": str(REPO), "/chroma": str(tmp_path / "chroma"),
                            "/opt/venv": sys.prefix})
    (tmp_path / "logs").mkdir()
    with contextlib.ExitStack() as processes:
        yield Stack(services, native, tmp_path / "logs", processes)


def _until(check: Callable[[], Any], timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while not (found := check()):
        assert time.monotonic() < deadline, what
        time.sleep(0.5)
    return found


def test_the_compose_services_start_natively_and_work_together(stack: Stack) -> None:
    web1, web2 = stack.services["web1"], stack.services["web2"]
    assert {**web1, "ports": None} == {**web2, "ports": None}  # web2 = web1 but for its published port

    stack.healthy("chroma", stack.start("chroma"))
    models = stack.start("models")
    setup = subprocess.run(stack.native.command("setup", stack.services["setup"]["command"]), cwd=REPO,
                           env=stack.native.env("setup", stack.services["setup"]), capture_output=True,
                           text=True, timeout=SETUP_S)
    assert setup.returncode == 0, setup.stdout[-3000:] + setup.stderr[-3000:]
    stack.start("worker")
    web = stack.start("web1")
    stack.healthy("models", models)
    stack.healthy("web1", web)

    base = f"http://127.0.0.1:{stack.native.ports[('web1', _own_port(web1))]}/api/v1"
    scrape = httpx.get(f"{base}/metrics", timeout=30)  # as Prometheus scrapes it: no key
    assert scrape.status_code == 200 and 'hyanggi_jobs{state="queued"}' in scrape.text
    admin = httpx.Client(base_url=base, headers={"X-API-Key": CLIENT_KEY, "X-Admin-Key": ADMIN_KEY}, timeout=30)
    status = admin.get("/admin/status").raise_for_status().json()
    assert status["database"]["backend"] == "postgresql" and status["job_runner"] == "celery"
    assert status["rate_limits"] == "redis" and status["model"]["backend"] == "remote"
    assert status["index"]["current"] and status["index"]["location"].startswith("http://127.0.0.1:")

    started = admin.post("/admin/reindex", params={"force": "false"})
    assert started.status_code == 202, started.text
    job_id = started.json()["id"]

    def finished() -> dict | None:
        job = admin.get(f"/training/jobs/{job_id}").json()
        return job if job["state"] not in ("queued", "running") else None

    done = _until(finished, JOB_S, f"the job worker did not run the job:\n{stack.tail('worker')}")
    assert done["state"] == "succeeded" and done["result"]["built"] is False, done  # setup built it already
