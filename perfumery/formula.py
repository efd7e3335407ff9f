"""A perfumer's own formula as they write it: lines of material, amount and unit, maybe weighed as a dilution.

Pasted text ("담마스콘 10% DPG 0.5g", "Hedione 30 g", "121-33-5 5%"), CSV (ours or a spreadsheet's) and
JSON (our recipe shape) all become ``FormulaLine``s. Nothing here knows the catalog: naming a line's
material is the resolver's job (``knowledge.formula_import``). A line that is not a formula line (a
heading, a total) is kept in ``skipped`` with the reason, never dropped silently.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from perfumery.csv_cells import read_cell
from perfumery.models import cas_is_valid
from perfumery.recipe import Dilution, Recipe, Solvent
from perfumery.vocabulary import Unit, unit_named, unit_pattern

MAX_LINES = 200
MAX_TEXT = 120


SOLVENT_WORDS: dict[Solvent, tuple[str, ...]] = {
    Solvent.dpg: ("dpg", "디프로필렌글리콜", "dipropyleneglycol", "디피지"),
    Solvent.ethanol: ("ethanol", "에탄올", "알코올", "알콜", "alcohol", "perfumersalcohol", "퍼퓨머스알코올"),
    Solvent.ipm: ("ipm", "isopropylmyristate", "이소프로필미리스테이트"),
    Solvent.tec: ("tec", "triethylcitrate", "트리에틸시트레이트"),
}
_TOTAL_WORDS = ("합계", "총합", "총량", "total", "sum", "합")

_UNIT = unit_pattern()
_SOLVENT = "|".join(sorted((re.escape(w) for ws in SOLVENT_WORDS.values() for w in ws), key=len, reverse=True))

# Every pattern below runs in time linear in the line: a line is cut at MAX_LINE_CHARS before any of them,
# a number starts only where a run of digits starts (the lookbehind) and holds a bounded count of digits,
# and no two quantifiers can share the same characters (no "\s*(x)?\s*"), so a failed match never
# backtracks over more than one run. `tests/unit/test_parsing_limits.py` times the worst inputs we know.
MAX_LINE_CHARS = 300  # a material, an amount and a dilution; anything longer is not one formula line
MAX_DIGITS = 9  # integer digits of an amount or a strength (999,999,999 g is beyond any batch)
MAX_DECIMALS = 6
MAX_PERCENT_TOTAL = 110.0  # a formula in % adding up to more than this was mistyped, not rounded
_NUMBER = rf"(?<![\d.])(?:\d{{1,{MAX_DIGITS}}}(?:\.\d{{1,{MAX_DECIMALS}}})?|\.\d{{1,{MAX_DECIMALS}}})(?!\.?\d)"
_LONG_NUMBER = re.compile(rf"\d{{{MAX_DIGITS + 1}}}|\.\d{{{MAX_DECIMALS + 1}}}")
_EXPONENT = re.compile(r"\d[eE][+-]?\d")  # "1e309": not how a perfumer writes a weight
_NEGATIVE = re.compile(r"(?:^|[\s(\[:=,;])[-−]\d")  # "-30g" (a dash glued to the number, not "헤디온 - 30g")
_BULLET = re.compile(r"^\s*(?:[*•·▪︎]|[-−](?!\d)|\d{1,3}[.)](?!\d))\s*")
_CAS = re.compile(r"(?<![\d-])(\d{2,7}-\d{2}-\d)(?![\d-])")
_CAS_LABEL = re.compile(r"\bcas(?:\s*(?:no\.?|번호))?\s*[:#]?", re.IGNORECASE)
# "10% DPG", "10% in ethanol", "@10%" — the strength and, where written, the solvent; the brackets and
# words around it ("(10% 에탄올 희석)") are taken with it by ``_dilution_span``.
_DILUTION = re.compile(
    rf"@\s*(?P<at>{_NUMBER})\s*%|(?P<strength>{_NUMBER})\s*%\s*(?:in\s+|@\s*)?(?P<solvent>{_SOLVENT})(?![a-z])",
    re.IGNORECASE)
_DILUTION_TAIL = re.compile(r"(?:\s*(?:희석액?|용액|solution|sol\.?|dil\.?|dilution))?\s*[)\]]?", re.IGNORECASE)
_AMOUNT_END = re.compile(rf"(?P<number>{_NUMBER})(?:\s*(?P<unit>{_UNIT}))?\s*\Z", re.IGNORECASE)
_AMOUNT_START = re.compile(rf"^(?P<number>{_NUMBER})(?:\s*(?P<unit>{_UNIT})(?![\w.]))?(?![\w.])\s*", re.IGNORECASE)
_TRAILING_PERCENT = re.compile(rf"(?P<strength>{_NUMBER})\s*%(?:\s*(?:희석액?|용액|dil\.?))?\s*\Z", re.IGNORECASE)
# A spreadsheet cell holding an amount: digits with a point or a comma, nothing else (no NaN, no 1e309).
_CELL_NUMBER = re.compile(rf"[-−]?(?:\d{{1,{MAX_DIGITS}}}(?:[.,]\d{{1,{MAX_DECIMALS}}})?|[.,]\d{{1,{MAX_DECIMALS}}})")
_EDGES = " \t,;:|=/–—-·()[]"


class FormulaError(ValueError):
    """The formula cannot be read; ``message_ko`` lists what to fix."""

    def __init__(self, message_ko: str) -> None:
        super().__init__(message_ko)
        self.message_ko = message_ko


class FormulaFormat(StrEnum):
    text = "text"
    csv = "csv"
    json = "json"


MAX_FORMULA_CHARS = 16_000  # 200 lines with room; in UTF-8 Korean it stays under the API's request byte limit


def formula_file(raw: bytes, filename: str = "") -> tuple[str, FormulaFormat | None]:
    """An uploaded file's text and format (by its extension), for the chat and the REST upload alike.

    Raises ``FormulaError`` (Korean) for a file that is not UTF-8 text, empty, or too long."""
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise FormulaError("파일을 UTF-8 텍스트로 읽을 수 없어요. CSV·JSON·텍스트로 저장해 주세요.") from None
    if not content.strip() or len(content) > MAX_FORMULA_CHARS:
        raise FormulaError(f"파일이 비어 있거나 너무 길어요 ({MAX_FORMULA_CHARS:,}자까지).")
    name = filename.lower()
    return content, (FormulaFormat.csv if name.endswith((".csv", ".tsv"))
                     else FormulaFormat.json if name.endswith(".json") else None)


class FormulaLine(BaseModel):
    """One line as written: the material text, its amount and unit, and how it is weighed."""

    model_config = ConfigDict(extra="forbid")

    line_no: int = Field(ge=1)
    raw: str
    text: str = Field(description="the material as written (name, trade name, synonym)")
    cas: str = ""
    material_id: str | None = Field(default=None, description="an id the source states (our CSV/JSON)")
    amount: float = Field(ge=0, allow_inf_nan=False)
    unit: Unit | None = Field(default=None, description="None: a bare number, read in the formula's unit")
    dilution: Dilution | None = None
    neat: bool = Field(default=False, description="the amount is the neat material's, not the solution's (our exports)")


class SkippedLine(BaseModel):
    line_no: int
    raw: str
    reason_ko: str


class ParsedFormula(BaseModel):
    lines: list[FormulaLine]
    skipped: list[SkippedLine] = Field(default_factory=list)
    recipe: Recipe | None = Field(default=None, description="the settings of a JSON recipe (name, product, load)")


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def solvent_named(text: str) -> Solvent | None:
    """The solvent a text names on its own ("DPG", "에탄올"), else None."""
    key = re.sub(r"[\W_]+", "", _fold(text[:MAX_TEXT]).lower())
    return next((s for s, words in SOLVENT_WORDS.items() if key in words), None)


def _shown(raw: str) -> str:
    """A line as we echo it back: never longer than a line can be."""
    return raw if len(raw) <= MAX_LINE_CHARS else raw[:MAX_TEXT] + "…"


def _dilution_span(text: str, found: re.Match[str]) -> tuple[int, int]:
    """Where a dilution is written, with the bracket and spaces before it and the "희석"/bracket after it."""
    start = found.start()
    while start and text[start - 1].isspace():
        start -= 1
    if start and text[start - 1] in "([":
        start -= 1
    tail = _DILUTION_TAIL.match(text, found.end())
    return start, tail.end() if tail else found.end()


def _unreadable_number(text: str) -> str | None:
    """Why the numbers of a line cannot be weights (too long, exponent, negative), checked before the
    patterns that read amounts; None when they can."""
    if _LONG_NUMBER.search(text):
        return f"숫자가 너무 길어요 (정수 {MAX_DIGITS}자리, 소수 {MAX_DECIMALS}자리까지)"
    if _EXPONENT.search(text):
        return "지수 표기(예: 1e3)는 읽지 않아요 — 숫자로 적어 주세요"
    if _NEGATIVE.search(text):
        return "음수 양은 읽을 수 없어요 — 양은 0 이상이어야 해요"
    return None


def parse_line(raw: str, line_no: int) -> FormulaLine | SkippedLine:
    """One written line → a formula line, or the reason it is not one.

    A line longer than ``MAX_LINE_CHARS`` is refused before any pattern runs, so no line costs more than a
    bounded amount of work."""
    if len(raw) > MAX_LINE_CHARS:
        return SkippedLine(line_no=line_no, raw=_shown(raw), reason_ko=f"줄이 너무 길어요 ({MAX_LINE_CHARS}자까지)")
    text = _fold(raw)
    if len(text) > MAX_LINE_CHARS:  # NFKC can lengthen a line (one ligature → several letters)
        return SkippedLine(line_no=line_no, raw=_shown(raw), reason_ko=f"줄이 너무 길어요 ({MAX_LINE_CHARS}자까지)")
    text = _BULLET.sub("", text)
    if not text or text.startswith(("#", "//")):
        return SkippedLine(line_no=line_no, raw=raw, reason_ko="빈 줄이나 주석")
    if problem := _unreadable_number(text):
        return SkippedLine(line_no=line_no, raw=raw, reason_ko=problem)
    dilution = None
    found = _DILUTION.search(text)
    if found:
        strength = float(found.group("at") or found.group("strength"))
        if not 0 < strength < 100:
            return SkippedLine(line_no=line_no, raw=raw, reason_ko=f"희석 농도 {strength:g}%를 읽을 수 없음 (0–100%)")
        solvent = solvent_named(found.group("solvent")) if found.group("solvent") else None
        dilution = Dilution(solvent=solvent, strength=strength)
        start, end = _dilution_span(text, found)
        text = (text[:start] + " " + text[end:]).strip()
    cas = ""
    found_cas = _CAS.search(text)
    if found_cas and cas_is_valid(found_cas.group(1)):
        cas = found_cas.group(1)
        text = _CAS_LABEL.sub(" ", text[:found_cas.start()] + " " + text[found_cas.end():])
    amount = _AMOUNT_END.search(text.rstrip(_EDGES)) or _AMOUNT_START.search(text)
    if amount is None:
        reason = ("합계 줄" if any(w in text.lower() for w in _TOTAL_WORDS) else "양이 없는 줄 (제목이나 메모로 봄)")
        return SkippedLine(line_no=line_no, raw=raw, reason_ko=reason)
    body = text.rstrip(_EDGES)
    body = body[:amount.start()] if amount.re is _AMOUNT_END else text[amount.end():]
    if dilution is None and (trailing := _TRAILING_PERCENT.search(body.rstrip(_EDGES))):
        # "Ambrox 10% 5g": a percent before the amount is the strength of the solution weighed.
        strength = float(trailing.group("strength"))
        if not 0 < strength < 100:
            return SkippedLine(line_no=line_no, raw=raw, reason_ko=f"희석 농도 {strength:g}%를 읽을 수 없음 (0–100%)")
        dilution = Dilution(strength=strength)
        body = body.rstrip(_EDGES)[:trailing.start()]
    name = body.strip(_EDGES)
    if not name and not cas:
        return SkippedLine(line_no=line_no, raw=raw, reason_ko="재료 이름이 없는 줄")
    if any(w == re.sub(r"\W+", "", name.lower()) for w in _TOTAL_WORDS):
        return SkippedLine(line_no=line_no, raw=raw, reason_ko="합계 줄")
    value, unit = float(amount.group("number")), unit_named(amount.group("unit"))
    if unit is Unit.percent and value > 100:
        return SkippedLine(line_no=line_no, raw=raw, reason_ko=f"{value:g}%는 한 재료의 비율이 될 수 없어요 (100% 이하)")
    return FormulaLine(line_no=line_no, raw=raw, text=name[:MAX_TEXT] or cas, cas=cas, amount=value, unit=unit,
                       dilution=dilution)


def parse_text(text: str) -> ParsedFormula:
    """Pasted lines, one material each."""
    lines, skipped = [], []
    rows = text.splitlines()
    if sum(1 for row in rows if row.strip()) > MAX_LINES:
        raise FormulaError(f"한 번에 {MAX_LINES}줄까지 가져올 수 있어요.")
    for number, row in enumerate(rows, start=1):
        if not row.strip():
            continue
        parsed = parse_line(row, number)
        (lines if isinstance(parsed, FormulaLine) else skipped).append(parsed)
    if not lines:
        raise FormulaError("재료와 양이 적힌 줄을 찾지 못했어요. 한 줄에 하나씩 '재료 이름 양 단위'로 적어 주세요 "
                           "(예: 헤디온 30g, 베르가못 12%)." + _first_reason(skipped))
    return ParsedFormula(lines=lines, skipped=skipped)


def _first_reason(skipped: list[SkippedLine]) -> str:
    """The reason the first unreadable line gave, when it says more than "no amount"."""
    told = next((s for s in skipped if not s.reason_ko.startswith(("빈 줄", "양이 없는"))), None)
    return f" {told.line_no}행: {told.reason_ko}." if told else ""


def looks_like_formula(text: str) -> bool:
    """A pasted formula: at least three lines, and most of them read as material + amount."""
    rows = [row for row in text.splitlines() if row.strip()]
    if len(rows) < 3:
        return False
    read = [parse_line(row, n) for n, row in enumerate(rows[:MAX_LINES + 1], start=1)]
    return sum(isinstance(r, FormulaLine) and bool(r.text) for r in read) >= max(3, 0.6 * len(rows))


# --- CSV -------------------------------------------------------------------------------------
_COLUMNS = {
    "material_id": ("material_id", "id"),
    "name": ("name_ko", "name", "material", "ingredient", "재료", "원료", "재료명", "원료명", "이름", "name_en"),
    "cas": ("cas", "cas_no", "cas번호"),
    "amount": ("percent_neat", "percent", "amount", "%", "weight", "양", "비율", "함량", "무게", "grams", "g"),
    "unit": ("unit", "단위"),
    "strength": ("dilution_percent", "dilution", "희석", "희석농도", "strength"),
    "solvent": ("solvent", "용매"),
}


def _columns(header: list[str]) -> dict[str, int] | None:
    keys = [re.sub(r"[\s()]+", "", read_cell(h)[:MAX_TEXT].lower()) for h in header]
    found: dict[str, int] = {}
    for field, names in _COLUMNS.items():
        for name in names:  # earlier names win: name_ko over name_en
            if name in keys and field not in found:
                found[field] = keys.index(name)
    return found if "amount" in found and ({"name", "material_id", "cas"} & found.keys()) else None


def _cell_number(cell: str) -> float | str:
    """A spreadsheet amount as a number ≥ 0, or the Korean reason it is not one (NaN, 1e309, -5, text)."""
    if not _CELL_NUMBER.fullmatch(cell):
        return f"'{cell[:20]}'을(를) 숫자로 읽을 수 없음"
    if cell[0] in "-−":
        return "음수 양은 읽을 수 없음"
    return float(cell.replace(",", "."))


def parse_csv(text: str) -> ParsedFormula:
    """A spreadsheet export: our columns (``export_csv``), a header the columns map to, or bare rows.

    Cells our export protected against spreadsheet formulas (a leading quote) are read back as written."""
    sample = text.lstrip("\ufeff")
    first = sample.splitlines()[0] if sample.strip() else ""
    delimiter = "\t" if "\t" in first else ";" if first.count(";") > first.count(",") else ","
    try:
        rows = [[read_cell(cell) for cell in row] for row in csv.reader(io.StringIO(sample), delimiter=delimiter)]
    except csv.Error:
        raise FormulaError("CSV 형식이 올바르지 않아요 (따옴표나 줄바꿈을 확인해 주세요).") from None
    if not rows:
        raise FormulaError("CSV 파일이 비어 있어요.")
    if sum(1 for row in rows[1:] if any(cell.strip() for cell in row)) > MAX_LINES:
        raise FormulaError(f"한 번에 {MAX_LINES}줄까지 가져올 수 있어요.")
    columns = _columns(rows[0])
    if columns is None:  # no header we know: each row is a written line
        return parse_text("\n".join(" ".join(cell for cell in row if cell.strip()) for row in rows))
    amount_header = re.sub(r"\s", "", rows[0][columns["amount"]].lower())
    header_unit = "%" if amount_header in ("percent_neat", "percent", "%") else None
    lines, skipped = [], []
    for number, row in enumerate(rows[1:], start=2):
        cell = {f: (row[i].strip() if i < len(row) else "") for f, i in columns.items()}
        if not any(cell.values()):
            continue
        raw = _shown(delimiter.join(row))
        amount = _cell_number(cell["amount"])
        unit = unit_named(cell["unit"]) if cell.get("unit") else unit_named(header_unit)
        if isinstance(amount, str):
            skipped.append(SkippedLine(line_no=number, raw=raw, reason_ko=f"양: {amount}"))
            continue
        if cell.get("unit") and unit is None:
            skipped.append(SkippedLine(line_no=number, raw=raw, reason_ko=f"단위 '{cell['unit'][:20]}'을(를) 읽을 수 없음"))
            continue
        if unit is Unit.percent and amount > 100:
            skipped.append(SkippedLine(line_no=number, raw=raw,
                                       reason_ko=f"{amount:g}%는 한 재료의 비율이 될 수 없어요 (100% 이하)"))
            continue
        dilution = None
        if cell.get("strength"):
            strength = _cell_number(cell["strength"])
            if isinstance(strength, str) or not 0 < strength < 100:
                skipped.append(SkippedLine(line_no=number, raw=raw,
                                           reason_ko=f"희석 농도 '{cell['strength'][:20]}'을(를) 읽을 수 없음 (0–100%)"))
                continue
            dilution = Dilution(strength=strength, solvent=solvent_named(cell.get("solvent", "")))
        cas = cell.get("cas", "")
        material_id = cell.get("material_id", "")[:MAX_TEXT] or None
        lines.append(FormulaLine(line_no=number, raw=raw, text=(cell.get("name") or material_id or cas)[:MAX_TEXT],
                                 cas=cas if cas and cas_is_valid(cas) else "", material_id=material_id,
                                 amount=amount, unit=unit, dilution=dilution, neat=amount_header == "percent_neat"))
    if not lines:
        raise FormulaError("CSV에서 재료 줄을 찾지 못했어요." + _first_reason(skipped))
    return ParsedFormula(lines=lines, skipped=skipped)


# --- JSON ------------------------------------------------------------------------------------
def _refuse_constant(name: str) -> float:
    raise FormulaError(f"JSON의 {name} 값은 읽을 수 없어요. 비율은 숫자로 적어 주세요.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise FormulaError(f"JSON의 숫자 {text[:20]}…이(가) 너무 커요.")
    return value


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise FormulaError(f"JSON의 숫자가 너무 길어요 (정수 {MAX_DIGITS}자리까지).")
    return int(text)


def parse_json(text: str) -> ParsedFormula:
    """Our recipe JSON (``export_json`` / the API's recipe): ids are trusted, figures are neat %.

    NaN, Infinity, numbers beyond a float and nesting deeper than Python's parser goes are refused in Korean
    like any other unreadable JSON."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except json.JSONDecodeError as exc:
        raise FormulaError(f"JSON을 읽을 수 없어요 ({exc.lineno}번째 줄 근처).") from None
    except RecursionError:
        raise FormulaError("JSON이 너무 깊게 중첩되어 있어요. 향기 레시피 JSON을 보내 주세요.") from None
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise FormulaError(f"향기 레시피 JSON 형식이 아니에요 ({where or '최상위'} 확인).") from None
    if not recipe.ingredients:
        raise FormulaError("JSON 레시피에 재료가 없어요.")
    if len(recipe.ingredients) > MAX_LINES:
        raise FormulaError(f"한 번에 {MAX_LINES}줄까지 가져올 수 있어요.")
    lines = [FormulaLine(line_no=n, raw=(i.name_ko or i.material_id)[:MAX_TEXT],
                         text=(i.name_ko or i.name_en or i.material_id)[:MAX_TEXT], cas=i.cas,
                         material_id=i.material_id, amount=i.percent, unit=Unit.percent, dilution=i.dilution, neat=True)
             for n, i in enumerate(recipe.ingredients, start=1)]
    return ParsedFormula(lines=lines, recipe=recipe)


def _check_percent_total(parsed: ParsedFormula) -> None:
    """A formula written in % whose lines add up far beyond 100 was mistyped: asked about, not rescaled."""
    units = {line.unit for line in parsed.lines}
    if units - {None} != {Unit.percent}:
        return
    total = sum(line.amount for line in parsed.lines)
    if total > MAX_PERCENT_TOTAL:
        raise FormulaError(f"비율 합계가 {total:g}%예요. %로 적은 레시피는 합계가 100%여야 해요 — 각 줄의 %를 확인하거나, "
                           "무게로 적었다면 g 단위로 적어 주세요.")


def parse(content: str, fmt: FormulaFormat | None = None) -> ParsedFormula:
    """Any of the three formats; without ``fmt``, JSON when it looks like JSON, CSV when it has a header we know.

    Raises ``FormulaError`` (Korean) for anything it cannot read, and for no other reason."""
    if len(content) > MAX_FORMULA_CHARS:
        raise FormulaError(f"레시피가 너무 길어요 ({MAX_FORMULA_CHARS:,}자까지).")
    content = content.lstrip("\ufeff")
    if fmt is None:
        stripped = content.lstrip()
        first = stripped.splitlines()[0][:MAX_LINE_CHARS] if stripped else ""
        delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
        try:
            header = next(csv.reader([first], delimiter=delimiter), [])
        except csv.Error:
            header = []
        fmt = (FormulaFormat.json if stripped.startswith("{") else
               FormulaFormat.csv if _columns(header) else FormulaFormat.text)
    parsed = {FormulaFormat.text: parse_text, FormulaFormat.csv: parse_csv, FormulaFormat.json: parse_json}[fmt](content)
    _check_percent_total(parsed)
    return parsed
