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
import re
import unicodedata
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from perfumery.models import cas_is_valid
from perfumery.recipe import Dilution, Recipe, Solvent

MAX_LINES = 200
MAX_TEXT = 120


class Unit(StrEnum):
    percent = "%"
    g = "g"
    mg = "mg"
    kg = "kg"
    ml = "mL"
    drops = "drops"
    parts = "parts"


GRAMS = {Unit.g: 1.0, Unit.mg: 0.001, Unit.kg: 1000.0}  # exact: no density needed
UNIT_KO = {Unit.percent: "%", Unit.g: "g", Unit.mg: "mg", Unit.kg: "kg", Unit.ml: "mL", Unit.drops: "방울",
           Unit.parts: "부"}
_UNIT_WORDS = {
    Unit.percent: ("%", "％", "퍼센트", "percent", "pct"),
    Unit.mg: ("mg", "밀리그램"),
    Unit.kg: ("kg", "킬로그램"),
    Unit.g: ("g", "gr", "gram", "grams", "그램", "그람"),
    Unit.ml: ("ml", "mℓ", "밀리리터", "미리"),
    Unit.drops: ("drops", "drop", "gtts", "gtt", "방울"),
    Unit.parts: ("parts", "part", "pts", "부"),
}
SOLVENT_WORDS: dict[Solvent, tuple[str, ...]] = {
    Solvent.dpg: ("dpg", "디프로필렌글리콜", "dipropyleneglycol", "디피지"),
    Solvent.ethanol: ("ethanol", "에탄올", "알코올", "알콜", "alcohol", "perfumersalcohol", "퍼퓨머스알코올"),
    Solvent.ipm: ("ipm", "isopropylmyristate", "이소프로필미리스테이트"),
    Solvent.tec: ("tec", "triethylcitrate", "트리에틸시트레이트"),
}
_TOTAL_WORDS = ("합계", "총합", "총량", "total", "sum", "합")

_UNIT = "|".join(sorted((re.escape(w) for ws in _UNIT_WORDS.values() for w in ws), key=len, reverse=True))
_SOLVENT = "|".join(sorted((re.escape(w) for ws in SOLVENT_WORDS.values() for w in ws), key=len, reverse=True))
_NUMBER = r"\d+(?:\.\d+)?|\.\d+"
_BULLET = re.compile(r"^\s*(?:[-*•·▪︎]|\d{1,3}[.)](?!\d))\s*")
_CAS = re.compile(r"(?<![\d-])(\d{2,7}-\d{2}-\d)(?![\d-])")
# "10% DPG", "10% in ethanol", "(10% 에탄올 희석)", "@10%" — the strength and, where written, the solvent.
_CAS_LABEL = re.compile(r"\bcas\s*(?:no\.?|번호)?\s*[:#]?", re.IGNORECASE)
_DILUTION = re.compile(
    rf"[(\[]?\s*(?:@\s*(?P<at>{_NUMBER})\s*%|(?P<strength>{_NUMBER})\s*%\s*(?:in\s+|@\s*)?(?P<solvent>{_SOLVENT})"
    rf"(?![a-z]))\s*(?:희석액?|용액|solution|sol\.?|dil\.?|dilution)?\s*[)\]]?", re.IGNORECASE)
_AMOUNT_END = re.compile(rf"(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})?\s*$", re.IGNORECASE)
_AMOUNT_START = re.compile(rf"^(?P<number>{_NUMBER})\s*(?P<unit>{_UNIT})?(?![\w.])\s*", re.IGNORECASE)
_TRAILING_PERCENT = re.compile(rf"(?P<strength>{_NUMBER})\s*%\s*(?:희석액?|용액|dil\.?)?\s*$", re.IGNORECASE)
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
    amount: float = Field(ge=0)
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


def _unit(word: str | None) -> Unit | None:
    if not word:
        return None
    key = word.lower()
    return next(unit for unit, words in _UNIT_WORDS.items() if key in words)


def solvent_named(text: str) -> Solvent | None:
    """The solvent a text names on its own ("DPG", "에탄올"), else None."""
    key = re.sub(r"[\W_]+", "", _fold(text).lower())
    return next((s for s, words in SOLVENT_WORDS.items() if key in words), None)



def parse_line(raw: str, line_no: int) -> FormulaLine | SkippedLine:
    """One written line → a formula line, or the reason it is not one."""
    text = _BULLET.sub("", _fold(raw))
    if not text or text.startswith(("#", "//")):
        return SkippedLine(line_no=line_no, raw=raw, reason_ko="빈 줄이나 주석")
    dilution = None
    found = _DILUTION.search(text)
    if found:
        strength = float(found.group("at") or found.group("strength"))
        if not 0 < strength < 100:
            return SkippedLine(line_no=line_no, raw=raw, reason_ko=f"희석 농도 {strength:g}%를 읽을 수 없음 (0–100%)")
        solvent = solvent_named(found.group("solvent")) if found.group("solvent") else None
        dilution = Dilution(solvent=solvent, strength=strength)
        text = (text[:found.start()] + " " + text[found.end():]).strip()
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
        dilution = Dilution(strength=float(trailing.group("strength")))
        body = body.rstrip(_EDGES)[:trailing.start()]
    name = body.strip(_EDGES)
    if not name and not cas:
        return SkippedLine(line_no=line_no, raw=raw, reason_ko="재료 이름이 없는 줄")
    if any(w == re.sub(r"\W+", "", name.lower()) for w in _TOTAL_WORDS):
        return SkippedLine(line_no=line_no, raw=raw, reason_ko="합계 줄")
    return FormulaLine(line_no=line_no, raw=raw, text=name[:MAX_TEXT] or cas, cas=cas,
                       amount=float(amount.group("number")), unit=_unit(amount.group("unit")), dilution=dilution)


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
                           "(예: 헤디온 30g, 베르가못 12%).")
    return ParsedFormula(lines=lines, skipped=skipped)


