"""The local judge for ragas' LLM metrics: the Gemma 3 270M base GGUF through LangChain's llama.cpp wrapper.

It is the only model on the machine, so it judges; it is the *base* model (no adapter), so the
fine-tuned generator is not grading itself. A 270M base model follows ragas' JSON instructions poorly:
the runner counts every unparsable verdict instead of hiding it. Nothing here can reach the network.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_core.language_models import BaseLanguageModel

    from hyanggi.settings import Settings

JUDGE_CTX = 4096  # ragas' instructions + few-shot examples + a recipe reply overflow the chat's 2048
JUDGE_MAX_TOKENS = 256
JUDGE_BATCH = 512  # prompt tokens per llama.cpp batch; LangChain's default of 8 makes prompts crawl


_ONE_CALL = threading.Lock()


class JudgeNotReadyError(RuntimeError):
    """The judge's model file is missing; the message says what to run."""


def make_judge(settings: Settings, *, n_ctx: int = JUDGE_CTX,
               max_tokens: int = JUDGE_MAX_TOKENS) -> BaseLanguageModel:
    """The judge: the server at ``HYANGGI_JUDGE_URL`` when set, else a LangChain LLM over the base GGUF;
    greedy and seeded either way so judged scores are reproducible."""
    if settings.judge_url:
        return url_judge(settings, max_tokens)
    path = settings.base_gguf_path
    if not path.is_file():
        raise JudgeNotReadyError(
            f"심사 모델 파일이 없습니다: {path}\n먼저 `hyanggi setup` 을 실행하거나 `--no-judge` 로 건너뛰세요.\n"
            f"(Judge model not found at {path}; run `hyanggi setup` or pass --no-judge.)"
        )
    from langchain_community.llms import LlamaCpp

    class SerialLlamaCpp(LlamaCpp):
        """One llama.cpp call at a time.

        ragas' executor gives up on a call at its timeout, but the worker thread keeps decoding; without
        this lock the next call would enter the same llama.cpp context concurrently and abort the process
        (GGML_ASSERT in repack.cpp, seen after a 600 s judge timeout).
        """

        def _call(self, *args: Any, **kwargs: Any) -> str:
            with _ONE_CALL:
                return super()._call(*args, **kwargs)

    return SerialLlamaCpp(model_path=str(path), n_ctx=n_ctx, n_batch=JUDGE_BATCH, n_threads=settings.n_threads,
                    max_tokens=max_tokens, temperature=0.0, seed=settings.seed, streaming=False, verbose=False)


def url_judge(settings: Settings, max_tokens: int = JUDGE_MAX_TOKENS) -> BaseLanguageModel:
    """A chat model on an OpenAI-compatible server (vLLM, llama.cpp server, an allowed hosted model).

    Only the URL the evaluator set is ever contacted; the key defaults to a placeholder because local
    servers accept any, and the OpenAI client refuses to start without one.
    """
    from langchain_openai import ChatOpenAI

    from eval.ragas_runner import JUDGE_TIMEOUT_S

    return ChatOpenAI(base_url=settings.judge_url, model=settings.judge_model or "judge",
                      api_key=settings.judge_api_key or "not-needed", temperature=0.0, seed=settings.seed,
                      max_tokens=max_tokens, timeout=JUDGE_TIMEOUT_S, max_retries=0)
