"""Builds the default masters (<code>.docx beside this file) with python-docx.

Run ``.venv/bin/python -m xinfang.documents.masters.build`` after changing the layout, and
commit the .docx files with the change. The layout follows GB/T 9704-2012 (党政机关公文格式):
A4; margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right; the issuing organ's mark (发文机关
标志) in red 小标宋; the reference number (发文字号) above a red separator; the title in 2号
小标宋; the addressee (主送机关) and the body in 3号仿宋 with a two-character indent; the signature
block (落款) and date (成文日期) on the right; page numbers "— 1 —" in 4号宋体, right on odd pages
and left on even ones. The fonts the standard names are proprietary: the masters name them, and
where they are not installed Word, WPS and LibreOffice fall back to the installed CJK fonts
(docs/dependencies.md says which).

Placeholders are docxtpl (Jinja) expressions, ``{{ name }}``; the names each type may use are
in documents/types.py and docs/user-guide/documents.md.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

HERE = Path(__file__).resolve().parent

XIAOBIAOSONG = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
RED = RGBColor(0xE6, 0x00, 0x12)
SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
LINE = Pt(28.95)  # 22 lines of 28 characters on the type area


def _font(run, name, size, *, bold=False, color=None):
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), name)


def _para(doc, text="", *, font=FANGSONG, size=SIZE_3, align=None, indent=False, bold=False, color=None):
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing = LINE
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)
    if align is not None:
        p.alignment = align
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
    if text:
        _font(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _red_rule(paragraph):
    """The red separator under the reference number: a bottom border of the paragraph."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "12"), ("w:space", "4"), ("w:color", "E60012")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def _page_number(paragraph):
    """ "— n —" with a PAGE field, so Word, WPS and LibreOffice number the pages themselves."""
    _font(paragraph.add_run("— "), SONGTI, SIZE_4)
    run = paragraph.add_run()
    _font(run, SONGTI, SIZE_4)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    _font(paragraph.add_run(" —"), SONGTI, SIZE_4)


def _setup(doc):
    section = doc.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(28) - Mm(7)
    doc.settings.odd_and_even_pages_header_footer = True
    odd = section.footer.paragraphs[0]
    odd.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _page_number(odd)
    even = section.even_page_footer.paragraphs[0]
    even.alignment = WD_ALIGN_PARAGRAPH.LEFT
    _page_number(even)
    normal = doc.styles["Normal"]
    normal.font.name = FANGSONG
    normal.font.size = SIZE_3
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)


