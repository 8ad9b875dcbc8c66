"""Background work of the documents app, on the django.tasks queue (the deadline worker and
`manage.py db_worker` both run it)."""

from __future__ import annotations

from django_tasks import task

from xinfang.documents.pdf import make_pdfs


@task()
def make_pdf(document_id: int) -> int:
    """Convert one generated document's .docx to PDF (idempotent)."""
    return make_pdfs([document_id])
