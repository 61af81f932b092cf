"""Writing .xlsx with openpyxl's write-only mode, so memory stays flat whatever the number of rows
(a write-only sheet streams rows to a temporary file): every service's exports use it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font


def _bold_row(sheet, values) -> list:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def write_workbook(sheets: Iterable[tuple[str, list[str], Iterable[Iterable]]]) -> tempfile.SpooledTemporaryFile:
    """Write (title, headers, rows) sheets; return the finished .xlsx as a rewound temporary file."""
    workbook = Workbook(write_only=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        sheet.append(_bold_row(sheet, headers))
        for row in rows:
            sheet.append(list(row))
    output = tempfile.TemporaryFile(suffix=".xlsx")
    workbook.save(output)
    output.seek(0)
    return output
