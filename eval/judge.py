"""The judge for ragas' Faithfulness and ResponseRelevancy: a local verdict model, or a server the evaluator names.

By default the judge is the **cross-encoder** this project fine-tunes (``hyanggi finetune judge``): the e5-small
encoder every install already has (``hyanggi setup``), cut to 4 layers, with those layers and a new head trained
and shipped in ``finetune/adapters/hyanggi-judge`` (``judge.safetensors``; the frozen embedding table is the
base's). A sentence that lists or places materials is first cut into its atomic statements (``eval.statements``: the
step ragas gives an LLM); each is read with the evidence picked for it from the turn's contexts
(``eval.evidence``), and the sentence holds when its weakest statement does. ``judge.json`` holds the threshold
chosen on the yardstick's dev split. It writes no text, so it cannot write unparsable JSON.

It replaced the Gemma 3 270M base GGUF, which timed out or wrote unparsable verdicts on every call (100 % NaN).
``HYANGGI_JUDGE_URL`` still puts any OpenAI-compatible chat model in its place (ragas' own prompts then).
Nothing here can reach the network.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from eval.evidence import Evidence
from eval.statements import atomic_statements

if TYPE_CHECKING:
    from langchain_core.language_models import BaseLanguageModel

    from agent.reading.interpret import MaterialNames
    from hyanggi.settings import Settings

JUDGE_TIMEOUT_S = 600  # per metric call; a server judge writing verdicts for a long reply can take minutes
JUDGE_MAX_TOKENS = 256  # a server judge's answer; ragas' verdict JSON for a reply's statements fits
JUDGE_CONFIG = "judge.json"
SPECIAL_TOKENS = 4  # <s> statement </s></s> evidence </s>
DEFAULT_THRESHOLD = 0.5


class JudgeNotReadyError(RuntimeError):
    """The judge's base model or its trained weights are missing; the message says what to run."""


class Verdict(BaseModel):
    statement: str
    supported: bool
    probability: float = Field(description="the judge's probability that the evidence supports the statement "
                                           "(its weakest atomic statement's)")
    evidence: str
    weakest: str = Field(description="the atomic statement that probability belongs to (the statement itself "
                                     "when it is not cut)")


def token_counter(tokenizer: Any) -> Callable[[list[str]], list[int]]:
    """Texts → their lengths in ``tokenizer``'s tokens (no special tokens): the evidence budget is exact."""
    return lambda texts: [len(ids) for ids in tokenizer(texts, add_special_tokens=False)["input_ids"]]


def base_tokenizer(base_dir: Path) -> Any:
    """The e5 folder's tokenizer, which the judge's cross-encoder also uses: pairs are cut by it."""
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(base_dir), local_files_only=True)


