"""Throw-away servers on loopback ports, in temp folders removed afterwards: PostgreSQL, Redis, Chroma, and
llama-cpp-python's OpenAI-compatible model server.

The integration tier and `hyanggi bench scale` start the real stack with these. PostgreSQL refuses to run as
root, so as root (CI) the cluster is owned by and run as ``nobody``. A missing binary raises
``ServerMissingError`` saying what to install (`make servers`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

UNPRIVILEGED = "nobody"
START_TIMEOUT_S = 60.0
READY_TIMEOUT_S = 600.0  # a web worker loads the model and opens the index first


class ServerMissingError(RuntimeError):
    """A server binary is not installed."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, what: str, log: Path,
                  timeout_s: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with {process.returncode}: {log.read_text(errors='replace')[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not listen on {port} within {timeout_s:.0f} s")


def hyanggi_command() -> str:
    """This environment's `hyanggi` entry point (beside the running interpreter)."""
    return str(Path(sys.executable).with_name("hyanggi"))


@contextlib.contextmanager
def hyanggi_process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A `hyanggi …` process (``args`` after the command) in the repository, ``env`` over this one's, output to
    ``log``; stopped on leaving."""
    from hyanggi.settings import PACKAGE_ROOT

    with log.open("wb") as out:
        process = subprocess.Popen([hyanggi_command(), *args], cwd=PACKAGE_ROOT, env={**os.environ, **env},
                                   stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process)


async def wait_healthy(urls: list[str], timeout_s: float = READY_TIMEOUT_S) -> None:
    """Until every web worker's `/api/v1/health` says ok (its model and index loaded)."""
    import asyncio

    import httpx

    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(timeout=5) as client:
        for url in urls:
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(f"{url}/api/v1/health")).json().get("status") == "ok":
                        break
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{url} not ready in {timeout_s:.0f} s")
                await asyncio.sleep(1)


def stop(process: subprocess.Popen, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 20.0) -> None:
    """``sig``, then SIGKILL if the process has not exited within ``timeout_s``."""
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def postgres_bindir() -> Path | None:
    """Debian keeps the server binaries out of PATH, one folder per major version: the newest."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    on_path = shutil.which("postgres")
    return Path(on_path).parent if on_path else None


@dataclass
class Postgres:
    host: str
    port: int
    user: str

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    def new_database(self) -> str:
        """A fresh, empty database: its store URL."""
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)


def _as_unprivileged() -> dict:
    """Popen arguments that drop root to ``nobody``; none when not root."""
    return {"user": UNPRIVILEGED, "group": "nogroup"} if os.geteuid() == 0 else {}


@contextlib.contextmanager
def _listening(args: list, what: str, port: int, base: Path, stop_signal: signal.Signals = signal.SIGTERM,
               timeout_s: float = START_TIMEOUT_S, stop_timeout_s: float = 20.0, **popen: object) -> Iterator[None]:
    """Run ``args`` (logging to ``base``/server.log) until the block ends; ready once ``port`` accepts."""
    log = base / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, cwd=base, **popen)
    try:
        wait_for_port(port, process, what, log, timeout_s)
        yield
    finally:
        stop(process, stop_signal, stop_timeout_s)


@contextlib.contextmanager
def _temp_dir(prefix: str) -> Iterator[Path]:
    base = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


@contextlib.contextmanager
def postgres_server() -> Iterator[Postgres]:
    bindir = postgres_bindir()
    if bindir is None:
        raise ServerMissingError("PostgreSQL server is not installed: run `make servers` (apt-get install postgresql)")
    user, port, drop = "hyanggi", free_port(), _as_unprivileged()
    with _temp_dir("hyanggi-pg-") as base:
        if drop:
            shutil.chown(base, UNPRIVILEGED, drop["group"])
        subprocess.run([bindir / "initdb", "-D", base / "data", "-U", user, "--auth=trust", "-E", "UTF8",
                        "--locale=C.UTF-8"], check=True, capture_output=True, cwd=base, **drop)
        # fsync off: a throw-away cluster; what is tested is the store's behaviour, not the disk's.
        with _listening([bindir / "postgres", "-D", base / "data", "-p", str(port), "-h", "127.0.0.1", "-k", base,
                         "-c", "fsync=off", "-c", "max_connections=200"], "postgres", port, base,
                        stop_signal=signal.SIGINT, **drop):  # fast shutdown: clients still connected are cut
            yield Postgres("127.0.0.1", port, user)


@contextlib.contextmanager
def redis_server() -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise ServerMissingError("redis-server is not installed: run `make servers` (apt-get install redis-server)")
    port = free_port()
    with _temp_dir("hyanggi-redis-") as base, _listening(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", base],
            "redis-server", port, base):
        yield f"redis://127.0.0.1:{port}/0"


@contextlib.contextmanager
def chroma_server() -> Iterator[str]:
    """`chroma run` from the installed chromadb package, on a fresh directory."""
    port = free_port()
    with _temp_dir("hyanggi-chroma-") as base, _listening(
            [Path(sys.executable).with_name("chroma"), "run", "--path", base / "db", "--host", "127.0.0.1",
             "--port", str(port)], "chroma", port, base, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"}):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def llama_server(model: Path, *, lora: Path | None = None, alias: str = "hyanggi", n_threads: int = 2,
                 n_ctx: int = 4096) -> Iterator[str]:
    """``python -m llama_cpp.server`` on ``model`` (plus a LoRA adapter): its OpenAI base URL, ``…/v1``.

    The port opens only once the model is loaded, hence the longer wait; a server still decoding a cut-off
    request ignores SIGTERM, so it gets SIGKILL after 3 s instead of 20 (it keeps nothing worth a clean exit).
    """
    port = free_port()
    args = [sys.executable, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(n_ctx), "--n_threads", str(n_threads), "--model_alias", alias]
    if lora is not None:
        args += ["--lora_path", lora]
    with _temp_dir("hyanggi-llama-") as base, _listening(args, "llama_cpp.server", port, base, timeout_s=180,
                                                          stop_timeout_s=3.0):
        yield f"http://127.0.0.1:{port}/v1"
