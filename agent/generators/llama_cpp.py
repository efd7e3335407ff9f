"""llama.cpp backend (the default, CPU): the Gemma 3 270M GGUF base plus our GGUF LoRA adapter.

Proposals are constrained by a GBNF grammar built from the candidate ids, so the output is
always a bounded JSON object; grammars are compiled once per candidate set.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.generators.base import Generator

if TYPE_CHECKING:
    from llama_cpp import Llama, LlamaGrammar

# Sampling beyond temperature, shared with the remote backend so a model server samples as this one does.
TOP_P = 0.95
REPEAT_PENALTY = 1.1


@lru_cache(maxsize=32)
def _grammar(gbnf: str) -> LlamaGrammar:
    from llama_cpp import LlamaGrammar

    return LlamaGrammar.from_string(gbnf, verbose=False)


class LlamaCppGenerator(Generator):
    backend = "llama_cpp"

    def __init__(self, *args: Any, model_path: Path, lora_path: Path | None, n_ctx: int = 2048,
                 n_threads: int = 2, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_path = Path(model_path)
        self.lora_path = Path(lora_path) if lora_path is not None else None
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self._llm: Llama | None = None
        # One llama.cpp context serves one request at a time; concurrent turns queue here.
        self._lock = threading.Lock()

    @property
    def llm(self) -> Llama:
        if self._llm is None:
            from llama_cpp import Llama

            if not self.model_path.is_file():
                raise FileNotFoundError(f"생성 모델 파일이 없습니다: {self.model_path} (`hyanggi setup`을 실행하세요)")
            if self.lora_path is not None and not self.lora_path.is_file():
                raise FileNotFoundError(f"LoRA 어댑터 파일이 없습니다: {self.lora_path}")
            self._llm = Llama(
                model_path=str(self.model_path),
                lora_path=str(self.lora_path) if self.lora_path else None,
                n_ctx=self.n_ctx,
                n_threads=self.n_threads,
                n_threads_batch=self.n_threads,
                seed=self.seed,
                verbose=False,
            )
        return self._llm

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def _stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
                grammar: str | None) -> Iterator[str]:
        with self._lock:
            chunks = self.llm.create_completion(
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
