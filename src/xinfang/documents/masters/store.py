"""Masters in force, and administrators' uploads of new ones.

An upload is checked completely before anything is stored: a real .docx (a zip holding
word/document.xml), no macros, template syntax that parses, only the placeholders its type
documents, and a trial render with sample values. A refused upload changes nothing, so the
previous master stays in force. Reverting to the shipped default is recorded like an upload.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from xinfang.accounts.models import Role
from xinfang.audit.access import record
from xinfang.core.errors import Forbidden, InvalidInput
from xinfang.documents.models import DocumentMaster
from xinfang.documents.types import DocumentType

DEFAULTS_DIR = Path(__file__).resolve().parent
MAX_MASTER_BYTES = 5 * 2**20
MACRO_MARKERS = (b"vbaProject", b"macroEnabled", b"vbaData", b"activeX")


@dataclass(frozen=True)
class Master:
    data: bytes
    record: DocumentMaster | None  # None: the shipped default

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def default_bytes(code: str) -> bytes:
    return (DEFAULTS_DIR / f"{code}.docx").read_bytes()


def current_record(code: str) -> DocumentMaster | None:
    return DocumentMaster.objects.filter(doc_type=code).order_by("-id").first()


def current_master(code: str) -> Master:
    latest = current_record(code)
    if latest is None or latest.is_default:
        return Master(default_bytes(code), latest)
    with latest.file.open("rb") as handle:
        return Master(handle.read(), latest)


def may_manage_masters(user) -> bool:
    """The system administrator manages masters; masters hold no petition content (三员分立)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.SYSTEM_ADMIN))


def _refuse(message) -> InvalidInput:
    return InvalidInput({"file": [message]})


def check_master(doc_type: DocumentType, data: bytes) -> None:
    """Raise InvalidInput (under "file") unless `data` is a usable master for `doc_type`."""
    from docxtpl import DocxTemplate
    from jinja2 import TemplateSyntaxError

    from xinfang.documents.rendering import RenderError, render_docx

    if not data:
        raise _refuse(_("The file is empty."))
    if len(data) > MAX_MASTER_BYTES:
        raise _refuse(_("A master may be at most %(mb)d MB.") % {"mb": MAX_MASTER_BYTES // 2**20})
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise _refuse(_("This is not a Word document (.docx)."))
            if archive.testzip() is not None:
                raise _refuse(_("The .docx file is damaged."))
            types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, KeyError):
        raise _refuse(_("This is not a Word document (.docx), or it is damaged.")) from None
    if any(marker.lower() in (" ".join(names).encode() + types).lower() for marker in MACRO_MARKERS):
        raise _refuse(_("Masters with macros or ActiveX controls are refused: save it as a plain .docx."))
    try:
        used = DocxTemplate(io.BytesIO(data)).get_undeclared_template_variables()
    except TemplateSyntaxError as exc:
        raise _refuse(
            _("A placeholder is written wrongly (line %(line)s): %(error)s")
            % {"line": exc.lineno, "error": exc}
        ) from None
    except Exception:
        raise _refuse(_("This is not a Word document (.docx), or it is damaged.")) from None
    unknown = sorted(set(used) - doc_type.all_placeholders)
    if unknown:
        raise _refuse(
            _("Unknown placeholders: %(names)s. This type may use: %(allowed)s.")
            % {"names": ", ".join(unknown), "allowed": ", ".join(sorted(doc_type.all_placeholders))}
        )
    try:
        render_docx(data, {name: name for name in doc_type.all_placeholders})
    except RenderError as exc:
        raise _refuse(_("The master cannot be filled in: %(error)s") % {"error": str(exc)[:200]}) from None


def upload_master(*, ctx, doc_type: DocumentType, name: str, data: bytes) -> DocumentMaster:
    """Check and store a new master for `doc_type`; it is in force from now on."""
    if not may_manage_masters(ctx.actor):
        raise Forbidden(_("Only the system administrator manages document masters."))
    check_master(doc_type, data)
    master = DocumentMaster(
        doc_type=doc_type.code,
        name=(name or f"{doc_type.code}.docx")[:200],
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=ctx.actor,
    )
    master.file.save("master.docx", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            master.save()
    except BaseException:
        master.file.storage.delete(master.file.name)
        raise
    record(
        "document.master_uploaded", object_type="document_master", object_ref=doc_type.code, user=ctx.actor
    )
    return master


def revert_master(*, ctx, doc_type: DocumentType) -> DocumentMaster:
    """Put the shipped default back in force (the uploaded masters stay on record)."""
    if not may_manage_masters(ctx.actor):
        raise Forbidden(_("Only the system administrator manages document masters."))
    data = default_bytes(doc_type.code)
    master = DocumentMaster.objects.create(
        doc_type=doc_type.code,
        name=f"{doc_type.code}.docx",
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=ctx.actor,
        is_default=True,
    )
    record(
        "document.master_reverted", object_type="document_master", object_ref=doc_type.code, user=ctx.actor
    )
    return master
