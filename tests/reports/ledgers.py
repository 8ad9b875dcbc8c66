"""Ledger files built in the tests: xlsx through xlsxwriter, csv by hand."""

import io

import xlsxwriter

HEAD = [
    "编号",
    "收到日期",
    "信访方式",
    "信访人",
    "身份证号",
    "联系电话",
    "问题分类",
    "标题",
    "主要问题",
    "办理状态",
    "办理结果",
]
# Valid, invented: the check character of 11010519491231002 is X.
ID = "11010519491231002X"


def row(
    number="OLD-1",
    received="2026/1/5",
    channel="来信",
    name="王五",
    id_number=ID,
    phone="13800138000",
    category="城乡建设",
    title="路灯损坏",
    content="小区路灯坏了",
    status="办理中",
    outcome="",
):
    return [number, received, channel, name, id_number, phone, category, title, content, status, outcome]


def xlsx(rows, head=HEAD, *, title_row=False, merged_group=False, formula_at=None):
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_numbers": False})
    sheet = book.add_worksheet("台账")
    r = 0
    if title_row:
        sheet.merge_range(0, 0, 0, len(head) - 1, "2025年信访台账")
        r = 1
    if merged_group:
        # A group heading merged over the petitioner's columns, the others merged down two rows.
        sheet.merge_range(r, 3, r, 5, "信访人信息")
        for col, text in enumerate(head):
            if col in (3, 4, 5):
                sheet.write_string(r + 1, col, text)
            else:
                sheet.merge_range(r, col, r + 1, col, text)
        r += 2
    else:
        for col, text in enumerate(head):
            sheet.write_string(r, col, text)
        r += 1
    for values in rows:
        for col, value in enumerate(values):
            if formula_at == (r, col):
                sheet.write_formula(r, col, "=1+1", None, 2)
            elif isinstance(value, str):
                sheet.write_string(r, col, value)
            elif value is not None:
                sheet.write(r, col, value)
        r += 1
    book.close()
    return out.getvalue()


def csv_bytes(rows, head=HEAD, encoding="utf-8-sig"):
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding)
