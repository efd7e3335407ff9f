"""The transformers backend streams, stops at proposal ends and counts tokens (tiny random Gemma 3)."""

import torch

from agent.generators.fallback import FallbackComposer
from agent.generators.transformers_backend import TransformersGenerator, peft_dir_for
from prompts import PromptBuilder
from tests.unit.perfumery_fixtures import make_catalog

CHARS = list('{}":,0123456789abcdefghijklmnopqrstuvwxyz_ 가나다라마바사아자차카타파하.')


class Encoding(dict):
    def to(self, device):
        return Encoding({k: v.to(device) for k, v in self.items()})


class CharTokenizer:
    bos_token_id, eos_token_id, pad_token_id = 2, 1, 0

    def __call__(self, text, return_tensors=None, add_special_tokens=True):
        ids = [4 + CHARS.index(c) for c in text if c in CHARS]
        if return_tensors == "pt":
            tensor = torch.tensor([[self.bos_token_id, *ids]])
            return Encoding(input_ids=tensor, attention_mask=torch.ones_like(tensor))
        return type("E", (), {"input_ids": ids})()

    def decode(self, ids, skip_special_tokens=True, **_):
        return "".join(CHARS[i - 4] for i in (int(x) for x in ids) if 4 <= i < 4 + len(CHARS))


def generator_with_tiny_model(bias_token: str | None = None) -> TransformersGenerator:
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    torch.manual_seed(0)
    config = Gemma3TextConfig(vocab_size=4 + len(CHARS), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                              num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=16,
                              layer_types=None, eos_token_id=1, bos_token_id=2, pad_token_id=0)
    model = Gemma3ForCausalLM(config).eval()
    if bias_token is not None:  # make the model always say this character
        with torch.no_grad():
            model.lm_head.weight.zero_()
            model.model.embed_tokens.weight.data.normal_()
            model.lm_head.weight[4 + CHARS.index(bias_token)] = 0  # tied: keep the head sane
        model.config.tie_word_embeddings = False
        head = torch.nn.Linear(32, config.vocab_size, bias=True)
        with torch.no_grad():
            head.weight.zero_()
            head.bias.fill_(-10.0)
            head.bias[4 + CHARS.index(bias_token)] = 10.0
        model.lm_head = head
    catalog = make_catalog()
    builder = PromptBuilder({})
    gen = TransformersGenerator(builder, FallbackComposer(catalog, builder), model_path="unused.gguf", peft_dir=None)
    gen._model, gen._tokenizer = model, CharTokenizer()
    return gen


def test_peft_copy_sits_next_to_the_gguf_adapter(tmp_path):
    assert peft_dir_for(tmp_path / "hyanggi-lora.gguf") == tmp_path / "hyanggi-lora-peft"


def test_stream_respects_the_token_limit_and_counts():
    gen = generator_with_tiny_model()
    text = "".join(gen._stream("가나다", max_tokens=5, temperature=0.0, seed=0, stop=[], grammar=None))
    assert len(text) <= 5
    assert gen.count_tokens("가나다") == 3


def test_stop_strings_end_narration():
    gen = generator_with_tiny_model(bias_token=".")
    text = "".join(gen._stream("가", max_tokens=20, temperature=0.7, seed=1, stop=[".."], grammar=None))
    assert ".." not in text and len(text) < 20
