"""Every document type renders from a real petition; the PDF's text, read back with pdftotext,
carries the data and the 文号 (expected values written out here, not asked of the code)."""

import os
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from tests.documents.conftest import needs_soffice, pdf_text, squash
from xinfang.audit.services import Context
from xinfang.documents.generation import generate
from xinfang.documents.models import PdfStatus
from xinfang.documents.pdf import make_pdfs
from xinfang.petitions.actions import perform

pytestmark = [needs_soffice, pytest.mark.django_db]

IMG_DIR = Path(__file__).resolve().parents[2] / "docs" / "user-guide" / "img"


def pdf_screenshot(pdf: bytes, name: str) -> None:
    """The documents guide's pictures of the PDFs (first page), only with XINFANG_SCREENSHOTS=1."""
    if os.environ.get("XINFANG_SCREENSHOTS") != "1":
        return
    subprocess.run(
        ["pdftoppm", "-png", "-r", "45", "-f", "1", "-l", "1", "-singlefile", "-", str(IMG_DIR / name)],
        input=pdf,
        check=True,
    )


FULL_ID = "11010519491231002X"
FULL_PHONE = "13800138000"
MASKED_PHONE = "138****8000"


def _make(users, petition, actor, doc_type, unit=None, **extra):
    data = {"type": doc_type, "extra": extra}
    if unit is not None:
        data["unit"] = unit.pk
    return generate(ctx=Context(actor=users[actor]), petition=petition, data=data)


def test_each_type_renders_with_its_data_and_reference(demo_org, drive):
    users, units = demo_org
    year = timezone.localdate().year
    made = {}

    fresh = drive("registered")
    made["registration_form"] = _make(users, fresh, "clerk", "registration_form")
    made["acceptance_notice"] = _make(users, fresh, "clerk", "acceptance_notice")
    made["non_acceptance_notice"] = _make(
        users, drive("proposed"), "clerk", "non_acceptance_notice", reason="不属于本机关职责范围"
    )

    assigned = drive("assigned")
    made["assignment_form"] = _make(users, assigned, "clerk", "assignment_form", unit=units["HOUSING"])
    made["supervision_letter"] = _make(
        users, assigned, "secgen", "supervision_letter", unit=units["LABOUR"], note="请于五日内报送进展"
    )

    transferred = drive("instructed")
    perform(
        Context(actor=users["clerk"]),
        transferred,
        "assign",
        {"assignments": [{"unit": units["HOUSING"].pk, "role": "lead", "kind": "transfer"}]},
    )
    made["transfer_letter"] = _make(users, transferred, "clerk", "transfer_letter", unit=units["HOUSING"])

    reported = drive("reported")
    made["reply_opinion"] = _make(
        users, reported, "clerk", "reply_opinion", basis="《信访工作条例》第三十二条"
    )
    made["superior_report"] = _make(users, reported, "clerk", "superior_report")
    made["delivery_receipt"] = _make(
        users, reported, "clerk", "delivery_receipt", document=str(made["reply_opinion"].pk)
    )

    assert make_pdfs([d.pk for d in made.values()]) == 9
    texts = {}
    for code, document in made.items():
        document.refresh_from_db()
        assert document.pdf_status == PdfStatus.READY
        with document.pdf.open("rb") as handle:
            pdf = handle.read()
        texts[code] = pdf_text(pdf)
        pdf_screenshot(pdf, f"document-{code}")

    # 文号: the default patterns, first of the year for each type.
    expected_references = {
        "registration_form": f"达市政协信登〔{year}〕1号",
        "acceptance_notice": f"达市政协信受〔{year}〕1号",
        "non_acceptance_notice": f"达市政协信不受〔{year}〕1号",
        "assignment_form": f"达市政协信交〔{year}〕1号",
        "supervision_letter": f"达市政协信督〔{year}〕1号",
        "transfer_letter": f"达市政协信转〔{year}〕1号",
        "reply_opinion": f"达市政协信复〔{year}〕1号",
        "superior_report": f"达市政协信报〔{year}〕1号",
        "delivery_receipt": f"达市政协信送〔{year}〕1号",
    }
    for code, reference in expected_references.items():
        assert made[code].reference == reference
        assert reference in texts[code], code
        assert "政协达州市委员会办公室" in texts[code], code

    titles = {
        "registration_form": "信访事项登记表",
        "acceptance_notice": "受理告知书",
        "non_acceptance_notice": "不予受理告知书",
        "assignment_form": "交办单",
        "supervision_letter": "督办函",
        "transfer_letter": "转送函",
        "reply_opinion": "答复意见书",
        "superior_report": "上报报告",
        "delivery_receipt": "送达回证",
    }
    for code, title in titles.items():
        assert title in texts[code], code

    # The office's registration form: full personal data, the matter, the number.
    assert FULL_ID in texts["registration_form"]
    assert FULL_PHONE in texts["registration_form"]
    assert fresh.number in texts["registration_form"]
    assert squash("小区路灯坏了三个月无人修理。") in texts["registration_form"]
    # The petitioner's notices are addressed to the petitioner.
    assert "王五" in texts["acceptance_notice"]
    assert "不属于本机关职责范围" in texts["non_acceptance_notice"]
    assert "行政复议" in texts["non_acceptance_notice"]  # the remedy clause
    # Unit documents: the unit, the instruction, masked contact details (Rule 4.3).
    assert "市住房和城乡建设局" in texts["assignment_form"]
    assert "请市住建局核实处理。" in texts["assignment_form"]
    assert MASKED_PHONE in texts["assignment_form"] and FULL_PHONE not in texts["assignment_form"]
    assert FULL_ID not in texts["assignment_form"]
    assert "市人力资源和社会保障局" in texts["supervision_letter"]
    assert "请于五日内报送进展" in texts["supervision_letter"]
    assert "市住房和城乡建设局" in texts["transfer_letter"]
    assert MASKED_PHONE in texts["transfer_letter"] and FULL_PHONE not in texts["transfer_letter"]
    # Reply opinion: facts, basis, conclusion and the 30-day review clause.
    reply = texts["reply_opinion"]
    for part in ("经核实属实", "《信访工作条例》第三十二条", "已修复路灯", "30日内"):
        assert part in reply, part
    # Report to the superior: the superior, its reference, the approved report.
    report = texts["superior_report"]
    for part in ("市信访局", "达信交〔2026〕1号", "查处报告正文"):
        assert part in report, part
    # Proof of delivery names the document delivered.
    assert expected_references["reply_opinion"] in texts["delivery_receipt"]
    assert "答复意见书" in texts["delivery_receipt"]
