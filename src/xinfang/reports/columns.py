"""The ledger's (台账) columns: what the export writes and the import recognises.

One list for both directions, so an exported ledger imports again. Each column has the heading
Xinfang writes (translated) and the other headings offices use for it in their own Excel files;
the import matches headings after removing spaces, line breaks and brackets.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    heading: Promise
    synonyms: tuple[str, ...]
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column(
        "number",
        _("Number"),
        ("编号", "信访编号", "件号", "原编号", "登记编号", "统一编号", "序号编号", "number"),
        16,
    ),
    Column(
        "received_at",
        _("Received"),
        (
            "收到日期",
            "来信日期",
            "来访日期",
            "登记日期",
            "信访日期",
            "受理日期",
            "日期",
            "时间",
            "received",
            "receivedat",
        ),
        12,
    ),
    Column("channel", _("Channel"), ("信访方式", "信访形式", "渠道", "来源", "方式", "channel"), 10),
    Column(
        "petitioner",
        _("Petitioner"),
        ("信访人", "姓名", "来信人", "来访人", "反映人", "petitioner", "name"),
        12,
    ),
    Column(
        "id_number", _("ID number"), ("身份证号", "身份证号码", "公民身份号码", "证件号码", "idnumber"), 20
    ),
    Column("phone", _("Phone"), ("联系电话", "电话", "手机", "手机号码", "联系方式", "phone"), 14),
    Column("address", _("Address"), ("住址", "地址", "家庭住址", "通讯地址", "address"), 20),
    Column("category", _("Category"), ("问题分类", "问题类别", "类别", "分类", "内容分类", "category"), 12),
    Column("title", _("Title"), ("标题", "事由", "摘要", "信访事项", "反映事项", "title"), 30),
    Column(
        "content",
        _("Problem raised"),
        ("主要问题", "反映问题", "内容", "主要内容", "问题摘要", "problemraised", "content"),
        40,
    ),
    Column("requests", _("Requests"), ("诉求", "主要诉求", "请求", "requests"), 20),
    Column(
        "handling_units",
        _("Handling units"),
        ("承办单位", "责任单位", "交办单位", "转办单位", "办理单位", "handlingunits"),
        20,
    ),
    Column(
        "involved_units", _("Involved units"), ("被反映单位", "涉及单位", "被投诉单位", "involvedunits"), 20
    ),
    Column("status", _("Status"), ("办理状态", "状态", "办理情况", "是否办结", "status"), 10),
    Column("handling_due", _("Handling due"), ("办理期限", "办理时限", "handlingdue"), 12),
    Column("reply_due", _("Reply due"), ("答复期限", "答复时限", "replydue"), 12),
    Column("outcome", _("Outcome"), ("办理结果", "办结情况", "处理结果", "结果", "outcome"), 30),
    Column("replied_at", _("Replied on"), ("答复日期", "回复日期", "答复时间", "repliedon", "repliedat"), 12),
    Column("closed_at", _("Closed on"), ("办结日期", "办结时间", "结案日期", "closedon", "closedat"), 12),
    # Matters assigned by a superior (上级交办) or sent for assistance: who sent it, its reference
    # (文号) and the date the superior expects the report by. Last, so older templates still match.
    Column(
        "superior_unit",
        _("Sent by (superior organ)"),
        (
            "交办机关",
            "上级交办机关",
            "交办来源",
            "来文机关",
            "来文单位",
            "sentbysuperiororgan",
            "superiorunit",
        ),
        16,
    ),
    Column(
        "superior_reference",
        _("Superior's reference"),
        ("交办文号", "来文文号", "交办编号", "superiorsreference", "superiorreference"),
        16,
    ),
    Column(
        "superior_due",
        _("Report due to superior"),
        ("交办期限", "报结期限", "要求办结日期", "要求报结时间", "reportduetosuperior", "superiordue"),
        12,
    ),
)

BY_KEY = {c.key: c for c in COLUMNS}
_NOISE = re.compile(r"[\s()（）\[\]【】:：*＊/_\-]+")


def normalise_heading(text) -> str:
    return _NOISE.sub("", str(text or "")).lower()


@functools.cache
def _heading_index() -> dict[str, str]:
    """Normalised heading -> column key: the synonyms and Xinfang's own headings in both languages."""
    index: dict[str, str] = {}
    for column in COLUMNS:
        for language in ("en", "zh-hans"):
            with translation.override(language):
                index.setdefault(normalise_heading(str(column.heading)), column.key)
        for synonym in column.synonyms:
            index.setdefault(normalise_heading(synonym), column.key)
    return index


def match_heading(text) -> str | None:
    """The column key a heading means, or None."""
    wanted = normalise_heading(text)
    return _heading_index().get(wanted) if wanted else None
