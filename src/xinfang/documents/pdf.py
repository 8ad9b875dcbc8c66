"""Attaching the PDF to generated documents, after the transaction that made the .docx.

Several documents convert in one LibreOffice run (its start-up is most of the cost). The PDF's
SHA-256 is stored beside the .docx's; the row is otherwise never changed.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.files.base import ContentFile
from django.db import transaction

from xinfang.documents.models import GeneratedDocument, PdfStatus
from xinfang.documents.rendering import RenderError, docx_to_pdf_many

log = logging.getLogger(__name__)


def make_pdfs(document_ids: list[int]) -> int:
    """Make the missing PDFs of these documents; returns how many were made."""
    documents = list(
        GeneratedDocument.objects.filter(pk__in=document_ids).exclude(pdf_status=PdfStatus.READY)
    )
    if not documents:
        return 0
    sources = []
    for document in documents:
        with document.docx.open("rb") as handle:
            sources.append(handle.read())
    try:
        pdfs = docx_to_pdf_many(sources)
    except RenderError:
        log.exception("PDF conversion failed for documents %s", [d.pk for d in documents])
        GeneratedDocument.objects.filter(pk__in=[d.pk for d in documents]).update(pdf_status=PdfStatus.FAILED)
        return 0
    for document, pdf in zip(documents, pdfs, strict=True):
        document.pdf.save(
            document.docx.name.rsplit("/", 1)[-1].replace(".docx", ".pdf"), ContentFile(pdf), save=False
        )
        with transaction.atomic():
            updated = (
                GeneratedDocument.objects.filter(pk=document.pk)
                .exclude(pdf_status=PdfStatus.READY)
                .update(
                    pdf=document.pdf.name,
                    pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                    pdf_status=PdfStatus.READY,
                )
            )
        if not updated:  # another worker was quicker: keep its file, drop ours
            document.pdf.storage.delete(document.pdf.name)
    return len(documents)
