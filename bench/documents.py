"""Official documents benchmark (docs/benchmarks.md): time per document for the .docx
(generation through the service: lock, 文号, docxtpl, storage, event) and for the PDF
(LibreOffice headless: kept running and driven over UNO, as the task worker does, and one
`soffice --convert-to` run per document for comparison), p50/p95, and documents per minute with
two workers converting side by side, as two task workers would.

Runs on a throwaway SQLite database in a temporary data directory; bounded in count:
BENCH_DOCUMENTS (default 40) documents of each kind, BENCH_DOCUMENT_WORKER_JOBS (default 15)
conversions per worker, BENCH_DOCUMENT_COMMAND_RUNS (default 10) one-run conversions.
`make bench-documents`.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "src"), str(ROOT)]
os.environ["XINFANG_DATA_DIR"] = tempfile.mkdtemp(prefix="xinfang-bench-documents-")
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("XINFANG_SECRET_KEY", "bench-only-secret-" + "k" * 48)
os.environ.setdefault("XINFANG_HTTPS", "0")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xinfang.settings")

N = int(os.environ.get("BENCH_DOCUMENTS", "40"))
COMMAND_RUNS = int(os.environ.get("BENCH_DOCUMENT_COMMAND_RUNS", "10"))
JOBS = int(os.environ.get("BENCH_DOCUMENT_WORKER_JOBS", "15"))


def pct(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values):
    return {
        "n": len(values),
        "p50_ms": round(pct(values, 50) * 1000),
        "p95_ms": round(pct(values, 95) * 1000),
    }


def convert_many(docx: bytes, count: int) -> int:
    from xinfang.documents.rendering import docx_to_pdf

    for _ in range(count):
        docx_to_pdf(docx)
    return count


def main():
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from xinfang.accounts.demo import create_demo_organisation
    from xinfang.accounts.models import Unit, User
    from xinfang.audit.services import Context
    from xinfang.documents.generation import generate
    from xinfang.documents.rendering import docx_to_pdf, docx_to_pdf_many
    from xinfang.petitions.actions import perform
    from xinfang.petitions.services.checks import check_registration
    from xinfang.petitions.services.registration import register_petition

    call_command("migrate", verbosity=0)
    create_demo_organisation("bench-pass-2026")
    users = {u.username: u for u in User.objects.all()}
    housing = Unit.objects.get(code="HOUSING")
    data = {
        "channel": "letter",
        "received_at": timezone.now().isoformat(),
        "petitioners": [{"name": "王五", "id_number": "11010519491231002X", "phone": "13800138000"}],
        "title": "小区路灯损坏",
        "content": "小区路灯坏了三个月无人修理。" * 20,
        "requests": "尽快修复",
        "category": "urban_construction",
    }
    petition, _ = register_petition(ctx=Context(actor=users["clerk"]), data=check_registration(data))
    perform(Context(actor=users["clerk"]), petition, "propose", {"opinion": "拟转"})
    perform(Context(actor=users["secgen"]), petition, "instruct", {"instruction": "请核实处理"})
    perform(
        Context(actor=users["clerk"]),
        petition,
        "assign",
        {
            "assignments": [
                {"unit": housing.pk, "role": "lead", "kind": "assignment", "due_date": "2030-01-31"}
            ]
        },
    )
    ctx = Context(actor=users["clerk"])
    generate(ctx=ctx, petition=petition, data={"type": "assignment_form", "unit": housing.pk})  # warm-up
    docx_times, documents = [], []
    for i in range(N):
        code, unit = ("assignment_form", housing.pk) if i % 2 else ("registration_form", None)
        started = time.perf_counter()
        documents.append(generate(ctx=ctx, petition=petition, data={"type": code, "unit": unit}))
        docx_times.append(time.perf_counter() - started)
    sources = []
    for document in documents:
        with document.docx.open("rb") as handle:
            sources.append(handle.read())
    from django.test import override_settings

    # LibreOffice kept running (UNO), as the task worker uses it; the first call starts it.
    started = time.perf_counter()
    docx_to_pdf(sources[0])
    office_start = time.perf_counter() - started
    pdf_times = []
    for source in sources:
        started = time.perf_counter()
        docx_to_pdf(source)
        pdf_times.append(time.perf_counter() - started)
    # One `soffice --convert-to` per document (no UNO), and in batches of 10.
    command_times = []
    with override_settings(DOCUMENT_CONVERTER="command"):
        for source in sources[:COMMAND_RUNS]:
            started = time.perf_counter()
            docx_to_pdf(source)
            command_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        docx_to_pdf_many(sources[:10])
        batch_per_doc = (time.perf_counter() - started) / 10
    started = time.perf_counter()
    with ProcessPoolExecutor(max_workers=2) as pool:
        done = sum(pool.map(convert_many, [sources[0], sources[1]], [JOBS, JOBS]))
    wall = time.perf_counter() - started
    load = os.getloadavg()
    result = {
        "docx": summary(docx_times),
        "pdf_office_kept_running": summary(pdf_times),
        "office_start_ms": round(office_start * 1000),
        "pdf_one_soffice_run_each": summary(command_times),
        "pdf_per_document_in_batches_of_10_ms": round(batch_per_doc * 1000),
        "two_workers_documents_per_minute": round(done / wall * 60, 1),
        "two_workers_documents": done,
        "load_average_1_5_15": [round(x, 2) for x in load],
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, ensure_ascii=False, indent=2))
    print()
    print("| measure | p50 | p95 |")
    print("|---|---|---|")
    print(
        f"| .docx per document (service: lock, 文号, docxtpl, storage, event) | {result['docx']['p50_ms']} ms | {result['docx']['p95_ms']} ms |"
    )
    office = result["pdf_office_kept_running"]
    command = result["pdf_one_soffice_run_each"]
    print(
        f"| PDF per document, LibreOffice kept running (UNO) | {office['p50_ms']} ms | {office['p95_ms']} ms |"
    )
    print(
        f"| PDF per document, one `soffice --convert-to` each | {command['p50_ms']} ms | {command['p95_ms']} ms |"
    )
    print(f"| PDF per document in batches of 10 | {result['pdf_per_document_in_batches_of_10_ms']} ms | — |")
    print(f"| documents per minute, two workers (UNO) | {result['two_workers_documents_per_minute']} | — |")
    print(f"| LibreOffice start (once per worker process) | {result['office_start_ms']} ms | — |")


if __name__ == "__main__":
    main()