def looks_like_formula(text: str) -> bool:
    """A pasted formula: at least three lines, and most of them read as material + amount."""
    rows = [row for row in text.splitlines() if row.strip()]
    if len(rows) < 3:
        return False
    read = [parse_line(row, n) for n, row in enumerate(rows, start=1)]
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
    keys = [re.sub(r"[\s()]+", "", h.lower()) for h in header]
    found: dict[str, int] = {}
    for field, names in _COLUMNS.items():
        for name in names:  # earlier names win: name_ko over name_en
            if name in keys and field not in found:
                found[field] = keys.index(name)
    return found if "amount" in found and ({"name", "material_id", "cas"} & found.keys()) else None


def parse_csv(text: str) -> ParsedFormula:
    """A spreadsheet export: our columns (``export_csv``), a header the columns map to, or bare rows."""
    sample = text.lstrip("\ufeff")
    first = sample.splitlines()[0] if sample.strip() else ""
    delimiter = "\t" if "\t" in first else ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
    if not rows:
        raise FormulaError("CSV 파일이 비어 있어요.")
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
        raw = delimiter.join(row)
        try:
            amount = float(cell["amount"].replace(",", "."))
        except ValueError:
            skipped.append(SkippedLine(line_no=number, raw=raw, reason_ko=f"양 '{cell['amount']}'을 숫자로 읽을 수 없음"))
            continue
        unit = _unit(cell.get("unit")) if cell.get("unit") else _unit(header_unit)
        dilution = None
        if cell.get("strength"):
            try:
                dilution = Dilution(strength=float(cell["strength"]), solvent=solvent_named(cell.get("solvent", "")))
            except (ValueError, ValidationError):
                skipped.append(SkippedLine(line_no=number, raw=raw, reason_ko=f"희석 농도 '{cell['strength']}'을 읽을 수 없음"))
                continue
        cas = cell.get("cas", "")
        lines.append(FormulaLine(line_no=number, raw=raw, text=(cell.get("name") or cell.get("material_id") or cas)[:MAX_TEXT],
                                 cas=cas if cas and cas_is_valid(cas) else "", material_id=cell.get("material_id") or None,
                                 amount=max(amount, 0.0), unit=unit, dilution=dilution,
                                 neat=amount_header == "percent_neat"))
    if not lines:
        raise FormulaError("CSV에서 재료 줄을 찾지 못했어요.")
    return ParsedFormula(lines=lines, skipped=skipped)


# --- JSON ------------------------------------------------------------------------------------
def parse_json(text: str) -> ParsedFormula:
    """Our recipe JSON (``export_json`` / the API's recipe): ids are trusted, figures are neat %."""
    try:
        recipe = Recipe.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise FormulaError(f"JSON을 읽을 수 없어요 ({exc.lineno}번째 줄 근처).") from None
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise FormulaError(f"향기 레시피 JSON 형식이 아니에요 ({where} 확인).") from None
    if not recipe.ingredients:
        raise FormulaError("JSON 레시피에 재료가 없어요.")
    lines = [FormulaLine(line_no=n, raw=i.name_ko or i.material_id, text=(i.name_ko or i.name_en or i.material_id)[:MAX_TEXT],
                         cas=i.cas, material_id=i.material_id, amount=i.percent, unit=Unit.percent, dilution=i.dilution,
                         neat=True)
             for n, i in enumerate(recipe.ingredients, start=1)]
    return ParsedFormula(lines=lines, recipe=recipe)


def parse(content: str, fmt: FormulaFormat | None = None) -> ParsedFormula:
    """Any of the three formats; without ``fmt``, JSON when it looks like JSON, CSV when it has a header we know."""
    content = content.lstrip("\ufeff")
    if fmt is None:
        stripped = content.lstrip()
        first = stripped.splitlines()[0] if stripped else ""
        delimiter = "\t" if "\t" in first else ";" if ";" in first else ","
        fmt = (FormulaFormat.json if stripped.startswith("{") else
               FormulaFormat.csv if _columns(next(csv.reader([first], delimiter=delimiter), [])) else FormulaFormat.text)
    return {FormulaFormat.text: parse_text, FormulaFormat.csv: parse_csv, FormulaFormat.json: parse_json}[fmt](content)
