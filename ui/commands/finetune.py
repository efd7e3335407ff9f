"""`hyanggi finetune dataset|train|export|loop`: the pipeline that produces the shipped LoRA adapter, and the
retraining loop shown end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ui.apps import finetune_app
from ui.tables import counts_table

console = Console()


def _dataset_dir() -> Path:
    from hyanggi.settings import get_settings

    return get_settings().data_dir / "finetune" / "dataset"


RUNS_DIR = Path(__file__).resolve().parents[2] / "finetune" / "runs"


@finetune_app.command("dataset")
def dataset(
    out: Annotated[Path | None, typer.Option(help="출력 폴더 (default <data_dir>/finetune/dataset).")] = None,
    briefs: Annotated[int, typer.Option(help="어휘집에서 만들 합성 요청 수 (synthetic lexicon briefs).")] = 600,
    threshold: Annotated[float, typer.Option(help="처방 타깃으로 쓸 최소 비평 점수 (critic score).")] = 0.8,
    dev_share: Annotated[float, typer.Option(help="dev 비율 (brief 단위).")] = 0.1,
    seed: Annotated[int, typer.Option()] = 42,
    sessions: Annotated[bool, typer.Option(help="좋아요 받은 대화 기록도 사용 (if a database exists).")] = True,
    rft_briefs: Annotated[int, typer.Option(
        help="현재 모델이 직접 제안해 조합기보다 나은 처방을 타깃으로 쓸 요청 수 (rejection sampling; 0 = 끔).")] = 0,
    rft_samples: Annotated[int, typer.Option(help="요청마다 모델이 낼 제안 수 (RFT).")] = 4,
    orders: Annotated[int, typer.Option(
        min=1, help="제안 타깃마다 후보 순서 수: 같은 재료, 다른 번호 (이름을 읽도록).")] = 1,
) -> None:
    """SFT 데이터셋 생성: 합성 요청 + 좋아요 받은 대화 (+ 모델 자신의 더 나은 제안) → train/dev JSONL + 데이터 카드."""
    from agent.training import dataset_signals
    from finetune.dataset import build_dataset, liked_sessions
    from hyanggi.settings import get_settings
    from knowledge.kb import load_knowledge_base

    settings = get_settings()
    out = out or _dataset_dir()
    rows = liked_sessions(settings.db_url) if sessions else []
    console.print(f"기록된 대화 (liked sessions): {len(rows)}")
    kb = load_knowledge_base()
    signals = dataset_signals(settings, kb, rft_briefs=rft_briefs, samples=rft_samples)
    summary = build_dataset(kb, out, n_lexicon=briefs, threshold=threshold,
                            dev_share=dev_share, seed=seed, sessions=rows, signals=signals, orders=orders)
    if rft_briefs:
        rft = signals.rft
        console.print(f"RFT: {rft.preferred} preferred of {rft.sampled} proposals for {rft.briefs} briefs")
    console.print(counts_table(f"✓ {summary.train} train / {summary.dev} dev → {out}  sha256 {summary.sha256[:12]}",
                               summary.counts, "split/task/source", "examples"))


@finetune_app.command("vocab")
def vocab_command(
    data: Annotated[Path | None, typer.Option(help="데이터셋 폴더 (default <data_dir>/finetune/dataset).")] = None,
    out: Annotated[Path | None, typer.Option(help="어휘 계획 파일 (default settings.vocab_plan_path).")] = None,
) -> None:
    """생성기 어휘 축소 계획: 학습 데이터·지식 베이스·평가 텍스트가 쓰는 토큰 (+ 한글, 바이트, 부분 문자열)."""
    import itertools

    from llama_cpp import Llama

    from agent.generators import ensure_base_gguf
    from finetune.vocab import (
        DATA_ROOTS,
        data_texts,
        dataset_texts,
        file_sha256,
        plan_vocabulary,
        read_vocabulary,
        used_ids,
    )
    from hyanggi.settings import PACKAGE_ROOT, get_settings

    settings = get_settings()
    dataset_dir = data or _dataset_dir()
    if not (dataset_dir / "train.jsonl").is_file():
        console.print(f"[red]데이터셋이 없습니다: {dataset_dir}. 먼저 `hyanggi finetune dataset`을 실행하세요.[/]")
        raise typer.Exit(1)
    base = ensure_base_gguf(settings)
    tokenizer = Llama(model_path=str(base), vocab_only=True, verbose=False)
    texts = itertools.chain(dataset_texts(dataset_dir), data_texts(PACKAGE_ROOT / root for root in DATA_ROOTS))
    used, chars = used_ids(lambda text: tokenizer.tokenize(text.encode("utf-8"), add_bos=False, special=False), texts)
    plan = plan_vocabulary(read_vocabulary(base), used, base_sha256=file_sha256(base), corpus_chars=chars)
    target = out or settings.vocab_plan_path
    target.write_text(plan.model_dump_json(), encoding="utf-8")
    console.print(counts_table(f"✓ {len(plan.kept):,} of {plan.base_vocab:,} tokens ({chars:,} corpus characters) → {target}",
                               plan.reasons, "kept because", "tokens"))


@finetune_app.command("train")
def train_command(
    data: Annotated[Path | None, typer.Option(help="데이터셋 폴더 (default <data_dir>/finetune/dataset).")] = None,
    run: Annotated[str, typer.Option(help="실행 이름 (default: timestamp); finetune/runs/<run>.")] = "",
    steps: Annotated[int | None, typer.Option(help="최대 스텝 (기본: CPU 600, GPU 2000).")] = None,
    batch_size: Annotated[int | None, typer.Option()] = None,
    max_len: Annotated[int | None, typer.Option(help="최대 토큰 길이; 더 긴 예시는 제외.")] = None,
    lr: Annotated[float | None, typer.Option()] = None,
    rank: Annotated[int | None, typer.Option()] = None,
    eval_every: Annotated[int | None, typer.Option()] = None,
    init_adapter: Annotated[Path | None, typer.Option(
        help="이 PEFT 어댑터에서 이어 학습 (예: finetune/adapters/hyanggi-lora-peft); 없으면 기반 모델에서 새로.")] = None,
    repeat: Annotated[list[str] | None, typer.Option(
        help="이 출처의 학습 예시를 한 패스에 N번 (예: --repeat rft=4; 출처: lexicon, perfume, session, rft).")] = None,
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """LoRA 학습 (CPU: 소규모 fp32, CUDA: QLoRA 4-bit). 지표는 metrics.csv 에 기록."""
    import time

    from agent.generators import ensure_base_gguf
    from finetune.train import TrainConfig, pick_device, source_repeats, train
    from hyanggi.settings import get_settings

    settings = get_settings()
    dataset_dir = data or _dataset_dir()
    if not all((dataset_dir / f"{split}.jsonl").is_file() for split in ("train", "dev")):
        console.print(f"[red]데이터셋이 없습니다: {dataset_dir}. 먼저 `hyanggi finetune dataset`을 실행하세요.[/]")
        raise typer.Exit(1)
    if init_adapter is not None and not (init_adapter / "adapter_config.json").is_file():
        console.print(f"[red]PEFT 어댑터가 아닙니다 (adapter_config.json 없음): {init_adapter}[/]")
        raise typer.Exit(1)
    repeats = source_repeats(repeat or [])
    if repeats is None:
        console.print("[red]--repeat 는 출처=횟수 형식입니다 (출처: lexicon, perfume, session, rft; 횟수 1 이상), "
                      "예: --repeat rft=4[/]")
        raise typer.Exit(2)
    device = pick_device()
    config = TrainConfig.for_device(device, steps=steps, batch_size=batch_size, max_len=max_len, lr=lr, rank=rank,
                                    eval_every=eval_every, seed=seed, threads=settings.n_threads,
                                    init_adapter=init_adapter, repeat=repeats or None)
    if config.qlora:
        console.print("CUDA GPU: QLoRA (bitsandbytes 4-bit) — bitsandbytes must be installed on this machine.")
    run_dir = RUNS_DIR / (run or time.strftime("%Y%m%d-%H%M%S"))
    console.print(f"device {device}, {config.steps} steps × batch {config.batch_size}, run → {run_dir}")
    try:
        result = train(dataset_dir, ensure_base_gguf(settings), run_dir, config)
    except ValueError as error:  # examples that do not fit max_len: a setting to change, not a crash
        console.print(f"[red]학습할 수 없습니다: {error}[/]")
        raise typer.Exit(2) from None
    console.print(f"✓ {result.steps} steps, best step {result.best_step}, dev loss "
                  f"{result.metrics['dev_loss_start']} → {result.metrics['dev_loss_best']} "
                  f"({result.metrics['train_seconds']:.0f} s); dropped {result.dropped} over-long examples")


@finetune_app.command("export")
def export_command(
    run: Annotated[str, typer.Option(help="finetune/runs 아래 실행 이름 (default: 가장 최근).")] = "",
    data: Annotated[Path | None, typer.Option(help="학습에 쓴 데이터셋 폴더 (해시 기록용).")] = None,
    out: Annotated[Path | None, typer.Option(help="GGUF 어댑터 경로 (default settings.adapter_gguf_path).")] = None,
    merge: Annotated[Path | None, typer.Option(help="병합된 transformers 모델 폴더도 쓰기 (merged fp16 weights).")] = None,
) -> None:
    """PEFT 어댑터 → llama.cpp GGUF LoRA + PEFT 사본 + 레지스트리 항목 + 모델 카드."""
    from finetune.export import publish
    from hyanggi.settings import get_settings

    settings = get_settings()
    runs = sorted(p for p in RUNS_DIR.glob("*") if (p / "best" / "adapter_config.json").is_file())
    run_dir = RUNS_DIR / run if run else (runs[-1] if runs else None)
    if run_dir is None or not (run_dir / "best").is_dir():
        console.print("[red]내보낼 학습 결과가 없습니다. 먼저 `hyanggi finetune train`을 실행하세요.[/]")
        raise typer.Exit(1)
    entry = publish(run_dir, data or _dataset_dir(), settings.base_gguf_path, out or settings.adapter_gguf_path,
                    merge_dir=merge)
    console.print(f"✓ {entry.adapter_file} ({entry.steps} steps, best {entry.best_step}), "
                  f"dev loss {entry.metrics.get('dev_loss_best')}")


@finetune_app.command("loop")
def loop_command(
    likes: Annotated[int, typer.Option(min=1, max=12, help="보내고 좋아요를 누를 고객 요청 수.")] = 12,
    briefs: Annotated[int, typer.Option(min=1, help="데이터셋에 더할 어휘집 합성 요청 수.")] = 150,
    steps: Annotated[int, typer.Option(min=1, help="제공 중인 어댑터에서 이어 학습할 스텝 수.")] = 120,
    limit: Annotated[int, typer.Option(min=1, help="두 어댑터를 함께 잴 dev 요청 수.")] = 20,
    out: Annotated[Path | None, typer.Option(help="결과 폴더 (loop.json, loop.md, 저장소, 서버 로그).")] = None,
) -> None:
    """재학습 루프를 한 번 끝까지: 좋아요 받은 대화 → 데이터셋 → 학습 → 평가 기준 → 적용 (웹 워커의 REST API로)."""
    import time

    from hyanggi.settings import get_settings
    from ops.retrain_loop import LoopConfig, run_retrain_loop

    settings = get_settings()
    folder = out or settings.data_dir / "finetune" / f"loop-{time.strftime('%Y%m%d-%H%M%S')}"
    report = run_retrain_loop(settings, LoopConfig(likes=likes, briefs=briefs, steps=steps, limit=limit), folder)
    (folder / "loop.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    (folder / "loop.md").write_text(report.markdown() + "\n", encoding="utf-8")
    typer.echo(report.markdown())
    typer.echo(f"→ {folder}")
