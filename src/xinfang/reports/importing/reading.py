"""Reading a ledger file into rows of cell values, whatever program wrote it.

.xlsx and .xls are read by python-calamine (Rust, no formula engine: a formula cell gives the
value the program last computed and saved); .csv is decoded as UTF-8 (with or without BOM) or
GB18030, which is what Chinese Excel writes. The kind is decided from the bytes, never from the
name. Every problem with the file as a whole raises InvalidInput with a sentence for the user.
"""

from __future__ import annotations

import csv
import io
import zipfile

from django.utils.translation import gettext as _

from xinfang.core.errors import InvalidInput
from xinfang.reports.columns import match_heading

MAX_ROWS = 200_000  # per import; a bigger ledger is split by year (docs/user-guide/statistics.md)
HEADER_SCAN = 10  # the heading row is among the first rows (a title row often comes first)
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def refuse(message) -> InvalidInput:
    return InvalidInput({"file": [str(message)]})


def sniff(content: bytes) -> str:
    if content.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(io.BytesIO(content)).namelist()
        except zipfile.BadZipFile:
            raise refuse(_("The workbook is damaged and cannot be read.")) from None
        if "xl/workbook.xml" not in names:
            raise refuse(_("This is not a spreadsheet. Upload an .xlsx, .xls or .csv ledger."))
        return "xlsx"
    if content.startswith(OLE2):
        # Old .xls, or an .xlsx protected with a password (Office wraps those in OLE2).
        if b"E\x00n\x00c\x00r\x00y\x00p\x00t\x00i\x00o\x00n\x00I\x00n\x00f\x00o" in content[: 65536 * 8]:
            raise refuse(
                _("The workbook is protected with a password. Save it without one and upload again.")
            )
        return "xls"
    if b"\x00" in content[:4096]:
        raise refuse(_("This is not a spreadsheet. Upload an .xlsx, .xls or .csv ledger."))
    return "csv"


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise refuse(_("The CSV file is neither UTF-8 nor GB18030 text."))


def _workbook_rows(content: bytes) -> list[list]:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
        for name in workbook.sheet_names:
            sheet = workbook.get_sheet_by_name(name)
            rows = sheet.to_python(skip_empty_area=False)
            if any(any(cell not in ("", None) for cell in row) for row in rows):
                return _unmerge(rows, sheet)
    except InvalidInput:
        raise
    except Exception:  # calamine raises its own error types for every kind of broken file
        raise refuse(
            _("The workbook is damaged, encrypted or not a spreadsheet, and cannot be read.")
        ) from None
    return []


def _unmerge(rows: list[list], sheet) -> list[list]:
    """A merged cell holds its value in its top-left cell only; give it to every cell it covers,
    so a heading merged across two rows or columns still names each column."""
    try:
        ranges = sheet.merged_cell_ranges or []
    except Exception:  # older files without merge information
        ranges = []
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows) or r0 > HEADER_SCAN + 1:
            continue  # only headings matter; merged data cells keep their single value
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            for c in range(c0, c1 + 1):
                if c < len(rows[r]) and rows[r][c] in ("", None):
                    rows[r][c] = value
    return rows


def read_rows(content: bytes) -> list[list]:
    if not content:
        raise refuse(_("The file is empty."))
    kind = sniff(content)
    if kind == "csv":
        text = _decode(content)
        try:
            rows = list(csv.reader(io.StringIO(text, newline="")))
        except csv.Error:
            raise refuse(_("The CSV file cannot be read as comma-separated values.")) from None
    else:
        rows = _workbook_rows(content)
    rows = [row for row in rows if any(str(cell).strip() for cell in row if cell is not None)]
    if not rows:
        raise refuse(_("The file has no rows: every sheet is empty."))
    return rows


def find_header(rows: list[list]) -> tuple[int, dict[int, str]]:
    """The heading row (the one naming most known columns among the first rows) and, per column
    index, the key it means. A heading over two rows (a merged group heading above) counts the
    lower row's names, falling back to the upper one where the lower cell is empty."""
    best: tuple[int, dict[int, str]] = (-1, {})
    for index, row in enumerate(rows[:HEADER_SCAN]):
        above = rows[index - 1] if index else []
        mapping: dict[int, str] = {}
        for col, cell in enumerate(row):
            key = match_heading(cell)
            if key is None and col < len(above):
                key = match_heading(above[col])
            if key and key not in mapping.values():
                mapping[col] = key
        if len(mapping) > len(best[1]):
            best = (index, mapping)
    index, mapping = best
    missing = {"title", "received_at", "category", "channel", "number"} - set(mapping.values())
    if len(mapping) < 3 or missing:
        from xinfang.reports.columns import BY_KEY

        names = "、".join(str(BY_KEY[k].heading) for k in sorted(missing)) or "—"
        raise refuse(
            _("No heading row found with the required columns (missing: %(names)s). See the import template.")
            % {"names": names}
        )
    if len(rows) - index - 1 > MAX_ROWS:
        raise refuse(
            _("The ledger has more than %(max)d rows; split it (by year, for example) and import each part.")
            % {"max": MAX_ROWS}
        )
    return index, mapping
