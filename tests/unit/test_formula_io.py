"""An uploaded formula file (chat attachment or REST upload): its text and format, or a Korean reason."""

import pytest

from perfumery.formula import MAX_FORMULA_CHARS, FormulaError, FormulaFormat, formula_file


def test_the_extension_names_the_format_and_a_bom_is_dropped() -> None:
    assert formula_file("\ufeffmaterial,amount\n헤디온,30\n".encode(), "My.CSV") == (
        "material,amount\n헤디온,30\n", FormulaFormat.csv)
    assert formula_file(b"{}", "a.json")[1] is FormulaFormat.json
    assert formula_file("헤디온 30g".encode(), "notes.txt")[1] is None


@pytest.mark.parametrize(("raw", "reason"), [("헤디온".encode("cp949"), "UTF-8"), (b"  \n", "비어 있거나"),
                                             (b"x" * (MAX_FORMULA_CHARS + 1), "너무 길어요")])
def test_what_cannot_be_read_says_why_in_korean(raw: bytes, reason: str) -> None:
    with pytest.raises(FormulaError, match=reason):
        formula_file(raw, "f.csv")
