"""The streamed ledger workbook (reports/xlsx_stream.py) reads back as what was written: text
needing XML escaping, control characters, a literal "_xHHHH_", dates, empty cells. The oracle is
the input itself (cut to Excel's 32,767 characters), read back by an independent reader."""

import io
from datetime import datetime

from python_calamine import CalamineWorkbook

from xinfang.reports.xlsx_stream import MAX_TEXT, SheetWriter

TEXTS = [
    "a&b<c>d",
    "&amp; stays as typed",
    "_x0041_ is not an A",
    "control\x01\x1f end",
    "平常的中文",
    "'=1+1",
    "tab\tnew\nline",
    "x" * (MAX_TEXT + 10),
]


def test_cells_read_back_as_written():
    target = io.BytesIO()
    sheet = SheetWriter(target, sheet_name="台账", widths=[10] * len(TEXTS), headings=list("ABCDEFGH"))
    sheet.write_row(TEXTS)
    sheet.write_row([datetime(2026, 1, 2, 3, 4), None, "", "z", 7, "", "", ""])
    sheet.close()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(target.getvalue())).get_sheet_by_index(0).to_python()
    assert rows[0] == list("ABCDEFGH")
    assert rows[1] == [text[:MAX_TEXT] for text in TEXTS]
    assert rows[2] == [datetime(2026, 1, 2, 3, 4), "", "", "z", "7", "", "", ""]
