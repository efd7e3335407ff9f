"""llama.cpp's own log: silent by default, shown with `hyanggi --verbose`."""

import logging
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from agent.generators import llama_cpp as backend
from ui.cli import app


@pytest.fixture
def llama_log() -> Iterator[logging.Logger]:
    """The logger as a process starts with it, restored after the test (the CLI option changes it)."""
    log = backend.LLAMA_LOG
    handlers, level = list(log.handlers), log.level
    log.handlers.clear()
    log.setLevel(logging.NOTSET)  # setLevel also clears the logger's cached isEnabledFor answers
    yield log
    log.handlers[:] = handlers
    log.setLevel(level)


def _llama_logs(text: bytes, level: int = 3) -> None:
    """What llama.cpp does when it logs: call the installed C callback (ggml level 3 is a warning)."""
    backend.route_llama_logs()
    backend._LOG_CALLBACKS[-1](level, text, None)


def test_llama_messages_reach_neither_stderr_nor_the_log_by_default(
    llama_log: logging.Logger, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    _llama_logs(b"llama_adapter_lora_init_impl: lora for 'blk.9.ffn_down.weight' cannot use buft\n")
    assert capfd.readouterr().err == ""
    assert not [r for r in caplog.records if r.name == llama_log.name]


def test_llama_messages_are_debug_records_when_asked_for(
    llama_log: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=llama_log.name)
    _llama_logs(b"llama_context: n_ctx = 2048\n", level=2)
    assert [(r.levelno, r.getMessage()) for r in caplog.records if r.name == llama_log.name] == [
        (logging.DEBUG, "llama_context: n_ctx = 2048")
    ]


def test_the_verbose_option_shows_llama_messages_on_stderr(
    llama_log: logging.Logger, capfd: pytest.CaptureFixture[str]
) -> None:
    assert CliRunner().invoke(app, ["--verbose", "kb", "list", "--help"]).exit_code == 0
    assert llama_log.isEnabledFor(logging.DEBUG) and llama_log.handlers
    _llama_logs(b"llama_model_loader: loaded meta data\n")
    assert "llama_model_loader: loaded meta data" in capfd.readouterr().err


def test_without_the_option_commands_leave_the_log_alone(llama_log: logging.Logger) -> None:
    assert CliRunner().invoke(app, ["kb", "list", "--help"]).exit_code == 0
    assert not llama_log.handlers and not llama_log.isEnabledFor(logging.DEBUG)
