"""llama.cpp backend (the default, CPU): the Gemma 3 270M GGUF base plus our GGUF LoRA adapter.

Proposals are constrained by a GBNF grammar over the candidates' numbers, so the output is
always a bounded ``number:percent`` line; grammars are compiled once per candidate count.
"""

from __future__ import annotations

import ctypes
import logging
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.generators.base import Generator

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

# Sampling beyond temperature, shared with the remote backend so a model server samples as this one does.
TOP_P = 0.95
REPEAT_PENALTY = 1.1

LLAMA_LOG = logging.getLogger("hyanggi.llama_cpp")
"""llama.cpp's own messages, at DEBUG: shown by `hyanggi --verbose` (ui/apps.py), silent otherwise."""
_LOG_CALLBACKS: list[object] = []  # ctypes callbacks must outlive every call llama.cpp makes to them


@cache
def route_llama_logs() -> None:
    """Send llama.cpp's log to ``LLAMA_LOG`` instead of stderr, once per process.

    ``Llama(verbose=False)`` does not keep llama.cpp quiet: llama-cpp-python's own callback still maps ggml's
    log levels as numbered before llama.cpp added a DEBUG level, so every warning passes as an error
    (abetlen/llama-cpp-python#1245); here that printed ~30 lines per `hyanggi ask` while the LoRA adapter
    loaded. Its callback is installed when ``llama_cpp`` is imported, so this one, installed after, wins.
    """
    import llama_cpp

    @llama_cpp.llama_log_callback
    def forward(level: int, text: bytes, user_data: ctypes.c_void_p) -> None:
        if LLAMA_LOG.isEnabledFor(logging.DEBUG):
            LLAMA_LOG.debug(text.decode("utf-8", errors="replace").rstrip("\n"))

    _LOG_CALLBACKS.append(forward)
    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))


@lru_cache(maxsize=32)
def _grammar(gbnf: str) -> LlamaGrammar:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


def _attach_adapter(llm: Llama, path: Path) -> None:
    """Apply the LoRA adapter to ``llm``'s context as ``Llama(lora_path=…)`` does, minus its side effect:
    llama-cpp-python 0.3 turns mmap off whenever a LoRA is given (a leftover from adapters merged into the
    weights), which copies the weights into every context. Applied per context instead, the contexts share the
    mapped GGUF: a second context costs ~100 MB (KV cache, compute buffers) instead of ~320 MB (proportional
    set size; same greedy output, README 'Concurrency')."""
    import llama_cpp

    adapter = llama_cpp.llama_adapter_lora_init(llm._model.model, str(path).encode("utf-8"))
    if adapter is None:
        raise RuntimeError(f"LoRA 어댑터를 읽을 수 없습니다: {path}")
    llm._stack.callback(llama_cpp.llama_adapter_lora_free, adapter)  # freed with the Llama, before its model
    adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(adapter)
    if llama_cpp.llama_set_adapters_lora(llm._ctx.ctx, adapters, 1, (ctypes.c_float * 1)(1.0)):
        raise RuntimeError(f"LoRA 어댑터를 적용할 수 없습니다: {path}")


class LlamaCppGenerator(Generator):
    """``contexts`` llama.cpp contexts, each serving one call at a time: calls of different chat sessions
    generate at once instead of queueing behind one context (contexts are not re-entrant: two calls on one
    abort the process). Each context is its own ``Llama`` with its own KV cache and compute buffers over the
    one memory-mapped GGUF (``_attach_adapter``). ``n_threads`` is split between the contexts: on the shared
    2-core machine, 2 contexts × 1 thread beat 2 × 2 threads under load and were steadier than 1 × 2 for a lone
    session, whose 2-thread decode swung between runs (README, 'Concurrency')."""

    backend = "llama_cpp"

    def __init__(self, *args: Any, model_path: Path, lora_path: Path | None, n_ctx: int = 2048,
                 n_threads: int = 2, contexts: int = 1, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_path = Path(model_path)
        self.lora_path = Path(lora_path) if lora_path is not None else None
        self.n_ctx = n_ctx
        self.contexts = contexts
        self.n_threads = max(1, n_threads // contexts)
        self._pool: list[Llama] = []
        # Last in, first out: a lone session keeps getting the context it just used (warm, and llama-cpp-python
        # reuses a context's KV cache for the prompt prefix it shares with the last call); others wait idle.
        self._idle: queue.LifoQueue[Llama] = queue.LifoQueue()
        self._loading = threading.Lock()

    @property
    def llm(self) -> Llama:
        """The first context, for callers that run one call at a time outside ``_stream`` (the raw runs of
        ``hyanggi bench generator``); never use it while the chat generates."""
        return self._loaded()[0]

    def _loaded(self) -> list[Llama]:
        """Every context, loaded on first use (seconds each)."""
        with self._loading:
            if not self._pool:
                if not self.model_path.is_file():
                    raise FileNotFoundError(f"생성 모델 파일이 없습니다: {self.model_path} (`hyanggi setup`을 실행하세요)")
                if self.lora_path is not None and not self.lora_path.is_file():
                    raise FileNotFoundError(f"LoRA 어댑터 파일이 없습니다: {self.lora_path}")
                self._pool = [self._load() for _ in range(self.contexts)]
                for llm in self._pool:
                    self._idle.put(llm)
        return self._pool

    def _load(self) -> Llama:
        from llama_cpp import Llama

        route_llama_logs()
        llm = Llama(model_path=str(self.model_path), n_ctx=self.n_ctx, n_threads=self.n_threads,
                    n_threads_batch=self.n_threads, seed=self.seed, verbose=False)
        if self.lora_path is not None:
            _attach_adapter(llm, self.lora_path)
        return llm

    def count_tokens(self, text: str) -> int:
        # Tokenizing reads only the model's vocabulary (llama_tokenize on the vocab, no context), so it never
        # waits for, or disturbs, a context that is generating.
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    @contextmanager
    def _context(self) -> Iterator[Llama]:
        """An idle context, held by this call alone until it ends (or fails); waits while all are busy."""
        self._loaded()
        llm = self._idle.get()
        try:
            yield llm
        finally:
            self._idle.put(llm)

    def _stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
                grammar: str | None) -> Iterator[str]:
        with self._context() as llm:
            chunks = llm.create_completion(
                prompt,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=TOP_P,
                repeat_penalty=REPEAT_PENALTY,
                seed=seed,
                stop=list(stop) or None,
                grammar=_grammar(grammar) if grammar else None,
                stream=True,
            )
            try:
                for chunk in chunks:
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
            finally:
                chunks.close()