def _head(doc, *, title="{{ title }}"):
    _para(doc, "{{ issuer }}", font=XIAOBIAOSONG, size=Pt(26), align=WD_ALIGN_PARAGRAPH.CENTER, color=RED)
    _para(doc)
    reference = _para(doc, "{{ reference }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    _red_rule(reference)
    _para(doc)
    _para(doc, title, font=XIAOBIAOSONG, size=SIZE_2, align=WD_ALIGN_PARAGRAPH.CENTER)
    _para(doc)


def _signature(doc):
    _para(doc)
    _para(doc, "{{ issuer }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, "{{ date }}", align=WD_ALIGN_PARAGRAPH.RIGHT)


def _heading(doc, text):
    _para(doc, text, font=HEITI, indent=True)


def _table(doc, rows):
    table = doc.add_table(rows=0, cols=2)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].width, cells[1].width = Mm(36), Mm(120)
        for cell, text, font in ((cells[0], label, HEITI), (cells[1], value, FANGSONG)):
            p = cell.paragraphs[0]
            _font(p.add_run(text), font, Pt(14))
    return table


def letter(body, *, addressee=True):
    def build(doc):
        _head(doc)
        if addressee:
            _para(doc, "{{ addressee }}：")
        for item in body:
            if item.startswith("#"):
                _heading(doc, item[1:])
            else:
                _para(doc, item, indent=True)
        _signature(doc)

    return build


def form(rows, *, closing=()):
    def build(doc):
        _head(doc)
        _table(doc, rows)
        for line in closing:
            _para(doc, line, indent=True)
        _signature(doc)

    return build


PETITIONER_ROWS = [
    ("信访人", "{{ petitioner_name }}（共{{ petitioner_count }}人）"),
    ("身份证号", "{{ petitioner_id_number }}"),
    ("联系电话", "{{ petitioner_phone }}"),
    ("住址", "{{ petitioner_address }}"),
    ("工作单位", "{{ petitioner_work_unit }}"),
]

MASTERS = {
    "registration_form": form(
        [
            ("信访编号", "{{ petition_number }}"),
            ("收到日期", "{{ received_date }}"),
            ("来源", "{{ channel }}"),
        ]
        + PETITIONER_ROWS
        + [
            ("类别", "{{ category }}"),
            ("标题", "{{ petition_title }}"),
            ("反映问题", "{{ content }}"),
            ("诉求", "{{ requests }}"),
            ("涉及单位和人员", "{{ involved }}"),
            ("首问责任人", "{{ first_responder }}"),
            ("拟办意见", "{{ proposal }}"),
            ("领导批示", "{{ instruction }}"),
            ("办理情况", "{{ status }}"),
        ]
    ),
    "acceptance_notice": letter(
        [
            "你（们）于{{ received_date }}提出的信访事项（编号{{ petition_number }}，“{{ petition_title }}”）"
            "已收悉。经审查，该信访事项符合受理条件，本机关决定予以受理。",
            "本机关将依法依规办理，并于{{ reply_due_date }}前书面答复。",
            "特此告知。",
        ]
    ),
    "non_acceptance_notice": letter(
        [
            "你（们）于{{ received_date }}提出的信访事项（编号{{ petition_number }}，“{{ petition_title }}”）"
            "已收悉。经审查，本机关决定不予受理。",
            "#一、不予受理的理由",
            "{{ reason }}",
            "#二、救济途径",
            "{{ remedy }}",
            "特此告知。",
        ]
    ),
    "transfer_letter": letter(
        [
            "现将信访人{{ petitioner_name }}（联系电话：{{ petitioner_phone }}；住址：{{ petitioner_address }}）"
            "反映的“{{ petition_title }}”问题（编号{{ petition_number }}）转送你单位，请按照职责依法处理，"
            "并直接答复信访人。",
            "#反映的问题",
            "{{ content }}",
            "#信访人的诉求",
            "{{ requests }}",
            "#领导批示",
            "{{ instruction }}",
            "{{ note }}",
        ]
    ),
    "assignment_form": form(
        [
            ("承办单位", "{{ unit_name }}"),
            ("信访编号", "{{ petition_number }}"),
            ("收到日期", "{{ received_date }}"),
            ("信访人", "{{ petitioner_name }}（共{{ petitioner_count }}人）"),
            ("联系电话", "{{ petitioner_phone }}"),
            ("住址", "{{ petitioner_address }}"),
            ("标题", "{{ petition_title }}"),
            ("反映问题", "{{ content }}"),
            ("诉求", "{{ requests }}"),
            ("领导批示", "{{ instruction }}"),
            ("办理要求", "{{ note }}"),
            ("办结时限", "{{ due_date }}"),
        ],
        closing=["请于办结时限前将调查处理结果书面报送本机关。"],
    ),
    "supervision_letter": letter(
        [
            "本机关交由你单位办理的信访事项（编号{{ petition_number }}，“{{ petition_title }}”）尚未办结。"
            "根据有关规定，现予督办。",
            "#督办要求",
            "{{ note }}",
            "请于{{ due_date }}前将办理情况书面报送本机关。",
        ]
    ),
    "reply_opinion": letter(
        [
            "你（们）于{{ received_date }}提出的信访事项（编号{{ petition_number }}，“{{ petition_title }}”）"
            "收悉。经调查核实，现答复如下：",
            "#一、反映的问题和诉求",
            "{{ content }}",
            "{{ requests }}",
            "#二、调查核实的事实",
            "{{ findings }}",
            "#三、处理依据",
            "{{ basis }}",
            "#四、处理意见",
            "{{ conclusion }}",
            "{{ remedy }}",
        ]
    ),
    "superior_report": letter(
        [
            "你单位交办的信访事项（{{ superior_reference }}，本机关编号{{ petition_number }}，"
            "“{{ petition_title }}”）已办理完毕，现将调查处理情况报告如下：",
            "#一、反映的问题",
            "{{ content }}",
            "#二、调查核实情况",
            "{{ findings }}",
            "#三、处理结果",
            "{{ conclusion }}",
            "#四、查处报告",
            "{{ report }}",
            "特此报告。",
        ]
    ),
    "delivery_receipt": form(
        [
            ("送达文书", "{{ delivered_title }}"),
            ("文号", "{{ delivered_reference }}"),
            ("受送达人", "{{ recipient }}"),
            ("送达方式", "□邮寄  □直接送达  □电子送达"),
            ("送达时间", "      年    月    日"),
            ("受送达人签收", ""),
            ("送达人", ""),
        ],
        closing=["受送达人签收后，本回证交回本机关归档（信访编号{{ petition_number }}）。"],
    ),
}


def _stable_zip(doc) -> bytes:
    """The .docx with fixed zip timestamps, so that rebuilding an unchanged master gives the
    same bytes (and git sees no change)."""
    import io
    import zipfile

    raw = io.BytesIO()
    doc.save(raw)
    out = io.BytesIO()
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            info = zipfile.ZipInfo(item.filename, date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(info, src.read(item.filename))
    return out.getvalue()


def build_all(target: Path = HERE) -> list[Path]:
    written = []
    for code, build in MASTERS.items():
        doc = Document()
        _setup(doc)
        build(doc)
        core = doc.core_properties
        core.author = core.last_modified_by = "Xinfang"
        core.title = code
        # Fixed dates keep the committed files identical from one build to the next.
        from datetime import datetime

        core.created = core.modified = datetime(2026, 1, 1)
        path = target / f"{code}.docx"
        path.write_bytes(_stable_zip(doc))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in build_all():
        print(path.name)
