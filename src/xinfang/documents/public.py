"""The petitioner's own documents for the public portal (petitions.hooks.public_documents):
the newest version of the acceptance notice and of the reply opinion, as PDF where it is
ready. The portal has checked the query code and secret; these documents are addressed to
the petitioner, so their full personal data is theirs to read (Rule 4.3)."""

from __future__ import annotations

from dataclasses import dataclass

from xinfang.documents.models import GeneratedDocument, PdfStatus

PUBLIC_TYPES = ("acceptance_notice", "reply_opinion")


@dataclass(frozen=True)
class PublicDocument:
    document: GeneratedDocument

    @property
    def name(self) -> str:
        fmt = "pdf" if self.document.pdf_status == PdfStatus.READY else "docx"
        return f"{self.document.title} {self.document.reference}.{fmt}"

    @property
    def reference(self) -> str:
        return self.document.reference

    @property
    def content_type(self) -> str:
        if self.document.pdf_status == PdfStatus.READY:
            return "application/pdf"
        return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

    def open(self) -> bytes:
        field = self.document.pdf if self.document.pdf_status == PdfStatus.READY else self.document.docx
        with field.open("rb") as handle:
            return handle.read()


def petitioner_documents(petition) -> list[PublicDocument]:
    newest = {}
    for document in GeneratedDocument.objects.filter(petition=petition, doc_type__in=PUBLIC_TYPES).order_by(
        "id"
    ):
        newest[document.doc_type] = document
    return [PublicDocument(newest[code]) for code in PUBLIC_TYPES if code in newest]
