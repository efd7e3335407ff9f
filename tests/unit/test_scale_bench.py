"""The scale benchmark's bookkeeping: which turns count as cross-worker continuations, and the report."""

from __future__ import annotations

from ops.scale_bench import Sample, ScaleConfig, _cross_worker_edits, _report


def turn(session: int, worker: int, turn_id: int, intent: str, recipe: str | None, version: int | None,
         status: int = 200, seconds: float = 1.0) -> Sample:
    return Sample(session=session, worker=worker, kind="follow_up", status=status, seconds=seconds, turn_id=turn_id,
                  intent=intent, recipe_id=recipe, version=version)


def test_only_edits_on_another_worker_are_checked_and_must_continue_the_formula() -> None:
    samples = [
        turn(0, 0, 1, "new_brief", "r1", 1),
        turn(0, 1, 2, "edit", "r1", 2),          # continued on the other worker
        turn(0, 1, 3, "edit", "r1", 3),          # same worker: not a cross-worker case
        turn(0, 0, 4, "question", "r1", 3),      # not an edit
        turn(0, 1, 7, "edit", "r1", 3),          # an edit that changed nothing keeps the version: continued
        turn(0, 0, 8, "edit", "r1", 5),          # a version skipped: not this thread's next step
        turn(1, 1, 5, "new_brief", "r9", 1),
        turn(1, 0, 6, "edit", "r7", 1),          # another worker lost the thread: a new formula
    ]
    assert _cross_worker_edits(samples) == (2, 4)


def test_report_counts_statuses_and_finds_every_acknowledged_turn() -> None:
    chat = [turn(0, 0, 1, "new_brief", "r1", 1, seconds=1.0), turn(0, 1, 2, "edit", "r1", 2, seconds=3.0),
            turn(1, 0, 3, "edit", "r2", 1, status=503), turn(1, 1, 4, "edit", None, None, status=0)]
    polls = [Sample(session=-1, worker=n % 2, kind="poll", status=200 if n < 3 else 429, seconds=0.01)
             for n in range(5)]
    report = _report(ScaleConfig(duration_s=30, rate_per_minute=3), chat + polls, [1, 2], {1}, 12.0, 8.0)
    assert (report.turns, report.busy_503, report.errors, report.chat_429) == (2, 1, 1, 0)
    assert (report.greedy_allowed, report.greedy_429, report.greedy_budget) == (3, 2, 3)
    assert report.acknowledged_in_postgres == "1/2" and report.cross_worker_edits == "1/1"
    assert report.turn_p50_s == 2.0 and "| turn latency p50 / p95 | 2.00 s" in report.markdown()
