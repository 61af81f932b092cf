"""Excel in and out with openpyxl's write-only and read-only modes, so memory stays flat
whatever the number of rows (a write-only sheet streams rows to a temporary file)."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from jiedao.lib.excel import write_workbook

ROSTER_COLUMNS = ("block", "household", "name", "id_number", "categories", "note")


def roster_headers() -> list[str]:
    return [_("旧改地块"), _("户号"), _("姓名"), _("身份证号码"), _("特殊对象类别"), _("备注")]


def roster_template():
    example_note = _("一行一人；多个类别用顿号（、）或逗号分隔；地块和类别写名称。")
    return write_workbook(
        [
            (_("在册户名单"), roster_headers(), []),
            (_("填写说明"), [_("说明")], [[example_note], [timezone.localdate().isoformat()]]),
        ]
    )


def read_rows(fileobj) -> Iterator[tuple[int, dict]]:
    """(row number as Excel shows it, {column: text}) for each non-empty row after the header."""
    workbook = load_workbook(fileobj, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2):
            cells = ["" if value is None else str(value).strip() for value in values[: len(ROSTER_COLUMNS)]]
            cells += [""] * (len(ROSTER_COLUMNS) - len(cells))
            if any(cells):
                yield number, dict(zip(ROSTER_COLUMNS, cells, strict=True))
    finally:
        workbook.close()
