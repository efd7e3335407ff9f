"""The remote backend's wire format, against a fake OpenAI-compatible server (httpx.MockTransport)."""

import json

import httpx
import pytest

from agent.generators.base import Outcome
from agent.generators.fallback import FallbackComposer
from agent.generators.remote import RemoteGenerator
from hyanggi.settings import GeneratorBackend, Settings
from perfumery.brief import Brief
from prompts import PromptBuilder
from tests.unit.perfumery_fixtures import make_catalog

URL = "http://models:8001/v1"


def _events(*texts: str) -> bytes:
    lines = [f"data: {json.dumps({'choices': [{'text': t, 'index': 0}]})}\n\n" for t in texts]
    return "".join([*lines, "data: [DONE]\n\n"]).encode()


class FakeServer:
    """Answers /completions with scripted pieces and /extras/tokenize one token per character plus a BOS."""

    def __init__(self, pieces: tuple[str, ...] = ("안녕", "하세요"), tokenize: bool = True) -> None:
        self.pieces = pieces
        self.tokenize = tokenize
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.path == "/v1/completions":
            return httpx.Response(200, content=_events(*self.pieces), headers={"content-type": "text/event-stream"})
        if request.url.path == "/extras/tokenize" and self.tokenize:
            return httpx.Response(200, json={"tokens": [2, *range(len(json.loads(request.content)["input"]))]})
        return httpx.Response(404, json={"detail": "Not Found"})

    def bodies(self, path: str) -> list[dict]:
        return [json.loads(r.content) for r in self.requests if r.url.path == path]


def _generator(server, **kwargs) -> RemoteGenerator:
    builder = PromptBuilder({})
    return RemoteGenerator(builder, FallbackComposer(make_catalog(), builder), url=URL,
                           transport=httpx.MockTransport(server), **kwargs)


def test_request_streams_with_local_sampling_and_grammar_in_the_configured_field():
    server = FakeServer()
    generator = _generator(server, model="hyanggi", api_key="k", grammar_field="guided_grammar")
    completion = generator.complete("p", max_tokens=12, temperature=0.3, seed=7, stop=["\n\n"], grammar="root ::= x")
    assert completion.text == "안녕하세요" and not completion.error
    [body] = server.bodies("/v1/completions")
    assert body == {"prompt": "p", "max_tokens": 12, "temperature": 0.3, "seed": 7, "stream": True, "top_p": 0.95,
                    "repeat_penalty": 1.1, "stop": ["\n\n"], "model": "hyanggi", "guided_grammar": "root ::= x"}
    assert server.requests[0].headers["authorization"] == "Bearer k"


def test_no_grammar_field_sends_no_grammar():
    server = FakeServer()
    _generator(server, grammar_field="").complete("p", max_tokens=4, temperature=0, seed=1, grammar="root ::= x")
    [body] = server.bodies("/v1/completions")
    assert "grammar" not in body and "model" not in body and "stop" not in body


def test_tokens_are_counted_by_the_server_without_bos_else_approximated():
    counted = _generator(FakeServer())
    assert counted.count_tokens("향수") == 2
    approximated = _generator(server := FakeServer(tokenize=False))
    assert approximated.count_tokens("향수") == 2  # 6 UTF-8 bytes / 4, rounded up
    approximated.count_tokens("향수")
    assert len(server.bodies("/extras/tokenize")) == 1  # a missing route is asked once


def test_server_errors_become_korean_problems_and_a_template_narration():
    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="loading")

    def unreachable(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    refused = _generator(refusing).complete("p", max_tokens=4, temperature=0, seed=1)
    assert refused.error.startswith("GeneratorServerError: 생성 서버가 503로 답했습니다") and refused.text == ""
    brief = Brief(descriptors={"citrus": 1.0}, text="상큼한 향")
    recipe = FallbackComposer(make_catalog(), PromptBuilder({})).compose(brief, 0, [])
    narration = _generator(unreachable).narrate(recipe, brief)
    assert narration.read()
    assert narration.record.outcome == Outcome.fallback
    assert any("생성 서버에 연결할 수 없습니다" in p for p in narration.record.problems)


class _Pieces(httpx.SyncByteStream):
    """An event stream that can fail after its first event and records whether the client closed it."""

    def __init__(self, first: bytes, then: Exception | None = None) -> None:
        self.first, self.then, self.closed = first, then, False

    def __iter__(self):
        yield self.first
        if self.then is not None:
            raise self.then
        yield b"data: [DONE]\n\n"

    def close(self) -> None:
        self.closed = True


def _streaming(body: _Pieces):
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=body, headers={"content-type": "text/event-stream"})
    return answer


def test_a_refusal_is_not_retried_and_no_environment_key_reaches_the_server(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-not-for-this-server")
    requests: list[httpx.Request] = []

    def refusing(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(503, text="loading")

    _generator(refusing).complete("p", max_tokens=4, temperature=0, seed=1)
    completions = [r for r in requests if r.url.path == "/v1/completions"]
    assert len(completions) == 1  # falls back at once instead of waiting on retries
    assert not any("authorization" in r.headers for r in requests)


def test_timeouts_before_and_during_the_stream_read_as_the_time_limit():
    def silent(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    before = _generator(silent, timeout_s=3).complete("p", max_tokens=4, temperature=0, seed=1)
    assert before.error == f"GeneratorServerError: 생성 서버가 3초 안에 답하지 않았습니다: {URL}"
    stalled = _Pieces(_events("안녕")[:-len(b"data: [DONE]\n\n")], then=httpx.ReadTimeout("stalled"))
    during = _generator(_streaming(stalled), timeout_s=3).complete("p", max_tokens=4, temperature=0, seed=1)
    assert during.text == "안녕" and "3초 안에 답하지 않았습니다" in during.error


def test_an_error_event_in_the_stream_is_a_server_error():
    failing = _Pieces(b'data: {"error": {"message": "grammar parse failed"}}\n\n')
    completion = _generator(_streaming(failing)).complete("p", max_tokens=4, temperature=0, seed=1)
    assert completion.error.startswith("GeneratorServerError: 생성 서버 오류:") and "grammar parse failed" in completion.error


def test_closing_the_pieces_closes_the_response_and_so_cancels_the_generation():
    endless = _Pieces(_events("안녕")[:-len(b"data: [DONE]\n\n")], then=AssertionError("read past the close"))
    pieces = _generator(_streaming(endless))._stream("p", max_tokens=4, temperature=0, seed=1, stop=(), grammar=None)
    assert next(pieces) == "안녕" and not endless.closed
    pieces.close()
    assert endless.closed


def test_the_url_alone_selects_the_remote_backend(monkeypatch):
    monkeypatch.setenv("HYANGGI_GENERATOR_URL", URL)
    assert Settings().generator_backend == GeneratorBackend.remote
    monkeypatch.setenv("HYANGGI_GENERATOR_BACKEND", "llama_cpp")
    assert Settings().generator_backend == GeneratorBackend.llama_cpp
    monkeypatch.delenv("HYANGGI_GENERATOR_URL")
    monkeypatch.setenv("HYANGGI_GENERATOR_BACKEND", "remote")
    with pytest.raises(ValueError, match="HYANGGI_GENERATOR_URL"):
        Settings()
