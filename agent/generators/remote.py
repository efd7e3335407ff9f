"""Remote backend: the generator runs on an OpenAI-compatible server shared by every web worker.

Workers stream ``/v1/completions`` instead of each loading the GGUF and queueing behind its own lock.
Proposals send their GBNF grammar in ``grammar_field``: llama.cpp servers (llama-cpp-python's and
llama-server) take ``grammar``; vLLM takes ``guided_grammar``, whose dialect depends on its guided-decoding
backend (GBNF with xgrammar). Without a grammar the output is still parsed, repaired or replaced, as always.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from agent.generators.base import Generator
from agent.generators.llama_cpp import REPEAT_PENALTY, TOP_P

_CONNECT_TIMEOUT_S = 5.0


class GeneratorServerError(RuntimeError):
    """The generator server could not be reached or refused a request (message in Korean, for the record)."""


class RemoteGenerator(Generator):
    backend = "remote"

    def __init__(self, *args: Any, url: str, model: str = "", api_key: str = "", grammar_field: str = "grammar",
                 transport: httpx.BaseTransport | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.url = url.rstrip("/")
        self.model = model
        self.grammar_field = grammar_field
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # The read timeout bounds the wait for each piece; the base class bounds the whole call.
        self._client = httpx.Client(headers=headers, transport=transport,
                                    timeout=httpx.Timeout(self.timeout_s, connect=_CONNECT_TIMEOUT_S))
        self._bos_tokens: int | None = None
        self._can_tokenize = True

    def completion_request(self, prompt: str, *, max_tokens: int, temperature: float, seed: int,
                           stop: Sequence[str], grammar: str | None) -> dict[str, Any]:
        """The JSON body for ``/completions``: the local backend's sampling, streamed."""
        body: dict[str, Any] = {"prompt": prompt, "max_tokens": max_tokens, "temperature": temperature, "seed": seed,
                                "stream": True, "top_p": TOP_P, "repeat_penalty": REPEAT_PENALTY}
        if stop:
            body["stop"] = list(stop)
        body.update(_model(self.model))
        if grammar and self.grammar_field:
            body[self.grammar_field] = grammar
        return body

    def _stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
                grammar: str | None) -> Iterator[str]:
        body = self.completion_request(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed,
                                       stop=stop, grammar=grammar)
        try:
            with self._client.stream("POST", f"{self.url}/completions", json=body) as response:
                if response.status_code != 200:
                    detail = response.read().decode("utf-8", "replace")[:300]
                    raise GeneratorServerError(f"생성 서버가 {response.status_code}로 답했습니다: {detail}")
                for line in response.iter_lines():
                    text = _sse_text(line)
                    if text is None:
                        return
                    if text:
                        yield text
        except httpx.TimeoutException as exc:
            raise GeneratorServerError(f"생성 서버가 {self.timeout_s:.0f}초 안에 답하지 않았습니다: {self.url}") from exc
        except httpx.TransportError as exc:
            raise GeneratorServerError(f"생성 서버에 연결할 수 없습니다: {self.url} ({exc})") from exc

    def count_tokens(self, text: str) -> int:
        """The server's count (llama.cpp's ``/extras/tokenize``, BOS removed); else ~4 UTF-8 bytes a token.

        The approximation (servers without that route, e.g. vLLM) only feeds the generation log's token
        figures; nothing is cut or billed by it.
        """
        if self._can_tokenize:
            try:
                if self._bos_tokens is None:
                    self._bos_tokens = len(self._tokenize(""))
                return len(self._tokenize(text)) - self._bos_tokens
            except (httpx.HTTPStatusError, KeyError, ValueError):
                self._can_tokenize = False  # no such route here: approximate from now on
            except httpx.TransportError:
                pass  # the server is away for now; the completion itself reports that
        return math.ceil(len(text.encode("utf-8")) / 4)

    def _tokenize(self, text: str) -> list[int]:
        root = self.url.removesuffix("/v1")
        response = self._client.post(f"{root}/extras/tokenize", json={"input": text, **_model(self.model)})
        response.raise_for_status()
        return response.json()["tokens"]

    def close(self) -> None:
        self._client.close()


def _model(model: str) -> dict[str, str]:
    return {"model": model} if model else {}


def _sse_text(line: str) -> str | None:
    """The text of one server-sent event line; None at ``[DONE]``, "" for anything without text."""
    if not line.startswith("data:"):
        return ""
    data = line.removeprefix("data:").strip()
    if data == "[DONE]":
        return None
    event = json.loads(data)
    if "error" in event:
        raise GeneratorServerError(f"생성 서버 오류: {event['error']}")
    choices = event.get("choices") or [{}]
    return choices[0].get("text") or ""
