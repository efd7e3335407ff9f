"""`hyanggi eval replay|ragas|faithfulness|compare`, `hyanggi bench` (everything) and `hyanggi bench chat`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ui.apps import bench_app, eval_app
from ui.progress import progress

if TYPE_CHECKING:
    from hyanggi.settings import Settings
    from store import SessionTranscript

console = Console()
errors = Console(stderr=True)

OutOption = Annotated[Path | None, typer.Option("--out", help="보고서 폴더 (default eval/reports/<timestamp>/).")]
JsonOption = Annotated[bool, typer.Option("--json", help="요약을 JSON 한 줄로 출력 (print the summary as JSON).")]


# --- eval replay ---------------------------------------------------------------------------------
@eval_app.command("replay")
def eval_replay(
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="앞에서부터 N개 대화만 (first N conversations).")] = None,
    as_json: JsonOption = False,
) -> None:
    """참조 대화를 에이전트로 다시 실행해 대화 기록을 저장 (replay the reference conversations; source=replay)."""
    from eval.replay import load_conversations

    conversations = load_conversations()[:limit]
    report = asyncio.run(_replay(conversations))
    if as_json:
        typer.echo(report.model_dump_json())
        return
    console.print(f"replay {report.run_tag}: {report.conversations} conversations, {len(report.turns)} turns, "
                  f"{len(report.errors)} errors, {report.seconds:.0f} s")
    if (told := report.narration) is not None and told.narrations:
        console.print(f"model narrations {told.narrations}: {told.passed} of {told.sentences} sentences pass the "
                      f"claim check ({told.passed_share}), {told.cut} cut, {told.templated} replaced by the template")
    for turn in report.errors:
        console.print(f"  [yellow]{turn.conversation}#{turn.index}: {turn.error}[/]")
    console.print("다음: `hyanggi eval ragas` (evaluates this run)")


class _CountedAsker:
    """The chat service, marking a progress step after every answered turn."""

    def __init__(self, service: Any, advance: Callable[[], None]) -> None:
        self._service, self._advance = service, advance

    async def ask(self, *args: Any, **kwargs: Any) -> Any:
        result = await self._service.ask(*args, **kwargs)
        self._advance()
        return result


async def _replay(conversations: list[Any]) -> Any:
    from agent.service import chat_service
    from eval.replay import replay

    async with chat_service() as service:
        with progress("대화 재생 (replay)", sum(len(c.turns) for c in conversations)) as advance:
            report = await replay(_CountedAsker(service, advance), conversations)
        report.narration = await _narration_tally(service, sorted({t.session for t in report.turns}))
    return report


async def _narration_tally(service: Any, sessions: list[str]) -> Any:
    """The run's model narrations re-checked sentence by sentence (``eval.narration_metrics``), each against its
    turn's recipe, brief, lead-material records and everything the turn retrieved."""
    from agent.replies.narration_check import narration_grounds
    from eval.narration_metrics import LoggedNarration, tally
    from perfumery.brief import Brief
    from prompts import load_templates
    from store import SYSTEM

    catalog = service.deps.kb.catalog
    logged = []
    for transcript in await service.store.transcripts(SYSTEM, session_ids=sessions, limit=len(sessions) + 1):
        for turn in transcript.turns:
            narrations = [g for g in turn.generations if g.task == "narrate"]
            if not narrations or not turn.recipe_id or turn.brief is None:
                continue
            recipe = await service.store.get_recipe(SYSTEM, turn.recipe_id, turn.recipe_version)
            grounds = narration_grounds(recipe, catalog, [i for r in turn.retrievals for i in r.ids],
                                        [t for r in turn.retrievals for t in r.texts])
            logged += [LoggedNarration(record=g, recipe=recipe, brief=Brief.model_validate(turn.brief),
                                       grounds=grounds) for g in narrations]
    return tally(logged, service.deps.claims, load_templates().narrate.max_sentences)


# --- eval ragas ----------------------------------------------------------------------------------
async def _load_transcripts(settings: Settings, since: datetime | None,
                            sessions: list[str] | None) -> list[SessionTranscript]:
    from store import SYSTEM, Store

    store = await Store.open(settings.db_url)
    try:
        return await store.transcripts(SYSTEM, since=since, session_ids=sessions, limit=100_000)
    finally:
        await store.close()


