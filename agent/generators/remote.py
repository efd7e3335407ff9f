"""Remote backend: the generator runs on an OpenAI-compatible server shared by every web worker.

Workers stream ``/v1/completions`` through the ``openai`` client instead of each loading the GGUF and queueing
behind its own lock. Proposals send their GBNF grammar in ``grammar_field``: llama.cpp servers
(llama-cpp-python's and llama-server) take ``grammar``; vLLM takes ``guided_grammar``, whose dialect depends on
its guided-decoding backend (GBNF with xgrammar). Those fields and llama.cpp's ``repeat_penalty`` are not part
of the OpenAI API, so they travel in ``extra_body``. Without a grammar the output is still parsed, repaired or
replaced, as always.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import httpx
import openai

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
        # The read timeout bounds the wait for each piece; the base class bounds the whole call. No retries: a
        # server that is down or slow must fall back within the time limit, not after three tries of it. The key
        # is passed even when empty, so the client never reads OPENAI_API_KEY and sends it to this server.
        self._client = openai.OpenAI(base_url=self.url, api_key=api_key, max_retries=0,
                                     timeout=httpx.Timeout(self.timeout_s, connect=_CONNECT_TIMEOUT_S),
                                     http_client=openai.DefaultHttpxClient(transport=transport))
        self._bos_tokens: int | None = None
        self._can_tokenize = True

    def completion_request(self, prompt: str, *, max_tokens: int, temperature: float, seed: int,
                           stop: Sequence[str], grammar: str | None) -> dict[str, Any]:
        """The arguments of ``completions.create``: the local backend's sampling, streamed.

        An empty ``model`` is left out (the server runs its one model), as are an empty ``stop`` and the grammar
        when no ``grammar_field`` is configured.
        """
        extra: dict[str, Any] = {"repeat_penalty": REPEAT_PENALTY}
        if grammar and self.grammar_field:
            extra[self.grammar_field] = grammar
        return {"model": self.model or openai.omit, "prompt": prompt, "max_tokens": max_tokens,
                "temperature": temperature, "seed": seed, "stream": True, "top_p": TOP_P,
                "stop": list(stop) if stop else openai.omit, "extra_body": extra}

    def _stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
                grammar: str | None) -> Iterator[str]:
        request = self.completion_request(prompt, max_tokens=max_tokens, temperature=temperature, seed=seed,
                                          stop=stop, grammar=grammar)
        # The client wraps errors while it sends the request; pieces read afterwards raise httpx's own.
        try:
            with self._client.completions.create(**request) as stream:  # closing it here cancels the generation
                for chunk in stream:
                    text = chunk.choices[0].text if chunk.choices else ""
                    if text:
                        yield text
        except openai.APIStatusError as exc:
            detail = exc.response.text[:300]
            raise GeneratorServerError(f"생성 서버가 {exc.status_code}로 답했습니다: {detail}") from exc
        except (openai.APITimeoutError, httpx.TimeoutException) as exc:
            raise GeneratorServerError(f"생성 서버가 {self.timeout_s:.0f}초 안에 답하지 않았습니다: {self.url}") from exc
        except (openai.APIConnectionError, httpx.TransportError) as exc:
            raise GeneratorServerError(f"생성 서버에 연결할 수 없습니다: {self.url} ({exc})") from exc
        except openai.APIError as exc:  # an error event inside the stream
            raise GeneratorServerError(f"생성 서버 오류: {exc.body or exc.message}") from exc

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
            except (openai.APIStatusError, KeyError, ValueError):
                self._can_tokenize = False  # no such route here: approximate from now on
            except openai.APIConnectionError:
                pass  # the server is away for now; the completion itself reports that
        return math.ceil(len(text.encode("utf-8")) / 4)

    def _tokenize(self, text: str) -> list[int]:
        """llama.cpp's own route, outside the OpenAI API: asked through the same client (key, timeouts)."""
        root = self.url.removesuffix("/v1")
        body = {"input": text, "model": self.model} if self.model else {"input": text}
        response = self._client.post(f"{root}/extras/tokenize", cast_to=httpx.Response, body=body)
        return response.json()["tokens"]

    def close(self) -> None:
        self._client.close()
