"""`hyanggi bench scale`: two web workers on PostgreSQL + Redis + a Chroma server + a job worker (ops.scale_bench)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ui.apps import bench_app


@bench_app.command("scale")
def bench_scale(
    sessions: Annotated[int, typer.Option(min=1, help="동시 대화 세션 수.")] = 10,
    duration: Annotated[float, typer.Option(min=1, help="부하를 거는 시간 (초).")] = 60.0,
    workers: Annotated[int, typer.Option(min=2, help="웹 워커 수.")] = 2,
    rate: Annotated[int, typer.Option(min=1, help="API 키당 분당 요청 한도 (모든 워커 공유).")] = 60,
    out: Annotated[Path | None, typer.Option(help="결과 폴더 (scale.json, scale.md, 서버 로그).")] = None,
) -> None:
    """확장 구성 벤치마크: PostgreSQL·Redis·Chroma 서버·작업 워커·웹 워커를 띄우고 동시 세션으로 부하를 겁니다."""
    import time

    from hyanggi.settings import get_settings
    from ops.scale_bench import ScaleConfig, run_scale_bench

    settings = get_settings()
    folder = out or settings.data_dir / "bench" / f"scale-{time.strftime('%Y%m%d-%H%M%S')}"
    report = run_scale_bench(settings, ScaleConfig(workers=workers, sessions=sessions, duration_s=duration,
                                                   rate_per_minute=rate), folder)
    (folder / "scale.json").write_text(report.model_dump_json(indent=1), encoding="utf-8")
    (folder / "scale.md").write_text(report.markdown() + "\n", encoding="utf-8")
    typer.echo(report.markdown())
    typer.echo(f"→ {folder}")
