"""A one-sheet .xlsx written as a stream: rows go straight into the deflated sheet part of the
zip, so memory does not grow with the number of rows.

Why not xlsxwriter here (it still writes the standard report, which needs formulas): its
constant_memory mode keeps memory flat, but it spends about twenty function calls per cell; the
ledger's 19 columns cost 480 µs a row on the loaded bench machine, 48 s for 10⁵ rows against an
aim of 10 s. A ledger needs only inline text, dates, one header style, frozen panes and an
autofilter: written directly from the Office Open XML parts (ECMA-376), a row costs about 90 µs.
Measured in docs/benchmarks.md.

Text is always written as text (inline strings), never as a formula.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterable
from datetime import datetime
from xml.sax.saxutils import quoteattr

MAX_TEXT = 32767  # Excel's limit for one cell
_EPOCH = datetime(1899, 12, 30)
# XML 1.0 forbids most control characters; Excel spells them _xHHHH_, so a literal "_xHHHH_" in
# the text must have its underscore spelt that way too or Excel would decode it.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LITERAL_ESCAPE = re.compile("_(x[0-9A-Fa-f]{4}_)")
# Anything _text has to change; most cells have none of it and are written as they are (one
# search instead of three passes: the escaping was a third of the writer's time at 10⁵ rows).
_SPECIAL = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]|_x")

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<Relationships xmlns="{PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'styles" Target="styles.xml"/></Relationships>'
)
# Style 0: plain; 1: the heading row (bold, light blue, thin border, wrapped); 2: a date.
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="3"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF4"/><bgColor indexed="64"/>'
    "</patternFill></fill></fills>"
    '<borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
    '<border><left style="thin"><color auto="1"/></left><right style="thin"><color auto="1"/></right>'
    '<top style="thin"><color auto="1"/></top><bottom style="thin"><color auto="1"/></bottom>'
    "<diagonal/></border></borders>"
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" '
    'applyBorder="1" applyAlignment="1"><alignment wrapText="1"/></xf>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(value: str) -> str:
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT]
    if not _SPECIAL.search(value):
        return value
    if "_x" in value:
        value = _LITERAL_ESCAPE.sub(r"_x005F_\1", value)
    if _CONTROL.search(value):
        value = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def excel_serial(value: datetime) -> str:
    """A naive datetime as Excel's day number (1900 date system)."""
    delta = value - _EPOCH
    return repr(delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400)


class SheetWriter:
    """Write one worksheet: `write_row(values)` for each row (str, naive datetime, or None/""
    for an empty cell), then `close()`. The first row is the heading, styled and frozen."""

    def __init__(self, target, *, sheet_name: str, widths: list[int], headings: list[str]):
        self._zip = zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self._sheet_name = sheet_name[:31]
        self._ncols = len(headings)
        self._letters = [column_letter(i) for i in range(self._ncols)]
        self._part = self._zip.open("xl/worksheets/sheet1.xml", "w", force_zip64=True)
        self._buffer: list[str] = []
        self.rows = 0
        cols = "".join(
            f'<col min="{i + 1}" max="{i + 1}" width="{w}" customWidth="1"/>' for i, w in enumerate(widths)
        )
        self._buffer.append(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<worksheet xmlns="{NS}" xmlns:r="{REL_NS}">'
            '<sheetViews><sheetView tabSelected="1" workbookViewId="0">'
            '<pane xSplit="1" ySplit="1" topLeftCell="B2" activePane="bottomRight" state="frozen"/>'
            '<selection pane="topRight"/><selection pane="bottomLeft"/>'
            '<selection pane="bottomRight" activeCell="B2" sqref="B2"/></sheetView></sheetViews>'
            f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>'
        )
        self._row(headings, style=' s="1"')

    def _row(self, values: Iterable, style: str = "") -> None:
        r = self.rows + 1
        parts = [f'<row r="{r}">']
        append = parts.append
        special = _SPECIAL.search
        text_open = f'{r}"{style} t="inlineStr"><is><t xml:space="preserve">'
        date_open = f'{r}" s="2"><v>'
        for letter, value in zip(self._letters, values, strict=False):
            if value is None or value == "":
                continue
            if isinstance(value, datetime):
                append(f'<c r="{letter}{date_open}{excel_serial(value)}</v></c>')
                continue
            value = str(value)
            # Most cells need no change: checked here, without a call per cell.
            if len(value) > MAX_TEXT or special(value):
                value = _text(value)
            append(f'<c r="{letter}{text_open}{value}</t></is></c>')
        append("</row>")
        self._buffer.append("".join(parts))
        self.rows = r
        if len(self._buffer) >= 200:
            self._flush()

    def write_row(self, values: Iterable) -> None:
        self._row(values)

    def _flush(self) -> None:
        self._part.write("".join(self._buffer).encode("utf-8"))
        self._buffer.clear()

    def close(self) -> None:
        last = f"{self._letters[-1]}{max(self.rows, 1)}"
        self._buffer.append("</sheetData>")
        if self.rows > 1:
            self._buffer.append(f'<autoFilter ref="A1:{last}"/>')
        self._buffer.append("</worksheet>")
        self._flush()
        self._part.close()
        name = quoteattr(self._sheet_name)
        quoted = "'" + self._sheet_name.replace("'", "''") + "'"
        defined = (
            f'<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">'
            f"{_text(quoted)}!$A$1:${self._letters[-1]}${self.rows}</definedName></definedNames>"
            if self.rows > 1
            else ""
        )
        self._zip.writestr(
            "xl/workbook.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<workbook xmlns="{NS}" xmlns:r="{REL_NS}"><bookViews><workbookView/></bookViews>'
            f'<sheets><sheet name={name} sheetId="1" r:id="rId1"/></sheets>{defined}</workbook>',
        )
        self._zip.writestr("[Content_Types].xml", CONTENT_TYPES)
        self._zip.writestr("_rels/.rels", ROOT_RELS)
        self._zip.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        self._zip.writestr("xl/styles.xml", STYLES)
        self._zip.close()
