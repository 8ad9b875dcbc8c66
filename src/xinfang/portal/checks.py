"""Validation of a citizen's submission (server side, every field, all problems at once).

The petitioner and text fields go through the core's `check_registration`, so an online
submission obeys exactly the rules of a registration (ID checksum, phone, lengths); the portal
adds what only a public form needs: consent, no markup, the optional category, the files.
Nothing here writes anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from xinfang.core.errors import InvalidInput
from xinfang.documents.services import clean_file_name
from xinfang.documents.sniffing import HEAD_BYTES, sniff
from xinfang.petitions.models import Category
from xinfang.petitions.services.checks import check_registration
from xinfang.petitions.validators import normalize_phone

# Tags and script URLs: a citizen's text is shown escaped anyway, but markup in a petition is
# almost always an attack, and refusing it keeps it out of documents and exports too.
_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!?]|javascript\s*:|\bon[a-z]+\s*=\s*[\"']", re.IGNORECASE)
TEXT_FIELDS = ("name", "address", "title", "content", "requests")
_PATHS = {
    "petitioners": "name",
    "petitioners.0.name": "name",
    "petitioners.0.id_number": "id_number",
    "petitioners.0.phone": "phone",
    "petitioners.0.address": "address",
}


@dataclass
class FileInput:
    upload: object
    name: str
    size: int
    sha256: str
    content_type: str


@dataclass
class SubmissionInput:
    anonymous: bool
    name: str
    id_number: str
    phone: str
    address: str
    title: str
    content: str
    requests: str
    category: Category | None
    files: list[FileInput] = field(default_factory=list)


def _add(errors: dict, key: str, message) -> None:
    errors.setdefault(key, []).append(message)


def check_files(uploads, errors: dict) -> list[FileInput]:
    uploads = [u for u in uploads if u is not None]
    if len(uploads) > settings.PORTAL_MAX_FILES:
        _add(errors, "files", _("At most %(max)d files.") % {"max": settings.PORTAL_MAX_FILES})
        return []
    checked = []
    for upload in uploads:
        label = str(upload.name or "")[:60]
        if not upload.size:
            _add(errors, "files", _("“%(name)s” is empty.") % {"name": label})
            continue
        if upload.size > settings.MAX_UPLOAD_BYTES:
            _add(
                errors,
                "files",
                _("“%(name)s” is larger than the limit of %(mb)d MB.")
                % {"name": label, "mb": settings.MAX_UPLOAD_BYTES // 2**20},
            )
            continue
        upload.seek(0)
        sniffed = sniff(upload.read(HEAD_BYTES))
        if sniffed is None:
            _add(
                errors,
                "files",
                _(
                    "“%(name)s” is not an accepted kind of file. Accepted: PDF, images, Office "
                    "documents, audio recordings and MP4 video."
                )
                % {"name": label},
            )
            continue
        upload.seek(0)
        digest = hashlib.sha256()
        for chunk in upload.chunks():
            digest.update(chunk)
        upload.seek(0)
        checked.append(
            FileInput(
                upload,
                clean_file_name(upload.name or "", sniffed.extension),
                upload.size,
                digest.hexdigest(),
                sniffed.content_type,
            )
        )
    return checked


def check_submission(data: Mapping, uploads=()) -> SubmissionInput:
    """Typed input, or InvalidInput with messages keyed by the form's field names."""
    if not isinstance(data, Mapping):
        raise InvalidInput({"non_field_errors": [_("Expected the form's fields.")]})
    errors: dict[str, list] = {}

    def text(key):
        value = data.get(key, "")
        return value if isinstance(value, str) else ""

    anonymous = str(data.get("anonymous", "")).lower() in {"on", "true", "1", "yes"}
    if str(data.get("consent", "")).lower() not in {"on", "true", "1", "yes"}:
        _add(errors, "consent", _("Please read the notice on personal data and give your consent."))
    for key in TEXT_FIELDS:
        if _MARKUP.search(text(key)):
            _add(errors, key, _("Please write plain text: HTML and scripts are not accepted."))

    petitioner = {k: text(k) for k in ("name", "id_number", "phone", "address")}
    if not anonymous and not normalize_phone(petitioner["phone"].strip()):
        _add(errors, "phone", _("Give a phone number, so that the office can reach you."))
    category_code = text("category").strip()
    category = None
    if "\x00" in category_code:  # PostgreSQL refuses NUL in any text it is asked to compare
        _add(errors, "category", _("Choose a category from the list, or leave it empty."))
    elif category_code:
        category = Category.objects.filter(code=category_code[:32], active=True).first()
        if category is None:
            _add(errors, "category", _("Choose a category from the list, or leave it empty."))
    registration = {
        "channel": "online",
        "received_at": timezone.now(),
        "anonymous": anonymous,
        "title": text("title"),
        "content": text("content"),
        "requests": text("requests"),
        # The category is optional online: the clerk chooses one at intake.
        "category": category or Category.objects.filter(active=True).first(),
        "petitioners": [] if anonymous else [petitioner],
    }
    typed = None
    try:
        typed = check_registration(registration)
    except InvalidInput as exc:
        for path, messages in exc.errors.items():
            if path == "category":
                continue
            for message in messages:
                _add(errors, _PATHS.get(path, path), message)
    files = check_files(list(uploads), errors)
    if errors or typed is None:
        raise InvalidInput(errors)
    person = typed.petitioners[0] if typed.petitioners else None
    return SubmissionInput(
        anonymous=anonymous,
        name=person.name if person else "",
        id_number=person.id_number if person else "",
        phone=person.phone if person else "",
        address=person.address if person else "",
        title=typed.title,
        content=typed.content,
        requests=typed.requests,
        category=category,
        files=files,
    )
