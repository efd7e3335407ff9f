"""CSV cells a spreadsheet cannot run, and our own importer reads back unchanged.

Excel, LibreOffice and Google Sheets treat a cell starting with ``=``, ``+``, ``-`` or ``@`` (and tab, CR, NUL)
as a formula. OWASP's rule (CSV Injection, https://owasp.org/www-community/attacks/CSV_Injection; ASVS 5.0
requirement 1.2.10) is to prefix such a cell with a single quote, which spreadsheets read as "this is text".
A cell that already starts with a quote gets one more, so that ``read_cell`` — which drops exactly one
quote in front of a character from this set — gives back every written value, whatever it was.
"""

from __future__ import annotations

QUOTE = "'"
# What makes a spreadsheet evaluate a cell, plus the quote itself (so the prefix is never ambiguous).
DANGEROUS_START = frozenset("=+-@\t\r\0" + QUOTE)


def safe_cell(value: str) -> str:
    """``value`` as a cell no spreadsheet evaluates."""
    return QUOTE + value if value[:1] in DANGEROUS_START else value


def read_cell(cell: str) -> str:
    """The value ``safe_cell`` wrote (a cell from any other spreadsheet passes unchanged unless it starts
    with a quote before a formula character: that quote was the spreadsheet's own text marker)."""
    return cell[1:] if cell[:1] == QUOTE and cell[1:2] in DANGEROUS_START else cell
