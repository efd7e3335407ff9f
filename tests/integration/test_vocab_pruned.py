"""The pruned-vocabulary GGUF the chat serves, against the full base model it was cut from."""

import random

import pytest
from gguf import GGUFReader
from llama_cpp import Llama

from agent.generators import ensure_base_gguf, generator_parts, serving_gguf
from eval.recipe_metrics import load_cases
from finetune.vocab import DATA_ROOTS, PLAN_KEY, data_texts, load_plan
from hyanggi.settings import PACKAGE_ROOT, get_settings
from knowledge.kb import load_knowledge_base
from perfumery.pool import candidate_pool

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def models():
    settings = get_settings().model_copy(update={"prune_vocab": True})
    full, pruned = ensure_base_gguf(settings), serving_gguf(settings)
    return full, pruned


def test_the_shipped_plan_fits_the_packaged_base_and_cuts_the_vocabulary(models):
    full, pruned = models
    plan = load_plan(get_settings().vocab_plan_path)
    assert pruned == full.with_name("gemma3-270m-q4_k_m.pruned.gguf")
    assert GGUFReader(pruned).fields[PLAN_KEY].contents() == plan.digest
    assert len(plan.kept) < plan.base_vocab / 5
    assert pruned.stat().st_size < full.stat().st_size / 2


def test_our_texts_tokenize_exactly_as_before(models):
    full, pruned = (Llama(model_path=str(path), vocab_only=True, verbose=False) for path in models)
    new_id = {old: new for new, old in enumerate(load_plan(get_settings().vocab_plan_path).kept)}

    def ids(llm: Llama, text: str) -> list[int]:
        return llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)

    texts = list(data_texts(PACKAGE_ROOT / root for root in DATA_ROOTS))
    assert len(texts) >= 50
    assert [t[:80] for t in texts if [new_id.get(i) for i in ids(full, t)] != ids(pruned, t)] == []
    novel = "퀘벡의 겨울숲 같은 쨍한 향 😊 naïve émigré 香水"  # unseen characters: byte fallback, same text back
    assert pruned.detokenize(ids(pruned, novel)).decode("utf-8") == novel


def test_greedy_proposals_with_the_adapter_are_unchanged(models):
    settings = get_settings()
    kb = load_knowledge_base()
    builder, _ = generator_parts(settings, kb)
    prompts = []
    for n, case in enumerate(load_cases()[:1]):
        brief = case.to_brief()
        pool = candidate_pool(brief, kb.catalog, random.Random(f"0:{n}"))
        prompts.append(builder.proposal(brief, [kb.catalog.material(m) for m in pool]))
    outputs = []
    for path in models:
        llm = Llama(model_path=str(path), lora_path=str(settings.adapter_gguf_path), n_ctx=1024,
                    n_threads=settings.n_threads, verbose=False)
        outputs.append([llm.create_completion(p, max_tokens=40, temperature=0.0)["choices"][0]["text"] for p in prompts])
        llm.close()
    assert outputs[0] == outputs[1]
    assert all(text.strip() for text in outputs[1])