async def _attach_recipes(settings: Settings, transcripts: list[SessionTranscript], samples: list[Any]) -> None:
    """Each sample gets the recipe version its turn was about: what domain faithfulness checks claims on."""
    from store import SYSTEM, Store

    versions = {(t.id, turn.index): (turn.recipe_id, turn.recipe_version) for t in transcripts for turn in t.turns
                if turn.recipe_id}
    store = await Store.open(settings.db_url)
    try:
        for sample in samples:
            if (key := versions.get((sample.session, sample.turn_index))) is not None:
                sample.recipe = await store.get_recipe(SYSTEM, *key)
    finally:
        await store.close()


@eval_app.command("ragas")
def eval_ragas(
    since: Annotated[datetime | None, typer.Option("--since", help="이 시각 이후 세션 (sessions updated since, ISO date).")] = None,
    sessions: Annotated[str | None, typer.Option("--sessions", help="쉼표로 구분한 세션 ID (comma-separated ids).")] = None,
    everything: Annotated[bool, typer.Option("--all", help="모든 기록 (all transcripts, not only the latest replay).")] = False,
    out: OutOption = None,
    judge: Annotated[bool, typer.Option("--judge/--no-judge", help="심사 모델로 faithfulness, relevancy 채점.")] = True,
    judge_limit: Annotated[int | None, typer.Option(
        "--judge-limit", min=0, help="심사할 턴 수 (default: every judgeable turn; lower it for a slow server judge).")] = None,
    as_json: JsonOption = False,
) -> None:
    """대화 기록을 ragas 로 평가하고 보고서를 씁니다 (transcripts → ragas → report).

    기본: 가장 최근 `eval replay` 실행분 (default: the latest replay run; --all, --since or --sessions otherwise).
    """
    from eval.contexts import document_texts
    from eval.ragas_runner import run_ragas
    from eval.replay import load_conversations
    from eval.report import default_out_dir, summarise, write_run
    from eval.transcripts import (
        conversation_samples,
        latest_replay,
        multi_turn_dataset,
        reference_index,
        single_turn_dataset,
        turn_samples,
    )
    from hyanggi.settings import get_settings

    settings = get_settings()
    wanted = [s.strip() for s in sessions.split(",") if s.strip()] if sessions else None
    from knowledge.embedding.embedder import Embedder
    from knowledge.kb import load_knowledge_base

    transcripts = asyncio.run(_load_transcripts(settings, since, wanted))
    selection = _selection(since, wanted, everything)
    if not (everything or since or wanted):
        transcripts = latest_replay(transcripts)
    if not transcripts:
        errors.print("평가할 대화 기록이 없습니다. 먼저 `hyanggi eval replay` 를 실행해 주세요.\n"
                     "(No transcripts to evaluate; run `hyanggi eval replay` first.)")
        raise typer.Exit(1)
    references = reference_index(load_conversations())
    kb = load_knowledge_base()
    samples = turn_samples(transcripts, references, document_texts(kb))
    asyncio.run(_attach_recipes(settings, transcripts, samples))
    conversations = conversation_samples(transcripts, references)
    embedder = Embedder.from_settings(settings)
    judge_llm = None
    limit = len(samples) if judge_limit is None else judge_limit
    if judge and limit:
        from eval.judge import make_judge

        judge_llm = make_judge(settings)
    # Progress goes to stderr: with --json, stdout is the report alone.
    errors.print(f"ragas: {len(samples)} turns from {len(transcripts)} sessions"
                 f"{f', judging up to {limit}' if judge_llm else ''} …", highlight=False)
    from agent.replies.claims import ClaimChecker

    run = run_ragas(samples, embedder, judge_llm, judge_limit=limit, checker=ClaimChecker(kb))
    folder = out or default_out_dir()
    judge_info = {"model": _judge_name(settings, judge_llm), "limit": limit if judge_llm else 0,
                  "wall_s": run.judge_wall_s,
                  "seconds_per_turn": round(run.judge_wall_s / run.judged, 3) if run.judged else None,
                  "verdict_seconds_max": max(run.judge_seconds, default=None)}
    summary = summarise(run, selection, len(conversations), judge_info)
    path = write_run(folder, summary, run.samples)
    single_turn_dataset(run.samples).to_jsonl(folder / "ragas_single_turn.jsonl")
    if conversations:
        multi_turn_dataset(conversations).to_jsonl(folder / "ragas_multi_turn.jsonl")
    if as_json:
        typer.echo(summary.model_dump_json())
        return
    table = Table(title="ragas", title_justify="left")
    for column in ("metric", "mean", "scored", "NaN"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, metric in summary.metrics.items():
        table.add_row(name, "NaN" if metric.mean is None else f"{metric.mean:.3f}", str(metric.n - metric.nan),
                      str(metric.nan))
    console.print(table)
    if run.claims is not None:
        _print_claims(run.claims)
    if run.judged:
        console.print(f"심사 (judge): {judge_info['model']}, {run.judged} turns, {judge_info['seconds_per_turn']} s "
                      f"per judged turn (both metrics)", highlight=False)
    console.print(f"보고서 (report): {path}")


def _judge_name(settings: Any, judge: Any) -> str:
    """What judged: the server's model, or the local cross-encoder (its model folder)."""
    if judge is None:
        return "none"
    if settings.judge_url:
        return settings.judge_model or settings.judge_url
    return f"{judge.name} @ {settings.judge_model_dir.name}"


def _print_claims(tally: Any, shown: int = 10) -> None:
    """Domain faithfulness by claim kind, and the first unsupported claims."""
    table = Table(title="domain faithfulness: claims by kind", title_justify="left")
    for column in ("kind", "claims", "unsupported"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, checked in sorted(tally.checked.items()):
        table.add_row(kind, str(checked), str(tally.unsupported.get(kind, 0)))
    console.print(table)
    for example in tally.examples[:shown]:
        console.print(f"    [yellow]✗ {example['kind']}: {example['sentence'][:80]} — {example['reason']}[/]",
                      highlight=False)


# --- eval faithfulness ---------------------------------------------------------------------------
@eval_app.command("faithfulness")
def eval_faithfulness(
    split: Annotated[str, typer.Option("--split", help="test | dev | all")] = "test",
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """규칙 기반 충실도 지표와 정답 표본의 일치도 (agreement of domain faithfulness with the yardstick)."""
    from agent.replies.claims import ClaimChecker
    from eval.faithfulness import agreement, load_yardstick, write_agreement
    from eval.report import default_out_dir
    from knowledge.kb import load_knowledge_base

    result = agreement(load_yardstick(), ClaimChecker(load_knowledge_base()), split)
    folder = out or default_out_dir()
    folder.mkdir(parents=True, exist_ok=True)
    write_agreement(folder / "faithfulness_agreement.json", [result])
    if as_json:
        typer.echo(result.model_dump_json())
        return
    recall = "—" if result.unsupported_recall is None else f"{result.unsupported_recall:.3f}"
    console.print(f"yardstick {result.split}: {result.n} statements ({result.unsupported} unsupported) — "
                  f"accuracy {result.accuracy:.3f}, recall on unsupported {recall}", highlight=False)
    for miss in result.misses:
        console.print(f"  [yellow]{miss['id']} ({miss['label']}): {miss['statement'][:90]}[/]", highlight=False)
    console.print(f"보고서 (report): {folder / 'faithfulness_agreement.json'}")


def _selection(since: datetime | None, sessions: list[str] | None, everything: bool) -> str:
    if sessions:
        return f"sessions {', '.join(sessions)}"
    if since:
        return f"sessions updated since {since.isoformat()}"
    return "all transcripts" if everything else "latest replay run"


# --- eval compare --------------------------------------------------------------------------------
@eval_app.command("compare")
def eval_compare(
    run_a: Annotated[Path, typer.Argument(help="보고서 폴더 A (e.g. base generator).")],
    run_b: Annotated[Path, typer.Argument(help="보고서 폴더 B (e.g. fine-tuned generator).")],
    out: Annotated[Path | None, typer.Option("--out", help="비교 markdown 파일 (write the comparison here).")] = None,
) -> None:
    """두 평가 실행의 지표 차이 (B − A) 를 보여 줍니다 (compare two runs)."""
    from pydantic import ValidationError

    from eval.report import compare_markdown, load_summary

    try:
        a, b = load_summary(run_a), load_summary(run_b)
    except (OSError, ValidationError) as exc:
        errors.print(f"[red]보고서를 읽을 수 없습니다 (cannot read a run's summary.json):[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
    markdown = compare_markdown(a, b, str(run_a), str(run_b))
    if out:
        out.write_text(markdown, encoding="utf-8")
    console.print(markdown, markup=False, highlight=False)


# --- bench ---------------------------------------------------------------------------------------
@bench_app.callback()
def bench(
    ctx: typer.Context,
    out: OutOption = None,
    briefs: Annotated[int, typer.Option("--briefs", min=1, help="생성 벤치 브리프 수 (generation briefs).")] = 3,
    turns: Annotated[int, typer.Option("--turns", min=1, help="채팅 벤치 턴 수 (new-brief chat turns).")] = 5,
    as_json: JsonOption = False,
) -> None:
    """전체 벤치마크: 검색, 생성 (tok/s), 채팅 턴 지연, 최대 메모리 (everything; subcommands run one part)."""
    if ctx.invoked_subcommand is not None:
        return
    from eval.bench import BenchReport, PeakRss, generation_bench
    from eval.recipe_metrics import load_cases
    from eval.report import default_out_dir
    from eval.retrieval import load_dev_set, measure_latency
    from hyanggi.settings import get_settings
    from knowledge.search import get_searcher

    settings = get_settings()
    with PeakRss() as memory:
        searcher = get_searcher(settings)
        retrieval = measure_latency(searcher, [q.query for q in load_dev_set()])
        report = BenchReport(retrieval=retrieval.model_dump())
        if settings.generator_backend.value != "composer":
            from agent.generators import make_generator
            from knowledge.kb import load_knowledge_base

            kb = load_knowledge_base()
            cases = load_cases()[:briefs]
            report.generation = generation_bench(make_generator(settings, kb), [c.to_brief() for c in cases], kb.catalog)
        report.chat = asyncio.run(_chat(turns))
    report.peak_rss_mb = memory.peak_mb
    _emit(report, out or default_out_dir(), as_json)


@bench_app.command("chat")
def bench_chat(
    turns: Annotated[int, typer.Option("--turns", min=1, help="새 브리프 턴 수, 세션 전체 (new-brief turns in all).")] = 5,
    concurrency: Annotated[int, typer.Option(
        "--concurrency", min=1, help="동시에 보내는 세션 수 (sessions sending turns at once).")] = 1,
    out: OutOption = None,
    as_json: JsonOption = False,
) -> None:
    """채팅 한 턴 전체의 지연: p50/p95, 첫 토큰까지의 시간, 분당 턴 수 (full-turn latency and throughput)."""
    from eval.bench import BenchReport, PeakRss
    from eval.report import default_out_dir

    with PeakRss() as memory:
        report = BenchReport(chat=asyncio.run(_chat(turns, concurrency)))
    report.peak_rss_mb = memory.peak_mb
    _emit(report, out or default_out_dir(), as_json)


class _CountedStreamer:
    """The chat service, marking a progress step when a turn is answered (a "busy" refusal is resent, not
    counted). Drawing the bar costs about a millisecond per turn, inside the turn's timing."""

    def __init__(self, service: Any, advance: Callable[[], None]) -> None:
        self._service, self._advance = service, advance

    async def stream(self, *args: Any, **kwargs: Any) -> AsyncIterator[dict[str, Any]]:
        async for event in self._service.stream(*args, **kwargs):
            if event["type"] == "result" and event["result"].error != "busy":
                self._advance()
            yield event


async def _chat(turns: int, concurrency: int = 1) -> Any:
    from agent.service import chat_service
    from eval.bench import CHAT_MESSAGES, chat_bench
    from eval.replay import new_run_tag

    messages = [CHAT_MESSAGES[i % len(CHAT_MESSAGES)] for i in range(turns)]
    async with chat_service() as service:
        await service.ask(messages[0], session_id=f"bench-warmup-{new_run_tag()}", source="bench")  # load models
        with progress("채팅 벤치 (chat turns)", turns) as advance:
            return await chat_bench(_CountedStreamer(service, advance), messages,
                                    session_prefix=f"bench-{new_run_tag()}", concurrency=concurrency)


def _emit(report: Any, folder: Path, as_json: bool) -> None:
    """bench.json + bench.md; into an existing evaluation run's folder, also its summary and report.md."""
    from eval.report import SUMMARY, attach_bench

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "bench.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    if (folder / SUMMARY).is_file():
        attach_bench(folder, report.model_dump(mode="json"))
    markdown = report.markdown()
    (folder / "bench.md").write_text(markdown, encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(report.model_dump(mode="json"), ensure_ascii=False))
        return
    console.print(markdown, markup=False, highlight=False)
    console.print(f"보고서 (report): {folder / 'bench.md'}")
