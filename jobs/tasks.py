"""What each kind of job does. A task reports progress through its ``Progress`` and returns its result;
a cancel request surfaces as ``JobCancelled`` at the next report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hyanggi.settings import GeneratorBackend, Settings
from jobs.ledger import Ledger
from jobs.records import DatasetParams, EvaluateParams, JobKind, ReindexParams, TrainParams, TrainStart


class JobCancelled(Exception):  # noqa: N818 - a request, not an error
    """Someone asked to cancel the job; raised at its next progress report."""


@dataclass
class Progress:
    job_id: str
    ledger: Ledger

    def __call__(self, fraction: float | None = None, line: str | None = None, **metrics: Any) -> None:
        if self.ledger.report(self.job_id, fraction, line, metrics or None):
            raise JobCancelled(self.job_id)


def reindex(params: ReindexParams, settings: Settings, progress: Progress) -> dict[str, Any]:
    from knowledge.index import build_index

    progress(0.0, f"색인 만들기 시작: {settings.index_location}")
    report = build_index(settings, progress=False, force=params.force)
    progress(1.0, "다시 만들었어요" if report.built else "이미 최신이에요", counts=report.manifest.counts)
    return report.model_dump()


def dataset(params: DatasetParams, settings: Settings, progress: Progress) -> dict[str, Any]:
    from agent.training import dataset_signals
    from finetune.dataset import build_dataset, liked_sessions
    from knowledge.kb import load_knowledge_base

    out = settings.data_dir / "finetune" / "datasets" / progress.job_id
    rows = liked_sessions(settings.db_url) if params.sessions else []
    progress(0.05, f"좋아요 받은 대화 {len(rows)}개")
    kb = load_knowledge_base()
    signals = dataset_signals(settings, kb, rft_briefs=params.rft_briefs, samples=params.rft_samples)
    summary = build_dataset(kb, out, n_lexicon=params.briefs, threshold=params.threshold,
                            dev_share=params.dev_share, seed=params.seed, sessions=rows, signals=signals,
                            progress=False)
    dataset_id = progress.ledger.add_dataset(f"dataset-{progress.job_id[:8]}", str(out), summary.sha256,
                                             summary.train, summary.dev, summary.counts)
    progress(1.0, f"{summary.train} train / {summary.dev} dev", train=summary.train, dev=summary.dev)
    return {"dataset_id": dataset_id, **summary.model_dump()}


def train(params: TrainParams, settings: Settings, progress: Progress) -> dict[str, Any]:
    """Train, export to GGUF and register the adapter (`hyanggi finetune train` + `export`)."""
    from agent.generators import ensure_base_gguf
    from finetune.export import peft_copy_dir, publish
    from finetune.train import TrainConfig, pick_device
    from finetune.train import train as run_training

    dataset_id, dataset_dir = progress.ledger.dataset_path(params.dataset_id)
    device = pick_device()
    start = None
    if params.start == TrainStart.serving:
        start = peft_copy_dir(progress.ledger.serving_adapter(settings.adapter_gguf_path))
        if not start.is_dir():
            raise FileNotFoundError(f"제공 중인 어댑터의 PEFT 사본이 없어요: {start} (start=base 로 새로 학습하세요)")
    config = TrainConfig.for_device(device, **params.model_dump(exclude={"kind", "dataset_id", "start"}),
                                    threads=settings.n_threads, init_adapter=start)
    run_dir = settings.data_dir / "finetune" / "runs" / progress.job_id
    progress(0.0, f"device {device}, {config.steps} steps × batch {config.batch_size}, dataset {dataset_id}, "
                  f"from {start or 'the base model'}")

    def on_log(row: dict[str, Any]) -> None:
        figures = {k: v for k, v in row.items() if v != ""}
        progress(row["step"] / config.steps * 0.9, f"step {row['step']}: dev loss {row['dev_loss']}", **figures)

    base = ensure_base_gguf(settings)
    result = run_training(Path(dataset_dir), base, run_dir, config, progress=False, on_log=on_log)
    adapter = settings.data_dir / "adapters" / progress.job_id / "hyanggi-lora.gguf"
    entry = publish(run_dir, Path(dataset_dir), base, adapter)
    model_id = progress.ledger.add_model(name=f"lora-{progress.job_id[:8]}", base=base.name,
                                         adapter_path=str(adapter), data_sha256=entry.data_hash, steps=entry.steps,
                                         metrics=entry.metrics, dataset_id=dataset_id, job_id=progress.job_id)
    progress(1.0, f"어댑터 {model_id} 등록: {adapter}", **result.metrics)
    return {"model_id": model_id, "adapter_path": str(adapter), "steps": result.steps,
            "best_step": result.best_step, "metrics": result.metrics}


def evaluate(params: EvaluateParams, settings: Settings, progress: Progress) -> dict[str, Any]:
    """Score the adapter and, on the same briefs with the same seed, the adapter serving now (unless it is
    the same file): the gate's baseline. Two models are loaded one after the other, never side by side."""
    from agent.generators import make_generator
    from eval.generator_eval import evaluate_system, load_dev_cases
    from knowledge.kb import load_knowledge_base

    model = progress.ledger.model(params.model_id)
    kb = load_knowledge_base()
    cases = load_dev_cases(params.limit)
    candidate = Path(model.adapter_path)
    serving = progress.ledger.serving_adapter(settings.adapter_gguf_path)
    adapters = [candidate] + ([serving] if serving != candidate and serving.is_file() else [])
    done = 0

    def on_case(case_id: str) -> None:
        nonlocal done
        done += 1
        progress(done / (len(cases) * len(adapters)), f"{done}/{len(cases) * len(adapters)} {case_id}")

    def score(adapter: Path) -> Any:
        with_adapter = settings.model_copy(update={"generator_backend": GeneratorBackend.llama_cpp,
                                                   "lora_path": adapter})
        return evaluate_system(make_generator(with_adapter, kb), cases, kb, n=params.n, seed=settings.seed,
                               on_case=on_case)

    report, *others = [score(adapter) for adapter in adapters]
    evaluation = {"score": report.score, "valid_rate": report.valid_rate, "n_briefs": report.n_briefs,
                  "report": report.model_dump()}
    if others:
        evaluation["baseline"] = {"adapter": str(serving), "score": others[0].score,
                                  "valid_rate": others[0].valid_rate}
    progress.ledger.set_evaluation(params.model_id, evaluation)
    return evaluation


TASKS: dict[JobKind, Callable[[Any, Settings, Progress], dict[str, Any]]] = {
    JobKind.reindex: reindex, JobKind.dataset: dataset, JobKind.train: train, JobKind.evaluate: evaluate,
}
