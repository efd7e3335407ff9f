"""`hyanggi finetune judge-data|judge` and `hyanggi eval judge`: the cross-encoder that judges ragas' metrics.

Pairs by construction → the e5 encoder's first layers trained as a cross-encoder → its threshold chosen on the yardstick's dev split →
its agreement with the hand-checked yardstick (dev and test). The test split is only ever measured.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import eval_app, finetune_app
from ui.tables import counts_table

console = Console()
errors = Console(stderr=True)


def _pairs_dir() -> Path:
    from hyanggi.settings import get_settings

    return get_settings().judge_dir / "pairs"


def _base_dir() -> Path:
    from hyanggi.settings import get_settings

    base = get_settings().embedder_dir
    if not (base / "config.json").is_file():
        errors.print(f"심사 모델의 기반 모델(e5)이 없습니다: {base}. 먼저 `hyanggi setup` 을 실행하세요.\n"
                     f"(The judge's base model is missing at {base}; run `hyanggi setup`.)")
        raise typer.Exit(1)
    return base


@finetune_app.command("judge-data")
def judge_data_command(
    out: Annotated[Path | None, typer.Option(help="출력 폴더 (default <data_dir>/judge/pairs).")] = None,
    briefs: Annotated[int, typer.Option(help="합성 처방 턴 수 (designed turns).")] = 80,
    questions: Annotated[int, typer.Option(help="합성 질문 턴 수 (record questions).")] = 15,
    dev_share: Annotated[float, typer.Option(help="dev 비율 (턴 단위).")] = 0.1,
    max_length: Annotated[int, typer.Option(help="문장+근거 최대 토큰 (the judge's input length).")] = 192,
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """심사 모델 학습 쌍 생성: 합성 턴의 (문장, 근거) → 지지됨/아님, 구성으로 붙인 정답."""
    from agent.replies.claims import ClaimChecker
    from eval.judge import base_tokenizer, token_counter
    from eval.judge_data import build_pairs
    from knowledge.kb import load_knowledge_base

    count_tokens = token_counter(base_tokenizer(_base_dir()))
    kb = load_knowledge_base()
    out = out or _pairs_dir()
    summary = build_pairs(kb, ClaimChecker(kb), count_tokens, max_length, out, n_briefs=briefs,
                          n_questions=questions, dev_share=dev_share, seed=seed)
    console.print(counts_table(f"✓ {summary.train} train / {summary.dev} dev pairs → {out}  "
                               f"sha256 {summary.sha256[:12]}", summary.kinds, "split/label/kind", "pairs"))


@finetune_app.command("judge")
def judge_train_command(
    data: Annotated[Path | None, typer.Option(help="학습 쌍 폴더 (default <data_dir>/judge/pairs).")] = None,
    out: Annotated[Path | None, typer.Option(help="심사 모델 폴더 (default <data_dir>/judge/model); "
                                                  "finetune/adapters/hyanggi-judge 로 배포.")] = None,
    epochs: Annotated[float, typer.Option()] = 1.0,
    layers: Annotated[int, typer.Option(help="e5 의 앞쪽 층 수 (encoder layers kept).")] = 4,
    batch_size: Annotated[int, typer.Option()] = 16,
    lr: Annotated[float, typer.Option(help="인코더 층 학습률.")] = 1e-4,
    head_lr: Annotated[float, typer.Option(help="새 분류 머리 학습률.")] = 1e-3,
    max_pairs: Annotated[int, typer.Option(help="학습 쌍 상한 (0 = 전부; cap for a CPU budget).")] = 0,
    seed: Annotated[int, typer.Option()] = 42,
) -> None:
    """심사 모델 학습 (e5 앞쪽 층 + 분류 머리, 교차 인코더) 후 yardstick dev 로 임계값을 정합니다 (test 는 쓰지 않음)."""
    from agent.reading.interpret import MaterialNames
    from eval.contexts import document_texts
    from eval.faithfulness import load_yardstick, split_rows
    from eval.judge import JUDGE_CONFIG, CrossEncoderJudge
    from eval.judge_data import choose_threshold, judge_agreement, yardstick_verdicts
    from finetune.judge_train import JudgeTrainConfig, train_judge
    from hyanggi.settings import get_settings
    from knowledge.kb import load_knowledge_base

    settings = get_settings()
    data = data or _pairs_dir()
    train_path = data / "train.jsonl"
    if not train_path.is_file():
        errors.print(f"학습 쌍이 없습니다: {train_path}. 먼저 `hyanggi finetune judge-data` 를 실행하세요.")
        raise typer.Exit(1)
    base = _base_dir()
    out = out or settings.judge_dir / "model"
    config = JudgeTrainConfig(epochs=epochs, layers=layers, batch_size=batch_size, lr=lr, head_lr=head_lr, seed=seed,
                              threads=settings.n_threads, max_pairs=max_pairs)
    result = train_judge(train_path, base, out, config)
    console.print(f"✓ {result.steps} steps on {result.train_pairs} pairs ({result.seconds:.0f} s) → {out}")
    kb = load_knowledge_base()
    judge = CrossEncoderJudge.load(base, out, MaterialNames(kb), settings.n_threads, threshold=0.0)
    rows = split_rows(load_yardstick(), "dev")
    verdicts = yardstick_verdicts(judge, rows, document_texts(kb))
    threshold = choose_threshold([v.probability for v in verdicts], [r.label == "supported" for r in rows])
    config_path = out / JUDGE_CONFIG
    written = json.loads(config_path.read_text(encoding="utf-8"))
    config_path.write_text(json.dumps({**written, "threshold": threshold, "threshold_from": "yardstick dev"},
                                      indent=1), encoding="utf-8")
    dev = judge_agreement(rows, [v.model_copy(update={"supported": v.probability >= threshold}) for v in verdicts],
                          "dev")
    console.print(f"threshold {threshold} (yardstick dev) → dev accuracy {dev.accuracy:.3f}, "
                  f"unsupported recall {dev.unsupported_recall}, precision {dev.unsupported_precision}")


@eval_app.command("judge")
def eval_judge(
    model: Annotated[Path | None, typer.Option(help="심사 모델 폴더 (default settings.judge_model_dir).")] = None,
    out: Annotated[Path | None, typer.Option(help="보고서 JSON 경로.")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """심사 모델과 손으로 확인한 yardstick 의 일치도 (dev, test; agreement with eval/data/faithfulness.jsonl)."""
    import time

    from agent.reading.interpret import MaterialNames
    from eval.contexts import document_texts
    from eval.faithfulness import load_yardstick, split_rows
    from eval.judge import CrossEncoderJudge
    from eval.judge_data import judge_agreement, yardstick_verdicts
    from hyanggi.settings import get_settings
    from knowledge.kb import load_knowledge_base

    settings = get_settings()
    folder = model or settings.judge_model_dir
    kb = load_knowledge_base()
    judge = CrossEncoderJudge.load(_base_dir(), folder, MaterialNames(kb), settings.n_threads)
    documents = document_texts(kb)
    statements = load_yardstick()
    report = {"model": str(folder), "threshold": judge.threshold, "splits": {}}
    for split in ("dev", "test"):
        rows = split_rows(statements, split)
        started = time.perf_counter()
        verdicts = yardstick_verdicts(judge, rows, documents)
        seconds = time.perf_counter() - started
        agreement = judge_agreement(rows, verdicts, split)
        report["splits"][split] = {**agreement.model_dump(), "seconds_per_statement": round(seconds / len(rows), 4)}
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(report, ensure_ascii=False, indent=1), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report, ensure_ascii=False))
        return
    table = Table(title=f"judge vs yardstick (threshold {judge.threshold})", title_justify="left")
    for column in ("split", "n", "unsupported", "accuracy", "unsupported recall", "unsupported precision", "s/statement"):
        table.add_column(column, justify="left" if column == "split" else "right")
    for split, figures in report["splits"].items():
        table.add_row(split, str(figures["n"]), str(figures["unsupported"]), f"{figures['accuracy']:.3f}",
                      str(figures["unsupported_recall"]), str(figures["unsupported_precision"]),
                      f"{figures['seconds_per_statement']:.3f}")
    console.print(table)
