"""Every parser of user text runs in time linear in its input: the worst inputs we know (long digit runs,
repeated separators, nested brackets) are timed against a normal input, and the import parser is fuzzed.

Timings are the best of several repeats, so a busy machine slows both sides alike. The bounds are ratios
far below what super-linear work costs at these lengths (a 300-character line is ~16 times a normal one;
backtracking over it costs hundreds of times more) and far above what linear work costs.
"""

from __future__ import annotations

import contextlib
import json
import math
import timeit
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.reading import edit_parser
from agent.reading.edit_parser import parse_edit
from agent.reading.guard import clean
from agent.reading.interpret import MaterialNames
from knowledge.kb import load_knowledge_base
from perfumery import compose
from perfumery.brief import Brief
from perfumery.formula import MAX_LINE_CHARS, FormulaError, FormulaFormat, parse, parse_line

NORMAL_LINE = "담마스콘 10% DPG 0.5g"
LINE_RATIO = 60  # an adversarial line (≤ MAX_LINE_CHARS) against NORMAL_LINE
MESSAGE_RATIO = 5  # an adversarial chat message against a normal message of the same length
MESSAGE_CHARS = 2000  # the guard's default length limit
L = MAX_LINE_CHARS

ADVERSARIAL_LINES = {
    "15,000 digits": "헤디온 " + "1" * 15_000 + "g",
    "digits": "헤디온 " + "1" * (L - 8) + "g",
    "digits and points": "헤디온 " + "1." * ((L - 8) // 2) + "g",
    "spaces after a number": "헤디온 1" + " " * (L - 10) + "x",
    "spaces after a percent": "1%" + " " * (L - 4) + "x",
    "dashes": "헤디온 " + "-" * (L - 8) + "1g",
    "commas": ", " * (L // 2),
    "nested brackets": "(" * (L // 2) + ")" * (L // 2),
    "open brackets": "[" * (L - 1),
    "at signs": "@ " * (L // 2),
    "percents": "1% " * (L // 3),
    "cas labels": "cas " * (L // 4),
    "cas-like runs": "12-" * (L // 3),
    "dilutions": "10% dpg " * (L // 8),
    "exponents": "1e" * (L // 2),
}


def best(function: Callable[[], object], number: int = 20) -> float:
    """Seconds per call, the best of five repeats."""
    return min(timeit.Timer(function).repeat(repeat=5, number=number)) / number


@pytest.fixture(scope="module")
def normal_line_s() -> float:
    return best(lambda: parse_line(NORMAL_LINE, 1), number=200)


@pytest.mark.parametrize("name", ADVERSARIAL_LINES)
def test_no_import_line_costs_more_than_a_bounded_multiple_of_a_normal_one(name: str, normal_line_s: float) -> None:
    line = ADVERSARIAL_LINES[name]
    assert best(lambda: parse_line(line, 1)) < LINE_RATIO * normal_line_s


def test_a_whole_hostile_formula_costs_what_its_lines_cost(normal_line_s: float) -> None:
    """The longest content the importer takes, made of the worst lines, against normal lines of the same count."""
    normal = "\n".join([NORMAL_LINE] * 200)
    for content in (_hostile_formula(), "\n" * 15_999, "1" * 15_999, ("," * 79 + "\n") * 199):
        spent = best(lambda content=content: _parse_or_refuse(content), number=2)
        assert spent < LINE_RATIO * best(lambda: parse(normal), number=2)


def _parse_or_refuse(content: str, fmt: FormulaFormat | None = None) -> None:
    with contextlib.suppress(FormulaError):
        parse(content, fmt)


GUARD_MESSAGES = ["1" * MESSAGE_CHARS, "ignore " + "all " * 498, "show me " + "the " * 498, "이전" * 1000,
                  "지시" * 1000, "무시지시" * 500, " " * (MESSAGE_CHARS - 1) + "a", "\n " * 1000, "i." * 1000,
                  "빼고" * 1000, " ," * 1000]
NORMAL_BRIEF = ("비 오는 날 카페 같은 포근한 향, 너무 달지 않게 만들어 주세요. " * 60)[:MESSAGE_CHARS]


@pytest.mark.parametrize("text", GUARD_MESSAGES)
def test_the_guard_is_linear(text: str) -> None:
    assert best(lambda: clean(text, MESSAGE_CHARS), number=5) < MESSAGE_RATIO * best(
        lambda: clean(NORMAL_BRIEF, MESSAGE_CHARS), number=5)


@pytest.fixture(scope="module")
def edit_setup():
    kb = load_knowledge_base()
    recipe = compose(Brief(descriptors={"woody": 1.0, "musky": 0.8}), kb.catalog, n=1, seed=3)[0]
    return kb, MaterialNames(kb), recipe


EDIT_MESSAGES = ["1" * MESSAGE_CHARS, "1" * (MESSAGE_CHARS - 2) + "배합", "1." * 999 + "%", " ," * 1000,
                 "빼고" * 1000, "a" + " " * (MESSAGE_CHARS - 2) + "b", "더 " * 1000]
NORMAL_EDIT = ("베이스를 더 스모키하게 하고 베르가못은 8%로, 바닐라는 빼줘. " * 60)[:MESSAGE_CHARS]
# The edit parser's own scans of a message (the names and lexicon it also runs are timed as a whole below).
EDIT_SCANS = {"percent": edit_parser._PERCENT.findall, "grams": edit_parser._GRAMS.search,
              "clauses": edit_parser._CLAUSE.split, "swap": edit_parser._swap_asked}


@pytest.mark.parametrize("scan", EDIT_SCANS)
@pytest.mark.parametrize("text", EDIT_MESSAGES)
def test_the_edit_parsers_patterns_are_linear(scan: str, text: str) -> None:
    run = EDIT_SCANS[scan]
    assert best(lambda: run(text)) < MESSAGE_RATIO * best(lambda: run(NORMAL_EDIT))


@pytest.mark.parametrize("text", EDIT_MESSAGES)
def test_a_hostile_edit_costs_no_more_than_a_normal_one(text: str, edit_setup) -> None:
    kb, names, recipe = edit_setup

    def edit(message: str) -> Callable[[], object]:
        cleaned = clean(message, MESSAGE_CHARS).text
        return lambda: parse_edit(cleaned, recipe, kb, names)

    assert best(edit(text), number=1) < MESSAGE_RATIO * best(edit(NORMAL_EDIT), number=1)


# --- property-based: the import parser never fails in any other way, nor slowly ---------------
_PIECES = st.sampled_from(["1", "12", "0", ".", ",", "%", "-", "−", "+", "=", "@", "(", ")", "[", "]", " ", "\t",
                           "g", "mg", "kg", "ml", "e", "E", "cas", "dpg", "에탄올", "희석", "헤디온", "Hedione",
                           "121-33-5", "NaN", "inf", "#", "合", "\u200b", "'", '"', ";", ":"])
_LINE = st.lists(_PIECES, max_size=120).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=_LINE)
def test_fuzzed_lines_are_read_or_skipped_quickly(line: str, normal_line_s: float) -> None:
    parsed = parse_line(line, 1)
    assert parsed.line_no == 1
    assert best(lambda: parse_line(line, 1), number=3) < LINE_RATIO * normal_line_s


_CELL = st.one_of(_LINE, st.sampled_from(["NaN", "Infinity", "-Infinity", "1e309", "-5", "", "1" * 400]))


@st.composite
def _contents(draw: st.DrawFn) -> tuple[str, FormulaFormat | None]:
    fmt = draw(st.sampled_from([None, FormulaFormat.text, FormulaFormat.csv, FormulaFormat.json]))
    kind = draw(st.sampled_from(["lines", "csv", "json", "nested"]))
    if kind == "lines":
        content = "\n".join(draw(st.lists(_LINE, max_size=30)))
    elif kind == "csv":
        rows = draw(st.lists(st.lists(_CELL, min_size=1, max_size=4), max_size=20))
        content = "name,percent,unit,dilution\n" + "\n".join(",".join(row) for row in rows)
    elif kind == "json":
        amounts = draw(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(),
                                          st.sampled_from(["NaN", "Infinity", "1e999"])), max_size=5))
        content = json.dumps({"ingredients": [{"material_id": "hedione", "note": "heart", "percent": a}
                                              for a in amounts]}).replace('"NaN"', "NaN").replace('"1e999"', "1e999")
    else:
        depth = draw(st.integers(1, 8000))
        content = "[" * depth + "]" * depth
    return content, fmt


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=_contents())
def test_fuzzed_formulas_give_a_formula_or_a_korean_formula_error(case: tuple[str, FormulaFormat | None]) -> None:
    content, fmt = case
    try:
        parsed = parse(content, fmt)
    except FormulaError as error:
        assert any("\uac00" <= ch <= "\ud7a3" for ch in error.message_ko)
        assert "pydantic" not in error.message_ko and "recursion" not in error.message_ko
        return
    assert parsed.lines and all(math.isfinite(line.amount) and line.amount >= 0 for line in parsed.lines)


# --- `python -m tests.unit.test_parsing_limits`: the figures README quotes -------------------------
def _hostile_formula() -> str:
    """The longest content the importer takes (200 lines of 80 characters), every line a worst case."""
    return "\n".join(([line[:79] for line in ADVERSARIAL_LINES.values()] * 20)[:200])


async def _health_while_importing(imports: int = 3) -> tuple[float, float]:
    """Seconds /health waits while ``imports`` hostile formulas are imported at once (the issue's stall),
    and how long those imports took; the real ChatService with the scripted generator, in process."""
    import asyncio
    import tempfile
    import time
    from pathlib import Path

    import httpx

    from agent.service import ChatService
    from tests.unit.agent_fakes import fake_deps
    from ui.api import create_api

    work = Path(tempfile.mkdtemp())
    deps = fake_deps(llm_proposals=0)
    service = await ChatService.open(deps.settings.model_copy(update={
        "database_url": f"sqlite+aiosqlite:///{work / 'h.db'}", "checkpoint_db": work / "c.db",
        "rate_limit_per_minute": 10_000}), deps=deps)
    api = create_api(service.settings, lambda: service)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api), base_url="http://t") as client:
            start = time.perf_counter()
            posted = [asyncio.create_task(client.post("/recipes/import", json={"content": _hostile_formula()}))
                      for _ in range(imports)]
            await asyncio.sleep(0)
            asked = time.perf_counter()
            assert (await client.get("/health")).status_code == 200
            health = time.perf_counter() - asked
            await asyncio.gather(*posted)
            return health, time.perf_counter() - start
    finally:
        await service.close()


def report() -> None:
    import asyncio

    normal = best(lambda: parse_line(NORMAL_LINE, 1), number=200)
    print(f"normal import line {NORMAL_LINE!r}: {normal * 1e6:.1f} µs")
    for name, line in ADVERSARIAL_LINES.items():
        spent = best(lambda line=line: parse_line(line, 1))
        print(f"  {name} ({len(line):,} characters): {spent * 1e6:.1f} µs = {spent / normal:.1f}× normal")
    hostile, plain = _hostile_formula(), "\n".join([NORMAL_LINE] * 200)
    worst, usual = (best(lambda c=c: _parse_or_refuse(c), number=2) for c in (hostile, plain))
    print(f"whole formula, 200 hostile lines ({len(hostile):,} characters): {worst * 1e3:.1f} ms; "
          f"200 normal lines: {usual * 1e3:.1f} ms")
    guard = best(lambda: clean(NORMAL_BRIEF, MESSAGE_CHARS), number=5)
    worst = max(best(lambda t=t: clean(t, MESSAGE_CHARS), number=5) for t in GUARD_MESSAGES)
    print(f"guard, normal {MESSAGE_CHARS}-character message: {guard * 1e3:.2f} ms; worst hostile one "
          f"{worst / guard:.1f}× that")
    for scan, run in EDIT_SCANS.items():
        ratio = max(best(lambda t=t, r=run: r(t)) for t in EDIT_MESSAGES) / best(lambda r=run: r(NORMAL_EDIT))
        print(f"edit parser {scan}: worst hostile message {ratio:.1f}× a normal one")
    health, spent = asyncio.run(_health_while_importing())
    print(f"/health during 3 concurrent hostile imports: {health * 1e3:.0f} ms (the imports: {spent:.2f} s)")


if __name__ == "__main__":
    report()
