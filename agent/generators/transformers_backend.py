"""transformers + peft backend: the same GGUF base, dequantized by transformers, with the PEFT
adapter that ``hyanggi finetune export`` writes next to the GGUF one. Uses a GPU when there is one,
works on CPU. No grammar here: its proposals go through the same parse / repair / fallback path.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from agent.generators.base import Generator


def peft_dir_for(adapter_gguf: Path) -> Path:
    """``.../hyanggi-lora.gguf`` → ``.../hyanggi-lora-peft`` (the same adapter in PEFT format)."""
    return adapter_gguf.with_name(adapter_gguf.stem + "-peft")


class _StopOnText:
    """A transformers StoppingCriteria: stop once the decoded completion contains a stop string."""

    def __init__(self, tokenizer: Any, prompt_len: int, stops: Sequence[str]) -> None:
        self.tokenizer, self.prompt_len, self.stops = tokenizer, prompt_len, list(stops)

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> bool:
        text = self.tokenizer.decode(input_ids[0, self.prompt_len:], skip_special_tokens=True)
        return any(s in text for s in self.stops)


class TransformersGenerator(Generator):
    backend = "transformers"

    def __init__(self, *args: Any, model_path: Path, peft_dir: Path | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.model_path = Path(model_path)
        self.peft_dir = Path(peft_dir) if peft_dir is not None else None
        self._model: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def _load(self) -> tuple[Any, Any]:
        if self._model is None:
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            if not self.model_path.is_file():
                raise FileNotFoundError(f"생성 모델 파일이 없습니다: {self.model_path} (`hyanggi setup`을 실행하세요)")
            device = "cuda" if torch.cuda.is_available() else "cpu"
            folder, name = str(self.model_path.parent), self.model_path.name
            tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
            model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32).to(device)
            if self.peft_dir is not None:
                from peft import PeftModel

                if not (self.peft_dir / "adapter_config.json").is_file():
                    raise FileNotFoundError(f"PEFT 어댑터가 없습니다: {self.peft_dir}")
                model = PeftModel.from_pretrained(model, str(self.peft_dir))
            model.eval()
            self._model, self._tokenizer = model, tokenizer
        return self._model, self._tokenizer

    def count_tokens(self, text: str) -> int:
        _, tokenizer = self._load()
        return len(tokenizer(text, add_special_tokens=False).input_ids)

    def _stream(self, prompt: str, *, max_tokens: int, temperature: float, seed: int, stop: Sequence[str],
                grammar: str | None) -> Iterator[str]:
        import torch
        from transformers import StoppingCriteriaList, TextIteratorStreamer

        model, tokenizer = self._load()
        device = next(model.parameters()).device
        inputs = tokenizer(prompt, return_tensors="pt").to(device)
        prompt_len = inputs["input_ids"].shape[1]
        # A timeout on the streamer: if generate() dies in its thread, the reader must not wait forever.
        streamer = TextIteratorStreamer(tokenizer, skip_prompt=True, skip_special_tokens=True,
                                        timeout=self.timeout_s)
        generation = {
            **inputs, "max_new_tokens": max_tokens, "do_sample": temperature > 0, "repetition_penalty": 1.1,
            "streamer": streamer, "pad_token_id": tokenizer.pad_token_id,
            "stopping_criteria": StoppingCriteriaList([_StopOnText(tokenizer, prompt_len, stop)]),
        }
        if temperature > 0:
            generation.update(temperature=temperature, top_p=0.95)
        failure: list[BaseException] = []

        def run() -> None:
            try:
                model.generate(**generation)
            except BaseException as exc:  # surfaced to the caller below
                failure.append(exc)
                streamer.end()

        with self._lock:
            torch.manual_seed(seed)
            worker = threading.Thread(target=run, daemon=True)
            worker.start()
            emitted = ""
            for piece in streamer:
                emitted += piece
                cut = min((emitted.find(s) for s in stop if s in emitted), default=-1)
                if cut >= 0:
                    yield piece[: len(piece) - (len(emitted) - cut)]
                    break
                yield piece
            worker.join()
            if failure:
                raise RuntimeError(f"generation failed: {failure[0]}") from failure[0]
