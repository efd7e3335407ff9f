"""All configuration in one place: pydantic-settings, env prefix ``HYANGGI_``.

Paths derive from ``data_dir`` unless set explicitly, so one variable relocates everything.
"""

from __future__ import annotations

import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# No downloads at run time, ever: set before any Hugging Face library is imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


class GeneratorBackend(StrEnum):
    llama_cpp = "llama_cpp"
    transformers = "transformers"
    remote = "remote"  # an OpenAI-compatible server at generator_url, shared by every worker
    composer = "composer"  # no LLM: deterministic composer only


class AnswerLevel(StrEnum):
    basic = "기본"
    detailed = "상세"
    premium = "프리미엄"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HYANGGI_", env_file=".env", extra="ignore")

    # --- where things live -------------------------------------------------------------
    data_dir: Path = Field(default=PACKAGE_ROOT / "data",
                           description="All derived data; the checkout's data/ so the CLI and make agree.")

    # --- embedder ------------------------------------------------------------------------
    embedder_model: str = Field(
        default="", description="HF id or local path of a sentence-transformers model; empty = bundled e5-small."
    )
    embedder_query_prefix: str = Field(default="query: ", description="e5 needs prefixes; '' for other models.")
    embedder_passage_prefix: str = Field(default="passage: ")
    embedder_threads: int = Field(default=2, ge=1)

    # --- retrieval -----------------------------------------------------------------------
    retrieval_k: int = Field(default=8, ge=1, le=50)
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    dense_weight: float = Field(default=1.0, ge=0)
    bm25_weight: float = Field(default=1.0, ge=0)
    min_similarity: float = Field(default=0.0, ge=0, le=1, description="Dense cosine below this is dropped.")

    # --- generator -----------------------------------------------------------------------
    generator_backend: GeneratorBackend = GeneratorBackend.llama_cpp
    gguf_path: Path | None = Field(default=None, description="Base GGUF; default <data_dir>/models/gemma3-270m.gguf")
    lora_path: Path | None = Field(default=None, description="GGUF LoRA adapter; default the shipped one.")
    prune_vocab: bool = Field(
        default=True, description="llama_cpp serves the base GGUF cut to the 23k tokens we use (finetune/vocab.py; "
                                  "plan finetune/adapters/vocab.json): same tokens for our texts, ~2x decode speed.")
    n_threads: int = Field(default=2, ge=1)
    n_ctx: int = Field(default=2048, ge=256)
    max_new_tokens: int = Field(default=320, ge=16)
    generation_timeout_s: float = Field(default=20.0, gt=0)
    generator_queue_size: int = Field(default=4, ge=1, description="Waiting turns before '잠시 후 다시'.")
    generator_contexts: int = Field(
        default=2, ge=1, le=8,
        description="llama.cpp contexts generating at once (turns of different sessions in parallel), sharing "
                    "n_threads between them; each adds its own KV cache and compute buffers (~60 MB). 2 on a "
                    "2-core CPU: 51 vs 18 turns/min at 4 sessions (README, 'Concurrency').")
    temperature: float = Field(default=0.7, ge=0, le=2)
    seed: int = 42
    generator_url: str = Field(
        default="", description="OpenAI-compatible server (…/v1) running the generator for every worker; setting it "
                                "alone selects the remote backend. Empty = each process loads the GGUF itself.")
    generator_model: str = Field(default="", description="Model name to ask the server for (vLLM: the LoRA's "
                                                         "--lora-modules name); empty = the server's only model.")
    generator_api_key: str = Field(default="", description="Bearer key for the generator server, if it asks.")
    generator_grammar_field: str = Field(
        default="grammar", description="Request field carrying the proposal's GBNF grammar: 'grammar' for "
                                       "llama.cpp servers, 'guided_grammar' for vLLM; empty = send none (the "
                                       "output is still parsed, repaired or replaced by the composer).")

    # --- design loop -----------------------------------------------------------------------
    n_candidates: int = Field(default=3, ge=1, le=10, description="Composer variants per design round.")
    llm_proposals: int = Field(
        default=0, ge=0, le=5,
        description="Generator proposals per turn besides the composer's. One takes a new brief's p50 from 1.3 to "
                    "4.9 s and its first text from 0.24 to 3.5 s on a 2-core CPU (hyanggi bench chat, 2026-12-07; "
                    "the bar is 4 s and 1 s) and the critic chose it in 2 of 10 turns, so the chat starts at 0; "
                    "the chat's 창의성 slider raises it.")
    candidate_pool: int = Field(default=40, ge=8, le=200, description="Materials the composer may draw from.")
    score_threshold: float = Field(default=0.75, ge=0, le=1)
    max_revisions: int = Field(default=2, ge=0, le=5)
    answer_level: AnswerLevel = AnswerLevel.detailed

    # --- evaluation judge ------------------------------------------------------------------
    judge_url: str = Field(default="", description="OpenAI-compatible server (…/v1) judging ragas' LLM metrics; "
                                                   "empty = the local cross-encoder judge. Never defaulted to a remote host.")
    judge_model: str = Field(default="", description="Model name the judge server serves.")
    judge_api_key: str = Field(default="", description="Key for the judge server, if it asks for one.")
    judge_path: Path | None = Field(
        default=None, description="The cross-encoder judge's folder (judge.json + judge.safetensors, eval/judge.py); "
                                  "default the shipped finetune/adapters/hyanggi-judge. `hyanggi finetune judge` "
                                  "writes <data_dir>/judge/model.")

    # --- storage -------------------------------------------------------------------------
    database_url: str = Field(default="", description="SQLAlchemy async URL; default sqlite in data_dir.")
    checkpoint_db: Path | None = Field(default=None, description="LangGraph thread memory; default in data_dir. "
                                                                 "With a PostgreSQL database_url the threads live "
                                                                 "there instead, so any worker continues any thread.")

    # --- scale-out (docs/DEPLOYMENT.md); each empty = the embedded default ------------------
    chroma_url: str = Field(default="", description="Chroma server (http://host:port) instead of the embedded "
                                                    "<data_dir>/chroma directory.")
    redis_url: str = Field(default="", description="Redis (redis://host:port/0) holding the rate-limit counters "
                                                   "that every web worker shares; empty = per process.")
    broker_url: str = Field(default="", description="Celery broker (redis://…) for jobs run by `hyanggi worker`; "
                                                    "empty = jobs run in a background thread of the web process.")
    admin_key: str = Field(default="", description="sha256 hex digest of the key the /api/v1/admin and "
                                                   "/api/v1/training routes ask for; empty = those routes are off.")
    # A floor under the relative gate (an adapter may not score below the one serving when it was evaluated,
    # on the same briefs: jobs.ledger.Ledger.activate). At 0.8 no adapter ever trained here could serve: the
    # critic scores the model's own formula before repair, 0.58 for the shipped one (`hyanggi eval generator`).
    activation_min_score: float = Field(default=0.5, ge=0, le=1,
                                        description="Lowest evaluation score an adapter may serve with; it must "
                                                    "also not score below the adapter serving when evaluated.")

    # --- chat / API ----------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = 8000
    log_format: str = Field(default="text", pattern=r"^(text|json)$",
                            description="json: one JSON object per log record, with session and request ids")
    max_message_chars: int = Field(default=2000, ge=10)
    api_keys: list[str] = Field(default_factory=list, description="sha256 hex digests of accepted API keys.")
    rate_limit_per_minute: int = Field(default=60, ge=1)
    max_request_bytes: int = Field(default=64_000, ge=1024)
    auth_password: str = Field(default="", description="Chat login password; empty = no login.")

    @model_validator(mode="after")
    def _remote_generator(self) -> Settings:
        """A generator URL alone switches the backend; an explicit backend (e.g. llama_cpp) is kept."""
        if self.generator_url and "generator_backend" not in self.model_fields_set:
            self.generator_backend = GeneratorBackend.remote
        if self.generator_backend == GeneratorBackend.remote and not self.generator_url:
            raise ValueError("generator_backend=remote needs HYANGGI_GENERATOR_URL")
        return self

    # --- derived paths -------------------------------------------------------------------
    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def embedder_dir(self) -> Path:
        return self.models_dir / "multilingual-e5-small"

    @property
    def embedder_name_or_path(self) -> str:
        return self.embedder_model or str(self.embedder_dir)

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def index_location(self) -> str:
        """Where the search index lives, for messages: the Chroma server or the embedded directory."""
        return self.chroma_url or str(self.chroma_dir)

    @property
    def base_gguf_path(self) -> Path:
        return self.gguf_path or self.models_dir / "gemma3-270m-q4_k_m.gguf"

    @property
    def adapter_gguf_path(self) -> Path:
        return self.lora_path or PACKAGE_ROOT / "finetune" / "adapters" / "hyanggi-lora.gguf"

    @property
    def judge_model_dir(self) -> Path:
        return self.judge_path or PACKAGE_ROOT / "finetune" / "adapters" / "hyanggi-judge"

    @property
    def judge_dir(self) -> Path:
        """What `hyanggi finetune judge` produces: its pairs, its training run and the trained judge."""
        return self.data_dir / "judge"

    @property
    def vocab_plan_path(self) -> Path:
        return PACKAGE_ROOT / "finetune" / "adapters" / "vocab.json"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'hyanggi.db'}"

    @property
    def checkpoint_path(self) -> Path:
        return self.checkpoint_db or self.data_dir / "checkpoints.db"

    @property
    def uses_postgres(self) -> bool:
        return self.db_url.startswith("postgresql")


@lru_cache
def get_settings() -> Settings:
    return Settings()