def evidence_budget(statement: str, count_tokens: Callable[[list[str]], list[int]], max_length: int) -> int:
    """Evidence tokens left beside ``statement`` (which may take at most half the input) and the special tokens."""
    return max_length - min(count_tokens([statement])[0], max_length // 2) - SPECIAL_TOKENS


class CrossEncoderJudge:
    """The fine-tuned e5 cross-encoder: per statement, p(supported | statement, its evidence), the statement
    cut by ``atoms`` into what it says one thing at a time.

    One prediction at a time (a lock): ragas may give up on a call at its timeout while the thread still
    runs, and torch's intra-op threads are sized for one.
    """

    def __init__(self, model: Any, threshold: float, max_length: int, atoms: Callable[[str], list[str]]) -> None:
        self.model = model
        self.threshold = threshold
        self.max_length = max_length
        self.atoms = atoms
        self._lock = threading.Lock()

    @classmethod
    def load(cls, base_dir: Path, model_dir: Path, names: MaterialNames, threads: int = 2,
             threshold: float | None = None) -> CrossEncoderJudge:
        """The trained judge; ``threshold`` overrides the one in ``judge.json`` (a freshly trained judge has none yet:
        ``hyanggi finetune judge`` chooses it on the yardstick's dev split right after training). ``names`` finds
        the material lists a sentence is cut at."""
        import torch

        from finetune.judge_train import load_judge

        torch.set_num_threads(threads)
        config = json.loads((model_dir / JUDGE_CONFIG).read_text(encoding="utf-8"))
        chosen = threshold if threshold is not None else config.get("threshold", DEFAULT_THRESHOLD)
        return cls(load_judge(base_dir, model_dir), threshold=chosen, max_length=config["max_length"],
                   atoms=partial(atomic_statements, names=names))

    @property
    def name(self) -> str:
        return "hyanggi-judge (e5-small cross-encoder, 4 layers)"

    def count_tokens(self, texts: list[str]) -> list[int]:
        return token_counter(self.model.tokenizer)(texts)

    def budget(self, statement: str) -> int:
        return evidence_budget(statement, self.count_tokens, self.max_length)

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        import torch

        if not pairs:
            return []
        with self._lock:
            scores = self.model.predict(list(pairs), batch_size=16, activation_fn=torch.nn.Sigmoid(),
                                        show_progress_bar=False)
        return [float(s) for s in scores]

    def judge(self, statements: Sequence[str], contexts: Sequence[str], primary: Sequence[str] = ()) -> list[Verdict]:
        """A verdict per statement: each of its atomic statements on the passages of ``contexts`` (``primary``
        read first) that bear on it, and the statement as supported as its weakest one."""
        evidence = Evidence(contexts, self.count_tokens, primary=primary)
        cuts = [self.atoms(s) or [s] for s in statements]
        atoms = [a for cut in cuts for a in cut]
        chosen = [evidence.for_statement(a, self.budget(a)) for a in atoms]
        scores = iter(zip(atoms, chosen, self.probabilities(list(zip(atoms, chosen, strict=True))), strict=True))
        verdicts = []
        for statement, cut in zip(statements, cuts, strict=True):
            atom, said, p = min(itertools.islice(scores, len(cut)), key=lambda judged: judged[2])
            verdicts.append(Verdict(statement=statement, supported=p >= self.threshold, probability=round(p, 4),
                                    evidence=said, weakest=atom))
        return verdicts


def make_judge(settings: Settings, max_tokens: int = JUDGE_MAX_TOKENS) -> BaseLanguageModel | CrossEncoderJudge:
    """The server at ``HYANGGI_JUDGE_URL`` when set, else the local cross-encoder judge."""
    if settings.judge_url:
        return url_judge(settings, max_tokens)
    base, folder = settings.embedder_dir, settings.judge_model_dir
    if not base.is_dir():
        raise JudgeNotReadyError(
            f"심사 모델의 기반 모델이 없습니다: {base}\n먼저 `hyanggi setup` 을 실행하거나 `--no-judge` 로 건너뛰세요.\n"
            f"(The judge's base model is missing at {base}; run `hyanggi setup` or pass --no-judge.)")
    if not (folder / JUDGE_CONFIG).is_file():
        raise JudgeNotReadyError(
            f"심사 모델이 없습니다: {folder}\n`hyanggi finetune judge` 로 만들거나 `--no-judge` 로 건너뛰세요.\n"
            f"(No judge model at {folder}; build it with `hyanggi finetune judge` or pass --no-judge.)")
    from agent.reading.interpret import MaterialNames
    from knowledge.kb import load_knowledge_base

    return CrossEncoderJudge.load(base, folder, MaterialNames(load_knowledge_base()), settings.n_threads)


def url_judge(settings: Settings, max_tokens: int = JUDGE_MAX_TOKENS) -> BaseLanguageModel:
    """A chat model on an OpenAI-compatible server (vLLM, llama.cpp server, an allowed hosted model).

    Only the URL the evaluator set is ever contacted; the key defaults to a placeholder because local
    servers accept any, and the OpenAI client refuses to start without one.
    """
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(base_url=settings.judge_url, model=settings.judge_model or "judge",
                      api_key=settings.judge_api_key or "not-needed", temperature=0.0, seed=settings.seed,
                      max_tokens=max_tokens, timeout=JUDGE_TIMEOUT_S, max_retries=0)
